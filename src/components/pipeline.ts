import * as path from 'path';
import { Component, Project } from 'projen';
import { GeneratedFile, generatedBefore, MarkerCache, refuseCleanupOfOwnFiles, refusePipelineFiles, removeEmptyParents } from './generated-file';
import { warnMakefileWithoutInclude } from './makefile-include';
import { bakeDefaults, BakeSettings, bakeVariables } from './pipeline-bake';
import { BAKE_SECRETS, bakeSecretOverrides, EMULATED, makeAssertions, makeDerivedVariables, makeVariables, standardTargets } from './pipeline-make';
import { HELPER_SCRIPT, helperScript } from './pipeline-script';
import { RecordedInput } from './synthesis-inputs';
import { BakeModel } from '../bake';
import { ICiProvider } from '../ci';
import { BuildVariable, buildVariables, DEFAULT_GROUP, DOCKERFILE_FRONTEND, IBuildPipeline, IMultiArchService, METADATA_DIR, SBOM_DIR } from '../contract/internal';
import { DockerIgnoreFile } from '../dockerfile';
import { MakeModel, MakeTarget } from '../make';
import { Platform } from '../platform';
import { imageReference, invalid, noRepeats, plainText, registry as checkRegistry, relativePath } from '../validation';

/** The buildx driver `make setup-buildx` prepares. */
export enum BuildxDriver {
  /** The engine's own builder: nothing to pull; multi-platform needs the containerd image store. */
  DOCKER = 'docker',
  /** A BuildKit container on the local engine (pulls `moby/buildkit`). */
  DOCKER_CONTAINER = 'docker-container',
  /** BuildKit pods in Kubernetes, one node per architecture (native arm64 nodes instead of QEMU). */
  KUBERNETES = 'kubernetes',
  /** An existing BuildKit daemon at `BUILDX_ENDPOINT`. */
  REMOTE = 'remote',
}

/** Options of the pipeline. */
export interface MultiArchPipelineOptions {
  /**
   * Registry and namespace images are pushed to (`REGISTRY`): `<registry>/<image>:<version>`.
   * @default "localhost:5000" (a local registry, so nothing is pushed anywhere by accident)
   */
  readonly registry?: string;
  /**
   * Platforms every service is built for (`PLATFORMS`), unless a service overrides them.
   * @default [Platform.LINUX_AMD64, Platform.LINUX_ARM64]
   */
  readonly platforms?: Platform[];
  /**
   * The `# syntax=` directive of every generated Dockerfile. `''` omits the line, for builders that
   * cannot pull the frontend image (air-gapped, internal mirrors); BuildKit's built-in frontend
   * supports everything the generated files use.
   * @default "docker/dockerfile:1.28@sha256:bb22d9815c728170f72750f4e5b0d672e06176142e1d602c7e66c050100b7e5b" (pinned by digest)
   */
  readonly dockerfileSyntax?: string;
  /**
   * Registry (and namespace) for the build cache (`CACHE_REGISTRY`): each image reads and writes
   * `<cacheRegistry>/<image>:cache` with `mode=max`. Empty turns the registry cache off; it can
   * also be set per run, e.g. `make build-multiarch CACHE_REGISTRY=ghcr.io/org/cache`.
   * @default - no registry cache
   */
  readonly cacheRegistry?: string;
  /**
   * The buildx driver `make setup-buildx` uses by default (`BUILDX_DRIVER`).
   * @default BuildxDriver.DOCKER_CONTAINER
   */
  readonly buildxDriver?: BuildxDriver;
  /**
   * Name of the buildx builder created for the docker-container, kubernetes and remote drivers (`BUILDER`).
   * @default "multiarch"
   */
  readonly builderName?: string;
  /**
   * Path of the generated Makefile. Use another name (e.g. `multiarch.mk`) to `include` it from a
   * Makefile you own.
   * @default "Makefile"
   */
  readonly makefile?: string;
  /**
   * Path of the generated bake file.
   * @default "docker-bake.hcl"
   */
  readonly bakeFile?: string;
  /**
   * Attach SLSA provenance (`mode=max`) to every image. With `sbom`, it also sets the default of
   * `INDEX_ANNOTATIONS` (the OCI labels as annotations on the image index): a single-platform
   * build without attestations has no index to annotate.
   * @default true
   */
  readonly provenance?: boolean;
  /**
   * Attach an SBOM attestation to every image (BuildKit runs `docker/buildkit-syft-scanner`, which
   * must be pullable by the builder).
   * @default false
   */
  readonly sbom?: boolean;
  /**
   * Also tag every image `:latest`.
   * @default false
   */
  readonly tagLatest?: boolean;
  /**
   * Extra labels on every image, e.g. `org.opencontainers.image.source` and `.licenses`.
   * @default {}
   */
  readonly labels?: { [key: string]: string };
  /**
   * The lowest vulnerability severity that fails `make build-vulnerability-scan` (`SCAN_SEVERITY`).
   * @default "high"
   */
  readonly scanSeverity?: string;
  /**
   * CI systems to write workflows for (see `ICiProvider`); more can be added with `addCiProvider`.
   * @default []
   */
  readonly ciProviders?: ICiProvider[];
}

