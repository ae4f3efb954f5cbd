#!/usr/bin/env bash
# Local multi-architecture Docker build lab (see the shared docs: build-lab.md).
#
#   scripts/lab.sh up [--toolchain current|oldest]
#                                 install what is missing, start dockerd (of that toolchain) + registry,
#                                 build base images; switches the engine when another toolchain runs.
#                                 Without --toolchain: the running engine's toolchain, else current.
#   scripts/lab.sh install [--toolchain NAME]  only download and unpack toolchains (all by default)
#   scripts/lab.sh down [--purge] stop what `up` started (by pid); --purge also deletes $LAB_DIR
#   scripts/lab.sh status         say what is running (and its toolchain's versions); exit 0 when the lab is fully up
#   scripts/lab.sh env            print exports for: eval "$(scripts/lab.sh env)" (the running toolchain's
#                                 docker, buildx and cosign first: PATH, DOCKER_CONFIG, LAB_COSIGN, LAB_TOOLCHAIN,
#                                 LAB_COSIGN_OFFLINE_FLAGS: what signs offline with that cosign)
#   scripts/lab.sh cgo            (optional, lab up) add lab/golang-cgo:1.24 for amd64+arm64 with gcc (slow: arm64 under QEMU)
#
# Toolchains (README.md, "Supported toolchain"): current = Debian unstable's docker 28.5, containerd 2.1,
# buildx 0.29, cosign 3.1; oldest = Debian 13's docker 26.1, containerd 1.7, buildx 0.13, cosign 2.5.
# Each is unpacked from its .debs under $LAB_DIR/toolchains/NAME (the system's packages are not
# touched) and keeps its own dockerd data root under $LAB_DIR/engines/NAME. Starting, switching and
# stopping the engine take the lock $LAB_LOCK (default $LAB_DIR.lock) exclusively; users of the lab
# hold it shared (flock -s).
# Environment: LAB_DIR (default /var/tmp/projen-multiarch-lab), LAB_REGISTRY_PORT (default 5000),
# LAB_GOPROXY_MODULES (default examples/monorepo/.lab-modules of this repository), LAB_LOCK,
# LAB_LOCK_WAIT (seconds, default 3600).
# Everything lives under $LAB_DIR: toolchains, dockerd data/exec roots and socket, registry storage,
# cached root filesystems, logs and pid files. Only Debian's mirror is needed (no Docker Hub).
# Base images (in the lab registry): lab/golang:1.24, lab/distroless-static:nonroot,
# lab/python:3.11-slim -- see the variables below and `scripts/lab.sh env`.
# A private Go module proxy with basic auth (container lab-goproxy, scripts/lab-goproxy.py) serves
# the modules under $LAB_GOPROXY_MODULES on the docker0 gateway, pinned with "bip" so that committed
# files can name it: https://172.17.0.1 (port 443) for the go command, and http://172.17.0.1:3000.
# RUN steps of builds reach it there, and nothing outside the host does. Credentials: lab / lab-secret,
# also as a netrc file ($LAB_GO_NETRC in `env`), for use as a build secret. The go command sends
# credentials over HTTPS only, and matches a netrc "machine" without a port only on port 443; the
# certificate is signed by a lab CA ($LAB_GOPROXY_CA) that lab/golang:1.24 trusts.
set -euo pipefail
shopt -s inherit_errexit

# --------------------------------------------------------------------------------------------
# Settings, image names and packages (defined once, here)
# --------------------------------------------------------------------------------------------
LAB_DIR=${LAB_DIR:-/var/tmp/projen-multiarch-lab}
LAB_REGISTRY_PORT=${LAB_REGISTRY_PORT:-5000}
LAB_REGISTRY=127.0.0.1:${LAB_REGISTRY_PORT}

GO_VERSION=1.24
GO_SUITE=trixie
PYTHON_VERSION=3.11
PYTHON_SUITE=bookworm

GOLANG_IMAGE=${LAB_REGISTRY}/lab/golang:${GO_VERSION}
GOLANG_PLATFORMS=(linux/amd64)
DISTROLESS_IMAGE=${LAB_REGISTRY}/lab/distroless-static:nonroot
DISTROLESS_PLATFORMS=(linux/amd64 linux/arm64)
PYTHON_IMAGE=${LAB_REGISTRY}/lab/python:${PYTHON_VERSION}-slim
PYTHON_ARCHES=(amd64 arm64) # pushed as ${PYTHON_IMAGE}-<arch>, joined into ${PYTHON_IMAGE}

GOLANG_PACKAGES=golang-${GO_VERSION}-go,ca-certificates,git,upx-ucl
PYTHON_PACKAGES=python3,python3-venv,python3-pip,python-is-python3,ca-certificates
# Optional (scripts/lab.sh cgo): a Go toolchain with gcc for both platforms, for cgo builds on the
# target platform and for the emulated baseline of `npm run bench`. Not built by `up`.
GOLANG_CGO_IMAGE=${LAB_REGISTRY}/lab/golang-cgo:${GO_VERSION}
GOLANG_CGO_ARCHES=(amd64 arm64)
GOLANG_CGO_PACKAGES=golang-${GO_VERSION}-go,gcc,libc6-dev,ca-certificates

# arch-test: mmdebstrap needs it for foreign architectures (a Recommends of mmdebstrap, named here
# because the install below skips Recommends). runc and tini (/usr/bin/tini-static) serve every
# toolchain: the runc of Debian 13 and unstable needs glibc 2.38, and this machine has 2.36.
# rsync: gitlab-ci-local (the GitLab CI run, test/ci-run/gitlab) copies each job's files and artifacts with it.
# jq: the generated Makefile's helper script (multiarch.sh) reads bake's and buildx's JSON with it.
# shellcheck: npm test lints that script with it (.ci/run runs npm test after lab up).
BOOKWORM_PACKAGES=(qemu-user-static binfmt-support docker-registry mmdebstrap arch-test iptables runc tini openssl rsync jq shellcheck)
SYSTEM_RUNC=/usr/sbin/runc
SYSTEM_TINI_STATIC=/usr/bin/tini-static

# Toolchains: the Docker engine, CLI, buildx and cosign the lab runs. Each is downloaded from its
# Debian suite with a private apt list and unpacked side by side under $LAB_DIR/toolchains/NAME
# (nothing is installed system-wide); the engine and every command run from there through PATH.
# `up --toolchain NAME` switches. README.md's "Supported toolchain" states exactly these versions:
# `up` refuses a suite that now has another upstream version (test it, then update both).
TOOLCHAINS=(current oldest)
DEFAULT_TOOLCHAIN=current
declare -A TOOLCHAIN_SUITE=([current]=sid [oldest]=trixie)
# "package=upstream version" (the Debian revision may differ)
declare -A TOOLCHAIN_PACKAGES=(
  [current]='docker.io=28.5.2 docker-cli=28.5.2 containerd=2.1.9 docker-buildx=0.29.1 cosign=3.1.1 tini-static=0.19.0'
  [oldest]='docker.io=26.1.5 docker-cli=26.1.5 containerd=1.7.24 docker-buildx=0.13.1 cosign=2.5.0'
)
# what goes on PATH (toolchains/NAME/bin): from the unpacked packages, or the system's runc
TOOLCHAIN_COMMANDS=(docker dockerd docker-proxy docker-init containerd containerd-shim-runc-v2 ctr cosign)
TOOLCHAINS_DIR=${LAB_DIR}/toolchains
# The toolchain of the running engine is read from the path of its dockerd; LAB_TOOLCHAIN (exported
# by `env`) or --toolchain picks one for `up`.
# The docker CLI names the docker-driver builder after its context; with DOCKER_HOST set the
# context is "default".
LAB_BUILDER=default
BINFMT_HANDLERS=(qemu-aarch64) # add e.g. qemu-arm to build linux/arm/v7 too
DOCKER_BRIDGE=docker0 # dockerd's default bridge; builds reach the mirror through its NAT
DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# docker0's address, pinned (daemon.json "bip"): the lab's private Go module proxy listens there.
DOCKER_BRIDGE_GATEWAY=172.17.0.1
DOCKER_BRIDGE_CIDR=${DOCKER_BRIDGE_GATEWAY}/16

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GOPROXY_NAME=lab-goproxy
GOPROXY_PORT=3000       # plain HTTP: curl, and the 401 check (the go command sends no credentials over HTTP)
GOPROXY_HTTPS_PORT=443  # the go command: a netrc "machine 172.17.0.1" only matches the default port
LAB_GOPROXY=https://${DOCKER_BRIDGE_GATEWAY}
LAB_GOPROXY_HTTP=http://${DOCKER_BRIDGE_GATEWAY}:${GOPROXY_PORT}
GOPROXY_USER=lab
GOPROXY_PASSWORD=lab-secret
GOPROXY_SCRIPT=${LAB_ROOT}/scripts/lab-goproxy.py
LAB_GOPROXY_MODULES=${LAB_GOPROXY_MODULES:-${LAB_ROOT}/examples/monorepo/.lab-modules}

