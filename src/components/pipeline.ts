import { Component, FileBase, IResolver, Project } from 'projen';
import { IMultiArchService, pipelineHooks, ServiceBase, servicesOf } from './service';
import { BakeModel } from '../bake';
import { MakeModel, MakeTarget } from '../make';
import { Platform } from '../platform';
import { imageReference, invalid, plainText, registry as checkRegistry, relativePath } from '../validation';

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
   * Attach SLSA provenance (`mode=max`) to every image.
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
}

/**
 * The project's multi-arch pipeline: the bake file, the Makefile and their settings. One per
 * project; services created before or after it join it, and a project whose services never
 * create one gets a default one at synthesis.
 */
export class MultiArchPipeline extends Component {
  /** Returns the project's pipeline, if one was created. */
  public static of(project: Project): MultiArchPipeline | undefined {
    return project.components.find((c): c is MultiArchPipeline => c instanceof MultiArchPipeline);
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
  /** The bake model (escape hatch; service targets are added at synthesis, see `GoService.bakeTarget`). */
  public readonly bake: BakeModel;
  /**
   * The Makefile model (escape hatch). The standard targets are added at synthesis unless a target
   * of the same name was added first, which then replaces it.
   */
  public readonly make: MakeModel;
  /** The Makefile path. */
  public readonly makefilePath: string;
  /** The bake file path. */
  public readonly bakeFilePath: string;
  private readonly options: MultiArchPipelineOptions;
  private finalized = false;

  constructor(project: Project, options: MultiArchPipelineOptions = {}) {
    if (MultiArchPipeline.of(project)) {
      throw new Error('A project has one MultiArchPipeline; use MultiArchPipeline.of(project) to reach it');
    }
    super(project, 'MultiArchPipeline');
    this.options = options;
    this.registry = checkRegistry('registry', options.registry ?? 'localhost:5000');
    const platforms = options.platforms ?? [Platform.LINUX_AMD64, Platform.LINUX_ARM64];
    if (platforms.length === 0) throw invalid('platforms', platforms, 'give at least one platform');
    this.platforms = platforms.map(p => Platform.of(String(p)));
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
    if (options.scanSeverity !== undefined && !['negligible', 'low', 'medium', 'high', 'critical'].includes(options.scanSeverity)) {
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
    this.bake = new BakeModel();
    this.make = new MakeModel({ standalone: this.makefilePath === 'Makefile' });
    new RenderedFile(this, this.bakeFilePath, marker => { this.finalize(); return this.bake.render(marker); });
    new RenderedFile(this, this.makefilePath, marker => { this.finalize(); return this.make.render(marker); });
  }

  /** The services of this project, in creation order. */
  public get services(): IMultiArchService[] {
    return servicesOf(this.project);
  }

  /** Adds the service targets and the standard Make targets, once, at synthesis. */
  private finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    const services = servicesOf(this.project);
    if (services.length === 0) {
      throw new Error('MultiArchPipeline has no services: add a GoService or PythonService to the project');
    }
    this.addBakeContent(services);
    this.addMakeContent(services);
  }

  private addBakeContent(services: ServiceBase[]): void {
    const o = this.options;
    const vars: Array<[string, string, string]> = [
      ['REGISTRY', this.registry, 'Registry and namespace images are pushed to'],
      ['VERSION', 'dev', 'Image tag and the version compiled into binaries'],
      ['PLATFORMS', this.platforms.map(p => p.value).join(','), 'Comma-separated target platforms'],
      ['CACHE_REGISTRY', this.cacheRegistry, 'Registry for the build cache; empty disables it'],
      ['BUILD_DATE', '', 'RFC 3339 build time (org.opencontainers.image.created)'],
      ['VCS_REF', '', 'Source revision (org.opencontainers.image.revision)'],
    ];
    for (const [name, def, description] of vars) {
      if (!this.bake.variables.some(v => v.name === name)) this.bake.addVariable({ name, default: def, description });
    }
    this.bake.setGroup('default', services.map(s => s.name));
    if (!this.bake.hasTarget('docker-metadata-action')) {
      // docker/metadata-action's bake file overrides this target in CI; services inherit from it.
      this.bake.addEmptyTarget('docker-metadata-action');
    }
    const attest = [
      ...(o.provenance ?? true ? ['type=provenance,mode=max'] : []),
      ...(o.sbom ? ['type=sbom'] : []),
    ];
    for (const s of services) {
      const t = s.bakeTarget;
      if (o.tagLatest && !t.tags.some(x => x.endsWith(':latest'))) t.tags.push(`\${REGISTRY}/${s.imageName}:latest`);
      const labels = { 'org.opencontainers.image.title': s.name, 'org.opencontainers.image.version': '${VERSION}', 'org.opencontainers.image.created': '${BUILD_DATE}', 'org.opencontainers.image.revision': '${VCS_REF}', ...o.labels };
      for (const [k, v] of Object.entries(labels)) if (!(k in t.labels)) t.labels[k] = v;
      if (t.cacheFrom.length === 0 && t.cacheTo.length === 0) {
        t.cacheFrom.push(`type=registry,ref=\${CACHE_REGISTRY}/${s.imageName}:cache`);
        t.cacheTo.push(`type=registry,ref=\${CACHE_REGISTRY}/${s.imageName}:cache,mode=max`);
        t.cacheEnabledVariable = t.cacheEnabledVariable ?? 'CACHE_REGISTRY';
      }
      if (t.attest.length === 0) t.attest.push(...attest);
      this.bake.addTarget(t);
    }
  }

  private addMakeContent(services: ServiceBase[]): void {
    const o = this.options;
    const m = this.make;
    const variable = (name: string, def: string, description: string, evaluateOnce = false) => {
      if (!m.variables.some(v => v.name === name)) m.addVariable({ name, default: def, description, evaluateOnce });
    };
    variable('REGISTRY', this.registry, 'registry/namespace to push to');
    // characters an image tag cannot hold (e.g. "/" in release/1.2) become "-"
    variable('VERSION', "$(shell (git describe --tags --always --dirty 2>/dev/null || echo dev) | sed 's/[^A-Za-z0-9_.-]/-/g')", 'image tag and compiled-in version', true);
    variable('PLATFORMS', this.platforms.map(p => p.value).join(','), 'comma-separated target platforms');
    variable('PUSH', 'false', 'push images (true) or only build them (false)');
    variable('BUILDER', o.builderName ?? 'multiarch', 'buildx builder name (not used by the docker driver)');
    variable('BUILDX_DRIVER', this.buildxDriver, 'docker | docker-container | kubernetes | remote');
    variable('BUILDX_DRIVER_OPTS', '', 'extra --driver-opt values, comma-separated (e.g. namespace=buildkit)');
    variable('BUILDX_ENDPOINT', '', 'BuildKit address for the remote driver (e.g. tcp://buildkitd:1234)');
    variable('CACHE_REGISTRY', this.cacheRegistry, 'registry for the build cache; empty disables it');
    variable('BUILD_DATE', '$(shell date -u +%Y-%m-%dT%H:%M:%SZ)', 'build time label', true);
    variable('VCS_REF', '$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)', 'source revision label', true);
    variable('BAKE_FLAGS', '', 'extra docker buildx bake flags, e.g. --no-cache or --set=*.platform=linux/arm64');
    variable('SCAN_SEVERITY', o.scanSeverity ?? 'high', 'lowest severity that fails the vulnerability scan');
    variable('COSIGN_KEY', '', 'cosign key reference; empty signs keyless (OIDC)');
    variable('SBOM_DIR', 'sbom', 'where build-sbom writes SPDX files');

    // The engine's own builder is "default"; the other drivers use the named builder.
    const builder = '$(if $(filter docker,$(BUILDX_DRIVER)),default,$(BUILDER))';
    m.addAssertion('$(if $(filter-out true false,$(PUSH)),$(error PUSH must be true or false, not "$(PUSH)"))',
      'PUSH=1 or PUSH=yes would silently not push; refuse anything but true or false');
    const bakeEnv = ['REGISTRY', 'VERSION', 'PLATFORMS', 'CACHE_REGISTRY', 'BUILD_DATE', 'VCS_REF'].map(v => `${v}="$(${v})"`).join(' ');
    m.addDerivedVariable('BAKE', `${bakeEnv} docker buildx bake --builder ${builder} -f ${this.bakeFilePath} $(BAKE_FLAGS)`,
      'The bake file reads its variables from the environment. Always -f: without it bake also merges any compose file it finds');
    const bake = '$(BAKE)';
    const pushFlag = '$(if $(filter true,$(PUSH)),--push,)';
    const refOf = (s: ServiceBase) => `$(REGISTRY)/${s.imageName}:$(VERSION)`;
    // literal lists are space-separated: a comma would split the $(call) arguments
    const platformsOf = (s: ServiceBase) => s.platforms ? s.platforms.map(p => p.value).join(' ') : '$(PLATFORMS)';
    m.addDerivedVariable('verify_image', verifyFunction(),
      '$(call verify_image,<image ref>,<platforms>): fail unless the pushed index lists every platform (attestation entries are ignored)');
    const verify = services.map(s => `@$(call verify_image,${refOf(s)},${platformsOf(s)})`);
    // targets that read pushed images wait for any build requested in the same call (make -j)
    const builds = ['build-multiarch', 'build-complete', 'ci-build', 'ci-push', ...services.map(s => `build-${s.name}`)];
    const needs = (tool: string, target: string, hint: string) =>
      `@command -v ${tool} >/dev/null 2>&1 || { echo "${target}: ${tool} is not installed; ${hint}" >&2; exit 127; }`;
    const perPlatform = (s: ServiceBase, body: string) =>
      `@for p in $$(echo "${platformsOf(s)}" | tr , ' '); do ${body}; done`;

    const targets: MakeTarget[] = [
      { name: 'setup-buildx', description: 'Create or select the buildx builder for BUILDX_DRIVER', recipe: setupBuildxRecipe() },
      { name: 'build-multiarch', description: 'Build every image for PLATFORMS; push when PUSH=true', prerequisites: ['setup-buildx'], recipe: [`${bake} ${pushFlag} default`] },
      ...services.map(s => ({ name: `build-${s.name}`, description: `Build ${s.name} for ${s.platforms ? platformsOf(s) : 'PLATFORMS'}; push when PUSH=true`, prerequisites: ['setup-buildx'], recipe: [`${bake} ${pushFlag} ${s.name}`] })),
      { name: 'build-verify', description: 'Check every pushed image index has every platform (no rebuild)', recipe: verify, runsAfter: builds },
      { name: 'build-complete', description: 'Build and push every image once, then verify it', prerequisites: ['setup-buildx'], recipe: [`${bake} --push default`, ...verify] },
      {
        name: 'build-sbom',
        description: 'Write an SPDX SBOM per pushed image and platform (syft; no rebuild)',
        runsAfter: builds,
        recipe: [needs('syft', 'build-sbom', 'see https://github.com/anchore/syft#installation'), '@mkdir -p "$(SBOM_DIR)"',
          ...services.map(s => perPlatform(s, `syft scan --platform "$$p" "registry:${refOf(s)}" -o "spdx-json=$(SBOM_DIR)/${s.name}-$\${p//\\//-}.spdx.json"`))],
      },
      {
        name: 'build-vulnerability-scan',
        description: 'Scan every pushed image and platform; fail at SCAN_SEVERITY (grype; no rebuild)',
        runsAfter: builds,
        recipe: [needs('grype', 'build-vulnerability-scan', 'see https://github.com/anchore/grype#installation'),
          ...services.map(s => perPlatform(s, `grype --platform "$$p" --fail-on "$(SCAN_SEVERITY)" "registry:${refOf(s)}"`))],
      },
      {
        name: 'build-sign',
        description: 'Sign every pushed image by digest (cosign; keyless unless COSIGN_KEY)',
        runsAfter: builds,
        recipe: [needs('cosign', 'build-sign', 'see https://docs.sigstore.dev/cosign/system_config/installation/'),
          ...services.map(s => `@digest=$$(docker buildx imagetools inspect "${refOf(s)}" --format '{{json .Manifest.Digest}}' | tr -d '"') && cosign sign --yes $(if $(COSIGN_KEY),--key "$(COSIGN_KEY)",) "$(REGISTRY)/${s.imageName}@$$digest"`)],
      },
      { name: 'ci-setup', description: 'CI: prepare the builder and print tool versions', prerequisites: ['setup-buildx'], recipe: ['docker version', 'docker buildx version', `docker buildx inspect --bootstrap ${builder}`] },
      { name: 'ci-build', description: 'CI: build every image for every platform without pushing (pull requests)', prerequisites: ['ci-setup'], recipe: [`${bake} default`] },
      { name: 'ci-push', description: 'CI: build and push every image once, then verify the indexes', prerequisites: ['ci-setup'], recipe: [`${bake} --push default`, ...verify] },
      { name: 'ci-security', description: 'CI: SBOM and vulnerability scan of the pushed images (no rebuild)', prerequisites: ['build-sbom', 'build-vulnerability-scan'] },
      { name: 'ci-sign', description: 'CI: sign the pushed images (no rebuild)', prerequisites: ['build-sign'] },
    ];
    for (const t of targets) {
      if (!m.tryFindTarget(t.name)) m.addTarget(t);
    }
  }
}

/** The shell body of `verify_image`: $(1) is the image reference, $(2) the platforms (comma- or space-separated). */
function verifyFunction(): string {
  const format = '{{range .Manifest.Manifests}}{{.Platform.OS}}/{{.Platform.Architecture}}{{if .Platform.Variant}}/{{.Platform.Variant}}{{end}} {{end}}';
  return [
    // a single-platform image is a manifest, not an index: the range fails and .Image is its config
    `got=$$(docker buildx imagetools inspect "$(1)" --format '${format}' 2>/dev/null || docker buildx imagetools inspect "$(1)" --format '{{.Image.OS}}/{{.Image.Architecture}}{{if .Image.Variant}}/{{.Image.Variant}}{{end}}') || { echo "build-verify: cannot inspect $(1); was it pushed (PUSH=true)?" >&2; exit 1; }`,
    'for p in $$(echo "$(2)" | tr , \' \'); do case " $$got " in *" $$p "*) ;; *) echo "build-verify: $(1) lacks $$p (index has: $$got)" >&2; exit 1 ;; esac; done',
    'echo "build-verify: $(1) has $(2)"',
  ].join('; ');
}

function setupBuildxRecipe(): string[] {
  // node per platform: linux/arm/v7 -> <builder>-arm-v7, selected by the node's architecture label
  const arch = 'node=$${p#*/}; node=$${node//\\//-}; arch=$${node%%-*}';
  return [[
    '@case "$(BUILDX_DRIVER)" in',
    '  docker) echo "setup-buildx: using the engine\'s own builder (docker driver; multi-platform needs the containerd image store)"; docker buildx inspect default >/dev/null ;;',
    '  docker-container|kubernetes|remote) if docker buildx inspect "$(BUILDER)" >/dev/null 2>&1; then echo "setup-buildx: using builder $(BUILDER)"; exit 0; fi ;;&',
    // a BuildKit container has its own network: a registry on localhost is only reachable with network=host
    '  docker-container) case "$(REGISTRY)" in localhost[:/]*|127.*) net=--driver-opt=network=host ;; *) net= ;; esac; docker buildx create --name "$(BUILDER)" --driver docker-container $$net $(if $(BUILDX_DRIVER_OPTS),--driver-opt "$(BUILDX_DRIVER_OPTS)",) --bootstrap ;;',
    '  remote) test -n "$(BUILDX_ENDPOINT)" || { echo "setup-buildx: set BUILDX_ENDPOINT for the remote driver (e.g. tcp://buildkitd:1234)" >&2; exit 2; }; docker buildx create --name "$(BUILDER)" --driver remote $(if $(BUILDX_DRIVER_OPTS),--driver-opt "$(BUILDX_DRIVER_OPTS)",) "$(BUILDX_ENDPOINT)" --bootstrap ;;',
    `  kubernetes) append=; for p in $$(echo "$(PLATFORMS)" | tr , ' '); do ${arch}; docker buildx create --name "$(BUILDER)" $$append --driver kubernetes --node "$(BUILDER)-$$node" --platform "$$p" --driver-opt "nodeselector=kubernetes.io/arch=$$arch" $(if $(BUILDX_DRIVER_OPTS),--driver-opt "$(BUILDX_DRIVER_OPTS)",); append=--append; done; docker buildx inspect --bootstrap "$(BUILDER)" ;;`,
    '  *) echo "setup-buildx: BUILDX_DRIVER must be docker, docker-container, kubernetes or remote, not \\"$(BUILDX_DRIVER)\\"" >&2; exit 2 ;;',
    'esac',
  ].join(' \\\n')];
}

/** A projen file whose content is rendered by a callback, with the projen marker. */
class RenderedFile extends FileBase {
  constructor(scope: Component, filePath: string, private readonly renderer: (marker?: string) => string) {
    super(scope, filePath);
  }

  protected synthesizeContent(_: IResolver): string | undefined {
    return this.renderer(this.marker);
  }
}

/** Creates the default pipeline at synthesis for a project whose services never created one. */
class DefaultPipeline extends Component {
  public preSynthesize(): void {
    if (!MultiArchPipeline.of(this.project)) new MultiArchPipeline(this.project);
  }
}

pipelineHooks.ensure = (project: Project) => {
  if (!project.components.some(c => c instanceof DefaultPipeline)) new DefaultPipeline(project, 'DefaultMultiArchPipeline');
};