/**
 * The project's multi-arch pipeline: the bake file, the Makefile, their settings and the CI
 * providers. One per project, created before its services (the first service of a project without
 * one creates it with the defaults). Whole after every constructor: the standard Make targets, every
 * service's bake target, the build contexts' ignore patterns and the CI jobs follow each service and
 * provider as it is added, so `.projenrc.ts` can find, change or replace them.
 */
export class MultiArchPipeline extends Component implements IBuildPipeline {
  /** Returns the project's pipeline, if any. */
  public static of(project: Project): MultiArchPipeline | undefined {
    const pipeline = project.node.tryFindChild(PIPELINE_ID);
    return pipeline instanceof MultiArchPipeline ? pipeline : undefined;
  }

  /**
   * @internal
   * The project's pipeline, created with the defaults when there is none (the first service calls this).
   */
  public static _ensure(project: Project): MultiArchPipeline {
    return MultiArchPipeline.of(project) ?? new MultiArchPipeline(project);
  }

  /**
   * The platforms services build for by default: the project's pipeline's, or those of the pipeline
   * the first service creates when there is none.
   */
  public static platformsOf(project: Project): Platform[] {
    return MultiArchPipeline.of(project)?.platforms ?? [...DEFAULT_PLATFORMS];
  }

  /** The registry. */
  public readonly registry: string;
  /** The default platforms. */
  public readonly platforms: Platform[];
  /** The `# syntax=` directive of every generated Dockerfile ('' for none). */
  public readonly dockerfileSyntax: string;
  /** The default build cache registry ('' for none). */
  public readonly cacheRegistry: string;
  /** The default buildx driver. */
  public readonly buildxDriver: BuildxDriver;
  /** The bake model (escape hatch): every service's target is in it from the service's construction. */
  public readonly bake: BakeModel;
  /**
   * The Makefile model (escape hatch): the standard targets are in it from construction. A target
   * replaced with `replaceTarget` stays yours; the others follow the services as they are added.
   */
  public readonly make: MakeModel;
  /** The Makefile path. */
  public readonly makefilePath: string;
  /** The bake file path. */
  public readonly bakeFilePath: string;
  private readonly _variables: BuildVariable[];
  private readonly bakeSettings: BakeSettings;
  /**
   * @internal
   * The projen marker of the files of this pipeline and its services, read once.
   */
  public readonly _marker: MarkerCache = {};
  /** The ignore file of each Dockerfile (`<Dockerfile>.dockerignore`), by path. */
  private readonly ignoreFiles: Map<string, DockerIgnoreFile> = new Map();
  /** The names of the standard targets that list every service. */
  private readonly aggregateTargets: Set<string> = new Set();
  /** The standard targets of the last service that joined, in the order of a file of one service. */
  private lastServiceTargets: string[] = [];
  /** The standard targets for a number of services (see standardTarget). */
  private standardCache?: { readonly count: number; readonly targets: Map<string, MakeTarget> };
  /** The build contexts of the services, each with the services' ignore files in it. */
  private readonly contexts: Map<string, DockerIgnoreFile[]> = new Map();
  /** The build contexts inside each directory, in the order they joined. */
  private readonly heldContexts: Map<string, string[]> = new Map();
  /** The files of the previous synthesis (projen's manifest), read before projen's cleanup. */
  private previousFiles: string[] = [];
  private readonly ciProviders: ICiProvider[] = [];
  /** What synthesis read of the services' inputs, once per file and selection, in join order. */
  private readonly inputs: Map<string, RecordedInput> = new Map();
  private readonly members: IMultiArchService[] = [];
  private readonly byName: Map<string, IMultiArchService> = new Map();
  private readonly byImage: Map<string, IMultiArchService> = new Map();
  /** The first service of each Dockerfile path (the one that writes a shared Dockerfile). */
  private readonly byDockerfile: Map<string, IMultiArchService> = new Map();

