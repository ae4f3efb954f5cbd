import * as path from 'path';
import { Component, Project } from 'projen';
import { GeneratedFile } from './generated-file';
import { bakeDefaults, BakeSettings, bakeVariables } from './pipeline-bake';
import { BAKE_SECRETS, bakeSecretOverrides, EMULATED, EMULATED_COMMENT, makeAssertions, makeDerivedVariables, makeVariables, standardTargets } from './pipeline-make';
import { HELPER_SCRIPT, helperScript } from './pipeline-script';
import { servicesOf } from './service';
import { BakeModel, BakeVariable } from '../bake';
import { ICiProvider } from '../ci';
import { BuildVariable, buildVariables, DEFAULT_GROUP, IBuildPipeline, IMultiArchService, METADATA_DIR, SBOM_DIR } from '../contract/internal';
import { MakeModel, MakeTarget, MakeVariable } from '../make';
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
   * @default "docker/dockerfile:1"
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
 * providers. One per project, whole after its constructor: the standard Make targets and every
 * service's bake target exist at once, so `.projenrc.ts` can find, change or replace them. Services
 * created before or after it join it; a project whose services never create one gets a default one
 * (the first service creates it, and a `MultiArchPipeline` created later takes its place).
 */
export class MultiArchPipeline extends Component implements IBuildPipeline {
  /** Returns the project's pipeline (the default one, if its services created it), if any. */
  public static of(project: Project): MultiArchPipeline | undefined {
    return project.components.find((c): c is MultiArchPipeline => c instanceof MultiArchPipeline);
  }

  /**
   * @internal
   * The project's pipeline, created with the defaults when there is none (a service calls this).
   */
  public static _ensure(project: Project): MultiArchPipeline {
    return MultiArchPipeline.of(project) ?? new DefaultPipeline(project);
  }

  /** The registry. */
  public readonly registry: string;
  /** The default platforms. */
  public readonly platforms: Platform[];
  /** The `# syntax=` directive ('' for none). */
  public readonly dockerfileSyntax: string;
  /** The default build cache registry ('' for none). */
  public readonly cacheRegistry: string;
  /** The default buildx driver. */
  public readonly buildxDriver: BuildxDriver;
  /** The build contract: every variable, with its Make and bake defaults, build arg, label and CI value. */
  public readonly variables: BuildVariable[];
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
  private readonly bakeSettings: BakeSettings;
  private readonly generated: Generated = { variables: new Set(), targets: new Map(), bakeVariables: new Set() };
  private readonly joined: Set<IMultiArchService> = new Set();
  private readonly ciProviders: ICiProvider[] = [];
  private filesCreated = false;

