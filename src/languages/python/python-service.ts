import * as fs from 'fs';
import * as path from 'path';
import { Project } from 'projen';
import { APP_DIR, APP_STAGE, pythonDockerfile } from './dockerfile';
import { checkMachineMarkers } from './markers';
import { CrossWheelsInstall, HOME, PIP_CONF_SECRET, PIP_NETRC_SECRET, TargetInstall, VENV } from './strategy';
import { checkWheelhouses } from './wheelhouses';
import { checkWheelPlatforms, baseImageGlibc, glibcMinor, isAlpine, OLDEST_GLIBC_MINOR } from './wheels';
import { MultiArchPipeline } from '../../components/pipeline';
import { MultiArchService, refuseTypo, resolveService, ServiceDeclaration, ServiceOptions, warnMissing } from '../../components/service';
import { imageReference, invalid, noControlCharacters, noRepeats, relativePath, shellWord, stringList } from '../../validation';
import { imageLabels } from '../runtime';

/** How a Python service's dependencies are installed for each target platform. */
export enum PythonInstallStrategy {
  /**
   * pip runs on the target platform: under QEMU when the builder is another architecture. Always
   * correct, and the only way to build a dependency from source (sdists, C extensions; see
   * `buildPackages`). Slow for arm64 on an amd64 builder.
   */
  TARGET = 'TARGET',
  /**
   * pip runs on the build platform and installs wheels built for the target (`--platform`,
   * `--only-binary=:all:`): nothing runs under QEMU, so arm64 builds about as fast as amd64. Every
   * requirement needs a manylinux wheel for every target platform, for the base image's glibc or an
   * older one (see `glibcVersion`); a missing one fails the build with its name. Needs a glibc
   * (Debian or Ubuntu based) base image: Alpine is refused. pip evaluates environment markers on
   * the build machine, so a requirement with a `platform_machine` marker is refused (in the
   * requirements file, or a file it includes with `-r`).
   */
  CROSS_WHEELS = 'CROSS_WHEELS',
}

/** The Python versions a service may use. */
const PYTHON_VERSIONS = ['3.9', '3.10', '3.11', '3.12', '3.13', '3.14'];

/** Options of a Python service. */
export interface PythonServiceOptions extends ServiceOptions {
  /**
   * The service's directory, used as the build context; the Dockerfile is written there.
   * @default "."
   */
  readonly directory?: string;
  /**
   * Where the Dockerfile is written, relative to the project root (e.g. to keep a Dockerfile of
   * your own in `directory`).
   * @default "<directory>/Dockerfile"
   */
  readonly dockerfilePath?: string;
  /**
   * The Python version, `X.Y` (3.9 to 3.14): of the default base image, and the one CROSS_WHEELS
   * installs wheels for. It must match the base image's.
   * With CROSS_WHEELS and a base image that is not `python:X.Y…` (e.g. a CUDA image), it is required.
   * @default - the version in the tag of a `python` baseImage (e.g. "3.11" of `python:3.11-slim`), else "3.12"
   */
  readonly pythonVersion?: string;
  /**
   * How the dependencies are installed for each target platform.
   * @default PythonInstallStrategy.TARGET
   */
  readonly installStrategy?: PythonInstallStrategy;
  /**
   * The glibc version of the base image, e.g. "2.36" for Debian bookworm (2.17 or newer): CROSS_WHEELS
   * installs wheels tagged `manylinux_2_17` up to `manylinux_<version>` and the legacy aliases
   * (`manylinux2014`, and `manylinux2010`/`manylinux1` on x86_64 and i686).
   * @default - from the baseImage tag's Debian or Ubuntu release (bookworm 2.36, trixie 2.41, ...), else "2.28"
   */
  readonly glibcVersion?: string;
  /**
   * Debian packages the install needs, e.g. `["gcc", "libpq-dev"]`: installed in the builder stage
   * only (TARGET), never in the runtime image. Names as `apt-get install` takes them (`name` or
   * `name=version`).
   * @default []
   */
  readonly buildPackages?: string[];
  /**
   * Debian packages the application needs at run time, e.g. `["libpq5", "libgomp1"]`: installed in
   * the runtime image before the service user exists, with apt's lists and logs left out.
   * @default []
   */
  readonly runtimePackages?: string[];
  /**
   * The package index (`PIP_INDEX_URL`), e.g. an internal mirror. No credentials: give them as a
   * build secret, `make <target> PIP_NETRC=~/.netrc` or `PIP_CONF=pip.conf`.
   * @default - pip's default (PyPI)
   */
  readonly indexUrl?: string;
  /**
   * More package indexes (`PIP_EXTRA_INDEX_URL`), without credentials.
   * @default []
   */
  readonly extraIndexUrls?: string[];
  /**
   * The base image of both the builder and the runtime stage (they must match: the virtualenv
   * links to the base image's interpreter).
   * @default - `python:<pythonVersion>-slim`
   */
  readonly baseImage?: string;
  /**
   * The requirements file, relative to `directory`. Keep development and test tools out of it.
   * @default "requirements.txt"
   */
  readonly requirementsFile?: string;
  /**
   * Local packages, wheel folders or constraint files that the requirements file or
   * `pipInstallArgs` refers to, relative to `directory`; they are copied into the builder before
   * the install, and left out of the runtime. A `--find-links`/`-f` or `file:` index in
   * `pipInstallArgs`, or a local path in the requirements file, outside them is refused.
   * @default []
   */
  readonly localPackages?: string[];
  /**
   * Extra `pip install` arguments, e.g. `["--no-index", "--find-links=wheels"]` (with `wheels` in
   * `localPackages`). `--no-cache-dir` is refused: pip's cache is a cache mount, so it never
   * reaches the image anyway.
   * @default []
   */
  readonly pipInstallArgs?: string[];
  /**
   * The container command, exec form (`CMD`).
   * @default ["python", "main.py"]
   */
  readonly command?: string[];
}