  constructor(project: Project, options: MultiArchPipelineOptions = {}) {
    const existing = MultiArchPipeline.of(project);
    const first = existing?.members[0];
    if (first) {
      throw new Error(`MultiArchPipeline: create it before the first service ("${first.name}"), which created a pipeline with the defaults: move "new MultiArchPipeline(project, ...)" above the services in .projenrc.ts`);
    }
    if (existing) {
      throw new Error('A project has one MultiArchPipeline; use MultiArchPipeline.of(project) to reach it');
    }
    super(project, PIPELINE_ID);
    this.registry = checkRegistry('registry', options.registry ?? 'localhost:5000');
    const platforms = options.platforms ?? DEFAULT_PLATFORMS;
    if (!Array.isArray(platforms) || platforms.length === 0) throw invalid('platforms', platforms, 'give at least one platform, e.g. [Platform.LINUX_AMD64, Platform.LINUX_ARM64]');
    this.platforms = platforms.map(p => Platform.of(String(p)));
    noRepeats('platforms', this.platforms.map(p => p.value));
    const syntax = options.dockerfileSyntax ?? DOCKERFILE_FRONTEND;
    this.dockerfileSyntax = syntax === '' ? '' : imageReference('dockerfileSyntax', syntax);
    this.cacheRegistry = options.cacheRegistry ? checkRegistry('cacheRegistry', options.cacheRegistry) : '';
    this.buildxDriver = options.buildxDriver ?? BuildxDriver.DOCKER_CONTAINER;
    if (!Object.values(BuildxDriver).includes(this.buildxDriver)) {
      throw invalid('buildxDriver', this.buildxDriver, `use one of ${Object.values(BuildxDriver).join(', ')}`);
    }
    if (options.builderName !== undefined && !/^[a-z0-9][a-z0-9_-]*$/.test(options.builderName)) {
      throw invalid('builderName', options.builderName, 'use lowercase letters, digits, "_" and "-"');
    }
    if (options.scanSeverity !== undefined && !SCAN_SEVERITIES.includes(options.scanSeverity)) {
      throw invalid('scanSeverity', options.scanSeverity, 'use negligible, low, medium, high or critical');
    }
    for (const [k, v] of Object.entries(options.labels ?? {})) {
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(k)) throw invalid('labels key', k, 'use lowercase letters, digits, ".", "_" and "-"');
      plainText(`labels["${k}"]`, v);
    }
    this.makefilePath = relativePath('makefile', options.makefile ?? 'Makefile');
    this.bakeFilePath = relativePath('bakeFile', options.bakeFile ?? 'docker-bake.hcl');
    if (!this.bakeFilePath.endsWith('.hcl')) throw invalid('bakeFile', this.bakeFilePath, 'must end with .hcl');
    if (this.bakeFilePath.includes('/')) throw invalid('bakeFile', this.bakeFilePath, 'must be at the project root, where build contexts are resolved from');
    refusePipelineFiles(project, this.makefilePath, this.bakeFilePath);
    this.bakeSettings = {
      provenance: options.provenance ?? true,
      sbom: options.sbom ?? false,
      tagLatest: options.tagLatest ?? false,
      labels: { ...options.labels },
    };
    this._variables = buildVariables({
      registry: this.registry,
      platforms: this.platforms,
      cacheRegistry: this.cacheRegistry,
      buildxDriver: this.buildxDriver,
      builderName: options.builderName ?? 'multiarch',
      scanSeverity: options.scanSeverity ?? 'high',
      attestations: this.bakeSettings.provenance || this.bakeSettings.sbom,
    });
    this.bake = new BakeModel();
    this.make = new MakeModel({ standalone: this.makefilePath === 'Makefile' });
    this.addContract();
    this.syncTargets();
    // what pushes record and what build-sbom writes are outputs, not sources
    this.project.gitignore.exclude(`/${METADATA_DIR}/`, `/${SBOM_DIR}/`);
    new GeneratedFile(this, this.bakeFilePath, marker => { this.requireServices(); return this.bake.render(marker); }, this._marker);
    new GeneratedFile(this, this.makefilePath, marker => this.renderMakefile(marker), this._marker);
    new GeneratedFile(this, HELPER_SCRIPT, marker => helperScript(marker, [...this.inputs.values()]), this._marker, { executable: true });
    for (const provider of options.ciProviders ?? []) this.addCiProvider(provider);
  }

  /** The services of this project, in creation order (each joins its project's pipeline). */
  public get services(): IMultiArchService[] {
    return [...this.members];
  }

  /**
   * @internal
   * The ignore file at a path (`<Dockerfile>.dockerignore`) of this pipeline's services, if there is one.
   */
  public _ignoreFile(ignorePath: string): DockerIgnoreFile | undefined {
    return this.ignoreFiles.get(ignorePath);
  }

  /**
   * @internal
   * The service of this name or image, if one has joined (see resolveService).
   */
  public _findService(name: string, imageName: string, dockerfilePath = ''): { byName?: IMultiArchService; byImage?: IMultiArchService; byDockerfile?: IMultiArchService } {
    return { byName: this.byName.get(name), byImage: this.byImage.get(imageName), byDockerfile: this.byDockerfile.get(dockerfilePath) };
  }

  /**
   * The build contract: every variable, with its Make and bake defaults, build arg, label and CI
   * value; the services' languages add theirs (a Go service adds GO_NETRC) when they join.
   */
  public get variables(): BuildVariable[] {
    return [...this._variables];
  }

  /** Adds a CI system to write workflows for; it renders from this pipeline and its contract. */
  public addCiProvider(provider: ICiProvider): void {
    if (this.ciProviders.includes(provider)) return;
    this.ciProviders.push(provider);
    provider.bind(this);
    provider.update(this);
  }

  /**
   * @internal
   * A service joins the pipeline, at the end of its constructor: its bake target and its language's
   * build variables join the models, the standard Make targets that list services and the CI jobs
   * are brought up to date, and each build context keeps out what belongs to other services and to
   * the pipeline.
   */
  public _join(service: IMultiArchService, variables: BuildVariable[], ignore: DockerIgnoreFile, inputs: RecordedInput[] = []): void {
    this.members.push(service);
    for (const i of inputs) {
      const key = `${i.path}\n${i.pattern}\n${i.recorded === 'present'}`;
      if (!this.inputs.has(key)) this.inputs.set(key, i);
    }
    this.byName.set(service.name, service);
    this.byImage.set(service.imageName, service);
    this.ignoreFiles.set(ignore.path, ignore);
    if (!this.byDockerfile.has(service.dockerfilePath)) this.byDockerfile.set(service.dockerfilePath, service);
    for (const v of variables) this.addVariable(v);
    this.bake.addTarget(service.bakeTarget, bakeDefaults(this.bakeSettings, this._variables, service));
    this.bake.setGroup(DEFAULT_GROUP, this.members.map(s => s.name));
    this.syncTargets();
    this.joinContext(service.context, ignore);
    for (const provider of this.ciProviders) provider.update(this);
  }

  /**
   * At synthesis, before projen's cleanup: a pipeline left without services stops the synthesis
   * before projen deletes the files of removed services, with the tree as it was, and so does a
   * file of the repository's own that the cleanup would delete (see refuseCleanupOfOwnFiles). A
   * Makefile of the repository's own that does not include the generated one is warned about.
   */
  public preSynthesize(): void {
    this.requireServices();
    this.previousFiles = generatedBefore(this.project.outdir);
    refuseCleanupOfOwnFiles(this.project, this.previousFiles);
    warnMakefileWithoutInclude(this.project, this.makefilePath);
  }

  /**
   * After projen's cleanup: the directories that held only files projen deleted (a service removed,
   * a path changed) are removed too, so no empty directory stays behind.
   */
  public synthesize(): void {
    const now = new Set(this.project.files.map(f => f.path));
    removeEmptyParents(this.project.outdir, this.previousFiles.filter(f => !now.has(f)));
  }

  /** A build variable a language adds (e.g. a secret file): once, before METADATA_FILES in the Makefile. */
  private addVariable(variable: BuildVariable): void {
    if (this._variables.some(v => v.name === variable.name)) return;
    const before = this._variables.findIndex(v => v.name === LANGUAGE_VARIABLES_BEFORE);
    this._variables.splice(before < 0 ? this._variables.length : before, 0, variable);
    const [make] = makeVariables([variable]);
    this.make.addVariable(make, { before: LANGUAGE_VARIABLES_BEFORE });
    for (const b of bakeVariables([variable])) this.bake.addVariable(b);
    // the one bake invocation passes every bake variable
    for (const d of makeDerivedVariables({ bakeFilePath: this.bakeFilePath }, this._variables).filter(x => BAKE_CALLS.includes(x.name))) {
      this.make.setDerivedVariable(d.name, d.body, d.comment);
    }
  }

  /**
   * The standard Make targets for the services so far. The targets that list every service
   * (build-multiarch, build-verify, ci-push, ...) are added once, and read the services when they are
   * read, so a service that joins costs no rewrite of them; each service's own targets (build-<name>,
   * run-<name>) are added when it joins, next to the previous service's. A target `.projenrc.ts`
   * replaced or removed stays so.
   */
  private syncTargets(): void {
    const joined = this.members[this.members.length - 1];
    if (!joined) {
      let previous: string | undefined;
      for (const target of standardTargets([])) {
        this.aggregateTargets.add(target.name);
        this.make.addTarget(liveTarget(target.name, name => this.standardTarget(name)), { after: previous });
        previous = target.name;
      }
      return;
    }
    // the service's own targets, each after the same target of the previous service, or else after
    // the target it follows in a file of one service
    const single = standardTargets([joined]);
    const previousNames = this.lastServiceTargets;
    single.forEach((target, i) => {
      if (this.aggregateTargets.has(target.name)) return;
      const anchor = previousNames[i] !== undefined && this.make.tryFindTarget(previousNames[i]) ? previousNames[i] : single[i - 1]?.name;
      this.make.addTarget(target, { after: anchor });
    });
    this.lastServiceTargets = single.map(t => t.name);
  }

  /** A standard target for the services so far, computed once per service count. */
  private standardTarget(name: string): MakeTarget {
    if (this.standardCache?.count !== this.members.length) {
      this.standardCache = { count: this.members.length, targets: new Map(standardTargets(this.members).map(t => [t.name, t])) };
    }
    return this.standardCache.targets.get(name)!;
  }

  /**
   * Keeps out of a build context what belongs to the pipeline (the Makefile, the bake file, what
   * pushes and build-sbom write) and to services whose contexts lie inside it, in both directions.
   */
  private joinContext(context: string, ignore: DockerIgnoreFile): void {
    let files = this.contexts.get(context);
    if (!files) {
      files = [];
      this.contexts.set(context, files);
      // the contexts that hold this one (found by its parent directories, not by a scan) keep it out
      for (const outer of parentDirectories(context)) {
        this.contexts.get(outer)?.forEach(f => f.addExclusions(inside(outer, context)!));
        const held = this.heldContexts.get(outer) ?? [];
        held.push(context);
        this.heldContexts.set(outer, held);
      }
    }
    if (files.includes(ignore)) return;
    files.push(ignore);
    // each ignore file of the context keeps out the contexts it holds and the pipeline's files
    ignore.addExclusions(...(this.heldContexts.get(context) ?? []).map(inner => inside(context, inner)!));
    const owned = [this.makefilePath, this.bakeFilePath, HELPER_SCRIPT, SBOM_DIR, METADATA_DIR];
    ignore.addExclusions(...owned.map(p => inside(context, p)).filter((p): p is string => !!p));
  }

  /** Everything the contract puts in the Makefile and the bake file before any service. */
  private addContract(): void {
    for (const v of makeVariables(this._variables)) this.make.addVariable(v);
    for (const a of makeAssertions()) this.make.addAssertion(a.expression, a.comment);
    for (const d of makeDerivedVariables({ bakeFilePath: this.bakeFilePath }, this._variables)) {
      this.make.addDerivedVariable(d.name, d.body, d.comment);
    }
    for (const v of bakeVariables(this._variables)) this.bake.addVariable(v);
  }

  /**
   * The Makefile. Two derived variables are computed as it renders, from the models as the escape
   * hatches left them: the build secrets of the bake targets, and the services whose Dockerfiles
   * run commands on the target platform.
   */
  private renderMakefile(marker?: string): string {
    this.requireServices();
    const variables = this.make.variables.map(v => v.name);
    const comment = (name: string) => this.make.derivedVariables.find(d => d.name === name)!.comment;
    this.make.setDerivedVariable(BAKE_SECRETS, bakeSecretOverrides(this.bake.targets, variables), comment(BAKE_SECRETS));
    const emulated = this.members.filter(s => s.dockerfile.runsOnTargetPlatform).map(s => s.name);
    this.make.setDerivedVariable(EMULATED, emulated.join(' '), comment(EMULATED));
    return this.make.render(marker);
  }

  private requireServices(): void {
    if (this.members.length === 0) {
      throw new Error('MultiArchPipeline has no services: add a service to the project (a MultiArchService of any kind)');
    }
  }
}

