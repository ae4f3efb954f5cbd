import { gitlab } from 'projen';
import { refuseForeignFile } from '../../components/generated-file';
import { IBuildPipeline } from '../../contract';
import { BINFMT_IMAGE, ciCacheRegistry, CiJob, ciPlan, CiTrigger, CiValue, refuseLocalRegistry } from '../../contract/internal';
import { flag, imageReference, invalid, noControlCharacters, registry as checkRegistry } from '../../validation';
import { DeferredJobs } from '../deferred-jobs';
import { ICiProvider } from '../provider';

/** Where GitLab CI's BuildKit runs. */
export enum GitLabBuilder {
  /**
   * Docker-in-docker: a `docker:dind` service, a docker-container builder in it, and QEMU for the
   * platforms that need emulation.
   */
  DOCKER_IN_DOCKER = 'docker-in-docker',
  /**
   * A Kubernetes runner and buildx's kubernetes driver: BuildKit pods, one per platform, on nodes of
   * that architecture (native arm64 nodes instead of QEMU). The runner's service account needs to
   * create deployments in `kubernetesNamespace`.
   */
  KUBERNETES = 'kubernetes',
}

/** Options of the GitLab CI pipeline. */
export interface GitLabCiOptions {
  /**
   * Where BuildKit runs.
   * @default GitLabBuilder.DOCKER_IN_DOCKER
   */
  readonly builder?: GitLabBuilder;
  /**
   * The image of the build jobs: a docker CLI with buildx (make, bash, git and jq are added with apk).
   * @default - docker:28.5.2-cli, pinned by digest (GITLAB_IMAGES)
   */
  readonly dockerImage?: string;
  /**
   * The docker-in-docker service image.
   * @default - docker:28.5.2-dind, pinned by digest (GITLAB_IMAGES)
   */
  readonly dindImage?: string;
  /**
   * The image of the scan, sign and publish jobs (Alpine: syft, grype and cosign come from apk).
   * @default - alpine:3.22.2, pinned by digest (GITLAB_IMAGES)
   */
  readonly toolsImage?: string;
  /**
   * The image that registers QEMU on the docker-in-docker engine (privileged), when a service runs
   * commands on the target platform.
   * @default - tonistiigi/binfmt:qemu-v10.2.3-68, pinned by digest (GITLAB_IMAGES)
   */
  readonly binfmtImage?: string;
  /**
   * The `timeout` of every job: a hung build or push stops there instead of at the project's limit.
   * @default "1h"
   */
  readonly timeout?: string;
  /**
   * The Kubernetes namespace of the BuildKit pods (kubernetes builder).
   * @default "buildkit"
   */
  readonly kubernetesNamespace?: string;
  /**
   * The registry cache (`CACHE_REGISTRY`): protected pushes read and write it, merge requests only read it.
   * Empty turns it off.
   * @default - the pipeline's cacheRegistry, or "<registry>/cache"
   */
  readonly cacheRegistry?: string;
  /**
   * SBOMs (syft) and a vulnerability scan (grype) of the pushed images.
   * @default true
   */
  readonly scan?: boolean;
  /**
   * Keyless cosign signing (GitLab's OIDC token) of the pushed indexes, with the SBOMs attached.
   * @default true
   */
  readonly sign?: boolean;
}

/** Pushes, scans and signs happen on protected refs only: unprotected branches and merge requests cannot push. */
const PROTECTED = '$CI_COMMIT_REF_PROTECTED == "true" && $CI_PIPELINE_SOURCE != "merge_request_event"';

/**
 * The images the pipeline runs by default, pinned by digest: the build jobs hold the push
 * credentials, and the binfmt one runs privileged. A tag can be moved; a digest cannot. Override
 * each with its option (`dockerImage`, `dindImage`, `toolsImage`, `binfmtImage`).
 */
