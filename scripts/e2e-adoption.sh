#!/usr/bin/env bash
# Adopting the library in a repository that already exists (issue #23). Writes a real-shaped
# repository (a Go module with three services, two of them on a shared Dockerfile, and a Python
# service with its context in its own directory) that has its own Makefile, docker-bake.hcl and
# root .dockerignore, installs the packed library there as a user would, and checks:
#   1. synthesis with the defaults is refused with the documented message, and writes nothing;
#   2. with `makefile: 'multiarch.mk'` and `bakeFile: 'multiarch.hcl'` it synthesizes (first run with
#      ts-node, then `npx projen`), and the repository's files stay byte-identical (sha256), also when
#      the defaults are tried again; its Makefile can `include multiarch.mk`;
#   3. in the lab: BuildKit reads each Dockerfile's generated ignore file (`<Dockerfile>.dockerignore`)
#      and not the context's `.dockerignore` (the team's, which here would exclude go.mod and the
#      Python app): a probe build of each target's context lists what reached it; then the Go services
#      are built for real for linux/amd64 and linux/arm64 with the generated files and pushed.
#
#   scripts/e2e-adoption.sh   (part 3 needs the lab: scripts/lab.sh up; LAB=0 skips it;
#                              scripts/e2e.sh runs this as a step)
# Environment: ADOPT_REGISTRY (default 127.0.0.1:5000/e2e-adopt), VERSION (default adopt-<time>),
# E2E_OUT (logs, default .e2e), LAB=0 (no lab part), KEEP=1 keeps the repository.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/e2e-common.sh"
REGISTRY=${ADOPT_REGISTRY:-127.0.0.1:5000/e2e-adopt}
VERSION=${VERSION:-adopt-$(date -u +%Y%m%d%H%M%S)}
REPO=$(mktemp -d "${TMPDIR:-/tmp}/pm-adopt-XXXXXX")
PROBE=$(mktemp -d "${TMPDIR:-/tmp}/pm-adopt-probe-XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$REPO" "$PROBE"' EXIT
status=0
check() { if [ "$1" = "$2" ]; then say "ok   $3: $1"; else say "FAIL $3: got \"$1\", expected \"$2\"" >&2; status=1; fi; }
# Compares two listings of "sha256  path" lines, and says how many lines are the same (or what differs).
same() {
  if [ "$1" = "$2" ]; then say "ok   $3: $(grep -c '' <<< "$1") files byte-identical"
  else say "FAIL $3 differ:" >&2; diff <(echo "$2") <(echo "$1") >&2 || true; status=1; fi
}

# The repository's own files: they must come through every synthesis byte for byte.
TEAM_FILES=(Makefile docker-bake.hcl .dockerignore services/rag/.dockerignore)
hashes() { (cd "$REPO" && sha256sum "${TEAM_FILES[@]}"); }
# Every file of the repository but its dependencies, with its hash: what a refused run must not touch.
tree_state() { (cd "$REPO" && find . -path ./node_modules -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum); }

write_repository() {
  mkdir -p "$REPO"/cmd/{api,worker,billing} "$REPO/services/rag"
  printf 'module example.org/shop\n\ngo 1.24\n' > "$REPO/go.mod"
  for s in api worker billing; do
    cat > "$REPO/cmd/$s/main.go" <<EOF
package main

import (
	"fmt"
	"runtime"
)

var version = "dev"

func main() { fmt.Printf("$s version=%s machine=%s\n", version, runtime.GOARCH) }
EOF
  done
  printf 'def app():\n    return "rag"\n' > "$REPO/services/rag/app.py"
  : > "$REPO/services/rag/requirements.txt"
  printf '# shop\n' > "$REPO/README.md"
  # secret-looking files that only the generated ignore files keep out of the build contexts
  printf 'not-a-real-key\n' > "$REPO/cmd/api/dev.key"
  printf 'not-a-real-key\n' > "$REPO/services/rag/dev.key"
  # the team's own files, none of them written by projen
  cat > "$REPO/Makefile" <<'EOF'
# The shop's own Makefile: tests, lint and release chores.
.PHONY: test lint
test:
	go test ./...
lint:
	go vet ./...
EOF
  cat > "$REPO/docker-bake.hcl" <<'EOF'
# The shop's own bake file, for a local image of the API.
target "api-local" {
  context    = "."
  dockerfile = "cmd/api/Dockerfile"
  tags       = ["shop/api:local"]
}
EOF
  # conflicting on purpose: a build that read these would lose go.mod, the Go sources and the app
  printf '# the team'"'"'s root .dockerignore\ngo.mod\ncmd\nREADME.md\n' > "$REPO/.dockerignore"
  printf '# the team'"'"'s ignore file of the Python service\napp.py\n' > "$REPO/services/rag/.dockerignore"
  cat > "$REPO/.projenrc.ts" <<EOF
import { Project, typescript } from 'projen';
import { GoService, MultiArchPipeline, PythonService } from 'projen-multiarch';

const project = new Project({ name: 'shop' });
new typescript.ProjenrcTs(project);
if (process.env.ADOPT_MODE !== 'defaults') {
  // the repository keeps its Makefile and bake file: the generated ones go beside them
  new MultiArchPipeline(project, { makefile: 'multiarch.mk', bakeFile: 'multiarch.hcl', dockerfileSyntax: '' });
}
const go = { builderImage: '${LAB_GOLANG_IMAGE:-127.0.0.1:5000/lab/golang:1.24}', runtimeImage: '${LAB_DISTROLESS_IMAGE:-127.0.0.1:5000/lab/distroless-static:nonroot}' };
new GoService(project, 'api', go);
new GoService(project, 'worker', { ...go, sharedDockerfile: true });
new GoService(project, 'billing', { ...go, sharedDockerfile: true });
new PythonService(project, 'rag', { directory: 'services/rag', baseImage: '${LAB_PYTHON_IMAGE:-127.0.0.1:5000/lab/python:3.11-slim}', command: ['python', 'app.py'] });
project.synth();
EOF
  consumer_package "$REPO" shop .packed/projen-multiarch.tgz
  (cd "$REPO" && git init -q && git add -A && git -c user.name=e2e -c user.email=e2e@localhost commit -qm "the shop, before projen-multiarch")
}

# The first run has no .projen/tasks.json for `npx projen` yet: .projenrc.ts runs with ts-node.
first_run() { (cd "$REPO" && ADOPT_MODE=$1 npx ts-node --skipProject -O '{"module":"commonjs","target":"es2022"}' .projenrc.ts); }
projen() { (cd "$REPO" && ADOPT_MODE=$1 npx projen); }

if [ "${LAB:-1}" != 0 ]; then
  lab_env "or LAB=0 for the synthesis checks only"
fi

say "-- pack the library, write a repository with its own Makefile, docker-bake.hcl and .dockerignore in $REPO"
tarball=$(pack_library "$REPO/.packed" adopt)
mv "$REPO/.packed/$tarball" "$REPO/.packed/projen-multiarch.tgz"
write_repository
install_consumer "$REPO"
before=$(hashes)
tree_before=$(tree_state)

say "-- 1. the defaults: refused before anything is written"
if first_run defaults > "$OUT/adopt-defaults.log" 2>&1; then fail "synthesis with the defaults succeeded (log: $OUT/adopt-defaults.log)"; fi
message=$(grep -o 'Makefile already exists and was not generated by projen.*' "$OUT/adopt-defaults.log" | head -1)
check "$message" "Makefile already exists and was not generated by projen: projen-multiarch does not overwrite it. Keep yours and give the pipeline another \"makefile\": new MultiArchPipeline(project, { makefile: 'multiarch.mk' }) before the first service, then add \"include multiarch.mk\" to your Makefile for its targets." "the refusal"
same "$(hashes)" "$before" "sha256 of the repository's files after the refused run"
same "$(tree_state)" "$tree_before" "every file of the repository after the refused run (nothing written)"

say "-- 2. makefile: 'multiarch.mk', bakeFile: 'multiarch.hcl': synthesized, the repository's files untouched"
first_run options > "$OUT/adopt-options.log" 2>&1 || { cat "$OUT/adopt-options.log" >&2; fail "synthesis with makefile and bakeFile"; }
same "$(hashes)" "$before" "sha256 of the repository's files after the first run"
generated=(multiarch.mk multiarch.hcl multiarch.sh cmd/api/Dockerfile cmd/api/Dockerfile.dockerignore Dockerfile Dockerfile.dockerignore
  services/rag/Dockerfile services/rag/Dockerfile.dockerignore)
missing=$(for f in "${generated[@]}"; do [ -f "$REPO/$f" ] || echo "$f"; done)
check "${missing:-none}" none "generated files missing"
ignore_files=$(cd "$REPO" && find . -path ./node_modules -prune -o -name '*dockerignore' -print | LC_ALL=C sort | tr '\n' ' ')
check "$ignore_files" "./.dockerignore ./Dockerfile.dockerignore ./cmd/api/Dockerfile.dockerignore ./services/rag/.dockerignore ./services/rag/Dockerfile.dockerignore " "ignore files (the team's two, one per generated Dockerfile)"
generated_hashes=$(cd "$REPO" && sha256sum "${generated[@]}")
projen options > "$OUT/adopt-projen.log" 2>&1 || { cat "$OUT/adopt-projen.log" >&2; fail "npx projen (second run)"; }
same "$(hashes)" "$before" "sha256 of the repository's files after npx projen"
same "$(cd "$REPO" && sha256sum "${generated[@]}")" "$generated_hashes" "the generated files after npx projen (unchanged)"
if projen defaults > "$OUT/adopt-projen-defaults.log" 2>&1; then fail "npx projen with the defaults succeeded (log: $OUT/adopt-projen-defaults.log)"; fi
grep -q 'Makefile already exists and was not generated by projen' "$OUT/adopt-projen-defaults.log" ||
  { cat "$OUT/adopt-projen-defaults.log" >&2; fail "npx projen with the defaults failed without the refusal"; }
same "$(hashes)" "$before" "sha256 of the repository's files after npx projen with the defaults (refused)"
same "$(cd "$REPO" && sha256sum "${generated[@]}")" "$generated_hashes" "the generated files after the refused npx projen (none deleted)"
# the team's Makefile with the include the refusal asks for: both sets of targets
printf 'include Makefile\ninclude multiarch.mk\n' > "$PROBE/with-include.mk"
targets=$( (cd "$REPO" && make -f "$PROBE/with-include.mk" -n test build-api 2>&1) | grep -c -e "go test" -e "bake" || true)
if [ "$targets" -ge 2 ]; then say "ok   a Makefile that includes multiarch.mk has the team's targets and the generated ones (make -n test build-api)"
else say "FAIL make -n test build-api with include multiarch.mk" >&2; status=1; fi

[ "${LAB:-1}" = 0 ] && { say "-- 3. skipped (LAB=0)"; exit "$status"; }

say "-- 3a. what reaches each build context: probe builds of each bake target, the Dockerfile replaced by 'COPY . /'"
mkdir -p "$PROBE/repo"
(cd "$REPO" && tar --exclude=./node_modules --exclude=./.git -cf - .) | (cd "$PROBE/repo" && tar -xf -)
targets_json=$(cd "$REPO" && flock -s "$LOCK" docker buildx bake -f multiarch.hcl --print 2>/dev/null)
for t in api worker billing rag; do
  ctx=$(node -p 'const t = JSON.parse(process.argv[1]).target[process.argv[2]]; t.context' "$targets_json" "$t")
  df=$(node -p 'const t = JSON.parse(process.argv[1]).target[process.argv[2]]; t.dockerfile' "$targets_json" "$t")
  printf 'FROM scratch\nCOPY . /\n' > "$PROBE/repo/$ctx/$df"
  rm -rf "$PROBE/out-$t"
  (cd "$PROBE/repo" && flock -s "$LOCK" docker buildx build --platform linux/amd64 --provenance=false \
    --output "type=local,dest=$PROBE/out-$t" -f "$ctx/$df" "$ctx") > "$OUT/adopt-probe-$t.log" 2>&1 ||
    { tail -20 "$OUT/adopt-probe-$t.log" >&2; fail "probe build of $t"; }
  say "     $t ($ctx, $df): $(cd "$PROBE/out-$t" && find . -type f | LC_ALL=C sort | tr '\n' ' ')"
done
# in: what the team's ignore files exclude (it would break the builds); out: what the generated ones do
contents() { (cd "$PROBE/out-$1" && find . -type f | sed 's#^\./##'); }
verdict() { # target, paths that must be in, paths that must be out (a pattern per word)
  local t=$1 in=$2 out=$3 wrong=""
  for p in $in; do contents "$t" | grep -qx "$p" || wrong="$wrong missing:$p"; done
  for p in $out; do if contents "$t" | grep -qE "^($p)"; then wrong="$wrong present:$p"; fi; done
  check "${wrong:-none}" none "$t's context: in [$in], out [$out]; wrong"
}
for t in api worker billing; do
  verdict "$t" "go.mod cmd/api/main.go cmd/worker/main.go README.md" "cmd/api/dev.key services/ multiarch\\. Dockerfile cmd/api/Dockerfile \\.dockerignore"
done
verdict rag "app.py requirements.txt" "dev.key Dockerfile \\.dockerignore"
# the control: without its generated ignore file, the same build reads the team's .dockerignore
rm "$PROBE/repo/cmd/api/Dockerfile.dockerignore"
(cd "$PROBE/repo" && flock -s "$LOCK" docker buildx build --platform linux/amd64 --provenance=false \
  --output "type=local,dest=$PROBE/out-control" -f cmd/api/Dockerfile .) > "$OUT/adopt-probe-control.log" 2>&1 ||
  { tail -20 "$OUT/adopt-probe-control.log" >&2; fail "control probe build"; }
verdict control "services/rag/dev.key multiarch.mk" "go.mod cmd/ README.md"

say "-- 3b. the Go services built for real with the generated files: make -f multiarch.mk build-api build-worker build-billing PUSH=true"
LOG=$OUT/adopt-build.log
SECONDS=0
(cd "$REPO" && BUILDKIT_PROGRESS=plain flock -s "$LOCK" make -f multiarch.mk build-api build-worker build-billing PUSH=true BUILDX_DRIVER=docker \
  REGISTRY="$REGISTRY" VERSION="$VERSION" CACHE_REGISTRY= BAKE_FLAGS=--no-cache) > "$LOG" 2>&1 ||
  { tail -40 "$LOG" >&2; fail "make -f multiarch.mk build-api build-worker build-billing (log: $LOG)"; }
say "ok   built and pushed in ${SECONDS}s (log: $LOG)"
grep -E 'transferring context' "$LOG" | sed 's/^/     /' | head -6 || true
for t in api worker billing; do
  platforms=$(flock -s "$LOCK" docker buildx imagetools inspect "$REGISTRY/$t:$VERSION" --format '{{range .Manifest.Manifests}}{{.Platform.OS}}/{{.Platform.Architecture}} {{end}}')
  check "$(tr ' ' '\n' <<< "$platforms" | grep -v unknown | grep . | sort | tr '\n' ' ')" "linux/amd64 linux/arm64 " "$REGISTRY/$t:$VERSION lists"
done
exit "$status"
