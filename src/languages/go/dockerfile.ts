import { GoModuleInfo } from './module';
import { GoRules } from './rules';
import {
  ArgInstruction, CacheSharing, CopyInstruction, DockerfileInstruction, DockerfileModel, DockerfileStage, ExposeInstruction,
  LabelInstruction, Mount, RunInstruction, RunOptions, WorkdirInstruction,
} from '../../dockerfile';
import { addContractArg, addImageMetadata, normalizeTimesCommand, ROOTFS } from '../runtime';

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
  /** The shared Dockerfile: the service is chosen by build args. */
  readonly shared: boolean;
  /** UPX on amd64: always; in the shared Dockerfile, when the `COMPRESS_WITH_UPX` build arg says so. */
  readonly upx: boolean;
  /** The runtime labels. */
  readonly labels: { [key: string]: string };
  /** A fixed port to expose. */
  readonly port?: number;
  /** Expose `${PORT}` (shared Dockerfile). */
  readonly portArg?: boolean;
}

/** Where the binary is installed in the image. */
export const BIN_DIR = '/usr/local/bin';
/** The Go build cache of the dependency and build stages: a layer, so a registry cache carries it. */
const GOCACHE = '/gocache';
/**
 * The time of the deps stage's build cache files: in the future, so that Go never re-dates or trims
 * them. The latest time a 32-bit time_t holds, so `touch` works on 32-bit platforms too (cgo builds
 * for linux/arm/v7 run there).
 */
const GOCACHE_TIME = 2147483647;
const GOCACHE_DATE = '2038-01-19';
/**
 * The file the imports stage writes: the packages the main package needs, minus the module's own.
 * The deps stage's compile bind-mounts that file (not a COPY: one layer less in every Go image's
 * chain, and so less for BuildKit to walk when it exports a registry cache). The file, not its
 * directory: for the cache key of a mount from another stage, BuildKit lists the source's parent
 * directory in full, which for `/imports` would be the whole toolchain and module cache, on every
 * build and for every platform (see ROOTFS).
 */
const IMPORTS_DIR = '/imports';
const IMPORTS_FILE = `${IMPORTS_DIR}/deps.txt`;
/**
 * The target platform, written next to the list: most services list the same packages on every
 * platform, and BuildKit loses one platform's records from a registry cache whose layers are the same
 * blob on two platforms (moby/buildkit#2279, #2822), and with them the compiled dependencies below.
 */
const IMPORTS_PLATFORM = `${IMPORTS_DIR}/platform`;
/**
 * The stage with the compiled dependencies. Bake may give it as a named context (`deps =
 * "target:_go-deps"`), which replaces the stage for the build: the services of a module then share one
 * build of it.
 */
export const DEPS_STAGE = 'deps';
/**
 * Go 1.23 and later count their own use in dated files under the user's config directory (local
 * telemetry, never uploaded unless turned on), which every Go step would then write into its layer.
 * Turned off once, in the stage every Go stage starts from; older Go has no such command.
 */
const TELEMETRY_OFF = '(go telemetry off 2>/dev/null || true)';
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
  if (spec.upx) addUpxTool(model, go);
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
    modules.addRun({ comment: 'No dated telemetry files in the layers of the Go steps.', commands: [TELEMETRY_OFF] });
    return;
  }
  modules.addRun({
    comment: 'The module cache is a layer, so the compile needs no network and a registry cache carries it. A netrc for private modules is a build secret (GO_NETRC), never an ARG. No dated telemetry files in the layers of the Go steps.',
    mounts: [Mount.secret({ id: NETRC_SECRET, target: '/root/.netrc' })],
    commands: [TELEMETRY_OFF, `(go mod download 2>${DOWNLOAD_LOG} || { cat ${DOWNLOAD_LOG} >&2; ${downloadFailure()}; exit 1; })`, `cat ${DOWNLOAD_LOG} >&2`, `rm ${DOWNLOAD_LOG}`, 'go mod verify'],
  });
}