export const GITLAB_IMAGES = {
  docker: 'docker:28.5.2-cli@sha256:625d9431a9f54c5a2bc90f24f0e1c3d55b1349fd857dd85035f98c2c9acbdd4d',
  dind: 'docker:28.5.2-dind@sha256:2a232a42256f70d78e3cc5d2b5d6b3276710a0de0596c145f627ecfae90282ac',
  tools: 'alpine:3.22.2@sha256:4b7ce07002c69e8f3d704a9c5d6fd3053be500b7f1c69fc0d80990c2ad8dd412',
  binfmt: BINFMT_IMAGE,
};

/**
 * `.gitlab-ci.yml` for the pipeline, through projen's GitLab configuration: merge requests build
 * every service for every platform without pushing or writing the cache; protected branches and
 * tags push, scan and sign. Every build step is a target of the generated Makefile.
 */
export class GitLabCi implements ICiProvider {
  private readonly options: GitLabCiOptions;
  private _configuration?: gitlab.GitlabConfiguration;
  private deferred?: DeferredJobs<gitlab.Job>;

  constructor(options: GitLabCiOptions = {}) {
    if (options.builder !== undefined && !Object.values(GitLabBuilder).includes(options.builder)) {
      throw invalid('builder', options.builder, `use one of ${Object.values(GitLabBuilder).join(', ')}`);
    }
    for (const key of ['dockerImage', 'dindImage', 'toolsImage', 'binfmtImage'] as const) {
      if (options[key] !== undefined) imageReference(key, options[key]!);
    }
    if (options.timeout !== undefined && !/^[1-9][0-9]*\s*(m|min|minutes?|h|hours?)$/.test(noControlCharacters('timeout', options.timeout))) {
      throw invalid('timeout', options.timeout, 'must be a duration GitLab reads, in minutes or hours, e.g. "45m" or "2h"');
    }
    if (options.kubernetesNamespace !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(noControlCharacters('kubernetesNamespace', options.kubernetesNamespace))) {
      throw invalid('kubernetesNamespace', options.kubernetesNamespace, 'must be a Kubernetes namespace name: 1-63 lowercase letters, digits and "-"');
    }
    if (options.kubernetesNamespace !== undefined && options.builder !== GitLabBuilder.KUBERNETES) {
      throw invalid('kubernetesNamespace', options.kubernetesNamespace, 'applies to builder GitLabBuilder.KUBERNETES only: set builder, or leave kubernetesNamespace out');
    }
    flag('scan', options.scan);
    flag('sign', options.sign);
    if (options.cacheRegistry !== undefined && options.cacheRegistry !== '') checkRegistry('cacheRegistry', options.cacheRegistry);
    this.options = options;
  }

  public bind(pipeline: IBuildPipeline): void {
    refuseLocalRegistry('GitLabCi', 'GitLab', pipeline.registry, 'registry.gitlab.com/<group>/<project>');
    refuseForeignFile(pipeline.project, '.gitlab-ci.yml', 'GitLab reads its one root file, which no option moves: move your jobs into a file of their own, include it from .projenrc.ts (gitLabCi.configuration.addIncludes({ local: \'ci/jobs.yml\' })), then remove yours.');
    const config = new gitlab.GitlabConfiguration(pipeline.project, {
      stages: ['build', 'push', 'security', 'sign', 'publish'],
      variables: this.variables(pipeline),
    });
    this._configuration = config;
    // the jobs are written when the configuration's jobs are next read (by .projenrc.ts, or the file)
    const jobs = config.jobs;
    this.deferred = new DeferredJobs<gitlab.Job>({
      get: name => jobs[name],
      add: (name, job) => config.addJobs({ [name]: job }),
      replace: (name, job) => { jobs[name] = job; },
    }, p => this._jobs(p));
    this.deferred.writeBeforeReading(config, 'jobs');
  }