/**
 * A Python service: dependencies installed into a virtualenv by a builder stage that runs on the
 * target platform (so arm64 images get arm64 wheels and native extensions), then copied at the
 * same path into a runtime of the same base image, running as a numeric non-root user.
 */
export class PythonService extends MultiArchService {
  /** The service directory (build context). */
  public readonly directory: string;
  /** The base image. */
  public readonly baseImage: string;
  /** The requirements file, relative to the directory. */
  public readonly requirementsFile: string;
  /** Local packages and wheelhouses, relative to the directory. */
  public readonly localPackages: string[];
  /** The Python version (`X.Y`). */
  public readonly pythonVersion: string;
  /** How the dependencies are installed. */
  public readonly installStrategy: PythonInstallStrategy;

  constructor(project: Project, name: string, options: PythonServiceOptions = {}) {
    const py = resolvePython(project, name, options);
    if (py.installStrategy === PythonInstallStrategy.CROSS_WHEELS && !py.service.platforms) {
      checkWheelPlatforms(`installStrategy of PythonService "${name}" (built for the pipeline's platforms)`, MultiArchPipeline.platformsOf(project));
    }
    const requirements = readRequirements(project.outdir, py.directory, py.requirementsFile);
    checkWheelhouses(py, requirements);
    if (py.installStrategy === PythonInstallStrategy.CROSS_WHEELS) {
      checkMachineMarkers(py, requirements, f => readRequirements(project.outdir, py.directory, f));
    }
    const dockerfile = pythonDockerfile({
      ...py,
      requireHashes: requirements !== undefined && pinsHashes(requirements),
      glibcVersion: py.glibcVersion ?? baseImageGlibc(py.baseImage),
      user: py.service.user,
      port: py.service.port,
      labels: imageLabels(name, py.service.description),
    }, py.installStrategy === PythonInstallStrategy.CROSS_WHEELS ? new CrossWheelsInstall() : new TargetInstall());
    super(project, name, { ...py.props, dockerfile });
    this.directory = py.directory;
    this.baseImage = py.baseImage;
    this.requirementsFile = py.requirementsFile;
    this.pythonVersion = py.pythonVersion;
    this.installStrategy = py.installStrategy;
    const { localPackages } = py;
    this.localPackages = localPackages;

    this.dockerignore.addPatterns('venv', '**/*.egg-info');
    this.dockerignore.requirePath(this.requirementsFile, this.dockerfilePath);
    localPackages.forEach(p => this.dockerignore.requirePath(p, this.dockerfilePath));

    if (requirements === undefined && fs.existsSync(path.join(project.outdir, py.directory, 'uv.lock'))) {
      project.logger.warn(`PythonService "${name}": ${py.directory}/uv.lock found but no ${py.requirementsFile}; installs read a requirements file: run "uv export --frozen --no-dev --format requirements-txt -o ${py.requirementsFile}" (hashes included, so pip runs with --require-hashes)`);
    }
  }

