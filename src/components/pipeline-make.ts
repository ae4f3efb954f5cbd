import { BakeSecret, BakeTarget } from '../bake';
import { HELPER_SCRIPT, HELPER_VARIABLES } from './pipeline-script';
import { BuildVariable, IMultiArchService, imageReference, MAKE, StandardTarget as T, SUPPORTED_TOOLCHAIN } from '../contract/internal';
import { MakeAssertion, MakeDerivedVariable, MakeTarget, MakeVariable } from '../make';

/** What the Makefile's standard content is rendered from. */
export interface MakeSettings {
  readonly bakeFilePath: string;
}

/** The Make variables of the contract, in catalogue order. */
export function makeVariables(variables: BuildVariable[]): MakeVariable[] {
  return variables.map(v => ({
    name: v.name,
    default: v.makeDefault,
    description: v.description,
    evaluateOnce: v.evaluateOnce ?? false,
    allowedCharacters: v.grammar.characters,
    allowedDescription: v.grammar.description,
    required: v.grammar.required ?? false,
    allowLeadingDash: v.grammar.flags ?? false,
  }));
}

/** The builder bake and the setup targets use (see BUILDER_NAME). */
const BUILDER = '$(BUILDER_NAME)';

/** Checks make evaluates when it reads the file. */
export function makeAssertions(): MakeAssertion[] {
  const oneOf = (name: string, values: string[], comment: string): MakeAssertion => ({
    expression: `$(if $(filter-out ${values.join(' ')},$(${name}))$(word 2,$(${name})),$(error ${name} must be ${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}, not "$(${name})"))`,
    comment,
  });
  return [
    oneOf('PUSH', ['true', 'false'], 'PUSH=1 or PUSH=yes would silently not push; refuse anything but true or false'),
    oneOf('INDEX_ANNOTATIONS', ['true', 'false'], 'The bake file compares it with "true"; anything else would silently drop the annotations'),
    oneOf('CACHE_WRITE', ['true', 'false'], 'The bake file compares it with "true"; anything else would silently stop exporting the cache'),
    oneOf('BUILDX_DRIVER', ['docker', 'docker-container', 'kubernetes', 'remote'], 'The buildx drivers setup-buildx knows'),
    oneOf('SKIP_INPUT_CHECK', ['true', 'false'], 'SKIP_INPUT_CHECK=1 would silently check; refuse anything but true or false'),
    oneOf('SCAN_SEVERITY', ['negligible', 'low', 'medium', 'high', 'critical'], 'The severities grype can fail on'),
  ];
}

