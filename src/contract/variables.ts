import { Platform } from '../platform';

/**
 * Where a CI provider takes a build variable's value from. Each provider maps these to its own
 * expressions (GitHub's `github.sha`, GitLab's `$CI_COMMIT_SHA`, ...).
 */
export enum CiValue {
  /** The registry (and namespace) the run pushes to. */
  REGISTRY = 'registry',
  /** The image tag of the run: the version computed for the ref. */
  IMAGE_VERSION = 'image-version',
  /** The commit the run builds. */
  COMMIT_SHA = 'commit-sha',
  /** The commit time of that commit, seconds since the Unix epoch. */
  COMMIT_TIME = 'commit-time',
  /** Whether the run pushes: false on pull requests, true on the default branch and tags. */
  PUSH = 'push',
}

/**
 * One variable of the build contract, declared once. The Makefile, the bake file, the Dockerfiles
 * and the CI providers all render it from this entry.
 */
export interface BuildVariable {
  /** The name, the same in Make, bake, the Dockerfile `ARG` and the CI environment, e.g. `VERSION`. */
  readonly name: string;
  /** One line shown by `make help`. */
  readonly description: string;
  /** The Make default (`NAME ?= …`), a Make expression that may use `$(shell …)`. */
  readonly makeDefault: string;
  /**
   * Evaluate the Make default once per `make` run, so every recipe sees the same value.
   * @default false
   */
  readonly evaluateOnce?: boolean;
  /**
   * The default of the bake variable. When set, the bake file declares the variable and the
   * Makefile passes it to bake through the environment.
   * @default - not a bake variable
   */
  readonly bakeDefault?: string;
  /**
   * The comment above the bake variable block.
   * @default - the description
   */
  readonly bakeDescription?: string;
  /**
   * Passed to every image build as a build arg (bake `args`); the Dockerfiles declare it with `ARG`.
   * @default false
   */
  readonly buildArg?: boolean;
  /**
   * The default of the Dockerfile `ARG`.
   * @default - no default
   */
  readonly dockerfileDefault?: string;
  /**
   * The image label the variable feeds, e.g. `org.opencontainers.image.version`.
   * @default - no label
   */
  readonly label?: string;
  /**
   * Where a CI provider takes the value from.
   * @default - CI leaves the Make default
   */
  readonly ciValue?: CiValue;
  /**
   * The value is the path of a file that a build reads as a build secret (a netrc, a pip.conf): CI
   * writes it from one of its secrets, never into the repository, the workflow or an image.
   * @default false
   */
  readonly secretFile?: boolean;
  /**
   * What a value given to make on the command line or in the environment may hold; anything else
   * stops make before any recipe runs.
   */
  readonly grammar: InputGrammar;
}

/** The grammar of a build variable's value, as the Makefile checks it (see MakeVariable). */
export interface InputGrammar {
  /** The characters a value may hold, listed one by one. */
  readonly characters: string;
  /** The characters in words, for the error message. */
  readonly description: string;
  /**
   * A value must not be empty.
   * @default false
   */
  readonly required?: boolean;
  /**
   * A value may start with "-" (flag lists only).
   * @default false
   */
  readonly flags?: boolean;
}

const LETTERS_DIGITS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** An enumerated value: lowercase words such as true, docker-container or high. */
const WORD: InputGrammar = { characters: 'abcdefghijklmnopqrstuvwxyz-', description: 'lowercase letters and "-"' };
const grammar = (extra: string, description: string, more: Partial<InputGrammar> = {}): InputGrammar =>
  ({ characters: LETTERS_DIGITS + extra, description: `letters, digits${description}`, ...more });
/** An image tag, a builder name, a revision. */
const NAME = grammar('_.-', ', "_", "." and "-"');
/** A registry and namespace: host[:port]/path. */
const REFERENCE = grammar('_.-/:', ', "_", ".", "-", "/" and ":"');
/** Platforms, e.g. linux/amd64,linux/arm/v7. */
const PLATFORM_LIST = grammar('/,_', ', "/", "," and "_"');
/** A file path or a key reference (awskms://…, k8s://…). */
const PATH = grammar('_.-/~+@:', ', "_", ".", "-", "/", "~", "+", "@" and ":"');
/** A list of flags, e.g. --no-cache --set=*.platform=linux/arm64 (the bake call turns globbing off). */
const FLAGS = grammar('_.-/~+@:=,* ', ', spaces, "_", ".", "-", "/", "~", "+", "@", ":", "=", "," and "*"', { flags: true });
/** A list of flags for commands that glob (docker run, cosign): no "*". */
const PLAIN_FLAGS = grammar('_.-/~+@:=, ', ', spaces, "_", ".", "-", "/", "~", "+", "@", ":", "=" and ","', { flags: true });
/** One platform, e.g. linux/arm/v7. */
const ONE_PLATFORM = grammar('/_', ', "/" and "_"');

