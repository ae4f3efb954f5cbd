#!/usr/bin/env bash
# The generated GitLab pipeline, run for real in the lab (issue #20 item 3).
#
#   test/ci-run/gitlab/run.sh [<example>|all] [<event>...|all]     e.g. run.sh nephoran mr
#     <example>  a directory under examples/ with a generated .gitlab-ci.yml (nephoran, monorepo), or all
#                (the default)
#     <event>    mr (or pr)  a merge request pipeline (unprotected, no registry credentials)
#                main (push) a push to main (protected)
#                tag         a tag v1.2.3 (protected)
#                vulnerable  the tag pipeline with one service (GL_VULNERABLE, default: the
#                            first) marked vulnerable for the scanner
#                nocreds     the push to main with GitLab's job credentials only, for a registry
#                            that is not GitLab's: the push job must stop with a clear message
#                all         mr main tag vulnerable nocreds (the default)
#
# Each event is a whole pipeline run by gitlab-ci-local 4.62.0 with the shell executor forced, in a
# throwaway git repository made from the example's tracked and generated files (a fixed commit
# date, so every event builds the same commit). What cannot run offline is stood in for: the table
# is lib/stand-ins.sh, printed at the start of each run. Then the assertions of lib/assert.sh: one
# "ok"/"FAIL" line each, a final "N passed, N failed", exit 1 on any failure.
# Logs: .e2e/ci-run/gitlab/<example>/<run>/ (pipeline.log, jobs' output, shims.log, assertions).
#
# Environment:
#   GL_BUILDX_DRIVER   BUILDX_DRIVER as a project CI/CD variable for the events that push (main,
#                      tag, vulnerable, nocreds), e.g. "docker". Default: none, the pipeline's own
#                      (docker-container), on the stand-in builder (a docker-driver builder of that name).
#   GL_VULNERABLE      the service the "vulnerable" event's scanner reports (default: the first)
#   GL_LAB_SH          the lab script whose `env` gives the engine and the client toolchain
#                      (default: this repository's scripts/lab.sh)
# Nothing is deleted from the registry: each run pushes under 127.0.0.1:5000/ci-gl-<time>-<example>-<event>.
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${GL_ROOT:-$(cd "$HERE/../../.." && pwd)}
LOCK=${LAB_LOCK:-/var/tmp/projen-multiarch-lab.lock} # the lab lock scripts/lab.sh takes (LAB_LOCK)
GCL=$ROOT/node_modules/.bin/gitlab-ci-local
# lib/*.js read YAML with the repository's own dependencies
export NODE_PATH=$ROOT/node_modules
# shellcheck source=lib/stand-ins.sh
source "$HERE/lib/stand-ins.sh"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }
case "${1:-}" in -h | --help) usage ;; esac
NAME=${1:-all}
shift || true
[ $# -gt 0 ] || set -- all
if [ "$NAME" = all ]; then
  rc=0
  for n in nephoran monorepo; do "${BASH_SOURCE[0]}" "$n" "$@" || rc=1; done
  exit $rc
fi
EXAMPLE=$ROOT/examples/$NAME
[ -f "$EXAMPLE/.gitlab-ci.yml" ] || { echo "examples/$NAME has no .gitlab-ci.yml (run: bash scripts/example.sh synth $NAME)" >&2; exit 2; }
EVENTS=()
for e in "$@"; do
  case "$e" in
    all) EVENTS+=(mr main tag vulnerable nocreds) ;;
    mr | main | tag | vulnerable | nocreds) EVENTS+=("$e") ;;
    pr) EVENTS+=(mr) ;;     # the GitHub runner's names (scripts/ci-run.sh)
    push) EVENTS+=(main) ;;
    *) usage ;;
  esac
done
for tool in rsync jq curl git make; do
  command -v "$tool" >/dev/null || { echo "the CI run needs $tool (apt-get install $tool)" >&2; exit 2; }
done
[ -x "$GCL" ] || { echo "gitlab-ci-local is missing: npm ci" >&2; exit 2; }

