import { Component, github, IResolver } from 'projen';
import { DEFAULT_ACTION_PINS, GitHubActionPin } from './pins';
import { refuseForeignFile } from '../../components/generated-file';
import { IBuildPipeline, IMultiArchService } from '../../contract';
import { BINFMT_IMAGE, BUILDKIT_IMAGE, ciCacheRegistry, CiArtifact, CiJob, ciPlan, CiTool, CiTrigger, CiValue, refuseLocalRegistry, RegistryAccess, usedSecretFiles } from '../../contract/internal';
import { Platform } from '../../platform';
import { flag, imageReference, invalid, noControlCharacters, registry as checkRegistry, stringList, stringMap, variableName } from '../../validation';
import { DeferredJobs } from '../deferred-jobs';
import { ICiProvider } from '../provider';

/** How a GitHub workflow builds the platforms. */
export enum GitHubPlatformStrategy {
  /**
   * One job per platform on a runner of that architecture (`ubuntu-24.04-arm` for arm64), each
   * pushing its platform (`make ci-push-platform`), then a merge job joining them (`make ci-merge`).
   * Nothing is emulated, so Python and cgo builds run at native speed.
   */
  NATIVE_RUNNERS = 'native-runners',
  /** Every platform in one job on one runner, other architectures under QEMU (`make ci-push`). */
  QEMU = 'qemu',
}

/** Options of the GitHub Actions workflows. */
export interface GitHubActionsOptions {
  /**
   * The workflow name; the file is `.github/workflows/<name>.yml`.
   * @default "images"
   */
  readonly workflowName?: string;
  /**
   * How the platforms are built.
   * @default GitHubPlatformStrategy.NATIVE_RUNNERS
   */
  readonly platformStrategy?: GitHubPlatformStrategy;
  /**
   * The runner of each platform with native runners; a platform without one, or mapped to `""`,
   * builds on `defaultRunner` under QEMU (e.g. `{ "linux/arm64": "" }` where arm64 runners are not
   * offered, as on GitHub Enterprise Server without them).
   * @default { "linux/amd64": "ubuntu-24.04", "linux/arm64": "ubuntu-24.04-arm" }
   */
  readonly runners?: { [platform: string]: string };
  /**
   * The runner of jobs that are not per platform, and of platforms without a native runner.
   * @default "ubuntu-24.04"
   */
  readonly defaultRunner?: string;
  /**
   * Branches whose pushes build, push, scan and sign.
   * @default ["main"]
   */
  readonly branches?: string[];
  /**
   * Tag patterns whose pushes build, push, scan and sign (releases).
   * @default ["v*"]
   */
  readonly tags?: string[];
  /**
   * The registry login's user name (an expression).
   * @default "${{ github.actor }}" for ghcr.io; required for other registries
   */
  readonly registryUsername?: string;
  /**
   * The secret holding the registry password or token.
   * With GITHUB_TOKEN, the jobs that push get `packages: write` and those that only read `packages: read`;
   * with another secret, no job gets a `packages` permission (the secret carries the access).
   * @default "GITHUB_TOKEN" for ghcr.io; required for other registries
   */
  readonly registryPasswordSecret?: string;
  /**
   * The secret holding a read-only registry token, for the job that only reads the pushed images
   * (`security`: syft and grype pull them): the push credential then stays out of the job that runs
   * the scanners. With GHCR's GITHUB_TOKEN that job's token is read-only already (`packages: read`).
   * @default - the security job logs in with registryPasswordSecret
   */
  readonly registryReadPasswordSecret?: string;
  /**
   * The user name of the read-only token (`registryReadPasswordSecret`), an expression or a name.
   * @default - registryUsername
   */
  readonly registryReadUsername?: string;
  /**
   * The registry cache (`CACHE_REGISTRY`): pushes read and write it, pull requests only read it.
   * Empty turns it off.
   * @default - the pipeline's cacheRegistry, or "<registry>/cache"
   */
  readonly cacheRegistry?: string;
  /**
   * SBOMs (syft) and a vulnerability scan (grype, failing at the pipeline's scanSeverity) of the pushed images.
   * @default true
   */
  readonly scan?: boolean;
  /**
   * Keyless cosign signing of the pushed indexes, recursively, with the SBOMs attached.
   * @default true
   */
  readonly sign?: boolean;
  /**
   * docker/metadata-action `tags` rules, one per entry.
   * @default - branch, pull request, semver ({{version}}, {{major}}.{{minor}}) and sha tags
   */
  readonly metadataTags?: string[];
  /**
   * Override the commit an action is pinned to, by action (e.g. "actions/checkout").
   * @default - the catalogue in pins.ts
   */
  readonly actionPins?: { [action: string]: GitHubActionPin };
  /**
   * The repository secret that holds each build secret file, by contract variable: a build that reads
   * private dependencies gets the secret's content as a file outside the checkout, and its path in the
   * variable (e.g. `{ GO_NETRC: "GO_MODULES_NETRC" }`). Pull requests from forks get no secrets.
   * @default - each variable the services read (GO_NETRC, PIP_CONF, PIP_NETRC) from the secret of the same name
   */
  readonly buildSecrets?: { [variable: string]: string };
  /**
   * The image docker/setup-qemu-action runs (privileged) to register QEMU, for platforms without a
   * native runner.
   * @default - tonistiigi/binfmt:qemu-v10.2.3-68, pinned by digest (the action's default is `latest`)
   */
  readonly binfmtImage?: string;
  /**
   * The `timeout-minutes` of every job: a hung build or push stops there instead of after GitHub's six hours.
   * @default 60
   */
  readonly timeoutMinutes?: number;
}

