import * as path from 'path';
import { Project } from 'projen';
import { addUpxTool, DEPS_STAGE, dependencyStagesKey, enableSharedUpx, goDockerfile, GoDockerfileSpec, NETRC_SECRET, UPX_ARG } from './dockerfile';
import { compareGoVersions, GoModuleInfo, readGoModule } from './module';
import { BakeTarget } from '../../bake';
import { addDockerfile } from '../../components/dockerfile-file';
import { MultiArchPipeline } from '../../components/pipeline';
import { resolveService, ServiceBase, ServiceOptions, servicesOf, warnMissing } from '../../components/service';
import { BAKE, cacheReference, DESCRIPTION_LABEL, TITLE_LABEL } from '../../contract/internal';
import { DockerfileModel } from '../../dockerfile';
import { Platform } from '../../platform';
import { goPackage, imageReference, invalid, noControlCharacters, relativePath, serviceName, shellWord, stringList, version } from '../../validation';
import { imageLabels } from '../runtime';

/** Options of a Go service. */
export interface GoServiceOptions extends ServiceOptions {
  /**
   * Go version of the default builder image. It may not be older than the `go` line of go.mod.
   * @default - the `toolchain` or else the `go` line of `<moduleRoot>/go.mod`; "1.24" when there is no go.mod yet
   */
  readonly goVersion?: string;
  /**
   * `GOPROXY` for the module download, e.g. a company proxy `https://goproxy.internal.example,direct`.
   * Its credentials, if any, are a netrc given as a build secret: `make <target> GO_NETRC=~/.netrc`.
   * @default - Go's default (https://proxy.golang.org,direct)
   */
  readonly goProxy?: string;
  /**
   * `GOPRIVATE`: module path patterns fetched directly from their repositories (with the netrc's
   * credentials, e.g. a token for git over HTTPS), never through a proxy or the checksum database.
   * @default - none
   */
  readonly goPrivate?: string;
  /**
   * `GONOSUMDB`: module path patterns not checked against the public checksum database (private
   * modules served by a private proxy, whose hashes are in go.sum).
   * @default - none
   */
  readonly goNoSumDb?: string;
  /**
   * The builder image (a Go toolchain with a shell). It runs on the build machine's platform and
   * cross-compiles, so only its build-platform variant is ever pulled.
   * @default - `golang:<goVersion>-bookworm`
   */
  readonly builderImage?: string;
  /**
   * The runtime image.
   * @default - "gcr.io/distroless/static-debian12:nonroot" ("gcr.io/distroless/base-debian12:nonroot" with `cgo`)
   */
  readonly runtimeImage?: string;
  /**
   * The Go module root, used as the build context.
   * @default "."
   */
  readonly moduleRoot?: string;
  /**
   * The main package, relative to the module root.
   * @default "./cmd/<name>"
   */
  readonly mainPackage?: string;
  /**
   * Where the Dockerfile is written, relative to the project root.
   * @default - next to the main package ("cmd/<name>/Dockerfile" under the module root by default), or "Dockerfile" in the module root with `sharedDockerfile`
   */
  readonly dockerfilePath?: string;
  /**
   * Build from one Dockerfile shared by several Go services (the service is chosen by build args),
   * instead of a Dockerfile of its own. Services sharing a Dockerfile must agree on `builderImage`,
   * `runtimeImage`, `cgo`, `user` and `versionVariable`, and all set `port` or none.
   * @default false
   */
  readonly sharedDockerfile?: boolean;
  /**
   * Enable cgo. The build then runs on the target platform (emulated with QEMU when the builder is
   * another architecture: correct, but much slower) with the builder image's C toolchain, and the
   * default runtime becomes distroless base (glibc).
   * @default false
   */
  readonly cgo?: boolean;
  /**
   * Whether the runtime image has a shell. Shell-form instructions added to the runtime stage
   * through the escape hatch are refused when it has none.
   * @default false
   */
  readonly runtimeHasShell?: boolean;
  /**
   * Compress the binary with UPX on linux/amd64 only (UPX is known to break arm64 binaries); other
   * platforms skip it with a message in the build log. UPX hides the Go build info that scanners
   * read, so `go version -m` of the binary is kept in `/usr/local/share/go-buildinfo/` (label
   * `build.go-buildinfo`). UPX is installed in the `modules` stage, which the module's Go services
   * share (once per build, on the build platform, or once per platform with `cgo`; never again for
   * a code change or a new go.mod): `upx-ucl` with apt, when the builder image has no `upx` and no
   * `upxImage` is given.
   * @default false
   */
  readonly upx?: boolean;
  /**
   * Pin UPX: an image holding a `upx` binary for the build platform at `/usr/local/bin/upx` (a
   * static release binary, e.g. in an image `FROM scratch`), copied into the builder. The services
   * of a module that pack with UPX on the same platforms share it: they must give the same
   * `upxImage`, or none.
   * @default - the builder's own `upx`, or `upx-ucl` from apt
   */
  readonly upxImage?: string;
  /**
   * Extra `-ldflags` entries, e.g. `["-X", "main.commit=abc"]`. `-w -s` and the version are always set.
   * @default []
   */
  readonly ldflags?: string[];
  /**
   * Go build tags.
   * @default []
   */
  readonly buildTags?: string[];
  /**
   * The string variable that receives the image VERSION through `-X` (it must exist, or Go ignores it silently).
   * @default "main.version"
   */
  readonly versionVariable?: string;
}

