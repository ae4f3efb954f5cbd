import { BakeSecret, BakeTarget } from '../bake';
import { BuildVariable, IMultiArchService, imageReference, MAKE, StandardTarget as T } from '../contract/internal';
import { MakeAssertion, MakeDerivedVariable, MakeTarget, MakeVariable } from '../make';
import { STRICT_SHELL } from '../make/make-model';

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
      body: "$(if $(filter docker,$(BUILDX_DRIVER)),--push,'--set=*.output=type=registry$(comma)rewrite-timestamp=true')",
      comment: 'How bake pushes. Builders other than the engine\'s own also clamp file times in new layers to SOURCE_DATE_EPOCH (rewrite-timestamp); the docker driver refuses that option, and the Dockerfiles set file times themselves',
    },
    {
      name: 'PUSHED',
      body: '--metadata-file "$(METADATA_DIR)/build.json"',
      comment: 'Where a pushing build records what it pushed: build-sign, build-sbom and build-vulnerability-scan use those digests, never a tag',
    },
    { name: 'PLATFORM_PAIR', body: '$(subst /,-,$(PLATFORM))', comment: 'PLATFORM as a file and tag suffix: linux/arm/v7 -> linux-arm-v7' },
    {
      name: 'verify_image',
      body: verifyFunction(),
      comment: '$(call verify_image,<image ref>,<platforms>): fail unless the pushed index lists every platform (attestation entries are ignored)',
    },
    {
      name: 'pushed_digest',
      body: `awk -v t='  "$(1)": {' '${PUSHED_DIGEST_AWK}' "$(2)"`,
      comment: '$(call pushed_digest,<bake target>,<metadata file>): print the digest bake pushed for a target (from --metadata-file)',
    },
    {
      name: 'keep_digest',
      body: keepDigestFunction(),
      comment: '$(call keep_digest,<service>,<repository>,<metadata file>): record <repository>@<digest> of what bake pushed, in METADATA_DIR/digests/<service>',
    },
    {
      name: 'pushed_ref',
      body: '$$(cat "$(METADATA_DIR)/digests/$(1)" 2>/dev/null || { echo "no pushed digest of $(1) in $(METADATA_DIR)/digests: push it first (make build-multiarch PUSH=true, ci-push or ci-merge)" >&2; exit 1; })',
      comment: '$(call pushed_ref,<service>): the <repository>@<digest> this checkout last pushed for a service',
    },
    {
      name: 'bake_tags',
      body: `awk -v t='    "$(1)": {' '${BAKE_TAGS_AWK}'`,
      comment: '$(call bake_tags,<bake target>): the tags of a target in `bake --print` (so METADATA_FILES tags count)',
    },
    {
      name: 'bake_annotations',
      body: `awk -v t='    "$(1)": {' '${BAKE_ANNOTATIONS_AWK}'`,
      comment: '$(call bake_annotations,<bake target>): the index annotations of a target in `bake --print`, one per line',
    },
    {
      name: 'merge_image',
      body: mergeFunction(),
      comment: '$(call merge_image,<service>,<repository>): join the platforms ci-push-platform pushed into one index under STAGING_TAG, and record its digest',
    },
    {
      name: 'publish_image',
      body: publishFunction(),
      comment: '$(call publish_image,<service>,<repository>): give the recorded digest its tags (bake file, METADATA_FILES, PUBLISH_TAGS), and check each tag is that digest',
    },
    {
      name: 'attest_sboms',
      body: attestFunction(),
      comment: '$(call attest_sboms,<service>,<platforms>): attach the SBOM of each platform (SBOM_DIR/<service>/<os>-<arch>.spdx.json) to that platform\'s manifest ($$ref is the pushed index)',
    },
  ];
}

