# shellcheck shell=bash
# Reading an image from its registry, as syft and grype do (no daemon): the lab registry speaks
# plain HTTP on 127.0.0.1, which go-containerregistry also picks for loopback registries.
ACCEPT='application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json'

# reg_split <ref>: sets REG_HOST REG_REPO REG_REF (a tag or a digest)
reg_split() {
  local ref=$1
  REG_HOST=${ref%%/*}
  local rest=${ref#*/}
  if [[ $rest == *@* ]]; then REG_REPO=${rest%@*}; REG_REF=${rest#*@}
  elif [[ ${rest##*/} == *:* ]]; then REG_REPO=${rest%:*}; REG_REF=${rest##*:}
  else REG_REPO=$rest; REG_REF=latest; fi
}

reg_url() {
  case "$REG_HOST" in 127.* | localhost | localhost:*) echo "http://$REG_HOST" ;; *) echo "https://$REG_HOST" ;; esac
}

# reg_manifest <ref>: the manifest or index JSON
reg_manifest() {
  reg_split "$1"
  curl -fsS -H "Accept: $ACCEPT" "$(reg_url)/v2/$REG_REPO/manifests/$REG_REF"
}

# reg_digest <ref>: the digest of what <ref> names
reg_digest() {
  reg_split "$1"
  curl -fsSI -H "Accept: $ACCEPT" "$(reg_url)/v2/$REG_REPO/manifests/$REG_REF" |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p'
}

# reg_platform_digest <ref> <os/arch[/variant]>: the digest of that platform's manifest (the ref
# itself when it is a single manifest of that platform); fails when there is none
reg_platform_digest() {
  local ref=$1 platform=$2 json media
  json=$(reg_manifest "$ref") || return 1
  media=$("${GLR_JQ:-jq}" -r '.mediaType // ""' <<<"$json")
  case "$media" in
    *index* | *manifest.list*)
      "${GLR_JQ:-jq}" -r --arg p "$platform" '[.manifests[] | select(((.platform.os // "") + "/" + (.platform.architecture // "") + (if .platform.variant then "/" + .platform.variant else "" end)) == $p)][0].digest // empty' <<<"$json" | grep . ;;
    *) reg_digest "$ref" ;;
  esac
}
