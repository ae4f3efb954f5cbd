import * as path from 'path';
import { Project } from 'projen';
import { BIN_DIR, BUILDINFO_DIR, enableSharedUpx, goDockerfile, GoDockerfileSpec, NETRC_SECRET, UPX_ARG } from './dockerfile';
import { compareGoVersions, GoModuleInfo, readGoModule } from './module';
import { GoModuleBuild } from './module-build';
import { MultiArchPipeline } from '../../components/pipeline';
import { MultiArchService, refuseTypo, resolveService, ServiceDeclaration, ServiceOptions, warnMissing } from '../../components/service';
import { DESCRIPTION_LABEL, TITLE_LABEL } from '../../contract/internal';
import { DockerfileModel } from '../../dockerfile';
import { flag, goPackage, imageReference, invalid, noControlCharacters, relativePath, serviceName, shellWord, stringList, version } from '../../validation';
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
   * The main package, relative to the module root. A path that does not exist where a directory of a
   * close name does (the default's too: a typo in the service name) stops construction with the match.
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
   * Share the module's dependency stages (`modules`, `imports`, `deps`: the downloaded modules and the
   * compiled standard library and dependencies) with the other Go services of the same module root,
   * builder image, cgo, Go environment, build tags and platforms: one bake target builds them once per
   * platform for all of them, and one registry cache carries them. False gives this service stages of
   * its own, e.g. to change them with an escape hatch.
   * @default true
   */
  readonly shareDependencies?: boolean;
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
export class GoService extends MultiArchService {
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
  /** What the module root holds: local modules, a workspace, a vendor tree. */
  private readonly module: GoModuleInfo;
  /** The build of the module's dependencies this service shares with the Go services of the same module, builder, cgo, Go environment, tags and platforms. */
  public readonly moduleBuild: GoModuleBuild;