/** Prints the `containerimage.digest` of the top-level key `t` of a buildx metadata file (indented JSON). */
const PUSHED_DIGEST_AWK = '$$0 == t { inside = 1; next } inside && /^  [^ ]/ { inside = 0 } inside && /"containerimage.digest"/ { sub(/.*"containerimage.digest": *"/, ""); sub(/".*/, ""); print; exit }';
/** Prints the index annotations (`index:…`, the only level imagetools create takes) of target `t` in `docker buildx bake --print`, one per line, as bake gives them (JSON's \u0026, \u003c and \u003e decoded). */
const BAKE_ANNOTATIONS_AWK = '$$0 == t { inside = 1; next } inside && /^    [^ ]/ { inside = 0 } inside && /^      "annotations": \\[/ { list = 1; next } list && /^      \\]/ { list = 0 } inside && list { sub(/^ *"/, ""); sub(/",?$$/, ""); gsub(/\\\\u0026/, "\\&"); gsub(/\\\\u003c/, "<"); gsub(/\\\\u003e/, ">"); if (index($$0, "index:") == 1) print }';
/** Prints the tags of target `t` in `docker buildx bake --print` (indented JSON: targets at 4 spaces, attributes at 6). */
const BAKE_TAGS_AWK = '$$0 == t { inside = 1; next } inside && /^    [^ ]/ { inside = 0 } inside && /^      "tags": \\[/ { tags = 1; next } tags && /^      \\]/ { tags = 0 } inside && tags { gsub(/[ ",]/, ""); print }';

function keepDigestFunction(): string {
  return [
    `${STRICT_SHELL} d=$$($(call pushed_digest,$(1),$(3)))`,
    'test -n "$$d" || { echo "$(1): bake recorded no pushed digest in $(3)" >&2; exit 1; }',
    'mkdir -p "$(METADATA_DIR)/digests"',
    'echo "$(2)@$$d" > "$(METADATA_DIR)/digests/$(1)"',
    'echo "pushed $(2)@$$d"',
  ].join('; ');
}

function mergeFunction(): string {
  return [
    `${STRICT_SHELL} refs=`,
    'for f in "$(METADATA_DIR)"/platform-*.json; do [ -e "$$f" ] || continue; d=$$($(call pushed_digest,$(1),$$f)); [ -z "$$d" ] || refs="$$refs $(2)@$$d"; done',
    'test -n "$$refs" || { echo "ci-merge: no digest of $(1) in $(METADATA_DIR)/platform-*.json: run make ci-push-platform PLATFORM=<platform> for each platform first" >&2; exit 1; }',
    // the index is what create pushes: its digest is the sha256 of those bytes (--dry-run prints them)
    // the index annotations bake gives a pushed index (title, source, ...), one per line: values may hold spaces
    'set --; while IFS= read -r a; do [ -z "$$a" ] || set -- "$$@" --annotation "$$a"; done <<< "$$($(BAKE) --print $(1) 2>/dev/null | $(call bake_annotations,$(1)))"',
    'index=$$(docker buildx imagetools create --dry-run "$$@" $$refs)',
    'd=sha256:$$(printf \'%s\' "$$index" | { sha256sum 2>/dev/null || shasum -a 256; } | cut -d \' \' -f 1)',
    // imagetools cannot push an index without a tag: the staging tag, until ci-publish gives the public ones
    'docker buildx imagetools create "$$@" -t "$(2):$(STAGING_TAG)" $$refs',
    'mkdir -p "$(METADATA_DIR)/digests"',
    'echo "$(2)@$$d" > "$(METADATA_DIR)/digests/$(1)"',
    'echo "ci-merge: $(1): $(2)@$$d (staging tag $(STAGING_TAG); ci-publish tags it)"',
  ].join('; ');
}

