#!/usr/bin/env bash
# shellcheck disable=SC2317 # the steps are functions that retry_push calls
# End-to-end tier (npm run test:e2e): the example consumer repos (examples/nephoran, shaped like
# the seed, and examples/storefront, shaped unlike it, with the generated multiarch.mk included
# from its own Makefile), synthesized from the packed library, built for linux/amd64 and
# linux/arm64 in the local lab, then checked independently (scripts/e2e-check.js, examples/*/e2e.json). Starts the lab if needed; leaves it running unless
# E2E_LAB_DOWN=1. E2E_FIRST_RUN=0 leaves out the first run from the packed library (scripts/e2e-first-run.sh,
# no Docker), for a caller that runs it itself.
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
# which docker, containerd, buildx and cosign this run proves (scripts/lab.sh up --toolchain picks them)
bash "$ROOT/scripts/lab.sh" status | grep -E '^(toolchain|versions):'
[ "${E2E_LAB_DOWN:-0}" = 1 ] && trap 'bash "$ROOT/scripts/lab.sh" down' EXIT

EXAMPLES=(nephoran storefront monorepo)
for name in "${EXAMPLES[@]}"; do
  step "pack the library, install it into examples/$name, synthesize"
  bash "$ROOT/scripts/example.sh" synth "$name"
done

step "examples/monorepo: a wheelhouse of real wheels for both platforms (scripts/wheelhouse.sh), for the CROSS_WHEELS scorer"
rm -rf "$ROOT/examples/monorepo/ml/wheels"
bash "$ROOT/scripts/wheelhouse.sh" "$ROOT/examples/monorepo/ml/wheels"

if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  step "the examples' committed generated files match what the library generates now"
  git -C "$ROOT" add -N "$ROOT/examples" >/dev/null 2>&1 || true
  git -C "$ROOT" diff --exit-code --stat -- "$ROOT/examples" || { echo "examples/ is stale: run 'npm run example' for each example and commit" >&2; exit 1; }
fi

VERSION=e2e-$(date -u +%Y%m%d%H%M%S)
# The commit time: the Makefile's SOURCE_DATE_EPOCH, which dates every image and every file in it.
COMMIT_TIME=$(git -C "$ROOT" log -1 --format=%ct)
# --no-cache on an empty builder cache: every step runs, so the log shows where each compile and
# install ran and how long it took, and the build is as cold as on a fresh machine.
# GO_NETRC: the credentials of the lab's private Go module proxy (examples/monorepo needs them).
vars() { echo "BUILDX_DRIVER=docker REGISTRY=127.0.0.1:5000/e2e-$1 VERSION=${2:-$VERSION} CACHE_REGISTRY=127.0.0.1:5000/e2e-cache-$1 BAKE_FLAGS=--no-cache GO_NETRC=$LAB_GO_NETRC"; }
cold() { docker builder prune -af >/dev/null; }
# retry_push <log> <command...>: runs a step that pushes, its output in <log>. The lab's registry
# (distribution 2.8, filesystem storage) now and then answers a HEAD that races the write of a tag
# with "500 Internal Server Error"; nothing the generated files do causes or avoids it. A step that
# failed on exactly that runs once more (cold again where it was cold) and says so; the first
# attempt's output stays in <log>.flake.
retry_push() {
  local log=$1; shift
  if "$@" > "$log" 2>&1; then return 0; fi
  if grep -q '127.0.0.1:5000.*500 Internal Server Error' "$log"; then
    mv "$log" "$log.flake"
    echo "note: the lab registry answered 500 Internal Server Error (see $log.flake); running the step again"
    "$@" > "$log" 2>&1 && return 0
  fi
  return 1
}

for name in "${EXAMPLES[@]}"; do
  step "examples/$name: make setup-buildx build-multiarch build-verify PUSH=true $(vars "$name") (cold)"
  # shellcheck disable=SC2046 # one word per variable
  build_cold() { cold; (cd "$ROOT/examples/$1" && BUILDKIT_PROGRESS=plain make setup-buildx build-multiarch build-verify PUSH=true $(vars "$1")); }
  if retry_push "$OUT/build-$name.log" build_cold "$name"; then cat "$OUT/build-$name.log"; else cat "$OUT/build-$name.log"; exit 1; fi
