# shellcheck shell=bash
# Sourced by the shims in bin/: who is calling (which job of which run), and what that job's image
# and services are. The runner (run.sh) exports GLR_STATE (this run's state directory),
# GLR_LAB_DOCKER_HOST and the real tools' paths; gitlab-ci-local gives every job CI_JOB_NAME and
# CI_JOB_ID (a number drawn per job).
set -euo pipefail

: "${GLR_STATE:?the GitLab CI-run shims run only under test/ci-run/gitlab/run.sh}"

glr_job_dir() {
  local d="$GLR_STATE/jobs/${CI_JOB_NAME:-no-job}-${CI_JOB_ID:-0}"
  mkdir -p "$d"
  echo "$d"
}

# The job's image, from `gitlab-ci-local --preview` (extends and defaults applied), via jobs.json.
glr_job_image() {
  "$GLR_JQ" -r --arg j "${CI_JOB_NAME:-}" '.[$j].image // ""' "$GLR_STATE/jobs.json"
}

# The host's jq, for the stand-ins themselves (bin/jq, first on a job's PATH, is gated like make).
GLR_JQ=/usr/bin/jq

# What an image ships, as Alpine package names (what `apk add` would otherwise have to install):
# the docker:<version>-cli images (docker-library/docker) hold the CLI with the buildx and compose
# plugins on Alpine; alpine:<version> holds none of the tools.
glr_image_packages() {
  case "$1" in
    docker:*) echo "docker-cli docker-cli-buildx docker-cli-compose" ;;
    *) echo "" ;;
  esac
}

# glr_require <package> <command>: refuse, as a missing command does in the image, unless the job's
# image ships the package or the job's apk add installed it.
glr_require() {
  local pkg=$1 cmd=$2 image installed
  # gitlab-ci-local itself (git ls-files, rsync) runs outside any job: the host's tools
  [ -n "${CI_JOB_NAME:-}" ] || return 0
  image=$(glr_job_image)
  installed=
  [ ! -f "$(glr_job_dir)/apk-installed" ] || installed=$(tr '\n' ' ' < "$(glr_job_dir)/apk-installed")
  case " $(glr_image_packages "$image") $installed " in
    *" $pkg "*) return 0 ;;
  esac
  echo "/bin/sh: $cmd: not found   [ci-run stand-in: job ${CI_JOB_NAME:-?} (image ${image:-none}) has no package $pkg: its image does not ship it and apk add did not name it]" >&2
  exit 127
}

glr_log() { echo "[$(date -u +%H:%M:%S)] ${CI_JOB_NAME:-?}: $*" >> "$GLR_STATE/shims.log"; }
