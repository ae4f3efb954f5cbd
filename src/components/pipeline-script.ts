import { RecordedInput } from './synthesis-inputs';
import { SUPPORTED_TOOLCHAIN } from '../contract/internal';

/**
 * The Makefile's helper script: what the Makefile needs beyond Make, as one bash script the
 * pipeline writes next to it (shellchecked by the tests). JSON is read with jq, never by its layout.
 */

/** Where the helper script is written, relative to the project root (where make runs). */
export const HELPER_SCRIPT = 'multiarch.sh';

/** The Make variables every call of the helper passes in its environment. */
export const HELPER_VARIABLES = ['METADATA_DIR', 'SBOM_DIR', 'STAGING_TAG', 'PUBLISH_TAGS', 'SCAN_SEVERITY', 'COSIGN_KEY', 'COSIGN_FLAGS', 'SKIP_INPUT_CHECK'];

/**
 * The helper script, with the projen marker below its shebang line, the supported toolchain and what
 * synthesis read of the services' inputs (`check-inputs` compares the files with it).
 */
export function helperScript(marker?: string, inputs: RecordedInput[] = []): string {
  const recorded = inputs.map(i => `  input ${[i.path, i.recorded, i.pattern, i.description].map(shellQuote).join(' ')}`);
  return [
    '#!/usr/bin/env bash',
    ...(marker ? [`# ${marker}`] : []),
    SCRIPT_HEAD,
    `MIN_DOCKER=${SUPPORTED_TOOLCHAIN.docker}`,
    `MIN_BUILDX=${SUPPORTED_TOOLCHAIN.buildx}`,
    '',
    '# What npx projen read to write the generated files, which check-inputs compares the files with:',
    '# input <file> <absent, present, or the sha256 of what was read> <the lines read (grep -E), or all> <what, in words>',
    'recorded_inputs() {',
    ...(recorded.length ? recorded : ['  :']),
    '}',
    SCRIPT,
  ].join('\n');
}

/** A word for bash, in single quotes. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/* eslint-disable max-len */
const SCRIPT_HEAD = `# The Makefile's helper: what needs more than Make. It reads the JSON that bake and buildx write
# with jq (never by its layout), and merges, publishes, signs and verifies pushed images by digest.
# The Makefile calls it as \`$(MULTIARCH) <command> <arguments>\` and passes its variables in the
# environment. Portable to bash 3.2, the bash of macOS.
set -euo pipefail

# The Makefile's variables this script reads; the Makefile passes them in the environment.
METADATA_DIR=\${METADATA_DIR:-.multiarch}
SBOM_DIR=\${SBOM_DIR:-sbom}
STAGING_TAG=\${STAGING_TAG-}
PUBLISH_TAGS=\${PUBLISH_TAGS-}
SCAN_SEVERITY=\${SCAN_SEVERITY:-high}
COSIGN_KEY=\${COSIGN_KEY-}
COSIGN_FLAGS=\${COSIGN_FLAGS-}
BUILDX_DRIVER=\${BUILDX_DRIVER:-docker-container}
BUILDX_DRIVER_OPTS=\${BUILDX_DRIVER_OPTS-}
BUILDX_ENDPOINT=\${BUILDX_ENDPOINT-}
BUILDKIT_IMAGE=\${BUILDKIT_IMAGE-}
BUILDER_NAME=\${BUILDER_NAME:-multiarch}
REGISTRY=\${REGISTRY-}
PLATFORMS=\${PLATFORMS-}
EMULATED_SERVICES=\${EMULATED_SERVICES-}
SKIP_INPUT_CHECK=\${SKIP_INPUT_CHECK:-false}

# The oldest docker and buildx the generated files are built with (README: Supported toolchain).`;