/** A platform of the build matrix. */
interface MatrixEntry {
  readonly platform: string;
  readonly pair: string;
  readonly runner: string;
  readonly qemu: boolean;
}

const DEFAULT_RUNNERS: { [platform: string]: string } = { 'linux/amd64': 'ubuntu-24.04', 'linux/arm64': 'ubuntu-24.04-arm' };
const DEFAULT_TAGS = ['type=ref,event=branch', 'type=ref,event=pr', 'type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}', 'type=sha'];
const READ = github.workflows.JobPermission.READ;
const WRITE = github.workflows.JobPermission.WRITE;

/**
 * GitHub Actions workflows for the pipeline: pull requests build every service for every platform
 * without pushing, secrets or cache writes; pushes to the default branch and release tags build and
 * push (one native runner per platform, then a merge), scan, and sign by the pushed digests. Every
 * build step is a target of the generated Makefile, so CI runs what a developer runs. Every action is
 * pinned by commit SHA, every job declares its permissions, and no event data reaches a `run:` line.
 */
export class GitHubActions implements ICiProvider {
  private readonly options: GitHubActionsOptions;
  private readonly pins: { [action: string]: GitHubActionPin };
  private _workflow?: github.GithubWorkflow;
  private deferred?: DeferredJobs<github.workflows.Job>;