/** `BAKE` (the one bake invocation every build target uses) and the shell functions the targets call. */
export function makeDerivedVariables(s: MakeSettings, variables: BuildVariable[]): MakeDerivedVariable[] {
  /** The bake variables from Make's, then the one bake invocation (`overrides` fix some values). */
  const bake = (overrides: { [name: string]: string } = {}) => [
    ...variables.filter(v => v.bakeDefault !== undefined).map(v => `${v.name}="${overrides[v.name] ?? MAKE.ref(v.name)}"`),
    `docker buildx bake --builder ${BUILDER} -f ${s.bakeFilePath} $(addprefix -f ,$(METADATA_FILES)) $(${BAKE_SECRETS}) $(BAKE_FLAGS)`,
  ].join(' ');
  // no globbing: BAKE_FLAGS such as --set=*.platform=... reach bake as written, whatever files the directory holds
  const noGlob = (command: string) => `set -f; ${command}`;
  return [
    {
      name: 'BUILDER_NAME',
      body: '$(if $(filter docker,$(BUILDX_DRIVER)),$(shell docker context show 2>/dev/null || echo default),$(BUILDER))',
      comment: 'The docker driver is the engine\'s own builder, named after the current docker context (default, desktop-linux, colima, ...); the other drivers use the builder named BUILDER',
    },
    {
      name: 'BUILDER_DRIVER',
      body: "$(if $(filter docker,$(BUILDX_DRIVER)),docker,$(or $(shell docker buildx inspect $(BUILDER_NAME) 2>/dev/null | sed -n 's/^Driver: *//p' | head -n 1),$(BUILDX_DRIVER)))",
      comment: 'The driver of the builder bake runs on, as buildx reports it (read when a recipe runs, after setup-buildx): how a build pushes depends on it, whatever BUILDX_DRIVER says (BUILDER may name a builder of another driver)',
    },
    { name: EMULATED, body: '', comment: EMULATED_COMMENT },
    {
      name: 'secret_file',
      body: '$(abspath $(patsubst ~/%,$(HOME)/%,$(1)))',
      comment: '$(call secret_file,<path>): the absolute path of a secret file; a leading ~/ is the home directory (zsh passes VAR=~/x to make as written)',
    },
    { name: BAKE_SECRETS, body: '', comment: BAKE_SECRETS_COMMENT },
    {
      name: 'BAKE',
      body: noGlob(bake()),
      comment: 'The bake file reads its variables from the environment. Always -f: without it bake also merges any compose file it finds. METADATA_FILES come after it, so their tags and labels win',
    },
    {
      name: 'BAKE_LOCAL',
      body: noGlob(bake({ PLATFORMS: MAKE.ref('LOCAL_PLATFORM'), INDEX_ANNOTATIONS: 'false', CACHE_WRITE: 'false' })),
      comment: 'BAKE for this machine (build-local, run-<service>): LOCAL_PLATFORM, no index annotations (one platform without attestations exports a manifest, not an index), the cache read but not written',
    },
    { name: 'comma', body: ',', comment: 'A literal comma, for commas inside $(if …) arguments' },
    {
      name: 'PUSH_OUTPUT',
      body: "$(if $(filter docker,$(BUILDER_DRIVER)),--push,'--set=*.output=type=registry$(comma)rewrite-timestamp=true')",
      comment: 'How bake pushes. Builders other than the engine\'s own also clamp file times in new layers to SOURCE_DATE_EPOCH (rewrite-timestamp); the docker driver refuses that option, and the Dockerfiles set file times themselves',
    },
    {
      name: 'PUSHED',
      body: '--metadata-file "$(METADATA_DIR)/build.json"',
      comment: 'Where a pushing build records what it pushed: build-sign, build-sbom and build-vulnerability-scan use those digests, never a tag',
    },
    { name: 'PLATFORM_PAIR', body: '$(subst /,-,$(PLATFORM))', comment: 'PLATFORM as a file and tag suffix: linux/arm/v7 -> linux-arm-v7' },
    {
      name: 'MULTIARCH',
      body: [...HELPER_VARIABLES.map(v => `${v}="${MAKE.ref(v)}"`), `bash ${HELPER_SCRIPT}`].join(' '),
      comment: `The helper script for what needs more than Make (jq reads the JSON bake and buildx write): $(MULTIARCH) <command> <arguments>; bash ${HELPER_SCRIPT} alone lists the commands`,
    },
  ];
}

/** The derived variable that passes the build secrets on bake's command line (set at synthesis). */
export const BAKE_SECRETS = 'BAKE_SECRETS';
const BAKE_SECRETS_COMMENT = 'The build secrets of the bake file\'s targets, given again with --set: buildx 0.20 and later ask for an entitlement (fs.read) for a secret file outside this directory unless it comes from the command line';

/**
 * The `--set <target>.secrets=…` flags that pass each target's secrets whose source is a Make variable
 * (`${GO_NETRC}`), when it is set. A --set replaces the target's list, so a target's other secrets are
 * given again alongside; one whose source is an HCL template cannot be, and is refused.
 */
