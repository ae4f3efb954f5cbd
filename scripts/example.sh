#!/usr/bin/env bash
# The example consumer repos under examples/, driven as a user would drive them.
#
#   scripts/example.sh synth [NAME]  pack this library, install it into examples/NAME (default:
#                                    nephoran), run `npx projen` there, list what it generated
#                                                                              (npm run example)
#   scripts/example.sh build [NAME]  build, push and verify the example's images for linux/amd64
#                                    and linux/arm64 in the local lab with its Makefile
#                                                                              (npm run example:build)
# Environment: VERSION (default: example-<time>), REGISTRY (default: the lab registry).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NAME=${2:-nephoran}
EXAMPLE=$ROOT/examples/$NAME
[ -f "$EXAMPLE/.projenrc.ts" ] || { echo "no example named $NAME under examples/" >&2; exit 2; }
LAB=$ROOT/scripts/lab.sh

log() { printf '\n== %s\n' "$*"; }

pack_library() {
  log "compiling and packing projen-multiarch"
  bash "$ROOT/scripts/compile.sh"
  rm -rf "$EXAMPLE/.packed" && mkdir -p "$EXAMPLE/.packed"
  local tarball
  tarball=$(cd "$ROOT" && npm pack --silent --pack-destination "$EXAMPLE/.packed" | tail -1)
  mv "$EXAMPLE/.packed/$tarball" "$EXAMPLE/.packed/projen-multiarch.tgz"
}

install_example() {
  log "installing the packed library into examples/$NAME"
  # --no-package-lock: the tarball changes on every pack. npm treats a file: tarball with an
  # unchanged version as up to date, so the installed copy is removed first.
  rm -rf "$EXAMPLE/node_modules/projen-multiarch"
  (cd "$EXAMPLE" && npm install --no-audit --no-fund --no-package-lock --loglevel=error)
}

synth_example() {
  log "synthesizing examples/$NAME (npx projen)"
  # The first synthesis has no .projen/tasks.json yet to tell `npx projen` how to run .projenrc.ts.
  if [ -f "$EXAMPLE/.projen/tasks.json" ]; then
    (cd "$EXAMPLE" && npx projen)
  else
    (cd "$EXAMPLE" && npx ts-node --skipProject -O '{"module":"commonjs","target":"es2022"}' .projenrc.ts)
  fi
  log "generated files (from .projen/files.json)"
  node -e 'for (const f of require(process.argv[1]).files) console.log("  " + f)' "$EXAMPLE/.projen/files.json"
}

build_example() {
  "$LAB" status >/dev/null || { echo "the lab is not up: run scripts/lab.sh up first" >&2; exit 1; }
  eval "$("$LAB" env)"
  local version=${VERSION:-example-$(date -u +%Y%m%d%H%M%S)}
  local registry=${REGISTRY:-127.0.0.1:5000/$NAME}
  log "make setup-buildx build-multiarch build-verify (VERSION=$version REGISTRY=$registry)"
  (cd "$EXAMPLE" && make setup-buildx build-multiarch build-verify \
    BUILDX_DRIVER=docker PUSH=true REGISTRY="$registry" VERSION="$version" \
    CACHE_REGISTRY="${CACHE_REGISTRY:-127.0.0.1:5000/cache}")
}

case "${1:-}" in
  synth) pack_library; install_example; synth_example ;;
  build) build_example ;;
  *) echo "usage: $0 synth|build [example name]" >&2; exit 2 ;;
esac