/** The shell body of `publish_image`: $(1) is the service, $(2) its repository. */
function publishFunction(): string {
  return [
    `${STRICT_SHELL} ref=$(call pushed_ref,$(1)); d=$$(echo "$$ref" | cut -d @ -f 2)`,
    'tags=$$($(BAKE) --print $(1) 2>/dev/null | $(call bake_tags,$(1))); for t in $(PUBLISH_TAGS); do tags="$$tags $(2):$$t"; done',
    'test -n "$$tags" || { echo "ci-publish: bake --print gave no tags for $(1)" >&2; exit 1; }',
    // one source that is an index, no annotations: imagetools pushes its bytes unchanged, so the digest stays the signed one
    'docker buildx imagetools create $$(for t in $$tags; do printf -- \'-t %s \' "$$t"; done) "$$ref"',
    // the digest a tag holds: the sha256 of the bytes the registry serves for it (--raw), the same on every buildx
    'for t in $$tags; do got=sha256:$$(docker buildx imagetools inspect "$$t" --raw | { sha256sum 2>/dev/null || shasum -a 256; } | cut -d \' \' -f 1); test "$$got" = "$$d" || { echo "ci-publish: $$t is $$got, not the scanned and signed $$d" >&2; exit 1; }; done',
    'echo "ci-publish: $(1): $$ref tagged $$(echo $$tags)"',
  ].join('; ');
}

function attestFunction(): string {
  const platformDigests = '{{range .Manifest.Manifests}}{{.Platform.OS}}-{{.Platform.Architecture}}{{if .Platform.Variant}}-{{.Platform.Variant}}{{end}}={{.Digest}} {{end}}';
  const imagePlatform = '{{.Image.OS}}-{{.Image.Architecture}}{{if .Image.Variant}}-{{.Image.Variant}}{{end}}';
  return [
    // each platform of the service, by its exact file (never another service's: api vs api-gateway);
    // a service without SBOMs (build-sbom not run) is signed without attestations
    'if [ -d "$(SBOM_DIR)/$(1)" ]; then for p in $$(echo "$(2)" | tr , \' \'); do pair=$$(echo "$$p" | tr / -); f="$(SBOM_DIR)/$(1)/$$pair.spdx.json"',
    'test -e "$$f" || { echo "build-sign: no SBOM $$f of $(1) for $$p: run build-sbom first" >&2; exit 1; }',
    `m=$$(docker buildx imagetools inspect "$$ref" --format '${platformDigests}' 2>/dev/null | tr ' ' '\\n' | sed -n "s/^$$pair=//p")`,
    // a single-platform image is its own manifest; an index without the platform is an error, never the index itself
    `if [ -z "$$m" ] && [ "$$(docker buildx imagetools inspect "$$ref" --format '${imagePlatform}' 2>/dev/null)" = "$$pair" ]; then m=$$(echo "$$ref" | cut -d @ -f 2); fi`,
    'test -n "$$m" || { echo "build-sign: $$ref has no $$p manifest to attest $$f to" >&2; exit 1; }',
    'cosign attest --yes --type spdxjson --predicate "$$f" $(COSIGN_FLAGS) $(if $(COSIGN_KEY),--key "$(COSIGN_KEY)",) "$${ref%@*}@$$m"',
    'done; fi',
  ].join('; ');
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
    { name: T.SETUP_BUILDX, description: 'Create or select the buildx builder for BUILDX_DRIVER', recipe: setupBuildxRecipe() },
    ...buildTargets(services),
    ...supplyChainTargets(services),
    ...ciTargets(services),
  ];
}

const BAKE_CALL = '$(BAKE)';
const refOf = (s: IMultiArchService) => imageReference(MAKE, s.imageName);
const repositoryOf = (s: IMultiArchService) => `${MAKE.ref('REGISTRY')}/${s.imageName}`;
/** A service's platforms, space-separated (a comma would split $(call) arguments). */
const platformsOf = (s: IMultiArchService) => s.platforms ? s.platforms.map(p => p.value).join(' ') : MAKE.ref('PLATFORMS');
const keep = (s: IMultiArchService) => `@$(call keep_digest,${s.name},${repositoryOf(s)},$(METADATA_DIR)/build.json)`;
const keepIfPushed = (s: IMultiArchService) => `$(if $(filter true,$(PUSH)),${keep(s)},)`;
const verifyOf = (services: IMultiArchService[]) => services.map(s => `@$(call verify_image,${refOf(s)},${platformsOf(s)})`);
/** Targets that read pushed images wait for any build requested in the same call (make -j). */
const buildsOf = (services: IMultiArchService[]) => [...T.builds(), ...services.map(s => T.buildService(s.name))];
const mkdirMetadata = '@mkdir -p "$(METADATA_DIR)"';