# The lab: its engine is what the dind stand-in serves; its registry stands in for the real one.
eval "$(bash "${GL_LAB_SH:-$ROOT/scripts/lab.sh}" env)"
LAB_DOCKER_HOST=$DOCKER_HOST
LAB_DOCKER_CONFIG=${DOCKER_CONFIG:-}
REAL_DOCKER=$(command -v docker)
"$REAL_DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1 || { echo "the lab engine does not answer at $DOCKER_HOST: is the lab up (scripts/lab.sh status)?" >&2; exit 2; }
curl -fsS "http://$LAB_REGISTRY/v2/" >/dev/null || { echo "the lab registry does not answer at $LAB_REGISTRY" >&2; exit 2; }
# The jobs get neither: a job has the daemon its services give it, and its own ~/.docker (bin/docker).
unset DOCKER_HOST BUILDX_BUILDER DOCKER_CONFIG

STAMP=$(date -u +%Y%m%d%H%M%S)
OUT=$ROOT/.e2e/ci-run/gitlab/$NAME/$STAMP
mkdir -p "$OUT"
exec > >(tee "$OUT/summary.log") 2>&1
SECONDS=0
step() { printf '\n== [%4ss] %s\n' "$SECONDS" "$*"; }

# The commit every event builds: same files, same author and date, so the same SHA.
COMMIT_DATE=2026-01-02T03:04:05Z
TAG=v1.2.3

# make_repo <dir>: a git repository of the example's tracked and generated files
make_repo() {
  local dir=$1 f
  mkdir -p "$dir"
  {
    git -C "$ROOT" ls-files "examples/$NAME" | sed "s|^examples/$NAME/||"
    jq -r '.files[]' "$EXAMPLE/.projen/files.json"
  } | sort -u | while IFS= read -r f; do [ -e "$EXAMPLE/$f" ] && printf '%s\n' "$f"; done > "$dir.files"
  rsync -a --files-from="$dir.files" "$EXAMPLE/" "$dir/"
  # examples/monorepo's scorer installs from a wheelhouse that scripts/wheelhouse.sh writes (ignored
  # in the example; the e2e tier writes it, and so does this run when it is missing, as the GitHub
  # run does); the pipeline's checkout needs it committed
  if [ "$NAME" = monorepo ] && [ ! -d "$EXAMPLE/ml/wheels" ]; then
    bash "$ROOT/scripts/wheelhouse.sh" "$EXAMPLE/ml/wheels" > "$dir.wheelhouse.log" 2>&1 \
      || { echo "scripts/wheelhouse.sh $EXAMPLE/ml/wheels failed: see $dir.wheelhouse.log" >&2; exit 1; }
  fi
  if [ -d "$EXAMPLE/ml/wheels" ]; then rsync -a "$EXAMPLE/ml/wheels/" "$dir/ml/wheels/"; fi
  (
    cd "$dir"
    git init -q -b main
    git config user.name "CI run"
    git config user.email "ci-run@example.invalid"
    git add -A
    git add -f ml/wheels 2>/dev/null || true
    GIT_AUTHOR_DATE=$COMMIT_DATE GIT_COMMITTER_DATE=$COMMIT_DATE git commit -q -m "examples/$NAME"
    git remote add origin "https://gitlab.example.com/thc1006/$NAME.git"
    git update-ref refs/remotes/origin/main HEAD
    git symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
    echo /.gitlab-ci-local/ >> .git/info/exclude
  )
}

# The services, from the bake file's default group
services() { sed -n '/^group "default"/,/^}/s/.*targets *= *\[\(.*\)\].*/\1/p' "$EXAMPLE/docker-bake.hcl" | tr -d '" ' | tr ',' '\n'; }
mapfile -t SERVICES < <(services)
# The jobs of a protected pipeline: push by digest, scan, sign, then publish the tags (issue #20 defect 8)
PROTECTED_JOBS=(push security sign publish)
# Where CI cannot push by digest (the docker driver), it pushes under a staging tag until the
# publish job tags it (Makefile STAGING_TAG, default unpublished-<VCS_REF>): not a public tag.
STAGING='^unpublished-'

PLATFORMS=(linux/amd64 linux/arm64)

# Offline signing: no transparency log. A cosign that knows signing configs (3 uses them by default,
# and then refuses --tlog-upload=false alone) also needs --use-signing-config=false.
# scripts/lab.sh env says which (LAB_COSIGN_OFFLINE_FLAGS); an older lab.sh does not, then ask cosign.
COSIGN_FLAGS=${LAB_COSIGN_OFFLINE_FLAGS:-}
if [ -z "$COSIGN_FLAGS" ]; then
  COSIGN_FLAGS=--tlog-upload=false
  if "$LAB_COSIGN" sign --help 2>&1 | grep -q -- --use-signing-config; then COSIGN_FLAGS="$COSIGN_FLAGS --use-signing-config=false"; fi
