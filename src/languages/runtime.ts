import { ImageMetadata } from '../components/image-metadata';
import { ImageArg, imageBuildArgs } from '../contract/internal';
import { DockerfileStage } from '../dockerfile';

/**
 * Declares the contract's build args that feed labels in a runtime stage, and writes the labels:
 * `ARG NAME=default` for those with a default, then one `ARG` line for the others, the platform
 * ARGs the labels read and `extraArgs` (see ImageMetadata.addTo, which other kinds of services use).
 */
export function addImageMetadata(stage: DockerfileStage, labels: { [key: string]: string }, extraArgs: string[] = []): void {
  ImageMetadata._write(stage, labels, extraArgs);
}

/** The labels of a service's image: title, description, the contract's OCI labels, the platform labels. */
export const imageLabels = ImageMetadata.labels;

/** Declares one contract build arg (with its Dockerfile default) in a stage that uses it. */
export function addContractArg(stage: DockerfileStage, name: string): void {
  const arg: ImageArg | undefined = imageBuildArgs().find(a => a.name === name);
  if (!arg) throw new Error(`"${name}" is not a build arg of the contract`);
  stage.addArg(arg.name, arg.dockerfileDefault);
}

/** The tree a builder stage fills with everything the runtime gets (see ImageMetadata.ROOTFS). */
export const ROOTFS = ImageMetadata.ROOTFS;

/** The time every file in a built layer gets (see ImageMetadata.FILE_TIME). */
export const FILE_TIME = ImageMetadata.FILE_TIME;

/**
 * Sets the time of every file under the tree to a constant, so two builds of one commit write
 * identical layers (the image config and history are dated with SOURCE_DATE_EPOCH by BuildKit).
 * A constant rather than the commit time: BuildKit does not look at file times when it checks a
 * COPY against its cache, so a warm build would keep the times of an earlier commit. Copying the
 * whole tree into the runtime keeps the time of every directory too; a directory that a COPY or
 * WORKDIR creates on its own gets the build time.
 */
export function addNormalizeTimes(stage: DockerfileStage, commands: string[] = [], tree: string = ROOTFS): void {
  stage.addRun({
    comment: 'Reproducible layers: every file time is the same constant, whatever the clone or the clock.',
    commands: [...commands, normalizeTimesCommand(tree)],
  });
}

/** The command of `addNormalizeTimes`, for a step that fills the tree and sets its times at once. */
export const normalizeTimesCommand = ImageMetadata.normalizeTimesCommand;
