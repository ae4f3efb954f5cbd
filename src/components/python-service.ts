import { Project } from 'projen';
import { DockerfileFile, pipelineSyntax, resolveService, ServiceBase, ServiceOptions } from './service';
import { DockerfileModel, Mount } from '../dockerfile';
import { imageReference, invalid, noControlCharacters, relativePath, shellWord, version } from '../validation';

/** Options of a Python service. */
export interface PythonServiceOptions extends ServiceOptions {
  /**
   * The service's directory, used as the build context; the Dockerfile is written there.
   * @default "."
   */
  readonly directory?: string;
  /**
   * Python version of the default base image.
   * @default "3.12"
   */
  readonly pythonVersion?: string;
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
   * Local packages, wheel folders or constraint files that the requirements file refers to,
   * relative to `directory`; they are copied into the builder before the install.
   * @default []
   */
  readonly localPackages?: string[];
  /**
   * Extra `pip install` arguments, e.g. `["--no-index", "--find-links=wheels"]`. `--no-cache-dir`
   * is refused: pip's cache is a cache mount, so it never reaches the image anyway.
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
export class PythonService extends ServiceBase {
  /** The Dockerfile model (escape hatch). */
  public readonly dockerfile: DockerfileModel;
  /** The service directory (build context). */
  public readonly directory: string;
  /** The base image. */
  public readonly baseImage: string;
  /** The requirements file, relative to the directory. */
  public readonly requirementsFile: string;

  constructor(project: Project, name: string, options: PythonServiceOptions = {}) {
    const py = resolvePython(project, name, options);
    super(project, py.service);
    this.directory = py.directory;
    this.baseImage = py.baseImage;
    this.requirementsFile = py.requirementsFile;
    const { localPackages, pipArgs, command } = py;

    this.dockerignore.addPatterns('**/__pycache__', '**/*.py[cod]', '.venv', 'venv', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '**/*.egg-info');
    this.dockerignore.requirePath(this.requirementsFile, this.dockerfilePath);
    localPackages.forEach(p => this.dockerignore.requirePath(p, this.dockerfilePath));

    const model = new DockerfileModel();
    const builder = model.addStage({
      from: this.baseImage,
      name: 'builder',
      comment: 'Dependencies are installed on the target platform, so native wheels match the image architecture (emulated with QEMU when the builder differs).',
    });
    builder.addArgs(['TARGETPLATFORM']);
    builder.addEnv({ PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1' });
    builder.addRun({ commands: ['python -m venv /opt/venv'] });
    builder.addEnv({ VIRTUAL_ENV: '/opt/venv', PATH: '/opt/venv/bin:${PATH}' });
    builder.addWorkdir('/build');
    builder.addCopy({ sources: [this.requirementsFile], destination: `./${this.requirementsFile}` });
    for (const p of localPackages) builder.addCopy({ sources: [p], destination: `./${p}` });
    builder.addRun({
      mounts: [Mount.cache({ target: '/root/.cache/pip' })],
      commands: [
        'echo "installing dependencies for ${TARGETPLATFORM} on $(uname -m)"',
        `pip install${pipArgs.length ? ' ' + pipArgs.join(' ') : ''} -r ${this.requirementsFile}`,
      ],
    });

    const runtime = model.addStage({ from: this.baseImage, comment: 'Runtime: the same base image, so the virtualenv\'s interpreter links resolve.' });
    runtime.addArg('VERSION', 'dev');
    runtime.addArgs(['BUILD_DATE', 'VCS_REF', 'TARGETARCH', 'TARGETPLATFORM']);
    runtime.addLabels(this.standardLabels());
    runtime.addEnv({
      VIRTUAL_ENV: '/opt/venv',
      PATH: '/opt/venv/bin:${PATH}',
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      APP_VERSION: '${VERSION}',
    });
    runtime.addWorkdir('/app');
    // No COPY --link (see GoService): it fails at export on a fresh engine with the containerd store.
    runtime.addCopy({ from: 'builder', sources: ['/opt/venv'], destination: '/opt/venv' });
    runtime.addCopy({ sources: ['.'], destination: '/app', comment: 'Application code, root-owned and read-only for the service user.' });
    runtime.addUser(this.user);
    if (this.port !== undefined) runtime.addExpose(this.port);
    runtime.addCmd(command);
    this.dockerfile = model;
    new DockerfileFile(project, this.dockerfilePath, model, () => pipelineSyntax(project));
  }
}

/** Every PythonService option, validated before anything is created (see resolveService). */
function resolvePython(project: Project, name: string, options: PythonServiceOptions) {
  const directory = relativePath('directory', options.directory ?? '.');
  const service = resolveService(project, name, 'PythonService', {
    ...options,
    context: directory,
    dockerfilePath: directory === '.' ? 'Dockerfile' : `${directory}/Dockerfile`,
  });
  const pythonVersion = version('pythonVersion', options.pythonVersion ?? '3.12');
  const pipArgs = (options.pipInstallArgs ?? []).map(a => shellWord('pipInstallArgs', a));
  const withCredentials = pipArgs.find(a => /:\/\/[^/@]+@/.test(a));
  if (withCredentials) {
    throw invalid('pipInstallArgs', withCredentials, 'carries credentials in a URL, which would be stored in the Dockerfile and the image history. Use a secret mount (service.dockerfile escape hatch, Mount.secret) with pip\'s netrc or keyring support instead');
  }
  if (pipArgs.includes('--no-cache-dir')) {
    throw invalid('pipInstallArgs', '--no-cache-dir', 'pip\'s cache is a BuildKit cache mount that never reaches the image; "--no-cache-dir" only makes rebuilds slower. Remove it');
  }
  const command = options.command ?? ['python', 'main.py'];
  if (command.length === 0) throw invalid('command', command, 'must be a non-empty list, e.g. ["python", "main.py"] or ["gunicorn", "api:app"]');
  command.forEach(c => noControlCharacters('command', c));
  return {
    service,
    directory,
    baseImage: imageReference('baseImage', options.baseImage ?? `python:${pythonVersion}-slim`),
    requirementsFile: relativePath('requirementsFile', options.requirementsFile ?? 'requirements.txt'),
    localPackages: (options.localPackages ?? []).map(p => relativePath('localPackages', p)),
    pipArgs,
    command,
  };
}