export function bakeSecretOverrides(targets: BakeTarget[], names: string[]): string {
  const flags: string[] = [];
  for (const target of targets) {
    const fromMake = target.secrets.filter(x => fromVariable(x, names));
    if (fromMake.length === 0) continue;
    for (const secret of target.secrets) {
      const variable = fromVariable(secret, names);
      if (variable) {
        const when = secret.whenSet ?? variable;
        flags.push(`$(if $(${when}),'--set=${target.name}.secrets=id=${secret.id}$(comma)src=$(call secret_file,$(${variable}))')`);
      } else if (/^[A-Za-z0-9_./~+@:-]+$/.test(secret.source)) {
        flags.push(`'--set=${target.name}.secrets=id=${secret.id},src=${secret.source}'`);
      } else {
        throw new Error(`bake target ${target.name}: its secret "${secret.id}" (source ${secret.source}) cannot be passed on the command line next to its secrets from Make variables: give it a bake variable as its source, e.g. "\${MY_SECRET_FILE}"`);
      }
    }
  }
  return flags.join(' ');
}

/** The Make variable a secret's source is (`${NAME}`), if it is one. */
function fromVariable(secret: BakeSecret, names: string[]): string | undefined {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(secret.source);
  return m && names.includes(m[1]) ? m[1] : undefined;
}

/** The derived variable that lists the services that need emulation (set at synthesis). */
export const EMULATED = 'EMULATED_SERVICES';
export const EMULATED_COMMENT = 'Services whose Dockerfile runs a command on the target platform: building them for another architecture needs QEMU or a native node';

/** The standard targets for these services, in the order the Makefile lists them. */
export function standardTargets(services: IMultiArchService[]): MakeTarget[] {
  return [
    {
      name: T.CHECK_TOOLS,
      description: `Check that docker and buildx ${SUPPORTED_TOOLCHAIN.buildx} or newer are installed (every target that runs docker does this first)`,
      recipe: [`@${helper('check-tools')}`],
    },
    {
      name: T.CHECK_INPUTS,
      description: `Check that the files npx projen read (recorded in ${HELPER_SCRIPT}) have not changed since; SKIP_INPUT_CHECK=true skips it`,
      recipe: [`@${helper('check-inputs')}`],
    },
    { name: T.SETUP_BUILDX, description: 'Create or select the buildx builder for BUILDX_DRIVER', prerequisites: [T.CHECK_TOOLS], recipe: setupBuildxRecipe() },
    ...buildTargets(services),
    ...supplyChainTargets(services),
    ...ciTargets(services),
  ];
}

const BAKE_CALL = '$(BAKE)';
/** A call of the helper script (see pipeline-script.ts). */
const helper = (...args: string[]) => ['$(MULTIARCH)', ...args].join(' ');
const refOf = (s: IMultiArchService) => imageReference(MAKE, s.imageName);
const repositoryOf = (s: IMultiArchService) => `${MAKE.ref('REGISTRY')}/${s.imageName}`;
/** A service's platforms, space-separated (a comma would split $(call) arguments). */
const platformsOf = (s: IMultiArchService) => s.platforms ? s.platforms.map(p => p.value).join(' ') : MAKE.ref('PLATFORMS');
/** A service's platforms as one argument of the helper. */
const platformsArg = (s: IMultiArchService) => `"${platformsOf(s)}"`;
const keep = (s: IMultiArchService) => `@${helper('keep-digest', s.name, `"${repositoryOf(s)}"`, '"$(METADATA_DIR)/build.json"')}`;
const keepIfPushed = (s: IMultiArchService) => `$(if $(filter true,$(PUSH)),${keep(s)},)`;
const verifyOf = (services: IMultiArchService[]) => services.map(s => `@${helper('verify', `"${refOf(s)}"`, platformsArg(s))}`);
/** Targets that read pushed images wait for any build requested in the same call (make -j). */
const buildsOf = (services: IMultiArchService[]) => [...T.builds(), ...services.map(s => T.buildService(s.name))];
const mkdirMetadata = '@mkdir -p "$(METADATA_DIR)"';
/** `bake --print` of one target, for the helper's standard input (its tags and annotations, METADATA_FILES included). */
const printOf = (s: IMultiArchService) => `${BAKE_CALL} --print ${s.name} |`;

