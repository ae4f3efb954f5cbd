import { Project } from 'projen';
import { addDockerfile } from './dockerfile-file';
import { MultiArchPipeline } from './pipeline';
import { resolveService, ServiceBase, ServiceOptions } from './service';
import { pythonDockerfile } from '../build/python/dockerfile';
import { TargetInstall } from '../build/python/strategy';
import { imageLabels } from '../build/runtime';
import { DockerfileModel } from '../dockerfile';
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

    this.dockerignore.addPatterns('venv', '**/*.egg-info');
    this.dockerignore.requirePath(this.requirementsFile, this.dockerfilePath);
    localPackages.forEach(p => this.dockerignore.requirePath(p, this.dockerfilePath));

    this.dockerfile = pythonDockerfile({
      baseImage: this.baseImage,
      requirementsFile: this.requirementsFile,
      localPackages,
      pipArgs,
      command,
      user: this.user,
      port: this.port,
      labels: imageLabels(this.name, this.description),
    }, new TargetInstall());
    addDockerfile(project, this.dockerfilePath, this.dockerfile);
    MultiArchPipeline._ensure(project)._sync();
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