DOCKER_SOCK=${LAB_DIR}/docker.sock
DOCKERD_PID=${LAB_DIR}/dockerd.pid
DOCKERD_LOG=${LAB_DIR}/dockerd.log
REGISTRY_CONFIG=${LAB_DIR}/registry.yml
REGISTRY_PID=${LAB_DIR}/registry.pid
REGISTRY_LOG=${LAB_DIR}/registry.log
CACHE_DIR=${LAB_DIR}/cache
LOG_DIR=${LAB_DIR}/logs
WORK_DIR=${LAB_DIR}/work
APT_DIR=${LAB_DIR}/apt # apt lists of other suites: ${APT_DIR}/<suite>
LAB_MARKER=${LAB_DIR}/.projen-multiarch-lab # `down --purge` deletes only a directory that has it
# the lab's lock (the same file the shared lab protocol names): `up` takes it exclusively when it
# starts or switches the engine, `down` always; users of the lab hold it shared
LAB_LOCK=${LAB_LOCK:-${LAB_DIR}.lock}
LAB_LOCK_WAIT=${LAB_LOCK_WAIT:-3600} # seconds
GOPROXY_CID=${LAB_DIR}/goproxy.cid          # id of the lab-goproxy container
GOPROXY_AUTH=${LAB_DIR}/goproxy.auth        # "user:password", mounted into the container
LAB_GO_NETRC=${LAB_DIR}/goproxy.netrc       # the same credentials for the go command (a build secret)
LAB_GOPROXY_CA=${LAB_DIR}/goproxy-ca.crt    # the lab CA: signs the proxy's certificate; lab/golang trusts it
GOPROXY_CA_KEY=${LAB_DIR}/goproxy-ca.key
GOPROXY_TLS_CERT=${LAB_DIR}/goproxy-tls.crt # the proxy's certificate, for IP ${DOCKER_BRIDGE_GATEWAY}
GOPROXY_TLS_KEY=${LAB_DIR}/goproxy-tls.key

