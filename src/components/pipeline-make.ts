import { BuildVariable, IMultiArchService, imageReference, MAKE, StandardTarget as T } from '../contract/internal';
import { MakeAssertion, MakeDerivedVariable, MakeTarget, MakeVariable } from '../make';
import { STRICT_SHELL } from '../make/make-model';

/** What the Makefile's standard content is rendered from. */
export interface MakeSettings {
  readonly bakeFilePath: string;
}

/** The Make variables of the contract, in catalogue order. */
export function makeVariables(variables: BuildVariable[]): MakeVariable[] {
  return variables.map(v => ({ name: v.name, default: v.makeDefault, description: v.description, evaluateOnce: v.evaluateOnce ?? false }));
}

/** The builder bake and the setup targets use (see BUILDER_NAME). */
const BUILDER = '$(BUILDER_NAME)';

/** Checks make evaluates when it reads the file. */
export function makeAssertions(): MakeAssertion[] {
  return [{
    expression: '$(if $(filter-out true false,$(PUSH)),$(error PUSH must be true or false, not "$(PUSH)"))',
    comment: 'PUSH=1 or PUSH=yes would silently not push; refuse anything but true or false',
  }];
}

/** `BAKE` (the one bake invocation every build target uses) and the `verify_image` function. */
export function makeDerivedVariables(s: MakeSettings, variables: BuildVariable[]): MakeDerivedVariable[] {
  const env = variables.filter(v => v.bakeDefault !== undefined).map(v => `${v.name}="${MAKE.ref(v.name)}"`).join(' ');
  return [
    {
      name: 'BUILDER_NAME',
      body: '$(if $(filter docker,$(BUILDX_DRIVER)),$(shell docker context show 2>/dev/null || echo default),$(BUILDER))',
      comment: 'The docker driver is the engine\'s own builder, named after the current docker context (default, desktop-linux, colima, ...); the other drivers use the builder named BUILDER',
    },
    { name: EMULATED, body: '', comment: EMULATED_COMMENT },
    {
      name: 'BAKE',
      body: `${env} docker buildx bake --builder ${BUILDER} -f ${s.bakeFilePath} $(BAKE_FLAGS)`,
      comment: 'The bake file reads its variables from the environment. Always -f: without it bake also merges any compose file it finds',
    },
    {
      name: 'comma',
      body: ',',
      comment: 'A literal comma, for commas inside $(if …) arguments',
    },
    {
      name: 'PUSH_OUTPUT',
      body: "$(if $(filter docker,$(BUILDX_DRIVER)),--push,'--set=*.output=type=registry$(comma)rewrite-timestamp=true')",
      comment: 'How bake pushes. Builders other than the engine\'s own also clamp file times in new layers to SOURCE_DATE_EPOCH (rewrite-timestamp); the docker driver refuses that option, and the Dockerfiles set file times themselves',
    },
    {
      name: 'verify_image',
      body: verifyFunction(),
      comment: '$(call verify_image,<image ref>,<platforms>): fail unless the pushed index lists every platform (attestation entries are ignored)',
    },
  ];
}

/** The derived variable that lists the services that need emulation (set at synthesis). */
export const EMULATED = 'EMULATED_SERVICES';
export const EMULATED_COMMENT = 'Services whose Dockerfile runs a command on the target platform: building them for another architecture needs QEMU or a native node';

