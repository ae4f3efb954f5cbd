import { dockerfileLabels, ImageArg, imageBuildArgs, PLATFORM_LABEL_ARGS } from '../contract/internal';
import { DockerfileStage } from '../dockerfile';

/**
 * Declares the contract's build args in a runtime stage and writes the labels they feed:
 * `ARG NAME=default` for those with a default, then one `ARG` line for the others, the platform
 * ARGs the labels read and `extraArgs`.
 */
export function addImageMetadata(stage: DockerfileStage, labels: { [key: string]: string }, extraArgs: string[] = []): void {
  const args = imageBuildArgs();
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