/** Where the module download writes its errors, so that its failure can say why; removed in the same step. */
const DOWNLOAD_LOG = '/tmp/go-mod-download.log';

/**
 * What a failed module download says after Go's own error: a local module (a `replace` in go.mod, a
 * `use` in go.work) whose go.mod is not in the context was added after the Dockerfile was generated,
 * which copies only the go.mod files named then; any other failure is most often credentials.
 */
function downloadFailure(): string {
  // go: example.org/lib@v0.0.0 (replaced by ./lib): reading lib/go.mod: open /src/lib/go.mod: no such file or directory
  const replaced = `sed -n 's/^go: \\([^ @]*\\)@[^ ]* (replaced by \\([^)]*\\)): reading .*no such file.*/\\1 => \\2/p' ${DOWNLOAD_LOG} | head -n 1`;
  const regenerate = 'run npx projen to regenerate (the Dockerfile copies only the go.mod files named when it was generated)';
  const credentials = 'go mod download failed: private modules need credentials, given as a build secret: make <target> GO_NETRC=~/.netrc (see GOPRIVATE, GONOSUMDB, GOPROXY)';
  return [
    `missing="$(${replaced})"`,
    `if [ -n "$missing" ]; then echo "go.mod has \\"replace $missing\\", which is not in the build context copied before go mod download: ${regenerate}" >&2`,
    `elif grep -q 'go.mod: no such file' ${DOWNLOAD_LOG}; then echo "a local module of go.mod or go.work is not in the build context copied before go mod download: run npx projen" >&2`,
    `else echo "${credentials}" >&2; fi`,
  ].join('; ');
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
  const imports = model.addStage({
    from: 'modules',
    name: 'imports',
    comment: 'Imports: the packages that the module\'s services (GO_PACKAGES, set by bake) need on the target platform. This re-runs on every source change, but the list it writes rarely changes.',
  });
  addModuleArgs(imports, spec, true);
  // every package that is not the service's own module (nor a local replacement, whose sources the deps stage lacks)
  const template = '{{if not .Module}}{{.ImportPath}}{{else if not (or .Module.Main (and .Module.Replace (not .Module.Replace.Version)))}}{{.ImportPath}}{{end}}';
  imports.addRun({
    comment: 'go list writes build cache entries: into a directory removed in the same step, so that the layer (which a registry cache exports after every source change) holds the list alone, with the platform it is for (so that no two platforms share the layer: a registry cache would lose one of them, moby/buildkit#2279).',
    mounts: [Mount.bind({ target: '.' })],
    commands: [
      `mkdir -p ${IMPORTS_DIR}`,
      `echo "\${TARGETOS}/\${TARGETARCH}\${TARGETVARIANT:+/\${TARGETVARIANT}}" > ${IMPORTS_PLATFORM}`,
      'listcache="$(mktemp -d)"',
      `${goTargetEnv(go)} ${goOffline(go)} GOCACHE="$listcache" go list -deps -tags "\${BUILD_TAGS}" -f '${template}' \${GO_PACKAGES:?the build arg GO_PACKAGES is required (docker buildx bake sets it)} > ${IMPORTS_FILE}`,
      'rm -rf "$listcache"',
    ],
  });
}

/**
 * The ARGs of the `imports` and `deps` stages. They are the same in every Go Dockerfile, and bake
 * gives every service of a module the same values (all of their main packages), so those stages are
 * one build step per platform that the module's services share: BuildKit runs it once, and a
 * registry cache carries one layer. A service's own Dockerfile defaults to its own package, so it
 * also builds without bake.
 */
