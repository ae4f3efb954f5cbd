# shellcheck shell=bash
# Assertions of a GitLab CI run (issue #20 item 3, the same as item 2's GitHub run). Each prints one
# "ok ..." or "FAIL ..." line (with the evidence indented under a failure) and counts it.
# shellcheck source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/registry.sh"

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1"; shift; local l; for l in "$@"; do printf '       %s\n' "$l"; done; }
# check <description> <command...>: ok when the command succeeds; its output is the evidence
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$what"; else fail "$what" "${out:-(no output)}"; fi
}

# The jobs the pipeline ran and how they ended, from gitlab-ci-local's summary (" PASS  job" lines).
job_results() { sed -e 's/\x1b\[[0-9;]*m//g' "$1" | sed -n 's/^ \(PASS\|FAIL\|WARN\) *\[[^]]*\] *\([A-Za-z0-9_.:-]*\).*$/\2 \1/p' | sort -u; }

# registry helpers (the lab registry, HTTP)
reg_tags() { curl -fsS "http://$LAB_REGISTRY/v2/$1/tags/list" 2>/dev/null | jq -r '.tags // [] | .[]' | sort; }
# reg_catalog <prefix>: the repositories under <prefix>/ (the catalog is sorted: start after <prefix>)
reg_catalog() {
  local json
  json=$(curl -fsS "http://$LAB_REGISTRY/v2/_catalog?n=1000&last=$1") || return 1
  jq -r '.repositories[]' <<<"$json" | grep "^$1/" || true
}
reg_config() { # <ref of a single-platform manifest>: its image config
  local m cfg
  m=$(reg_manifest "$1") || return 1
  cfg=$(jq -r '.config.digest' <<<"$m")
  reg_split "$1"
  curl -fsS "$(reg_url)/v2/$REG_REPO/blobs/$cfg"
}

# expect_jobs <gitlab-ci-local log> <job:status>...: exactly these jobs ran, ending so
expect_jobs() {
  local log=$1 want got
  shift
  want=$(printf '%s\n' "$@" | tr ':' ' ' | sort)
  got=$(job_results "$log")
  if [ "$want" = "$got" ]; then ok "jobs: $(echo "$got" | tr '\n' ' ' | sed 's/ $//')"
  else fail "jobs: expected $(echo "$want" | tr '\n' ' ')" "ran: $(echo "${got:-nothing}" | tr '\n' ' ')" "(log: $log)"; fi
}

# no_repositories <prefix>: nothing was pushed under <prefix>/ (images or cache)
no_repositories() {
  local found
  if ! found=$(reg_catalog "$1"); then fail "pushes nothing and writes no cache" "cannot read the registry's catalog"; return; fi
  if [ -z "$found" ]; then ok "pushes nothing and writes no cache (no repository under $LAB_REGISTRY/$1/)"
  else fail "pushes nothing and writes no cache" "the registry has: $(echo "$found" | tr '\n' ' ')"; fi
}

