import { GoRules } from './rules';
import { CacheSharing, DockerfileModel, Mount } from '../../dockerfile';
import { addContractArg, addImageMetadata, addNormalizeTimes, ROOTFS } from '../runtime';

/** What the Go Dockerfile is built from: the service's resolved settings. */
export interface GoBuildSettings {
  readonly builderImage: string;
  readonly runtimeImage: string;
  readonly runtimeHasShell: boolean;
  readonly cgo: boolean;
  readonly versionVariable: string;
  readonly user: string;
}

/** One Dockerfile: a service's own, or the shared one whose service is chosen by build args. */
export interface GoDockerfileSpec {
  /** The binary name (`/usr/local/bin/<binary>` in the image). */
  readonly binary: string;
  /** The main package, or `${MAIN_PACKAGE}`. */
  readonly mainPackage: string;
  /** Extra ldflags, or `${EXTRA_LDFLAGS}`. */
  readonly ldflags: string;
  /** Build tags (comma-separated), or `${BUILD_TAGS}`. */
  readonly tags: string;
  /** UPX: never, always (on amd64), or when the `COMPRESS_WITH_UPX` build arg says so. */
  readonly upx: 'always' | 'never' | 'arg';
  /** The runtime labels. */
  readonly labels: { [key: string]: string };
  /** A fixed port to expose. */
  readonly port?: number;
  /** Expose `${PORT}` (shared Dockerfile). */
  readonly portArg?: boolean;
}

/** Where the binary is installed in the image. */
const BIN_DIR = '/usr/local/bin';

/** The build args that choose the service in the shared Go Dockerfile (bake sets them per target). */
export const SHARED_BUILDER_ARGS = ['SERVICE', 'MAIN_PACKAGE', 'EXTRA_LDFLAGS', 'BUILD_TAGS'];
/** Not "UPX": upx reads its own options from an environment variable of that name. */
export const UPX_ARG = 'COMPRESS_WITH_UPX';

/**
 * The Go Dockerfile: a builder on the build platform cross-compiling for each target (on the
 * target platform with cgo), then a runtime with the binary, non-root. The model carries the Go
 * rules, so escape-hatch additions are checked too.
 */
export function goDockerfile(go: GoBuildSettings, spec: GoDockerfileSpec): DockerfileModel {
  const model = new DockerfileModel();
  model.addRule(new GoRules());
  addBuilder(model, go, spec);
  addRuntime(model, go, spec);
  return model;
}

function addBuilder(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const shared = spec.upx === 'arg';
  const builder = model.addStage({
    from: go.builderImage,
    name: 'builder',
    platform: go.cgo ? undefined : '$BUILDPLATFORM',
    comment: go.cgo
      ? 'Build stage: cgo needs the target platform\'s C toolchain, so this stage runs on the target platform (emulated when it differs from the builder).'
      : 'Build stage: runs on the build machine\'s platform and cross-compiles for each target platform (no emulation).',
  });
  builder.addArgs(['BUILDPLATFORM', 'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT']);
  if (shared) {
    builder.addArgs(SHARED_BUILDER_ARGS);
    builder.addArg(UPX_ARG, 'false');
  }
  builder.addWorkdir('/src');
  if (shared) {
    builder.addRun({ commands: ['test -n "${SERVICE}" && test -n "${MAIN_PACKAGE}" || { echo "build args SERVICE and MAIN_PACKAGE are required (docker buildx bake sets them)" >&2; exit 1; }'] });
  }
  builder.addCopy({ sources: ['go.mod', 'go.sum*'], destination: './', comment: 'Dependencies first, so this layer is reused until go.mod or go.sum change. Never "go mod tidy" here.' });
  builder.addRun({ mounts: [Mount.cache({ target: '/go/pkg/mod' })], commands: ['go mod download', 'go mod verify'] });
  addContractArg(builder, 'VERSION');
  const tags = spec.tags ? ` -tags "${spec.tags}"` : '';
  const ldflags = `-w -s -X ${go.versionVariable}=\${VERSION}${spec.ldflags ? ` ${spec.ldflags}` : ''}`;
  const env = go.cgo ? 'CGO_ENABLED=1' : 'CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} GOARM=${TARGETVARIANT#v}';
  const binary = `${ROOTFS}${BIN_DIR}/${spec.binary}`;
  builder.addRun({
    mounts: [Mount.cache({ target: '/go/pkg/mod' }), Mount.cache({ target: '/root/.cache/go-build' }), Mount.bind({ target: '.' })],
    // uname -m, printed by the compile step itself, shows where the compiler really ran
    commands: [
      'echo "building on ${BUILDPLATFORM} ($(uname -m)) for ${TARGETPLATFORM}"',
      `${env} go build -trimpath${tags} -ldflags "${ldflags}" -o ${binary} ${spec.mainPackage}`,
    ],
  });
  if (spec.upx !== 'never') {
    const enabled = shared ? `[ "\${${UPX_ARG}}" = "true" ] && ` : '';
    const install = '(command -v upx >/dev/null || (apt-get update && apt-get install -y --no-install-recommends upx-ucl))';
    const compress = `upx --best --lzma ${binary} && upx -t ${binary}`;
    builder.addRun({
      comment: 'UPX on linux/amd64 only: it is known to produce arm64 binaries that crash.',
      mounts: [Mount.cache({ target: '/var/cache/apt', sharing: CacheSharing.LOCKED }), Mount.cache({ target: '/var/lib/apt/lists', sharing: CacheSharing.LOCKED })],
      commands: [`if ${enabled}[ "\${TARGETARCH}" = "amd64" ]; then ${install} && ${compress}; else echo "upx: skipped for \${TARGETPLATFORM} (amd64 only)"; fi`],
    });
  }
  addNormalizeTimes(builder);
}

function addRuntime(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const runtime = model.addStage({
    from: go.runtimeImage,
    hasShell: go.runtimeHasShell,
    comment: go.runtimeHasShell ? 'Runtime: non-root.' : 'Runtime: no shell, no package manager, non-root.',
  });
  addImageMetadata(runtime, spec.labels, [...(spec.upx === 'arg' ? ['SERVICE', 'DESCRIPTION'] : []), ...(spec.portArg ? ['PORT'] : [])]);
  // No COPY --link: with the docker driver and the containerd image store, a --link layer on a base
  // whose blobs were never pulled fails at export ("not found") on a fresh engine (seen in the lab).
  runtime.addCopy({ from: 'builder', sources: [`${ROOTFS}/`], destination: '/' });
  runtime.addUser(go.user);
  if (spec.port !== undefined) runtime.addExpose(spec.port);
  if (spec.portArg) runtime.addInstruction('EXPOSE', '${PORT}');
  runtime.addEntrypoint([`${BIN_DIR}/${spec.binary}`]);
}
