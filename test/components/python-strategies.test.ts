import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MultiArchPipeline, Platform, PythonInstallStrategy, PythonService } from '../../src';
import { lintDockerfile, newProject, parseDockerfile, synth, unwrapMakefile } from '../helpers';

const CROSS = PythonInstallStrategy.CROSS_WHEELS;

/** The RUN of a stage whose text contains `marker`. */
function runOf(stage: { instructions: Array<{ keyword: string; raw: string }> }, marker: string): string {
  const run = stage.instructions.find(i => i.keyword === 'RUN' && i.raw.includes(marker));
  if (!run) throw new Error(`no RUN with "${marker}"`);
  return run.raw;
}

/**
 * The shell command of a rendered RUN: mounts and line continuations removed, and the install's
 * platform marker (a file in /, which a test run on this machine must not write).
 */
function shellOf(run: string): string {
  return run.replace(/ \\\n\s*/g, ' ').replace(/^RUN /, '').replace(/--mount=\S+\s+/g, '').replace('echo "${TARGETPLATFORM}" > /target-platform && ', '').trim();
}

describe('PythonService CROSS_WHEELS', () => {
  test('pip installs target wheels on the build platform into the venv; nothing runs on the target platform', () => {
    // GIVEN
    const project = newProject();
    // WHEN
    const svc = new PythonService(project, 'scorer', { baseImage: 'mirror.local/python:3.11-slim-bookworm', installStrategy: CROSS, pipInstallArgs: ['--no-index', '--find-links=wheels'], localPackages: ['wheels'] });
    const dockerfile = synth(project).Dockerfile;
    // THEN
    expect(lintDockerfile(dockerfile)).toEqual([]);
    const [builder, , runtime] = parseDockerfile(dockerfile).stages;
    expect([builder.from, builder.name, builder.platform]).toEqual(['mirror.local/python:3.11-slim-bookworm', 'builder', '$BUILDPLATFORM']);
    expect(runtime.from).toBe('mirror.local/python:3.11-slim-bookworm');
    expect(runtime.instructions.filter(i => i.keyword === 'RUN')).toEqual([]);
    expect(svc.dockerfile.runsOnTargetPlatform).toBe(false);
    // a venv without pip (pure files, the same for every architecture), then wheels for the target's Python
    expect(runOf(builder, 'venv')).toContain('python -m venv --without-pip /opt/venv');
    const install = runOf(builder, 'pip install');
    expect(install).toContain('--mount=type=cache,target=/root/.cache/pip');
    expect(install).toContain('python -m pip install --target /opt/venv/lib/python3.11/site-packages ${platforms} --implementation cp --python-version 3.11 --only-binary=:all: --no-compile --no-index --find-links=wheels -r requirements.txt');
    // compiled in place: pip --target would compile in a temporary directory whose name ends up in every .pyc
    expect(install).toMatch(/SOURCE_DATE_EPOCH=0 python -c 'import compileall, sys; compileall.compile_dir\(sys.argv\[1\], quiet=1\)' \/opt\/venv\/lib\/python3.11\/site-packages$/);
    expect(install).toContain('echo "installing cp311 wheels (${tried}) for ${TARGETPLATFORM} on $(uname -m)"');
  });

  test('the steps before the install are the same for every platform, and the install\'s layer names its platform', () => {
    // GIVEN
    const project = newProject();
    // WHEN
    new PythonService(project, 'scorer', { installStrategy: CROSS, pipInstallArgs: ['--no-index', '--find-links=wheels'], localPackages: ['wheels'] });
    const [builder] = parseDockerfile(synth(project).Dockerfile).stages;
    // THEN no target-platform ARG is in scope before the install: BuildKit runs the venv and the copies once for all platforms
    const keywords = builder.instructions.map(i => i.keyword);
    const firstArg = keywords.indexOf('ARG');
    expect(builder.instructions[firstArg].args).toBe('TARGETPLATFORM TARGETARCH TARGETVARIANT');
    expect(keywords.slice(0, firstArg)).toEqual(['ENV', 'RUN', 'WORKDIR', 'COPY', 'COPY']);
    expect(builder.instructions[firstArg + 1].raw).toContain('pip install');
    // and the install writes its platform outside the image's tree: pure-Python requirements would otherwise give the
    // same layer on both platforms, which a registry cache keeps for one of them only (moby/buildkit#2279)
    expect(runOf(builder, 'pip install')).toMatch(/^RUN (--mount=\S+ \\\n\s*)+echo "\$\{TARGETPLATFORM\}" > \/target-platform && /);
  });

  /** The commands that set `platforms` and `tried`, from the install step of a service's Dockerfile. */
  function tagCommands(dockerfile: string): string {
    const install = shellOf(runOf(parseDockerfile(dockerfile).stages[0], 'pip install'));
    return install.slice(0, install.indexOf(' && echo "installing'));
  }

  test.each([
    ['amd64', '', 'x86_64', ['manylinux2014', 'manylinux2010', 'manylinux1'], 'manylinux2014 manylinux2010 manylinux1 for x86_64'],
    ['arm64', '', 'aarch64', ['manylinux2014'], 'manylinux2014 for aarch64'],
    ['arm', 'v7', 'armv7l', ['manylinux2014'], 'manylinux2014 for armv7l'],
    ['s390x', '', 's390x', ['manylinux2014'], 'manylinux2014 for s390x'],
    ['ppc64le', '', 'ppc64le', ['manylinux2014'], 'manylinux2014 for ppc64le'],
    ['386', '', 'i686', ['manylinux2014', 'manylinux2010', 'manylinux1'], 'manylinux2014 manylinux2010 manylinux1 for i686'],
    ['riscv64', '', 'riscv64', [], 'for riscv64'],
  ])('TARGETARCH=%s TARGETVARIANT=%s passes every %s tag from the base glibc down to manylinux_2_17, then the legacy aliases (run by sh)', (arch, variant, wheelArch, aliases, tried) => {
    // GIVEN a service for every platform that has wheels, on bookworm (glibc 2.36)
    const project = newProject();
    const platforms = [Platform.LINUX_AMD64, Platform.LINUX_ARM64, Platform.LINUX_ARM_V7, Platform.LINUX_S390X,
      Platform.LINUX_PPC64LE, Platform.LINUX_386, Platform.LINUX_RISCV64];
    new MultiArchPipeline(project, { platforms });
    new PythonService(project, 'scorer', { baseImage: 'python:3.12-slim-bookworm', installStrategy: CROSS });
    // WHEN the commands run with BuildKit's platform args
    const out = execFileSync('sh', ['-c', `${tagCommands(synth(project).Dockerfile)} && echo "$platforms" && echo "$tried"`], { env: { TARGETARCH: arch, TARGETVARIANT: variant }, encoding: 'utf8' });
    // THEN pip gets each tag once: PyPI's manylinux_2_17_<arch>.manylinux2014_<arch> wheels match, and so does manylinux_2_36;
    // in pip's preference order, as a native pip ranks them: the newest glibc first, the legacy aliases last
    const [platformArgs, triedLine] = out.trim().split('\n');
    const ladder = Array.from({ length: 20 }, (_, i) => `manylinux_2_${36 - i}_${wheelArch}`);
    expect(platformArgs.trim().split(/\s+/)).toEqual([...ladder, ...aliases.map(a => `${a}_${wheelArch}`)].flatMap(t => ['--platform', t]));
    expect(triedLine).toBe(aliases.length ? `manylinux_2_36..manylinux_2_17, ${tried}` : `manylinux_2_36..manylinux_2_17 ${tried}`);
  });

  test('of two wheels of one version, pip picks the newest glibc\'s, as a native pip does (run by pip, offline)', () => {
    // GIVEN the tag commands of a bookworm service, and a folder with dummy-1.0 tagged manylinux_2_17 and manylinux_2_28
    const project = newProject();
    new PythonService(project, 'scorer', { baseImage: 'python:3.12-slim-bookworm', installStrategy: CROSS });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wheel-order-'));
    const makeWheels = [
      'import sys, zipfile',
      'for tag in ("manylinux_2_17_x86_64", "manylinux_2_28_x86_64"):',
      '    with zipfile.ZipFile(f"{sys.argv[1]}/dummy-1.0-cp312-cp312-{tag}.whl", "w") as z:',
      '        z.writestr("dummy/__init__.py", "")',
      '        z.writestr("dummy-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: dummy\\nVersion: 1.0\\n")',
      '        z.writestr("dummy-1.0.dist-info/WHEEL", f"Wheel-Version: 1.0\\nRoot-Is-Purelib: false\\nTag: cp312-cp312-{tag}\\n")',
      '        z.writestr("dummy-1.0.dist-info/RECORD", "")',
    ].join('\n');
    execFileSync('python3', ['-c', makeWheels, dir]);
    // WHEN pip chooses among them with the generated --platform flags, for amd64
    const download = `${tagCommands(synth(project).Dockerfile)} && python3 -m pip download --no-index --find-links ${dir} --only-binary=:all: `
      + `--implementation cp --python-version 3.12 \${platforms} -d ${dir}/out dummy==1.0`;
    execFileSync('sh', ['-c', download], { env: { ...process.env, TARGETARCH: 'amd64', TARGETVARIANT: '', PIP_DISABLE_PIP_VERSION_CHECK: '1' }, stdio: 'pipe' });
    // THEN it took the manylinux_2_28 wheel: a manylinux_2_17 one first in the flags would win
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['dummy-1.0-cp312-cp312-manylinux_2_28_x86_64.whl']);
  });

  test('a file in an installed package that does not compile is left without bytecode, as pip leaves it; the rest is compiled (run by python3)', () => {
    // GIVEN the install step's compile, and a scratch site-packages with a package that ships Python 2 test fixtures
    const project = newProject();
    new PythonService(project, 'scorer', { baseImage: 'python:3.11-slim-bookworm', installStrategy: CROSS });
    const install = shellOf(runOf(parseDockerfile(synth(project).Dockerfile).stages[0], 'pip install'));
    const compile = install.slice(install.lastIndexOf(' && ') + 4);
    const site = fs.mkdtempSync(path.join(os.tmpdir(), 'site-packages-'));
    fs.mkdirSync(path.join(site, 'pkg/tests'), { recursive: true });
    fs.writeFileSync(path.join(site, 'pkg/__init__.py'), 'VALUE = 1\n');
    fs.writeFileSync(path.join(site, 'pkg/tests/py2_fixture.py'), 'print "python 2"\n');
    // WHEN it runs
    const r = spawnSync('sh', ['-c', compile.replace('/opt/venv/lib/python3.11/site-packages', site).replace(/ python /, ' python3 ')], { encoding: 'utf8' });
    // THEN the step succeeds, says which file it skipped, and the package has checked-hash bytecode (PEP 552 flags 0b11)
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`*** Error compiling '${site}/pkg/tests/py2_fixture.py'`);
    const [pyc] = fs.readdirSync(path.join(site, 'pkg/__pycache__'));
    expect(fs.readFileSync(path.join(site, 'pkg/__pycache__', pyc)).readUInt32LE(4)).toBe(0b11);
    expect(fs.existsSync(path.join(site, 'pkg/tests/__pycache__'))).toBe(false);
  });

  test('a platform without wheels fails the case statement with a message, and is refused at construction', () => {
    const project = newProject();
    new PythonService(project, 'scorer', { baseImage: 'python:3.12-slim', installStrategy: CROSS });
    const install = shellOf(runOf(parseDockerfile(synth(project).Dockerfile).stages[0], 'pip install'));
    const caseStatement = install.slice(0, install.indexOf('esac') + 4);
    const r = spawnSync('sh', ['-c', caseStatement], { env: { TARGETARCH: 'arm', TARGETVARIANT: 'v6', TARGETPLATFORM: 'linux/arm/v6' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('CROSS_WHEELS: no wheel platform tag for linux/arm/v6; use installStrategy TARGET');
    // the defaults have no release in the tag: from manylinux_2_28, which every supported Debian satisfies, down
    expect(install).toContain('n=28 && while [ "$n" -ge 17 ]');
    expect(() => new PythonService(newProject(), 'x', { installStrategy: CROSS, platforms: [Platform.LINUX_ARM64, Platform.LINUX_ARM_V6] }))
      .toThrow(/Invalid installStrategy "PythonInstallStrategy.CROSS_WHEELS": has no wheel platform tag for linux\/arm\/v6 .*use PythonInstallStrategy.TARGET/);
    // the pipeline's platforms too, at construction: the pipeline exists before its services
    const viaPipeline = newProject();
    new MultiArchPipeline(viaPipeline, { platforms: [Platform.LINUX_AMD64, Platform.LINUX_ARM_V6] });
    expect(() => new PythonService(viaPipeline, 'scorer', { installStrategy: CROSS })).toThrow(/built for the pipeline's platforms.*no wheel platform tag for linux\/arm\/v6/);
    expect(MultiArchPipeline.of(viaPipeline)!.services).toEqual([]);
  });

  test('an Alpine (musl) base is refused: CROSS_WHEELS installs manylinux wheels, and the runtime shares the base', () => {
    expect(() => new PythonService(newProject(), 'scorer', { baseImage: 'python:3.12-alpine3.20', installStrategy: CROSS }))
      .toThrow('Invalid baseImage "python:3.12-alpine3.20": is Alpine (musl), and CROSS_WHEELS installs manylinux (glibc) wheels only: use a Debian-based image such as python:3.12-slim-bookworm, or installStrategy PythonInstallStrategy.TARGET, which installs musllinux wheels or builds from source on the target platform');
    // TARGET on Alpine is fine: pip picks musllinux wheels on the target itself
    expect(() => new PythonService(newProject(), 'scorer', { baseImage: 'python:3.12-alpine3.20' })).not.toThrow();
  });

  test('a requirement without a wheel: pip\'s log, then a message that names it and the tags tried, and suggests TARGET', () => {
    // GIVEN the install step, with a fake pip that fails as pip does
    const project = newProject();
    new PythonService(project, 'scorer', { baseImage: 'python:3.11-slim-bookworm', installStrategy: CROSS });
    const install = shellOf(runOf(parseDockerfile(synth(project).Dockerfile).stages[0], 'pip install'));
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-python-'));
    fs.writeFileSync(path.join(bin, 'python'), '#!/bin/sh\necho "ERROR: Could not find a version that satisfies the requirement numpy==2.1 (from versions: none)"\necho "ERROR: No matching distribution found for numpy==2.1"\nexit 1\n', { mode: 0o755 });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pip-log-'));
    // WHEN it runs for arm64 (the log goes to a temp dir instead of /tmp)
    const r = spawnSync('sh', ['-c', install.replace(/\/tmp\/pip-install\.log/g, `${tmp}/pip.log`)], {
      env: { PATH: `${bin}:/usr/bin:/bin`, TARGETARCH: 'arm64', TARGETVARIANT: '', TARGETPLATFORM: 'linux/arm64' }, encoding: 'utf8',
    });
    // THEN
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR: No matching distribution found for numpy==2.1');
    expect(r.stderr).toContain('CROSS_WHEELS installs wheels only: numpy==2.1 has no wheel for linux/arm64 and cp311 tagged manylinux_2_36..manylinux_2_17, manylinux2014 for aarch64 (a wheel for a glibc newer than the base image\'s 2.36 would not run there). Add such a wheel to the index or the wheelhouse, or build it from source on the target platform with installStrategy PythonInstallStrategy.TARGET');
  });

  test('build packages are refused: CROSS_WHEELS compiles nothing', () => {
    expect(() => new PythonService(newProject(), 'x', { installStrategy: CROSS, buildPackages: ['gcc'] }))
      .toThrow(/Invalid buildPackages \["gcc"\]: CROSS_WHEELS installs wheels only and compiles nothing.*PythonInstallStrategy.TARGET/);
  });
});

describe('PythonService TARGET', () => {
  test('build packages in the builder only, before pip; the runtime never sees them', () => {
    const project = newProject();
    new PythonService(project, 'rag', { buildPackages: ['gcc', 'libpq-dev', 'libc6-dev=2.36-9+deb12u9'] });
    const [builder, runtime] = parseDockerfile(synth(project).Dockerfile).stages;
    expect(builder.platform).toBeUndefined();
    const apt = runOf(builder, 'apt-get');
    expect(apt).toContain('--mount=type=cache,target=/var/cache/apt,sharing=locked');
    expect(apt).toContain('--mount=type=cache,target=/var/lib/apt/lists,sharing=locked');
    expect(apt).toContain('apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev libc6-dev=2.36-9+deb12u9');
    const order = builder.instructions.map(i => i.raw);
    expect(order.findIndex(r => r.includes('apt-get'))).toBeLessThan(order.findIndex(r => r.includes('pip install')));
    expect(runtime.instructions.map(i => i.raw).join('\n')).not.toMatch(/apt-get|gcc|libpq-dev/);
  });

  test.each([
    ['gcc; rm -rf /'], ['gcc libpq-dev'], ['$(id)'], ['GCC'], ['-o=APT::x'], [''], ['gcc\nRUN id'],
  ])('buildPackages and runtimePackages refuse %j', (bad) => {
    expect(() => new PythonService(newProject(), 'x', { buildPackages: [bad] })).toThrow(/Invalid buildPackages .*(must be a Debian package name|control characters)/);
    expect(() => new PythonService(newProject(), 'x', { runtimePackages: [bad] })).toThrow(/Invalid runtimePackages .*(must be a Debian package name|control characters|newline)/);
  });
});

describe('PythonService runtime', () => {
  test('runtime packages: a base stage with apt lists and logs left out, constant file times, the runtime built on it', () => {
    const project = newProject();
    const svc = new PythonService(project, 'rag', { runtimePackages: ['libgomp1', 'libpq5'] });
    const stages = parseDockerfile(synth(project).Dockerfile).stages;
    expect(stages.map(s => [s.from, s.name])).toEqual([['python:3.12-slim', 'base'], ['python:3.12-slim', 'builder'], ['python:3.12-slim', 'app'], ['base', null]]);
    const apt = runOf(stages[0], 'apt-get');
    expect(apt).toContain('--mount=type=cache,target=/var/lib/apt/lists,sharing=locked');
    expect(apt).toContain('apt-get install -y --no-install-recommends libgomp1 libpq5');
    expect(apt).toContain('rm -rf /var/log/apt /var/log/dpkg.log');
    expect(apt).toContain('-newer /tmp/.apt-start -exec touch -h -d @0 {} +');
    // it runs on the target platform
    expect(svc.dockerfile.runsOnTargetPlatform).toBe(true);
    // the user's passwd entry is added to the runtime's own accounts (packages may have added users)
    // the two files, not /etc, whose parent (the whole base) BuildKit would list in full for the cache key
    expect(runOf(stages[1], 'passwd')).toContain('--mount=type=bind,from=base,source=/etc/passwd,target=/runtime-etc/passwd');
    expect(runOf(stages[1], 'passwd')).toContain('--mount=type=bind,from=base,source=/etc/group,target=/runtime-etc/group');
    expect(runOf(stages[1], 'passwd')).not.toContain('source=/etc,');
    expect(runOf(stages[1], 'passwd')).toContain('cp /runtime-etc/passwd /runtime-etc/group /out/rootfs/etc/');
  });

  test('CROSS_WHEELS with runtime packages needs the target platform for those only', () => {
    const project = newProject();
    const svc = new PythonService(project, 'rag', { installStrategy: CROSS, runtimePackages: ['libgomp1'] });
    const stages = parseDockerfile(synth(project).Dockerfile).stages;
    expect(stages.map(s => [s.name, s.platform])).toEqual([['base', undefined], ['builder', '$BUILDPLATFORM'], ['app', '$BUILDPLATFORM'], [null, undefined]]);
    expect(svc.dockerfile.runsOnTargetPlatform).toBe(true);
  });

  test('the service user gets a passwd entry and a home it owns; HOME is set; the app is read-only; install-only sources stay out', () => {
    // GIVEN
    const project = newProject();
    new PythonService(project, 'rag', { user: '1001:1001', localPackages: ['vendor', 'wheels'] });
    const [builder, app, runtime] = parseDockerfile(synth(project).Dockerfile).stages;
    // THEN the runtime has HOME and runs as the user
    const env = runtime.instructions.filter(i => i.keyword === 'ENV').map(i => i.args).join(' ');
    expect(env).toContain('HOME="/home/app"');
    expect(runtime.instructions.filter(i => i.keyword === 'USER').map(i => i.args)).toEqual(['1001:1001']);
    // AND the app tree loses the local packages, and is readable by all and writable by root only
    expect(runOf(app, 'compileall')).toContain('rm -rf /out/rootfs/app/vendor /out/rootfs/app/wheels');
    expect(runOf(app, 'touch -h -d @0')).toContain('chmod -R u=rwX,go=rX /out/rootfs/app');
    // AND the accounts step, run by sh in a scratch tree, adds the user once and keeps existing uids
    const accounts = shellOf(runOf(builder, 'passwd'));
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accounts-'));
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
    const local = accounts.replace(/\/out\/rootfs/g, `${root}/out/rootfs`).replace(/ \/etc\//g, ` ${root}/etc/`).replace(/chown [^&]*&&/, '');
    execFileSync('sh', ['-c', local]);
    expect(fs.readFileSync(path.join(root, 'out/rootfs/etc/passwd'), 'utf8').split('\n')).toContain('app:x:1001:1001:app:/home/app:/usr/sbin/nologin');
    expect(fs.readFileSync(path.join(root, 'out/rootfs/etc/group'), 'utf8').split('\n')).toContain('app:x:1001:');
    expect(fs.statSync(path.join(root, 'out/rootfs/home/app')).mode.toString(8).slice(-3)).toBe('700');
    // a uid the base already has is not added twice
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'svc:x:1001:1001::/srv:/bin/sh\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'svc:x:1001:\n');
    execFileSync('sh', ['-c', local]);
    expect(fs.readFileSync(path.join(root, 'out/rootfs/etc/passwd'), 'utf8')).toBe('svc:x:1001:1001::/srv:/bin/sh\n');
    expect(accounts).toContain('chown 1001:1001 /out/rootfs/home/app');
  });
});

describe('PythonService versions, indexes and secrets', () => {
  test('the Python version comes from the base image tag, and must agree with pythonVersion', () => {
    const project = newProject();
    const svc = new PythonService(project, 'x', { baseImage: '127.0.0.1:5000/lab/python:3.11-slim', installStrategy: CROSS });
    expect(svc.pythonVersion).toBe('3.11');
    expect(synth(project).Dockerfile).toContain('--python-version 3.11');
    expect(new PythonService(newProject(), 'y', { pythonVersion: '3.13.1' }).baseImage).toBe('python:3.13-slim');
    expect(() => new PythonService(newProject(), 'z', { baseImage: 'python:3.11-slim', pythonVersion: '3.12' }))
      .toThrow(/Invalid pythonVersion "3.12": does not match baseImage "python:3.11-slim" \(Python 3.11\)/);
  });

  test.each([['2.7'], ['3.8'], ['3.15'], ['4.0'], ['3'], ['three'], ['3.12-slim']])('pythonVersion %j is refused', (v) => {
    expect(() => new PythonService(newProject(), 'x', { pythonVersion: v })).toThrow(/Invalid pythonVersion .*must be a supported Python version: 3.9, 3.10, 3.11, 3.12, 3.13, 3.14/);
  });

  test('a base image of an unsupported Python is refused', () => {
    expect(() => new PythonService(newProject(), 'x', { baseImage: 'python:2.7-slim' })).toThrow(/Invalid baseImage "python:2.7-slim": is Python 2.7, which is not supported/);
  });

  test('an unknown installStrategy is refused', () => {
    expect(() => new PythonService(newProject(), 'x', { installStrategy: 'FAST' as PythonInstallStrategy })).toThrow(/Invalid installStrategy "FAST": must be PythonInstallStrategy.TARGET or PythonInstallStrategy.CROSS_WHEELS/);
  });

  test('index URLs are plain ENV in the builder; credentials in them are refused', () => {
    const project = newProject();
    new PythonService(project, 'x', { indexUrl: 'https://pypi.internal.example/simple', extraIndexUrls: ['https://mirror.example/simple', 'http://10.0.0.1:8080/simple'] });
    const [builder, runtime] = parseDockerfile(synth(project).Dockerfile).stages;
    const env = builder.instructions.filter(i => i.keyword === 'ENV').map(i => i.args).join(' ');
    expect(env).toContain('PIP_INDEX_URL="https://pypi.internal.example/simple"');
    expect(env).toContain('PIP_EXTRA_INDEX_URL="https://mirror.example/simple http://10.0.0.1:8080/simple"');
    expect(runtime.instructions.map(i => i.raw).join('\n')).not.toContain('PIP_INDEX_URL');
    expect(() => new PythonService(newProject(), 'x', { indexUrl: 'https://user:token@pypi.internal.example/simple' })).toThrow(/Invalid indexUrl .*carries credentials.*PIP_NETRC/);
    expect(() => new PythonService(newProject(), 'x', { extraIndexUrls: ['ftp://mirror/simple'] })).toThrow(/Invalid extraIndexUrls "ftp:\/\/mirror\/simple": must be an http:\/\/ or https:\/\/ URL/);
    expect(() => new PythonService(newProject(), 'x', { indexUrl: 'https://x/simple"; id; "' })).toThrow(/Invalid indexUrl/);
  });

  test('a pip.conf and a netrc reach pip as build secrets, wired through bake and the Makefile', () => {
    const project = newProject();
    const svc = new PythonService(project, 'x', {});
    const out = synth(project);
    const install = runOf(parseDockerfile(out.Dockerfile).stages[0], 'pip install');
    expect(install).toContain('--mount=type=secret,id=pipconf,target=/etc/pip.conf');
    expect(install).toContain('--mount=type=secret,id=pipnetrc,target=/root/.netrc');
    expect(out.Dockerfile).not.toMatch(/ARG PIP_|ENV PIP_CONF|ENV PIP_NETRC/);
    expect(svc.bakeTarget.secrets.map(s => s.id)).toEqual(['pipconf', 'pipnetrc']);
    expect(out['docker-bake.hcl']).toContain('PIP_NETRC == "" ? [] : ["id=pipnetrc,src=${PIP_NETRC}"]');
    expect(unwrapMakefile(out.Makefile)).toMatch(/^BAKE = .*PIP_CONF="\$\(PIP_CONF\)" PIP_NETRC="\$\(PIP_NETRC\)" docker buildx bake/m);
  });

  test('requirements with hashes install with --require-hashes', () => {
    const project = newProject();
    fs.writeFileSync(path.join(project.outdir, 'requirements.txt'), 'jinja2==3.1.4 \\\n    --hash=sha256:bc5dd2abb727a5319567b7a813e6a2e7318c39f4f487cfe6c89c6f9c7d25197d\n');
    new PythonService(project, 'x', {});
    expect(synth(project).Dockerfile).toContain('pip install --require-hashes -r requirements.txt');
    const plain = newProject();
    fs.writeFileSync(path.join(plain.outdir, 'requirements.txt'), 'jinja2==3.1.4  # --hash is documented elsewhere\n');
    new PythonService(plain, 'x', {});
    expect(synth(plain).Dockerfile).toContain('pip install -r requirements.txt');
  });

  test('a uv project without a requirements file gets a warning that says how to export one', () => {
    const project = newProject();
    fs.writeFileSync(path.join(project.outdir, 'uv.lock'), 'version = 1\n');
    const warn = jest.spyOn(project.logger, 'warn');
    new PythonService(project, 'x', {});
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/uv.lock found but no requirements.txt.*uv export --frozen --no-dev --format requirements-txt -o requirements.txt/));
  });
});

describe('PythonService glibcVersion', () => {
  test('sets the manylinux tag CROSS_WHEELS installs', () => {
    const project = newProject();
    new PythonService(project, 'x', { baseImage: 'mirror.local/python:3.11-slim', installStrategy: CROSS, glibcVersion: '2.36' });
    expect(synth(project).Dockerfile).toContain('n=36 && while [ "$n" -ge 17 ]; do platforms="$platforms --platform manylinux_2_${n}_$arch"');
  });

  test('older than manylinux2014 (2.17) is refused', () => {
    expect(() => new PythonService(newProject(), 'x', { installStrategy: CROSS, glibcVersion: '2.12' }))
      .toThrow('Invalid glibcVersion "2.12": is older than manylinux2014 (glibc 2.17), the oldest base CROSS_WHEELS supports: give the base image\'s glibc, 2.17 or newer');
  });

  test.each([['2.36; id'], ['3.1'], ['2'], ['latest']])('refuses %j', (v) => {
    expect(() => new PythonService(newProject(), 'x', { installStrategy: CROSS, glibcVersion: v })).toThrow(/Invalid glibcVersion .*(must be a glibc version such as "2.36"|control characters)/);
  });

  test('does not apply to Alpine', () => {
    expect(() => new PythonService(newProject(), 'x', { baseImage: 'python:3.12-alpine', glibcVersion: '2.36' }))
      .toThrow(/Invalid glibcVersion "2.36": does not apply to baseImage "python:3.12-alpine": Alpine has musl/);
  });
});

describe('PythonService layers and bytecode', () => {
  test('the venv and the application reach the runtime in two layers, the code from a stage the install never sees', () => {
    // GIVEN
    const project = newProject();
    // WHEN
    new PythonService(project, 'scorer', { installStrategy: CROSS, localPackages: ['wheels'], pipInstallArgs: ['--no-index', '--find-links=wheels'] });
    const dockerfile = synth(project).Dockerfile;
    // THEN
    expect(lintDockerfile(dockerfile)).toEqual([]);
    const [builder, app, runtime] = parseDockerfile(dockerfile).stages;
    // the install stage copies only what pip reads: a code edit leaves its cache key, and the venv's layer, unchanged
    expect(builder.instructions.filter(i => i.keyword === 'COPY').map(i => i.args)).toEqual(['requirements.txt ./requirements.txt', 'wheels ./wheels']);
    expect([app.name, app.platform, app.instructions[0].raw]).toEqual(['app', '$BUILDPLATFORM', 'COPY . /out/rootfs/app']);
    expect(runtime.instructions.filter(i => i.keyword === 'COPY').map(i => i.raw)).toEqual(['COPY --from=builder /out/rootfs/ /', 'COPY --from=app /out/rootfs/ /']);
    // both trees get the constant file time (reproducible layers)
    expect(runOf(builder, 'cp -a /opt/venv')).toContain('find /out/rootfs -exec touch -h -d @0 {} +');
    expect(runOf(app, 'chmod -R')).toContain('find /out/rootfs -exec touch -h -d @0 {} +');
  });

  test.each(['022', '077', '002'])('the application gets the same modes from a checkout made with umask %s, readable by the service (run by sh)', (umask) => {
    // GIVEN the app stage's mode and time step, and a checkout made with that umask (git applies it to 0644 and 0755)
    const project = newProject();
    new PythonService(project, 'scorer', {});
    const step = shellOf(runOf(parseDockerfile(synth(project).Dockerfile).stages[1], 'chmod'));
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'app-modes-'));
    const checkout = `umask ${umask} && mkdir -p ${root}/out/rootfs/app/scorer && echo 'VALUE = 1' > ${root}/out/rootfs/app/scorer/__init__.py`
      + ` && printf '#!/bin/sh\\n' > ${root}/out/rootfs/app/start.sh && chmod +x ${root}/out/rootfs/app/start.sh`;
    execFileSync('sh', ['-c', checkout]);
    // WHEN the step runs on it
    execFileSync('sh', ['-c', step.replace(/\/out\/rootfs/g, `${root}/out/rootfs`)]);
    // THEN directories and programs are 0755 and the rest 0644, whatever the umask: the service user reads the code, and the layer is the same
    const mode = (p: string) => fs.statSync(path.join(root, 'out/rootfs/app', p)).mode.toString(8).slice(-3);
    expect(['.', 'scorer', 'scorer/__init__.py', 'start.sh'].map(mode)).toEqual(['755', '755', '644', '755']);
  });

  test('the application is compiled at build time to checked-hash .pyc files that name the runtime paths (run by python3)', () => {
    // GIVEN the compile step of a service, and a scratch tree in place of /out/rootfs
    const project = newProject();
    new PythonService(project, 'scorer', {});
    const app = parseDockerfile(synth(project).Dockerfile).stages[1];
    const compile = shellOf(runOf(app, 'compileall'));
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'app-'));
    fs.mkdirSync(path.join(root, 'out/rootfs/app/scorer'), { recursive: true });
    fs.writeFileSync(path.join(root, 'out/rootfs/app/scorer/__init__.py'), 'VALUE = 1\n');
    // WHEN it runs
    execFileSync('sh', ['-c', compile.replace(/\/out\/rootfs/g, `${root}/out/rootfs`).replace(/^python /, 'python3 ')]);
    // THEN the .pyc is hash-based and checked (PEP 552 flags 0b11), with the path the runtime imports it from
    const cache = path.join(root, 'out/rootfs/app/scorer/__pycache__');
    const [pyc] = fs.readdirSync(cache);
    const bytes = fs.readFileSync(path.join(cache, pyc));
    expect(bytes.readUInt32LE(4)).toBe(0b11);
    const filename = execFileSync('python3', ['-c', 'import marshal, sys; print(marshal.loads(open(sys.argv[1], "rb").read()[16:]).co_filename)', path.join(cache, pyc)], { encoding: 'utf8' });
    expect(filename.trim()).toBe('/app/scorer/__init__.py');
  });

  test('a source of the application that does not compile fails the build (run by python3)', () => {
    // GIVEN the app stage's compile step, and an application with a syntax error
    const project = newProject();
    new PythonService(project, 'scorer', {});
    const compile = shellOf(runOf(parseDockerfile(synth(project).Dockerfile).stages[1], 'compileall'));
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'app-'));
    fs.mkdirSync(path.join(root, 'out/rootfs/app/scorer'), { recursive: true });
    fs.writeFileSync(path.join(root, 'out/rootfs/app/scorer/__init__.py'), 'def broken(:\n');
    // WHEN it runs
    const r = spawnSync('sh', ['-c', compile.replace(/\/out\/rootfs/g, `${root}/out/rootfs`).replace(/^python /, 'python3 ')], { encoding: 'utf8' });
    // THEN the step fails and names the file: the dependencies' compile is lenient, the user's code is not
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('SyntaxError');
    expect(r.stdout).toContain('scorer/__init__.py');
  });
});

