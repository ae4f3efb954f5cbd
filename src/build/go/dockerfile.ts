import { GoModuleInfo } from './module';
import { GoRules } from './rules';
import { CacheSharing, DockerfileModel, DockerfileStage, Mount } from '../../dockerfile';
import { addContractArg, addImageMetadata, addNormalizeTimes, ROOTFS } from '../runtime';

/** What the Go Dockerfile is built from: the service's resolved settings. */
export interface GoBuildSettings {
  readonly builderImage: string;
  readonly runtimeImage: string;
  readonly runtimeHasShell: boolean;
  readonly cgo: boolean;
  readonly versionVariable: string;
  readonly user: string;
  /** GOPROXY, GOPRIVATE, GONOSUMDB for the download, when set. */
  readonly goEnv: { [name: string]: string };
  /** An image with a `upx` binary at /usr/local/bin/upx for the build platform; apt installs it otherwise. */
  readonly upxImage?: string;
  /** What the module root holds: local modules, a workspace, a vendor tree. */
  readonly module: GoModuleInfo;
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
/** The Go build cache of the dependency and build stages: a layer, so a registry cache carries it. */
const GOCACHE = '/gocache';
/** The file the imports stage writes: the packages the main package needs, minus the module's own. */
const DEPS_FILE = '/deps.txt';
/** Where the module list of a UPX-packed binary is kept (UPX hides it from scanners). */
export const BUILDINFO_DIR = '/usr/local/share/go-buildinfo';

/** The file that keeps `go version -m` of a UPX-packed binary. */
function buildinfoFile(binary: string): string {
  return `${BUILDINFO_DIR}/${binary}.txt`;
}

/** The build args that choose the service in the shared Go Dockerfile (bake sets them per target). */
export const SHARED_BUILDER_ARGS = ['SERVICE', 'MAIN_PACKAGE', 'EXTRA_LDFLAGS', 'BUILD_TAGS'];
/** Not "UPX": upx reads its own options from an environment variable of that name. */
export const UPX_ARG = 'COMPRESS_WITH_UPX';
/** The build secret (a netrc) the module download may use for private modules. */
export const NETRC_SECRET = 'netrc';

/**
 * The Go Dockerfile, in stages that each cache on what they depend on:
 * - `modules`: `go mod download` from go.mod/go.sum alone, with no target-platform ARG in scope, so one
 *   download serves every platform and every service of the module;
 * - `imports`: the packages the main package needs on the target platform (re-run on every source
 *   change, cheap);
 * - `deps`: the standard library and those packages, compiled for the target into a layer. It is
 *   cached by the content of the import list, so code changes reuse it, also from a registry cache
 *   on a fresh CI runner;
 * - `builder`: the service's own packages, then UPX (amd64 only) and constant file times;
 * - the runtime, which copies the builder's tree.
 * Without cgo every build stage runs on the build platform and cross-compiles (no emulation). The
 * model carries the Go rules, so escape-hatch additions are checked too.
 */
export function goDockerfile(go: GoBuildSettings, spec: GoDockerfileSpec): DockerfileModel {
  const model = new DockerfileModel();
  model.addRule(new GoRules());
  addModules(model, go);
  addImports(model, go, spec);
  addDeps(model, go, spec);
  addBuilder(model, go, spec);
  addRuntime(model, go, spec);
  return model;
}

function addModules(model: DockerfileModel, go: GoBuildSettings): void {
  const modules = model.addStage({
    from: go.builderImage,
    name: 'modules',
    platform: go.cgo ? undefined : '$BUILDPLATFORM',
    comment: go.cgo
      ? 'Modules: cgo needs the target platform\'s C toolchain, so every build stage runs on the target platform (emulated when it differs from the builder).'
      : 'Modules: downloaded once for every target platform and every service of the module (no target-platform ARG is in scope yet).',
  });
  modules.addWorkdir('/src');
  if (Object.keys(go.goEnv).length) modules.addEnv(go.goEnv);
  const m = go.module;
  const sources = ['go.mod', 'go.sum*', ...(m.workspace ? ['go.work', 'go.work.sum*'] : [])];
  modules.addCopy({ sources, destination: './', comment: 'Only what the download reads, so this layer is reused until the module\'s requirements change. Never "go mod tidy" here.' });
  for (const dir of m.localModules) {
    modules.addCopy({ sources: [`${dir}/go.mod`, `${dir}/go.sum*`], destination: `./${dir}/` });
  }
  if (m.vendor) {
    modules.addCopy({ sources: ['vendor'], destination: './vendor', comment: 'The vendor tree replaces the download: the build uses -mod=vendor and the network is never used.' });
    return;
  }
  const hint = 'go mod download failed: private modules need credentials, given as a build secret: make <target> GO_NETRC=~/.netrc (see GOPRIVATE, GONOSUMDB, GOPROXY)';
  modules.addRun({
    comment: 'The module cache is a layer, so the compile needs no network and a registry cache carries it. A netrc for private modules is a build secret (GO_NETRC), never an ARG.',
    mounts: [Mount.secret({ id: NETRC_SECRET, target: '/root/.netrc' })],
    commands: [`(go mod download || { echo "${hint}" >&2; exit 1; })`, 'go mod verify'],
  });
}

/** `CGO_ENABLED=0 GOOS GOARCH GOARM` for a cross-compile; `CGO_ENABLED=1` on the target itself. */
function goTargetEnv(go: GoBuildSettings): string {
  return go.cgo ? 'CGO_ENABLED=1' : 'CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} GOARM=${TARGETVARIANT#v}';
}

/** `-mod=vendor` with a vendor tree; otherwise the module cache of the modules stage, with the network off. */
function goOffline(go: GoBuildSettings): string {
  return go.module.vendor ? 'GOFLAGS=-mod=vendor GOPROXY=off' : 'GOPROXY=off';
}

function addImports(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const shared = spec.upx === 'arg';
  const imports = model.addStage({
    from: 'modules',
    name: 'imports',
    comment: 'Imports: the packages the service needs on the target platform. This re-runs on every source change, but the list it writes rarely changes.',
  });
  imports.addArgs(['TARGETOS', 'TARGETARCH', 'TARGETVARIANT', ...(shared ? ['MAIN_PACKAGE', 'BUILD_TAGS'] : [])]);
  // every package that is not the service's own module (nor a local replacement, whose sources the deps stage lacks)
  const template = '{{if not .Module}}{{.ImportPath}}{{else if not (or .Module.Main (and .Module.Replace (not .Module.Replace.Version)))}}{{.ImportPath}}{{end}}';
  const tags = spec.tags ? ` -tags "${spec.tags}"` : '';
  imports.addRun({
    mounts: [Mount.bind({ target: '.' })],
    commands: [`${goTargetEnv(go)} ${goOffline(go)} go list -deps${tags} -f '${template}' ${spec.mainPackage} > ${DEPS_FILE}`],
  });
}

function addDeps(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const shared = spec.upx === 'arg';
  const deps = model.addStage({
    from: 'modules',
    name: 'deps',
    comment: 'Dependencies: the standard library and the modules, compiled for the target platform into a layer that a registry cache (mode=max) carries, so a code change on a fresh CI runner compiles only the service\'s own packages.',
  });
  deps.addArgs(['TARGETOS', 'TARGETARCH', 'TARGETVARIANT', ...(shared ? ['BUILD_TAGS'] : [])]);
  deps.addCopy({ from: 'imports', sources: [DEPS_FILE], destination: DEPS_FILE });
  const tags = spec.tags ? ` -tags "${spec.tags}"` : '';
  deps.addRun({
    commands: [`${goTargetEnv(go)} ${goOffline(go)} GOCACHE=${GOCACHE} go build -trimpath${tags} $(cat ${DEPS_FILE})`],
  });
}

function addBuilder(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const shared = spec.upx === 'arg';
  const builder = model.addStage({ from: 'deps', name: 'builder', comment: 'Build: the service\'s own packages, on the dependencies compiled above.' });
  if (spec.upx !== 'never') addUpxTool(builder, go);
  builder.addArgs(['BUILDPLATFORM', 'TARGETPLATFORM', ...(shared ? SHARED_BUILDER_ARGS : [])]);
  if (shared) {
    builder.addArg(UPX_ARG, 'false');
    builder.addRun({ commands: ['test -n "${SERVICE}" && test -n "${MAIN_PACKAGE}" || { echo "build args SERVICE and MAIN_PACKAGE are required (docker buildx bake sets them)" >&2; exit 1; }'] });
  }
  addContractArg(builder, 'VERSION');
  const tags = spec.tags ? ` -tags "${spec.tags}"` : '';
  const ldflags = `-w -s -X ${go.versionVariable}=\${VERSION}${spec.ldflags ? ` ${spec.ldflags}` : ''}`;
  const binary = `${ROOTFS}${BIN_DIR}/${spec.binary}`;
  builder.addRun({
    mounts: [Mount.bind({ target: '.' })],
    // uname -m, printed by the compile step itself, shows where the compiler really ran
    commands: [
      'echo "building on ${BUILDPLATFORM} ($(uname -m)) for ${TARGETPLATFORM}"',
      `${goTargetEnv(go)} ${goOffline(go)} GOCACHE=${GOCACHE} go build -trimpath${tags} -ldflags "${ldflags}" -o ${binary} ${spec.mainPackage}`,
    ],
  });
  if (spec.upx !== 'never') {
    // UPX hides the module list that scanners read from a Go binary: keep it next to the binary
    const keep = `mkdir -p ${ROOTFS}${BUILDINFO_DIR} && go version -m ${binary} > ${ROOTFS}${buildinfoFile(spec.binary)}`;
    const pack = `if [ "\${TARGETARCH}" = "amd64" ]; then upx --best --lzma ${binary} && upx -t ${binary}; else echo "upx: skipped for \${TARGETPLATFORM} (amd64 only)"; fi`;
    builder.addRun({
      comment: `UPX on linux/amd64 only: it is known to produce arm64 binaries that crash. It hides the Go build info from scanners, so \`go version -m\` is kept in ${BUILDINFO_DIR}.`,
      // the shared Dockerfile keeps the build info of every service, so its label is true for all of them
      commands: [shared ? `${keep} && if [ "\${${UPX_ARG}}" = "true" ]; then ${pack}; fi` : `${keep} && ${pack}`],
    });
  }
  addNormalizeTimes(builder);
}

/** UPX in a layer of its own before the compile, so a code change never re-runs apt. */
function addUpxTool(builder: DockerfileStage, go: GoBuildSettings): void {
  if (go.upxImage) {
    builder.addCopy({ from: go.upxImage, sources: [`${BIN_DIR}/upx`], destination: `${BIN_DIR}/upx`, comment: 'UPX from a pinned image, before the compile.' });
    return;
  }
  builder.addRun({
    comment: 'UPX, installed before the compile so that a code change does not re-run apt (pin it with upxImage).',
    mounts: [Mount.cache({ target: '/var/cache/apt', sharing: CacheSharing.LOCKED }), Mount.cache({ target: '/var/lib/apt/lists', sharing: CacheSharing.LOCKED })],
    commands: ['command -v upx >/dev/null || (apt-get update && apt-get install -y --no-install-recommends upx-ucl && { command -v upx >/dev/null || ln -s "$(command -v upx-ucl)" /usr/local/bin/upx; })'],
  });
}

function addRuntime(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const runtime = model.addStage({
    from: go.runtimeImage,
    hasShell: go.runtimeHasShell,
    comment: go.runtimeHasShell ? 'Runtime: non-root.' : 'Runtime: no shell, no package manager, non-root.',
  });
  const upxLabels: { [key: string]: string } = spec.upx === 'never' ? {} : {
    'build.upx-amd64': spec.upx === 'arg' ? `\${${UPX_ARG}}` : 'true',
    'build.go-buildinfo': buildinfoFile(spec.binary),
  };
  const args = [...(spec.upx === 'arg' ? ['SERVICE', 'DESCRIPTION', UPX_ARG] : []), ...(spec.portArg ? ['PORT'] : [])];
  addImageMetadata(runtime, { ...spec.labels, ...upxLabels }, args);
  // No COPY --link: with the docker driver and the containerd image store, a --link layer on a base
  // whose blobs were never pulled fails at export ("not found") on a fresh engine (seen in the lab).
  runtime.addCopy({ from: 'builder', sources: [`${ROOTFS}/`], destination: '/' });
  runtime.addUser(go.user);
  if (spec.port !== undefined) runtime.addExpose(spec.port);
  if (spec.portArg) runtime.addInstruction('EXPOSE', '${PORT}');
  runtime.addEntrypoint([`${BIN_DIR}/${spec.binary}`]);
}
