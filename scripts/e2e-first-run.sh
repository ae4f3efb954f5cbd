#!/usr/bin/env bash
# A first run anywhere (issue #23): the packed library as a newcomer meets it, no Docker needed.
#   1. an empty directory:  npx projen@<v> new --from <tarball>, then npx projen;
#   2. an existing Go repository (go.mod, cmd/api, cmd/worker, its own Makefile, docker-bake.hcl,
#      .gitignore and root .dockerignore, no package.json): the same two commands; the first
#      .projenrc.ts declares both services and writes multiarch.mk, and the four files of the
#      repository's own stay byte-identical;
#   3. the manual path of the README: npm install --save-dev, a hand-written .projenrc.ts, a first
#      npx ts-node -O '{"module":"commonjs"}' .projenrc.ts, then npx projen.
# 1 runs as a CI job does (CI=true: projen installs with `npm ci`, except while there is no
# package-lock.json), 2 and 3 as at a terminal (CI unset). Each synthesis must write the Makefile (or multiarch.mk), the bake file and every Dockerfile, and
# `make help` (`make multiarch-help` through the team's Makefile) must list the services. <v> is the projen of this repository's devDependencies.
#
#   scripts/e2e-first-run.sh [TARBALL]   (default: compile and pack this repository)
# Environment: E2E_OUT (logs, default .e2e), KEEP=1 keeps the directories. Needs the npm registry.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/e2e-common.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-first-run-XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
ok() { say "ok   $*"; }
PROJEN=$(node -p "require('$ROOT/node_modules/projen/package.json').version")

