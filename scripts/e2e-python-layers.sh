#!/usr/bin/env bash
# A code-only edit of a Python service ships only a new application layer (issue #22): builds and
# pushes examples/monorepo's scorer (both platforms, warm cache), edits one line of its code, builds
# and pushes again, then compares the two images' layers in the registry (scripts/e2e-check.js
# --python-layers): every layer up to the venv's is the same digest, the application's is new.
#
#   scripts/e2e-python-layers.sh   (the lab up, examples/monorepo synthesized and ml/wheels written;
#                                   scripts/e2e.sh runs this as a step)
# Environment: VERSION (default layers-<time>), E2E_OUT (logs, default .e2e),
# REGISTRY (default 127.0.0.1:5000/e2e-layers).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/e2e-common.sh"
MONO=$ROOT/examples/monorepo
REGISTRY=${REGISTRY:-127.0.0.1:5000/e2e-layers}
VERSION=${VERSION:-layers-$(date -u +%Y%m%d%H%M%S)}
CODE=$MONO/ml/scorer/__main__.py

lab_env
[ -d "$MONO/ml/wheels" ] || fail "no wheelhouse: run scripts/wheelhouse.sh $MONO/ml/wheels first"

build() { # tag
  (cd "$MONO" && BUILDKIT_PROGRESS=plain flock -s "$LOCK" make build-scorer PUSH=true BUILDX_DRIVER=docker \
    REGISTRY="$REGISTRY" VERSION="$1" CACHE_REGISTRY= BAKE_FLAGS=) > "$OUT/layers-$1.log" 2>&1 ||
    { tail -30 "$OUT/layers-$1.log" >&2; fail "make build-scorer VERSION=$1"; }
}

cp "$CODE" "$OUT/layers-code.bak"
trap 'cp "$OUT/layers-code.bak" "$CODE"' EXIT
build "$VERSION-before"
echo "# a code-only edit ($VERSION)" >> "$CODE"
build "$VERSION-after"
node "$ROOT/scripts/e2e-check.js" --python-layers "$REGISTRY/scorer" "$VERSION-before" "$VERSION-after"