/** The platform a service builds for on this machine: LOCAL_PLATFORM, unless the service lists platforms without it (then its first). */
const localPlatformOf = (s: IMultiArchService) => s.platforms
  ? `$(if $(filter $(LOCAL_PLATFORM),${platformsOf(s)}),$(LOCAL_PLATFORM),${s.platforms[0].value})`
  : MAKE.ref('LOCAL_PLATFORM');
/**
 * Builds services for this machine into the local engine: no push, no cache export, no attestations
 * (the engine's store may not hold them). BAKE_LOCAL gives the others LOCAL_PLATFORM; a service with
 * its own platforms gets one of them (a --set per target: buildx adds up several platform --sets).
 */
const loadLocal = (services: IMultiArchService[], what: string) => [
  '$(BAKE_LOCAL)',
  ...services.filter(s => s.platforms).map(s => `'--set=${s.name}.platform=${localPlatformOf(s)}'`),
  '--provenance=false --sbom=false --load',
  what,
].join(' ');
/** setup-buildx checks the builder for the platforms a local build needs, not for PLATFORMS. */
const localPlatforms = (services: IMultiArchService[]) => ({
  PLATFORMS: [...new Set(services.map(s => s.platforms ? localPlatformOf(s) : MAKE.ref('LOCAL_PLATFORM')))].join(' '),
});

function buildTargets(services: IMultiArchService[]): MakeTarget[] {
  const pushFlag = '$(if $(filter true,$(PUSH)),$(PUSH_OUTPUT) $(PUSHED),)';
  return [
    {
      name: T.BUILD_MULTIARCH,
      description: 'Build every image for PLATFORMS; push when PUSH=true',
      prerequisites: [T.SETUP_BUILDX],
      recipe: [mkdirMetadata, `${BAKE_CALL} ${pushFlag} default`, ...services.map(keepIfPushed)],
    },
    ...services.map(s => ({
      name: T.buildService(s.name),
      description: `Build ${s.name} for ${s.platforms ? platformsOf(s) : 'PLATFORMS'}; push when PUSH=true`,
      prerequisites: [T.SETUP_BUILDX],
      recipe: [mkdirMetadata, `${BAKE_CALL} ${pushFlag} ${s.name}`, keepIfPushed(s)],
    })),
    { name: T.BUILD_VERIFY, description: 'Check every pushed image index has every platform (no rebuild)', recipe: verifyOf(services), runsAfter: buildsOf(services) },
    {
      name: T.BUILD_LOCAL,
      description: 'Build every image for LOCAL_PLATFORM (this machine) and load it into the local engine, as REGISTRY/<image>:VERSION',
      prerequisites: [T.SETUP_BUILDX],
      variables: localPlatforms(services),
      recipe: [loadLocal(services, 'default')],
    },
    ...services.map(s => ({
      name: T.runService(s.name),
      description: `Build ${s.name} for LOCAL_PLATFORM, load it and run it${s.port !== undefined ? ` on port ${s.port}` : ''} (RUN_FLAGS adds docker run flags)`,
      prerequisites: [T.SETUP_BUILDX],
      variables: localPlatforms([s]),
      // the port on this machine's loopback only: a development build is no service for the network
      recipe: [loadLocal([s], s.name), `docker run --rm${s.port !== undefined ? ` -p 127.0.0.1:${s.port}:${s.port}` : ''} $(RUN_FLAGS) "${refOf(s)}"`],
    })),
    {
      name: T.BUILD_COMPLETE,
      description: 'Build and push every image once, then verify it',
      prerequisites: [T.SETUP_BUILDX],
      recipe: [mkdirMetadata, `${BAKE_CALL} $(PUSH_OUTPUT) $(PUSHED) default`, ...services.map(keep), ...verifyOf(services)],
    },
  ];
}

