import { dockerfileLabels, ImageArg, imageBuildArgs, PLATFORM_LABEL_ARGS } from '../contract/internal';
import { DockerfileStage } from '../dockerfile';

/**
 * Declares the contract's build args that feed labels in a runtime stage, and writes the labels:
 * `ARG NAME=default` for those with a default, then one `ARG` line for the others, the platform
 * ARGs the labels read and `extraArgs`.
 */
export function addImageMetadata(stage: DockerfileStage, labels: { [key: string]: string }, extraArgs: string[] = []): void {
  const args = imageBuildArgs().filter(a => a.label);
  for (const a of args.filter(x => x.dockerfileDefault !== undefined)) stage.addArg(a.name, a.dockerfileDefault);
  stage.addArgs([...args.filter(x => x.dockerfileDefault === undefined).map(x => x.name), ...PLATFORM_LABEL_ARGS, ...extraArgs]);
  stage.addLabels(labels);
}

/** The labels of a service's image: title, description, the contract's OCI labels, the platform labels. */
export function imageLabels(title: string, description?: string): { [key: string]: string } {
  return dockerfileLabels(imageBuildArgs(), title, description);
}

/** Declares one contract build arg (with its Dockerfile default) in a stage that uses it. */
export function addContractArg(stage: DockerfileStage, name: string): void {
  const arg: ImageArg | undefined = imageBuildArgs().find(a => a.name === name);
  if (!arg) throw new Error(`"${name}" is not a build arg of the contract`);
  stage.addArg(arg.name, arg.dockerfileDefault);
}

/**
 * The tree a builder stage fills with everything the runtime gets, in one `COPY --from=builder
 * /out/rootfs/ /`. In a directory of its own: for the cache key of a COPY from another stage,
 * BuildKit lists the parent directory of the source path in full, and with the tree at the root that
 * parent is the whole builder (a Go toolchain, a Python venv) on every build.
 */
export const ROOTFS = '/out/rootfs';

/** The time every file in a built layer gets: a constant, so a layer depends only on its content. */
export const FILE_TIME = '@0';

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
export function normalizeTimesCommand(tree: string = ROOTFS): string {
  return `find ${tree} -exec touch -h -d ${FILE_TIME} {} +`;
}
