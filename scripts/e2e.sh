#!/usr/bin/env bash
# End-to-end tier (npm run test:e2e): the example consumer repo, synthesized from the packed
# library, built for linux/amd64 and linux/arm64 by its generated Makefile in the local lab, then
# checked independently (scripts/e2e-check.js). Starts the lab if needed; leaves it running unless
# E2E_LAB_DOWN=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EXAMPLE=$ROOT/examples/nephoran
OUT=$ROOT/.e2e
mkdir -p "$OUT"
SECONDS=0
step() { printf '\n== [%4ss] %s\n' "$SECONDS" "$*"; }

step "lab up"
bash "$ROOT/scripts/lab.sh" up
eval "$(bash "$ROOT/scripts/lab.sh" env)"
[ "${E2E_LAB_DOWN:-0}" = 1 ] && trap 'bash "$ROOT/scripts/lab.sh" down' EXIT

step "pack the library, install it into examples/nephoran, synthesize"
bash "$ROOT/scripts/example.sh" synth

if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  step "the example's committed generated files match what the library generates now"
  git -C "$ROOT" add -N "$EXAMPLE" >/dev/null 2>&1 || true
  git -C "$ROOT" diff --exit-code --stat -- "$EXAMPLE" || { echo "examples/nephoran is stale: run 'npm run example' and commit it" >&2; exit 1; }
fi

VERSION=e2e-$(date -u +%Y%m%d%H%M%S)
REGISTRY=127.0.0.1:5000/e2e
# --no-cache: every step runs, so the log shows where each compile and install ran and how long
# it took (cache mounts stay warm, so this costs little).
MAKE_VARS=(BUILDX_DRIVER=docker REGISTRY="$REGISTRY" VERSION="$VERSION" CACHE_REGISTRY=127.0.0.1:5000/e2e-cache BAKE_FLAGS=--no-cache)

step "make setup-buildx build-multiarch build-verify PUSH=true ${MAKE_VARS[*]}"
(cd "$EXAMPLE" && BUILDKIT_PROGRESS=plain make setup-buildx build-multiarch build-verify PUSH=true "${MAKE_VARS[@]}") 2>&1 | tee "$OUT/build.log"

step "build-verify fails for an image that lacks a platform"
(cd "$EXAMPLE" && BUILDKIT_PROGRESS=plain make build-llm-processor PUSH=true PLATFORMS=linux/amd64 "${MAKE_VARS[@]/#VERSION=*/VERSION=$VERSION-amd64-only}") > "$OUT/amd64-only.log" 2>&1
if (cd "$EXAMPLE" && make build-verify "${MAKE_VARS[@]/#VERSION=*/VERSION=$VERSION-amd64-only}") > "$OUT/verify-negative.log" 2>&1; then
  echo "FAIL build-verify passed for an amd64-only image" >&2; cat "$OUT/verify-negative.log" >&2; exit 1
fi
grep -q "lacks linux/arm64" "$OUT/verify-negative.log" || { echo "FAIL build-verify failed without naming the missing platform:" >&2; cat "$OUT/verify-negative.log" >&2; exit 1; }
echo "ok   build-verify refused $REGISTRY/llm-processor:$VERSION-amd64-only: $(grep -o 'lacks linux/arm64.*' "$OUT/verify-negative.log" | head -1)"

step "independent checks of the pushed images"
node "$ROOT/scripts/e2e-check.js" --registry "$REGISTRY" --version "$VERSION" --log "$OUT/build.log"
step "done"