function supplyChainTargets(services: IMultiArchService[]): MakeTarget[] {
  const needs = (tool: string, target: string, hint: string) =>
    `@command -v ${tool} >/dev/null 2>&1 || { echo "${target}: ${tool} is not installed; ${hint}" >&2; exit 127; }`;
  const perPlatform = (s: IMultiArchService, body: string) =>
    `@ref=$(call pushed_ref,${s.name}); for p in $$(echo "${platformsOf(s)}" | tr , ' '); do ${body}; done`;
  const key = '$(if $(COSIGN_KEY),--key "$(COSIGN_KEY)",)';
  return [
    {
      name: T.BUILD_SBOM,
      description: 'Write an SPDX SBOM per pushed image and platform, by digest (syft; no rebuild)',
      runsAfter: buildsOf(services),
      recipe: [needs('syft', T.BUILD_SBOM, 'see https://github.com/anchore/syft#installation'),
        ...services.map(s => `@mkdir -p "$(SBOM_DIR)/${s.name}"`),
        ...services.map(s => perPlatform(s, `syft scan --platform "$$p" "registry:$$ref" -o "spdx-json=$(SBOM_DIR)/${s.name}/$$(echo "$$p" | tr / -).spdx.json"`))],
    },
    {
      name: T.BUILD_VULNERABILITY_SCAN,
      description: 'Scan every pushed image and platform, by digest; fail at SCAN_SEVERITY (grype; no rebuild)',
      runsAfter: buildsOf(services),
      recipe: [needs('grype', T.BUILD_VULNERABILITY_SCAN, 'see https://github.com/anchore/grype#installation'),
        ...services.map(s => perPlatform(s, 'grype --platform "$$p" --fail-on "$(SCAN_SEVERITY)" "registry:$$ref"'))],
    },
    {
      name: T.BUILD_SIGN,
      description: 'Sign what was pushed, by digest and recursively, and attach the SBOMs (cosign; keyless unless COSIGN_KEY)',
      runsAfter: [...buildsOf(services), T.BUILD_SBOM],
      recipe: [needs('cosign', T.BUILD_SIGN, 'see https://docs.sigstore.dev/cosign/system_config/installation/'),
        ...services.map(s => `@ref=$(call pushed_ref,${s.name}); cosign sign --yes --recursive $(COSIGN_FLAGS) ${key} "$$ref"; $(call attest_sboms,${s.name},${platformsOf(s)})`)],
    },
  ];
}