done

step "build-verify fails for an image that lacks a platform"
# shellcheck disable=SC2046
amd64_only() { (cd "$EXAMPLE" && BUILDKIT_PROGRESS=plain make build-llm-processor PUSH=true PLATFORMS=linux/amd64 $(vars nephoran "$VERSION-amd64-only")); }
retry_push "$OUT/amd64-only.log" amd64_only || { tail -30 "$OUT/amd64-only.log" >&2; exit 1; }
# shellcheck disable=SC2046
if (cd "$EXAMPLE" && make build-verify $(vars nephoran "$VERSION-amd64-only")) > "$OUT/verify-negative.log" 2>&1; then
  echo "FAIL build-verify passed for an amd64-only image" >&2; cat "$OUT/verify-negative.log" >&2; exit 1
fi
grep -q "lacks linux/arm64" "$OUT/verify-negative.log" || { echo "FAIL build-verify failed without naming the missing platform:" >&2; cat "$OUT/verify-negative.log" >&2; exit 1; }
echo "ok   build-verify refused 127.0.0.1:5000/e2e-nephoran/llm-processor:$VERSION-amd64-only: $(grep -o 'lacks linux/arm64.*' "$OUT/verify-negative.log" | head -1)"

status=0
for name in "${EXAMPLES[@]}"; do
  step "examples/$name: independent checks of the pushed images"
  node "$ROOT/scripts/e2e-check.js" --spec "$ROOT/examples/$name/e2e.json" --registry "127.0.0.1:5000/e2e-$name" --version "$VERSION" \
    --log "$OUT/build-$name.log" --source-date-epoch "$COMMIT_TIME" || status=1
done

step "a third kind of service, defined outside src/ (test/extension), from the packed library: linux/amd64 and linux/arm64, run on both"
E2E_OUT=$OUT VERSION=$VERSION bash "$ROOT/scripts/e2e-third-kind.sh" || status=1

step "runtime options (args, env, files, healthcheck): a Go server that needs its config file and arguments, linux/amd64 and linux/arm64, curl on both, a second cold build with the same digests"
E2E_OUT=$OUT VERSION=$VERSION bash "$ROOT/scripts/e2e-runtime-options.sh" || status=1

step "inputs changed since synthesis: a local replace added to go.mod without npx projen stops make at once; the bypassed build's download names the replace"
E2E_OUT=$OUT REGISTRY=127.0.0.1:5000/e2e-stale bash "$ROOT/scripts/e2e-stale-inputs.sh" || status=1

if [ "${E2E_FIRST_RUN:-1}" != 0 ]; then
  step "a first run from the packed library (no Docker): projen new --from it in an empty directory, in a Go repository with its own Makefile, bake file, .gitignore and .dockerignore, and the manual path"
  E2E_OUT=$OUT bash "$ROOT/scripts/e2e-first-run.sh" || status=1
else
  step "a first run from the packed library: not here (E2E_FIRST_RUN=0: the caller runs scripts/e2e-first-run.sh itself, .ci/run on Node.js 24)"
fi

step "adopting the library in an existing repository: its own Makefile, bake file and .dockerignore stay byte-identical; BuildKit reads each <Dockerfile>.dockerignore"
E2E_OUT=$OUT VERSION=$VERSION bash "$ROOT/scripts/e2e-adoption.sh" || status=1

# A Go monorepo (examples/monorepo): a private module needs its credentials, and fails clearly
# without them; editing the Python service inside the Go module leaves the Go compiles cached.
MONO=$ROOT/examples/monorepo
step "examples/monorepo: without GO_NETRC the private module download fails, and says how to give the credentials"
# shellcheck disable=SC2046
if (cd "$MONO" && BUILDKIT_PROGRESS=plain make build-gateway $(vars monorepo) GO_NETRC=) > "$OUT/no-netrc.log" 2>&1; then
  echo "FAIL the private module was fetched without credentials" >&2; exit 1
fi
# what the step printed ("#<step> <seconds> <text>"), not the RUN command BuildKit echoes, which holds every message
grep -qE "^#[0-9]+ [0-9.]+ go mod download failed: private modules need credentials, given as a build secret: make <target> GO_NETRC=" "$OUT/no-netrc.log" ||
  { echo "FAIL the failed download did not say how to give credentials:" >&2; tail -20 "$OUT/no-netrc.log" >&2; exit 1; }
