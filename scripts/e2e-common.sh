# shellcheck shell=bash
# What the e2e sub-scripts (scripts/e2e-*.sh, each runnable on its own) share; they source it:
#   . "$(dirname "${BASH_SOURCE[0]}")/e2e-common.sh"
# ROOT (the repository), OUT (logs: E2E_OUT, default .e2e), LOCK (the lab's lock file), say/fail/indent,
# lab_env (the lab's environment, or a clear failure when it is down) and pack_library.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${E2E_OUT:-$ROOT/.e2e}
# shellcheck disable=SC2034 # the scripts that source this file use it
LOCK=/var/tmp/projen-multiarch-lab.lock
mkdir -p "$OUT"

say() { printf '%s\n' "$*"; }
fail() { say "FAIL $*" >&2; exit 1; }
# indent <text>: the text, each line indented under a check's message
indent() { while IFS= read -r line; do say "     $line"; done <<< "$1"; }

# lab_env [hint]: fails unless the lab is up, then exports its environment (DOCKER_HOST, LAB_* images)
# shellcheck disable=SC2120 # the hint is optional
lab_env() {
  bash "$ROOT/scripts/lab.sh" status >/dev/null || fail "the lab is not up: run scripts/lab.sh up first${1:+ ($1)}"
  eval "$(bash "$ROOT/scripts/lab.sh" env)"
}

# pack_library <dir> <log name>: compiles the library unless lib/ is current (scripts/compile.sh; log in
# $OUT/<log name>-compile.log) and packs it into <dir>; prints the tarball's file name
pack_library() {
  mkdir -p "$1"
  bash "$ROOT/scripts/compile.sh" "$OUT/$2-compile.log" >&2 || fail "npx projen compile"
  (cd "$ROOT" && npm pack --silent --pack-destination "$1" | tail -1)
}

# consumer_package <dir> <name> <tarball, relative to dir>: a consumer's package.json, with the packed
# library and what runs its .projenrc.ts (projen as this repository has it, constructs, ts-node,
# typescript); install_consumer <dir> installs it
consumer_package() {
  local projen_version
  projen_version=$(node -p 'require(process.argv[1]).version' "$ROOT/node_modules/projen/package.json")
  cat > "$1/package.json" <<EOF
{
  "name": "$2",
  "private": true,
  "devDependencies": {
    "constructs": "^10.8.1",
    "projen": "$projen_version",
    "projen-multiarch": "file:./$3",
    "ts-node": "^10.9.2",
    "typescript": "^5.9.3"
  }
}
EOF
}
install_consumer() { (cd "$1" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null); }