  constructor(options: GitHubActionsOptions = {}) {
    const name = noControlCharacters('workflowName', options.workflowName ?? 'images');
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw invalid('workflowName', name, 'use 1-63 lowercase letters, digits and "-" (it names .github/workflows/<name>.yml)');
    if (options.platformStrategy !== undefined && !Object.values(GitHubPlatformStrategy).includes(options.platformStrategy)) {
      throw invalid('platformStrategy', options.platformStrategy, `use one of ${Object.values(GitHubPlatformStrategy).join(', ')}`);
    }
    for (const [platform, runner] of Object.entries(stringMap('runners', options.runners ?? {}, '{ "linux/arm64": "ubuntu-24.04-arm" }'))) {
      let known: string | undefined;
      try { known = Platform.of(platform).value; } catch { known = undefined; }
      if (known !== platform) throw invalid('runners', platform, 'keys must be platforms as written by Platform, e.g. "linux/arm64" or "linux/arm/v7"');
      if (runner !== '') runnerLabel(`runners["${platform}"]`, runner as string);
    }
    if (options.defaultRunner !== undefined) runnerLabel('defaultRunner', options.defaultRunner);
    if (options.binfmtImage !== undefined) imageReference('binfmtImage', options.binfmtImage);
    for (const b of stringList('branches', options.branches ?? [])) refPattern('branches', b);
    for (const t of stringList('tags', options.tags ?? [])) refPattern('tags', t);
    flag('scan', options.scan);
    flag('sign', options.sign);
    const minutes = options.timeoutMinutes;
    if (minutes !== undefined && !(Number.isInteger(minutes) && minutes >= 1 && minutes <= 360)) {
      throw invalid('timeoutMinutes', options.timeoutMinutes, 'must be a whole number of minutes from 1 to 360 (GitHub stops any job after 360)');
    }
    if (options.registryUsername !== undefined) noControlCharacters('registryUsername', options.registryUsername);
    if (options.registryPasswordSecret !== undefined && options.registryPasswordSecret !== 'GITHUB_TOKEN') secretName('registryPasswordSecret', options.registryPasswordSecret);
    if (options.registryReadUsername !== undefined) noControlCharacters('registryReadUsername', options.registryReadUsername);
    if (options.registryReadPasswordSecret !== undefined) {
      if (options.registryReadPasswordSecret === 'GITHUB_TOKEN') {
        throw invalid('registryReadPasswordSecret', 'GITHUB_TOKEN', 'is the default login on ghcr.io, where the security job\'s token is read-only already: leave registryReadPasswordSecret out, or name a secret holding a read-only token of another registry');
      }
      secretName('registryReadPasswordSecret', options.registryReadPasswordSecret);
    }
    if (options.registryReadUsername !== undefined && options.registryReadPasswordSecret === undefined) {
      throw invalid('registryReadUsername', options.registryReadUsername, 'is the user of the read-only token: give registryReadPasswordSecret too (the secret holding it), or leave registryReadUsername out');
    }
    if (options.cacheRegistry !== undefined && options.cacheRegistry !== '') checkRegistry('cacheRegistry', options.cacheRegistry);
    const metadataTags = options.metadataTags === undefined ? undefined : stringList('metadataTags', options.metadataTags);
    if (metadataTags !== undefined && !metadataTags.some(rule => rule.trim() !== '')) {
      throw invalid('metadataTags', metadataTags, 'give at least one docker/metadata-action rule such as "type=semver,pattern={{version}}", or leave metadataTags out for the defaults');
    }
    for (const rule of metadataTags ?? []) {
      noControlCharacters('metadataTags', rule);
      // GitHub evaluates ${{ }} in a step's `with:`, so an expression here could put a secret in a public tag
      if (rule.includes('${{')) throw invalid('metadataTags', rule, 'must not hold a GitHub expression ("${{ }}"): give docker/metadata-action rules such as "type=ref,event=branch" or "type=semver,pattern={{version}}"');
    }
    for (const [variable, secret] of Object.entries(stringMap('buildSecrets', options.buildSecrets ?? {}, '{ GO_NETRC: "GO_MODULES_NETRC" }'))) {
      variableName('buildSecrets', variable);
      secretName(`buildSecrets["${variable}"]`, secret as string);
    }
    for (const [action, pin] of Object.entries(stringMap('actionPins', options.actionPins ?? {}, '{ "actions/checkout": { sha: "<40 hex>", version: "v5.0.0" } }'))) {
      if (!(action in DEFAULT_ACTION_PINS)) throw invalid('actionPins', action, `is not an action these workflows use: pin one of ${Object.keys(DEFAULT_ACTION_PINS).join(', ')}`);
      const { sha, version } = stringMap(`actionPins["${action}"]`, pin, '{ sha: "<40 hex>", version: "v5.0.0" }') as { sha?: unknown; version?: unknown };
      if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) throw invalid(`actionPins["${action}"].sha`, sha, 'must be a full 40-character commit SHA');
      if (noControlCharacters(`actionPins["${action}"].version`, version as string).trim() === '') {
        throw invalid(`actionPins["${action}"].version`, version, 'must name the release the SHA is, e.g. "v5.0.0" (it is written next to the SHA)');
      }
    }
    this.options = { ...options, workflowName: name };
    this.pins = { ...DEFAULT_ACTION_PINS, ...options.actionPins };
  }

  public bind(pipeline: IBuildPipeline): void {
    const host = pipeline.registry.split('/')[0];
    refuseLocalRegistry('GitHubActions', 'GitHub', pipeline.registry, 'ghcr.io/<owner>');
    if (host !== 'ghcr.io' && this.options.registryPasswordSecret === 'GITHUB_TOKEN') {
      throw invalid('registryPasswordSecret', 'GITHUB_TOKEN', `logs in to ghcr.io only, not ${host}: give the name of the secret that holds ${host}'s token`);
    }
    if (host !== 'ghcr.io' && (!this.options.registryUsername?.trim() || !this.options.registryPasswordSecret)) {
      throw new Error(`GitHubActions: the registry ${host} is not GitHub's: give registryUsername and registryPasswordSecret (the secret holding its token)`);
    }
    const project = pipeline.project;
    refuseForeignFile(project, `.github/workflows/${this.options.workflowName}.yml`, 'Keep yours and give GitHubActions another "workflowName".');
    const gh = github.GitHub.of(project) ?? new github.GitHub(project, { mergify: false, pullRequestLint: false });
    const workflow = new github.GithubWorkflow(gh, this.options.workflowName!, {
      limitConcurrency: true,
      concurrencyOptions: { group: '${{ github.workflow }}-${{ github.ref }}', cancelInProgress: '${{ github.event_name == \'pull_request\' }}' as any },
    });
    workflow.on({
      pullRequest: {},
      push: { branches: this.options.branches ?? ['main'], tags: this.options.tags ?? ['v*'] },
    });
    if (workflow.file) annotatePins(workflow.file, this.pins);
    this._workflow = workflow;
    // the jobs are written when the workflow's jobs are next read (getJob, updateJob, ..., the file)
    this.deferred = new DeferredJobs<github.workflows.Job>({
      get: id => workflow.getJob(id) as github.workflows.Job | undefined,
      add: (id, job) => workflow.addJobs({ [id]: job }),
      replace: (id, job) => workflow.updateJob(id, job),
    }, p => this._jobs(p));
    this.deferred.writeBeforeReading(workflow, '_jobs');
    new BuildSecretsCheck(pipeline, Object.keys(this.options.buildSecrets ?? {}));
  }

  /**
   * The jobs for the pipeline's services so far, as the workflow's jobs are next read: a job this
   * provider wrote is replaced; one that is not in the workflow yet is added; one `.projenrc.ts`
   * replaced (`updateJob`) or removed stays so.
   */
  public update(pipeline: IBuildPipeline): void {
    this.deferred?.update(pipeline);
  }

  /** The workflow this provider writes (escape hatch: `getJob`, `updateJob`, ...), once it is added to a pipeline. */
  public get workflow(): github.GithubWorkflow {
    if (!this._workflow) throw new Error('GitHubActions: add it to a pipeline first (ciProviders, or MultiArchPipeline.addCiProvider)');
    return this._workflow;
  }

  /** @internal The jobs, for the pipeline's services: the contract's CI plan, as GitHub runs it. */
  public _jobs(pipeline: IBuildPipeline): { [id: string]: github.workflows.Job } {
    const perPlatform = (this.options.platformStrategy ?? GitHubPlatformStrategy.NATIVE_RUNNERS) === GitHubPlatformStrategy.NATIVE_RUNNERS;
    const secretFiles = usedSecretFiles(pipeline);
    const plan = ciPlan(pipeline.variables, { perPlatform, scan: this.options.scan ?? true, sign: this.options.sign ?? true, secretFiles });
    const matrix = this.matrix(pipeline);
    return Object.fromEntries(plan.map(job => [job.id, this.job(pipeline, job, matrix)]));
  }

  /** One job of the plan. */
  private job(pipeline: IBuildPipeline, job: CiJob, matrix: MatrixEntry[]): github.workflows.Job {
    const release = job.trigger === CiTrigger.RELEASE;
    const platform = job.perPlatform ? ' ${{ matrix.platform }}' : job.builds ? ' every platform' : '';
    // `packages` is what GITHUB_TOKEN may do on GHCR: a job that logs in with another secret (another
    // registry, or a token of its own) gets none, so the token it is handed cannot write packages
    const tokenLogin = (this.options.registryPasswordSecret ?? 'GITHUB_TOKEN') === 'GITHUB_TOKEN';
    const permissions: github.workflows.JobPermissions = {
      contents: READ,
      ...(job.registry && tokenLogin ? { packages: job.registry === RegistryAccess.WRITE ? WRITE : READ } : {}),
      ...(job.signs ? { idToken: WRITE } : {}),
    };
    return {
      name: `${job.target}${platform}: ${job.description}`,
      // the first jobs of each event; the others follow them through needs
      ...(job.needs.length ? { needs: job.needs } : { if: `github.event_name == '${release ? 'push' : 'pull_request'}'` }),
      runsOn: [job.perPlatform ? '${{ matrix.runner }}' : this.defaultRunner],
      permissions,
      timeoutMinutes: this.timeoutMinutes,
      ...(job.perPlatform ? { strategy: { failFast: false, matrix: { include: matrix as any } } } : {}),
      steps: [
        this.checkout(),
        ...(job.builds ? [job.perPlatform ? this.qemuIfNeeded() : this.qemu(matrix), this.buildx()] : []),
        ...(job.registry && release ? [this.login(pipeline, job.registry)] : []),
        ...(job.tags && release ? this.metadata(pipeline) : []),
        ...job.downloads.map(a => this.download(a)),
        ...job.tools.map(t => this.install(t)),
        ...(job.tools.some(t => t !== 'cosign') ? [TOOLS_ON_PATH(job.tools.filter(t => t !== 'cosign'))] : []),
        ...(job.secretFiles.length ? [this.writeSecretFiles(job.secretFiles)] : []),
        this.make(pipeline, job),
        ...job.uploads.map(a => this.upload(a, job.perPlatform)),
      ],
    };
  }

  private get timeoutMinutes(): number {
    return this.options.timeoutMinutes ?? 60;
  }

  private matrix(pipeline: IBuildPipeline): MatrixEntry[] {
    // the platforms some service builds: a pipeline platform that every service overrides gets no job
    const wanted = new Set(pipeline.services.flatMap(s => s.platforms ?? pipeline.platforms).map(p => p.value));
    const runners = { ...DEFAULT_RUNNERS, ...this.options.runners };
    return Platform.all().filter(p => wanted.has(p.value)).map(p => ({
      platform: p.value,
      pair: p.value.replace(/\//g, '-'),
      runner: runners[p.value] || this.defaultRunner,
      qemu: !runners[p.value],
    }));
  }

  /** The binfmt image setup-qemu-action runs privileged: pinned, not the action's moving `latest`. */
  private get binfmtImage(): string {
    return this.options.binfmtImage ?? BINFMT_IMAGE;
  }

  private get defaultRunner(): string {
    return this.options.defaultRunner ?? 'ubuntu-24.04';
  }

  private uses(action: string): string {
    const pin = this.pins[action];
    if (!pin) throw new Error(`GitHubActions has no pin for ${action}`);
    return `${action}@${pin.sha}`;
  }

  private checkout(): github.workflows.JobStep {
    return { id: 'checkout', name: 'Check out', uses: this.uses('actions/checkout'), with: { 'persist-credentials': false } };
  }

  private qemu(matrix: MatrixEntry[]): github.workflows.JobStep {
    const others = matrix.map(m => m.platform).filter(p => p !== 'linux/amd64');
    return { id: 'qemu', name: 'Set up QEMU', uses: this.uses('docker/setup-qemu-action'), with: { platforms: others.join(',') || 'linux/arm64', image: this.binfmtImage } };
  }

  private qemuIfNeeded(): github.workflows.JobStep {
    return {
      id: 'qemu',
      name: 'Set up QEMU (platforms without a native runner)',
      if: 'matrix.qemu',
      uses: this.uses('docker/setup-qemu-action'),
      with: { platforms: '${{ matrix.platform }}', image: this.binfmtImage },
    };
  }

  private buildx(): github.workflows.JobStep {
    // a pinned BuildKit: the action's default image is buildx's moving buildx-stable-1 tag
    return { id: 'buildx', name: 'Set up buildx', uses: this.uses('docker/setup-buildx-action'), with: { 'driver-opts': `image=${BUILDKIT_IMAGE}` } };
  }

  /** The login of a job: a job that only reads logs in with the read-only token when there is one. */
  private login(pipeline: IBuildPipeline, access: RegistryAccess): github.workflows.JobStep {
    const o = this.options;
    const readOnly = access === RegistryAccess.READ && o.registryReadPasswordSecret !== undefined;
    const username = o.registryUsername ?? '${{ github.actor }}';
    return {
      id: 'login',
      name: readOnly ? 'Log in to the registry (read-only token)' : 'Log in to the registry',
      uses: this.uses('docker/login-action'),
      with: {
        registry: pipeline.registry.split('/')[0],
        username: readOnly ? o.registryReadUsername ?? username : username,
        password: `\${{ secrets.${readOnly ? o.registryReadPasswordSecret : o.registryPasswordSecret ?? 'GITHUB_TOKEN'} }}`,
      },
    };
  }

  private metadata(pipeline: IBuildPipeline): github.workflows.JobStep[] {
    return pipeline.services.map(s => ({
      id: metaId(s),
      name: `Tags of ${s.name}`,
      uses: this.uses('docker/metadata-action'),
      with: {
        'images': `${pipeline.registry}/${s.imageName}`,
        // the service's own bake target: the action's tags win over the bake file's
        'bake-target': s.name,
        'tags': (this.options.metadataTags ?? DEFAULT_TAGS).join('\n'),
      },
    }));
  }

  /**
   * Writes each build secret file from its repository secret, outside the checkout and readable by the
   * job only, and gives make its path. An empty secret (a fork's pull request) writes nothing.
   */
  private writeSecretFiles(variables: string[]): github.workflows.JobStep {
    const secret = (v: string) => this.options.buildSecrets?.[v] ?? v;
    const file = (v: string) => `"$RUNNER_TEMP/${v.toLowerCase().replace(/_/g, '-')}"`;
    return {
      id: 'build-secrets',
      name: `Build secrets: ${variables.join(', ')}`,
      env: Object.fromEntries(variables.map(v => [`${v}_CONTENT`, `\${{ secrets.${secret(v)} }}`])),
      run: ['umask 077', ...variables.map(v =>
        `if [ -n "$${v}_CONTENT" ]; then printf '%s\\n' "$${v}_CONTENT" > ${file(v)}; echo "${v}=${file(v).slice(1, -1)}" >> "$GITHUB_ENV"; fi`)].join('\n'),
    };
  }

  private install(tool: CiTool): github.workflows.JobStep {
    const action = { syft: 'anchore/sbom-action/download-syft', grype: 'anchore/scan-action/download-grype', cosign: 'sigstore/cosign-installer' }[tool];
    return { id: tool, name: `Install ${tool}`, uses: this.uses(action) };
  }

  /**
   * A Make target, with the values the plan gives it (through env, never into run:). Only
   * metadata-action's tags reach bake (bake-file-tags): its labels and annotations describe the
   * repository (title, description, licence), and would override each service's own in every image.
   */
  private make(pipeline: IBuildPipeline, job: CiJob): github.workflows.JobStep {
    const release = job.trigger === CiTrigger.RELEASE;
    const first = pipeline.services[0];
    const value = (kind: CiValue): string => ({
      [CiValue.REGISTRY]: pipeline.registry,
      [CiValue.COMMIT_SHA]: '${{ github.sha }}',
      [CiValue.IMAGE_VERSION]: release ? `\${{ steps.${metaId(first)}.outputs.version }}` : 'pr-${{ github.event.pull_request.number }}',
    } as { [kind: string]: string })[kind];
    const env: { [name: string]: string } = {
      // the builder setup-buildx made, and its driver (how make pushes depends on it)
      ...(job.builds ? { BUILDX_DRIVER: '${{ steps.buildx.outputs.driver }}', BUILDER: '${{ steps.buildx.outputs.name }}', CACHE_REGISTRY: ciCacheRegistry(pipeline, this.options.cacheRegistry) } : {}),
      ...Object.fromEntries(Object.entries(job.values).map(([name, kind]) => [name, value(kind)])),
      // PLATFORMS too: setup-buildx checks the runner's builder for what the job builds, not for every platform
      ...(job.perPlatform ? { PLATFORMS: '${{ matrix.platform }}', PLATFORM: '${{ matrix.platform }}' } : {}),
      ...(job.tags && release ? { METADATA_FILES: pipeline.services.map(s => `\${{ steps.${metaId(s)}.outputs.bake-file-tags }}`).join(' ') } : {}),
    };
    return { id: `make-${job.target}`, name: `make ${job.target}`, env, run: `make -f ${pipeline.makefilePath} ${job.target}` };
  }

  private upload(artifact: CiArtifact, perPlatform: boolean): github.workflows.JobStep {
    const name = perPlatform ? `${artifact.name}-\${{ matrix.pair }}` : artifact.name;
    return {
      id: `keep-${artifact.name}`,
      name: `Keep ${artifact.name}`,
      uses: this.uses('actions/upload-artifact'),
      with: { 'name': name, 'path': artifact.path, 'if-no-files-found': 'error', 'include-hidden-files': true, 'retention-days': 1 },
    };
  }

  private download(artifact: CiArtifact): github.workflows.JobStep {
    // a per-platform artifact is one per platform job: all of them, into one directory
    const perPlatform = artifact.path.includes('*');
    const into = perPlatform ? artifact.path.slice(0, artifact.path.lastIndexOf('/')) : artifact.path;
    return {
      id: `download-${artifact.name}`,
      name: `Download ${artifact.name}`,
      uses: this.uses('actions/download-artifact'),
      with: perPlatform ? { 'pattern': `${artifact.name}-*`, 'path': into, 'merge-multiple': true } : { name: artifact.name, path: into },
    };
  }
}

