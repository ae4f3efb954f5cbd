#!/bin/sh
# The script of the third kind of service that the lab builds (scripts/e2e-third-kind.sh): it says
# what it runs as and on, so the check can read it from both platforms' containers.
set -eu
home=read-only
if touch /usr/local/bin/.probe 2>/dev/null; then home=writable; fi
echo "greeter version=${APP_VERSION:-unset} machine=$(uname -m) user=$(id -u):$(id -g) bin=${home} args=$*"
