import { wheelPlatformCommands } from './wheels';
import { CacheSharing, DockerfileModel, DockerfileStage, Mount } from '../../dockerfile';
import { ROOTFS } from '../runtime';

/** Set for a command, it makes py_compile write checked-hash .pyc files instead of timestamped ones. */
export const HASH_PYCS = 'SOURCE_DATE_EPOCH=0';

/** Where the dependencies are installed, in the builder and at the same path in the runtime. */
export const VENV = '/opt/venv';

/**
 * The builder's first step that depends on the target platform writes that platform here (outside
 * /out/rootfs, so no image has it): pure-Python requirements install the same files on every platform,
 * and BuildKit loses one platform's records from a registry cache whose layers are the same blob on
 * two platforms (moby/buildkit#2279, #2822), and with them every later step of that platform.
 */
const PLATFORM_MARKER = 'echo "${TARGETPLATFORM}" > /target-platform';
/** Why a step writes PLATFORM_MARKER, in the Dockerfile's comment of that step. */
const PLATFORM_MARKER_WHY = '/target-platform names the platform, so no two platforms share this layer (a registry cache would keep it for one of them only).';

/** The build secrets a pip install may read: a pip.conf and a netrc, both optional. */
export const PIP_CONF_SECRET = 'pipconf';
export const PIP_NETRC_SECRET = 'pipnetrc';

/** What an install strategy builds from: the service's resolved settings. */
export interface PythonBuildSettings {
  readonly baseImage: string;
  /** `X.Y`, the base image's Python. */
  readonly pythonVersion: string;
  readonly requirementsFile: string;
  readonly localPackages: string[];
  readonly pipArgs: string[];
  /** Debian packages for the builder only (compilers, headers). */
  readonly buildPackages: string[];
  /** `PIP_INDEX_URL` and `PIP_EXTRA_INDEX_URL`, without credentials. */
  readonly pipEnv: { [name: string]: string };
  /** The requirements pin hashes: pip runs with `--require-hashes`. */
  readonly requireHashes: boolean;
  /** The base image's glibc, `2.N`: CROSS_WHEELS installs wheels tagged for it or an older one. */
  readonly glibcVersion: string;
  /** The numeric `uid:gid` the runtime runs as, which gets a passwd entry and a home. */
  readonly user: string;
  /** The stage whose /etc/passwd and /etc/group the runtime has, when it is not the base image. */
  readonly accountsStage?: string;
}

/**
 * How a Python service's dependencies get into `/opt/venv` of a stage named `builder`. The
 * Dockerfile then puts the venv under the builder's `/out/rootfs`, which the runtime copies as the
 * dependencies' layer (the application comes from a stage of its own). Each strategy is one
 * implementation of this seam.
 */
export interface InstallStrategy {
  /** Adds the stages that leave the dependencies in `/opt/venv` of stage `builder`. */
  addInstallStages(model: DockerfileModel, py: PythonBuildSettings): void;
}

/**
 * Installs on the target platform (under QEMU when the builder is another architecture), so native
 * wheels and extensions built from source always match the image's architecture.
 */
export class TargetInstall implements InstallStrategy {
  public addInstallStages(model: DockerfileModel, py: PythonBuildSettings): void {
    const builder = model.addStage({
      from: py.baseImage,
      name: 'builder',
      comment: 'Dependencies are installed on the target platform, so native wheels and extensions match the image architecture (emulated with QEMU when the builder differs).',
    });
    builder.addArgs(['TARGETPLATFORM']);
    addBuildPackages(builder, py.buildPackages);
    addVenv(builder, py, '', [PLATFORM_MARKER]);
    builder.addEnv({ VIRTUAL_ENV: VENV, PATH: `${VENV}/bin:\${PATH}` });
    addRequirements(builder, py);
    builder.addRun({
      mounts: pipMounts(),
      commands: [
        'echo "installing dependencies for ${TARGETPLATFORM} on $(uname -m)"',
        `${HASH_PYCS} pip install${pipArgs(py)} -r ${py.requirementsFile}`,
      ],
    });
  }
}