function addModuleArgs(stage: DockerfileStage, spec: GoDockerfileSpec, packages: boolean): void {
  stage.addArgs(['TARGETOS', 'TARGETARCH', 'TARGETVARIANT']);
  if (spec.shared) {
    stage.addArgs(packages ? ['GO_PACKAGES', 'BUILD_TAGS'] : ['BUILD_TAGS']);
    return;
  }
  if (packages) stage.addArg('GO_PACKAGES', spec.mainPackage);
  stage.addArg('BUILD_TAGS', spec.tags);
}

function addDeps(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const deps = model.addStage({
    from: 'modules',
    name: DEPS_STAGE,
    comment: 'Dependencies: the standard library and the modules, compiled for the target platform into a layer that the module\'s services share (bake builds this stage once for all of them, as a target of its own) and a registry cache (mode=max) carries, so a code change on a fresh CI runner compiles only the services\' own packages.',
  });
  addModuleArgs(deps, spec, false);
  deps.addRun({
    comment: `The cache's files are dated ${GOCACHE_DATE}: Go re-dates every cache entry it uses once the entry is an hour old, which would copy the whole cache into the compile's layer (and the registry cache) on every build; it never re-dates or trims a future entry.`,
    mounts: [Mount.bind({ from: 'imports', source: IMPORTS_FILE, target: IMPORTS_FILE })],
    commands: [
      `${goTargetEnv(go)} ${goOffline(go)} GOCACHE=${GOCACHE} go build -trimpath -tags "\${BUILD_TAGS}" $(cat ${IMPORTS_FILE})`,
      `find ${GOCACHE} -exec touch -h -d @${GOCACHE_TIME} {} +`,
    ],
  });
}

