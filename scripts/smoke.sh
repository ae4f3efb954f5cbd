#!/usr/bin/env bash
# Smoke build on the toolchain the lab runs (.ci/run runs it on the oldest supported one, after the
# whole e2e on current): examples/nephoran built for linux/amd64 + linux/arm64 with its generated
# Makefile (make setup-buildx build-multiarch build-verify PUSH=true BUILDX_DRIVER=docker) into
# 127.0.0.1:5000/e2e-smoke-<toolchain>, checked independently (scripts/e2e-check.js), then signed
# offline with the toolchain's cosign (make build-sign) and verified. Needs the lab up.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EXAMPLE=$ROOT/examples/nephoran
SECONDS=0
step() { printf '\n== [%4ss] %s\n' "$SECONDS" "$*"; }

bash "$ROOT/scripts/lab.sh" status >/dev/null || { bash "$ROOT/scripts/lab.sh" status >&2; echo "the lab is not up: run scripts/lab.sh up --toolchain NAME first" >&2; exit 1; }
eval "$(bash "$ROOT/scripts/lab.sh" env)"
bash "$ROOT/scripts/lab.sh" status | grep -E '^(toolchain|versions):'

OUT=$ROOT/.e2e/smoke-$LAB_TOOLCHAIN
rm -rf "$OUT" && mkdir -p "$OUT"
VERSION=smoke-$(date -u +%Y%m%d%H%M%S)
REGISTRY=127.0.0.1:5000/e2e-smoke-$LAB_TOOLCHAIN
COMMIT_TIME=$(git -C "$ROOT" log -1 --format=%ct)

# The lab registry now and then answers a HEAD that races the write of a tag with "500 Internal
# Server Error" (see scripts/e2e.sh): a build that failed on exactly that runs once more.
build() {
  (cd "$EXAMPLE" && BUILDKIT_PROGRESS=plain make setup-buildx build-multiarch build-verify PUSH=true BUILDX_DRIVER=docker \
    REGISTRY="$REGISTRY" VERSION="$VERSION" CACHE_REGISTRY= BAKE_FLAGS=--no-cache)
}
step "examples/nephoran on toolchain $LAB_TOOLCHAIN: make setup-buildx build-multiarch build-verify PUSH=true BUILDX_DRIVER=docker REGISTRY=$REGISTRY VERSION=$VERSION"
if ! build > "$OUT/build.log" 2>&1; then
  grep -q '127.0.0.1:5000.*500 Internal Server Error' "$OUT/build.log" || { tail -40 "$OUT/build.log" >&2; exit 1; }
  mv "$OUT/build.log" "$OUT/build.log.flake"
  echo "note: the lab registry answered 500 Internal Server Error (see $OUT/build.log.flake); building again"
  build > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log" >&2; exit 1; }
fi
grep -E '^(setup-buildx|build-verify):' "$OUT/build.log" || true

step "examples/nephoran: independent checks of the pushed images"
status=0
node "$ROOT/scripts/e2e-check.js" --spec "$EXAMPLE/e2e.json" --registry "$REGISTRY" --version "$VERSION" \
  --log "$OUT/build.log" --source-date-epoch "$COMMIT_TIME" || status=1

step "examples/nephoran: make build-sign with a generated key (cosign of toolchain $LAB_TOOLCHAIN, offline), then cosign verify"
export COSIGN_PASSWORD=smoke-only
(cd "$OUT" && "$LAB_COSIGN" generate-key-pair >/dev/null 2>&1)
echo "COSIGN_FLAGS=$LAB_COSIGN_OFFLINE_FLAGS"
(cd "$EXAMPLE" && make build-sign REGISTRY="$REGISTRY" VERSION="$VERSION" COSIGN_KEY="$OUT/cosign.key" COSIGN_FLAGS="$LAB_COSIGN_OFFLINE_FLAGS") > "$OUT/sign.log" 2>&1 ||
  { tail -30 "$OUT/sign.log" >&2; exit 1; }
for f in "$EXAMPLE"/.multiarch/digests/*; do
  ref=$(cat "$f")
  [[ $ref == "$REGISTRY/"* ]] || { echo "FAIL $f names $ref, not an image of this smoke build" >&2; status=1; continue; }
  if "$LAB_COSIGN" verify --key "$OUT/cosign.pub" --insecure-ignore-tlog "$ref" > "$OUT/verify-$(basename "$f").log" 2>&1; then
    echo "ok   cosign verified $ref"
  else
    echo "FAIL cosign verify $ref" >&2; cat "$OUT/verify-$(basename "$f").log" >&2; status=1
  fi
done
step "smoke on toolchain $LAB_TOOLCHAIN: $([ "$status" = 0 ] && echo passed || echo FAILED)"
exit "$status"