grep -q "401 Unauthorized" "$OUT/no-netrc.log" || { echo "FAIL the proxy did not refuse the download (no 401):" >&2; tail -20 "$OUT/no-netrc.log" >&2; exit 1; }
echo "ok   without GO_NETRC: $(grep -o 'go mod download failed: [^"]*' "$OUT/no-netrc.log" | head -1)"

step "examples/monorepo: editing the Python service leaves every Go compile CACHED"
mkdir -p "$MONO/ml/.venv/bin" "$MONO/ml/scorer/__pycache__"
echo junk > "$MONO/ml/.venv/bin/python"; echo junk > "$MONO/ml/scorer/__pycache__/__main__.cpython-311.pyc"
echo "# an edit that must not rebuild any Go service" >> "$MONO/ml/scorer/__main__.py"
# warm: the same cache as the build above; no push
# shellcheck disable=SC2046
(cd "$MONO" && BUILDKIT_PROGRESS=plain make build-gateway build-worker build-reporter $(vars monorepo) BAKE_FLAGS=) > "$OUT/python-edit.log" 2>&1 ||
  { tail -30 "$OUT/python-edit.log" >&2; exit 1; }
git -C "$ROOT" checkout -- examples/monorepo/ml/scorer/__main__.py
rm -rf "$MONO/ml/.venv" "$MONO/ml/scorer/__pycache__"
node "$ROOT/scripts/e2e-check.js" --cached-go-builds "$OUT/python-edit.log" || status=1

step "examples/nephoran: a compile on a two-day-old dependency cache adds the binary to its layer, not a copy of the cache"
# Go re-dates every cache entry it uses once the entry is an hour old, and trims a day after its last
# trim: the deps stage dates its cache in the future. llm-processor's builder stage, twice, each on a
# cache whose last trim was two days ago: as generated, and with the cache files dated two days back
# (what they would be without the dating). Only the compile's layer of each is compared.
aged=$(( $(date +%s) - 172800 ))
dated='    find /gocache -exec touch -h -d @2147483647 {} +'
gen=$EXAMPLE/cmd/llm-processor/Dockerfile
grep -qxF "$dated" "$gen" || { echo "FAIL $gen does not date the deps cache (\"$dated\")" >&2; exit 1; }
awk -v line="$dated" -v aged="$aged" '$0 == line { print line " && echo " aged " > /gocache/trim.txt"; next } { print }' "$gen" > "$OUT/Dockerfile.gocache-generated"
awk -v line="$dated" -v aged="$aged" '$0 == line { print "    find /gocache -exec touch -h -d @" aged " {} + && echo " aged " > /gocache/trim.txt"; next } { print }' "$gen" > "$OUT/Dockerfile.gocache-undated"
layer_bytes() { docker history --human=false --format '{{.Size}}' "$1" | head -1; }
for v in generated undated; do
  docker buildx build --builder default --progress=plain --load --target builder -f "$OUT/Dockerfile.gocache-$v" -t "e2e-gocache-$v:$VERSION" "$EXAMPLE" > "$OUT/gocache-$v.log" 2>&1 ||
    { tail -30 "$OUT/gocache-$v.log" >&2; exit 1; }
done
generated=$(layer_bytes "e2e-gocache-generated:$VERSION"); undated=$(layer_bytes "e2e-gocache-undated:$VERSION")
docker rmi "e2e-gocache-generated:$VERSION" "e2e-gocache-undated:$VERSION" >/dev/null
if [ "$generated" -lt 8000000 ] && [ "$undated" -gt $((5 * generated)) ]; then
  echo "ok   the compile's layer on a two-day-old cache: $((generated / 1000)) kB as generated, $((undated / 1000)) kB with the cache files dated two days back"
else
  echo "FAIL the compile's layer on a two-day-old cache: $generated bytes as generated (expected < 8 MB), $undated bytes with the cache dated two days back (expected > 5x)" >&2; status=1
fi