fi

# run_event <event>: one pipeline run and its assertions
run_event() {
  local event=$1 run dir repo registry vars=() sha short rc=0
  run=ci-gl-$STAMP-$NAME-$event
  dir=$OUT/$event
  repo=$dir/repo
  registry=$LAB_REGISTRY/$run
  mkdir -p "$dir/state" "$dir/keys" "$dir/gcl-home"
  step "$NAME $event: throwaway repository, keys"
  make_repo "$repo"
  sha=$(git -C "$repo" rev-parse HEAD)
  short=${sha:0:7}
  COSIGN_PASSWORD=ci-run "$LAB_COSIGN" generate-key-pair --output-key-prefix "$dir/keys/cosign" >/dev/null 2>&1

  # project CI/CD variables: the lab's registry instead of the real one (the pipeline file is not edited)
  vars+=(--variable "REGISTRY=$registry" --variable "REGISTRY_HOST=$LAB_REGISTRY" --variable "CACHE_REGISTRY=$registry/cache")
  # the lab's private Go module proxy (examples/monorepo): a File variable, as GitLab gives one
  vars+=(--variable "GO_NETRC=$LAB_GO_NETRC")
  case "$event" in
    mr)
      git -C "$repo" checkout -q -b feature/ci-run
      vars+=(--variable CI_PIPELINE_SOURCE=merge_request_event --variable CI_MERGE_REQUEST_IID=20
        --variable CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=feature/ci-run --variable CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main
        --variable CI_COMMIT_REF_NAME=feature/ci-run --variable CI_COMMIT_REF_SLUG=feature-ci-run
        --variable CI_COMMIT_REF_PROTECTED=false --unset-variable CI_COMMIT_BRANCH)
      ;;
    main | nocreds)
      vars+=(--variable CI_PIPELINE_SOURCE=push --variable CI_COMMIT_BRANCH=main --variable CI_COMMIT_REF_NAME=main
        --variable CI_COMMIT_REF_SLUG=main --variable CI_COMMIT_REF_PROTECTED=true)
      ;;
    tag | vulnerable)
      GIT_COMMITTER_DATE=$COMMIT_DATE git -C "$repo" tag -a "$TAG" -m "$TAG"
      git -C "$repo" checkout -q --detach "$TAG"
      vars+=(--variable CI_PIPELINE_SOURCE=push --variable "CI_COMMIT_TAG=$TAG" --variable "CI_COMMIT_REF_NAME=$TAG"
        --variable "CI_COMMIT_REF_SLUG=$(echo "$TAG" | tr -c 'a-z0-9\n' '-')" --variable CI_COMMIT_REF_PROTECTED=true
        --unset-variable CI_COMMIT_BRANCH)
      ;;
  esac
  if [ "$event" != mr ]; then
    # GitLab's job credentials, and the registry's own (masked project variables): dummies, the lab
    # registry has no authentication
    vars+=(--variable CI_REGISTRY_USER=gitlab-ci-token --variable CI_REGISTRY_PASSWORD=ci-run-dummy-password)
    [ "$event" = nocreds ] || vars+=(--variable REGISTRY_USER=ci-run --variable REGISTRY_PASSWORD=ci-run-dummy-password)
    vars+=(--variable "COSIGN_KEY=$dir/keys/cosign.key" --variable COSIGN_PASSWORD=ci-run --variable "COSIGN_FLAGS=$COSIGN_FLAGS")
    [ -z "${GL_BUILDX_DRIVER:-}" ] || vars+=(--variable "BUILDX_DRIVER=$GL_BUILDX_DRIVER")
  fi
  local vulnerable=''
  [ "$event" != vulnerable ] || vulnerable=${GL_VULNERABLE:-${SERVICES[0]}}

  print_stand_ins > "$dir/stand-ins.txt"
  printf '%s\n' "${vars[@]}" | paste - - > "$dir/variables.txt"
  echo "commit $sha; registry $registry; variables: $dir/variables.txt${vulnerable:+; the scanner reports $vulnerable}"
  echo "BUILDX_DRIVER project variable: ${GL_BUILDX_DRIVER:-none} (the pipeline says $(sed -n 's/^  BUILDX_DRIVER: *//p' "$repo/.gitlab-ci.yml"))"

  # gitlab-ci-local takes the working directory only as a relative --cwd: it runs in the repository
  local gcl=("$GCL" --home "$dir/gcl-home" --force-shell-executor --shell-isolation
    --container-executable "$HERE/bin/gcl-engine" --privileged --timestamps --no-color "${vars[@]}")
  local env=(env PATH="$HERE/bin:$PATH" GLR_STATE="$dir/state" GLR_LAB_DOCKER_HOST="$LAB_DOCKER_HOST" GLR_LAB_DOCKER_CONFIG="$LAB_DOCKER_CONFIG" GLR_LAB_REGISTRY="$LAB_REGISTRY"
    GLR_REAL_DOCKER="$REAL_DOCKER" GLR_COSIGN="$LAB_COSIGN" GLR_VULNERABLE="$vulnerable")
  (cd "$repo" && "${env[@]}" "${gcl[@]}" --preview) 2> "$dir/preview.err" | node "$HERE/lib/jobs-json.js" > "$dir/state/jobs.json"

  step "$NAME $event: gitlab-ci-local (the whole pipeline)"
  local t0=$SECONDS
  (cd "$repo" && flock -s "$LOCK" "${env[@]}" "${gcl[@]}") > "$dir/pipeline.log" 2>&1 || rc=$?
  echo "gitlab-ci-local exited $rc after $((SECONDS - t0)) s (log: $dir/pipeline.log; job logs: $repo/.gitlab-ci-local/output/)"
  sed -e 's/\x1b\[[0-9;]*m//g' "$dir/pipeline.log" | grep -E '^ *(PASS|FAIL|WARN) ' || true

  step "$NAME $event: assertions"
  local svc ref
  case "$event" in
    mr)
      expect_jobs "$dir/pipeline.log" build:PASS
      no_repositories "$run"
      ;;
    main | tag)
      expect_jobs "$dir/pipeline.log" "${PROTECTED_JOBS[@]/%/:PASS}"
      local version tags
      if [ "$event" = main ]; then tags=(main "sha-$short"); else tags=(1.2.3 1.2 "sha-$short" latest); fi
      # What the push job pushed, per service: its digest from the job's artifact
      # (.multiarch/digests/<service>, what security, sign and publish act on), else a tag
      declare -A pushed=()
      for svc in "${SERVICES[@]}"; do
        ref=$registry/$svc@$(sed 's/.*@//' "$repo/.gitlab-ci-local/artifacts/push/.multiarch/digests/$svc" 2>/dev/null || true)
        [[ $ref == *@sha256:* ]] || ref=$registry/$svc:$(reg_tags "$run/$svc" | head -1 || true)
        pushed[$svc]=$ref
      done
      # the tags GitHub publishes for the same event, each on the pushed (scanned, signed) index
      for svc in "${SERVICES[@]}"; do expect_tags "$run/$svc" "${pushed[$svc]#*@}" "${tags[@]}"; done
      echo "     (GitHub publishes ${tags[*]} for this event; GitLab published: $(reg_tags "$run/${SERVICES[0]}" | grep -v '^sha256-' | tr '\n' ' '))"
      # the reference: the one-machine build of the same commit, with the version the pipeline built
      version=$(reg_config "$registry/${SERVICES[0]}@$(reg_platform_digest "${pushed[${SERVICES[0]}]}" linux/amd64 || true)" 2>/dev/null |
        jq -r '.config.Labels["org.opencontainers.image.version"] // empty' || true)
      if [ -z "$version" ]; then
        fail "one-machine reference build: the pipeline pushed no image to compare with"
      else
        reference_build "$dir" "$repo" "$run-ref" "$version" "$sha"
        for svc in "${SERVICES[@]}"; do
          same_platform_digests "${pushed[$svc]}" "$LAB_REGISTRY/$run-ref/$svc:$version" "${PLATFORMS[@]}"
        done
      fi
      for svc in "${SERVICES[@]}"; do
        if [[ ${pushed[$svc]} == *: ]]; then fail "$svc: the push job pushed nothing to check (labels, signatures, SBOMs)"; continue; fi
        names_service "${pushed[$svc]}" "$svc" "${PLATFORMS[@]}"
        signed "${pushed[$svc]}" "$dir/keys/cosign.pub"
        sbom_attested "${pushed[$svc]}" "$dir/keys/cosign.pub" "${PLATFORMS[@]}"
      done
      ;;
    nocreds)
      # GitLab's job token is for GitLab's registry (CI_REGISTRY, here local-registry.gitlab.example.com)
      expect_jobs "$dir/pipeline.log" push:FAIL
      # the job's output, not the echoed command (gitlab-ci-local logs commands as "$ ...")
      local said
      said=$(grep -v '^\$ ' "$repo/.gitlab-ci-local/output/push.log" 2>/dev/null | grep -m1 "is not this GitLab's registry" || true)
      if [ -n "$said" ]; then
        ok "push stops before logging in: $said"
      else
        fail "push stops before logging in to a registry that is not GitLab's, saying which variables to set" "it ended with: $(tail -3 "$repo/.gitlab-ci-local/output/push.log" 2>/dev/null | tr '\n' ' ')"
      fi
      no_repositories "$run"
      ;;
    vulnerable)
      expect_jobs "$dir/pipeline.log" push:PASS security:FAIL
      # and it failed because the scanner found the vulnerability, not for another reason
      if grep -q "discovered vulnerabilities at or above the severity threshold" "$repo/.gitlab-ci-local/output/security.log" 2>/dev/null; then
        ok "security failed on the scanner's finding in $vulnerable"
      else
        fail "security failed on the scanner's finding in $vulnerable" "it ended before: $(tail -2 "$repo/.gitlab-ci-local/output/security.log" 2>/dev/null | tr '\n' ' ')"
      fi
      for svc in "${SERVICES[@]}"; do no_tags "$run/$svc" "$STAGING"; done
      ;;
  esac
}

