import { DockerfileModel, Mount } from '../../dockerfile';

/** Set for a command, it makes py_compile write checked-hash .pyc files instead of timestamped ones. */
export const HASH_PYCS = 'SOURCE_DATE_EPOCH=0';

/** What a Python install strategy builds from: the service's resolved settings. */
export interface PythonBuildSettings {
  readonly baseImage: string;
  readonly requirementsFile: string;
  readonly localPackages: string[];
  readonly pipArgs: string[];
}

/**
 * How a Python service's dependencies get into `/opt/venv` of a stage named `builder`. The
 * Dockerfile then puts the venv and the application under the builder's `/rootfs`, which the
 * runtime copies. Each strategy is one implementation of this seam.
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
    builder.addRun({
      comment: `${HASH_PYCS} makes Python write hash-based .pyc files, which hold no time (any value does; a constant keeps this layer cached).`,
      commands: [`${HASH_PYCS} python -m venv /opt/venv`],
    });
    builder.addEnv({ VIRTUAL_ENV: '/opt/venv', PATH: '/opt/venv/bin:${PATH}' });
    builder.addWorkdir('/build');
    builder.addCopy({ sources: [py.requirementsFile], destination: `./${py.requirementsFile}` });
    for (const p of py.localPackages) builder.addCopy({ sources: [p], destination: `./${p}` });
    builder.addRun({
      mounts: [Mount.cache({ target: '/root/.cache/pip' })],
      commands: [
        'echo "installing dependencies for ${TARGETPLATFORM} on $(uname -m)"',
        `${HASH_PYCS} pip install${py.pipArgs.length ? ' ' + py.pipArgs.join(' ') : ''} -r ${py.requirementsFile}`,
      ],
    });
  }
}
