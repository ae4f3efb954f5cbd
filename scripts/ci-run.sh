#!/usr/bin/env bash
# The CI-run tier: run the CI the library generates for the examples, job by job, in the local lab.
#
#   scripts/ci-run.sh github [EXAMPLE|all] [EVENT|all]    (npx projen test:ci-run)
#   scripts/ci-run.sh gitlab [EXAMPLE|all] [EVENT...|all]  (test/ci-run/gitlab/run.sh: events mr, main, tag,
#     vulnerable, nocreds)
#     EXAMPLE: nephoran, monorepo; EVENT: pr, push, tag, vulnerable (a push to main with one service
#     marked vulnerable by the scanner stand-in); --cold: the jobs build with BAKE_FLAGS=--no-cache, as a
#     fresh runner's empty BuildKit would (the lab engine otherwise keeps its cache across jobs)
#
# Logs: .e2e/ci-run/<provider>/<example>/<event>/<run>/{logs/<job>.log,summary.txt}. Prints one line
# per assertion ("ok …" / "FAIL …") and "N passed, N failed"; exits non-zero when anything failed.
# Holds the lab's shared lock while it runs (scripts/lab.sh: only a toolchain switch takes it exclusively).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCK=${LAB_LOCK:-/var/tmp/projen-multiarch-lab.lock} # the lab lock scripts/lab.sh takes (LAB_LOCK)
PROVIDER=${1:-github}
shift || true

"$ROOT/scripts/lab.sh" status >/dev/null 2>&1 || echo "warning: scripts/lab.sh status reports the lab is not fully up" >&2
eval "$("$ROOT/scripts/lab.sh" env)"
export LAB_REGISTRY LAB_COSIGN DOCKER_HOST

flock -s -n "$LOCK" true || echo "waiting for the lab lock $LOCK (an engine switch holds it exclusively)" >&2

case "$PROVIDER" in
  github)
    exec flock -s "$LOCK" node -r "$ROOT/node_modules/ts-node/register/transpile-only" "$ROOT/test/ci-run/github/run.ts" "$@" ;;
  # gitlab-ci-local takes the lab's shared lock around each pipeline itself
  gitlab)
    exec bash "$ROOT/test/ci-run/gitlab/run.sh" "$@" ;;
  *) echo "usage: $0 github|gitlab [EXAMPLE|all] [EVENT|all]" >&2; exit 2 ;;
esac