# reference_build <dir> <source repo> <registry path> <version> <sha>: `make build-multiarch` on one
# machine (the docker driver), from a clean clone of the same commit
reference_build() {
  local dir=$1 src=$2 path=$3 version=$4 sha=$5 t0=$SECONDS
  git clone -q "$src" "$dir/reference"
  git -C "$dir/reference" checkout -q --detach "$sha"
  if [ -d "$src/ml/wheels" ]; then :; fi
  local build=(make build-multiarch PUSH=true BUILDX_DRIVER=docker REGISTRY="$LAB_REGISTRY/$path" VERSION="$version" VCS_REF="$sha" CACHE_REGISTRY= GO_NETRC="$LAB_GO_NETRC")
  # the lab registry (distribution 2.8) now and then answers a HEAD that races a tag write with a
  # 500: that, and only that, is built again (scripts/e2e.sh's retry_push does the same)
  if (cd "$dir/reference" && export DOCKER_HOST=$LAB_DOCKER_HOST && { [ -z "$LAB_DOCKER_CONFIG" ] || export DOCKER_CONFIG=$LAB_DOCKER_CONFIG; } && \
    { flock -s "$LOCK" "${build[@]}" > "$dir/reference.log" 2>&1 || { grep -q '127.0.0.1:5000.*500 Internal Server Error' "$dir/reference.log" && \
      mv "$dir/reference.log" "$dir/reference.log.flake" && echo "note: the lab registry answered 500 Internal Server Error (see $dir/reference.log.flake); building again" && \
      flock -s "$LOCK" "${build[@]}" > "$dir/reference.log" 2>&1; }; }); then
    ok "one-machine make build-multiarch PUSH=true BUILDX_DRIVER=docker VERSION=$version VCS_REF=${sha:0:12} ($((SECONDS - t0)) s)"
  else
    fail "one-machine make build-multiarch (VERSION=$version)" "$(tail -5 "$dir/reference.log")"
  fi
}

# shellcheck source=lib/assert.sh
source "$HERE/lib/assert.sh"
echo "projen-multiarch CI run: GitLab, examples/$NAME, events: ${EVENTS[*]} (logs: $OUT)"
lab_docker() { DOCKER_HOST=$LAB_DOCKER_HOST DOCKER_CONFIG=${LAB_DOCKER_CONFIG:-$HOME/.docker} "$REAL_DOCKER" "$@"; }
echo "toolchain: ${LAB_TOOLCHAIN:-?}: docker $(lab_docker version --format '{{.Client.Version}} (engine {{.Server.Version}})'), $(lab_docker buildx version | cut -d' ' -f1,2), cosign $("$LAB_COSIGN" version 2>&1 | sed -n 's/^GitVersion: *//p') ($LAB_COSIGN; flags $COSIGN_FLAGS), gitlab-ci-local $("$GCL" --version)"
print_stand_ins
step "$NAME: static checks of .gitlab-ci.yml (what the lab cannot show by running it)"
json_results < <(node "$HERE/lib/static.js" "$EXAMPLE/.gitlab-ci.yml")
for event in "${EVENTS[@]}"; do run_event "$event"; done

step "done"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
