import { PipRules } from './rules';
import { addRuntimeUser, aptMounts, HOME, InstallStrategy, PythonBuildSettings, VENV } from './strategy';
import { DockerfileModel, DockerfileStage } from '../../dockerfile';
import { addImageMetadata, addNormalizeTimes, FILE_TIME, normalizeTimesCommand, ROOTFS } from '../runtime';

/** Where the application is in the image. */
export const APP_DIR = '/app';
/** The stage that compiles the application, apart from the dependencies (and copies the service's `files`). */
export const APP_STAGE = 'app';
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
 * base image, copies it at the same path (the venv's interpreter links resolve) with the service
 * user's passwd entry and home, then in a layer of its own the application code (root-owned, so
 * read-only for the service) and its bytecode, and runs as that numeric non-root user. The two
 * layers follow their change rates: a code-only commit ships a new application layer and reuses the
 * dependencies' layer digest for digest. Build packages, pip and its caches, and the local packages
 * that were only installed stay out of the runtime.
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
  addNormalizeTimes(builder, [`mkdir -p ${ROOTFS}/opt`, `cp -a ${VENV} ${ROOTFS}${VENV}`]);
  addAppStage(model, py);
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
  runtime.addCopy({ from: 'builder', sources: [`${ROOTFS}/`], destination: '/', comment: `The dependencies' layer: the venv at ${VENV} (its interpreter links need the same path), the user's passwd entry and ${HOME}. A code-only commit reuses it.` });
  runtime.addCopy({ from: APP_STAGE, sources: [`${ROOTFS}/`], destination: '/', comment: `The application's layer: ${APP_DIR} and its bytecode.` });
  // after the copy, so WORKDIR creates no directory (it would carry the build time)
  runtime.addWorkdir(APP_DIR);
  runtime.addUser(py.user);
  if (py.port !== undefined) runtime.addExpose(py.port);
  runtime.addCmd(py.command);
  return model;
}

/**
 * The application and its bytecode, in a stage of its own on the build platform (bytecode is the
 * same for every architecture): a code edit re-runs this stage only, never the install. The .pyc
 * files are checked-hash: they hold no time (reproducible), Python uses them under a read-only
 * /app without writing, and an edited source (a volume over /app) is still noticed, at the cost
 * of hashing each source when it is imported. `-d` compiles in the runtime's paths. The modes are
 * set outright (`u=rwX,go=rX`), so the layer is the same whatever umask the checkout had.
 */
function addAppStage(model: DockerfileModel, py: PythonRuntimeSettings): void {
  const app = model.addStage({
    from: py.baseImage,
    name: APP_STAGE,
    platform: '$BUILDPLATFORM',
    comment: 'Application code and its bytecode, apart from the dependencies: a code edit rebuilds this stage only.',
  });
  const tree = `${ROOTFS}${APP_DIR}`;
  app.addCopy({ sources: ['.'], destination: tree });
  const installedOnly = py.localPackages.map(p => `${tree}/${p}`);
  app.addRun({
    comment: `Bytecode now, so the service imports it from a read-only ${APP_DIR} and compiles nothing at start (checked-hash: no time inside, checked against the source).`,
    commands: [
      ...(installedOnly.length ? [`rm -rf ${installedOnly.join(' ')}`] : []),
      `python -m compileall -q --invalidation-mode checked-hash -d ${APP_DIR} ${tree}`,
    ],
  });
  app.addRun({
    comment: `Reproducible layers, whatever the clone's umask or the clock: ${APP_DIR} is readable by all and writable by root only, and every file time is the same constant.`,
    // set, not removed: a checkout made with umask 077 has 0600 files, which go-w would leave unreadable to the service
    commands: [`chmod -R u=rwX,go=rX ${tree}`, normalizeTimesCommand()],
  });
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