# expect_tags <repo> <digest> <tag>...: the repository has these tags, each on <digest> (when given)
expect_tags() {
  local repo=$1 digest=$2 have missing=() elsewhere=() t d
  shift 2
  have=$(reg_tags "$repo" | grep -v '^sha256-' || true) # cosign's .sig/.att tags are not image tags
  for t in "$@"; do
    if ! grep -qx -- "$t" <<<"$have"; then missing+=("$t"); continue; fi
    d=$(reg_digest "$LAB_REGISTRY/$repo:$t")
    [[ $digest != sha256:* ]] || [ "$d" = "$digest" ] || elsewhere+=("$t=$d")
  done
  if [ ${#missing[@]} -eq 0 ] && [ ${#elsewhere[@]} -eq 0 ]; then ok "tags of $repo: $* (on ${digest:-?})"
  else fail "tags of $repo: expected $* on the pushed ${digest:-index}" "missing: ${missing[*]:-none}" "on another index: ${elsewhere[*]:-none}" "has: $(echo "${have:-none}" | tr '\n' ' ')"; fi
}

# no_tags <repo> <staging tag regex>: the repository has no tag but staging ones (nothing public)
no_tags() {
  local have public
  have=$(reg_tags "$1")
  public=$(grep -v -- "$2" <<<"$have" || true)
  if [ -z "$public" ]; then ok "no public tag of $1${have:+ (staging only: $(echo "$have" | tr '\n' ' '))}"
  else fail "no public tag of $1" "has: $(echo "$have" | tr '\n' ' ')"; fi
}

# same_platform_digests <ref> <reference ref> <platform>...: each platform's manifest is the same
same_platform_digests() {
  local ref=$1 refref=$2 p a b bad=()
  shift 2
  for p in "$@"; do
    a=$(reg_platform_digest "$ref" "$p" || echo none)
    b=$(reg_platform_digest "$refref" "$p" || echo none)
    [ "$a" = "$b" ] && [ "$a" != none ] || bad+=("$p: pipeline $a, one-machine build $b")
  done
  if [ ${#bad[@]} -eq 0 ]; then ok "per-platform digests of $ref equal the one-machine build-multiarch ($*)"
  else fail "per-platform digests of $ref equal the one-machine build-multiarch" "${bad[@]}"; fi
}

# names_service <ref> <service> <platform>...: the index annotations and each platform's labels say
# org.opencontainers.image.title=<service>
names_service() {
  local ref=$1 svc=$2 p d title bad=()
  shift 2
  title=$(reg_manifest "$ref" | jq -r '.annotations["org.opencontainers.image.title"] // "none"' || echo "none (no index $ref)")
  [ "$title" = "$svc" ] || bad+=("index annotation org.opencontainers.image.title=$title")
  for p in "$@"; do
    reg_split "$ref"
    d=$(reg_platform_digest "$ref" "$p") || { bad+=("$p: no manifest"); continue; }
    title=$(reg_config "$REG_HOST/$REG_REPO@$d" | jq -r '.config.Labels["org.opencontainers.image.title"] // "none"' || echo "none (no config)")
    [ "$title" = "$svc" ] || bad+=("$p label org.opencontainers.image.title=$title")
  done
  if [ ${#bad[@]} -eq 0 ]; then ok "labels and index annotations of $ref name $svc"
  else fail "labels and index annotations of $ref name $svc" "${bad[@]}"; fi
}

# signed <ref> <cosign.pub>: cosign verify (key-based, no transparency log) passes on the index
# (by digest) and on its arm64 manifest
signed() {
  local ref=$1 pub=$2 repo idx arm out
  reg_split "$ref"
  repo=$REG_HOST/$REG_REPO
  idx=$(reg_digest "$ref" || true)
  arm=$(reg_platform_digest "$ref" linux/arm64 || echo none)
  if out=$("$LAB_COSIGN" verify --key "$pub" --insecure-ignore-tlog "$repo@$idx" 2>&1 >/dev/null) &&
    out=$("$LAB_COSIGN" verify --key "$pub" --insecure-ignore-tlog "$repo@$arm" 2>&1 >/dev/null); then
    ok "cosign verify passes on $repo@$idx and its arm64 manifest"
  else fail "cosign verify on $repo@$idx and its arm64 manifest ($arm)" "$(echo "$out" | tail -3)"; fi
}

# sbom_attested <ref> <cosign.pub> <platform>...: each platform's manifest carries a verified SPDX
# attestation whose subject is that manifest and whose SBOM describes that manifest
sbom_attested() {
  local ref=$1 pub=$2 repo p d out subj root bad=()
  shift 2
  reg_split "$ref"
  repo=$REG_HOST/$REG_REPO
  for p in "$@"; do
    d=$(reg_platform_digest "$ref" "$p") || { bad+=("$p: no manifest"); continue; }
    if ! out=$("$LAB_COSIGN" verify-attestation --type spdxjson --key "$pub" --insecure-ignore-tlog "$repo@$d" 2>/dev/null); then
      bad+=("$p ($d): no verified spdxjson attestation"); continue
    fi
    subj=$(head -1 <<<"$out" | jq -r '.payload | @base64d | fromjson | .subject[0].digest.sha256')
    root=$(head -1 <<<"$out" | jq -r '.payload | @base64d | fromjson | .predicate.packages[0].versionInfo')
    [ "sha256:$subj" = "$d" ] && [ "$root" = "$d" ] || bad+=("$p: manifest $d, attestation subject sha256:$subj, SBOM of $root")
  done
  if [ ${#bad[@]} -eq 0 ]; then ok "SBOM of each platform of $repo attested to that platform's image ($*)"
  else fail "SBOM of each platform of $repo attested to its own image" "${bad[@]}"; fi
}

# json_results: counts the {"ok", "what", "evidence"} lines of lib/static.js
json_results() {
  local line what
  while IFS= read -r line; do
    what=$(jq -r .what <<<"$line")
    if [ "$(jq -r .ok <<<"$line")" = true ]; then ok "$what"
    else mapfile -t ev < <(jq -r '.evidence[]' <<<"$line"); fail "$what" "${ev[@]}"; fi
  done
}
