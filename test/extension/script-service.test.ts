import * as fs from 'fs';
import * as path from 'path';
import { addGreeter, LAB_BASE_IMAGE } from './lab-project';
import { SCRIPT_TOKEN, ShellScriptService } from './script-service';
import { GoService, MultiArchPipeline } from '../../src';
import { lintDockerfile, makeDryRun, newProject, parseDockerfile, parseHcl, synth, synthToDisk } from '../helpers';

describe('a third kind of service, defined outside src/ through MultiArchService', () => {
  test('it imports only the package\'s public entry, as a third party would', () => {
    // GIVEN the kind's source and the project the lab builds
    const files = ['script-service.ts', 'lab-project.ts'];
    // WHEN their imports are read
    const imports = files.flatMap(f => [...fs.readFileSync(path.join(__dirname, f), 'utf8').matchAll(/^import[^'"]*from '([^']+)';/gm)].map(m => m[1]));
    // THEN the library is reached through its index only (the lab copy imports 'projen-multiarch' there)
    expect(imports.filter(i => i.startsWith('.') && i !== './script-service').sort()).toEqual(['../../src', '../../src']);
    expect(imports.filter(i => !i.startsWith('.')).sort()).toEqual(['fs', 'path', 'projen', 'projen']);
  });

  test('its Dockerfile parses: the script is made executable on the build platform, the runtime runs it as a numeric non-root user', () => {
    // GIVEN
    const project = newProject();
    // WHEN
    const service = addGreeter(project);
    const dockerfile = synth(project)['greeter/Dockerfile'];
    // THEN
    expect(lintDockerfile(dockerfile)).toEqual([]);
    const [prepare, runtime] = parseDockerfile(dockerfile).stages;
    expect([prepare.from, prepare.name, prepare.platform]).toEqual([LAB_BASE_IMAGE, 'prepare', '$BUILDPLATFORM']);
    expect(prepare.instructions.map(i => i.keyword)).toEqual(['COPY', 'RUN']);
    expect(prepare.instructions[1].raw).toContain('--mount=type=secret,id=script_token');
    expect(prepare.instructions[1].raw).toContain('chmod 0555 /out/rootfs/usr/local/bin/greeter');
    expect(runtime.from).toBe(LAB_BASE_IMAGE);
    const kw = (k: string) => runtime.instructions.filter(i => i.keyword === k).map(i => i.args);
    expect(kw('ARG')).toEqual(['VERSION=dev', 'BUILD_DATE VCS_REF TARGETARCH TARGETPLATFORM']);
    expect(kw('LABEL')[0]).toContain('org.opencontainers.image.title="greeter"');
    expect(kw('LABEL')[0]).toContain('org.opencontainers.image.version="${VERSION}"');
    expect(kw('LABEL')[0]).toContain('org.opencontainers.image.revision="${VCS_REF}"');
    expect(kw('LABEL')[0]).toContain('build.platform="${TARGETPLATFORM}"');
    expect(runtime.instructions.filter(i => i.keyword === 'COPY').map(i => i.raw)).toEqual(['COPY --from=prepare /out/rootfs/ /']);
    // "10001" is normalized as the built-in kinds normalize it: a uid alone would run with gid 0
    expect(kw('USER')).toEqual(['10001:10001']);
    expect(service.user).toBe('10001:10001');
    expect(JSON.parse(kw('ENTRYPOINT')[0])).toEqual(['/usr/local/bin/greeter']);
    expect(JSON.parse(kw('CMD')[0])).toEqual(['hello', 'lab']);
    // nothing runs on the target platform, so arm64 needs no emulation
    expect(service.dockerfile.runsOnTargetPlatform).toBe(false);
  });

  test('its bake target is in the bake file and in the default group, with the contract\'s build args', async () => {
    // GIVEN a project with a Go service and the third kind
    const project = newProject();
    new MultiArchPipeline(project, { dockerfileSyntax: '' });
    new GoService(project, 'api');
    new ShellScriptService(project, 'greeter', { script: 'greet.sh', directory: 'greeter' });
    // WHEN
    const bake = await parseHcl(synth(project)['docker-bake.hcl']);
    // THEN
    expect(bake.group.default[0].targets).toEqual(['api', 'greeter']);
    const target = bake.target.greeter[0];
    expect([target.context, target.dockerfile]).toEqual(['greeter', 'Dockerfile']);
    expect(target.tags).toEqual(['${REGISTRY}/greeter:${VERSION}']);
    expect(Object.keys(target.args).sort()).toEqual(['BUILD_DATE', 'SOURCE_DATE_EPOCH', 'VCS_REF', 'VERSION']);
  });

  test('the Makefile has build-greeter and run-greeter, and lists it in the targets of every service', () => {
    // GIVEN
    const project = newProject();
    addGreeter(project);
    // WHEN
    const makefile = synthToDisk(project).Makefile;
    // THEN
    expect(makefile).toMatch(/^build-greeter: /m);
    expect(makefile).toMatch(/^run-greeter: /m);
    const recipe = (target: string) => makefile.split(`\n${target}:`)[1].split('\n\n')[0];
    expect(recipe('build-multiarch')).toContain('$(MULTIARCH) keep-digest greeter "$(REGISTRY)/greeter"');
    expect(recipe('build-verify')).toContain('$(MULTIARCH) verify "$(REGISTRY)/greeter:$(VERSION)" "$(PLATFORMS)"');
    expect(recipe('build-sign')).toContain('$(MULTIARCH) sign greeter "$(PLATFORMS)"');
    // nothing of this service runs under emulation
    expect(makefile).toMatch(/^EMULATED_SERVICES\s*=\s*$/m);
    const dry = makeDryRun(project.outdir, 'Makefile', 'build-greeter', ['PUSH=true']);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toMatch(/docker buildx bake .* greeter$/m);
  });

  test('its Dockerfile gets an ignore file that keeps the script in', () => {
    // GIVEN
    const project = newProject();
    // WHEN
    const service = addGreeter(project);
    const ignore = synth(project)['greeter/Dockerfile.dockerignore'];
    // THEN
    expect(ignore).toBeDefined();
    expect(ignore).toContain('**/*.key');
    expect(ignore).toContain('**/*.swp');
    expect(service.dockerignore.allPatterns).not.toContain('greet.sh');
  });

  test('a .dockerignore pattern that would exclude the script fails synthesis', () => {
    // GIVEN
    const project = newProject();
    new MultiArchPipeline(project);
    new ShellScriptService(project, 'greeter', { script: 'greet.sh', dockerignore: ['*.sh'] });
    // WHEN / THEN
    expect(() => synth(project)).toThrow(/greet\.sh/);
  });

  test('SCRIPT_TOKEN is in the Makefile and the bake file only because this kind declares it', async () => {
    // GIVEN a project without the kind, and one with it
    const without = newProject();
    new MultiArchPipeline(without, { dockerfileSyntax: '' });
    new GoService(without, 'api');
    const withKind = newProject();
    addGreeter(withKind);
    // WHEN
    const a = synth(without);
    const b = synthToDisk(withKind);
    // THEN
    expect(a.Makefile).not.toContain(SCRIPT_TOKEN.variable);
    expect(a['docker-bake.hcl']).not.toContain(SCRIPT_TOKEN.variable);
    expect(b.Makefile).toMatch(/^SCRIPT_TOKEN\s+\?=\s*$/m);
    const bake = await parseHcl(b['docker-bake.hcl']);
    expect(bake.variable.SCRIPT_TOKEN[0].default).toBe('');
    expect(JSON.stringify(bake.target.greeter[0].secret)).toContain('id=script_token,src=${SCRIPT_TOKEN}');
    // passed to the build only when set
    const unset = makeDryRun(withKind.outdir, 'Makefile', 'build-greeter');
    expect(unset.stdout).not.toContain('script_token');
    const set = makeDryRun(withKind.outdir, 'Makefile', 'build-greeter', ['SCRIPT_TOKEN=token.key']);
    expect(set.stdout).toContain('--set=greeter.secrets=id=script_token');
  });
});

describe('bad options of the third kind give clear errors, and leave nothing behind', () => {
  const cases: Array<[string, object, RegExp]> = [
    ['no script', {}, /Invalid script undefined of ShellScriptService "greeter": must name the script/],
    ['a script outside the directory', { script: '../x.sh' }, /Invalid script "\.\.\/x\.sh" of ShellScriptService "greeter"/],
    ['an absolute directory', { script: 'x.sh', directory: '/srv' }, /Invalid directory "\/srv" of ShellScriptService "greeter": must be a path relative/],
    ['a base image without a shell', { script: 'x.sh', baseImage: 'gcr.io/distroless/static-debian12:nonroot' }, /Invalid baseImage "gcr\.io\/distroless\/static-debian12:nonroot" of ShellScriptService "greeter": has no shell, and the script needs \/bin\/sh/],
    ['a base image that is no image reference', { script: 'x.sh', baseImage: 'Debian Slim' }, /Invalid baseImage "Debian Slim" of ShellScriptService "greeter"/],
    ['root', { script: 'x.sh', user: '0:0' }, /Invalid user "0:0" of ShellScriptService "greeter": must not be root/],
    ['a user name', { script: 'x.sh', user: 'app' }, /Invalid user "app" of ShellScriptService "greeter": must be a numeric "uid:gid"/],
    ['arguments with a newline', { script: 'x.sh', arguments: ['a\nRUN x'] }, /Invalid arguments .* of ShellScriptService "greeter": must be a list of strings without control characters/],
    ['a port out of range', { script: 'x.sh', port: 70000 }, /Invalid port 70000 of ShellScriptService "greeter": must be an integer from 1 to 65535/],
    // a common option the base class validates
    ['an image name with a space', { script: 'x.sh', imageName: 'my image' }, /Invalid imageName "my image"/],
  ];
  test.each(cases)('%s', (_name, options, error) => {
    // GIVEN a project with a pipeline and a Go service
    const project = newProject();
    const pipeline = new MultiArchPipeline(project, { dockerfileSyntax: '' });
    new GoService(project, 'api');
    const before = project.files.map(f => f.path).sort();
    // WHEN / THEN
    expect(() => new ShellScriptService(project, 'greeter', options as any)).toThrow(error);
    expect(project.files.map(f => f.path).sort()).toEqual(before);
    expect(pipeline.services.map(s => s.name)).toEqual(['api']);
    expect(pipeline.bake.hasTarget('greeter')).toBe(false);
  });

  test('a service the base class refuses leaves no pipeline behind in a project that had none', () => {
    // GIVEN a project without a pipeline
    const project = newProject();
    // WHEN the first service has a name the base class refuses
    expect(() => new ShellScriptService(project, 'multiarch', { script: 'greet.sh' })).toThrow('Invalid service name "multiarch": it is reserved');
    // THEN the project can still get the pipeline it wants
    expect(MultiArchPipeline.of(project)).toBeUndefined();
    expect(new MultiArchPipeline(project, { registry: 'registry.example/team' }).registry).toBe('registry.example/team');
  });

  test('a script that is not a POSIX shell script is refused when it exists', () => {
    // GIVEN
    const project = newProject();
    new MultiArchPipeline(project);
    fs.mkdirSync(path.join(project.outdir, 'greeter'));
    fs.writeFileSync(path.join(project.outdir, 'greeter', 'greet.sh'), '#!/bin/bash\necho hi\n');
    // WHEN / THEN
    expect(() => new ShellScriptService(project, 'greeter', { script: 'greet.sh', directory: 'greeter' }))
      .toThrow('Invalid script "greet.sh" of ShellScriptService "greeter": must be a POSIX shell script that starts with "#!/bin/sh" (the entrypoint runs it directly); greeter/greet.sh does not');
  });

  test('a second service of the same name is refused by the base class', () => {
    // GIVEN
    const project = newProject();
    addGreeter(project);
    // WHEN / THEN
    expect(() => new ShellScriptService(project, 'greeter', { script: 'other.sh' })).toThrow('A service named "greeter" already exists in this project');
  });
});