# The lab's own engine, whatever the caller's environment says.
export DOCKER_HOST=unix://${DOCKER_SOCK}
unset DOCKER_CONTEXT
# the caller's PATH without any toolchain's bin/ (use_toolchain puts one first)
CALLER_PATH=''
IFS=: read -ra _path_dirs <<<"$PATH"
for _d in "${_path_dirs[@]}"; do
  [[ $_d == "$TOOLCHAINS_DIR"/*/bin ]] || CALLER_PATH+=${CALLER_PATH:+:}$_d
done
unset _d _path_dirs
export DEBIAN_FRONTEND=noninteractive

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
now_ms() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((t / 1000)); }
fmt_ms() { printf '%d.%ds' $(($1 / 1000)) $(($1 % 1000 / 100)); }
log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() {
  printf '[lab %(%H:%M:%S)T] ERROR: %s\n' -1 "$*" >&2
  exit 1
}

STEP_NAME=''
STEP_T0=0
step() {
  STEP_NAME=$1
  STEP_T0=$(now_ms)
  log "==> ${STEP_NAME}"
}
step_done() {
  log "<== ${STEP_NAME}: ${1:-done} ($(fmt_ms $(($(now_ms) - STEP_T0))))"
}

# run LOGFILE CMD...: run a noisy command with its output in LOGFILE; show the tail on failure.
run_logged() {
  local logfile=$1
  shift
  mkdir -p "$(dirname "$logfile")"
  if ! "$@" >"$logfile" 2>&1; then
    printf '[lab] command failed: %s\n[lab] last lines of %s:\n' "$*" "$logfile" >&2
    tail -n 30 "$logfile" >&2 || true
    return 1
  fi
}

# spawn_daemon LOGFILE CMD...: start CMD in the background in a session of its own (it must outlive
# this script, CI steps and job shells), with no inherited descriptor above 2: a daemon that kept the
# lab lock's (this script's, or that of a caller's `flock -x LOCK scripts/lab.sh up`) would hold the
# lock for as long as it runs.
spawn_daemon() {
  local logfile=$1
  shift
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then exec {fd}>&-; fi
    done
    exec setsid "$@" </dev/null >>"$logfile" 2>&1
  ) &
}

mirror() {
  local m
  m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)
  [[ -n $m ]] || die "no 'URIs:' line in /etc/apt/sources.list.d/*.sources (cannot tell which Debian mirror apt uses)"
  echo "$m"
}

pkg_installed() { [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]; }
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

# pid_alive PIDFILE EXE: the pid in PIDFILE is alive and runs EXE (guards against reused pids).
pid_alive() {
  local pidfile=$1 exe=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -d /proc/$pid ]] || return 1
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null || true) == *"/$exe" ]]
}

# (docker CLI 26's `docker info --format` exits 0 when no daemon answers: its output tells)
docker_up() { [[ -n $(docker info --format '{{.ServerVersion}}' 2>/dev/null || true) ]]; }
registry_up() { curl -fsS -o /dev/null --max-time 2 "http://${LAB_REGISTRY}/v2/" 2>/dev/null; }
image_present() { docker buildx imagetools inspect "$1" >/dev/null 2>&1; }
# bridge_address: the gateway address of dockerd's default bridge network (docker0).
bridge_address() { docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || true; }

# image_platforms REF: the platforms of REF, space separated. An index lists its manifests
# (attestation manifests show as unknown/unknown); a single manifest has no .Manifest.Manifests,
# so its platform comes from the image config.
image_platforms() {
  docker buildx imagetools inspect "$1" --format \
    '{{range .Manifest.Manifests}}{{.Platform.OS}}/{{.Platform.Architecture}}{{if .Platform.Variant}}/{{.Platform.Variant}}{{end}} {{end}}' \
    2>/dev/null ||
    docker buildx imagetools inspect "$1" --format '{{.Image.OS}}/{{.Image.Architecture}}' 2>/dev/null
}
# has_platforms REF PLATFORM...: REF exists and has every PLATFORM.
has_platforms() {
  local ref=$1 got p
  shift
  got=$(image_platforms "$ref") || return 1
  for p in "$@"; do
    [[ " $got " == *" $p "* ]] || return 1
  done
}

# stop_pid NAME PIDFILE EXE: TERM the process from PIDFILE (if it is still EXE), wait, then KILL.
stop_pid() {
  local name=$1 pidfile=$2 exe=$3 pid i
  if ! pid_alive "$pidfile" "$exe"; then
    log "${name}: not running"
    rm -f "$pidfile"
    return 0
  fi
  pid=$(<"$pidfile")
  log "${name}: stopping pid ${pid}"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    [[ -d /proc/$pid ]] || break
    sleep 0.1
  done
  if [[ -d /proc/$pid ]]; then
    log "${name}: still running after 30s, sending KILL to pid ${pid}"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$pidfile"
}

# --------------------------------------------------------------------------------------------
# up, step 1: packages, buildx plugin, binfmt
# --------------------------------------------------------------------------------------------
apt_policy_guard() {
  # Package scripts must not start system services (a docker-registry on :5000, a system dockerd).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
}
apt_policy_release() {
  if [[ ${POLICY_RC_CREATED:-0} == 1 ]]; then
    rm -f /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=0
  fi
}

install_packages() {
  step "packages (bookworm)"
  local missing=() p
  for p in "${BOOKWORM_PACKAGES[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    step_done "all present (runc $(pkg_version runc), tini $(pkg_version tini), docker-registry $(pkg_version docker-registry))"
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "installing packages needs root"
  apt_policy_guard
  trap apt_policy_release EXIT
  log "apt-get install (bookworm): ${missing[*]}"
  run_logged "$LOG_DIR/apt-bookworm.log" apt-get update
  run_logged "$LOG_DIR/apt-bookworm.log.install" apt-get install -y --no-install-recommends "${missing[@]}"
  apt_policy_release
  trap - EXIT
  step_done "installed ${missing[*]}"
}

# suite_apt SUITE ARGS...: apt-get against SUITE's lists under $APT_DIR/SUITE (the system stays on bookworm).
suite_apt() {
  local suite=$1 m dir=$APT_DIR/$1
  shift
  m=$(mirror)
  mkdir -p "$dir/lists/partial"
  echo "deb $m $suite main" >"$dir/sources.list"
  apt-get -o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o "Dir::State::Lists=$dir/lists" -o APT::Architecture=amd64 -o APT::Architectures=amd64 "$@"
}

# upstream_version DEBIAN_VERSION: 1:28.5.2+dfsg4-5 -> 28.5.2, 1.7.24~ds1-6+deb13u1 -> 1.7.24
upstream_version() {
  local v=${1#*:}
  echo "${v%%[+~-]*}"
}

# toolchain_installed NAME: the tree under $TOOLCHAINS_DIR/NAME is complete.
toolchain_installed() {
  local dir=$TOOLCHAINS_DIR/$1 c
  [[ -f $dir/versions ]] || return 1
  for c in "${TOOLCHAIN_COMMANDS[@]}" runc; do
    [[ -x $dir/bin/$c ]] || return 1
  done
  [[ -x $dir/docker-config/cli-plugins/docker-buildx ]]
}

# toolchain_summary NAME: "docker.io 28.5.2+dfsg4-5, ..." from the tree's versions file.
toolchain_summary() {
  local dir=$TOOLCHAINS_DIR/$1
  [[ -f $dir/versions ]] || { echo "not installed"; return 0; }
  paste -sd, "$dir/versions" | sed 's/,/, /g'
}

# install_toolchain NAME: download NAME's packages from its suite and unpack them under
# $TOOLCHAINS_DIR/NAME: root/ (the packages' files), bin/ (what goes on PATH), docker-config/
# (DOCKER_CONFIG, whose cli-plugins/ holds this toolchain's buildx), versions.
install_toolchain() {
  local name=$1 suite=${TOOLCHAIN_SUITE[$1]} dir=$TOOLCHAINS_DIR/$1
  step "toolchain ${name} (Debian ${suite}: ${TOOLCHAIN_PACKAGES[$name]})"
  if toolchain_installed "$name"; then
    step_done "present ($(toolchain_summary "$name"))"
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "installing a toolchain needs root"
  [[ $(running_toolchain) != "$name" ]] || die "the engine runs from ${dir}, which is incomplete; run $0 down first"
  local tmp=$dir.tmp spec pkgs=() want=() deb got p v
  for spec in ${TOOLCHAIN_PACKAGES[$name]}; do
    pkgs+=("${spec%%=*}")
    want+=("${spec#*=}")
  done
  rm -rf "$tmp" && mkdir -p "$tmp/debs" "$tmp/root" "$tmp/bin" "$tmp/docker-config/cli-plugins"
  log "  apt-get update (${suite}, lists in ${APT_DIR}/${suite})"
  run_logged "$LOG_DIR/apt-${suite}.log" suite_apt "$suite" update
  log "  apt-get download ${pkgs[*]}"
  (cd "$tmp/debs" && run_logged "$LOG_DIR/apt-${suite}.log.download" suite_apt "$suite" download "${pkgs[@]}")
  local i
  for i in "${!pkgs[@]}"; do
    p=${pkgs[$i]}
    deb=$(find "$tmp/debs" -maxdepth 1 -name "${p}_*.deb" | head -n 1)
    [[ -n $deb ]] || die "apt-get download ${p} (${suite}) gave no .deb"
    v=$(dpkg-deb -f "$deb" Version)
    got=$(upstream_version "$v")
    [[ $got == "${want[$i]}" ]] ||
      die "Debian ${suite} now has ${p} ${v}, not ${want[$i]}: test the lab with it, then update TOOLCHAIN_PACKAGES in $0 and the supported range in README.md"
    dpkg-deb -x "$deb" "$tmp/root"
    echo "${p} ${v}" >>"$tmp/versions"
  done
  # docker.io's docker-init is a link to tini-static, from the tini-static package (unstable) or tini (bookworm)
  if [[ ! -e $tmp/root/usr/bin/tini-static ]]; then
    [[ -x $SYSTEM_TINI_STATIC ]] || die "${SYSTEM_TINI_STATIC} is missing (bookworm's tini)"
    ln -s "$SYSTEM_TINI_STATIC" "$tmp/root/usr/bin/tini-static"
    echo "tini $(pkg_version tini) from bookworm (${SYSTEM_TINI_STATIC})" >>"$tmp/versions"
  fi
  # PATH: the packages' commands, then the system's runc
  local c f
  for c in "${TOOLCHAIN_COMMANDS[@]}"; do
    f=''
    for f in "$tmp/root/usr/sbin/$c" "$tmp/root/usr/bin/$c" ''; do
      [[ -e $f ]] && break
    done
    [[ -n $f ]] || die "no ${c} in the ${name} toolchain's packages (${pkgs[*]})"
    ln -s "../root/${f#"$tmp/root/"}" "$tmp/bin/$c"
  done
  [[ -x $SYSTEM_RUNC ]] || die "${SYSTEM_RUNC} is missing (bookworm's runc)"
  ln -s "$SYSTEM_RUNC" "$tmp/bin/runc"
  echo "runc $(pkg_version runc) from bookworm (${SYSTEM_RUNC})" >>"$tmp/versions"
  ln -s ../../root/usr/libexec/docker/cli-plugins/docker-buildx "$tmp/docker-config/cli-plugins/docker-buildx"
  for c in "${TOOLCHAIN_COMMANDS[@]}" runc docker-config/cli-plugins/docker-buildx; do
    [[ $c == */* ]] || c=bin/$c
    [[ -x $tmp/$c ]] || die "${tmp}/${c} is not executable"
  done
  "$tmp/bin/dockerd" --version >/dev/null || die "dockerd of the ${name} toolchain does not run on this machine"
  rm -rf "$tmp/debs" "$dir"
  mv "$tmp" "$dir"
  step_done "unpacked to ${dir} ($(toolchain_summary "$name"))"
}

# use_toolchain NAME: point this script's commands (docker, buildx, cosign) and the engine's paths
# at toolchain NAME.
use_toolchain() {
  local name=$1
  [[ -n ${TOOLCHAIN_SUITE[$name]:-} ]] || die "unknown toolchain '${name}' (known: ${TOOLCHAINS[*]})"
  TOOLCHAIN=$name
  TOOLCHAIN_DIR=$TOOLCHAINS_DIR/$name
  TOOLCHAIN_BIN=$TOOLCHAIN_DIR/bin
  TOOLCHAIN_DOCKER_CONFIG=$TOOLCHAIN_DIR/docker-config
  LAB_COSIGN=$TOOLCHAIN_BIN/cosign
  LAB_BUILDX_PLUGIN=$TOOLCHAIN_DOCKER_CONFIG/cli-plugins/docker-buildx
  # per toolchain: containerd 2 migrates a 1.7 store, and 1.7 cannot read it back
  ENGINE_DIR=$LAB_DIR/engines/$name
  DOCKERD_CONFIG=$ENGINE_DIR/daemon.json
  export PATH=$TOOLCHAIN_BIN:$CALLER_PATH DOCKER_CONFIG=$TOOLCHAIN_DOCKER_CONFIG
}

# running_toolchain: the toolchain whose dockerd runs (from its executable), "other:PATH" for a
# dockerd that is none of them, nothing when none runs.
running_toolchain() {
  local exe t
  pid_alive "$DOCKERD_PID" dockerd || return 0
  exe=$(readlink -f "/proc/$(<"$DOCKERD_PID")/exe" 2>/dev/null || true)
  for t in "${TOOLCHAINS[@]}"; do
    if [[ $exe == "$(readlink -f "$TOOLCHAINS_DIR/$t/root/usr/sbin/dockerd" 2>/dev/null || echo "$TOOLCHAINS_DIR/$t/root/usr/sbin/dockerd")" ]]; then
      echo "$t"
      return 0
    fi
  done
  echo "other:${exe}"
}

# chosen_toolchain [NAME]: NAME, else $LAB_TOOLCHAIN, else the running engine's, else the default.
chosen_toolchain() {
  local t=${1:-${LAB_TOOLCHAIN:-}}
  if [[ -z $t ]]; then
    t=$(running_toolchain)
    [[ -n $t && $t != other:* ]] || t=$DEFAULT_TOOLCHAIN
  fi
  [[ -n ${TOOLCHAIN_SUITE[$t]:-} ]] || die "unknown toolchain '${t}' (known: ${TOOLCHAINS[*]})"
  echo "$t"
}

