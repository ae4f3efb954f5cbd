#!/usr/bin/env bash
# Runtime options in the lab (issue #23): a Go server that needs a config file and an argument to
# start (test/runtime-options/configserver, standard library only), declared with GoService's
# `args` (serve <config>), `env` (GREETING, a value full of `$`, quotes and a backslash), `files`
# (config/app.json at /etc/configserver/config.json) and `healthcheck` (its own binary: the
# distroless runtime has no shell or curl). This script puts the server in a temporary git
# repository with a fixed commit, synthesizes test/runtime-options/lab-project.ts there, builds and
# pushes linux/amd64 and linux/arm64 with the generated Makefile (cold: --no-cache), and checks:
#   - each platform's image config: the entrypoint, the args as CMD, the literal GREETING, the probe;
#   - each platform runs (arm64 under QEMU) and answers curl on a loopback port with the config
#     file's message, GREETING as given, the config read-only with the constant file time, and
#     Docker reports it healthy through the exec-form probe;
#   - a second cold build of the same commit, every file touched in between, pushed to another
#     repository, gives the same per-platform digests.
#
#   scripts/e2e-runtime-options.sh   (the lab must be up: scripts/lab.sh up; scripts/e2e.sh runs this as a step)
# Environment: RUNTIME_OPTIONS_REGISTRY (default 127.0.0.1:5000/e2e-runtime-options; the second build pushes to
# $REGISTRY-repro), VERSION (default runtime-<time>), E2E_OUT (logs, default .e2e), KEEP=1 keeps the consumer.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/e2e-common.sh"
REGISTRY=${RUNTIME_OPTIONS_REGISTRY:-127.0.0.1:5000/e2e-runtime-options}
VERSION=${VERSION:-runtime-$(date -u +%Y%m%d%H%M%S)}
SERVICE=configserver
USER_ID=10001
CONSUMER=$(mktemp -d "${TMPDIR:-/tmp}/pm-runtime-options-XXXXXX")
CONTAINERS=()
# shellcheck disable=SC2317 # the EXIT trap calls it
cleanup() {
  for c in "${CONTAINERS[@]}"; do flock -s "$LOCK" docker rm -f "$c" >/dev/null 2>&1 || true; done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$CONSUMER"
}
trap cleanup EXIT

lab_env

say "-- a consumer repository in $CONSUMER: test/runtime-options/configserver, synthesized from test/runtime-options/lab-project.ts"
cp -R "$ROOT/test/runtime-options/configserver/." "$CONSUMER/"
cat > "$CONSUMER/.projenrc.ts" <<EOF
import * as fs from 'fs';
import { Project } from 'projen';
import { addConfigServer, CONFIG_PATH, GREETING } from '$ROOT/test/runtime-options/lab-project';

const project = new Project({ name: 'runtime-options-consumer' });
addConfigServer(project, process.env.REGISTRY);
project.synth();
fs.writeFileSync(process.env.EXPECT_FILE!, JSON.stringify({ GREETING, CONFIG_PATH }));
EOF
EXPECT=$OUT/runtime-options-expect.json
(cd "$CONSUMER" && REGISTRY=$REGISTRY EXPECT_FILE=$EXPECT PROJEN_DISABLE_POST=true NODE_PATH="$ROOT/node_modules" \
  "$ROOT/node_modules/.bin/ts-node" --skipProject --transpile-only -O '{"module":"commonjs","target":"es2022","ignoreDeprecations":"6.0"}' .projenrc.ts) \
  > "$OUT/runtime-options-synth.log" 2>&1 || { cat "$OUT/runtime-options-synth.log" >&2; fail "synthesis of the consumer"; }
for f in Makefile docker-bake.hcl cmd/$SERVICE/Dockerfile cmd/$SERVICE/Dockerfile.dockerignore; do
  [ -f "$CONSUMER/$f" ] || fail "the consumer has no $f"
done
GREETING=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).GREETING' "$EXPECT")
CONFIG_PATH=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).CONFIG_PATH' "$EXPECT")
# a fixed commit: the same VCS_REF and SOURCE_DATE_EPOCH on every run
(cd "$CONSUMER" && git init -q && git add -A &&
  GIT_AUTHOR_DATE=2026-12-01T00:00:00Z GIT_COMMITTER_DATE=2026-12-01T00:00:00Z git -c user.name=e2e -c user.email=e2e@localhost commit -qm "configserver")
say "ok   synthesized; commit $(git -C "$CONSUMER" rev-parse --short HEAD); the runtime stage:"
sed -n '/^FROM 127.0.0.1:5000\/lab\/distroless/,$p' "$CONSUMER/cmd/$SERVICE/Dockerfile" | grep -vE '^(ARG|LABEL|    )' | sed 's/^/     /'

