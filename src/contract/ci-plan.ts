import { IBuildPipeline } from './pipeline';
import { StandardTarget } from './targets';
import { BuildVariable, CiValue, METADATA_DIR, SBOM_DIR } from './variables';
import { invalid } from '../validation';

/** When a CI job runs. */
export enum CiTrigger {
  /** A pull or merge request: build only, no secrets, no push, the cache read but not written. */
  CHANGE_REQUEST = 'change-request',
  /** A push to a release branch or tag: push, scan, sign, publish. */
  RELEASE = 'release',
}

/** What one job hands to the jobs after it. */
export interface CiArtifact {
  /** The artifact's name (a platform job suffixes it with its platform). */
  readonly name: string;
  /** Where it lives in the checkout: a directory, or a glob for per-platform files. */
  readonly path: string;
}

/** The files the Make targets leave for later jobs, declared once. */
export const CI_ARTIFACTS = {
  /** What `ci-push-platform` pushed, one bake metadata file per platform; `ci-merge` reads them all. */
  platformMetadata: { name: 'metadata', path: `${METADATA_DIR}/platform-*.json` },
  /** The digest each service was pushed as (`<repository>@sha256:…`), which every later job reads. */
  digests: { name: 'digests', path: `${METADATA_DIR}/digests` },
  /** The SBOMs of `build-sbom`, which `build-sign` attests. */
  sbom: { name: 'sbom', path: SBOM_DIR },
};

/** A tool a job installs before its Make target. */
export type CiTool = 'syft' | 'grype' | 'cosign';

/** Access to the registry. */
export enum RegistryAccess {
  /** Pulls and inspects. */
  READ = 'read',
  /** Pushes images, signatures or tags. */
  WRITE = 'write',
}

/** One job of the plan: one Make target. Each provider maps the plan to its own YAML. */
export interface CiJob {
  /** The job's id, the same in every provider. */
  readonly id: string;
  /** One line for the job's name. */
  readonly description: string;
  /** The Make target it runs. */
  readonly target: string;
  /** When it runs. */
  readonly trigger: CiTrigger;
  /** The jobs it waits for. */
  readonly needs: string[];
  /** One job per platform, each on a runner of that architecture (PLATFORM and PLATFORMS set to it). */
  readonly perPlatform: boolean;
  /**
   * It builds: a buildx builder, QEMU where a service needs it, the registry cache. Jobs that only
   * read the bake file (`bake --print`) and talk to the registry (`imagetools`) need no builder.
   */
  readonly builds: boolean;
  /** Its registry access, if any (change requests log in to nothing). */
  readonly registry?: RegistryAccess;
  /** It needs the run's image tags and VERSION (docker/metadata-action, or the ref). */
  readonly tags: boolean;
  /** It signs keylessly: an OIDC identity. */
  readonly signs: boolean;
  /** Tools to install first. */
  readonly tools: CiTool[];
  /** Artifacts of earlier jobs it reads. */
  readonly downloads: CiArtifact[];
  /** Artifacts it leaves for later jobs. */
  readonly uploads: CiArtifact[];
  /** The contract variables it sets, and where each value comes from. */
  readonly values: { [variable: string]: CiValue };
  /** The secret-file variables it sets from the CI system's secrets (a build's private-dependency credentials). */
  readonly secretFiles: string[];
}

/** How a provider runs the plan. */
export interface CiPlanOptions {
  /** One push job per platform on native runners, then a merge (else one job for every platform). */
  readonly perPlatform: boolean;
  /** SBOM and vulnerability scan. */
  readonly scan: boolean;
  /** Signing. */
  readonly sign: boolean;
  /**
   * The secret-file variables (`secretFile` in the contract) the pipeline's builds read, e.g. GO_NETRC
   * when a Go service fetches private modules. Release builds get them; a change request gets no
   * secret (its code is not yet trusted), and takes private dependencies from the registry cache.
   */
  readonly secretFiles: string[];
}

/**
 * The CI plan, from the contract: a change request builds; a release pushes by digest, merges (per
 * platform), scans, signs, and publishes the tags last, so nothing public was not scanned and signed.
 */