function ciTargets(services: IMultiArchService[]): MakeTarget[] {
  // the services that build PLATFORM, and how each pushes it alone: by digest, or (docker driver) to <VERSION>-<os>-<arch>
  const builds = services.map(s => `$(if $(filter $(PLATFORM),${s.platforms ? platformsOf(s) : '$(subst $(comma), ,$(PLATFORMS))'}),${s.name})`).join(' ');
  // Nothing public before the scan and the signature: by digest, or (the docker driver cannot) under the staging tag
  const byDigest = services.map(s => `'--set=${s.name}.output=type=image,name=${repositoryOf(s)},push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true' '--set=${s.name}.tags='`).join(' ');
  const staged = (suffix: string) => services.map(s => `'--set=${s.name}.tags=${repositoryOf(s)}:$(STAGING_TAG)${suffix}'`).join(' ');
  const unpublished = (suffix: string) => `$(if $(filter docker,$(BUILDX_DRIVER)),--push ${staged(suffix)},${byDigest})`;
  // CI checks what it pushed by digest: no tag exists before ci-publish
  const verifyPushed = services.map(s => `@ref=$(call pushed_ref,${s.name}); $(call verify_image,$$ref,${platformsOf(s)})`);
  return [
    { name: T.CI_SETUP, description: 'CI: prepare the builder and print tool versions', prerequisites: [T.SETUP_BUILDX], recipe: ['docker version', 'docker buildx version', `docker buildx inspect --bootstrap ${BUILDER}`] },
    {
      name: T.CI_BUILD,
      description: 'CI: build every image for every platform, or with PLATFORM the services that have it for that one; no push, and the cache is only read (pull requests)',
      prerequisites: [T.CI_SETUP],
      variables: { CACHE_WRITE: 'false' },
      recipe: [
        // a job per platform (PLATFORM) builds only what has that platform: a service's own platforms are literal in the bake file
        `@$(if $(PLATFORM),test -n "$(strip ${builds})" || { echo "ci-build: no service builds $(PLATFORM) (PLATFORMS=$(PLATFORMS))" >&2; exit 2; },true)`,
        `${BAKE_CALL} $(if $(PLATFORM),'--set=*.platform=$(PLATFORM)' $(strip ${builds}),default)`,
      ],
    },
    {
      name: T.CI_PUSH,
      description: 'CI: build and push every image once, by digest (no public tag), then verify it; ci-publish tags it',
      prerequisites: [T.CI_SETUP],
      recipe: [mkdirMetadata, `${BAKE_CALL} ${unpublished('')} $(PUSHED) default`, ...services.map(keep), ...verifyPushed],
    },
    {
      name: T.CI_PUSH_PLATFORM,
      description: 'CI: build and push one PLATFORM of every service by digest (one job per native runner); ci-merge joins them',
      prerequisites: [T.CI_SETUP],
      recipe: [
        '@test -n "$(PLATFORM)" || { echo "ci-push-platform: set PLATFORM to one platform, e.g. PLATFORM=linux/arm64" >&2; exit 2; }',
        `@test -n "$(strip ${builds})" || { echo "ci-push-platform: no service builds $(PLATFORM) (PLATFORMS=$(PLATFORMS))" >&2; exit 2; }`,
        mkdirMetadata,
        `${BAKE_CALL} '--set=*.platform=$(PLATFORM)' ${unpublished('-$(PLATFORM_PAIR)')} --metadata-file "$(METADATA_DIR)/platform-$(PLATFORM_PAIR).json" $(strip ${builds})`,
      ],
    },
    {
      name: T.CI_MERGE,
      description: 'CI: join the platforms ci-push-platform pushed into one index per service (no public tag), verify it',
      runsAfter: [T.CI_PUSH_PLATFORM],
      recipe: [...services.map(s => `@$(call merge_image,${s.name},${repositoryOf(s)})`), ...verifyPushed],
    },
    { name: T.CI_SECURITY, description: 'CI: SBOM and vulnerability scan of the pushed images (no rebuild)', prerequisites: [T.BUILD_SBOM, T.BUILD_VULNERABILITY_SCAN] },
    { name: T.CI_SIGN, description: 'CI: sign the pushed images and attach their SBOMs (no rebuild)', prerequisites: [T.BUILD_SIGN] },
    {
      name: T.CI_PUBLISH,
      description: 'CI: give the pushed digests their tags (bake file, METADATA_FILES, PUBLISH_TAGS), after ci-security and ci-sign; the digests stay the signed ones',
      runsAfter: [T.CI_PUSH, T.CI_MERGE, T.CI_SECURITY, T.CI_SIGN],
      recipe: services.map(s => `@$(call publish_image,${s.name},${repositoryOf(s)})`),
    },
  ];
}

/** The shell body of `verify_image`: $(1) is the image reference, $(2) the platforms (comma- or space-separated). */
function verifyFunction(): string {
  const format = '{{range .Manifest.Manifests}}{{.Platform.OS}}/{{.Platform.Architecture}}{{if .Platform.Variant}}/{{.Platform.Variant}}{{end}} {{end}}';
  return [
    // a single-platform image is a manifest, not an index: the range fails and .Image is its config
    `${STRICT_SHELL} got=$$(docker buildx imagetools inspect "$(1)" --format '${format}' 2>/dev/null || docker buildx imagetools inspect "$(1)" --format '{{.Image.OS}}/{{.Image.Architecture}}{{if .Image.Variant}}/{{.Image.Variant}}{{end}}') || { echo "build-verify: cannot inspect $(1); was it pushed (PUSH=true)?" >&2; exit 1; }`,
    'for p in $$(echo "$(2)" | tr , \' \'); do case " $$got " in *" $$p "*) ;; *) echo "build-verify: $(1) lacks $$p (index has: $$got)" >&2; exit 1 ;; esac; done',
    'echo "build-verify: $(1) has $(2)"',
  ].join('; ');
}