  constructor(project: Project, name: string, options: GoServiceOptions = {}) {
    const go = resolveGo(project, name, options);
    const build = GoModuleBuild._forKey(project, {
      ...go,
      user: go.service.user,
      alone: go.shareDependencies ? undefined : name,
    });
    build._checkUpx(name, go.upx, go.upxImage);
    const owner = go.shared ? sharedOwner(project, go.service.dockerfilePath) : undefined;
    super(project, name, { ...go.props, dockerfile: goServiceDockerfile(go, owner), writeDockerfile: !owner });
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
    this.moduleBuild = build;

    this.dockerignore.requirePath('go.mod', this.dockerfilePath);
    for (const dir of this.module.localModules) this.dockerignore.requirePath(`${dir}/go.mod`, `${this.dockerfilePath} (a local module)`);
    if (this.module.vendor) this.dockerignore.requirePath('vendor', `${this.dockerfilePath} (the vendor tree)`);
    this.dockerignore.requirePath(this.mainPackage.replace(/^\.\//, ''), `${this.dockerfilePath} (main package of ${name})`);

    if (this.sharedDockerfile) {
      Object.assign(this.bakeTarget.args, {
        SERVICE: name,
        MAIN_PACKAGE: this.mainPackage,
        ...(this.upx ? { [UPX_ARG]: 'true' } : {}),
        EXTRA_LDFLAGS: go.ldflags.join(' '),
        DESCRIPTION: this.description ?? '',
        ...(this.port !== undefined ? { PORT: String(this.port) } : {}),
      });
    }
    // the module build owns GO_PACKAGES, BUILD_TAGS, the UPX tool and the shared deps target
    build._join(this, go.upxImage);
  }

  /** Warns about the paths the build reads that do not exist yet. */
  public preSynthesize(): void {
    super.preSynthesize();
    // (a missing go.mod is the module build's warning, once for all of its services)
    warnMissing(this.project, `GoService "${this.name}"`, [
      ['mainPackage', this.mainPackage, path.join(this.moduleRoot, this.mainPackage), `the build compiles it: put package main there (with the string variable ${this.versionVariable})`],
    ]);
  }
}

/** The Dockerfile of a Go service: its own, the shared one it creates, or the shared one it joins (`owner`'s). */
function goServiceDockerfile(go: ResolvedGo, owner?: GoService): DockerfileModel {
  const settings = { ...go, user: go.service.user };
  if (!go.shared) {
    return goDockerfile(settings, {
      binary: go.service.name,
      mainPackage: go.mainPackage,
      ldflags: go.ldflags.join(' '),
      tags: go.buildTags.join(','),
      shared: false,
      upx: go.upx,
      labels: imageLabels(go.service.name, go.service.description),
      port: go.service.port,
    });
  }
  const spec: GoDockerfileSpec = {
    binary: 'service',
    mainPackage: '${MAIN_PACKAGE}',
    ldflags: '${EXTRA_LDFLAGS}',
    tags: '${BUILD_TAGS}',
    shared: true,
    upx: go.upx,
    labels: { ...imageLabels(go.service.name, go.service.description), [TITLE_LABEL]: '${SERVICE}', [DESCRIPTION_LABEL]: '${DESCRIPTION}' },
    portArg: go.service.port !== undefined,
  };
  if (!owner) return goDockerfile(settings, spec);
  // the owner's settings are this service's (resolveGo checked that they agree); UPX steps join the
  // shared Dockerfile with the first service that enables UPX
  if (go.upx) enableSharedUpx(owner.dockerfile, settings, spec);
  return owner.dockerfile;
}

/** The GoService that writes the shared Dockerfile at `dockerfilePath`, if one does already. */
function sharedOwner(project: Project, dockerfilePath: string): GoService | undefined {
  const owner = MultiArchPipeline.of(project)?._findService('', '', dockerfilePath).byDockerfile;
  return owner instanceof GoService && owner.sharedDockerfile ? owner : undefined;
}

/** A GoService's options, resolved. */
type ResolvedGo = ReturnType<typeof resolveGo>;

/** Every GoService option, validated before anything is created (see resolveService). */
function resolveGo(project: Project, name: string, options: GoServiceOptions) {
  const moduleRoot = relativePath('moduleRoot', options.moduleRoot ?? '.');
  const shared = options.sharedDockerfile ?? false;
  const under = (p: string) => (moduleRoot === '.' ? p : `${moduleRoot}/${p}`);
  const mainPackage = goPackage('mainPackage', options.mainPackage ?? `./cmd/${serviceName(name)}`);
  // next to the main package: cmd/<name>/Dockerfile by default
  const dockerfilePath = options.dockerfilePath ?? under(shared || mainPackage === '.' ? 'Dockerfile' : `${mainPackage.slice(2)}/Dockerfile`);
  refuseTypo(project, `GoService "${name}"`, 'moduleRoot', options.moduleRoot);
  refuseTypo(project, `GoService "${name}"`, 'mainPackage', mainPackage, moduleRoot,
    options.mainPackage === undefined ? { name, pattern: './cmd/<name>' } : undefined);
  const props: ServiceDeclaration = {
    ...options,
    kind: 'GoService',
    context: moduleRoot,
    dockerfilePath,
    sharesDockerfile: shared,
    // files go into the builder's rootfs tree, apart from the binary and its build info
    rootfsStage: 'builder',
    reservedPaths: [`${BIN_DIR}/${name}`, BUILDINFO_DIR],
    // what readGoModule reads: go.mod's go, toolchain and replace lines (a dependency bump leaves the
    // generated files as they are), go.work's use directives, whether there is a vendor tree
    synthesisInputs: [
      { path: under('go.mod'), linesStartingWith: ['go', 'toolchain'], linesContaining: ['=>'], description: 'its go, toolchain and replace lines' },
      { path: under('go.work') },
      { path: under('vendor/modules.txt'), presenceOnly: true },
    ],
    // credentials for private modules: a netrc build secret, only when GO_NETRC is set
    secretFiles: [{
      variable: 'GO_NETRC',
      id: NETRC_SECRET,
      description: 'netrc with credentials for private Go modules, passed as a build secret (never an ARG)',
      bakeDescription: `A netrc file for private Go modules, passed to the module download as the build secret "${NETRC_SECRET}"; empty passes none`,
    }],
  };
  const service = resolveService(project, name, props);
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
    props,
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
    shareDependencies: flag('shareDependencies', options.shareDependencies) ?? true,
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
