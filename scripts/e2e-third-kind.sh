#!/usr/bin/env bash
# A third kind of service, built in the lab (issue #21): test/extension/script-service.ts defines
# ShellScriptService through the public extension seam (MultiArchService), outside src/. This script
# puts it in a temporary consumer repository that installs the packed library, as a third party
# would (its imports of ../../src become 'projen-multiarch'), synthesizes test/extension/lab-project.ts
# there, builds and pushes the image for linux/amd64 and linux/arm64 with the generated Makefile, and
# checks it independently: the pushed index lists both platforms, the image runs on both (arm64 under
# QEMU) as the numeric non-root user, and the kind's own build secret reached the build.
#
#   scripts/e2e-third-kind.sh    (the lab must be up: scripts/lab.sh up; scripts/e2e.sh runs this as a step)
# Environment: VERSION (default third-<time>), E2E_OUT (logs, default .e2e), KEEP=1 keeps the consumer.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/e2e-common.sh"
REGISTRY=127.0.0.1:5000/e2e-third
VERSION=${VERSION:-third-$(date -u +%Y%m%d%H%M%S)}
SERVICE=greeter
USER_ID=10001:10001
CONSUMER=$(mktemp -d "${TMPDIR:-/tmp}/pm-third-kind-XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$CONSUMER"' EXIT

lab_env

say "-- pack the library, make a consumer in $CONSUMER"
tarball=$(pack_library "$CONSUMER" third-kind)
mkdir -p "$CONSUMER/greeter"
for f in script-service.ts lab-project.ts; do
  sed "s#from '../../src';#from 'projen-multiarch';#" "$ROOT/test/extension/$f" > "$CONSUMER/$f"
  # the kind reaches the library through its public entry only: no other path into the repository
  if grep -nE "from '\.\./" "$CONSUMER/$f"; then fail "$f imports from the repository, not from the package"; fi
done
cp "$ROOT/test/extension/greeter/greet.sh" "$CONSUMER/greeter/greet.sh"
cat > "$CONSUMER/.projenrc.ts" <<'EOF'
import { Project } from 'projen';
import { addGreeter } from './lab-project';

const project = new Project({ name: 'third-kind-consumer' });
addGreeter(project);
project.synth();
EOF
consumer_package "$CONSUMER" third-kind-consumer "$tarball"
install_consumer "$CONSUMER"
(cd "$CONSUMER" && npx ts-node --skipProject -O '{"module":"commonjs","target":"es2022"}' .projenrc.ts) > "$OUT/third-kind-synth.log" 2>&1 ||
  { cat "$OUT/third-kind-synth.log" >&2; fail "synthesis of the consumer"; }
for f in Makefile docker-bake.hcl greeter/Dockerfile greeter/Dockerfile.dockerignore; do
  [ -f "$CONSUMER/$f" ] || fail "the consumer has no $f"
done
(cd "$CONSUMER" && git init -q && git add -A && git -c user.name=e2e -c user.email=e2e@localhost commit -qm "third kind consumer")
# the kind's build secret, inside the working directory (buildx >= 0.20 asks for an entitlement for a
# file outside it); *.key is in every Dockerfile's ignore file
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$CONSUMER/token.key"
say "ok   synthesized: $(grep -c '' "$CONSUMER/greeter/Dockerfile") Dockerfile lines, targets build-$SERVICE and run-$SERVICE in the Makefile"

say "-- make build-$SERVICE build-verify PUSH=true REGISTRY=$REGISTRY VERSION=$VERSION (linux/amd64, linux/arm64), under the shared lab lock"
LOG=$OUT/third-kind-build.log
SECONDS=0
(cd "$CONSUMER" && BUILDKIT_PROGRESS=plain flock -s "$LOCK" make "build-$SERVICE" build-verify PUSH=true BUILDX_DRIVER=docker \
  REGISTRY="$REGISTRY" VERSION="$VERSION" CACHE_REGISTRY= BAKE_FLAGS=--no-cache SCRIPT_TOKEN=token.key) > "$LOG" 2>&1 ||
  { tail -40 "$LOG" >&2; fail "make build-$SERVICE (log: $LOG)"; }
say "ok   built and pushed in ${SECONDS}s (log: $LOG)"
grep -E "^$SERVICE: |verify|pushed" "$LOG" | sed 's/^/     /' | head -10 || true
token_bytes=$(wc -c < "$CONSUMER/token.key" | tr -d ' ')
grep -q "SCRIPT_TOKEN given: $token_bytes bytes, not stored" "$LOG" ||
  fail "the build did not read SCRIPT_TOKEN as the build secret script_token (no \"SCRIPT_TOKEN given: $token_bytes bytes\" in $LOG)"
say "ok   the kind's own build secret reached the build: $(grep -o "SCRIPT_TOKEN given: [0-9]* bytes, not stored" "$LOG" | head -1)"

REF=$REGISTRY/$SERVICE:$VERSION
status=0
check() { if [ "$1" = "$2" ]; then say "ok   $3: $1"; else say "FAIL $3: got \"$1\", expected \"$2\"" >&2; status=1; fi; }
# the index and each platform's config, as the registry holds them
platforms=$(flock -s "$LOCK" docker buildx imagetools inspect "$REF" --format '{{range .Manifest.Manifests}}{{.Platform.OS}}/{{.Platform.Architecture}} {{end}}')
index=$(flock -s "$LOCK" docker buildx imagetools inspect "$REF" --format '{{json .Manifest}}')
say "     index $REF: $(node -p 'JSON.parse(process.argv[1]).digest' "$index")"
flock -s "$LOCK" docker buildx imagetools inspect "$REF" --format '{{range .Manifest.Manifests}}     {{.Platform.OS}}/{{.Platform.Architecture}} {{.Digest}}{{"\n"}}{{end}}'
check "$(tr ' ' '\n' <<< "$platforms" | grep -v unknown | grep . | sort | tr '\n' ' ')" "linux/amd64 linux/arm64 " "the pushed index lists"
for arch in amd64 arm64; do
  machine=$([ "$arch" = amd64 ] && echo x86_64 || echo aarch64)
  config=$(flock -s "$LOCK" docker buildx imagetools inspect "$REF" --format "{{json (index .Image \"linux/$arch\")}}")
  check "$(node -p 'const c = JSON.parse(process.argv[1]).config; [c.User, JSON.stringify(c.Entrypoint), c.Labels["org.opencontainers.image.version"], c.Labels["build.platform"]].join(" ")' "$config")" \
    "$USER_ID [\"/usr/local/bin/$SERVICE\"] $VERSION linux/$arch" "linux/$arch image config (User, Entrypoint, version and platform labels)"
  got=$(flock -s "$LOCK" docker run --rm --pull always --platform "linux/$arch" "$REF" 2>"$OUT/third-kind-run-$arch.log") ||
    { cat "$OUT/third-kind-run-$arch.log" >&2; got="(docker run failed)"; }
  check "$got" "$SERVICE version=$VERSION machine=$machine user=$USER_ID bin=read-only args=hello lab" "docker run --platform linux/$arch"
done
# the token file never reached an image: the prepare stage read it from a secret mount only
leaked=$(flock -s "$LOCK" docker run --rm --platform linux/amd64 --entrypoint /bin/sh "$REF" -c "grep -rlF '$(cat "$CONSUMER/token.key")' /usr /etc /tmp 2>/dev/null || true")
check "${leaked:-none}" none "files of the image that hold the token"
exit "$status"