/** The platform a service builds for on this machine: LOCAL_PLATFORM, unless the service lists platforms without it (then its first). */
const localPlatformOf = (s: IMultiArchService) => s.platforms
  ? `$(if $(filter $(LOCAL_PLATFORM),${platformsOf(s)}),$(LOCAL_PLATFORM),${s.platforms[0].value})`
  : MAKE.ref('LOCAL_PLATFORM');
/**
 * Builds services for this machine into the local engine: no push, no cache export, no attestations
 * (the engine's store may not hold them). BAKE_LOCAL gives the others LOCAL_PLATFORM; a service with
 * its own platforms gets one of them (a --set per target: buildx adds up several platform --sets).
 */
const loadLocal = (services: IMultiArchService[], what: string) => {
  const platforms = services.filter(s => s.platforms).map(s => `'--set=${s.name}.platform=${localPlatformOf(s)}'`);
  const load = `--provenance=false --sbom=false --load ${what}`;
  // a --set per line: each holds a $(if), and a line of several would be long
  return platforms.length ? ['$(BAKE_LOCAL)', ...platforms, load].join(' \\\n  ') : `$(BAKE_LOCAL) ${load}`;
};
/** setup-buildx checks the builder for the platforms a local build needs, not for PLATFORMS. */
const localPlatforms = (services: IMultiArchService[]) => ({
  PLATFORMS: [...new Set(services.map(s => s.platforms ? localPlatformOf(s) : MAKE.ref('LOCAL_PLATFORM')))].join(' '),
});

/** What a target that builds runs first: the inputs check (the files npx projen read), then the builder (after the tools check). */
const BUILD_FIRST = [T.CHECK_INPUTS, T.SETUP_BUILDX];

function buildTargets(services: IMultiArchService[]): MakeTarget[] {
  const pushFlag = '$(if $(filter true,$(PUSH)),$(PUSH_OUTPUT) $(PUSHED),)';
  return [
    {
      name: T.BUILD_MULTIARCH,
      description: 'Build every image for PLATFORMS; push when PUSH=true',
      prerequisites: BUILD_FIRST,
      recipe: [mkdirMetadata, `${BAKE_CALL} ${pushFlag} default`, ...services.map(keepIfPushed)],
    },
    ...services.map(s => ({
      name: T.buildService(s.name),
      description: `Build ${s.name} for ${s.platforms ? platformsOf(s) : 'PLATFORMS'}; push when PUSH=true`,
      prerequisites: BUILD_FIRST,
      recipe: [mkdirMetadata, `${BAKE_CALL} ${pushFlag} ${s.name}`, keepIfPushed(s)],
    })),
    { name: T.BUILD_VERIFY, description: 'Check every pushed image index has every platform (no rebuild)', prerequisites: [T.CHECK_TOOLS], recipe: verifyOf(services), runsAfter: buildsOf(services) },
    {
      name: T.BUILD_LOCAL,
      description: 'Build every image for LOCAL_PLATFORM (this machine) and load it into the local engine, as REGISTRY/<image>:VERSION',
      prerequisites: BUILD_FIRST,
      variables: localPlatforms(services),
      recipe: [loadLocal(services, 'default')],
    },
    ...services.map(s => ({
      name: T.runService(s.name),
      description: `Build ${s.name} for LOCAL_PLATFORM, load it and run it${s.port !== undefined ? ` on port ${s.port}` : ''} (RUN_FLAGS adds docker run flags)`,
      prerequisites: BUILD_FIRST,
      variables: localPlatforms([s]),
      // the port on this machine's loopback only: a development build is no service for the network
      recipe: [loadLocal([s], s.name), `docker run --rm${s.port !== undefined ? ` -p 127.0.0.1:${s.port}:${s.port}` : ''} $(RUN_FLAGS) "${refOf(s)}"`],
    })),
    {
      name: T.BUILD_COMPLETE,
      description: 'Build and push every image once, then verify it',
      prerequisites: BUILD_FIRST,
      recipe: [mkdirMetadata, `${BAKE_CALL} $(PUSH_OUTPUT) $(PUSHED) default`, ...services.map(keep), ...verifyOf(services)],
    },
  ];
}