function addBuilder(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const builder = model.addStage({
    from: DEPS_STAGE,
    name: 'builder',
    comment: 'Build: the service\'s own packages, on the dependencies compiled above, in one step: one layer with the image\'s files and the few cache entries the compile adds.',
  });
  builder.addArgs(['TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'TARGETPLATFORM', ...(spec.shared ? SHARED_BUILDER_ARGS : [])]);
  if (spec.shared && spec.upx) builder.addArg(UPX_ARG, 'false');
  addContractArg(builder, 'VERSION');
  builder.addRun(compileRun(go, spec));
}

/** The role of the builder's compile step (see compileRun). */
const COMPILE_ROLE = 'go-compile';
/** The role of the UPX tool's instruction in the `modules` stage (see addUpxTool). */
export const UPX_TOOL_ROLE = 'go-upx-tool';

/**
 * The compile, then UPX (amd64 only) and constant file times, in one RUN: one layer per service and
 * platform, with the binary once. The build cache is the deps stage's layer (not a mount: BuildKit
 * would hash the whole cache for the step's cache key on every build), dated so that Go leaves it
 * as it is.
 */
function compileRun(go: GoBuildSettings, spec: GoDockerfileSpec): RunOptions {
  const tags = spec.tags ? ` -tags "${spec.tags}"` : '';
  const ldflags = `-w -s -X ${go.versionVariable}=\${VERSION}${spec.ldflags ? ` ${spec.ldflags}` : ''}`;
  const binary = `${ROOTFS}${BIN_DIR}/${spec.binary}`;
  return {
    role: COMPILE_ROLE,
    comment: spec.upx
      ? `The compile, then UPX on linux/amd64 only (it is known to produce arm64 binaries that crash; it hides the Go build info from scanners, so \`go version -m\` is kept in ${BUILDINFO_DIR}), then every file time set to a constant (reproducible layers).`
      : 'The compile, then every file time set to a constant (reproducible layers).',
    mounts: [Mount.bind({ target: '.' })],
    // uname -m, printed by the compile step itself, shows where the compiler really ran
    commands: [
      // the shared Dockerfile is only built through bake, which sets these
      ...(spec.shared ? ['{ test -n "${SERVICE}" && test -n "${MAIN_PACKAGE}" || { echo "build args SERVICE and MAIN_PACKAGE are required (docker buildx bake sets them)" >&2; exit 1; }; }'] : []),
      'echo "building on ${BUILDPLATFORM} ($(uname -m)) for ${TARGETPLATFORM}"',
      `${goTargetEnv(go)} ${goOffline(go)} GOCACHE=${GOCACHE} go build -trimpath${tags} -ldflags "${ldflags}" -o ${binary} ${spec.mainPackage}`,
      ...(spec.upx ? [upxPack(spec)] : []),
      normalizeTimesCommand(),
    ],
  };
}

/** UPX on the binary (amd64 only), after `go version -m` is kept for scanners. */
function upxPack(spec: GoDockerfileSpec): string {
  const binary = `${ROOTFS}${BIN_DIR}/${spec.binary}`;
  // UPX hides the module list that scanners read from a Go binary: keep it next to the binary
  const keep = `mkdir -p ${ROOTFS}${BUILDINFO_DIR} && go version -m ${binary} > ${ROOTFS}${buildinfoFile(spec.binary)}`;
  const pack = `if [ "\${TARGETARCH}" = "amd64" ]; then ${UPX_COMMAND} ${binary} && upx -t ${binary}; else echo "upx: skipped for \${TARGETPLATFORM} (amd64 only)"; fi`;
  // the shared Dockerfile keeps the build info of every service, so its label is true for all of them
  return spec.shared ? `${keep} && if [ "\${${UPX_ARG}}" = "true" ]; then ${pack}; fi` : `${keep} && ${pack}`;
}

/** How UPX packs a binary. */
const UPX_COMMAND = 'upx --best --lzma';

/**
 * Adds UPX to a shared Go Dockerfile created without it, when a service that enables UPX joins it:
 * the tool (see addUpxTool), the COMPRESS_WITH_UPX arg, the pack step in the compile step, and
 * the runtime's UPX labels. Does nothing when the Dockerfile has UPX already.
 */
export function enableSharedUpx(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const builder = model.tryFindStage('builder')!;
  if (findArg(builder, UPX_ARG)) return;
  const upxSpec = { ...spec, upx: true };
  addUpxTool(model, go);
  builder.insertBefore(findArg(builder, 'VERSION')!, new ArgInstruction([{ name: UPX_ARG, defaultValue: 'false' }]));
  builder.replace(builder.instructions.find(i => i.role === COMPILE_ROLE)!, new RunInstruction(compileRun(go, upxSpec)));
  const runtime = model.finalStage;
  const args = findArg(runtime, 'SERVICE')!;
  const names = args.names;
  names.splice(names.indexOf('DESCRIPTION') + 1, 0, UPX_ARG);
  runtime.replace(args, new ArgInstruction(names.map(name => ({ name }))));
  const labels = runtime.instructions.find((i): i is LabelInstruction => i instanceof LabelInstruction)!;
  runtime.replace(labels, new LabelInstruction({ ...labels.labels, ...upxLabels(upxSpec) }, { comment: labels.comment }));
}

/** The ARG instruction of a stage that declares `name`, if any. */
function findArg(stage: DockerfileStage, name: string): ArgInstruction | undefined {
  return stage.instructions.find((i): i is ArgInstruction => i instanceof ArgInstruction && i.names.includes(name));
}

/** The labels that say UPX ran and where the build info is kept. */
function upxLabels(spec: GoDockerfileSpec): { [key: string]: string } {
  if (!spec.upx) return {};
  return { 'build.upx-amd64': spec.shared ? `\${${UPX_ARG}}` : 'true', 'build.go-buildinfo': buildinfoFile(spec.binary) };
}

/** Where the UPX tool is in the builder (and where `upxImage` holds it). */
const UPX_BINARY = `${BIN_DIR}/upx`;

/**
 * UPX for the compile step, in the `modules` stage after WORKDIR (before go.mod): installed once per
 * build (on the build platform, unless cgo), in the stages the module's services share (bake
 * builds them as one target, whose registry cache has every layer), so neither a code change nor
 * a new requirement re-runs apt, and a service's own chain holds nothing but its compile. Does
 * nothing when the stage has the tool already. `upxImage` pins it (a COPY); apt installs
 * `upx-ucl` otherwise, unless the builder image has a `upx`.
 */
export function addUpxTool(model: DockerfileModel, go: GoBuildSettings): void {
  const modules = model.tryFindStage('modules');
  if (!modules || modules.instructions.some(isUpxTool)) return;
  const where = go.cgo ? 'once per platform' : 'once per build, on the build platform';
  const comment = `UPX for the compile step (linux/amd64), in the stages the module's Go services share: installed ${where}, and neither a code change nor a new go.mod re-runs it`;
  const tool = go.upxImage
    ? new CopyInstruction({ from: go.upxImage, sources: [UPX_BINARY], destination: UPX_BINARY, comment: `${comment} (pinned: upxImage).`, role: UPX_TOOL_ROLE })
    : new RunInstruction({
      comment: `${comment} (pin it with upxImage).`,
      role: UPX_TOOL_ROLE,
      mounts: [Mount.cache({ target: '/var/cache/apt', sharing: CacheSharing.LOCKED }), Mount.cache({ target: '/var/lib/apt/lists', sharing: CacheSharing.LOCKED })],
      commands: [`command -v upx >/dev/null || (apt-get update && apt-get install -y --no-install-recommends upx-ucl && { command -v upx >/dev/null || ln -s "$(command -v upx-ucl)" ${UPX_BINARY}; })`],
    });
  const workdir = modules.instructions.find(i => i instanceof WorkdirInstruction);
  if (workdir) modules.insertAfter(workdir, tool);
  else if (modules.instructions.length) modules.insertBefore(modules.instructions[0], tool);
  else modules.add(tool);
}

/** Whether an instruction is the UPX tool of addUpxTool (its COPY from upxImage, or its apt step). */
export function isUpxTool(instruction: DockerfileInstruction): boolean {
  return instruction.role === UPX_TOOL_ROLE;
}

/**
 * A key of the `modules`, `imports` and `deps` stages as BuildKit sees them with bake's args:
 * without comments and ARG defaults (bake sets GO_PACKAGES and BUILD_TAGS), and without the UPX
 * tool (the services of a module share one). Services whose keys are equal can share one build of
 * those stages.
 */
export function dependencyStagesKey(model: DockerfileModel): string {
  const names = ['modules', 'imports', DEPS_STAGE];
  return JSON.stringify(model.stages.filter(st => st.name !== undefined && names.includes(st.name)).map(st => st.buildKey([UPX_TOOL_ROLE])));
}

function addRuntime(model: DockerfileModel, go: GoBuildSettings, spec: GoDockerfileSpec): void {
  const runtime = model.addStage({
    from: go.runtimeImage,
    hasShell: go.runtimeHasShell,
    comment: go.runtimeHasShell ? 'Runtime: non-root.' : 'Runtime: no shell, no package manager, non-root.',
  });
  const args = [...(spec.shared ? ['SERVICE', 'DESCRIPTION', ...(spec.upx ? [UPX_ARG] : [])] : []), ...(spec.portArg ? ['PORT'] : [])];
  addImageMetadata(runtime, { ...spec.labels, ...upxLabels(spec) }, args);
  // No COPY --link: with the docker driver and the containerd image store, a --link layer on a base
  // whose blobs were never pulled fails at export ("not found") on a fresh engine (seen in the lab).
  runtime.addCopy({ from: 'builder', sources: [`${ROOTFS}/`], destination: '/' });
  runtime.addUser(go.user);
  if (spec.port !== undefined) runtime.addExpose(spec.port);
  if (spec.portArg) runtime.add(new ExposeInstruction('${PORT}'));
  runtime.addEntrypoint([`${BIN_DIR}/${spec.binary}`]);
}
