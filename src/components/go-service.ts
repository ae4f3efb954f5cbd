import { Project } from 'projen';
import { DockerfileFile, pipelineSyntax, resolveService, ServiceBase, ServiceOptions } from './service';
import { CacheSharing, DockerfileModel, Mount } from '../dockerfile';
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

const SHARED = new WeakMap<Project, Map<string, SharedGoDockerfile>>();

interface SharedGoDockerfile {
  readonly model: DockerfileModel;
  readonly owner: GoService;
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
    const shared = go.shared;

    this.dockerignore.requirePath('go.mod', this.dockerfilePath);
    this.dockerignore.requirePath(this.mainPackage.replace(/^\.\//, ''), `${this.dockerfilePath} (main package of ${name})`);

    const syntax = () => pipelineSyntax(project);
    if (shared) {
      this.dockerfile = this.joinShared(project, syntax);
      Object.assign(this.bakeTarget.args, {
        SERVICE: name,
        MAIN_PACKAGE: this.mainPackage,
        COMPRESS_WITH_UPX: String(this.upx),
        EXTRA_LDFLAGS: this.ldflags.join(' '),
        BUILD_TAGS: this.buildTags.join(','),
        DESCRIPTION: this.description ?? '',
        ...(this.port !== undefined ? { PORT: String(this.port) } : {}),
      });
    } else {
      this.dockerfile = this.render({
        binary: name,
        mainPackage: this.mainPackage,
        ldflags: this.ldflags.join(' '),
        tags: this.buildTags.join(','),
        upx: this.upx ? 'always' : 'never',
        labels: this.standardLabels(),
        port: this.port,
      });
      new DockerfileFile(project, this.dockerfilePath, this.dockerfile, syntax);
    }
  }

  private joinShared(project: Project, syntax: () => string): DockerfileModel {
    const byPath = SHARED.get(project) ?? new Map<string, SharedGoDockerfile>();
    SHARED.set(project, byPath);
    // compatibility with the owner was checked by resolveGo
    const existing = byPath.get(this.dockerfilePath);
    if (existing) return existing.model;
    const model = this.render({
      binary: 'service',
      mainPackage: '${MAIN_PACKAGE}',
      ldflags: '${EXTRA_LDFLAGS}',
      tags: '${BUILD_TAGS}',
      upx: 'arg',
      labels: { ...this.standardLabels(), 'org.opencontainers.image.title': '${SERVICE}', 'org.opencontainers.image.description': '${DESCRIPTION}' },
      portArg: this.port !== undefined,
    });
    byPath.set(this.dockerfilePath, { model, owner: this });
    new DockerfileFile(project, this.dockerfilePath, model, syntax);
    return model;
  }

  private render(spec: GoDockerfileSpec): DockerfileModel {
    const model = new DockerfileModel();
    const sharedArgs = spec.upx === 'arg';
    const builder = model.addStage({
      from: this.builderImage,
      name: 'builder',
      platform: this.cgo ? undefined : '$BUILDPLATFORM',
      comment: this.cgo
        ? 'Build stage: cgo needs the target platform\'s C toolchain, so this stage runs on the target platform (emulated when it differs from the builder).'
        : 'Build stage: runs on the build machine\'s platform and cross-compiles for each target platform (no emulation).',
    });
    builder.addArgs(['BUILDPLATFORM', 'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT']);
    if (sharedArgs) {
      builder.addArgs(['SERVICE', 'MAIN_PACKAGE', 'EXTRA_LDFLAGS', 'BUILD_TAGS']);
      // not "UPX": upx reads its own options from an environment variable of that name
      builder.addArg('COMPRESS_WITH_UPX', 'false');
    }
    builder.addWorkdir('/src');
    if (sharedArgs) {
      builder.addRun({ commands: ['test -n "${SERVICE}" && test -n "${MAIN_PACKAGE}" || { echo "build args SERVICE and MAIN_PACKAGE are required (docker buildx bake sets them)" >&2; exit 1; }'] });
    }
    builder.addCopy({ sources: ['go.mod', 'go.sum*'], destination: './', comment: 'Dependencies first, so this layer is reused until go.mod or go.sum change. Never "go mod tidy" here.' });
    builder.addRun({
      mounts: [Mount.cache({ target: '/go/pkg/mod' })],
      commands: ['go mod download', 'go mod verify'],
    });
    builder.addArg('VERSION', 'dev');
    const tags = spec.tags ? ` -tags "${spec.tags}"` : '';
    const ldflags = `-w -s -X ${this.versionVariable}=\${VERSION}${spec.ldflags ? ` ${spec.ldflags}` : ''}`;
    const env = this.cgo
      ? 'CGO_ENABLED=1'
      : 'CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} GOARM=${TARGETVARIANT#v}';
    builder.addRun({
      mounts: [
        Mount.cache({ target: '/go/pkg/mod' }),
        Mount.cache({ target: '/root/.cache/go-build' }),
        Mount.bind({ target: '.' }),
      ],
      // uname -m, printed by the compile step itself, shows where the compiler really ran
      commands: [
        'echo "building on ${BUILDPLATFORM} ($(uname -m)) for ${TARGETPLATFORM}"',
        `${env} go build -trimpath${tags} -ldflags "${ldflags}" -o /out/${spec.binary} ${spec.mainPackage}`,
      ],
    });
    if (spec.upx !== 'never') {
      const enabled = spec.upx === 'arg' ? '[ "${COMPRESS_WITH_UPX}" = "true" ] && ' : '';
      builder.addRun({
        comment: 'UPX on linux/amd64 only: it is known to produce arm64 binaries that crash.',
        mounts: [Mount.cache({ target: '/var/cache/apt', sharing: CacheSharing.LOCKED }), Mount.cache({ target: '/var/lib/apt/lists', sharing: CacheSharing.LOCKED })],
        commands: [`if ${enabled}[ "\${TARGETARCH}" = "amd64" ]; then (command -v upx >/dev/null || (apt-get update && apt-get install -y --no-install-recommends upx-ucl)) && upx --best --lzma /out/${spec.binary} && upx -t /out/${spec.binary}; else echo "upx: skipped for \${TARGETPLATFORM} (amd64 only)"; fi`],
      });
    }

    const runtime = model.addStage({
      from: this.runtimeImage,
      hasShell: this.runtimeHasShell,
      comment: this.runtimeHasShell ? 'Runtime: non-root.' : 'Runtime: no shell, no package manager, non-root.',
    });
    runtime.addArg('VERSION', 'dev');
    runtime.addArgs(['BUILD_DATE', 'VCS_REF', 'TARGETARCH', 'TARGETPLATFORM', ...(sharedArgs ? ['SERVICE', 'DESCRIPTION'] : []), ...(spec.portArg ? ['PORT'] : [])]);
    runtime.addLabels(spec.labels);
    const binPath = `/usr/local/bin/${spec.binary}`;
    // No COPY --link: with the docker driver and the containerd image store, a --link layer on a base
    // whose blobs were never pulled fails at export ("not found") on a fresh engine (seen in the lab).
    runtime.addCopy({ from: 'builder', sources: [`/out/${spec.binary}`], destination: binPath });
    runtime.addUser(this.user);
    if (spec.port !== undefined) runtime.addExpose(spec.port);
    if (spec.portArg) runtime.addInstruction('EXPOSE', '${PORT}');
    runtime.addEntrypoint([binPath]);
    return model;
  }
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
  const owner = shared ? SHARED.get(project)?.get(service.dockerfilePath)?.owner : undefined;
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

interface GoDockerfileSpec {
  readonly binary: string;
  readonly mainPackage: string;
  readonly ldflags: string;
  readonly tags: string;
  readonly upx: 'always' | 'never' | 'arg';
  readonly labels: { [key: string]: string };
  readonly port?: number;
  readonly portArg?: boolean;
}