/**
 * Installs wheels built for the target platform, from a stage on the build platform: pip never runs
 * under QEMU, and no step of the image runs on the target platform. Only wheels are accepted
 * (`--only-binary=:all:`), tagged for any glibc the base image runs (see wheelPlatformCommands): a
 * requirement without one fails the build, naming the requirement and the tags tried, and
 * suggesting TARGET.
 */
export class CrossWheelsInstall implements InstallStrategy {
  public addInstallStages(model: DockerfileModel, py: PythonBuildSettings): void {
    const builder = model.addStage({
      from: py.baseImage,
      name: 'builder',
      platform: '$BUILDPLATFORM',
      comment: 'Dependencies: wheels for the target platform, installed by pip on the build platform (never under QEMU). The venv has no pip and no architecture-specific file of its own.',
    });
    addVenv(builder, py, ' --without-pip');
    addRequirements(builder, py);
    // only now: the steps above are the same for every target platform, so BuildKit runs them once
    builder.addArgs(['TARGETPLATFORM', 'TARGETARCH', 'TARGETVARIANT']);
    const site = `${VENV}/lib/python${py.pythonVersion}/site-packages`;
    const log = '/tmp/pip-install.log';
    const cp = `cp${py.pythonVersion.replace('.', '')}`;
    const hint = `CROSS_WHEELS installs wheels only: \${missing:-a requirement} has no wheel for \${TARGETPLATFORM} and ${cp} tagged \${tried} (a wheel for a glibc newer than the base image's ${py.glibcVersion} would not run there). Add such a wheel to the index or the wheelhouse, or build it from source on the target platform with installStrategy PythonInstallStrategy.TARGET`;
    builder.addRun({
      comment: PLATFORM_MARKER_WHY,
      mounts: pipMounts(),
      commands: [
        PLATFORM_MARKER,
        ...wheelPlatformCommands(py.glibcVersion),
        `echo "installing ${cp} wheels (\${tried}) for \${TARGETPLATFORM} on $(uname -m)"`,
        `if ! ${HASH_PYCS} python -m pip install --target ${site} \${platforms} --implementation cp --python-version ${py.pythonVersion} --only-binary=:all: --no-compile${pipArgs(py)} -r ${py.requirementsFile} > ${log} 2>&1; then cat ${log} >&2; missing=$(sed -n 's/.*No matching distribution found for \\([^ ]*\\).*/\\1/p' ${log} | head -n 1); echo "${hint}" >&2; exit 1; fi`,
        `cat ${log}`,
        // console scripts land in <target>/bin with the build interpreter's shebang: move them into the venv
        `if [ -d ${site}/bin ]; then for f in ${site}/bin/*; do sed '1s|^#!.*python.*$|#!${VENV}/bin/python|' "$f" > "${VENV}/bin/\${f##*/}" && chmod 755 "${VENV}/bin/\${f##*/}"; done; rm -rf ${site}/bin; fi`,
        // compiled where they stay: pip --target compiles in a temporary directory, whose random name would be in every .pyc
        compileDependencies(site),
      ],
    });
  }
}

/**
 * Compiles the installed packages in place, as pip compiles what it installs: a file that does not
 * compile (a test fixture, Python 2 code, a template shipped in a wheel) is reported in the log and
 * left without bytecode, not a failed build (TARGET's pip install ignores it too). `python -m
 * compileall` exits 1 on such a file, so compile_dir is called with the arguments `-q` gives it and
 * its result is dropped; an exception in Python itself still fails the step. The .pyc files
 * are the same checked-hash ones (HASH_PYCS). The application's own compile stays strict.
 */
function compileDependencies(site: string): string {
  return `${HASH_PYCS} python -c 'import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=1)' ${site}`;
}