/** SBOMs, scans and signatures of what was pushed, by digest: the helper checks for syft, grype and cosign. */
function supplyChainTargets(services: IMultiArchService[]): MakeTarget[] {
  const each = (command: string) => services.map(s => `@${helper(command, s.name, platformsArg(s))}`);
  return [
    {
      name: T.BUILD_SBOM,
      description: 'Write an SPDX SBOM per pushed image and platform, by digest (syft; no rebuild)',
      runsAfter: buildsOf(services),
      recipe: each('sbom'),
    },
    {
      name: T.BUILD_VULNERABILITY_SCAN,
      description: 'Scan every pushed image and platform, by digest; fail at SCAN_SEVERITY (grype; no rebuild)',
      runsAfter: buildsOf(services),
      recipe: each('scan'),
    },
    {
      name: T.BUILD_SIGN,
      description: 'Sign what was pushed, by digest and recursively, and attach the SBOMs (cosign; keyless unless COSIGN_KEY)',
      prerequisites: [T.CHECK_TOOLS],
      runsAfter: [...buildsOf(services), T.BUILD_SBOM],
      recipe: each('sign'),
    },
  ];
}

function ciTargets(services: IMultiArchService[]): MakeTarget[] {
  // the services that build PLATFORM: a job per platform builds only what has it (a service's own platforms are literal in the bake file)
  const platformServices = {
    PLATFORM_SERVICES: `$(strip ${services.map(s => `$(if $(filter $(PLATFORM),${s.platforms ? platformsOf(s) : '$(subst $(comma), ,$(PLATFORMS))'}),${s.name})`).join(' ')})`,
  };
  // Nothing public before the scan and the signature: by digest, or (the docker driver cannot) under the staging tag
  const byDigest = services.map(s => `'--set=${s.name}.output=type=image,name=${repositoryOf(s)},push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true' '--set=${s.name}.tags='`).join(' ');
  const staged = (suffix: string) => services.map(s => `'--set=${s.name}.tags=${repositoryOf(s)}:$(STAGING_TAG)${suffix}'`).join(' ');
  const unpublished = (suffix: string) => ({
    STAGED: staged(suffix),
    BY_DIGEST: byDigest,
    UNPUBLISHED: '$(if $(filter docker,$(BUILDER_DRIVER)),--push $(STAGED),$(BY_DIGEST))',
  });
  // CI checks what it pushed by digest: no tag exists before ci-publish
  const verifyPushed = services.map(s => `@${helper('verify-pushed', s.name, platformsArg(s))}`);
  const noService = (target: string) => `{ echo "${target}: no service builds $(PLATFORM) (PLATFORMS=$(PLATFORMS))" >&2; exit 2; }`;
  return [
    { name: T.CI_SETUP, description: 'CI: prepare the builder and print tool versions', prerequisites: [T.SETUP_BUILDX], recipe: ['docker version', 'docker buildx version', `docker buildx inspect --bootstrap ${BUILDER}`] },
    {
      name: T.CI_BUILD,
      description: 'CI: build every image for every platform, or with PLATFORM the services that have it for that one; no push, and the cache is only read (pull requests)',
      prerequisites: [T.CHECK_INPUTS, T.CI_SETUP],
      variables: { CACHE_WRITE: 'false', ...platformServices },
      recipe: [
        `@$(if $(PLATFORM),test -n "$(PLATFORM_SERVICES)" || ${noService(T.CI_BUILD)},true)`,
        `${BAKE_CALL} $(if $(PLATFORM),'--set=*.platform=$(PLATFORM)' $(PLATFORM_SERVICES),default)`,
      ],
    },
    {
      name: T.CI_PUSH,
      description: 'CI: build and push every image once, by digest (no public tag), then verify it; ci-publish tags it',
      prerequisites: [T.CHECK_INPUTS, T.CI_SETUP],
      variables: unpublished(''),
      recipe: [mkdirMetadata, `${BAKE_CALL} $(UNPUBLISHED) $(PUSHED) default`, ...services.map(keep), ...verifyPushed],
    },
    {
      name: T.CI_PUSH_PLATFORM,
      description: 'CI: build and push one PLATFORM of every service by digest (one job per native runner); ci-merge joins them',
      prerequisites: [T.CHECK_INPUTS, T.CI_SETUP],
      variables: { ...platformServices, ...unpublished('-$(PLATFORM_PAIR)') },
      recipe: [
        '@test -n "$(PLATFORM)" || { echo "ci-push-platform: set PLATFORM to one platform, e.g. PLATFORM=linux/arm64" >&2; exit 2; }',
        `@test -n "$(PLATFORM_SERVICES)" || ${noService(T.CI_PUSH_PLATFORM)}`,
        mkdirMetadata,
        `${BAKE_CALL} '--set=*.platform=$(PLATFORM)' $(UNPUBLISHED) --metadata-file "$(METADATA_DIR)/platform-$(PLATFORM_PAIR).json" $(PLATFORM_SERVICES)`,
      ],
    },
    {
      name: T.CI_MERGE,
      description: 'CI: join the platforms ci-push-platform pushed into one index per service (no public tag), verify it',
      prerequisites: [T.CHECK_TOOLS],
      runsAfter: [T.CI_PUSH_PLATFORM],
      // the index annotations come from bake --print: the bake file's, and METADATA_FILES'
      recipe: [...services.map(s => `@${printOf(s)} ${helper('merge', s.name, `"${repositoryOf(s)}"`)}`), ...verifyPushed],
    },
    { name: T.CI_SECURITY, description: 'CI: SBOM and vulnerability scan of the pushed images (no rebuild)', prerequisites: [T.BUILD_SBOM, T.BUILD_VULNERABILITY_SCAN] },
    { name: T.CI_SIGN, description: 'CI: sign the pushed images and attach their SBOMs (no rebuild)', prerequisites: [T.BUILD_SIGN] },
    {
      name: T.CI_PUBLISH,
      description: 'CI: give the pushed digests their tags (bake file, METADATA_FILES, PUBLISH_TAGS), after ci-security and ci-sign; the digests stay the signed ones',
      prerequisites: [T.CHECK_TOOLS],
      runsAfter: [T.CI_PUSH, T.CI_MERGE, T.CI_SECURITY, T.CI_SIGN],
      // the tags come from bake --print: the bake file's, and METADATA_FILES'
      recipe: services.map(s => `@${printOf(s)} ${helper('publish', s.name, `"${repositoryOf(s)}"`)}`),
    },
  ];
}

/** setup-buildx runs the helper with the builder's settings (the helper checks BUILDX_DRIVER and the platforms). */
function setupBuildxRecipe(): string[] {
  const settings = ['BUILDX_DRIVER', 'BUILDX_DRIVER_OPTS', 'BUILDX_ENDPOINT', 'BUILDKIT_IMAGE', 'BUILDER_NAME', 'REGISTRY', 'PLATFORMS', EMULATED];
  const env = settings.map(v => `${v}="${MAKE.ref(v)}"`);
  const lines = [0, 3, 6].map(i => env.slice(i, i + 3).join(' '));
  return [[`@${lines[0]}`, ...lines.slice(1).map(l => `  ${l}`), `  ${helper('setup-buildx')}`].join(' \\\n')];
}