/** The scanners' install actions give a path (`cmd`), not a PATH entry. */
function TOOLS_ON_PATH(tools: CiTool[]): github.workflows.JobStep {
  return {
    id: 'tools-path',
    name: `Put ${tools.join(' and ')} on PATH`,
    env: Object.fromEntries(tools.map(t => [t.toUpperCase(), `\${{ steps.${t}.outputs.cmd }}`])),
    run: tools.map(t => `dirname "$${t.toUpperCase()}" >> "$GITHUB_PATH"`).join(' && '),
  };
}

/**
 * buildSecrets may name only the secret files of the pipeline's services (GO_NETRC comes with a Go
 * service, PIP_CONF with a Python one), known once every service is: checked at synthesis.
 */
class BuildSecretsCheck extends Component {
  constructor(private readonly pipeline: IBuildPipeline, private readonly named: string[]) {
    super(pipeline.project);
  }

  public preSynthesize(): void {
    const files = usedSecretFiles(this.pipeline);
    const unknown = this.named.find(v => !files.includes(v));
    if (unknown) {
      throw invalid('buildSecrets', unknown, `is not a build secret file of this pipeline's services: use one of ${files.join(', ') || '(none: no service reads a secret file)'}`);
    }
  }
}

function metaId(s: IMultiArchService): string {
  return `meta-${s.name}`;
}