# lock_exclusive: take $LAB_LOCK exclusively for the rest of this script (starting, switching or
# stopping the engine), unless this process's caller already holds it exclusively.
lock_exclusive() {
  [[ ${LAB_LOCK_FD:-} ]] && return 0
  touch "$LAB_LOCK"
  local ino p=$$ mode=''
  ino=$(stat -c %i "$LAB_LOCK")
  # an ancestor (e.g. `flock -x LOCK scripts/lab.sh up`) holding it: /proc/locks names its pid
  while [[ $p =~ ^[0-9]+$ && $p -gt 1 ]]; do
    mode=$(awk -v pid="$p" -v ino="$ino" '$2 == "FLOCK" && $5 == pid && $6 ~ (":" ino "$") { print $4; exit }' /proc/locks)
    [[ -n $mode ]] && break
    p=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null || true)
  done
  case $mode in
  WRITE) LAB_LOCK_FD=held; return 0 ;;
  READ) die "this command runs under a shared lock on ${LAB_LOCK} (pid ${p}) but needs it exclusively: run it outside 'flock -s'" ;;
  esac
  exec {LAB_LOCK_FD}>>"$LAB_LOCK"
  if ! flock -x -n "$LAB_LOCK_FD"; then
    log "waiting for the exclusive lock ${LAB_LOCK} (the lab is in use; up to ${LAB_LOCK_WAIT}s)"
    flock -x -w "$LAB_LOCK_WAIT" "$LAB_LOCK_FD" || die "no exclusive lock on ${LAB_LOCK} within ${LAB_LOCK_WAIT}s"
  fi
}

ensure_binfmt() {
  step "binfmt ${BINFMT_HANDLERS[*]}"
  local h entry done=()
  if [[ ! -e /proc/sys/fs/binfmt_misc/status ]]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  for h in "${BINFMT_HANDLERS[@]}"; do
    entry=/proc/sys/fs/binfmt_misc/$h
    if ! grep -qx enabled "$entry" 2>/dev/null; then
      update-binfmts --enable "$h" || true
    fi
    grep -qx enabled "$entry" 2>/dev/null || die "binfmt handler ${h} is not enabled (${entry})"
    done+=("${h}: $(sed -n 's/^interpreter //p' "$entry") flags $(sed -n 's/^flags: *//p' "$entry")")
  done
  step_done "enabled (${done[*]})"
}

# --------------------------------------------------------------------------------------------
# up, step 2: dockerd
# --------------------------------------------------------------------------------------------
# stop_engine: the Go module proxy's container, then dockerd (the registry keeps running).
stop_engine() {
  stop_goproxy
  stop_pid dockerd "$DOCKERD_PID" dockerd
}

# engine_versions: "docker 28.5.2, containerd 2.1.9, runc 1.1.5, docker-init 0.19.0; CLI 28.5.2, buildx v0.29.1, cosign v3.1.1"
engine_versions() {
  local server cli buildx cosign
  server=$(docker version --format '{{.Server.Version}}{{range .Server.Components}}{{if ne .Name "Engine"}}, {{.Name}} {{.Version}}{{end}}{{end}}' 2>/dev/null || echo '?')
  cli=$(docker version --format '{{.Client.Version}}' 2>/dev/null || echo '?')
  buildx=$(docker buildx version 2>/dev/null | awk '{ print $2 }' || echo '?')
  # Debian's cosign says "GitVersion: devel": the package's version instead
  cosign=$(awk '$1 == "cosign" { print $2 }' "$TOOLCHAIN_DIR/versions" 2>/dev/null || echo '?')
  echo "engine ${server}; CLI ${cli}, buildx ${buildx}, cosign ${cosign}"
}

start_dockerd() {
  step "dockerd (toolchain ${TOOLCHAIN})"
  local running
  running=$(running_toolchain)
  if [[ -n $running && $running != "$TOOLCHAIN" ]]; then
    log "dockerd (pid $(<"$DOCKERD_PID")) runs ${running#other:} (not toolchain ${TOOLCHAIN}'s); switching to ${TOOLCHAIN}"
    stop_engine
  elif [[ -n $running ]] && docker_up; then
    local gateway
    gateway=$(bridge_address)
    # an empty answer restarts nothing (the proxy step then says what is wrong)
    if [[ -e /sys/class/net/$DOCKER_BRIDGE && ( -z $gateway || $gateway == "$DOCKER_BRIDGE_GATEWAY") ]]; then
      step_done "already running (pid $(<"$DOCKERD_PID"), $(engine_versions))"
      return 0
    fi
    if [[ -e /sys/class/net/$DOCKER_BRIDGE ]]; then
      # started without "bip", and docker0 got another subnet: the Go module proxy's fixed address
      # only exists after a restart with the daemon.json below
      log "dockerd is running but its bridge ${DOCKER_BRIDGE} has gateway '${gateway}', not ${DOCKER_BRIDGE_GATEWAY}; restarting it with \"bip\": \"${DOCKER_BRIDGE_CIDR}\""
    else
      # e.g. another dockerd started with --bridge=none deletes docker0; only a restart recreates it
      log "dockerd is running but its bridge ${DOCKER_BRIDGE} is gone (no network in builds); restarting it"
    fi
    stop_engine
  fi
  if pid_alive "$DOCKERD_PID" dockerd; then
    log "dockerd pid $(<"$DOCKERD_PID") is alive but does not answer yet; waiting"
  else
    if [[ -S $DOCKER_SOCK ]] && docker_up; then
      die "something else answers on ${DOCKER_SOCK} (not the pid in ${DOCKERD_PID}); stop it first"
    fi
    rm -f "$DOCKERD_PID"
    # the data root of the engine before toolchains (Debian 13's, installed system-wide) is oldest's
    if [[ $TOOLCHAIN == oldest && -d $LAB_DIR/docker && ! -e $ENGINE_DIR/docker ]]; then
      log "moving ${LAB_DIR}/docker (the Debian 13 engine's data root) to ${ENGINE_DIR}/docker"
      mkdir -p "$ENGINE_DIR"
      mv "$LAB_DIR/docker" "$ENGINE_DIR/docker"
    fi
    mkdir -p "$ENGINE_DIR/docker" "$ENGINE_DIR/exec"
    printf '{\n  "features": { "containerd-snapshotter": true },\n  "bip": "%s"\n}\n' "$DOCKER_BRIDGE_CIDR" >"$DOCKERD_CONFIG"
    # PATH: dockerd finds containerd, docker-proxy and docker-init there, containerd its shim, the shim runc.
    log "starting ${TOOLCHAIN_BIN}/dockerd (data root ${ENGINE_DIR}/docker)"
    PATH=$TOOLCHAIN_BIN:$DEFAULT_PATH spawn_daemon "$DOCKERD_LOG" "$TOOLCHAIN_BIN/dockerd" \
      --config-file "$DOCKERD_CONFIG" \
      --data-root "$ENGINE_DIR/docker" \
      --exec-root "$ENGINE_DIR/exec" \
      --pidfile "$DOCKERD_PID" \
      -H "unix://$DOCKER_SOCK"
  fi
  local i
  for ((i = 0; i < 600; i++)); do
    docker_up && break
    if ((i > 20)) && ! pid_alive "$DOCKERD_PID" dockerd; then
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited; see ${DOCKERD_LOG}"
    fi
    sleep 0.1
  done
  docker_up || {
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    die "dockerd did not answer within 60s; see ${DOCKERD_LOG}"
  }
  [[ $(running_toolchain) == "$TOOLCHAIN" ]] || die "the running dockerd is $(running_toolchain), not toolchain ${TOOLCHAIN}'s"
  docker info --format '{{json .DriverStatus}}' | grep -q io.containerd.snapshotter ||
    die "dockerd is not using the containerd image store (multi-platform builds need it)"
  [[ $(bridge_address) == "$DOCKER_BRIDGE_GATEWAY" ]] ||
    die "dockerd's bridge ${DOCKER_BRIDGE} has gateway '$(bridge_address)', not ${DOCKER_BRIDGE_GATEWAY} (\"bip\" in ${DOCKERD_CONFIG}); is ${DOCKER_BRIDGE_CIDR} used by another interface?"
  step_done "started (pid $(<"$DOCKERD_PID"), $(engine_versions), containerd image store)"
}