const SCRIPT = `
die() { echo "$*" >&2; exit 1; }

require() { # <tool> <who needs it> <how to install it>
  command -v "$1" >/dev/null 2>&1 || { echo "$2: $1 is not installed; $3" >&2; exit 127; }
}

# The JSON that bake and buildx write is read with jq.
require_jq() {
  require jq "\${0##*/}" 'install it: apt-get install jq (Debian, Ubuntu), brew install jq (macOS), apk add jq (Alpine)'
}

# A list separated by commas or spaces (linux/amd64,linux/arm64), separated by spaces.
words() { echo "$1" | tr , ' '; }

# The sha256 digest of standard input, as sha256:<hex>.
sha256_of() { echo "sha256:$({ sha256sum 2>/dev/null || shasum -a 256; } | cut -d ' ' -f 1)"; }

# pushed-digest <bake target> <metadata file>: the digest bake pushed for a target (--metadata-file).
pushed_digest() {
  require_jq
  jq -r --arg t "$1" '.[$t]["containerimage.digest"] // empty' "$2"
}

# bake-tags <bake target>: the tags of a target in \`bake --print\` (standard input), one per line.
bake_tags() {
  require_jq
  jq -r --arg t "$1" '.target[$t].tags // [] | .[]'
}

# bake-annotations <bake target>: the index annotations (index:..., the only level imagetools create
# takes) of a target in \`bake --print\` (standard input), one per line.
bake_annotations() {
  require_jq
  jq -r --arg t "$1" '.target[$t].annotations // [] | .[] | select(startswith("index:"))'
}

# read_print <command> <bake target>: standard input, which must be \`bake --print\` output holding the
# target (a bake that failed gives nothing, and its error is above): printed for the readers above.
read_print() {
  local print
  require_jq
  print=$(cat)
  if [ -z "$print" ] || ! printf '%s' "$print" | jq -e --arg t "$2" '.target[$t]' >/dev/null 2>&1; then
    die "$1: bake --print gave no target $2 on standard input: see bake's error above"
  fi
  printf '%s' "$print"
}

# record <service> <repository@digest>: what this checkout last pushed for a service.
record() {
  mkdir -p "$METADATA_DIR/digests"
  echo "$2" > "$METADATA_DIR/digests/$1"
}

# pushed-ref <service>: the <repository>@<digest> this checkout last pushed for a service.
pushed_ref() {
  cat "$METADATA_DIR/digests/$1" 2>/dev/null \\
    || die "no pushed digest of $1 in $METADATA_DIR/digests: push it first (make build-multiarch PUSH=true, ci-push or ci-merge)"
}

# keep-digest <service> <repository> <metadata file>: record <repository>@<digest> of what bake pushed.
keep_digest() {
  local d
  d=$(pushed_digest "$1" "$3")
  [ -n "$d" ] || die "$1: bake recorded no pushed digest in $3"
  record "$1" "$2@$d"
  echo "pushed $2@$d"
}

# merge <service> <repository> < bake --print: join the platforms ci-push-platform pushed into one
# index under STAGING_TAG, with the target's index annotations, and record its digest.
merge() {
  local service=$1 repository=$2 f d a index print
  local refs=() args=()
  for f in "$METADATA_DIR"/platform-*.json; do
    [ -e "$f" ] || continue
    d=$(pushed_digest "$service" "$f")
    [ -z "$d" ] || refs+=("$repository@$d")
  done
  [ \${#refs[@]} -gt 0 ] || die "ci-merge: no digest of $service in $METADATA_DIR/platform-*.json: run make ci-push-platform PLATFORM=<platform> for each platform first"
  print=$(read_print ci-merge "$service")
  # annotation values may hold spaces: one argument each
  while IFS= read -r a; do
    [ -z "$a" ] || args+=(--annotation "$a")
  done < <(printf '%s' "$print" | bake_annotations "$service")
  # the index is what create pushes: its digest is the sha256 of those bytes (--dry-run prints them)
  index=$(docker buildx imagetools create --dry-run \${args[@]+"\${args[@]}"} "\${refs[@]}")
  d=$(printf '%s' "$index" | sha256_of)
  # imagetools cannot push an index without a tag: the staging tag, until ci-publish gives the public ones
  docker buildx imagetools create \${args[@]+"\${args[@]}"} -t "$repository:$STAGING_TAG" "\${refs[@]}"
  record "$service" "$repository@$d"
  echo "ci-merge: $service: $repository@$d (staging tag $STAGING_TAG; ci-publish tags it)"
}

# publish <service> <repository> < bake --print: give the recorded digest its tags (the bake file's,
# METADATA_FILES', PUBLISH_TAGS), and check each tag is that digest.
publish() {
  local service=$1 repository=$2 ref d t got print
  local tags=() flags=()
  ref=$(pushed_ref "$service")
  print=$(read_print ci-publish "$service")
  d=\${ref#*@}
  while IFS= read -r t; do
    [ -z "$t" ] || tags+=("$t")
  done < <(printf '%s' "$print" | bake_tags "$service")
  for t in $(words "$PUBLISH_TAGS"); do tags+=("$repository:$t"); done
  [ \${#tags[@]} -gt 0 ] || die "ci-publish: bake --print gave no tags for $service"
  for t in "\${tags[@]}"; do flags+=(-t "$t"); done
  # one source that is an index, no annotations: imagetools pushes its bytes unchanged, so the digest stays the signed one
  docker buildx imagetools create "\${flags[@]}" "$ref"
  # the digest a tag holds: the sha256 of the bytes the registry serves for it (--raw), the same on every buildx
  for t in "\${tags[@]}"; do
    got=$(docker buildx imagetools inspect "$t" --raw | sha256_of)
    [ "$got" = "$d" ] || die "ci-publish: $t is $got, not the scanned and signed $d"
  done
  echo "ci-publish: $service: $ref tagged \${tags[*]}"
}

# verify <image reference> <platforms>: fail unless the pushed index lists every platform
# (attestation entries are ignored).
verify() {
  local image=$1 platforms=$2 got p
  local index='{{range .Manifest.Manifests}}{{.Platform.OS}}/{{.Platform.Architecture}}{{if .Platform.Variant}}/{{.Platform.Variant}}{{end}} {{end}}'
  local single='{{.Image.OS}}/{{.Image.Architecture}}{{if .Image.Variant}}/{{.Image.Variant}}{{end}}'
  # a single-platform image is a manifest, not an index: the range fails and .Image is its config
  got=$(docker buildx imagetools inspect "$image" --format "$index" 2>/dev/null \\
    || docker buildx imagetools inspect "$image" --format "$single") \\
    || die "build-verify: cannot inspect $image; was it pushed (PUSH=true)?"
  for p in $(words "$platforms"); do
    case " $got " in
      *" $p "*) ;;
      *) die "build-verify: $image lacks $p (index has: $got)" ;;
    esac
  done
  echo "build-verify: $image has $platforms"
}

# verify-pushed <service> <platforms>: verify what this checkout last pushed for a service.
verify_pushed() {
  local ref
  ref=$(pushed_ref "$1")
  verify "$ref" "$2"
}

# sbom <service> <platforms>: an SPDX SBOM per platform of the pushed digest (SBOM_DIR/<service>/<os>-<arch>.spdx.json).
sbom() {
  local ref p
  require syft build-sbom 'see https://github.com/anchore/syft#installation'
  ref=$(pushed_ref "$1")
  mkdir -p "$SBOM_DIR/$1"
  for p in $(words "$2"); do
    syft scan --platform "$p" "registry:$ref" -o "spdx-json=$SBOM_DIR/$1/$(echo "$p" | tr / -).spdx.json"
  done
}

# scan <service> <platforms>: scan each platform of the pushed digest; fail at SCAN_SEVERITY.
scan() {
  local ref p
  require grype build-vulnerability-scan 'see https://github.com/anchore/grype#installation'
  ref=$(pushed_ref "$1")
  for p in $(words "$2"); do
    grype --platform "$p" --fail-on "$SCAN_SEVERITY" "registry:$ref"
  done
}

# sign <service> <platforms>: sign the pushed digest recursively (keyless unless COSIGN_KEY), then
# attach the SBOM of each platform to that platform's manifest. A service without SBOMs (build-sbom
# not run) is signed without attestations.
sign() {
  local service=$1 ref p pair f m e
  local key=()
  require cosign build-sign 'see https://docs.sigstore.dev/cosign/system_config/installation/'
  ref=$(pushed_ref "$service")
  [ -z "$COSIGN_KEY" ] || key=(--key "$COSIGN_KEY")
  # COSIGN_FLAGS is a list of flags: split into words, never globbed
  set -f
  # shellcheck disable=SC2086
  cosign sign --yes --recursive $COSIGN_FLAGS \${key[@]+"\${key[@]}"} "$ref"
  [ -d "$SBOM_DIR/$service" ] || return 0
  local platforms='{{range .Manifest.Manifests}}{{.Platform.OS}}-{{.Platform.Architecture}}{{if .Platform.Variant}}-{{.Platform.Variant}}{{end}}={{.Digest}} {{end}}'
  local single='{{.Image.OS}}-{{.Image.Architecture}}{{if .Image.Variant}}-{{.Image.Variant}}{{end}}'
  for p in $(words "$2"); do
    # each platform of the service, by its exact file (never another service's: api vs api-gateway)
    pair=$(echo "$p" | tr / -)
    f="$SBOM_DIR/$service/$pair.spdx.json"
    [ -e "$f" ] || die "build-sign: no SBOM $f of $service for $p: run build-sbom first"
    m=
    for e in $(docker buildx imagetools inspect "$ref" --format "$platforms" 2>/dev/null || true); do
      case "$e" in "$pair="*) m=\${e#*=} ;; esac
    done
    # a single-platform image is its own manifest; an index without the platform is an error, never the index itself
    if [ -z "$m" ] && [ "$(docker buildx imagetools inspect "$ref" --format "$single" 2>/dev/null || true)" = "$pair" ]; then
      m=\${ref#*@}
    fi
    [ -n "$m" ] || die "build-sign: $ref has no $p manifest to attest $f to"
    # shellcheck disable=SC2086
    cosign attest --yes --type spdxjson --predicate "$f" $COSIGN_FLAGS \${key[@]+"\${key[@]}"} "\${ref%@*}@$m"
  done
}

# setup-buildx: create or select the builder BUILDER_NAME (BUILDX_DRIVER; the docker driver is the
# engine's own builder), and check it can build PLATFORMS, or that what it cannot run needs no
# emulation (EMULATED_SERVICES lists the services that run commands on the target platform).
setup_buildx() {
  local builder=$BUILDER_NAME p node arch have missing='' append=''
  local image=(--driver-opt "image=$BUILDKIT_IMAGE") opts=() net=()
  case "$BUILDX_DRIVER" in
    docker|docker-container|kubernetes|remote) ;;
    *) echo "setup-buildx: BUILDX_DRIVER must be docker, docker-container, kubernetes or remote, not \\"$BUILDX_DRIVER\\"" >&2; exit 2 ;;
  esac
  [ -z "$BUILDX_DRIVER_OPTS" ] || opts=(--driver-opt "$BUILDX_DRIVER_OPTS")
  if [ "$BUILDX_DRIVER" = docker ]; then
    echo "setup-buildx: using the engine's own builder $builder (docker driver; multi-platform needs the containerd image store)"
  elif docker buildx inspect "$builder" >/dev/null 2>&1; then
    echo "setup-buildx: using builder $builder"
  else
    case "$BUILDX_DRIVER" in
      docker-container)
        # a BuildKit container has its own network: a registry on localhost is only reachable with network=host
        case "$REGISTRY" in localhost[:/]*|127.*) net=(--driver-opt=network=host) ;; esac
        docker buildx create --name "$builder" --driver docker-container \${net[@]+"\${net[@]}"} "\${image[@]}" \${opts[@]+"\${opts[@]}"} --bootstrap ;;
      remote)
        [ -n "$BUILDX_ENDPOINT" ] || { echo "setup-buildx: set BUILDX_ENDPOINT for the remote driver (e.g. tcp://buildkitd:1234)" >&2; exit 2; }
        docker buildx create --name "$builder" --driver remote \${opts[@]+"\${opts[@]}"} "$BUILDX_ENDPOINT" --bootstrap ;;
      kubernetes)
        # a node per platform: linux/arm/v7 -> <builder>-arm-v7, selected by the node's architecture label
        for p in $(words "$PLATFORMS"); do
          node=\${p#*/}
          node=$(echo "$node" | tr / -)
          arch=\${node%%-*}
          # shellcheck disable=SC2086
          docker buildx create --name "$builder" $append --driver kubernetes --node "$builder-$node" --platform "$p" \\
            --driver-opt "nodeselector=kubernetes.io/arch=$arch" "\${image[@]}" \${opts[@]+"\${opts[@]}"}
          append=--append
        done ;;
    esac
  fi
  # every platform the builder lacks must be one that no service needs to run commands on
  have=$(docker buildx inspect --bootstrap "$builder" | sed -n 's/^Platforms: *//p' | tr -d ' *' | tr ',\\n' '  ')
  for p in $(words "$PLATFORMS"); do
    case " $have " in *" $p "*) ;; *) missing="$missing $p" ;; esac
  done
  if [ -z "$missing" ]; then
    echo "setup-buildx: builder $builder can build $PLATFORMS"
  elif [ -n "$EMULATED_SERVICES" ]; then
    die "setup-buildx: builder $builder cannot run$missing, and $EMULATED_SERVICES run commands on the target platform. Register QEMU once (docker run --privileged --rm tonistiigi/binfmt --install all), or build on native nodes (BUILDX_DRIVER=kubernetes, one node per platform; or a remote builder per architecture)"
  else
    echo "setup-buildx: builder $builder has no$missing emulation; not needed: every service cross-compiles and runs nothing on the target platform"
  fi
}

# check-tools: docker and a buildx new enough for the generated files, before anything runs them. The
# version is the second word of \`docker buildx version\`: "v0.29.1" (Docker's builds), "0.29.1+ds1" (Debian's).
check_tools() {
  local out version rest major minor
  command -v docker >/dev/null 2>&1 \\
    || { echo "docker is not installed (or not on PATH): install Docker $MIN_DOCKER or newer, with the buildx plugin $MIN_BUILDX or newer" >&2; exit 127; }
  out=$(docker buildx version 2>/dev/null) \\
    || { echo "docker buildx is missing: install the buildx plugin $MIN_BUILDX or newer (Debian, Ubuntu: apt-get install docker-buildx; Alpine: apk add docker-cli-buildx; or Docker's docker-buildx-plugin)" >&2; exit 127; }
  read -r _ version rest <<VERSION
$out
VERSION
  version=\${version#v}
  version=\${version%%[+-]*}
  major=\${version%%.*}
  rest=\${version#*.}
  minor=\${rest%%.*}
  case "$major.$minor" in
    *[!0-9.]*|.*|*.) echo "check-tools: cannot read the buildx version from \\"$out\\"; $MIN_BUILDX or newer is needed" >&2; return 0 ;;
  esac
  if [ "$major" -lt "\${MIN_BUILDX%%.*}" ] || { [ "$major" -eq "\${MIN_BUILDX%%.*}" ] && [ "$minor" -lt "\${MIN_BUILDX#*.}" ]; }; then
    die "buildx $version is too old: $MIN_BUILDX or newer is needed (docker buildx version says: $out)"
  fi
}

# check-inputs: every file npx projen read (recorded_inputs) still reads the same, so the generated
# files still follow it; SKIP_INPUT_CHECK=true builds anyway.
check_inputs() {
  local changed=0
  if [ "$SKIP_INPUT_CHECK" = true ]; then
    echo "check-inputs: skipped (SKIP_INPUT_CHECK=true): the generated files may not follow the files they were generated from" >&2
    return 0
  fi
  # input <file> <recorded> <lines pattern> <what was read>
  input() {
    local now
    if [ ! -e "$1" ]; then now=absent
    elif [ "$2" = present ]; then now=present
    elif [ ! -f "$1" ]; then now=absent
    elif [ -n "$3" ]; then now=$( (LC_ALL=C grep -a -E -e "$3" "$1" || true) | sha256_of)
    else now=$(sha256_of < "$1")
    fi
    [ "$now" != "$2" ] || return 0
    changed=1
    case "$2/$now" in
      absent/*) echo "$1 was created since the files were generated: run npx projen" >&2 ;;
      */absent) echo "$1 was removed since the files were generated: run npx projen" >&2 ;;
      *) echo "$1 changed since the files were generated: run npx projen (the generated files follow $4)" >&2 ;;
    esac
  }
  recorded_inputs
  [ "$changed" -eq 0 ] || exit 1
}

usage() {
  cat >&2 <<'USAGE'
usage: multiarch.sh <command> <arguments>  (the generated Makefile calls it)
  pushed-digest <bake target> <metadata file>  the digest bake pushed for a target
  bake-tags <bake target>                      its tags in \`bake --print\` (standard input)
  bake-annotations <bake target>               its index annotations in \`bake --print\` (standard input)
  pushed-ref <service>                         the <repository>@<digest> last pushed
  keep-digest <service> <repository> <file>    record what bake pushed (--metadata-file)
  merge <service> <repository>                 join the pushed platforms into one index (bake --print on standard input)
  publish <service> <repository>               tag the pushed digest (bake --print on standard input)
  verify <image> <platforms>                   check an image has every platform
  verify-pushed <service> <platforms>          the same for the pushed digest
  sbom|scan|sign <service> <platforms>         SBOMs, vulnerability scan, signature of the pushed digest
  setup-buildx                                 create or select the builder, check its platforms
  check-tools                                  check docker and buildx are there and new enough
  check-inputs                                 check the files npx projen read have not changed since
USAGE
  exit 2
}

# arguments <count> <given>: each command takes an exact number of arguments
arguments() { [ "$1" -eq "$2" ] || usage; }

[ $# -gt 0 ] || usage
command=$1
shift
case "$command" in
  pushed-digest) arguments 2 $#; pushed_digest "$@" ;;
  bake-tags) arguments 1 $#; bake_tags "$@" ;;
  bake-annotations) arguments 1 $#; bake_annotations "$@" ;;
  pushed-ref) arguments 1 $#; pushed_ref "$@" ;;
  keep-digest) arguments 3 $#; keep_digest "$@" ;;
  merge) arguments 2 $#; merge "$@" ;;
  publish) arguments 2 $#; publish "$@" ;;
  verify) arguments 2 $#; verify "$@" ;;
  verify-pushed) arguments 2 $#; verify_pushed "$@" ;;
  sbom) arguments 2 $#; sbom "$@" ;;
  scan) arguments 2 $#; scan "$@" ;;
  sign) arguments 2 $#; sign "$@" ;;
  setup-buildx) arguments 0 $#; setup_buildx ;;
  check-tools) arguments 0 $#; check_tools ;;
  check-inputs) arguments 0 $#; check_inputs ;;
  *) usage ;;
esac
`;
