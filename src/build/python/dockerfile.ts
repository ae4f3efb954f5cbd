import { PipRules } from './rules';
import { InstallStrategy, PythonBuildSettings } from './strategy';
import { DockerfileModel } from '../../dockerfile';
import { addImageMetadata, addNormalizeTimes, ROOTFS } from '../runtime';

const VENV = '/opt/venv';
const APP_DIR = '/app';

/** The runtime side of a Python image. */
export interface PythonRuntimeSettings extends PythonBuildSettings {
  readonly command: string[];
  readonly user: string;
  readonly port?: number;
  readonly labels: { [key: string]: string };
}

/**
 * The Python Dockerfile: the install strategy's stages fill `/opt/venv`; the runtime, on the same
 * base image, copies it at the same path (the venv's interpreter links resolve) and the application
 * code, root-owned, and runs as a numeric non-root user.
 */
export function pythonDockerfile(py: PythonRuntimeSettings, strategy: InstallStrategy): DockerfileModel {
  const model = new DockerfileModel();
  model.addRule(new PipRules());
  strategy.addInstallStages(model, py);
  const builder = model.tryFindStage('builder')!;
  builder.addCopy({ sources: ['.'], destination: `${ROOTFS}${APP_DIR}`, comment: 'Application code, root-owned and read-only for the service user.' });
  addNormalizeTimes(builder, [`mkdir -p ${ROOTFS}/opt`, `cp -a ${VENV} ${ROOTFS}${VENV}`]);
  const runtime = model.addStage({ from: py.baseImage, comment: 'Runtime: the same base image, so the virtualenv\'s interpreter links resolve.' });
  addImageMetadata(runtime, py.labels);
  runtime.addEnv({
    VIRTUAL_ENV: '/opt/venv',
    PATH: '/opt/venv/bin:${PATH}',
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    APP_VERSION: '${VERSION}',
  });
  // No COPY --link (see the Go Dockerfile): it fails at export on a fresh engine with the containerd store.
  runtime.addCopy({ from: 'builder', sources: [`${ROOTFS}/`], destination: '/', comment: `The venv at ${VENV} (its interpreter links need the same path) and the application in ${APP_DIR}.` });
  // after the copy, so WORKDIR creates no directory (it would carry the build time)
  runtime.addWorkdir(APP_DIR);
  runtime.addUser(py.user);
  if (py.port !== undefined) runtime.addExpose(py.port);
  runtime.addCmd(py.command);
  return model;
}