  /**
   * The jobs for the pipeline's services so far, as the configuration's jobs are next read: a job
   * this provider wrote is replaced; one that is not in the configuration yet is added; one
   * `.projenrc.ts` replaced or removed stays so.
   */
  public update(pipeline: IBuildPipeline): void {
    this.deferred?.update(pipeline);
  }

  /** The GitLab CI configuration this provider writes (escape hatch: `jobs`, `addJobs`, ...), once it is added to a pipeline. */
  public get configuration(): gitlab.GitlabConfiguration {
    if (!this._configuration) throw new Error('GitLabCi: add it to a pipeline first (ciProviders, or MultiArchPipeline.addCiProvider)');
    return this._configuration;
  }

  /** @internal The jobs, for the pipeline's services: the contract's CI plan, as GitLab runs it. */
  public _jobs(pipeline: IBuildPipeline): { [name: string]: gitlab.Job } {
    // build secret files (GO_NETRC, ...) are GitLab "File" CI/CD variables: the job gets their path already
    const options = { perPlatform: false, scan: this.options.scan ?? true, sign: this.options.sign ?? true, secretFiles: [] };
    const plan = ciPlan(pipeline.variables, options);
    const jobs: { [name: string]: gitlab.Job } = { '.multiarch-build': this.buildTemplate(pipeline) };
    for (const job of plan) jobs[job.trigger === CiTrigger.CHANGE_REQUEST ? 'build' : job.id] = this.job(pipeline, job);
    return jobs;
  }