/**
 * A Go service built into a multi-architecture image: cross-compiled on the build platform
 * (no emulation), `CGO_ENABLED=0`, reproducible flags, a distroless non-root runtime.
 */
export class GoService extends ServiceBase {
  /**
   * The services whose dependency stages match, on the same platforms, share one UPX tool in them
   * (see sharedGroup, shareUpxTool), so those that pack must take it from the same place. Checked
   * before the service is created.
   */
  private static checkUpxSource(project: Project, name: string, go: UpxSettings): void {
    if (!go.upx) return;
    const source = (s: { upxImage?: string }) => (s.upxImage ? `upxImage "${s.upxImage}"` : 'apt (no upxImage)');
    const group = upxGroup(dependencyKey(go), go.service.platforms);
    const other = goServicesOf(project).find(s => s.upx && s.upxImage !== go.upxImage && upxGroup(s.dependencyKey(), s.platforms) === group);
    if (other) {
      throw new Error(`GoService "${name}" takes UPX from ${source(go)}, but "${other.name}", whose dependency stages it shares (same module root, builder image, cgo, Go environment, build tags and platforms), takes it from ${source(other)}: the stages hold one UPX, so give both the same upxImage`);
    }
  }

  /** The Dockerfile model (escape hatch; shared with other services when `sharedDockerfile`). */
  public readonly dockerfile: DockerfileModel;
  /** The Go module root (build context). */
  public readonly moduleRoot: string;
  /** The main package. */
  public readonly mainPackage: string;
  /** The builder image. */
  public readonly builderImage: string;
  /** The runtime image. */
  public readonly runtimeImage: string;
  /** Whether cgo is enabled. */
  public readonly cgo: boolean;
  /** Whether UPX runs on amd64. */
  public readonly upx: boolean;
  /** Whether the service uses the shared Dockerfile. */
  public readonly sharedDockerfile: boolean;
  /** The `-X` version variable. */
  public readonly versionVariable: string;
  /** Whether the runtime image has a shell. */
  public readonly runtimeHasShell: boolean;
  /** The Go version (from the option, or go.mod). */
  public readonly goVersion: string;
  /** GOPROXY, GOPRIVATE and GONOSUMDB of the module download, when set. */
  public readonly goEnv: { [name: string]: string };
  /** The UPX image, if pinned. */
  public readonly upxImage?: string;
  /** What the module root holds: local modules, a workspace, a vendor tree (read at synthesis). */
  public readonly module: GoModuleInfo;
  private readonly ldflags: string[];
  private readonly buildTags: string[];