  /** Warns about the paths the build reads that do not exist yet. */
  public preSynthesize(): void {
    super.preSynthesize();
    const under = (p: string) => path.join(this.directory, p);
    warnMissing(this.project, `PythonService "${this.name}"`, [
      ['directory', this.directory, this.directory, 'it is the build context'],
      ['requirementsFile', this.requirementsFile, under(this.requirementsFile), `pip installs it (an empty file is fine); the wheelhouses and local paths it names are checked against localPackages once it exists${this.installStrategy === PythonInstallStrategy.CROSS_WHEELS ? ', and its platform_machine markers refused' : ''}`],
      ...this.localPackages.map(p => ['localPackages', p, under(p), 'the Dockerfile copies it'] as [string, string, string, string]),
    ]);
  }
}

/** Whether a requirements file pins hashes (`--hash=sha256:…` outside comments): pip then runs with --require-hashes. */
function pinsHashes(requirements: string): boolean {
  return requirements.split('\n').map(line => line.replace(/(^|\s)#.*$/, '')).some(line => /(^|\s)--hash[=\s]/.test(line));
}

/** The requirements file's text, or undefined while it does not exist. */
function readRequirements(outdir: string, directory: string, file: string): string | undefined {
  const at = path.join(outdir, directory, file);
  return fs.existsSync(at) && fs.statSync(at).isFile() ? fs.readFileSync(at, 'utf8') : undefined;
}

/** Every PythonService option, validated before anything is created (see resolveService). */
function resolvePython(project: Project, name: string, options: PythonServiceOptions) {
  const directory = relativePath('directory', options.directory ?? '.');
  refuseTypo(project, `PythonService "${name}"`, 'directory', options.directory);
  const requirementsFile = relativePath('requirementsFile', options.requirementsFile ?? 'requirements.txt');
  const props: ServiceDeclaration = {
    ...options,
    kind: 'PythonService',
    context: directory,
    dockerfilePath: options.dockerfilePath ?? (directory === '.' ? 'Dockerfile' : `${directory}/Dockerfile`),
    // files go into the application's layer (they change with the code, not with the dependencies),
    // apart from the application itself, the venv and the user's home
    rootfsStage: APP_STAGE,
    reservedPaths: [APP_DIR, VENV, HOME],
    // credentials for private indexes: a pip.conf and a netrc as build secrets, only when set
    secretFiles: [
      {
        variable: 'PIP_CONF',
        id: PIP_CONF_SECRET,
        description: 'pip.conf for private Python indexes (index-url with credentials), passed as a build secret (never an ARG)',
        bakeDescription: `A pip.conf file for private Python indexes, passed to pip install as the build secret "${PIP_CONF_SECRET}" (/etc/pip.conf); empty passes none`,
      },
      {
        variable: 'PIP_NETRC',
        id: PIP_NETRC_SECRET,
        description: 'netrc with credentials for private Python indexes, passed as a build secret (never an ARG)',
        bakeDescription: `A netrc file for private Python indexes, passed to pip install as the build secret "${PIP_NETRC_SECRET}"; empty passes none`,
      },
    ],
    // Python's virtualenvs, bytecode and tool caches, and its credential files (a pip.conf with an
    // index URL's password: PIP_CONF passes one as a build secret), at any depth
    // of the requirements file, the Dockerfile follows whether it pins hashes (pip --require-hashes):
    // a version bump in a file without hashes leaves the generated files as they are
    synthesisInputs: [{
      path: directory === '.' ? requirementsFile : `${directory}/${requirementsFile}`,
      linesContaining: ['--hash'],
      description: 'its --hash lines',
    }],
    languageIgnorePatterns: ['**/.venv', '**/__pycache__', '**/*.py[cod]', '**/.pytest_cache', '**/.mypy_cache', '**/.ruff_cache', '**/.tox',
      '**/pip.conf', '**/pip.ini', '**/.pypirc'],
  };
  const service = resolveService(project, name, props);
  const pythonVersion = resolvePythonVersion(options.pythonVersion, options.baseImage, options.installStrategy);
  const pipArgs = (options.pipInstallArgs ?? []).map(a => shellWord('pipInstallArgs', a));
  const withCredentials = pipArgs.find(a => /:\/\/[^/@]+@/.test(a));
  if (withCredentials) {
    throw invalid('pipInstallArgs', withCredentials, 'carries credentials in a URL, which would be stored in the Dockerfile and the image history. Give them as a build secret instead: make <target> PIP_NETRC=~/.netrc (or PIP_CONF=pip.conf)');
  }
  if (pipArgs.includes('--no-cache-dir')) {
    throw invalid('pipInstallArgs', '--no-cache-dir', 'pip\'s cache is a BuildKit cache mount that never reaches the image; "--no-cache-dir" only makes rebuilds slower. Remove it');
  }
  const command = stringList('command', options.command ?? ['python', 'main.py']);
  if (command.length === 0) throw invalid('command', command, 'must be a non-empty list, e.g. ["python", "main.py"] or ["gunicorn", "api:app"]');
  command.forEach(c => noControlCharacters('command', c));
  const installStrategy = options.installStrategy ?? PythonInstallStrategy.TARGET;
  if (!Object.values(PythonInstallStrategy).includes(installStrategy)) {
    throw invalid('installStrategy', installStrategy, 'must be PythonInstallStrategy.TARGET or PythonInstallStrategy.CROSS_WHEELS');
  }
  const buildPackages = stringList('buildPackages', options.buildPackages ?? []).map(p => debianPackage('buildPackages', p));
  const runtimePackages = stringList('runtimePackages', options.runtimePackages ?? []).map(p => debianPackage('runtimePackages', p));
  noRepeats('buildPackages', buildPackages);
  noRepeats('runtimePackages', runtimePackages);
  for (const [option, packages] of [['buildPackages', buildPackages], ['runtimePackages', runtimePackages]] as const) {
    if (packages.length && /alpine/.test(options.baseImage ?? '')) {
      throw invalid(option, packages, `are installed with apt-get, which baseImage "${options.baseImage}" (Alpine) does not have: use a Debian-based image such as python:3.12-slim-bookworm`);
    }
  }
  if (installStrategy === PythonInstallStrategy.CROSS_WHEELS) {
    if (buildPackages.length) {
      throw invalid('buildPackages', buildPackages, 'CROSS_WHEELS installs wheels only and compiles nothing, so build packages would never be used: drop them, or build from source with installStrategy PythonInstallStrategy.TARGET');
    }
    if (service.platforms) checkWheelPlatforms('installStrategy', service.platforms);
    // musllinux wheels would need a ladder of their own, and the runtime shares the builder's base
    if (options.baseImage !== undefined && isAlpine(options.baseImage)) {
      throw invalid('baseImage', options.baseImage, 'is Alpine (musl), and CROSS_WHEELS installs manylinux (glibc) wheels only: use a Debian-based image such as python:3.12-slim-bookworm, or installStrategy PythonInstallStrategy.TARGET, which installs musllinux wheels or builds from source on the target platform');
    }
  }
  const glibcVersion = options.glibcVersion;
  if (glibcVersion !== undefined) {
    noControlCharacters('glibcVersion', glibcVersion);
    if (!/^2\.[0-9]{1,2}$/.test(glibcVersion)) throw invalid('glibcVersion', glibcVersion, 'must be a glibc version such as "2.36" (Debian bookworm) or "2.41" (trixie)');
    if (/alpine/.test(options.baseImage ?? '')) throw invalid('glibcVersion', glibcVersion, `does not apply to baseImage "${options.baseImage}": Alpine has musl, not glibc (its wheels are musllinux_1_2); leave glibcVersion out`);
    if (installStrategy !== PythonInstallStrategy.CROSS_WHEELS) throw invalid('glibcVersion', glibcVersion, 'chooses the wheels CROSS_WHEELS installs; with TARGET pip picks them on the target platform itself: leave glibcVersion out, or set installStrategy PythonInstallStrategy.CROSS_WHEELS');
    if (glibcMinor(glibcVersion) < OLDEST_GLIBC_MINOR) throw invalid('glibcVersion', glibcVersion, `is older than manylinux2014 (glibc 2.${OLDEST_GLIBC_MINOR}), the oldest base CROSS_WHEELS supports: give the base image's glibc, 2.${OLDEST_GLIBC_MINOR} or newer`);
  }
  const pipEnv: { [name: string]: string } = {};
  if (options.indexUrl !== undefined) pipEnv.PIP_INDEX_URL = indexUrl('indexUrl', options.indexUrl);
  const extraIndexUrls = stringList('extraIndexUrls', options.extraIndexUrls ?? []).map(u => indexUrl('extraIndexUrls', u));
  if (extraIndexUrls.length) pipEnv.PIP_EXTRA_INDEX_URL = extraIndexUrls.join(' ');
  return {
    service,
    props,
    directory,
    pythonVersion,
    installStrategy,
    baseImage: imageReference('baseImage', options.baseImage ?? `python:${pythonVersion}-slim`),
    requirementsFile,
    localPackages: (options.localPackages ?? []).map(p => relativePath('localPackages', p)),
    pipArgs,
    pipEnv,
    glibcVersion,
    buildPackages,
    runtimePackages,
    command,
  };
}

/**
 * `X.Y` from the option or the base image's tag (`python:3.11-slim`, `…/python:3.12.4-bookworm`);
 * when both are given they must agree.
 */
function resolvePythonVersion(option: string | undefined, baseImage: string | undefined, installStrategy: PythonInstallStrategy | undefined): string {
  // only a python image's tag says its Python version (nvidia/cuda:12.4.1-... does not)
  const [repository, tag] = (baseImage?.split('@')[0].split('/').pop() ?? '').split(':');
  const fromTag = repository === 'python' && tag ? /^([0-9]+\.[0-9]+)(\.[0-9]+)?([-.].*)?$/.exec(tag)?.[1] : undefined;
  if (option !== undefined) {
    noControlCharacters('pythonVersion', option);
    const xy = /^([0-9]+\.[0-9]+)(\.[0-9]+)?$/.exec(option)?.[1];
    if (!xy || !PYTHON_VERSIONS.includes(xy)) {
      throw invalid('pythonVersion', option, `must be a supported Python version: ${PYTHON_VERSIONS.join(', ')} (as "X.Y" or "X.Y.Z")`);
    }
    if (fromTag && fromTag !== xy) {
      throw invalid('pythonVersion', option, `does not match baseImage "${baseImage}" (Python ${fromTag}): the venv and CROSS_WHEELS wheels must be for the base image's Python. Set both to one version, or leave pythonVersion out`);
    }
    return xy;
  }
  if (fromTag && !PYTHON_VERSIONS.includes(fromTag)) {
    throw invalid('baseImage', baseImage, `is Python ${fromTag}, which is not supported: use Python ${PYTHON_VERSIONS.join(', ')}`);
  }
  if (!fromTag && baseImage !== undefined && installStrategy === PythonInstallStrategy.CROSS_WHEELS) {
    throw invalid('baseImage', baseImage, 'does not say its Python version in a python:X.Y tag, and CROSS_WHEELS installs wheels for one version: set pythonVersion to the image\'s Python');
  }
  return fromTag || '3.12';
}

/** A Debian package name, optionally `=version`: nothing a shell would read as more than one word. */
function debianPackage(option: string, value: string): string {
  noControlCharacters(option, value);
  if (!/^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/.test(value)) {
    throw invalid(option, value, 'must be a Debian package name as apt-get install takes it ("gcc", "libpq-dev" or "libpq5=15.8-0+deb12u1"): lowercase letters, digits, "+", "-", ".", no spaces or shell characters');
  }
  return value;
}

/** An index URL for pip, without credentials (they are a build secret). */
function indexUrl(option: string, value: string): string {
  noControlCharacters(option, value);
  if (/^[a-z]+:\/\/[^/@]*@/.test(value)) {
    throw invalid(option, value, 'carries credentials, which would be stored in the image history: give them as a build secret, make <target> PIP_NETRC=~/.netrc (or PIP_CONF=pip.conf)');
  }
  if (!/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~/%+-]*)?$/.test(value)) {
    throw invalid(option, value, 'must be an http:// or https:// URL, e.g. "https://pypi.internal.example/simple"');
  }
  return value;
}