/** The pipeline settings the contract's defaults come from. */
export interface ContractSettings {
  readonly registry: string;
  readonly platforms: Platform[];
  readonly cacheRegistry: string;
  readonly buildxDriver: string;
  readonly builderName: string;
  readonly scanSeverity: string;
  /** Whether the images carry attestations (provenance or SBOM): then even one platform exports an index. */
  readonly attestations: boolean;
}

/**
 * The BuildKit image of the builders the pipeline creates (docker-container, kubernetes) and of the
 * GitHub workflow's setup-buildx, pinned by digest: buildx's own default, moby/buildkit:buildx-stable-1,
 * is a moving tag, and the builder holds the registry credentials.
 */
export const BUILDKIT_IMAGE = 'moby/buildkit:v0.29.0@sha256:0039c1d47e8748b5afea56f4e85f14febaf34452bd99d9552d2daa82262b5cc5';

/**
 * The image that registers QEMU's binfmt handlers (run privileged, in CI only where a service runs
 * commands on a platform without a native runner), pinned by digest: the actions' default is a
 * moving `latest`.
 */
export const BINFMT_IMAGE = 'tonistiigi/binfmt:qemu-v10.2.3-68@sha256:400a4873b838d1b89194d982c45e5fb3cda4593fbfd7e08a02e76b03b21166f0';

/**
 * The Dockerfile frontend of every generated Dockerfile's `# syntax=` line, pinned by digest: the
 * frontend runs inside the builder, and `docker/dockerfile:1` is a moving tag. BuildKit's built-in
 * frontend also reads every generated Dockerfile (`dockerfileSyntax: ''` uses it).
 */
export const DOCKERFILE_FRONTEND = 'docker/dockerfile:1.28@sha256:bb22d9815c728170f72750f4e5b0d672e06176142e1d602c7e66c050100b7e5b';

/** Where pushes record what they pushed (bake metadata files, digests): kept out of git and build contexts. */
export const METADATA_DIR = '.multiarch';
/** Where build-sbom writes. */
export const SBOM_DIR = 'sbom';

/** A tag cannot hold "/" (release/1.2): every character a tag cannot hold becomes "-". */
const GIT_VERSION = "$(shell (git describe --tags --always --dirty 2>/dev/null || echo dev) | sed 's/[^A-Za-z0-9_.-]/-/g')";

type Spec = Omit<BuildVariable, 'makeDefault' | 'bakeDefault' | 'grammar'> & {
  readonly grammar?: InputGrammar;
  readonly make: (s: ContractSettings) => string;
  readonly bake?: (s: ContractSettings) => string;
};

const platformList = (s: ContractSettings) => s.platforms.map(p => p.value).join(',');