describe('PythonService wheelhouses found at synthesis', () => {
  test.each([
    [['--no-index', '--find-links', 'wheels'], '--find-links wheels', 'add "wheels" to localPackages'],
    [['--find-links=./wheels/'], '--find-links=./wheels/', 'add "wheels" to localPackages'],
    [['-f', 'wheels'], '-f wheels', 'add "wheels" to localPackages'],
    [['-fwheels'], '-fwheels', 'add "wheels" to localPackages'],
    [['--index-url=file:simple'], '--index-url=file:simple', 'add "simple" to localPackages'],
    [['--extra-index-url', 'file:///srv/simple'], '--extra-index-url file:///srv/simple', 'it is outside the service directory (the build context): move it there and list it in localPackages'],
  ])('pipInstallArgs %j without the folder in localPackages is refused, naming both options', (args, text, fix) => {
    expect(() => new PythonService(newProject(), 'x', { installStrategy: CROSS, pipInstallArgs: args, localPackages: ['vendor'] }))
      .toThrow(`Invalid pipInstallArgs ${JSON.stringify(text)}: reads "${text.includes('srv') ? '/srv/simple' : text.includes('simple') ? 'simple' : 'wheels'}", which is not under localPackages (["vendor"]), so the Dockerfile does not copy it into the builder: ${fix}`);
  });

  test('a refused wheelhouse leaves no service behind', () => {
    const project = newProject();
    new MultiArchPipeline(project, {});
    expect(() => new PythonService(project, 'x', { pipInstallArgs: ['-f', 'wheels'] })).toThrow(/Invalid pipInstallArgs "-f wheels"/);
    expect(MultiArchPipeline.of(project)!.services).toEqual([]);
  });

  test('a wheelhouse under localPackages, or a remote index, is fine', () => {
    for (const args of [['--find-links=wheels'], ['-f', 'wheels/linux'], ['--find-links', 'https://download.pytorch.org/whl/cpu'], ['--extra-index-url=https://mirror.example/simple']]) {
      expect(() => new PythonService(newProject(), 'x', { pipInstallArgs: args, localPackages: ['wheels'] })).not.toThrow();
    }
  });

  test.each([
    ['-f wheels', 'wheels'],
    ['--find-links=./wheels', 'wheels'],
    ['./vendor/pkg', 'vendor/pkg'],
    ['-e ./vendor/pkg', 'vendor/pkg'],
    ['vendor/lib-1.0-py3-none-any.whl', 'vendor/lib-1.0-py3-none-any.whl'],
    ['-r base.txt', 'base.txt'],
    ['anomalylib @ file:vendor/anomalylib', 'vendor/anomalylib'],
  ])('a requirements line %j outside localPackages is refused, with its line number', (line, local) => {
    // GIVEN
    const project = newProject();
    fs.writeFileSync(path.join(project.outdir, 'requirements.txt'), `# pinned\njinja2==3.1.4\n${line}  # local\n`);
    // THEN
    expect(() => new PythonService(project, 'x', { localPackages: ['other'] }))
      .toThrow(`Invalid requirementsFile "requirements.txt": line 3 "${line}" reads "${local}", which is not under localPackages (["other"]), so the Dockerfile does not copy it into the builder: add "${local}" to localPackages`);
  });

  test('requirements that name only indexes, hashes and packages pass; a local path under localPackages passes', () => {
    const project = newProject();
    fs.mkdirSync(path.join(project.outdir, 'reqs'));
    fs.writeFileSync(path.join(project.outdir, 'reqs/prod.txt'), [
      'jinja2==3.1.4 \\', '    --hash=sha256:bc5dd2abb727a5319567b7a813e6a2e7318c39f4f487cfe6c89c6f9c7d25197d',
      'requests[socks]>=2.31; python_version > "3.8"', 'torch @ https://download.pytorch.org/whl/cpu/torch-2.4.0-cp311-linux_x86_64.whl',
      '--extra-index-url https://mirror.example/simple', '-f wheels', './vendor/pkg', '',
    ].join('\n'));
    // -f in reqs/prod.txt may be reqs/wheels (pip reads it next to the file when it is there)
    expect(() => new PythonService(project, 'x', { requirementsFile: 'reqs/prod.txt', localPackages: ['reqs/wheels', 'vendor'] })).not.toThrow();
  });

  test('a requirements file that does not exist yet cannot be read: the warning says its paths are checked once it exists', () => {
    const project = newProject();
    const warn = jest.spyOn(project.logger, 'warn');
    new PythonService(project, 'x', { installStrategy: CROSS });
    synth(project);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/requirements.txt does not exist yet .*the wheelhouses and local paths it names are checked against localPackages once it exists/));
  });
});