# --------------------------------------------------------------------------------------------
# up, step 3: registry
# --------------------------------------------------------------------------------------------
start_registry() {
  step "registry ${LAB_REGISTRY}"
  if pid_alive "$REGISTRY_PID" docker-registry && registry_up; then
    step_done "already running (pid $(<"$REGISTRY_PID"))"
    return 0
  fi
  if ! pid_alive "$REGISTRY_PID" docker-registry; then
    registry_up && die "something else answers on ${LAB_REGISTRY} (not the pid in ${REGISTRY_PID}); set LAB_REGISTRY_PORT"
    rm -f "$REGISTRY_PID"
    mkdir -p "$LAB_DIR/registry"
    cat >"$REGISTRY_CONFIG" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
  fields:
    service: lab-registry
storage:
  filesystem:
    rootdirectory: ${LAB_DIR}/registry
  delete:
    enabled: true
http:
  addr: ${LAB_REGISTRY}
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    # The inner shell records its own pid, then becomes the registry (exec keeps the pid).
    # shellcheck disable=SC2016 # expanded by the inner shell
    spawn_daemon "$REGISTRY_LOG" sh -c 'echo $$ >"$1"; exec docker-registry serve "$2"' lab-registry \
      "$REGISTRY_PID" "$REGISTRY_CONFIG"
  fi
  local i
  for ((i = 0; i < 300; i++)); do
    registry_up && break
    if ((i > 20)) && ! pid_alive "$REGISTRY_PID" docker-registry; then
      tail -n 20 "$REGISTRY_LOG" >&2 || true
      die "docker-registry exited; see ${REGISTRY_LOG}"
    fi
    sleep 0.1
  done
  registry_up || die "registry did not answer on ${LAB_REGISTRY} within 30s; see ${REGISTRY_LOG}"
  step_done "started (pid $(<"$REGISTRY_PID"), storage ${LAB_DIR}/registry)"
}

# --------------------------------------------------------------------------------------------
# up, step 4: stand-in base images
# --------------------------------------------------------------------------------------------
# rootfs NAME ARCH SUITE PACKAGES: path of a cached mmdebstrap tarball, built when missing.
rootfs() {
  local name=$1 arch=$2 suite=$3 packages=$4
  local tar=$CACHE_DIR/${name}-${suite}-${arch}.tar
  if [[ -s $tar ]]; then
    log "  rootfs ${name}/${arch}: cached ${tar}" >&2
  else
    local t0 m
    t0=$(now_ms)
    m=$(mirror)
    log "  rootfs ${name}/${arch}: mmdebstrap ${suite} (${packages})$([[ $arch != amd64 ]] && echo ', under QEMU: minutes')" >&2
    mkdir -p "$CACHE_DIR"
    rm -f "$tar.tmp.tar"
    run_logged "$LOG_DIR/mmdebstrap-${name}-${arch}.log" \
      mmdebstrap --architectures="$arch" --variant=minbase --include="$packages" \
      "$suite" "$tar.tmp.tar" "$m" >&2
    mv "$tar.tmp.tar" "$tar"
    log "  rootfs ${name}/${arch}: $(du -h "$tar" | cut -f1) in $(fmt_ms $(($(now_ms) - t0)))" >&2
  fi
  echo "$tar"
}

build_golang() {
  step "image ${GOLANG_IMAGE} (${GOLANG_PLATFORMS[*]})"
  local ca_fp
  ca_fp=$(goproxy_ca_fingerprint)
  if has_platforms "$GOLANG_IMAGE" "${GOLANG_PLATFORMS[@]}"; then
    if docker buildx imagetools inspect "$GOLANG_IMAGE" --format '{{json .Image}}' 2>/dev/null | grep -q "$ca_fp"; then
      step_done "already in the registry"
      return 0
    fi
    # like an internal mirror's builder image that carries the company CA
    log "  ${GOLANG_IMAGE} does not trust the lab CA (${LAB_GOPROXY_CA}) of the Go module proxy yet; rebuilding it"
  fi
  local tar ctx=$WORK_DIR/golang rootfs_ref=lab-local/golang-rootfs:${GO_VERSION}
  tar=$(rootfs golang amd64 "$GO_SUITE" "$GOLANG_PACKAGES")
  log "  docker import ${rootfs_ref}"
  run_logged "$LOG_DIR/golang-import.log" docker import --platform linux/amd64 "$tar" "$rootfs_ref"
  mkdir -p "$ctx"
  cp "$LAB_GOPROXY_CA" "$ctx/lab-goproxy-ca.crt"
  cat >"$ctx/Dockerfile" <<EOF
FROM ${rootfs_ref}
ENV GOPATH=/go \\
    PATH=/go/bin:/usr/lib/go-${GO_VERSION}/bin:${DEFAULT_PATH} \\
    GOTOOLCHAIN=local
COPY lab-goproxy-ca.crt /usr/local/share/ca-certificates/lab-goproxy-ca.crt
LABEL lab.goproxy-ca=${ca_fp}
RUN set -e; \\
    update-ca-certificates >/dev/null; \\
    command -v upx >/dev/null || ln -s /usr/bin/upx-ucl /usr/local/bin/upx; \\
    mkdir -p /go/src /go/bin; chmod -R 1777 /go; \\
    go version; upx --version | sed -n 1p
WORKDIR /go
EOF
  log "  docker buildx build --push ${GOLANG_IMAGE}"
  run_logged "$LOG_DIR/golang-build.log" docker buildx build --builder "$LAB_BUILDER" \
    --platform "$(IFS=,; echo "${GOLANG_PLATFORMS[*]}")" --provenance=false \
    -t "$GOLANG_IMAGE" --push "$ctx"
  local out
  out=$(docker run --rm --quiet "$GOLANG_IMAGE" sh -c 'go version && upx --version | sed -n 1p')
  log "  check: ${out//$'\n'/; }"
  step_done "pushed"
}

build_distroless() {
  step "image ${DISTROLESS_IMAGE} (${DISTROLESS_PLATFORMS[*]})"
  if has_platforms "$DISTROLESS_IMAGE" "${DISTROLESS_PLATFORMS[@]}"; then
    step_done "already in the registry"
    return 0
  fi
  local ctx=$WORK_DIR/distroless root
  root=$ctx/rootfs
  rm -rf "$ctx"
  mkdir -p "$root/etc/ssl/certs" "$root/home/nonroot" "$root/root" "$root/tmp"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf 'PRETTY_NAME="Distroless static stand-in (projen-multiarch lab)"\nID=distroless\n' >"$root/etc/os-release"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  chmod 0644 "$root"/etc/passwd "$root"/etc/group "$root"/etc/nsswitch.conf "$root"/etc/os-release "$root"/etc/ssl/certs/ca-certificates.crt
  chmod 0700 "$root/root"
  chmod 1777 "$root/tmp"
  chmod 0755 "$root/home/nonroot"
  chown 65532:65532 "$root/home/nonroot"
  # a tarball keeps owners and modes exactly; ADD extracts it (files only, nothing runs on the target)
  tar --numeric-owner -C "$root" -cf "$ctx/rootfs.tar" .
  cat >"$ctx/Dockerfile" <<EOF
FROM scratch
ADD rootfs.tar /
ENV PATH=${DEFAULT_PATH} \\
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532
WORKDIR /home/nonroot
EOF
  printf 'rootfs\n' >"$ctx/.dockerignore"
  log "  docker buildx build --push ${DISTROLESS_IMAGE}"
  run_logged "$LOG_DIR/distroless-build.log" docker buildx build --builder "$LAB_BUILDER" \
    --platform "$(IFS=,; echo "${DISTROLESS_PLATFORMS[*]}")" --provenance=false \
    -t "$DISTROLESS_IMAGE" --push "$ctx"
  step_done "pushed ($(image_platforms "$DISTROLESS_IMAGE" | xargs))"
}