/** The catalogue, in the order the Makefile lists the variables. Adding a variable is one entry. */
const CATALOGUE: Spec[] = [
  {
    name: 'REGISTRY',
    grammar: { ...REFERENCE, required: true },
    description: 'registry/namespace to push to',
    make: s => s.registry,
    bake: s => s.registry,
    bakeDescription: 'Registry and namespace images are pushed to',
    ciValue: CiValue.REGISTRY,
  },
  {
    name: 'VERSION',
    grammar: { ...NAME, required: true },
    description: 'image tag and compiled-in version',
    make: () => GIT_VERSION,
    evaluateOnce: true,
    bake: () => 'dev',
    bakeDescription: 'Image tag and the version compiled into binaries',
    buildArg: true,
    dockerfileDefault: 'dev',
    label: 'org.opencontainers.image.version',
    ciValue: CiValue.IMAGE_VERSION,
  },
  {
    name: 'PLATFORMS',
    grammar: { ...PLATFORM_LIST, required: true },
    description: 'comma-separated target platforms',
    make: platformList,
    bake: platformList,
    bakeDescription: 'Comma-separated target platforms',
  },
  { name: 'PLATFORM', description: 'the one platform ci-push-platform builds (a job per native runner), e.g. linux/arm64', make: () => '', grammar: ONE_PLATFORM },
  { name: 'PUSH', description: 'push images (true) or only build them (false)', make: () => 'false', ciValue: CiValue.PUSH, grammar: WORD },
  { name: 'BUILDER', description: 'buildx builder name (not used by the docker driver)', make: s => s.builderName, grammar: { ...NAME, required: true } },
  { name: 'BUILDX_DRIVER', description: 'docker | docker-container | kubernetes | remote', make: s => s.buildxDriver, grammar: { ...WORD, required: true } },
  { name: 'BUILDX_DRIVER_OPTS', description: 'extra --driver-opt values, comma-separated (e.g. namespace=buildkit)', make: () => '', grammar: grammar('_.-/:=,', ', "_", ".", "-", "/", ":", "=" and ","') },
  { name: 'BUILDKIT_IMAGE', description: 'the BuildKit image of the builders setup-buildx creates (docker-container, kubernetes), pinned by digest', make: () => BUILDKIT_IMAGE, grammar: grammar('_.-/:@', ', "_", ".", "-", "/", ":" and "@"') },
  { name: 'BUILDX_ENDPOINT', description: 'BuildKit address for the remote driver (e.g. tcp://buildkitd:1234)', make: () => '', grammar: grammar('_.-/:@', ', "_", ".", "-", "/", ":" and "@"') },
  {
    name: 'CACHE_REGISTRY',
    grammar: REFERENCE,
    description: 'registry for the build cache; empty disables it',
    make: s => s.cacheRegistry,
    bake: s => s.cacheRegistry,
    bakeDescription: 'Registry for the build cache; empty disables it',
  },
  {
    name: 'CACHE_TAG',
    grammar: { ...NAME, required: true },
    description: 'tag of the registry cache refs; a job that builds one PLATFORM gets a ref of its own (cache-linux-arm64)',
    // per-platform CI jobs run at once: with one ref, the last to finish would overwrite the other's cache
    make: () => '$(if $(PLATFORM),cache-$(subst /,-,$(PLATFORM)),cache)',
    bake: () => 'cache',
    bakeDescription: 'Tag of the registry cache refs (<CACHE_REGISTRY>/<image>:<CACHE_TAG>)',
  },
  {
    name: 'CACHE_WRITE',
    grammar: WORD,
    description: 'true exports the registry cache; false only reads it (pull requests, local builds)',
    make: () => 'true',
    bake: () => 'true',
    bakeDescription: 'true exports the registry cache (cache-to); false only reads it',
  },
  {
    name: 'SOURCE_DATE_EPOCH',
    grammar: { characters: '0123456789', description: 'digits', required: true },
    description: 'commit time in seconds since 1970: the date of the image config and history',
    make: () => '$(shell git log -1 --format=%ct 2>/dev/null || echo 0)',
    evaluateOnce: true,
    bake: () => '',
    bakeDescription: 'Commit time in seconds since the Unix epoch: BuildKit dates the image config and history with it (empty: the build time)',
    buildArg: true,
    ciValue: CiValue.COMMIT_TIME,
  },
  {
    name: 'BUILD_DATE',
    grammar: grammar(':+.-', ', ":", "+", "." and "-"'),
    description: 'RFC 3339 date of SOURCE_DATE_EPOCH (created label), never the wall clock',
    // GNU date reads "-d @N"; BSD date (macOS) reads "-r N"
    make: () => '$(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r $(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)',
    evaluateOnce: true,
    bake: () => '',
    bakeDescription: 'RFC 3339 date of SOURCE_DATE_EPOCH (org.opencontainers.image.created); the Makefile sets it',
    buildArg: true,
    label: 'org.opencontainers.image.created',
  },
  {
    name: 'VCS_REF',
    grammar: NAME,
    description: 'source revision label',
    make: () => '$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)',
    evaluateOnce: true,
    bake: () => '',
    bakeDescription: 'Source revision (org.opencontainers.image.revision)',
    buildArg: true,
    label: 'org.opencontainers.image.revision',
    ciValue: CiValue.COMMIT_SHA,
  },
  {
    name: 'INDEX_ANNOTATIONS',
    grammar: WORD,
    description: 'true gives each image index the OCI labels as annotations; a single-platform build without attestations has no index and needs false',
    make: s => String(s.attestations),
    bake: s => String(s.attestations),
    bakeDescription: 'true gives each image index the OCI labels (title, description, source, version, ...) as annotations; false for a single-platform build without attestations, which exports no index',
  },
  {
    name: 'METADATA_FILES',
    grammar: grammar('_.-/~+@: ', ', spaces, "_", ".", "-", "/", "~", "+", "@" and ":"'),
    description: 'bake files of docker/metadata-action (bake-target: the service name), read after the bake file: their tags and labels win',
    make: () => '',
  },
  {
    name: 'LOCAL_PLATFORM',
    description: 'the platform build-local and run-<service> build for: this machine\'s engine',
    // the engine's platform; without an engine (no answer, or a blank one) linux/amd64
    make: () => "$(or $(strip $(shell docker version -f '{{.Server.Os}}/{{.Server.Arch}}' 2>/dev/null | grep -x '[a-z0-9]*/[a-z0-9]*')),linux/amd64)",
    grammar: ONE_PLATFORM,
  },
  { name: 'RUN_FLAGS', description: 'extra docker run flags for run-<service>, e.g. -e LOG_LEVEL=debug', make: () => '', grammar: PLAIN_FLAGS },
  { name: 'BAKE_FLAGS', description: 'extra docker buildx bake flags, e.g. --no-cache or --set=*.platform=linux/arm64', make: () => '', grammar: FLAGS },
  { name: 'SCAN_SEVERITY', description: 'lowest severity that fails the vulnerability scan', make: s => s.scanSeverity, grammar: WORD },
  { name: 'COSIGN_KEY', description: 'cosign key reference; empty signs keyless (OIDC)', make: () => '', grammar: PATH },
  { name: 'COSIGN_FLAGS', description: 'extra cosign flags for sign and attest, e.g. --tlog-upload=false offline', make: () => '', grammar: PLAIN_FLAGS },
  {
    name: 'STAGING_TAG',
    grammar: { ...NAME, required: true },
    description: 'the tag CI pushes to where it cannot push by digest (a merged index; the docker driver), until ci-publish: never one users pull',
    make: () => 'unpublished-$(VCS_REF)',
  },
  {
    name: 'PUBLISH_TAGS',
    grammar: grammar('_.- ', ', spaces, "_", "." and "-"'),
    description: 'extra tags ci-publish gives every image, space-separated (e.g. "1.2 latest"), besides the bake file\'s and METADATA_FILES\' tags',
    make: () => '',
  },
  {
    name: 'SKIP_INPUT_CHECK',
    description: 'true builds even when a file npx projen read changed since (check-inputs); run npx projen instead',
    make: () => 'false',
    grammar: WORD,
  },
  { name: 'METADATA_DIR', description: 'where pushes record their digests (build-sign, build-sbom and the scan read them)', make: () => METADATA_DIR, grammar: PATH },
  { name: 'SBOM_DIR', description: 'where build-sbom writes SPDX files', make: () => SBOM_DIR, grammar: PATH },
];