  /** One job of the plan: builds extend the docker-in-docker template; the others run in the tools image. */
  private job(pipeline: IBuildPipeline, job: CiJob): gitlab.Job {
    const release = job.trigger === CiTrigger.RELEASE;
    const stage = { 'pull-request': 'build', 'push': 'push', 'security': 'security', 'sign': 'sign', 'publish': 'publish' }[job.id] ?? job.id;
    const packages = job.tools.join(' ');
    return {
      ...(job.builds ? { extends: ['.multiarch-build'] } : {
        image: { name: this.options.toolsImage ?? GITLAB_IMAGES.tools },
        timeout: this.timeout,
        beforeScript: [`apk add --no-cache make bash git jq docker-cli docker-cli-buildx${packages ? ` ${packages}` : ''}`],
      }),
      stage,
      rules: release ? [{ if: PROTECTED }] : [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"', variables: { VERSION: 'mr-$CI_MERGE_REQUEST_IID' } }],
      ...(job.needs.length ? { needs: job.needs } : {}),
      // keyless signing with GitLab's OIDC token, which cosign reads from SIGSTORE_ID_TOKEN
      ...(job.signs ? { idTokens: { SIGSTORE_ID_TOKEN: { aud: 'sigstore' } } } : {}),
      script: [
        ...(job.registry && release ? LOGIN : []),
        ...(job.tags && release ? [VERSION_FROM_REF, PUBLISH_TAGS_FROM_REF] : []),
        `make -f ${pipeline.makefilePath} ${job.target}`,
      ],
      ...(job.uploads.length ? { artifacts: { paths: job.uploads.map(a => `${a.path}/`), expireIn: '1 day' } } : {}),
    };
  }

  private variables(pipeline: IBuildPipeline): { [name: string]: string } {
    const k8s = this.options.builder === GitLabBuilder.KUBERNETES;
    const value: { [kind: string]: string } = { [CiValue.REGISTRY]: pipeline.registry, [CiValue.COMMIT_SHA]: '$CI_COMMIT_SHA' };
    return {
      ...Object.fromEntries(pipeline.variables.filter(v => v.ciValue && value[v.ciValue]).map(v => [v.name, value[v.ciValue!]])),
      REGISTRY_HOST: pipeline.registry.split('/')[0],
      CACHE_REGISTRY: ciCacheRegistry(pipeline, this.options.cacheRegistry),
      ...(k8s
        ? { BUILDX_DRIVER: 'kubernetes', BUILDX_DRIVER_OPTS: `namespace=${this.options.kubernetesNamespace ?? 'buildkit'}` }
        : { BUILDX_DRIVER: 'docker-container' }),
    };
  }

  private buildTemplate(pipeline: IBuildPipeline): gitlab.Job {
    const k8s = this.options.builder === GitLabBuilder.KUBERNETES;
    const emulate = pipeline.services.some(s => s.dockerfile.runsOnTargetPlatform);
    return {
      image: { name: this.options.dockerImage ?? GITLAB_IMAGES.docker },
      // the docker-in-docker engine and its TLS client certificates exist only in jobs with the service
      ...(k8s ? {} : {
        services: [{ name: this.options.dindImage ?? GITLAB_IMAGES.dind, alias: 'docker' }],
        variables: { DOCKER_HOST: 'tcp://docker:2376', DOCKER_TLS_CERTDIR: '/certs', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs/client' },
      }),
      timeout: this.timeout,
      beforeScript: [
        'apk add --no-cache make bash git jq',
        // services that run commands on the target platform need emulation without native nodes
        ...(!k8s && emulate ? [`docker run --privileged --rm ${this.options.binfmtImage ?? GITLAB_IMAGES.binfmt} --install all`] : []),
      ],
    };
  }

  private get timeout(): string {
    return this.options.timeout ?? '1h';
  }

}

/**
 * VERSION from the ref, as docker/metadata-action's `{{version}}` and branch rules give it on GitHub, so
 * both providers publish the same tags: a tag v1.2.3 is 1.2.3, a branch is its name. A git ref may
 * hold what an image tag cannot ("release/1.2", "v1+build"): every such character becomes "-" (the
 * Makefile refuses the rest). POSIX sh: the job's shell is the image's sh.
 */
const VERSION_FROM_REF = 'if [ -n "${CI_COMMIT_TAG:-}" ]; then v=${CI_COMMIT_TAG#v}; else v=$CI_COMMIT_REF_NAME; fi; '
  + 'VERSION="$(printf \'%s\' "$v" | tr -c \'A-Za-z0-9_.-\' \'-\')"; export VERSION';

/**
 * The tags GitHub's default metadata rules add to VERSION: `sha-<7>` always, and `<major>.<minor>` and
 * `latest` for a release (X.Y.Z without a pre-release part).
 */
const PUBLISH_TAGS_FROM_REF = 'short=$(printf \'%s\' "$CI_COMMIT_SHA" | cut -c 1-7); '
  + 'case "$VERSION" in *-*) PUBLISH_TAGS="sha-$short" ;; [0-9]*.[0-9]*.[0-9]*) PUBLISH_TAGS="${VERSION%.*} latest sha-$short" ;; *) PUBLISH_TAGS="sha-$short" ;; esac; '
  + 'export PUBLISH_TAGS';

/**
 * Logs in, the password on stdin. GitLab's job credentials serve GitLab's own registry only; another
 * registry needs REGISTRY_USER and REGISTRY_PASSWORD as masked and protected CI/CD variables, and the job says so.
 */
const LOGIN = [
  'if [ -z "${REGISTRY_PASSWORD:-}" ] && [ "$REGISTRY_HOST" = "${CI_REGISTRY:-}" ]; then REGISTRY_USER=$CI_REGISTRY_USER; REGISTRY_PASSWORD=$CI_REGISTRY_PASSWORD; fi',
  'if [ -z "${REGISTRY_PASSWORD:-}" ]; then echo "GitLab CI: $REGISTRY_HOST is not this GitLab\'s registry (${CI_REGISTRY:-none}): set REGISTRY_USER and REGISTRY_PASSWORD as masked and protected CI/CD variables" >&2; exit 1; fi',
  'printf \'%s\' "$REGISTRY_PASSWORD" | docker login --username "$REGISTRY_USER" --password-stdin "$REGISTRY_HOST"',
];