export function ciPlan(variables: BuildVariable[], o: CiPlanOptions): CiJob[] {
  const values = (...kinds: CiValue[]) => Object.fromEntries(variables
    .filter(v => v.ciValue && kinds.includes(v.ciValue))
    .map(v => [v.name, v.ciValue!]));
  const always = [CiValue.REGISTRY, CiValue.COMMIT_SHA];
  const pushed = o.perPlatform ? 'merge' : 'push';
  const checked = [pushed, ...(o.scan ? ['security'] : [])];
  const jobs: CiJob[] = [
    job('pull-request', StandardTarget.CI_BUILD, 'build, no push, cache read only', {
      trigger: CiTrigger.CHANGE_REQUEST,
      perPlatform: o.perPlatform,
      builds: true,
      values: values(...always, CiValue.IMAGE_VERSION),
    }),
    job('push', o.perPlatform ? StandardTarget.CI_PUSH_PLATFORM : StandardTarget.CI_PUSH, 'build and push by digest', {
      perPlatform: o.perPlatform,
      builds: true,
      secretFiles: o.secretFiles,
      registry: RegistryAccess.WRITE,
      tags: true,
      uploads: [o.perPlatform ? CI_ARTIFACTS.platformMetadata : CI_ARTIFACTS.digests],
      values: values(...always, CiValue.IMAGE_VERSION),
    }),
  ];
  if (o.perPlatform) {
    jobs.push(job('merge', StandardTarget.CI_MERGE, 'join the platforms into one index per service', {
      needs: ['push'],
      registry: RegistryAccess.WRITE,
      tags: true,
      downloads: [CI_ARTIFACTS.platformMetadata],
      uploads: [CI_ARTIFACTS.digests],
      values: values(...always, CiValue.IMAGE_VERSION),
    }));
  }
  if (o.scan) {
    jobs.push(job('security', StandardTarget.CI_SECURITY, 'SBOM and vulnerability scan of the pushed digests', {
      needs: [pushed],
      registry: RegistryAccess.READ,
      tools: ['syft', 'grype'],
      downloads: [CI_ARTIFACTS.digests],
      uploads: [CI_ARTIFACTS.sbom],
      values: values(...always),
    }));
  }
  if (o.sign) {
    jobs.push(job('sign', StandardTarget.CI_SIGN, 'sign the pushed digests and attest their SBOMs', {
      needs: checked,
      registry: RegistryAccess.WRITE,
      signs: true,
      tools: ['cosign'],
      downloads: [CI_ARTIFACTS.digests, ...(o.scan ? [CI_ARTIFACTS.sbom] : [])],
      values: values(...always),
    }));
  }
  jobs.push(job('publish', StandardTarget.CI_PUBLISH, 'tag the scanned and signed digests', {
    needs: [...checked, ...(o.sign ? ['sign'] : [])],
    registry: RegistryAccess.WRITE,
    tags: true,
    downloads: [CI_ARTIFACTS.digests],
    values: values(...always, CiValue.IMAGE_VERSION),
  }));
  return jobs;
}

/** A job of the plan: a release job that builds nothing, unless `rest` says otherwise. */
function job(id: string, target: string, description: string, rest: Partial<CiJob>): CiJob {
  return {
    id,
    target,
    description,
    trigger: CiTrigger.RELEASE,
    needs: [],
    perPlatform: false,
    builds: false,
    tags: false,
    signs: false,
    tools: [],
    downloads: [],
    uploads: [],
    values: {},
    secretFiles: [],
    ...rest,
  };
}

/** The secret-file variables the pipeline's bake targets read (a secret passed only when its variable is set). */
export function usedSecretFiles(pipeline: IBuildPipeline): string[] {
  return pipeline.variables.filter(v => v.secretFile).map(v => v.name);
}

/** The registry cache CI uses: the provider's option, else the pipeline's, else `<registry>/cache`. */
export function ciCacheRegistry(pipeline: IBuildPipeline, option?: string): string {
  return option ?? (pipeline.cacheRegistry || `${pipeline.registry}/cache`);
}

/** CI pushes from hosted runners: a registry on this machine cannot be where it pushes. */
export function refuseLocalRegistry(provider: string, service: string, registry: string, example: string): void {
  if (/^(localhost|127\.|\[::1\])/.test(registry)) {
    throw invalid('MultiArchPipeline registry', registry, `is local: ${provider} pushes from ${service}'s runners, so set the pipeline's registry to where CI pushes, e.g. "${example}"`);
  }
}