/** The build contract for a pipeline's settings: every variable a user or CI can set. */
export function buildVariables(s: ContractSettings): BuildVariable[] {
  return CATALOGUE.map(({ make, bake, grammar: g, ...rest }) => {
    if (!g) throw new Error(`build variable ${rest.name} has no grammar`);
    return { ...rest, grammar: g, makeDefault: make(s), ...(bake ? { bakeDefault: bake(s) } : {}) };
  });
}

/**
 * A build variable whose value is the path of a file a build reads as a build secret (a netrc, a
 * pip.conf), for a kind of service to add to the contract (see `MultiArchServiceProps.buildVariables`):
 * empty by default, set per run (`make build-multiarch GO_NETRC=~/.netrc`), written by CI from a secret.
 * @param name the variable, e.g. `GO_NETRC`
 * @param description one line for `make help`
 * @param bakeDescription the comment of the bake variable: the secret's id and who reads it
 */
export function secretFileVariable(name: string, description: string, bakeDescription: string): BuildVariable {
  return { name, description, bakeDescription, grammar: PATH, secretFile: true, makeDefault: '', bakeDefault: '' };
}

/** What an image build sees of a build-arg variable. */
export interface ImageArg {
  readonly name: string;
  readonly dockerfileDefault?: string;
  readonly label?: string;
}

/**
 * The variables every image build receives as build args. Their names, Dockerfile defaults and
 * labels do not depend on the pipeline's settings, so a service reads them without a pipeline.
 */
export function imageBuildArgs(): ImageArg[] {
  return CATALOGUE.filter(v => v.buildArg).map(v => ({ name: v.name, dockerfileDefault: v.dockerfileDefault, label: v.label }));
}