/** The standard targets for these services, in the order the Makefile lists them. */
export function standardTargets(services: IMultiArchService[]): MakeTarget[] {
  const bake = '$(BAKE)';
  const pushFlag = '$(if $(filter true,$(PUSH)),$(PUSH_OUTPUT),)';
  const refOf = (s: IMultiArchService) => imageReference(MAKE, s.imageName);
  // literal lists are space-separated: a comma would split the $(call) arguments
  const platformsOf = (s: IMultiArchService) => s.platforms ? s.platforms.map(p => p.value).join(' ') : MAKE.ref('PLATFORMS');
  const verify = services.map(s => `@$(call verify_image,${refOf(s)},${platformsOf(s)})`);
  // targets that read pushed images wait for any build requested in the same call (make -j)
  const builds = [...T.builds(), ...services.map(s => T.buildService(s.name))];
  const needs = (tool: string, target: string, hint: string) =>
    `@command -v ${tool} >/dev/null 2>&1 || { echo "${target}: ${tool} is not installed; ${hint}" >&2; exit 127; }`;
  const perPlatform = (s: IMultiArchService, body: string) =>
    `@for p in $$(echo "${platformsOf(s)}" | tr , ' '); do ${body}; done`;

  return [
    { name: T.SETUP_BUILDX, description: 'Create or select the buildx builder for BUILDX_DRIVER', recipe: setupBuildxRecipe() },
    { name: T.BUILD_MULTIARCH, description: 'Build every image for PLATFORMS; push when PUSH=true', prerequisites: [T.SETUP_BUILDX], recipe: [`${bake} ${pushFlag} default`] },
    ...services.map(s => ({
      name: T.buildService(s.name),
      description: `Build ${s.name} for ${s.platforms ? platformsOf(s) : 'PLATFORMS'}; push when PUSH=true`,
      prerequisites: [T.SETUP_BUILDX],
      recipe: [`${bake} ${pushFlag} ${s.name}`],
    })),
    { name: T.BUILD_VERIFY, description: 'Check every pushed image index has every platform (no rebuild)', recipe: verify, runsAfter: builds },
    { name: T.BUILD_COMPLETE, description: 'Build and push every image once, then verify it', prerequisites: [T.SETUP_BUILDX], recipe: [`${bake} $(PUSH_OUTPUT) default`, ...verify] },
    {
      name: T.BUILD_SBOM,
      description: 'Write an SPDX SBOM per pushed image and platform (syft; no rebuild)',
      runsAfter: builds,
      recipe: [needs('syft', T.BUILD_SBOM, 'see https://github.com/anchore/syft#installation'), '@mkdir -p "$(SBOM_DIR)"',
        ...services.map(s => perPlatform(s, `syft scan --platform "$$p" "registry:${refOf(s)}" -o "spdx-json=$(SBOM_DIR)/${s.name}-$\${p//\\//-}.spdx.json"`))],
    },
    {
      name: T.BUILD_VULNERABILITY_SCAN,
      description: 'Scan every pushed image and platform; fail at SCAN_SEVERITY (grype; no rebuild)',
      runsAfter: builds,
      recipe: [needs('grype', T.BUILD_VULNERABILITY_SCAN, 'see https://github.com/anchore/grype#installation'),
        ...services.map(s => perPlatform(s, `grype --platform "$$p" --fail-on "$(SCAN_SEVERITY)" "registry:${refOf(s)}"`))],
    },
    {
      name: T.BUILD_SIGN,
      description: 'Sign every pushed image by digest (cosign; keyless unless COSIGN_KEY)',
      runsAfter: builds,
      recipe: [needs('cosign', T.BUILD_SIGN, 'see https://docs.sigstore.dev/cosign/system_config/installation/'),
        ...services.map(s => `@digest=$$(docker buildx imagetools inspect "${refOf(s)}" --format '{{json .Manifest.Digest}}' | tr -d '"') && cosign sign --yes $(if $(COSIGN_KEY),--key "$(COSIGN_KEY)",) "$(REGISTRY)/${s.imageName}@$$digest"`)],
    },
    { name: T.CI_SETUP, description: 'CI: prepare the builder and print tool versions', prerequisites: [T.SETUP_BUILDX], recipe: ['docker version', 'docker buildx version', `docker buildx inspect --bootstrap ${BUILDER}`] },
    { name: T.CI_BUILD, description: 'CI: build every image for every platform without pushing (pull requests)', prerequisites: [T.CI_SETUP], recipe: [`${bake} default`] },
    { name: T.CI_PUSH, description: 'CI: build and push every image once, then verify the indexes', prerequisites: [T.CI_SETUP], recipe: [`${bake} $(PUSH_OUTPUT) default`, ...verify] },
    { name: T.CI_SECURITY, description: 'CI: SBOM and vulnerability scan of the pushed images (no rebuild)', prerequisites: [T.BUILD_SBOM, T.BUILD_VULNERABILITY_SCAN] },
    { name: T.CI_SIGN, description: 'CI: sign the pushed images (no rebuild)', prerequisites: [T.BUILD_SIGN] },
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
  // Portable to bash 3.2 and make 3.81 (macOS): no ";;&", strict flags set here, not via .SHELLFLAGS.
  return [[
    `@${STRICT_SHELL} case "$(BUILDX_DRIVER)" in docker|docker-container|kubernetes|remote) ;; *) echo "setup-buildx: BUILDX_DRIVER must be docker, docker-container, kubernetes or remote, not \\"$(BUILDX_DRIVER)\\"" >&2; exit 2 ;; esac;`,
    'builder="$(BUILDER_NAME)";',
    'if [ "$(BUILDX_DRIVER)" = docker ]; then echo "setup-buildx: using the engine\'s own builder $$builder (docker driver; multi-platform needs the containerd image store)";',
    'elif docker buildx inspect "$$builder" >/dev/null 2>&1; then echo "setup-buildx: using builder $$builder";',
    'else case "$(BUILDX_DRIVER)" in',
    // a BuildKit container has its own network: a registry on localhost is only reachable with network=host
    `  docker-container) case "$(REGISTRY)" in localhost[:/]*|127.*) net=--driver-opt=network=host ;; *) net= ;; esac; docker buildx create --name "$$builder" --driver docker-container $$net ${driverOpts} --bootstrap ;;`,
    `  remote) test -n "$(BUILDX_ENDPOINT)" || { echo "setup-buildx: set BUILDX_ENDPOINT for the remote driver (e.g. tcp://buildkitd:1234)" >&2; exit 2; }; docker buildx create --name "$$builder" --driver remote ${driverOpts} "$(BUILDX_ENDPOINT)" --bootstrap ;;`,
    `  kubernetes) append=; for p in $$(echo "$(PLATFORMS)" | tr , ' '); do ${arch}; docker buildx create --name "$$builder" $$append --driver kubernetes --node "$$builder-$$node" --platform "$$p" --driver-opt "nodeselector=kubernetes.io/arch=$$arch" ${driverOpts}; append=--append; done ;;`,
    'esac; fi;',
    // every platform the builder lacks must be one that no service needs to run commands on
    'have=$$(docker buildx inspect --bootstrap "$$builder" | sed -n \'s/^Platforms: *//p\' | tr -d \' *\' | tr \',\\n\' \'  \');',
    'missing=; for p in $$(echo "$(PLATFORMS)" | tr , \' \'); do case " $$have " in *" $$p "*) ;; *) missing="$$missing $$p" ;; esac; done;',
    'if [ -z "$$missing" ]; then echo "setup-buildx: builder $$builder can build $(PLATFORMS)";',
    `elif [ -n "$(${EMULATED})" ]; then echo "setup-buildx: builder $$builder cannot run$$missing, and $(${EMULATED}) run commands on the target platform. Register QEMU once (docker run --privileged --rm tonistiigi/binfmt --install all), or build on native nodes (BUILDX_DRIVER=kubernetes, one node per platform; or a remote builder per architecture)" >&2; exit 1;`,
    'else echo "setup-buildx: builder $$builder has no$$missing emulation; not needed: every service cross-compiles and runs nothing on the target platform"; fi',
  ].join(' \\\n')];
}