if [ $# -ge 1 ]; then
  TARBALL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  say "-- compile and pack the library"
  TARBALL=$WORK/pack/$(pack_library "$WORK/pack" first-run)
fi
[ -f "$TARBALL" ] || fail "no tarball at $TARBALL"
say "-- node $(node --version), npm $(npm --version), projen $PROJEN, $TARBALL"

# run <dir> <log> <command...>: the command in <dir>, its output in $OUT/<log>; fails with its tail
run() {
  local dir=$1 log=$OUT/$2; shift 2
  (cd "$dir" && "$@") > "$log" 2>&1 || { tail -n 30 "$log" >&2; fail "in $dir: $* (log: $log)"; }
}
# expect_files <dir> <file...>
expect_files() {
  local dir=$1; shift
  for f in "$@"; do [ -f "$dir/$f" ] || fail "$dir/$f was not written"; done
  ok "$(basename "$dir"): $*"
}
# expect_help <dir> <target> <service...>: `make <target>` lists each service's build target
expect_help() {
  local dir=$1 target=$2 help; shift 2
  help=$(make -C "$dir" "$target") || fail "make $target failed in $dir"
  for s in "$@"; do grep -q "build-$s " <<<"$help" || fail "make $target in $dir does not list build-$s"; done
  ok "$(basename "$dir"): make $target lists build-$*"
}

say "-- 1. an empty directory, as a CI job (CI=true)"
EMPTY=$WORK/empty && mkdir -p "$EMPTY"
run "$EMPTY" first-run-empty-new.log env CI=true npx -y "projen@$PROJEN" new --from "$TARBALL" --no-git
expect_files "$EMPTY" .projenrc.ts package.json package-lock.json tsconfig.projen.json node_modules/.bin/ts-node
grep -q "new GoService(project, 'api', { port: 8080 });" "$EMPTY/.projenrc.ts" || fail "the sample service is missing from $EMPTY/.projenrc.ts"
run "$EMPTY" first-run-empty-synth.log env CI=true npx projen
expect_files "$EMPTY" Makefile docker-bake.hcl multiarch.sh cmd/api/Dockerfile
expect_help "$EMPTY" help api

unset CI

say "-- 2. an existing Go repository with its own Makefile, bake file, .gitignore and .dockerignore"
REPO=$WORK/shop && mkdir -p "$REPO/cmd/api" "$REPO/cmd/worker" "$REPO/internal/store"
printf 'module example.com/shop\n\ngo 1.24\n' > "$REPO/go.mod"
for s in api worker; do
  printf 'package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() { fmt.Println("%s", version) }\n' "$s" > "$REPO/cmd/$s/main.go"
done
printf 'package store\n' > "$REPO/internal/store/store.go"
printf '.PHONY: test lint\n\ntest:\n\tgo test ./...\n\nlint:\n\tgo vet ./...\n' > "$REPO/Makefile"
printf 'target "default" {\n  context = "."\n  tags = ["shop:dev"]\n}\n' > "$REPO/docker-bake.hcl"
printf '/bin/\n*.out\n' > "$REPO/.gitignore"
printf '.git\n/bin/\n*.out\n' > "$REPO/.dockerignore"
OWN=(Makefile docker-bake.hcl .gitignore .dockerignore)
(cd "$REPO" && sha256sum "${OWN[@]}") > "$WORK/own.sha256"
run "$REPO" first-run-repo-new.log npx -y "projen@$PROJEN" new --from "$TARBALL" --no-git
for line in "new GoService(project, 'api');" "new GoService(project, 'worker');" "makefile: 'multiarch.mk'," "//   include multiarch.mk" "bakeFile: 'docker-bake.multiarch.hcl',"; do
  grep -qF "$line" "$REPO/.projenrc.ts" || { cat "$REPO/.projenrc.ts" >&2; fail "$REPO/.projenrc.ts lacks: $line"; }
done
[ "$(grep -c 'new GoService(' "$REPO/.projenrc.ts")" = 2 ] || fail "$REPO/.projenrc.ts should declare exactly two services"
ok "shop: .projenrc.ts declares api and worker, multiarch.mk and docker-bake.multiarch.hcl"
grep -q '.gitignore was not written by projen: it stays as it is. Add to it: /node_modules/' "$OUT/first-run-repo-new.log" ||
  fail "projen new did not say what to add to the repository's .gitignore"
run "$REPO" first-run-repo-synth.log npx projen
expect_files "$REPO" multiarch.mk docker-bake.multiarch.hcl multiarch.sh cmd/api/Dockerfile cmd/worker/Dockerfile
(cd "$REPO" && sha256sum -c --quiet "$WORK/own.sha256") || fail "the repository's own ${OWN[*]} changed"
ok "shop: ${OWN[*]} are byte-identical"
# what the .projenrc.ts comment asks for: the team's Makefile includes the generated one
printf '\ninclude multiarch.mk\n' >> "$REPO/Makefile"
expect_help "$REPO" multiarch-help api worker
own_test=$(make -C "$REPO" -n test) || fail "make test (the team's own target) fails after the include"
grep -qF 'go test ./...' <<<"$own_test" || fail "the team's own test target changed after the include"

say "-- 3. the README's manual path"
MANUAL=$WORK/manual && mkdir -p "$MANUAL/cmd/api"
printf 'module example.com/manual\n\ngo 1.24\n' > "$MANUAL/go.mod"
printf 'package main\n\nvar version = "dev"\n\nfunc main() { println(version) }\n' > "$MANUAL/cmd/api/main.go"
run "$MANUAL" first-run-manual-install.log npm install --save-dev --no-audit --no-fund "projen@$PROJEN" constructs@^10 ts-node@^10 typescript@^6 "$TARBALL"
cat > "$MANUAL/.projenrc.ts" <<'EOF'
import { GoService, MultiArchPipeline, MultiArchProject } from 'projen-multiarch';

const project = new MultiArchProject({ name: 'manual' });
new MultiArchPipeline(project, { registry: 'ghcr.io/example' });
new GoService(project, 'api', { port: 8080 });

project.synth();
EOF
# the first run writes tsconfig.projen.json and the tasks; until then ts-node needs to be told CommonJS
run "$MANUAL" first-run-manual-bootstrap.log npx ts-node -O '{"module":"commonjs"}' .projenrc.ts
run "$MANUAL" first-run-manual-synth.log npx projen
expect_files "$MANUAL" Makefile docker-bake.hcl cmd/api/Dockerfile .projen/tasks.json
grep -q '"projen-multiarch": "file:' "$MANUAL/package.json" || fail "the manual path's package.json lost projen-multiarch"
expect_help "$MANUAL" help api

say "first run: all checks passed"