/** Writes each pinned action's release next to its `uses:` line, for Dependabot and Renovate. */
function annotatePins(file: github.GithubWorkflow['file'] & object, pins: { [action: string]: GitHubActionPin }): void {
  const target = file as any;
  const render = target.synthesizeContent.bind(file) as (resolver: IResolver) => string | undefined;
  target.synthesizeContent = (resolver: IResolver) => {
    const text = render(resolver);
    if (text === undefined) return text;
    return text.split('\n').map(line => {
      const m = /^(\s*(?:- )?uses: )([^@\s]+)@([0-9a-f]{40})$/.exec(line);
      const pin = m && pins[m[2]];
      return pin && pin.sha === m![3] ? `${line} # ${pin.version}` : line;
    }).join('\n');
  };
}

/** A GitHub secret's name: upper-case letters, digits and "_", not starting with GITHUB_. */
function secretName(option: string, value: string): string {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(value)) throw invalid(option, value, 'must be the name of a secret: upper-case letters, digits and "_"');
  if (value.startsWith('GITHUB_')) throw invalid(option, value, 'GitHub refuses secret names that start with "GITHUB_": name the secret otherwise, e.g. "REGISTRY_TOKEN"');
  return value;
}

function runnerLabel(option: string, value: string): string {
  noControlCharacters(option, value);
  if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw invalid(option, value, 'must be a runner label of letters, digits, ".", "_" and "-", e.g. "ubuntu-24.04-arm"');
  return value;
}

function refPattern(option: string, value: string): string {
  noControlCharacters(option, value);
  if (!/^[A-Za-z0-9_.*/+-]+$/.test(value)) throw invalid(option, value, 'must be a branch or tag pattern of letters, digits and "._*/+-"');
  return value;
}
