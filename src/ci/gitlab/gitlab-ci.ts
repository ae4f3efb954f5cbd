import { Component, gitlab } from 'projen';
import { IBuildPipeline, StandardTarget } from '../../contract';
import { flag, imageReference, invalid, noControlCharacters, registry as checkRegistry } from '../../validation';
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
   * The image of the build jobs: a docker CLI with buildx (make, bash and git are added with apk).
   * @default "docker:27-cli"
   */
  readonly dockerImage?: string;
  /**
   * The docker-in-docker service image.
   * @default "docker:27-dind"
   */
  readonly dindImage?: string;
  /**
   * The image of the scan and sign jobs (Alpine: syft, grype and cosign come from apk).
   * @default "alpine:3.22"
   */
  readonly toolsImage?: string;
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
 * `.gitlab-ci.yml` for the pipeline, through projen's GitLab configuration: merge requests build
 * every service for every platform without pushing or writing the cache; protected branches and
 * tags push, scan and sign. Every build step is a target of the generated Makefile.
 */
export class GitLabCi implements ICiProvider {
  private readonly options: GitLabCiOptions;

  constructor(options: GitLabCiOptions = {}) {
    if (options.builder !== undefined && !Object.values(GitLabBuilder).includes(options.builder)) {
      throw invalid('builder', options.builder, `use one of ${Object.values(GitLabBuilder).join(', ')}`);
    }
    for (const key of ['dockerImage', 'dindImage', 'toolsImage'] as const) {
      if (options[key] !== undefined) imageReference(key, options[key]!);
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
    if (/^(localhost|127\.)/.test(pipeline.registry)) {
      throw invalid('MultiArchPipeline registry', pipeline.registry, 'is local: GitLabCi pushes from GitLab\'s runners, so set the pipeline\'s registry to where CI pushes, e.g. "registry.gitlab.com/<group>/<project>"');
    }
    const config = new gitlab.GitlabConfiguration(pipeline.project, {
      stages: ['build', 'push', 'security', 'sign'],
      variables: this.variables(pipeline),
    });
    new GitLabJobs(pipeline, config, this);
  }

  /** @internal The jobs, for the services known at synthesis. */
  public _jobs(pipeline: IBuildPipeline): { [name: string]: gitlab.Job } {
    const scan = this.options.scan ?? true;
    const jobs: { [name: string]: gitlab.Job } = {
      '.multiarch-build': this.buildTemplate(pipeline),
      'build': {
        extends: ['.multiarch-build'],
        stage: 'build',
        rules: [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"', variables: { VERSION: 'mr-$CI_MERGE_REQUEST_IID' } }],
        script: [this.make(pipeline, StandardTarget.CI_BUILD)],
      },
      'push': {
        extends: ['.multiarch-build'],
        stage: 'push',
        rules: this.protectedRules(),
        script: [LOGIN, TAG_VERSION, this.make(pipeline, StandardTarget.CI_PUSH)],
        artifacts: { paths: ['.multiarch/'], expireIn: '1 day' },
      },
    };
    if (scan) {
      jobs.security = {
        ...this.toolsJob('security', ['syft', 'grype']),
        needs: ['push'],
        script: [LOGIN, this.make(pipeline, StandardTarget.CI_SECURITY)],
        artifacts: { paths: ['sbom/'], expireIn: '1 day' },
      };
    }
    if (this.options.sign ?? true) {
      jobs.sign = {
        ...this.toolsJob('sign', ['cosign']),
        needs: ['push', ...(scan ? ['security'] : [])],
        // keyless signing with GitLab's OIDC token, which cosign reads from SIGSTORE_ID_TOKEN
        idTokens: { SIGSTORE_ID_TOKEN: { aud: 'sigstore' } },
        script: [LOGIN, this.make(pipeline, StandardTarget.CI_SIGN)],
      };
    }
    return jobs;
  }

  private variables(pipeline: IBuildPipeline): { [name: string]: string } {
    const k8s = this.options.builder === GitLabBuilder.KUBERNETES;
    return {
      REGISTRY: pipeline.registry,
      REGISTRY_HOST: pipeline.registry.split('/')[0],
      // GitLab's own registry by default; set both as CI/CD variables for another registry
      REGISTRY_USER: '$CI_REGISTRY_USER',
      REGISTRY_PASSWORD: '$CI_REGISTRY_PASSWORD',
      CACHE_REGISTRY: this.options.cacheRegistry ?? (pipeline.cacheRegistry || `${pipeline.registry}/cache`),
      VCS_REF: '$CI_COMMIT_SHA',
      ...(k8s
        ? { BUILDX_DRIVER: 'kubernetes', BUILDX_DRIVER_OPTS: `namespace=${this.options.kubernetesNamespace ?? 'buildkit'}` }
        : { BUILDX_DRIVER: 'docker-container', DOCKER_HOST: 'tcp://docker:2376', DOCKER_TLS_CERTDIR: '/certs', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs/client' }),
    };
  }

  private buildTemplate(pipeline: IBuildPipeline): gitlab.Job {
    const k8s = this.options.builder === GitLabBuilder.KUBERNETES;
    const emulate = pipeline.services.some(s => s.dockerfile.runsOnTargetPlatform);
    return {
      image: { name: this.options.dockerImage ?? 'docker:27-cli' },
      ...(k8s ? {} : { services: [{ name: this.options.dindImage ?? 'docker:27-dind', alias: 'docker' }] }),
      beforeScript: [
        'apk add --no-cache make bash git',
        // services that run commands on the target platform need emulation without native nodes
        ...(!k8s && emulate ? ['docker run --privileged --rm tonistiigi/binfmt --install all'] : []),
      ],
    };
  }

  private toolsJob(stage: string, tools: string[]): gitlab.Job {
    return {
      stage,
      image: { name: this.options.toolsImage ?? 'alpine:3.22' },
      rules: [{ if: PROTECTED }],
      beforeScript: [`apk add --no-cache make bash git docker-cli docker-cli-buildx ${tools.join(' ')}`],
    };
  }

  private protectedRules(): gitlab.IncludeRule[] {
    return [
      { if: `$CI_COMMIT_TAG && ${PROTECTED}`, variables: { VERSION: '$CI_COMMIT_TAG' } },
      { if: PROTECTED, variables: { VERSION: '$CI_COMMIT_REF_SLUG' } },
    ];
  }

  private make(pipeline: IBuildPipeline, target: string): string {
    return `make -f ${pipeline.makefilePath} ${target}`;
  }
}

/**
 * A git tag may hold what an image tag cannot ("release/1.2", "v1+build"): every such character
 * becomes "-", as docker/metadata-action does (the Makefile refuses the rest).
 */
const TAG_VERSION = 'export VERSION="$(printf \'%s\' "$VERSION" | tr -c \'A-Za-z0-9_.-\' \'-\')"';

/** Logs in, the password on stdin (REGISTRY_USER and REGISTRY_PASSWORD default to GitLab's job credentials). */
const LOGIN = 'echo "$REGISTRY_PASSWORD" | docker login --username "$REGISTRY_USER" --password-stdin "$REGISTRY_HOST"';

/** Adds the jobs at synthesis, when every service is known. */
class GitLabJobs extends Component {
  constructor(private readonly pipeline: IBuildPipeline, private readonly config: gitlab.GitlabConfiguration, private readonly provider: GitLabCi) {
    super(pipeline.project);
  }

  public preSynthesize(): void {
    this.config.addJobs(this.provider._jobs(this.pipeline));
  }
}