  constructor(project: Project, name: string, options: GoServiceOptions = {}) {
    const go = resolveGo(project, name, options);
    GoService.checkUpxSource(project, name, go);
    super(project, go.service);
    this.moduleRoot = go.moduleRoot;
    this.sharedDockerfile = go.shared;
    this.mainPackage = go.mainPackage;
    this.cgo = go.cgo;
    this.upx = go.upx;
    this.builderImage = go.builderImage;
    this.runtimeImage = go.runtimeImage;
    this.runtimeHasShell = go.runtimeHasShell;
    this.versionVariable = go.versionVariable;
    this.goVersion = go.goVersion;
    this.goEnv = go.goEnv;
    this.upxImage = go.upxImage;
    this.module = go.module;
    this.ldflags = go.ldflags;
    this.buildTags = go.buildTags;

    this.dockerignore.requirePath('go.mod', this.dockerfilePath);
    for (const dir of this.module.localModules) this.dockerignore.requirePath(`${dir}/go.mod`, `${this.dockerfilePath} (a local module)`);
    if (this.module.vendor) this.dockerignore.requirePath('vendor', `${this.dockerfilePath} (the vendor tree)`);
    this.dockerignore.requirePath(this.mainPackage.replace(/^\.\//, ''), `${this.dockerfilePath} (main package of ${name})`);

    if (this.sharedDockerfile) {
      this.dockerfile = this.joinShared(project);
      Object.assign(this.bakeTarget.args, {
        SERVICE: name,
        MAIN_PACKAGE: this.mainPackage,
        ...(this.upx ? { [UPX_ARG]: 'true' } : {}),
        EXTRA_LDFLAGS: this.ldflags.join(' '),
        DESCRIPTION: this.description ?? '',
        ...(this.port !== undefined ? { PORT: String(this.port) } : {}),
      });
    } else {
      this.dockerfile = goDockerfile(this, {
        binary: name,
        mainPackage: this.mainPackage,
        ldflags: this.ldflags.join(' '),
        tags: this.buildTags.join(','),
        shared: false,
        upx: this.upx,
        labels: imageLabels(this.name, this.description),
        port: this.port,
      });
      addDockerfile(project, this.dockerfilePath, this.dockerfile);
    }
    // the module's dependency stages: every Go Dockerfile takes the same args (see preSynthesize)
    Object.assign(this.bakeTarget.args, { GO_PACKAGES: this.mainPackage, BUILD_TAGS: this.buildTags.join(',') });
    // credentials for private modules: a netrc build secret, only when GO_NETRC is set
    this.bakeTarget.addSecret({ id: NETRC_SECRET, source: '${GO_NETRC}', whenSet: 'GO_NETRC' });
    MultiArchPipeline._ensure(project)._sync();
  }

  /**
   * GO_PACKAGES: the main packages of every Go service whose dependency stages match this one's
   * (same module, builder, cgo, tags, module settings), so their `imports` and `deps` stages are one
   * step per platform that BuildKit runs once and a registry cache carries once, and, with the same
   * platforms and the same dependency stages in their Dockerfiles (an escape hatch may change one),
   * one bake target (see shareDependencies).
   */
  public preSynthesize(): void {
    super.preSynthesize();
    warnMissing(this.project, `GoService "${this.name}"`, [
      ['moduleRoot', this.moduleRoot, path.join(this.moduleRoot, 'go.mod'), 'the build reads it: run "go mod init <module path>" there'],
      ['mainPackage', this.mainPackage, path.join(this.moduleRoot, this.mainPackage), `the build compiles it: put package main there (with the string variable ${this.versionVariable})`],
    ]);
    const key = this.dependencyKey();
    const group = goServicesOf(this.project).filter(s => s.dependencyKey() === key);
    this.bakeTarget.args.GO_PACKAGES = [...new Set(group.map(s => s.mainPackage))].sort().join(' ');
    const shared = this.sharedGroup();
    if (shared) this.shareDependencies(shared);
  }

  /**
   * Gives every Dockerfile of a group the UPX tool of the group's services that pack (see
   * addUpxTool), so that their dependency stages stay the same: the one bake target that builds
   * them then carries the tool, in its registry cache, for all of them.
   */
  private shareUpxTool(group: GoService[]): void {
    const packer = group.find(s => s.upx);
    if (!packer) return;
    for (const s of group) addUpxTool(s.dockerfile, packer);
  }

  /** The services that get their `deps` stage from one bake target with this one, if any. */
  private sharedGroup(): GoService[] | undefined {
    const key = this.dependencyKey();
    const group = goServicesOf(this.project).filter(s => s.dependencyKey() === key);
    // the UPX tool is left out: shareDependencies gives it to every Dockerfile of the group
    const stages = this.dependencyStages();
    const shareable = group.every(s => samePlatforms(s.bakeTarget, this.bakeTarget) && s.dependencyStages() === stages);
    return group.length > 1 && shareable ? group : undefined;
  }

  /**
   * Gives the services of a group their `deps` stage from one bake target of its own (a named context
   * `deps = "target:_go-deps"`), which bake builds once per platform for all of them. Without it, each
   * service's target has its own copy of the stages, which BuildKit merges only once their cache
   * keys match; before buildx 0.17 (a build context per target), the merged step then looks its key
   * up in one target's registry cache only, and a fresh runner can compile the dependencies again.
   * Only for services with the same platforms: bake builds a linked target for all of its platforms.
   */
  private shareDependencies(group: GoService[]): void {
    const pipeline = MultiArchPipeline._ensure(this.project);
    const groups = new Set(goServicesOf(this.project).map(s => s.sharedGroup()?.[0]).filter(s => s !== undefined));
    // the leading "_" keeps it apart from every service (a service name starts with a letter or digit)
    const name = groups.size > 1 ? `_go-deps-${group[0].name}` : '_go-deps';
    const first = group[0];
    if (!pipeline.bake.hasTarget(name)) {
      // a repository of its own, next to the services' caches: the two exports run at once, and a
      // registry can fail a tag write racing another in the same repository (distribution 2.8 does)
      const images = new Set(servicesOf(this.project).map(s => s.imageName));
      let repository = `${first.imageName}-go-deps`;
      while (images.has(repository)) repository += '-cache';
      const cache = `type=registry,ref=${cacheReference(BAKE, repository)}`;
      const target = new BakeTarget(name, {
        description: `The Go dependencies of ${group.map(s => s.name).join(', ')}: built once per platform for all of them`,
        context: first.bakeTarget.context,
        dockerfile: first.bakeTarget.dockerfile,
        target: 'deps',
        platforms: first.bakeTarget.platforms,
        platformsVariable: first.bakeTarget.platformsVariable,
        // a constant date: the stage has no image, and a dated one is a new untagged image in the
        // engine on every build with the docker driver (which ignores the cacheonly output)
        args: { GO_PACKAGES: this.bakeTarget.args.GO_PACKAGES, BUILD_TAGS: this.buildTags.join(','), SOURCE_DATE_EPOCH: '0' },
        cacheFrom: [cache],
        cacheTo: [`${cache},mode=max`],
        cacheEnabledVariable: 'CACHE_REGISTRY',
        cacheWriteVariable: 'CACHE_WRITE',
        attest: ['type=provenance,disabled=true'],
      });
      target.addOverride('output', ['type=cacheonly']);
      target.addSecret({ id: NETRC_SECRET, source: '${GO_NETRC}', whenSet: 'GO_NETRC' });
      pipeline.bake.addTarget(target);
    }
    this.shareUpxTool(group);
    this.bakeTarget.contexts[DEPS_STAGE] = `target:${name}`;
  }

  /**
   * The `modules`, `imports` and `deps` stages of the service's Dockerfile as BuildKit sees them with
   * bake's args: without comments and ARG defaults (bake sets GO_PACKAGES and BUILD_TAGS), and
   * without the UPX tool (the group shares one, see shareUpxTool).
   */
  private dependencyStages(): string {
    return dependencyStagesKey(this.dockerfile);
  }

  /** What the `modules`, `imports` and `deps` stages depend on, besides the sources. */
  private dependencyKey(): string {
    const { moduleRoot, builderImage, cgo, goEnv, module, buildTags } = this;
    return dependencyKey({ moduleRoot, builderImage, cgo, goEnv, module, buildTags });
  }

  /** The shared Dockerfile's model: the first service at the path creates it, the others use it. */
  private joinShared(project: Project): DockerfileModel {
    // compatibility with the owner was checked by resolveGo
    const owner = sharedOwner(project, this.dockerfilePath, this);
    const spec: GoDockerfileSpec = {
      binary: 'service',
      mainPackage: '${MAIN_PACKAGE}',
      ldflags: '${EXTRA_LDFLAGS}',
      tags: '${BUILD_TAGS}',
      shared: true,
      upx: this.upx,
      labels: { ...imageLabels(this.name, this.description), [TITLE_LABEL]: '${SERVICE}', [DESCRIPTION_LABEL]: '${DESCRIPTION}' },
      portArg: this.port !== undefined,
    };
    if (owner) {
      // UPX steps join the shared Dockerfile with the first service that enables UPX
      if (this.upx) enableSharedUpx(owner.dockerfile, owner, spec);
      return owner.dockerfile;
    }
    const model = goDockerfile(this, spec);
    addDockerfile(project, this.dockerfilePath, model);
    return model;
  }
}

/** The GoServices of the project, in creation order. */
function goServicesOf(project: Project): GoService[] {
  return servicesOf(project).filter((s): s is GoService => s instanceof GoService);
}

/** The settings a Go service's `modules`, `imports` and `deps` stages depend on, besides the sources. */
interface DependencySettings {
  readonly moduleRoot: string;
  readonly builderImage: string;
  readonly cgo: boolean;
  readonly goEnv: { [name: string]: string };
  readonly module: GoModuleInfo;
  readonly buildTags: string[];
}

/** A key that is the same for Go services whose dependency stages are the same. */
function dependencyKey(go: DependencySettings): string {
  return JSON.stringify([go.moduleRoot, go.builderImage, go.cgo, go.goEnv, go.module, go.buildTags.join(',')]);
}

/** What checkUpxSource reads of a service being created. */
interface UpxSettings extends DependencySettings {
  readonly upx: boolean;
  readonly upxImage?: string;
  readonly service: { readonly platforms?: Platform[] };
}

/**
 * A key that is the same for Go services that can share their dependency stages, and so one UPX
 * tool: the same stages (`dependencies`, a dependencyKey) on the same platforms (as samePlatforms
 * compares them).
 */
function upxGroup(dependencies: string, platforms?: Platform[]): string {
  return JSON.stringify([dependencies, platforms?.map(p => p.value) ?? null]);
}

/** Whether two targets build for the same platforms. */
function samePlatforms(a: BakeTarget, b: BakeTarget): boolean {
  return JSON.stringify(a.platforms ?? a.platformsVariable) === JSON.stringify(b.platforms ?? b.platformsVariable);
}

/** The first GoService that uses the shared Dockerfile at `dockerfilePath`, found in the construct tree. */
function sharedOwner(project: Project, dockerfilePath: string, except?: GoService): GoService | undefined {
  return servicesOf(project).find((s): s is GoService =>
    s instanceof GoService && s !== except && s.sharedDockerfile && s.dockerfilePath === dockerfilePath);
}

/** Every GoService option, validated before anything is created (see resolveService). */
function resolveGo(project: Project, name: string, options: GoServiceOptions) {
  const moduleRoot = relativePath('moduleRoot', options.moduleRoot ?? '.');
  const shared = options.sharedDockerfile ?? false;
  const under = (p: string) => (moduleRoot === '.' ? p : `${moduleRoot}/${p}`);
  const mainPackage = goPackage('mainPackage', options.mainPackage ?? `./cmd/${serviceName(name)}`);
  // next to the main package: cmd/<name>/Dockerfile by default
  const dockerfilePath = options.dockerfilePath ?? under(shared || mainPackage === '.' ? 'Dockerfile' : `${mainPackage.slice(2)}/Dockerfile`);
  const service = resolveService(project, name, 'GoService', { ...options, context: moduleRoot, dockerfilePath }, shared);
  const module = readGoModule(project.outdir, moduleRoot);
  const goVersion = version('goVersion', options.goVersion ?? module.toolchain ?? module.go ?? '1.24');
  // "1.24" is the golang:1.24 image, the newest 1.24.x: compare at the precision the option gives
  const required = module.go && goVersion.split('.').length === 2 ? module.go.split('.').slice(0, 2).join('.') : module.go;
  if (required && compareGoVersions(goVersion, required) < 0) {
    throw invalid('goVersion', goVersion, `is older than the "go ${module.go}" that ${moduleRoot === '.' ? '' : moduleRoot + '/'}go.mod requires (the builder images set GOTOOLCHAIN=local, so the build would fail): use "${module.go}" or newer, or leave goVersion out to follow go.mod`);
  }
  const cgo = options.cgo ?? false;
  const builderImage = imageReference('builderImage', options.builderImage ?? `golang:${goVersion}-bookworm`);
  const runtimeImage = imageReference('runtimeImage', options.runtimeImage ??
    (cgo ? 'gcr.io/distroless/base-debian12:nonroot' : 'gcr.io/distroless/static-debian12:nonroot'));
  if (cgo && /distroless\/static|chainguard\/static|^scratch$/.test(runtimeImage)) {
    throw invalid('runtimeImage', runtimeImage, 'is a static image without a C library, and a cgo binary links against glibc: use a runtime with libc, such as "gcr.io/distroless/base-debian12:nonroot", or set cgo: false');
  }
  const versionVariable = options.versionVariable ?? 'main.version';
  if (!/^[A-Za-z0-9_./-]+\.[A-Za-z_][A-Za-z0-9_]*$/.test(versionVariable)) {
    throw invalid('versionVariable', versionVariable, 'must be "<package path>.<variable>", e.g. "main.version" or "github.com/org/app/internal/build.Version"');
  }
  const goEnv: { [name: string]: string } = {};
  if (options.goProxy !== undefined) goEnv.GOPROXY = goProxyList('goProxy', options.goProxy);
  if (options.goPrivate !== undefined) goEnv.GOPRIVATE = modulePatterns('goPrivate', options.goPrivate);
  if (options.goNoSumDb !== undefined) goEnv.GONOSUMDB = modulePatterns('goNoSumDb', options.goNoSumDb);
  const go = {
    service,
    moduleRoot,
    module,
    goVersion,
    goEnv,
    upxImage: upxImage(options),
    shared,
    mainPackage,
    cgo,
    builderImage,
    runtimeImage,
    versionVariable,
    upx: options.upx ?? false,
    runtimeHasShell: options.runtimeHasShell ?? false,
    user: service.user,
    ldflags: stringList('ldflags', options.ldflags ?? []).map(f => shellWord('ldflags', f)),
    buildTags: stringList('buildTags', options.buildTags ?? []).map(t => shellWord('buildTags', t, /^[A-Za-z0-9_.]+$/)),
  };
  const owner = shared ? sharedOwner(project, service.dockerfilePath) : undefined;
  if (owner) {
    for (const key of ['builderImage', 'runtimeImage', 'cgo', 'user', 'versionVariable', 'moduleRoot', 'upxImage', 'goEnv'] as const) {
      if (JSON.stringify(owner[key]) !== JSON.stringify(go[key])) {
        throw new Error(`GoService "${name}" shares ${service.dockerfilePath} with "${owner.name}" but its ${key} is ${JSON.stringify(go[key])} instead of ${JSON.stringify(owner[key])}: services sharing a Dockerfile must agree on ${key}`);
      }
    }
    if ((owner.port === undefined) !== (service.port === undefined)) {
      throw new Error(`GoService "${name}" shares ${service.dockerfilePath} with "${owner.name}", but only one of them sets "port": services sharing a Dockerfile must all set a port (EXPOSE \${PORT}) or none`);
    }
  }
  return go;
}

/** `GOPROXY`: URLs and the keywords `direct` and `off`, separated by "," or "|". */
function goProxyList(option: string, value: string): string {
  noControlCharacters(option, value);
  const entry = /^(direct|off|https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~/-]*)?)$/;
  if (value === '' || !value.split(/[,|]/).every(e => entry.test(e))) {
    throw invalid(option, value, 'must be proxy URLs (http:// or https://, no credentials: give them as GO_NETRC) or "direct"/"off", separated by "," or "|"');
  }
  return value;
}

/** `GOPRIVATE`/`GONOSUMDB`: comma-separated module path patterns (globs), e.g. "github.com/acme/*,*.corp.example". */
function modulePatterns(option: string, value: string): string {
  noControlCharacters(option, value);
  if (!/^[A-Za-z0-9.*?_~/[\]-]+(,[A-Za-z0-9.*?_~/[\]-]+)*$/.test(value)) {
    throw invalid(option, value, 'must be comma-separated module path patterns, e.g. "github.com/acme/*,*.corp.example"');
  }
  return value;
}

/** upxImage: an image holding UPX, and only with upx on (otherwise nothing would use it). */
function upxImage(options: GoServiceOptions): string | undefined {
  if (options.upxImage === undefined) return undefined;
  imageReference('upxImage', options.upxImage);
  if (options.upxImage === 'scratch') throw invalid('upxImage', 'scratch', 'must be an image holding /usr/local/bin/upx');
  // services sharing a Dockerfile agree on upxImage, whether or not each of them packs
  if (!options.upx && !options.sharedDockerfile) throw invalid('upxImage', options.upxImage, 'pins the UPX of upx: true, which is off: set upx: true, or leave upxImage out');
  return options.upxImage;
}