step "examples/monorepo: CROSS_WHEELS names a requirement that has no wheel for the target, and suggests TARGET"
# shellcheck disable=SC2046
no_wheel() { # requirement, what the case shows
  cp "$MONO/ml/requirements.txt" "$OUT/requirements.txt.bak"
  echo "$1" >> "$MONO/ml/requirements.txt"
  if (cd "$MONO" && BUILDKIT_PROGRESS=plain make build-scorer PLATFORMS=linux/arm64 $(vars monorepo "$VERSION-nowheel")) > "$OUT/no-wheel-$1.log" 2>&1; then
    echo "FAIL the scorer built with $1 ($2)" >&2; status=1
  elif grep -q "CROSS_WHEELS installs wheels only: $1 has no wheel for linux/arm64 and cp311 tagged manylinux_2_36..manylinux_2_17, manylinux2014 for aarch64 .*PythonInstallStrategy.TARGET" "$OUT/no-wheel-$1.log"; then
    echo "ok   $2: $(grep -o "CROSS_WHEELS installs wheels only: $1 [^(]*" "$OUT/no-wheel-$1.log" | head -1)"
  else
    echo "FAIL the failed CROSS_WHEELS install ($2) did not name the requirement and the tags tried:" >&2; tail -20 "$OUT/no-wheel-$1.log" >&2; status=1
  fi
  cp "$OUT/requirements.txt.bak" "$MONO/ml/requirements.txt"
}
no_wheel ragcore "a requirement in no wheelhouse"
# the wheelhouse has simplejson tagged manylinux_2_40: newer than the base image's glibc 2.36
no_wheel simplejson "a wheel for a newer glibc (manylinux_2_40) than the base image's 2.36"

step "examples/monorepo: a code-only edit of the scorer ships a new application layer and reuses the venv's layer (scripts/e2e-python-layers.sh)"
E2E_OUT=$OUT VERSION=$VERSION REGISTRY=127.0.0.1:5000/e2e-layers bash "$ROOT/scripts/e2e-python-layers.sh" || status=1

step "examples/monorepo: make build-local loads every image for this machine; make run-scorer runs one"
(cd "$MONO" && make build-local BUILDX_DRIVER=docker VERSION="$VERSION-local" GO_NETRC="$LAB_GO_NETRC") > "$OUT/build-local.log" 2>&1 ||
  { tail -30 "$OUT/build-local.log" >&2; exit 1; }
for svc in gateway worker reporter scorer; do
  got=$(docker image inspect "registry.monorepo.internal/platform/$svc:$VERSION-local" --format '{{.Os}}/{{.Architecture}}' 2>&1) || got="missing ($got)"
  [ "$got" = linux/amd64 ] && echo "ok   build-local loaded $svc ($got)" || { echo "FAIL build-local: $svc is $got, expected linux/amd64" >&2; status=1; }
done
out=$(cd "$MONO" && make run-scorer BUILDX_DRIVER=docker VERSION="$VERSION-local" 2>&1 | tail -1)
[ "$out" = "scorer version=$VERSION-local machine=x86_64 native=markupsafe._speedups:x86_64,msgpack._cmsgpack:x86_64,psutil._psutil_linux:x86_64,psutil._psutil_posix:x86_64 home=writable" ] && echo "ok   make run-scorer: $out" ||
  { echo "FAIL make run-scorer printed: $out" >&2; status=1; }

# The native-runner path, as CI runs it: one job per platform (ci-push-platform), ci-merge (under the
# staging tag), then ci-publish (the public tags). It must give the same per-platform images as the
# one-machine build-multiarch above, digest for digest.
step "examples/nephoran: ci-push-platform for each platform, ci-merge, ci-publish, pushed to 127.0.0.1:5000/e2e-split-nephoran"
split_make() { (cd "$EXAMPLE" && BUILDKIT_PROGRESS=plain make "$@" BUILDX_DRIVER=docker REGISTRY=127.0.0.1:5000/e2e-split-nephoran VERSION="$VERSION" CACHE_REGISTRY=); }
split() {
  local ok=0
  retry_push "$OUT/split-step.log" split_make "$@" || ok=1
  cat "$OUT/split-step.log" >> "$OUT/split.log"
  [ "$ok" = 0 ] || { tail -30 "$OUT/split.log" >&2; exit 1; }
}
: > "$OUT/split.log"
split ci-push-platform PLATFORM=linux/amd64
split ci-push-platform PLATFORM=linux/arm64
split ci-merge
grep "^ci-merge: " "$OUT/split.log"
split ci-publish
grep "^ci-publish: " "$OUT/split.log"
node "$ROOT/scripts/repro-check.js" --spec "$EXAMPLE/e2e.json" --first 127.0.0.1:5000/e2e-nephoran --second 127.0.0.1:5000/e2e-split-nephoran --version "$VERSION" || status=1

# Signing what was pushed: a generated key pair, offline (no transparency log), then cosign verify of
# every index ci-merge recorded, and of one of its platform manifests (build-sign is recursive).
step "examples/nephoran: make build-sign with a generated key, then cosign verify every pushed image"
export COSIGN_PASSWORD=e2e-only
rm -f "$OUT/cosign.key" "$OUT/cosign.pub"
(cd "$OUT" && "$LAB_COSIGN" generate-key-pair >/dev/null 2>&1)
# Offline (no transparency log): scripts/lab.sh env says what that takes with the toolchain's cosign
# (cosign 3 refuses --tlog-upload=false alone, cosign 2.5 has no --use-signing-config).
echo "cosign of toolchain $LAB_TOOLCHAIN: COSIGN_FLAGS=$LAB_COSIGN_OFFLINE_FLAGS"
(cd "$EXAMPLE" && PATH="$(dirname "$LAB_COSIGN"):$PATH" make build-sign COSIGN_KEY="$OUT/cosign.key" COSIGN_FLAGS="$LAB_COSIGN_OFFLINE_FLAGS") > "$OUT/sign.log" 2>&1 ||
  { tail -30 "$OUT/sign.log" >&2; exit 1; }
for f in "$EXAMPLE"/.multiarch/digests/*; do
  ref=$(cat "$f")
  "$LAB_COSIGN" verify --key "$OUT/cosign.pub" --insecure-ignore-tlog "$ref" > "$OUT/verify-$(basename "$f").json" 2>"$OUT/verify-$(basename "$f").log" ||
    { echo "FAIL cosign verify $ref" >&2; cat "$OUT/verify-$(basename "$f").log" >&2; status=1; continue; }
  arm=$(docker buildx imagetools inspect "$ref" --format '{{range .Manifest.Manifests}}{{if eq .Platform.Architecture "arm64"}}{{.Digest}}{{end}}{{end}}')
  if [ -n "$arm" ]; then
    "$LAB_COSIGN" verify --key "$OUT/cosign.pub" --insecure-ignore-tlog "${ref%@*}@$arm" >/dev/null 2>&1 ||
      { echo "FAIL cosign verify of the arm64 manifest ${ref%@*}@$arm (build-sign is recursive)" >&2; status=1; continue; }
  fi
  echo "ok   cosign verified $ref${arm:+ and its arm64 manifest}"
done

# Reproducible images: a second cold build of the same commit, with every source file's time
# changed as a fresh clone would have it, pushed to another repository, must hold the same image
# for every service and platform.
for name in "${EXAMPLES[@]}"; do
  step "examples/$name: second cold build of the same commit, sources touched, pushed to 127.0.0.1:5000/e2e-repro-$name"
  sleep 1
  find "$ROOT/examples/$name" -name node_modules -prune -o -type f -exec touch {} +
  repro_cold() {
    cold
    (cd "$ROOT/examples/$1" && BUILDKIT_PROGRESS=plain make build-multiarch PUSH=true BUILDX_DRIVER=docker \
      REGISTRY="127.0.0.1:5000/e2e-repro-$1" VERSION="$VERSION" CACHE_REGISTRY= BAKE_FLAGS=--no-cache GO_NETRC="$LAB_GO_NETRC")
  }
  retry_push "$OUT/repro-$name.log" repro_cold "$name" || { tail -30 "$OUT/repro-$name.log" >&2; exit 1; }
  node "$ROOT/scripts/repro-check.js" --spec "$ROOT/examples/$name/e2e.json" --first "127.0.0.1:5000/e2e-$name" \
    --second "127.0.0.1:5000/e2e-repro-$name" --version "$VERSION" || status=1
done
step "done"
exit "$status"
