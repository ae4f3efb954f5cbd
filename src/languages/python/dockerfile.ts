import { PipRules } from './rules';
import { addRuntimeUser, aptMounts, HOME, InstallStrategy, PythonBuildSettings, VENV } from './strategy';
import { DockerfileModel, DockerfileStage } from '../../dockerfile';
import { addImageMetadata, addNormalizeTimes, FILE_TIME, ROOTFS } from '../runtime';

/** Where the application is in the image. */
export const APP_DIR = '/app';
/** The stage the runtime is built from when it installs packages of its own. */
const BASE_STAGE = 'base';

/** The runtime side of a Python image. */
export interface PythonRuntimeSettings extends Omit<PythonBuildSettings, 'accountsStage'> {
  readonly command: string[];
  readonly port?: number;
  readonly labels: { [key: string]: string };
  /** Debian packages the application needs at run time (shared libraries). */
  readonly runtimePackages: string[];
}

/**
 * The Python Dockerfile: the install strategy's stages fill `/opt/venv`; the runtime, on the same
 * base image, copies it at the same path (the venv's interpreter links resolve), the application
 * code (root-owned, so read-only for the service) and the service user's passwd entry and home,
 * and runs as that numeric non-root user. Build packages, pip and its caches, and the local
 * packages that were only installed stay out of the runtime.
 */
export function pythonDockerfile(py: PythonRuntimeSettings, strategy: InstallStrategy): DockerfileModel {
  const model = new DockerfileModel();
  model.addRule(new PipRules());
  if (py.runtimePackages.length) addRuntimeBase(model, py);
  const settings = { ...py, accountsStage: py.runtimePackages.length ? BASE_STAGE : undefined };
  strategy.addInstallStages(model, settings);
  const builder = model.tryFindStage('builder')!;
  // after the install, so that it runs while the runtime's packages install (it reads their accounts)
  addRuntimeUser(builder, settings);
  builder.addCopy({ sources: ['.'], destination: `${ROOTFS}${APP_DIR}`, comment: 'Application code, root-owned and read-only for the service user.' });
  const installedOnly = py.localPackages.map(p => `${ROOTFS}${APP_DIR}/${p}`);
  addNormalizeTimes(builder, [
    ...(installedOnly.length ? [`rm -rf ${installedOnly.join(' ')}`] : []),
    `chmod -R go-w ${ROOTFS}${APP_DIR}`,
    `mkdir -p ${ROOTFS}/opt`,
    `cp -a ${VENV} ${ROOTFS}${VENV}`,
  ]);
  const runtime = model.addStage({
    from: py.runtimePackages.length ? BASE_STAGE : py.baseImage,
    comment: 'Runtime: the same base image, so the virtualenv\'s interpreter links resolve.',
  });
  addImageMetadata(runtime, py.labels);
  runtime.addEnv({
    VIRTUAL_ENV: VENV,
    PATH: `${VENV}/bin:\${PATH}`,
    HOME,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    APP_VERSION: '${VERSION}',
  });
  // No COPY --link (see the Go Dockerfile): it fails at export on a fresh engine with the containerd store.
  runtime.addCopy({ from: 'builder', sources: [`${ROOTFS}/`], destination: '/', comment: `The venv at ${VENV} (its interpreter links need the same path), the application in ${APP_DIR}, the user's passwd entry and ${HOME}.` });
  // after the copy, so WORKDIR creates no directory (it would carry the build time)
  runtime.addWorkdir(APP_DIR);
  runtime.addUser(py.user);
  if (py.port !== undefined) runtime.addExpose(py.port);
  runtime.addCmd(py.command);
  return model;
}

/**
 * The runtime's own packages (runtimePackages), on the target platform, before the service user
 * exists. apt's lists and downloads are cache mounts and its logs are removed, so the layer holds
 * the packages only; the files apt changed get the constant time, so the layer is reproducible
 * while the mirror serves the same versions.
 */
function addRuntimeBase(model: DockerfileModel, py: PythonRuntimeSettings): DockerfileStage {
  const base = model.addStage({ from: py.baseImage, name: BASE_STAGE, comment: 'Runtime packages (runtimePackages), installed on the target platform.' });
  const marker = '/tmp/.apt-start';
  base.addRun({
    mounts: aptMounts(),
    commands: [
      `touch ${marker}`,
      `apt-get update && apt-get install -y --no-install-recommends ${py.runtimePackages.join(' ')}`,
      'rm -rf /var/log/apt /var/log/dpkg.log /var/log/alternatives.log /var/cache/ldconfig/aux-cache /var/cache/debconf/*-old /var/lib/dpkg/*-old',
      `find /etc /usr /var -xdev \\( -path /etc/hosts -o -path /etc/hostname -o -path /etc/resolv.conf \\) -prune -o -newer ${marker} -exec touch -h -d ${FILE_TIME} {} +`,
      `rm ${marker}`,
      `touch -d ${FILE_TIME} /tmp`,
    ],
  });
  return base;
}
