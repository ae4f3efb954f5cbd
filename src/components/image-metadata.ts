import { dockerfileLabels, imageBuildArgs, PLATFORM_LABEL_ARGS } from '../contract/internal';
import { DockerfileStage } from '../dockerfile';

/**
 * What every service's image carries, for a kind of service to write into its runtime stage as the
 * built-in kinds do: the contract's build args and labels, and reproducible file times.
 */
export class ImageMetadata {
  /**
   * The tree a builder stage fills with everything the runtime gets, in one `COPY --from=<builder>
   * /out/rootfs/ /`. In a directory of its own: for the cache key of a COPY from another stage,
   * BuildKit lists the parent directory of the source path in full, and with the tree at the root that
   * parent is the whole builder (a Go toolchain, a Python venv) on every build.
   */
  public static readonly ROOTFS = '/out/rootfs';

  /** The time every file in a built layer gets: a constant, so a layer depends only on its content. */
  public static readonly FILE_TIME = '@0';

  /**
   * Declares the contract's build args that feed labels (`ARG VERSION=dev`, `ARG BUILD_DATE VCS_REF`,
   * the platform ARGs the labels read, and `extraArgs`) in a runtime stage, and writes the labels of a
   * service's image: title, description, the contract's OCI labels (version, created, revision) and
   * the platform labels (`build.architecture`, `build.platform`, `build.multi-arch`).
   * @param stage the runtime stage
   * @param title the image title (the service name, or a build arg such as `${SERVICE}`)
   * @param description the image description, if any
   * @param extraLabels more labels, written with these
   * @param extraArgs more ARGs the labels read
   */
  public static addTo(
    stage: DockerfileStage,
    title: string,
    description?: string,
    extraLabels: { [key: string]: string } = {},
    extraArgs: string[] = [],
  ): void {
    ImageMetadata._write(stage, { ...ImageMetadata.labels(title, description), ...extraLabels }, extraArgs);
  }

  /**
   * @internal
   * `ARG NAME=default` for the label build args with a default, then one `ARG` line for the others,
   * the platform ARGs the labels read and `extraArgs`; then the labels.
   */
  public static _write(stage: DockerfileStage, labels: { [key: string]: string }, extraArgs: string[]): void {
    const args = imageBuildArgs().filter(a => a.label);
    for (const a of args.filter(x => x.dockerfileDefault !== undefined)) stage.addArg(a.name, a.dockerfileDefault);
    stage.addArgs([...args.filter(x => x.dockerfileDefault === undefined).map(x => x.name), ...PLATFORM_LABEL_ARGS, ...extraArgs]);
    stage.addLabels(labels);
  }

  /** The labels of a service's image: title, description, the contract's OCI labels, the platform labels. */
  public static labels(title: string, description?: string): { [key: string]: string } {
    return dockerfileLabels(imageBuildArgs(), title, description);
  }

  /**
   * The command that sets the time of every file under a tree to a constant (`FILE_TIME`), so two
   * builds of one commit write identical layers (BuildKit dates the image config and history with
   * SOURCE_DATE_EPOCH itself).
   * @param tree the tree
   * @default tree ROOTFS
   */
  public static normalizeTimesCommand(tree: string = ImageMetadata.ROOTFS): string {
    return `find ${tree} -exec touch -h -d ${ImageMetadata.FILE_TIME} {} +`;
  }
}
