#!/usr/bin/env bash
# Inputs that changed since synthesis (issue #23): a Go service is synthesized in a temporary consumer
# repository (the packed library, a std-library-only module, offline), then go.mod gets a local
# `replace example.org/lib => ./lib` (and lib/go.mod) without `npx projen`. This script proves that
#   1. `make build-multiarch` stops at once, before any docker command, with the stale-inputs message
#      naming go.mod;
#   2. with the check bypassed (SKIP_INPUT_CHECK=true), the build fails at `go mod download` with a
#      message naming the replace that is missing from the build context (not the credentials);
#   3. after `npx projen` (the .projenrc.ts run again) the check passes and the build succeeds.
# Nothing is pushed (one platform, linux/amd64: the download runs on the build platform anyway).
#
#   scripts/e2e-stale-inputs.sh    (the lab must be up: scripts/lab.sh up; scripts/e2e.sh runs this as a step)
# Environment: E2E_OUT (logs, default .e2e), REGISTRY (default 127.0.0.1:5000/e2e-stale), KEEP=1 keeps the consumer.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/e2e-common.sh"
REGISTRY=${REGISTRY:-127.0.0.1:5000/e2e-stale}
MIRROR=127.0.0.1:5000/lab
CONSUMER=$(mktemp -d "${TMPDIR:-/tmp}/pm-stale-inputs-XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$CONSUMER"' EXIT

lab_env

say "-- pack the library, make a consumer with a Go service in $CONSUMER"
tarball=$(pack_library "$CONSUMER" stale)
mkdir -p "$CONSUMER/cmd/app"
printf 'module example.org/app\n\ngo 1.24\n' > "$CONSUMER/go.mod"
cat > "$CONSUMER/cmd/app/main.go" <<'EOF'
package main

import "fmt"

var version = "dev"

func main() { fmt.Println("app", version) }
EOF
cat > "$CONSUMER/.projenrc.ts" <<EOF
import { Project } from 'projen';
import { GoService, MultiArchPipeline, Platform } from 'projen-multiarch';

const project = new Project({ name: 'stale-inputs-consumer' });
new MultiArchPipeline(project, { platforms: [Platform.LINUX_AMD64], dockerfileSyntax: '' });
new GoService(project, 'app', { builderImage: '$MIRROR/golang:1.24', runtimeImage: '$MIRROR/distroless-static:nonroot' });
project.synth();
EOF
consumer_package "$CONSUMER" stale-inputs-consumer "$tarball"
install_consumer "$CONSUMER"
synth() { (cd "$CONSUMER" && npx ts-node --skipProject -O '{"module":"commonjs","target":"es2022"}' .projenrc.ts) > "$OUT/stale-synth-$1.log" 2>&1 ||
  { cat "$OUT/stale-synth-$1.log" >&2; fail "synthesis of the consumer ($1)"; }; }
synth first
(cd "$CONSUMER" && git init -q && git add -A && git -c user.name=e2e -c user.email=e2e@localhost commit -qm "stale inputs consumer")
say "ok   synthesized; the Dockerfile copies: $(grep '^COPY go.mod' "$CONSUMER/cmd/app/Dockerfile")"

say "-- go.mod gets a local replace (lib/go.mod), npx projen is not run again"
printf '\nrequire example.org/lib v0.0.0\n\nreplace example.org/lib => ./lib\n' >> "$CONSUMER/go.mod"
mkdir -p "$CONSUMER/lib"
printf 'module example.org/lib\n\ngo 1.24\n' > "$CONSUMER/lib/go.mod"
printf 'package lib\n' > "$CONSUMER/lib/lib.go"
build() { (cd "$CONSUMER" && BUILDKIT_PROGRESS=plain flock -s "$LOCK" make build-multiarch BUILDX_DRIVER=docker REGISTRY="$REGISTRY" CACHE_REGISTRY= "$@"); }

LOG=$OUT/stale-make.log
if build > "$LOG" 2>&1; then fail "make build-multiarch built with a go.mod changed since synthesis (log: $LOG)"; fi
grep -qx "go.mod changed since the files were generated: run npx projen (the generated files follow its go, toolchain and replace lines)" "$LOG" ||
  { cat "$LOG" >&2; fail "make did not stop with the stale-inputs message naming go.mod"; }
if grep -qE 'setup-buildx|docker buildx' "$LOG"; then cat "$LOG" >&2; fail "make ran docker before it stopped"; fi
say "ok   make build-multiarch stopped at once ($(grep -c '' "$LOG") lines of output, no docker command):"
sed 's/^/     /' "$LOG"

LOG=$OUT/stale-download.log
if build SKIP_INPUT_CHECK=true BAKE_FLAGS=--no-cache > "$LOG" 2>&1; then fail "the build with the stale Dockerfile succeeded (log: $LOG)"; fi
want='go.mod has "replace example.org/lib => ./lib", which is not in the build context copied before go mod download: run npx projen to regenerate'
# what the step printed (BuildKit shows each line as "#<step> <seconds> <text>"), not the command it echoes
printed() { grep -E '^#[0-9]+ [0-9]+\.[0-9]+ ' "$LOG" | cut -d ' ' -f 3-; }
printed | grep -qxF "$want (the Dockerfile copies only the go.mod files named when it was generated)" ||
  { tail -40 "$LOG" >&2; fail "the failed download did not name the missing replace (log: $LOG)"; }
if printed | grep -q 'private modules need credentials'; then fail "the failed download still blames credentials (log: $LOG)"; fi
say "ok   with SKIP_INPUT_CHECK=true the download fails and names the replace:"
{ head -1 "$LOG"; printed | grep -E 'reading lib/go.mod|go.mod has "replace'; } | sed 's/^/     /'

LOG=$OUT/stale-resynth.log
synth again
say "ok   npx projen again; the Dockerfile copies: $(grep -E '^COPY (go.mod|lib/)' "$CONSUMER/cmd/app/Dockerfile" | tr '\n' ' ')"
build BAKE_FLAGS=--no-cache > "$LOG" 2>&1 || { tail -40 "$LOG" >&2; fail "the build after npx projen (log: $LOG)"; }
say "ok   after npx projen, make build-multiarch passes the check and builds (log: $LOG)"