function setupBuildxRecipe(): string[] {
  // node per platform: linux/arm/v7 -> <builder>-arm-v7, selected by the node's architecture label
  const arch = 'node=$${p#*/}; node=$${node//\\//-}; arch=$${node%%-*}';
  const driverOpts = '$(if $(BUILDX_DRIVER_OPTS),--driver-opt "$(BUILDX_DRIVER_OPTS)",)';
  // the builders this creates run a pinned BuildKit, not buildx's moving default tag
  const image = '--driver-opt "image=$(BUILDKIT_IMAGE)"';
  // Portable to bash 3.2 and make 3.81 (macOS): no ";;&", strict flags set here, not via .SHELLFLAGS.
  return [[
    `@${STRICT_SHELL} case "$(BUILDX_DRIVER)" in docker|docker-container|kubernetes|remote) ;; *) echo "setup-buildx: BUILDX_DRIVER must be docker, docker-container, kubernetes or remote, not \\"$(BUILDX_DRIVER)\\"" >&2; exit 2 ;; esac;`,
    'builder="$(BUILDER_NAME)";',
    'if [ "$(BUILDX_DRIVER)" = docker ]; then echo "setup-buildx: using the engine\'s own builder $$builder (docker driver; multi-platform needs the containerd image store)";',
    'elif docker buildx inspect "$$builder" >/dev/null 2>&1; then echo "setup-buildx: using builder $$builder";',
    'else case "$(BUILDX_DRIVER)" in',
    // a BuildKit container has its own network: a registry on localhost is only reachable with network=host
    `  docker-container) case "$(REGISTRY)" in localhost[:/]*|127.*) net=--driver-opt=network=host ;; *) net= ;; esac; docker buildx create --name "$$builder" --driver docker-container $$net ${image} ${driverOpts} --bootstrap ;;`,
    `  remote) test -n "$(BUILDX_ENDPOINT)" || { echo "setup-buildx: set BUILDX_ENDPOINT for the remote driver (e.g. tcp://buildkitd:1234)" >&2; exit 2; }; docker buildx create --name "$$builder" --driver remote ${driverOpts} "$(BUILDX_ENDPOINT)" --bootstrap ;;`,
    `  kubernetes) append=; for p in $$(echo "$(PLATFORMS)" | tr , ' '); do ${arch}; docker buildx create --name "$$builder" $$append --driver kubernetes --node "$$builder-$$node" --platform "$$p" --driver-opt "nodeselector=kubernetes.io/arch=$$arch" ${image} ${driverOpts}; append=--append; done ;;`,
    'esac; fi;',
    // every platform the builder lacks must be one that no service needs to run commands on
    'have=$$(docker buildx inspect --bootstrap "$$builder" | sed -n \'s/^Platforms: *//p\' | tr -d \' *\' | tr \',\\n\' \'  \');',
    'missing=; for p in $$(echo "$(PLATFORMS)" | tr , \' \'); do case " $$have " in *" $$p "*) ;; *) missing="$$missing $$p" ;; esac; done;',
    'if [ -z "$$missing" ]; then echo "setup-buildx: builder $$builder can build $(PLATFORMS)";',
    `elif [ -n "$(${EMULATED})" ]; then echo "setup-buildx: builder $$builder cannot run$$missing, and $(${EMULATED}) run commands on the target platform. Register QEMU once (docker run --privileged --rm tonistiigi/binfmt --install all), or build on native nodes (BUILDX_DRIVER=kubernetes, one node per platform; or a remote builder per architecture)" >&2; exit 1;`,
    'else echo "setup-buildx: builder $$builder has no$$missing emulation; not needed: every service cross-compiles and runs nothing on the target platform"; fi',
  ].join(' \\\n')];
}
