/**
 * The names of the pipeline's standard Make targets. The Makefile, the reserved service names and
 * the CI providers all use these; a `.projenrc.ts` can find and replace them by name
 * (`MultiArchPipeline.of(project)!.make.replaceTarget({ name: StandardTarget.CI_SIGN, … })`).
 */
export class StandardTarget {
  /** Check that docker and buildx are installed and new enough (every target that runs docker does, first). */
  public static readonly CHECK_TOOLS = 'check-tools';
  /** Check that the files synthesis read have not changed since (every target that builds does, first). */
  public static readonly CHECK_INPUTS = 'check-inputs';
  /** Create or select the buildx builder. */
  public static readonly SETUP_BUILDX = 'setup-buildx';
  /** Build every image for every platform; push when PUSH=true. */
  public static readonly BUILD_MULTIARCH = 'build-multiarch';
  /** Check every pushed index has every platform. */
  public static readonly BUILD_VERIFY = 'build-verify';
  /** Build, push and verify every image. */
  public static readonly BUILD_COMPLETE = 'build-complete';
  /** Write SBOMs of the pushed images. */
  public static readonly BUILD_SBOM = 'build-sbom';
  /** Scan the pushed images. */
  public static readonly BUILD_VULNERABILITY_SCAN = 'build-vulnerability-scan';
  /** Sign the pushed images. */
  public static readonly BUILD_SIGN = 'build-sign';
  /** CI: prepare the builder. */
  public static readonly CI_SETUP = 'ci-setup';
  /** CI: build without pushing. */
  public static readonly CI_BUILD = 'ci-build';
  /** CI: build, push and verify. */
  public static readonly CI_PUSH = 'ci-push';
  /** CI: build and push one platform (a job per native runner). */
  public static readonly CI_PUSH_PLATFORM = 'ci-push-platform';
  /** CI: join the platforms pushed by ci-push-platform into one index per service. */
  public static readonly CI_MERGE = 'ci-merge';
  /** CI: SBOM and scan. */
  public static readonly CI_SECURITY = 'ci-security';
  /** CI: sign. */
  public static readonly CI_SIGN = 'ci-sign';
  /** CI: give the pushed, scanned and signed digests their public tags (the last CI step). */
  public static readonly CI_PUBLISH = 'ci-publish';

  /** Build every image for this machine's platform and load it into the local engine. */
  public static readonly BUILD_LOCAL = 'build-local';

  /** The target that builds one service for this machine and runs it: `run-<service>`. */
  public static runService(serviceName: string): string {
    return `run-${serviceName}`;
  }

  /** The target that builds one service: `build-<service>`. */
  public static buildService(serviceName: string): string {
    return `build-${serviceName}`;
  }

  /** The targets that build or push images (besides `build-<service>`): read-only targets wait for them under `make -j`. */
  public static builds(): string[] {
    return [StandardTarget.BUILD_MULTIARCH, StandardTarget.BUILD_COMPLETE, StandardTarget.CI_BUILD, StandardTarget.CI_PUSH,
      StandardTarget.CI_PUSH_PLATFORM, StandardTarget.CI_MERGE];
  }

  private constructor() {}
}

/** The bake group every service belongs to. */
export const DEFAULT_GROUP = 'default';
/**
 * docker/metadata-action's default bake target. The generated workflows name each service's own target
 * instead (`bake-target: <service>`), so the action's tags and labels win per service; the name stays
 * reserved so that no service can be mistaken for it.
 */
export const METADATA_TARGET = 'docker-metadata-action';

/**
 * Service names whose `build-<name>` target, bake target or group would collide with the pipeline's
 * own: every standard `build-*` target, the bake group and metadata target, and `all`.
 */
export const RESERVED_SERVICE_NAMES = [
  ...[StandardTarget.BUILD_MULTIARCH, StandardTarget.BUILD_COMPLETE, StandardTarget.BUILD_VERIFY, StandardTarget.BUILD_SBOM,
    StandardTarget.BUILD_VULNERABILITY_SCAN, StandardTarget.BUILD_SIGN, StandardTarget.BUILD_LOCAL].map(t => t.slice('build-'.length)),
  DEFAULT_GROUP, METADATA_TARGET, 'all',
];