/** pip's settings (no version check, the index URLs) and the venv at /opt/venv. */
function addVenv(builder: DockerfileStage, py: PythonBuildSettings, flags: string, then: string[] = []): void {
  builder.addEnv({ PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1', ...py.pipEnv });
  builder.addRun({
    comment: `${HASH_PYCS} makes Python write hash-based .pyc files, which hold no time (any value does; a constant keeps this layer cached).${then.length ? ` ${PLATFORM_MARKER_WHY}` : ''}`,
    commands: [`${HASH_PYCS} python -m venv${flags} ${VENV}`, ...then],
  });
}

/** The secret mounts and pip's cache for a `pip install` step. */
function pipMounts(): Mount[] {
  return [
    Mount.cache({ target: '/root/.cache/pip' }),
    Mount.secret({ id: PIP_CONF_SECRET, target: '/etc/pip.conf' }),
    Mount.secret({ id: PIP_NETRC_SECRET, target: '/root/.netrc' }),
  ];
}

function pipArgs(py: PythonBuildSettings): string {
  const args = [...(py.requireHashes && !py.pipArgs.includes('--require-hashes') ? ['--require-hashes'] : []), ...py.pipArgs];
  return args.length ? ' ' + args.join(' ') : '';
}

/** The requirements file and the local packages it refers to, copied before the install. */
function addRequirements(builder: DockerfileStage, py: PythonBuildSettings): void {
  builder.addWorkdir('/build');
  builder.addCopy({ sources: [py.requirementsFile], destination: `./${py.requirementsFile}` });
  for (const p of py.localPackages) builder.addCopy({ sources: [p], destination: `./${p}` });
}

/** Debian packages the install needs (compilers, headers), in the builder only. */
function addBuildPackages(builder: DockerfileStage, packages: string[]): void {
  if (!packages.length) return;
  builder.addRun({
    comment: 'Build packages (buildPackages): in the builder only, never in the runtime image.',
    mounts: aptMounts(),
    commands: [`apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`],
  });
}

/** apt's downloads and lists as cache mounts: they never reach a layer. */
export function aptMounts(): Mount[] {
  return [Mount.cache({ target: '/var/cache/apt', sharing: CacheSharing.LOCKED }), Mount.cache({ target: '/var/lib/apt/lists', sharing: CacheSharing.LOCKED })];
}

/** The home of the runtime user. */
export const HOME = '/home/app';

/**
 * A passwd and group entry for the numeric runtime user (when the base has none for its uid) and
 * a home directory it owns, under /out/rootfs: libraries that cache under `$HOME` (Hugging Face,
 * matplotlib, torch) then work. The accounts are the runtime's own, so packages it installed keep
 * their users.
 */
export function addRuntimeUser(builder: DockerfileStage, py: PythonBuildSettings): void {
  const [uid, gid] = py.user.split(':');
  const etc = py.accountsStage ? '/runtime-etc' : '/etc';
  builder.addRun({
    comment: `The runtime user ${py.user}: a passwd entry and a home it can write (${HOME}).`,
    // the two files, not /etc: for a mount's cache key BuildKit lists the source's parent directory in full
    mounts: py.accountsStage ? ['passwd', 'group'].map(f => Mount.bind({ from: py.accountsStage!, source: `/etc/${f}`, target: `/runtime-etc/${f}` })) : [],
    commands: [
      `mkdir -p ${ROOTFS}/etc ${ROOTFS}${HOME}`,
      `cp ${etc}/passwd ${etc}/group ${ROOTFS}/etc/`,
      `if ! cut -d: -f3 ${ROOTFS}/etc/group | grep -qx ${gid}; then echo "app:x:${gid}:" >> ${ROOTFS}/etc/group; fi`,
      `if ! cut -d: -f3 ${ROOTFS}/etc/passwd | grep -qx ${uid}; then echo "app:x:${uid}:${gid}:app:${HOME}:/usr/sbin/nologin" >> ${ROOTFS}/etc/passwd; fi`,
      `chown ${uid}:${gid} ${ROOTFS}${HOME}`,
      `chmod 700 ${ROOTFS}${HOME}`,
    ],
  });
}
