#!/usr/bin/env bash
# Checks of the GitLab CI run's stand-ins themselves (no engine, no registry needed): that each
# refuses what the real thing refuses, so a green pipeline run means something.
#   test/ci-run/gitlab/selftest.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/assert.sh
source "$HERE/lib/assert.sh"

state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
echo '{"build": {"image": "docker:28.5.2-cli", "services": [{"name": "docker:28.5.2-dind", "alias": "docker"}]},
       "security": {"image": "alpine:3.22.2", "services": []}}' > "$state/jobs.json"
REAL_DOCKER=$(command -v docker)
export GLR_STATE=$state GLR_REAL_DOCKER=$REAL_DOCKER GLR_LAB_DOCKER_HOST=unix:///nonexistent.sock GLR_COSIGN=/bin/false
job() { env -u DOCKER_HOST -u DOCKER_CONFIG CI_JOB_NAME="$1" CI_JOB_ID="$2" PATH="$HERE/bin:$PATH" "${@:3}"; }
refuses() { ! "$@" >/dev/null 2>&1; }

check "apk add refuses an unknown package, as apk does" refuses job security 1 apk add --no-cache make no-such-package
check "apk add of an unknown package installs nothing" refuses job security 1 make --version
check "make is missing in alpine until apk adds it" refuses job security 2 make --version
job security 2 apk add --no-cache make bash git docker-cli >/dev/null
check "make runs once apk added it" job security 2 make --version
check "syft is missing where apk did not add it" refuses job security 2 syft scan
out=$(job security 2 env DOCKER_HOST=tcp://docker:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=/certs/client docker version 2>&1 || true)
if grep -q "/certs/client/ca.pem" <<<"$out"; then ok "no dind service + TLS variables: the real CLI fails to load /certs/client (defect 2's failure)"
else fail "no dind service + TLS variables: the real CLI fails to load /certs/client" "$out"; fi
# gitlab-ci-local starting the build job's service, as bin/gcl-engine sees it
job build 3 "$HERE/bin/gcl-engine" create --interactive -e CI_JOB_ID=3 -e CI_JOB_NAME=build -e DOCKER_TLS_CERTDIR=/certs \
  --network n --network-alias docker docker:28.5.2-dind >/dev/null
check "gcl-engine records the dind service and its alias" grep -qx 'alias docker' "$state/services/3"
out=$(job build 3 env DOCKER_HOST=tcp://docker:2375 docker version 2>&1 || true)
if grep -q "do not reach it" <<<"$out"; then ok "dind with TLS: a client on tcp://docker:2375 without TLS is refused"
else fail "dind with TLS: a client on tcp://docker:2375 without TLS is refused" "$out"; fi
check "gcl-engine refuses a service image it has no stand-in for" refuses job build 4 "$HERE/bin/gcl-engine" create -e CI_JOB_ID=4 postgres:16
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