build_python() {
  local platforms=() a
  for a in "${PYTHON_ARCHES[@]}"; do platforms+=("linux/$a"); done
  step "image ${PYTHON_IMAGE} (${platforms[*]})"
  if has_platforms "$PYTHON_IMAGE" "${platforms[@]}"; then
    step_done "already in the registry"
    return 0
  fi
  local tar ref refs=()
  for a in "${PYTHON_ARCHES[@]}"; do
    ref=${PYTHON_IMAGE}-${a}
    refs+=("$ref")
    if image_present "$ref"; then
      log "  ${ref}: already in the registry"
      continue
    fi
    tar=$(rootfs python "$a" "$PYTHON_SUITE" "$PYTHON_PACKAGES")
    log "  docker import --platform linux/${a} + push ${ref}"
    run_logged "$LOG_DIR/python-import-${a}.log" docker import --platform "linux/$a" \
      --change "ENV PATH=${DEFAULT_PATH}" --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
      "$tar" "$ref"
    run_logged "$LOG_DIR/python-push-${a}.log" docker push "$ref"
  done
  log "  docker buildx imagetools create ${PYTHON_IMAGE}"
  run_logged "$LOG_DIR/python-index.log" docker buildx imagetools create -t "$PYTHON_IMAGE" "${refs[@]}"
  local out
  for a in "${PYTHON_ARCHES[@]}"; do
    out=$(docker run --rm --quiet --platform "linux/$a" "$PYTHON_IMAGE" sh -c \
      'python -m venv /opt/venv && /opt/venv/bin/python -c "import platform,sys; print(platform.machine(), sys.version.split()[0], \"venv ok\")"')
    log "  check linux/${a}: ${out}"
  done
  step_done "pushed ($(image_platforms "$PYTHON_IMAGE" | xargs))"
}

build_golang_cgo() {
  local platforms=() a refs=() ref tar out
  for a in "${GOLANG_CGO_ARCHES[@]}"; do platforms+=("linux/$a"); done
  step "image ${GOLANG_CGO_IMAGE} (${platforms[*]})"
  if has_platforms "$GOLANG_CGO_IMAGE" "${platforms[@]}"; then
    step_done "already in the registry"
    return 0
  fi
  for a in "${GOLANG_CGO_ARCHES[@]}"; do
    ref=${GOLANG_CGO_IMAGE}-${a}
    refs+=("$ref")
    tar=$(rootfs golang-cgo "$a" "$GO_SUITE" "$GOLANG_CGO_PACKAGES")
    log "  docker import --platform linux/${a} + push ${ref}"
    run_logged "$LOG_DIR/golang-cgo-import-${a}.log" docker import --platform "linux/$a" \
      --change "ENV GOPATH=/go" --change "ENV GOTOOLCHAIN=local" \
      --change "ENV PATH=/go/bin:/usr/lib/go-${GO_VERSION}/bin:${DEFAULT_PATH}" "$tar" "$ref"
    run_logged "$LOG_DIR/golang-cgo-push-${a}.log" docker push "$ref"
  done
  log "  docker buildx imagetools create ${GOLANG_CGO_IMAGE}"
  run_logged "$LOG_DIR/golang-cgo-index.log" docker buildx imagetools create -t "$GOLANG_CGO_IMAGE" "${refs[@]}"
  for a in "${GOLANG_CGO_ARCHES[@]}"; do
    out=$(docker run --rm --quiet --platform "linux/$a" "$GOLANG_CGO_IMAGE" sh -c 'go version && gcc -dumpmachine')
    log "  check linux/${a}: ${out//$'\n'/; }"
  done
  step_done "pushed ($(image_platforms "$GOLANG_CGO_IMAGE" | xargs))"
}

# --------------------------------------------------------------------------------------------
# up, step 4a (before the images): the lab CA and the Go module proxy's certificate
# --------------------------------------------------------------------------------------------
goproxy_ca_fingerprint() { openssl x509 -in "$LAB_GOPROXY_CA" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }

make_goproxy_tls() {
  step "lab CA and certificate of the Go module proxy (${DOCKER_BRIDGE_GATEWAY})"
  local made=()
  if [[ ! -s $LAB_GOPROXY_CA || ! -s $GOPROXY_CA_KEY ]]; then
    (umask 077 && run_logged "$LOG_DIR/goproxy-ca.log" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
      -nodes -keyout "$GOPROXY_CA_KEY" -out "$LAB_GOPROXY_CA" -days 3650 -subj "/CN=projen-multiarch lab CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign")
    chmod 0644 "$LAB_GOPROXY_CA"
    rm -f "$GOPROXY_TLS_CERT"
    made+=(CA)
  fi
  if [[ ! -s $GOPROXY_TLS_CERT || ! -s $GOPROXY_TLS_KEY ]] ||
    ! openssl verify -CAfile "$LAB_GOPROXY_CA" "$GOPROXY_TLS_CERT" >/dev/null 2>&1; then
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:%s,DNS:%s\n' \
      "$DOCKER_BRIDGE_GATEWAY" "$GOPROXY_NAME" >"$WORK_DIR/goproxy-tls.ext"
    (umask 077 && run_logged "$LOG_DIR/goproxy-tls.log" openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
      -nodes -keyout "$GOPROXY_TLS_KEY" -out "$WORK_DIR/goproxy-tls.csr" -subj "/CN=${GOPROXY_NAME}")
    run_logged "$LOG_DIR/goproxy-tls.log.sign" openssl x509 -req -in "$WORK_DIR/goproxy-tls.csr" \
      -CA "$LAB_GOPROXY_CA" -CAkey "$GOPROXY_CA_KEY" -set_serial "0x$(openssl rand -hex 8)" -days 3650 \
      -extfile "$WORK_DIR/goproxy-tls.ext" -out "$GOPROXY_TLS_CERT"
    made+=(certificate)
  fi
  if [[ ${#made[@]} -eq 0 ]]; then
    step_done "present (${LAB_GOPROXY_CA}, CA sha256 $(goproxy_ca_fingerprint | cut -c1-16))"
  else
    step_done "made ${made[*]} (${LAB_GOPROXY_CA}, CA sha256 $(goproxy_ca_fingerprint | cut -c1-16))"
  fi
}

# --------------------------------------------------------------------------------------------
# up, step 5: private Go module proxy (authenticated, on the docker0 gateway)
# --------------------------------------------------------------------------------------------
# goproxy_code URL [USER:PASSWORD]: the HTTP status of URL/ (000 when nothing answers).
goproxy_code() {
  local auth=()
  [[ -n ${2:-} ]] && auth=(-u "$2")
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$LAB_GOPROXY_CA" "${auth[@]}" "$1/" 2>/dev/null || true
}
# goproxy_up: both listeners answer, refuse a request without credentials and accept ours.
goproxy_up() {
  local url
  for url in "$LAB_GOPROXY" "$LAB_GOPROXY_HTTP"; do
    [[ $(goproxy_code "$url") == 401 && $(goproxy_code "$url" "${GOPROXY_USER}:${GOPROXY_PASSWORD}") == 200 ]] || return 1
  done
}
# goproxy_id: the full id of the container in GOPROXY_CID, if that container still exists.
goproxy_id() {
  local id
  [[ -s $GOPROXY_CID ]] || return 1
  id=$(<"$GOPROXY_CID")
  [[ $id =~ ^[0-9a-f]{64}$ ]] || return 1
  docker inspect --type container --format '{{.Id}}' "$id" 2>/dev/null
}
# goproxy_config: fingerprint of everything the container is started with; a change replaces it.
goproxy_config() {
  { cat "$GOPROXY_SCRIPT" "$GOPROXY_TLS_CERT"; printf '%s\n' "$LAB_GOPROXY_MODULES" "$PYTHON_IMAGE" "$LAB_GOPROXY" "$LAB_GOPROXY_HTTP" "${GOPROXY_USER}:${GOPROXY_PASSWORD}"; } |
    sha256sum | cut -c1-16
}
# write_secret FILE CONTENT: FILE (mode 0600) holds CONTENT and a newline; unchanged if it already does.
write_secret() {
  local file=$1 content=$2
  [[ -f $file && $(<"$file") == "$content" ]] && return 0
  (umask 077 && printf '%s\n' "$content" >"$file.tmp")
  mv "$file.tmp" "$file"
}

start_goproxy() {
  step "go module proxy ${LAB_GOPROXY} + ${LAB_GOPROXY_HTTP} (container ${GOPROXY_NAME})"
  [[ -f $GOPROXY_SCRIPT ]] || die "missing ${GOPROXY_SCRIPT}"
  [[ -d $LAB_GOPROXY_MODULES ]] || die "LAB_GOPROXY_MODULES=${LAB_GOPROXY_MODULES} is not a directory"
  [[ $(bridge_address) == "$DOCKER_BRIDGE_GATEWAY" ]] ||
    die "dockerd's bridge ${DOCKER_BRIDGE} has gateway '$(bridge_address)', not ${DOCKER_BRIDGE_GATEWAY}"
  write_secret "$GOPROXY_AUTH" "${GOPROXY_USER}:${GOPROXY_PASSWORD}"
  write_secret "$LAB_GO_NETRC" "machine ${DOCKER_BRIDGE_GATEWAY} login ${GOPROXY_USER} password ${GOPROXY_PASSWORD}"
  local want id running config i
  want=$(goproxy_config)
  if id=$(goproxy_id); then
    running=$(docker inspect --format '{{.State.Running}}' "$id")
    config=$(docker inspect --format '{{index .Config.Labels "projen-multiarch-lab.goproxy"}}' "$id")
    if [[ $running == true && $config == "$want" ]]; then
      for ((i = 0; i < 100; i++)); do
        goproxy_up && break
        sleep 0.1
      done
      if goproxy_up; then
        step_done "already running (container ${id:0:12}, modules ${LAB_GOPROXY_MODULES})"
        return 0
      fi
    fi
    log "  replacing container ${id:0:12} (running: ${running}, config ${config:-none}, wanted ${want})"
    docker rm -f "$id" >/dev/null
  fi
  rm -f "$GOPROXY_CID"
  # one that this script started but did not record (a lost GOPROXY_CID) carries its label
  id=$(docker ps -aq --no-trunc --filter "name=^${GOPROXY_NAME}\$" --filter label=projen-multiarch-lab.goproxy)
  if [[ -n $id ]]; then
    log "  removing container ${id:0:12} (named ${GOPROXY_NAME}, not recorded in ${GOPROXY_CID})"
    docker rm -f "$id" >/dev/null
  fi
  [[ -z $(docker ps -aq --filter "name=^${GOPROXY_NAME}\$") ]] ||
    die "a container named ${GOPROXY_NAME} exists that this script did not start; remove it first"
  local url
  for url in "$LAB_GOPROXY" "$LAB_GOPROXY_HTTP"; do
    [[ $(goproxy_code "$url") == 000 ]] || die "something else answers on ${url}; stop it first"
  done
  # Published on the bridge gateway only: build containers reach it, nothing outside the host does.
  if ! id=$(docker run -d --name "$GOPROXY_NAME" --platform linux/amd64 --restart unless-stopped \
    --label "projen-multiarch-lab.goproxy=${want}" \
    -p "${DOCKER_BRIDGE_GATEWAY}:${GOPROXY_PORT}:3000" \
    -p "${DOCKER_BRIDGE_GATEWAY}:${GOPROXY_HTTPS_PORT}:3443" \
    -v "${GOPROXY_SCRIPT}:/srv/lab-goproxy.py:ro" \
    -v "${LAB_GOPROXY_MODULES}:/srv/modules:ro" \
    -v "${GOPROXY_AUTH}:/srv/auth:ro" \
    -v "${GOPROXY_TLS_CERT}:/srv/tls.crt:ro" \
    -v "${GOPROXY_TLS_KEY}:/srv/tls.key:ro" \
    "$PYTHON_IMAGE" python3 -u /srv/lab-goproxy.py --modules /srv/modules --auth-file /srv/auth \
    --listen 0.0.0.0:3000 --tls-listen 0.0.0.0:3443 --tls-cert /srv/tls.crt --tls-key /srv/tls.key \
    2>"$LOG_DIR/goproxy-run.log"); then
    tail -n 20 "$LOG_DIR/goproxy-run.log" >&2 || true
    die "docker run ${GOPROXY_NAME} failed; see ${LOG_DIR}/goproxy-run.log"
  fi
  echo "$id" >"$GOPROXY_CID"
  for ((i = 0; i < 300; i++)); do
    goproxy_up && break
    if ((i > 20)) && [[ $(docker inspect --format '{{.State.Running}}' "$id" 2>/dev/null) != true ]]; then
      docker logs --tail 20 "$id" >&2 || true
      die "${GOPROXY_NAME} exited; see: docker logs ${id:0:12}"
    fi
    sleep 0.1
  done
  goproxy_up || die "${GOPROXY_NAME} does not answer on ${LAB_GOPROXY} and ${LAB_GOPROXY_HTTP} with 401 without and 200 with credentials"
  # What the RUN step of a build sees: a container on the default bridge, with and without credentials.
  local out
  out=$(docker run --rm --quiet --platform linux/amd64 --network bridge -v "${GOPROXY_AUTH}:/srv/auth:ro" \
    -v "${LAB_GOPROXY_CA}:/srv/ca.crt:ro" "$PYTHON_IMAGE" python3 -c '
import base64, ssl, sys, urllib.error, urllib.request
tls = ssl.create_default_context(cafile="/srv/ca.crt")
def status(url, headers):
    try:
        return urllib.request.urlopen(urllib.request.Request(url + "/", headers=headers), timeout=5, context=tls).status
    except urllib.error.HTTPError as e:
        return e.code
token = base64.b64encode(open("/srv/auth").read().strip().encode()).decode()
print(" ".join(str(status(url, h)) for url in sys.argv[1:] for h in ({}, {"Authorization": "Basic " + token})))' \
    "$LAB_GOPROXY" "$LAB_GOPROXY_HTTP")
  [[ $out == '401 200 401 200' ]] ||
    die "from the bridge network, ${LAB_GOPROXY} and ${LAB_GOPROXY_HTTP} answered '${out}' (want 401 without and 200 with credentials)"
  log "  check from the bridge network (TLS verified with the lab CA): 401 without credentials, 200 with"
  step_done "started (container ${id:0:12}, modules ${LAB_GOPROXY_MODULES}, netrc ${LAB_GO_NETRC}, CA ${LAB_GOPROXY_CA})"
}

stop_goproxy() {
  local id
  if ! docker_up; then
    [[ -s $GOPROXY_CID ]] && log "${GOPROXY_NAME}: dockerd does not answer; container $(cut -c1-12 "$GOPROXY_CID") stays recorded in ${GOPROXY_CID}"
    return 0
  fi
  if id=$(goproxy_id); then
    log "${GOPROXY_NAME}: removing container ${id:0:12}"
    docker rm -f "$id" >/dev/null || true
  else
    log "${GOPROXY_NAME}: not running"
  fi
  rm -f "$GOPROXY_CID"
}

# --------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------
# toolchain_arg ARGS...: the value of --toolchain NAME / --toolchain=NAME, or nothing.
toolchain_arg() {
  while [[ $# -gt 0 ]]; do
    case $1 in
    --toolchain) [[ -n ${2:-} ]] || die "--toolchain needs one of: ${TOOLCHAINS[*]}"; echo "$2"; return 0 ;;
    --toolchain=*) echo "${1#*=}"; return 0 ;;
    *) die "unknown argument '$1' (usage: --toolchain ${TOOLCHAINS[*]// /|})" ;;
    esac
  done
}

# the toolchain the lab runs (or would run): the running engine's, else NAME (default: current)
use_lab_toolchain() {
  local t
  t=$(running_toolchain)
  [[ -n $t && $t != other:* ]] || t=${1:-$DEFAULT_TOOLCHAIN}
  use_toolchain "$t"
}

cmd_cgo() {
  use_lab_toolchain
  cmd_status >/dev/null || die "the lab is not up: run $0 up first"
  build_golang_cgo
}

cmd_install() {
  local want t
  want=$(toolchain_arg "$@")
  [[ $(id -u) -eq 0 ]] || die "installing toolchains needs root"
  mkdir -p "$LAB_DIR" "$LOG_DIR"
  for t in "${TOOLCHAINS[@]}"; do
    [[ -z $want || $want == "$t" ]] || continue
    install_toolchain "$t"
  done
}

cmd_up() {
  local t0 want
  t0=$(now_ms)
  want=$(toolchain_arg "$@")
  # --toolchain NAME, else the running engine's, else the default: a plain `up` never switches
  use_lab_toolchain "$want"
  [[ -z $want ]] || use_toolchain "$want"
  [[ $(id -u) -eq 0 ]] || die "the lab needs root (dockerd, binfmt, packages)"
  mkdir -p "$LAB_DIR" "$CACHE_DIR" "$LOG_DIR" "$WORK_DIR"
  [[ -e $LAB_MARKER ]] || echo "created by scripts/lab.sh; 'scripts/lab.sh down --purge' deletes this directory" >"$LAB_MARKER"
  log "lab up: toolchain ${TOOLCHAIN} (Debian ${TOOLCHAIN_SUITE[$TOOLCHAIN]}), LAB_DIR=${LAB_DIR}, registry ${LAB_REGISTRY}"
  # a lab that is up on this toolchain changes nothing: no exclusive lock, its users keep building
  if [[ $(running_toolchain) != "$TOOLCHAIN" ]] || ! cmd_status >/dev/null 2>&1; then
    lock_exclusive
  fi
  install_packages
  install_toolchain "$TOOLCHAIN"
  ensure_binfmt
  start_dockerd
  start_registry
  make_goproxy_tls
  build_golang
  build_distroless
  build_python
  start_goproxy
  log "lab is up on toolchain ${TOOLCHAIN} in $(fmt_ms $(($(now_ms) - t0))): $(engine_versions)"
  log "use it with: eval \"\$($0 env)\""
}

cmd_down() {
  local purge=0
  case ${1:-} in
  '') ;;
  --purge) purge=1 ;;
  *) die "usage: $0 down [--purge]" ;;
  esac
  local t0
  t0=$(now_ms)
  use_lab_toolchain
  lock_exclusive
  stop_goproxy
  stop_pid registry "$REGISTRY_PID" docker-registry
  stop_pid dockerd "$DOCKERD_PID" dockerd
  if [[ $purge -eq 1 && -d $LAB_DIR ]]; then
    [[ $LAB_DIR == /*/* && -f $LAB_MARKER ]] || die "refusing to delete LAB_DIR=${LAB_DIR} (no ${LAB_MARKER##*/} marker)"
    local mnt
    # dockerd unmounts on shutdown; make sure nothing under LAB_DIR is still mounted before rm -rf
    while read -r mnt; do
      log "unmounting ${mnt}"
      umount "$mnt" || umount -l "$mnt" || true
    done < <(awk -v d="$LAB_DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
    if awk -v d="$LAB_DIR/" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
      die "still mounted under ${LAB_DIR}; not deleting it"
    fi
    log "deleting ${LAB_DIR}"
    rm -rf "$LAB_DIR"
  else
    log "kept ${LAB_DIR} (toolchains, registry storage, image cache); 'down --purge' deletes it"
  fi
  log "lab is down ($(fmt_ms $(($(now_ms) - t0))))"
}

cmd_status() {
  local ok=0 running
  [[ -n ${TOOLCHAIN:-} ]] || use_lab_toolchain
  running=$(running_toolchain)
  if [[ $running == other:* ]]; then
    echo "dockerd:  pid $(<"$DOCKERD_PID") runs ${running#other:}, which is no toolchain of this script (run: $0 up)"
    ok=1
  elif pid_alive "$DOCKERD_PID" dockerd && docker_up && [[ ! -e /sys/class/net/$DOCKER_BRIDGE ]]; then
    echo "dockerd:  running (pid $(<"$DOCKERD_PID")) but bridge ${DOCKER_BRIDGE} is missing: builds have no network (run: $0 up)"
    ok=1
  elif pid_alive "$DOCKERD_PID" dockerd && docker_up; then
    echo "dockerd:  running (pid $(<"$DOCKERD_PID"), $(docker info --format '{{.ServerVersion}}'), DOCKER_HOST=${DOCKER_HOST})"
  elif pid_alive "$DOCKERD_PID" dockerd; then
    echo "dockerd:  pid $(<"$DOCKERD_PID") alive but not answering on ${DOCKER_SOCK}"
    ok=1
  else
    echo "dockerd:  not running"
    ok=1
  fi
  if [[ $running == "$TOOLCHAIN" ]]; then
    echo "toolchain: ${TOOLCHAIN} (Debian ${TOOLCHAIN_SUITE[$TOOLCHAIN]}, ${TOOLCHAIN_DIR}): $(toolchain_summary "$TOOLCHAIN")"
    docker_up && echo "versions: $(engine_versions)"
  else
    echo "toolchain: none running (up would start ${TOOLCHAIN}: $(toolchain_summary "$TOOLCHAIN"))"
  fi
  if pid_alive "$REGISTRY_PID" docker-registry && registry_up; then
    echo "registry: running (pid $(<"$REGISTRY_PID"), http://${LAB_REGISTRY})"
  else
    echo "registry: not running (${LAB_REGISTRY})"
    ok=1
  fi
  if [[ $ok -eq 0 ]]; then
    local ref p
    for ref in "$GOLANG_IMAGE" "$DISTROLESS_IMAGE" "$PYTHON_IMAGE"; do
      if p=$(image_platforms "$ref"); then
        echo "image:    ${ref} [$(xargs <<<"$p")]"
      else
        echo "image:    ${ref} MISSING"
        ok=1
      fi
    done
  fi
  if [[ $ok -eq 0 ]]; then
    local gid
    if gid=$(goproxy_id) && goproxy_up; then
      echo "goproxy:  running (container ${gid:0:12}, ${LAB_GOPROXY} + ${LAB_GOPROXY_HTTP}, user ${GOPROXY_USER}, modules ${LAB_GOPROXY_MODULES})"
    elif [[ $(bridge_address) != "$DOCKER_BRIDGE_GATEWAY" ]]; then
      echo "goproxy:  not reachable: bridge ${DOCKER_BRIDGE} has gateway '$(bridge_address)', not ${DOCKER_BRIDGE_GATEWAY} (run: $0 up)"
      ok=1
    else
      echo "goproxy:  not running (${LAB_GOPROXY})"
      ok=1
    fi
  fi
  if [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]]; then
    echo "binfmt:   qemu-aarch64 $(sed -n 1p /proc/sys/fs/binfmt_misc/qemu-aarch64)"
  else
    echo "binfmt:   qemu-aarch64 not registered"
  fi
  if [[ $ok -eq 0 ]]; then echo "lab: up (toolchain ${TOOLCHAIN})"; else echo "lab: down (run: $0 up)"; fi
  return "$ok"
}

