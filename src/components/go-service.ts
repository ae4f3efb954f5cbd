import { Project } from 'projen';
import { addDockerfile } from './dockerfile-file';
import { MultiArchPipeline } from './pipeline';
import { resolveService, ServiceBase, ServiceOptions, servicesOf } from './service';
import { goDockerfile, GoDockerfileSpec, UPX_ARG } from '../build/go/dockerfile';
import { imageLabels } from '../build/runtime';
import { DESCRIPTION_LABEL, TITLE_LABEL } from '../contract/internal';
import { DockerfileModel } from '../dockerfile';
import { goPackage, imageReference, invalid, relativePath, serviceName, shellWord, version } from '../validation';

/** Options of a Go service. */
export interface GoServiceOptions extends ServiceOptions {
  /**
   * Go version of the default builder image.
   * @default "1.24"
   */
  readonly goVersion?: string;
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
   * platforms skip it with a message in the build log. The builder installs `upx-ucl` with apt when
   * it has no `upx`.
   * @default false
   */
  readonly upx?: boolean;
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
  private readonly ldflags: string[];
  private readonly buildTags: string[];

  constructor(project: Project, name: string, options: GoServiceOptions = {}) {
    const go = resolveGo(project, name, options);
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
    this.ldflags = go.ldflags;
    this.buildTags = go.buildTags;

    this.dockerignore.requirePath('go.mod', this.dockerfilePath);
    this.dockerignore.requirePath(this.mainPackage.replace(/^\.\//, ''), `${this.dockerfilePath} (main package of ${name})`);

    if (this.sharedDockerfile) {
      this.dockerfile = this.joinShared(project);
      Object.assign(this.bakeTarget.args, {
        SERVICE: name,
        MAIN_PACKAGE: this.mainPackage,
        [UPX_ARG]: String(this.upx),
        EXTRA_LDFLAGS: this.ldflags.join(' '),
        BUILD_TAGS: this.buildTags.join(','),
        DESCRIPTION: this.description ?? '',
        ...(this.port !== undefined ? { PORT: String(this.port) } : {}),
      });
    } else {
      this.dockerfile = goDockerfile(this, {
        binary: name,
        mainPackage: this.mainPackage,
        ldflags: this.ldflags.join(' '),
        tags: this.buildTags.join(','),
        upx: this.upx ? 'always' : 'never',
        labels: imageLabels(this.name, this.description),
        port: this.port,
      });
      addDockerfile(project, this.dockerfilePath, this.dockerfile);
    }
    MultiArchPipeline._ensure(project)._sync();
  }

  /** The shared Dockerfile's model: the first service at the path creates it, the others use it. */
  private joinShared(project: Project): DockerfileModel {
    // compatibility with the owner was checked by resolveGo
    const owner = sharedOwner(project, this.dockerfilePath, this);
    if (owner) return owner.dockerfile;
    const spec: GoDockerfileSpec = {
      binary: 'service',
      mainPackage: '${MAIN_PACKAGE}',
      ldflags: '${EXTRA_LDFLAGS}',
      tags: '${BUILD_TAGS}',
      upx: 'arg',
      labels: { ...imageLabels(this.name, this.description), [TITLE_LABEL]: '${SERVICE}', [DESCRIPTION_LABEL]: '${DESCRIPTION}' },
      portArg: this.port !== undefined,
    };
    const model = goDockerfile(this, spec);
    addDockerfile(project, this.dockerfilePath, model);
    return model;
  }
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
  const goVersion = version('goVersion', options.goVersion ?? '1.24');
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
  const go = {
    service,
    moduleRoot,
    shared,
    mainPackage,
    cgo,
    builderImage,
    runtimeImage,
    versionVariable,
    upx: options.upx ?? false,
    runtimeHasShell: options.runtimeHasShell ?? false,
    user: service.user,
    ldflags: (options.ldflags ?? []).map(f => shellWord('ldflags', f)),
    buildTags: (options.buildTags ?? []).map(t => shellWord('buildTags', t, /^[A-Za-z0-9_.]+$/)),
  };
  const owner = shared ? sharedOwner(project, service.dockerfilePath) : undefined;
  if (owner) {
    for (const key of ['builderImage', 'runtimeImage', 'cgo', 'user', 'versionVariable', 'moduleRoot'] as const) {
      if (owner[key] !== go[key]) {
        throw new Error(`GoService "${name}" shares ${service.dockerfilePath} with "${owner.name}" but its ${key} is ${JSON.stringify(go[key])} instead of ${JSON.stringify(owner[key])}: services sharing a Dockerfile must agree on ${key}`);
      }
    }
    if ((owner.port === undefined) !== (service.port === undefined)) {
      throw new Error(`GoService "${name}" shares ${service.dockerfilePath} with "${owner.name}", but only one of them sets "port": services sharing a Dockerfile must all set a port (EXPOSE \${PORT}) or none`);
    }
  }
  return go;
}
