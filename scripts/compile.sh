#!/usr/bin/env bash
# The library's compile (npx projen compile: jsii, 6 s to a minute on 2 cores) for the scripts that pack
# it (scripts/example.sh, the e2e scripts), skipped while lib/ is current: the jsii assembly (.jsii),
# written last, is newer than every file and directory under src/ and than package.json. Prints what
# it did.
#   scripts/compile.sh [LOG]   (the compile's output goes to LOG; without it, its errors to stderr)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -f "$ROOT/.jsii" ] && [ -d "$ROOT/lib" ] && [ -z "$(find "$ROOT/src" "$ROOT/package.json" -newer "$ROOT/.jsii" -print -quit)" ]; then
  echo "lib/ is current (.jsii is newer than src/ and package.json): not compiled again"
  exit 0
fi
if [ -n "${1:-}" ]; then
  (cd "$ROOT" && npx projen compile) > "$1" 2>&1 || { tail -30 "$1" >&2; echo "npx projen compile failed (log: $1)" >&2; exit 1; }
else
  (cd "$ROOT" && npx projen compile) > /dev/null || { echo "npx projen compile failed" >&2; exit 1; }
fi
echo "compiled the library (npx projen compile)"