/** The pipeline's platforms unless its options say otherwise. */
const DEFAULT_PLATFORMS = [Platform.LINUX_AMD64, Platform.LINUX_ARM64];

/**
 * A standard target that lists every service: its attributes are read from the pipeline when they
 * are read (by the Makefile as it renders, or by `.projenrc.ts`), so they follow every service.
 */
function liveTarget(name: string, read: (name: string) => MakeTarget): MakeTarget {
  return {
    name,
    get description() { return read(name).description; },
    get prerequisites() { return read(name).prerequisites; },
    get recipe() { return read(name).recipe; },
    get listed() { return read(name).listed; },
    get runsAfter() { return read(name).runsAfter; },
    get variables() { return read(name).variables; },
  };
}

/** The pipeline's construct id: one per project. */
const PIPELINE_ID = 'MultiArchPipeline';

/** The derived variables that call bake with every bake variable. */
const BAKE_CALLS = ['BAKE', 'BAKE_LOCAL'];

/** Language build variables go right before this one, so the file keeps the contract's order. */
const LANGUAGE_VARIABLES_BEFORE = 'METADATA_FILES';

/** The directories that hold a project path: `.` then each parent, `a/b/c` → `.`, `a`, `a/b`. */
function parentDirectories(p: string): string[] {
  if (p === '.') return [];
  const parts = p.split('/');
  return ['.', ...parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'))];
}

/** `target` relative to the directory `context` when it lies inside it (not equal to it), else undefined. */
function inside(context: string, target: string): string | undefined {
  const rel = path.posix.relative(context, target);
  return rel === '' || rel === '..' || rel.startsWith('../') ? undefined : rel;
}

/** The lowest severities a scan can fail at. */
const SCAN_SEVERITIES = ['negligible', 'low', 'medium', 'high', 'critical'];