  constructor(project: Project, options: MultiArchPipelineOptions = {}) {
    const existing = MultiArchPipeline.of(project);
    if (existing && !(existing instanceof DefaultPipeline)) {
      throw new Error('A project has one MultiArchPipeline; use MultiArchPipeline.of(project) to reach it');
    }
    super(project, existing ? 'MultiArchPipelineExplicit' : 'MultiArchPipeline');
    this.registry = checkRegistry('registry', options.registry ?? 'localhost:5000');
    const platforms = options.platforms ?? [Platform.LINUX_AMD64, Platform.LINUX_ARM64];
    if (!Array.isArray(platforms) || platforms.length === 0) throw invalid('platforms', platforms, 'give at least one platform, e.g. [Platform.LINUX_AMD64, Platform.LINUX_ARM64]');
    this.platforms = platforms.map(p => Platform.of(String(p)));
    noRepeats('platforms', this.platforms.map(p => p.value));
    const syntax = options.dockerfileSyntax ?? 'docker/dockerfile:1';
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
    this.bakeSettings = {
      provenance: options.provenance ?? true,
      sbom: options.sbom ?? false,
      tagLatest: options.tagLatest ?? false,
      labels: { ...options.labels },
    };
    this.variables = buildVariables({
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
    this._sync();
    if (existing) this.takeOver(existing);
    if (!(this instanceof DefaultPipeline)) this.addFiles();
    for (const provider of options.ciProviders ?? []) this.addCiProvider(provider);
  }

  /** The services of this project, in creation order (found in the construct tree). */
  public get services(): IMultiArchService[] {
    return servicesOf(this.project);
  }

  /** Adds a CI system to write workflows for; it renders from this pipeline and its contract. */
  public addCiProvider(provider: ICiProvider): void {
    if (this.ciProviders.includes(provider)) return;
    this.ciProviders.push(provider);
    provider.bind(this);
  }

  /**
   * @internal
   * Adds the bake targets of services that are not in the bake file yet, and brings the standard
   * Make targets that list services up to date (every service calls this when it is created).
   */
  public _sync(): void {
    const services = this.services;
    for (const s of services.filter(x => !this.joined.has(x))) {
      this.bake.addTarget(s.bakeTarget, bakeDefaults(this.bakeSettings, this.variables, s));
      this.joined.add(s);
    }
    this.bake.setGroup(DEFAULT_GROUP, services.map(s => s.name));
    let previous: string | undefined;
    for (const target of standardTargets(services)) {
      const current = this.make.tryFindTarget(target.name);
      const mine = this.generated.targets.get(target.name);
      if (!current && !mine) {
        this.make.addTarget(target, { after: previous });
        this.generated.targets.set(target.name, target);
      } else if (current && current === mine) {
        this.make.replaceTarget(target);
        this.generated.targets.set(target.name, target);
      }
      // otherwise the target is the user's (replaced, added first, or removed): it stays as it is
      if (this.make.tryFindTarget(target.name)) previous = target.name;
    }
  }

  /**
   * At synthesis, once every service and escape-hatch change is known: writes the default pipeline's
   * files, lists the services that need emulation (setup-buildx checks the builder for them), and
   * keeps out of every build context what belongs to other services or to the pipeline.
   */
  public preSynthesize(): void {
    // before projen deletes the files of removed services: a pipeline left without services stops
    // the synthesis with the tree as it was
    this.requireServices();
    if (!this.filesCreated) this.addFiles();
    const services = this.services;
    const emulated = services.filter(s => s.dockerfile.runsOnTargetPlatform).map(s => s.name);
    this.make.setDerivedVariable(EMULATED, emulated.join(' '), EMULATED_COMMENT);
    for (const s of services) {
      const others = services.filter(o => o.context !== s.context).map(o => o.context);
      const owned = [...others, this.makefilePath, this.bakeFilePath, HELPER_SCRIPT, SBOM_DIR, METADATA_DIR];
      const excluded = owned.map(p => inside(s.context, p)).filter((p): p is string => !!p);
      s.dockerignore.addPatterns(...excluded);
    }
  }

  /** Everything the contract puts in the Makefile and the bake file before any service. */
  private addContract(): void {
    for (const v of makeVariables(this.variables)) {
      this.make.addVariable(v);
      this.generated.variables.add(v);
    }
    for (const a of makeAssertions()) this.make.addAssertion(a.expression, a.comment);
    for (const d of makeDerivedVariables({ bakeFilePath: this.bakeFilePath }, this.variables)) {
      this.make.addDerivedVariable(d.name, d.body, d.comment);
    }
    for (const v of bakeVariables(this.variables)) {
      this.bake.addVariable(v);
      this.generated.bakeVariables.add(v);
    }
  }

  /**
   * Takes the place of the default pipeline the services created, keeping what `.projenrc.ts` added
   * to or changed in its models.
   */
  private takeOver(previous: MultiArchPipeline): void {
    if (previous.ciProviders.length > 0) {
      throw new Error('MultiArchPipeline: the default pipeline already has CI providers; create the MultiArchPipeline before adding CI providers to MultiArchPipeline.of(project)');
    }
    this.project.node.tryRemoveChild(previous.node.id);
    const mine = previous.generated;
    previous.make.variables.filter(v => !mine.variables.has(v)).forEach(v => this.make.addVariable(v));
    const known = (name: string) => this.make.derivedVariables.some(d => d.name === name);
    previous.make.derivedVariables.filter(d => !known(d.name)).forEach(d => this.make.addDerivedVariable(d.name, d.body, d.comment));
    const asserted = this.make.assertions.map(a => a.expression);
    previous.make.assertions.filter(a => !asserted.includes(a.expression)).forEach(a => this.make.addAssertion(a.expression, a.comment));
    for (const [name, target] of mine.targets) {
      const now = previous.make.tryFindTarget(name);
      if (now === undefined) this.make.removeTarget(name);
      else if (now !== target) this.make.replaceTarget(now);
    }
    previous.make.targets.filter(t => !mine.targets.has(t.name)).forEach(t => this.make.addTarget(t));
    previous.bake.variables.filter(v => !mine.bakeVariables.has(v)).forEach(v => this.bake.addVariable(v));
    previous.bake.targets.filter(t => !this.bake.hasTarget(t.name)).forEach(t => this.bake.addTarget(t, previous.bake.defaultsOf(t.name)));
  }

  private addFiles(): void {
    this.filesCreated = true;
    // what pushes record and what build-sbom writes are outputs, not sources
    this.project.gitignore.exclude(`/${METADATA_DIR}/`, `/${SBOM_DIR}/`);
    new GeneratedFile(this, this.bakeFilePath, marker => { this.requireServices(); return this.bake.render(marker); });
    new GeneratedFile(this, this.makefilePath, marker => this.renderMakefile(marker));
    new GeneratedFile(this, HELPER_SCRIPT, helperScript, { executable: true });
  }

  /** The Makefile, once the bake file's targets (and their secrets) are final. */
  private renderMakefile(marker?: string): string {
    this.requireServices();
    const variables = this.make.variables.map(v => v.name);
    const comment = this.make.derivedVariables.find(d => d.name === BAKE_SECRETS)!.comment;
    this.make.setDerivedVariable(BAKE_SECRETS, bakeSecretOverrides(this.bake.targets, variables), comment);
    return this.make.render(marker);
  }

  private requireServices(): void {
    if (this.services.length === 0) {
      throw new Error('MultiArchPipeline has no services: add a GoService or PythonService to the project');
    }
  }
}

/** `target` relative to the directory `context` when it lies inside it (not equal to it), else undefined. */
function inside(context: string, target: string): string | undefined {
  const rel = path.posix.relative(context, target);
  return rel === '' || rel === '..' || rel.startsWith('../') ? undefined : rel;
}

/** The lowest severities a scan can fail at. */
const SCAN_SEVERITIES = ['negligible', 'low', 'medium', 'high', 'critical'];

/** What a pipeline generated itself, to tell it apart from what `.projenrc.ts` added or replaced. */
interface Generated {
  readonly variables: Set<MakeVariable>;
  readonly targets: Map<string, MakeTarget>;
  readonly bakeVariables: Set<BakeVariable>;
}

/** The pipeline a project's first service creates when the project has none yet. */
class DefaultPipeline extends MultiArchPipeline {
  constructor(project: Project) {
    super(project);
  }
}
