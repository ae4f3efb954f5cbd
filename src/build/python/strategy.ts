import { DockerfileModel, Mount } from '../../dockerfile';

/** What a Python install strategy builds from: the service's resolved settings. */
export interface PythonBuildSettings {
  readonly baseImage: string;
  readonly requirementsFile: string;
  readonly localPackages: string[];
  readonly pipArgs: string[];
}

/**
 * How a Python service's dependencies get into `/opt/venv` of a stage named `builder`, which the
 * runtime copies from. Each strategy is one implementation of this seam.
 */
export interface InstallStrategy {
  /** Adds the stages that leave the dependencies in `/opt/venv` of stage `builder`. */
  addInstallStages(model: DockerfileModel, py: PythonBuildSettings): void;
}

/**
 * Installs on the target platform (under QEMU when the builder is another architecture), so native
 * wheels and extensions always match the image's architecture.
 */
export class TargetInstall implements InstallStrategy {
  public addInstallStages(model: DockerfileModel, py: PythonBuildSettings): void {
    const builder = model.addStage({
      from: py.baseImage,
      name: 'builder',
      comment: 'Dependencies are installed on the target platform, so native wheels match the image architecture (emulated with QEMU when the builder differs).',
    });
    builder.addArgs(['TARGETPLATFORM']);
    builder.addEnv({ PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1' });
    builder.addRun({ commands: ['python -m venv /opt/venv'] });
    builder.addEnv({ VIRTUAL_ENV: '/opt/venv', PATH: '/opt/venv/bin:${PATH}' });
    builder.addWorkdir('/build');
    builder.addCopy({ sources: [py.requirementsFile], destination: `./${py.requirementsFile}` });
    for (const p of py.localPackages) builder.addCopy({ sources: [p], destination: `./${p}` });
    builder.addRun({
      mounts: [Mount.cache({ target: '/root/.cache/pip' })],
      commands: [
        'echo "installing dependencies for ${TARGETPLATFORM} on $(uname -m)"',
        `pip install${py.pipArgs.length ? ' ' + py.pipArgs.join(' ') : ''} -r ${py.requirementsFile}`,
      ],
    });
  }
}