describe('PythonService CROSS_WHEELS and environment markers', () => {
  /** A project whose service directory holds `requirements.txt` with these lines. */
  function withRequirements(directory: string, lines: string[]) {
    const project = newProject();
    fs.mkdirSync(path.join(project.outdir, directory), { recursive: true });
    fs.writeFileSync(path.join(project.outdir, directory, 'requirements.txt'), lines.join('\n'));
    return project;
  }

  test.each([
    ['jinja2==3.1.4; platform_machine == "aarch64"', 'jinja2==3.1.4; platform_machine == "aarch64"'],
    ['orjson==3.10.7 ; python_version >= "3.9" and platform_machine != "x86_64"  # arm only', 'orjson==3.10.7 ; python_version >= "3.9" and platform_machine != "x86_64"'],
    ['psutil==6.0.0; platform.machine == "x86_64"', 'psutil==6.0.0; platform.machine == "x86_64"'],
  ])('a requirement with the marker %j is refused, naming the option, the file and the line', (line, shown) => {
    // GIVEN
    const project = withRequirements('services/scorer', ['# pinned', 'msgpack==1.1.0', line, '']);
    // WHEN
    const create = () => new PythonService(project, 'scorer', { directory: 'services/scorer', installStrategy: CROSS });
    // THEN
    expect(create).toThrow(`Invalid installStrategy "CROSS_WHEELS": services/scorer/requirements.txt line 3 "${shown}" has a platform_machine marker, which pip evaluates on the build machine, not on the target platform`);
    expect(create).toThrow('https://github.com/pypa/pip/issues/11664');
    expect(create).toThrow(/Use installStrategy PythonInstallStrategy.TARGET, whose pip runs on the target platform, or a requirementsFile without platform_machine markers$/);
  });

  test('a marker on a continued line (uv export\'s hashes) is found, and named by the line the requirement starts on', () => {
    // GIVEN
    const project = withRequirements('.', [
      'numpy==2.1.0 ; platform_machine == \'x86_64\' \\',
      '    --hash=sha256:bc5dd2abb727a5319567b7a813e6a2e7318c39f4f487cfe6c89c6f9c7d25197d',
      'numpy==2.0.2 ; \\',
      '    platform_machine == \'aarch64\'',
    ]);
    // THEN
    expect(() => new PythonService(project, 'x', { installStrategy: CROSS }))
      .toThrow(/^Invalid installStrategy "CROSS_WHEELS": requirements.txt line 1 "numpy==2.1.0 ; platform_machine == 'x86_64' --hash=sha256:bc5d/);
  });

  test('a marker in a file the requirements include with -r (at any depth, relative to the including file) is refused, naming the chain', () => {
    // GIVEN requirements.txt -> requirements/base.txt -> ml.txt (next to base.txt), the marker in the last
    const project = withRequirements('services/scorer', ['msgpack==1.1.0', '-r requirements/base.txt']);
    const dir = path.join(project.outdir, 'services/scorer/requirements');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'base.txt'), ['# shared', '--requirement=ml.txt', 'requests==2.32.3', ''].join('\n'));
    fs.writeFileSync(path.join(dir, 'ml.txt'), ['numpy==2.1.0', 'torch==2.4.0; platform_machine == "x86_64"', ''].join('\n'));
    // WHEN
    const create = () => new PythonService(project, 'scorer', { directory: 'services/scorer', installStrategy: CROSS, localPackages: ['requirements'] });
    // THEN the error names the file, its line, and how pip reached it
    expect(create).toThrow('Invalid installStrategy "CROSS_WHEELS": services/scorer/requirements/ml.txt line 2 "torch==2.4.0; platform_machine == "x86_64"", '
      + 'included by services/scorer/requirements/base.txt line 2, included by services/scorer/requirements.txt line 2 has a platform_machine marker');
  });

  test('includes that loop, do not exist yet, or are URLs are not followed, and a clean chain passes', () => {
    // GIVEN a.txt <-> b.txt, an include not written yet, a URL include
    const loop = (bExtra: string[]) => {
      const project = withRequirements('.', ['-r a.txt', '-r later.txt', '-r https://example.invalid/r.txt', 'msgpack==1.1.0']);
      fs.writeFileSync(path.join(project.outdir, 'a.txt'), '-rb.txt\nrequests==2.32.3\n');
      fs.writeFileSync(path.join(project.outdir, 'b.txt'), ['-r a.txt', 'uvloop==0.20.0; sys_platform == "linux"', ...bExtra, ''].join('\n'));
      return () => new PythonService(project, 'x', { installStrategy: CROSS, localPackages: ['a.txt', 'b.txt', 'later.txt'] });
    };
    // THEN without a machine marker it passes
    expect(loop([])).not.toThrow();
    // AND a marker in the loop's second file is found through the loop, once
    expect(loop(['psutil==6.0.0; platform.machine == "aarch64"']))
      .toThrow(/^Invalid installStrategy "CROSS_WHEELS": b\.txt line 3 "psutil==6\.0\.0; platform\.machine == "aarch64"", included by a\.txt line 1, included by requirements\.txt line 1 has a platform_machine marker/);
  });

  test('a refused requirement leaves no service behind', () => {
    // GIVEN
    const project = withRequirements('.', ['foo; platform_machine == "aarch64"']);
    new MultiArchPipeline(project, {});
    // THEN
    expect(() => new PythonService(project, 'x', { installStrategy: CROSS })).toThrow(/Invalid installStrategy/);
    expect(MultiArchPipeline.of(project)!.services).toEqual([]);
  });

  test('markers that are the same on the build and the target platform pass, and so do comments that name platform_machine', () => {
    // GIVEN
    const project = withRequirements('.', [
      'uvloop==0.20.0; sys_platform == "linux"',
      'colorama==0.4.6; os_name == "nt" or platform_system == "Windows"',
      'tomli==2.0.1; python_version < "3.11"',
      'msgpack==1.1.0  # no wheel needed for platform_machine == "riscv64"; we do not ship it',
      'scorer-tools @ https://example.invalid/platform_machine/scorer_tools-1.0-py3-none-any.whl',
    ]);
    // THEN
    expect(() => new PythonService(project, 'x', { installStrategy: CROSS })).not.toThrow();
  });

  test('TARGET installs on the target platform, where the marker holds: the same requirement passes', () => {
    // GIVEN
    const project = withRequirements('.', ['foo; platform_machine == "aarch64"']);
    // THEN
    expect(() => new PythonService(project, 'x', { installStrategy: PythonInstallStrategy.TARGET })).not.toThrow();
  });

  test('a requirements file that does not exist yet: the warning says its markers are checked once it exists', () => {
    // GIVEN
    const project = newProject();
    const warn = jest.spyOn(project.logger, 'warn');
    // WHEN
    new PythonService(project, 'x', { installStrategy: CROSS });
    synth(project);
    // THEN
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/requirements.txt does not exist yet .*checked against localPackages once it exists, and its platform_machine markers refused/));
  });
});