# env: exports for the toolchain the engine runs (when none runs: --toolchain NAME, or the default).
cmd_env() {
  local want
  want=$(toolchain_arg "$@")
  use_lab_toolchain "$want"
  printf 'export DOCKER_HOST=%q\n' "$DOCKER_HOST"
  printf 'export BUILDX_BUILDER=%q\n' "$LAB_BUILDER"
  printf 'export LAB_DIR=%q\n' "$LAB_DIR"
  printf 'export LAB_REGISTRY=%q\n' "$LAB_REGISTRY"
  printf 'export LAB_GOLANG_IMAGE=%q\n' "$GOLANG_IMAGE"
  printf 'export LAB_DISTROLESS_IMAGE=%q\n' "$DISTROLESS_IMAGE"
  printf 'export LAB_PYTHON_IMAGE=%q\n' "$PYTHON_IMAGE"
  printf 'export LAB_GOLANG_CGO_IMAGE=%q\n' "$GOLANG_CGO_IMAGE"
  printf 'export LAB_GOPROXY=%q\n' "$LAB_GOPROXY"
  printf 'export LAB_GO_NETRC=%q\n' "$LAB_GO_NETRC"
  printf 'export LAB_GOPROXY_CA=%q\n' "$LAB_GOPROXY_CA"
  # the toolchain: its docker, dockerd, cosign first on PATH; its buildx through DOCKER_CONFIG
  # (a job with a DOCKER_CONFIG of its own links $LAB_BUILDX_PLUGIN into its cli-plugins/)
  printf 'export LAB_TOOLCHAIN=%q\n' "$TOOLCHAIN"
  printf 'export LAB_TOOLCHAIN_DIR=%q\n' "$TOOLCHAIN_DIR"
  printf 'export PATH=%q\n' "$PATH"
  printf 'export DOCKER_CONFIG=%q\n' "$DOCKER_CONFIG"
  printf 'export LAB_BUILDX_PLUGIN=%q\n' "$LAB_BUILDX_PLUGIN"
  printf 'export LAB_COSIGN=%q\n' "$LAB_COSIGN"
  # signing offline (no transparency log): cosign 3 refuses --tlog-upload=false without
  # --use-signing-config=false, a flag that cosign 2.5 does not know
  local offline=--tlog-upload=false
  if [[ -x $LAB_COSIGN ]] && "$LAB_COSIGN" sign --help 2>&1 | grep -q -- '--use-signing-config'; then
    offline+=' --use-signing-config=false'
  fi
  printf 'export LAB_COSIGN_OFFLINE_FLAGS="%s"\n' "$offline"
}

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
  up) cmd_up "$@" ;;
  install) cmd_install "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  env) cmd_env "$@" ;;
  cgo) cmd_cgo "$@" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
  esac
}

main "$@"