# build <registry> <log>: make build-configserver, pushed, cold (--no-cache), under the shared lab lock
build() {
  (cd "$CONSUMER" && BUILDKIT_PROGRESS=plain flock -s "$LOCK" make "build-$SERVICE" PUSH=true BUILDX_DRIVER=docker \
    REGISTRY="$1" VERSION="$VERSION" CACHE_REGISTRY= BAKE_FLAGS=--no-cache) > "$2" 2>&1 ||
    { tail -40 "$2" >&2; fail "make build-$SERVICE REGISTRY=$1 (log: $2)"; }
}
# digests <ref>: "os/arch digest" per platform of the pushed index (attestation manifests left out)
digests() {
  flock -s "$LOCK" docker buildx imagetools inspect "$1" --format '{{range .Manifest.Manifests}}{{.Platform.OS}}/{{.Platform.Architecture}} {{.Digest}}{{"\n"}}{{end}}' |
    grep -v '^unknown' | grep . | sort
}

say "-- make build-$SERVICE PUSH=true REGISTRY=$REGISTRY VERSION=$VERSION BAKE_FLAGS=--no-cache (linux/amd64, linux/arm64)"
SECONDS=0
build "$REGISTRY" "$OUT/runtime-options-build.log"
say "ok   built and pushed in ${SECONDS}s (log: $OUT/runtime-options-build.log)"
REF=$REGISTRY/$SERVICE:$VERSION
REPOSITORY=${REGISTRY#*/}/$SERVICE
FIRST=$(digests "$REF")
indent "$FIRST"

status=0
check() { if [ "$1" = "$2" ]; then say "ok   $3: $1"; else say "FAIL $3: got \"$1\", expected \"$2\"" >&2; status=1; fi; }
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

for arch in amd64 arm64; do
  say "-- linux/$arch"
  config=$(flock -s "$LOCK" docker buildx imagetools inspect "$REF" --format "{{json (index .Image \"linux/$arch\")}}")
  check "$(node -p 'const c = JSON.parse(process.argv[1]).config; JSON.stringify([c.Entrypoint, c.Cmd, c.User])' "$config")" \
    "[[\"/usr/local/bin/$SERVICE\"],[\"serve\",\"$CONFIG_PATH\"],\"$USER_ID:$USER_ID\"]" "image config: entrypoint, args as CMD, user"
  check "$(node -p 'JSON.parse(process.argv[1]).config.Env.find(e => e.startsWith("GREETING=")).slice(9)' "$config")" "$GREETING" "image config: GREETING, literally"
  # HEALTHCHECK is Docker's extension of the image config, which the OCI view above leaves out: read the config blob
  manifest=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$LAB_REGISTRY/v2/$REPOSITORY/manifests/$(grep "^linux/$arch " <<< "$FIRST" | cut -d' ' -f2)")
  blob=$(curl -fsS "http://$LAB_REGISTRY/v2/$REPOSITORY/blobs/$(node -p 'JSON.parse(process.argv[1]).config.digest' "$manifest")")
  check "$(node -p 'JSON.stringify(JSON.parse(process.argv[1]).config.Healthcheck)' "$blob")" \
    "{\"Test\":[\"CMD\",\"/usr/local/bin/$SERVICE\",\"health\",\"$CONFIG_PATH\"],\"Interval\":2000000000,\"Timeout\":2000000000,\"StartPeriod\":1000000000,\"Retries\":3}" \
    "image config: the exec-form probe"
  port=$(free_port)
  cid=$(flock -s "$LOCK" docker run -d --pull always --platform "linux/$arch" -p "127.0.0.1:$port:8080" "$REF" 2>"$OUT/runtime-options-run-$arch.log") ||
    { cat "$OUT/runtime-options-run-$arch.log" >&2; fail "docker run --platform linux/$arch $REF"; }
  CONTAINERS+=("$cid")
  got=""
  for _ in $(seq 1 60); do
    got=$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null) && break
    sleep 1
  done
  check "$got" "message=hello from the config file greeting=$GREETING version=$VERSION arch=$arch uid=$USER_ID config=$CONFIG_PATH mode=-r--r--r-- writable=no mtime=0" \
    "curl 127.0.0.1:$port (linux/$arch)"
  health=""
  for _ in $(seq 1 60); do
    health=$(flock -s "$LOCK" docker inspect -f '{{.State.Health.Status}}' "$cid")
    [ "$health" = starting ] || break
    sleep 1
  done
  check "$health" healthy "docker's health status of the linux/$arch container (probe: $SERVICE health)"
  [ "$got" != "" ] || flock -s "$LOCK" docker logs "$cid" >&2 || true
  flock -s "$LOCK" docker rm -f "$cid" >/dev/null
done

say "-- the same commit again, cold, every file touched, pushed to $REGISTRY-repro"
sleep 1
find "$CONSUMER" -path "$CONSUMER/.git" -prune -o -type f -exec touch {} +
SECONDS=0
build "$REGISTRY-repro" "$OUT/runtime-options-repro.log"
SECOND=$(digests "$REGISTRY-repro/$SERVICE:$VERSION")
say "ok   built and pushed in ${SECONDS}s"
indent "$SECOND"
check "$(grep -c . <<< "$FIRST")" 2 "platforms in the index"
check "$(tr '\n' ' ' <<< "$SECOND")" "$(tr '\n' ' ' <<< "$FIRST")" "per-platform digests of the two cold builds"
exit "$status"
