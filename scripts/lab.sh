#!/usr/bin/env bash
# Local multi-architecture Docker build lab (see the shared docs: build-lab.md).
#
#   scripts/lab.sh up             install what is missing, start dockerd + registry, build base images
#   scripts/lab.sh down [--purge] stop what `up` started (by pid); --purge also deletes $LAB_DIR
#   scripts/lab.sh status         say what is running; exit 0 when the lab is fully up, 1 otherwise
#   scripts/lab.sh env            print exports for: eval "$(scripts/lab.sh env)"
#   scripts/lab.sh cgo            (optional, lab up) add lab/golang-cgo:1.24 for amd64+arm64 with gcc (slow: arm64 under QEMU)
#
# Environment: LAB_DIR (default /var/tmp/projen-multiarch-lab), LAB_REGISTRY_PORT (default 5000),
# LAB_GOPROXY_MODULES (default examples/monorepo/.lab-modules of this repository).
# Everything lives under $LAB_DIR: dockerd data/exec roots and socket, registry storage,
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
# because the install below skips Recommends).
BOOKWORM_PACKAGES=(qemu-user-static binfmt-support docker-registry mmdebstrap arch-test iptables runc tini openssl)
TRIXIE_PACKAGES=(docker.io containerd docker-buildx)
# cosign (2.5) for the signing e2e: extracted from trixie's .deb into $LAB_DIR, not installed
COSIGN_PACKAGE=cosign
MIN_DOCKERD_VERSION=26
BUILDX_PLUGIN=/usr/libexec/docker/cli-plugins/docker-buildx
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
DOCKERD_CONFIG=${LAB_DIR}/daemon.json
DOCKERD_PID=${LAB_DIR}/dockerd.pid
DOCKERD_LOG=${LAB_DIR}/dockerd.log
REGISTRY_CONFIG=${LAB_DIR}/registry.yml
REGISTRY_PID=${LAB_DIR}/registry.pid
REGISTRY_LOG=${LAB_DIR}/registry.log
CACHE_DIR=${LAB_DIR}/cache
LOG_DIR=${LAB_DIR}/logs
WORK_DIR=${LAB_DIR}/work
TRIXIE_APT=${LAB_DIR}/trixie-apt
LAB_MARKER=${LAB_DIR}/.projen-multiarch-lab # `down --purge` deletes only a directory that has it
LAB_COSIGN=${LAB_DIR}/cosign/usr/bin/cosign  # `scripts/lab.sh env` exports it
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

docker_up() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }
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
  step "packages"
  local missing=() p trixie_needed=0 v
  for p in "${BOOKWORM_PACKAGES[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  for p in "${TRIXIE_PACKAGES[@]}"; do
    pkg_installed "$p" || trixie_needed=1
  done
  v=$(pkg_version docker.io)
  if [[ -n $v ]] && ! dpkg --compare-versions "$v" ge "$MIN_DOCKERD_VERSION"; then
    log "docker.io ${v} is older than ${MIN_DOCKERD_VERSION} (no multi-platform docker-driver builds); installing trixie's"
    trixie_needed=1
  fi
  if [[ ${#missing[@]} -eq 0 && $trixie_needed -eq 0 ]]; then
    step_done "all present (docker.io $(pkg_version docker.io), containerd $(pkg_version containerd), docker-buildx $(pkg_version docker-buildx))"
    return 0
  fi

  [[ $(id -u) -eq 0 ]] || die "installing packages needs root"
  apt_policy_guard
  trap apt_policy_release EXIT
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "apt-get install (bookworm): ${missing[*]}"
    run_logged "$LOG_DIR/apt-bookworm.log" apt-get update
    run_logged "$LOG_DIR/apt-bookworm.log.install" apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  if [[ $trixie_needed -eq 1 ]]; then
    local m
    m=$(mirror)
    log "downloading from trixie (${m}): ${TRIXIE_PACKAGES[*]}"
    mkdir -p "$TRIXIE_APT/lists/partial" "$TRIXIE_APT/debs"
    rm -f "$TRIXIE_APT"/debs/*.deb
    echo "deb $m trixie main" >"$TRIXIE_APT/sources.list"
    local o=(-o "Dir::Etc::SourceList=$TRIXIE_APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$TRIXIE_APT/lists" -o APT::Architecture=amd64 -o APT::Architectures=amd64)
    run_logged "$LOG_DIR/apt-trixie.log" apt-get "${o[@]}" update
    (cd "$TRIXIE_APT/debs" && run_logged "$LOG_DIR/apt-trixie.log.download" apt-get "${o[@]}" download "${TRIXIE_PACKAGES[@]}")
    run_logged "$LOG_DIR/apt-trixie.log.install" dpkg -i "$TRIXIE_APT"/debs/*.deb
  fi
  apt_policy_release
  trap - EXIT
  step_done "installed (docker.io $(pkg_version docker.io), containerd $(pkg_version containerd), docker-buildx $(pkg_version docker-buildx))"
}

# trixie_apt ARGS...: apt-get against trixie's lists under $TRIXIE_APT (the system stays on bookworm).
trixie_apt() {
  local m
  m=$(mirror)
  mkdir -p "$TRIXIE_APT/lists/partial" "$TRIXIE_APT/debs"
  echo "deb $m trixie main" >"$TRIXIE_APT/sources.list"
  apt-get -o "Dir::Etc::SourceList=$TRIXIE_APT/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o "Dir::State::Lists=$TRIXIE_APT/lists" -o APT::Architecture=amd64 -o APT::Architectures=amd64 "$@"
}

ensure_cosign() {
  step "cosign"
  if [[ -x $LAB_COSIGN ]]; then
    step_done "present ($("$LAB_COSIGN" version 2>/dev/null | sed -n 's/^GitVersion: *//p'))"
    return 0
  fi
  local dir=$WORK_DIR/cosign-deb
  rm -rf "$dir" && mkdir -p "$dir"
  ls "$TRIXIE_APT"/lists/*_Packages >/dev/null 2>&1 || run_logged "$LOG_DIR/apt-trixie-cosign.log" trixie_apt update
  (cd "$dir" && run_logged "$LOG_DIR/apt-trixie-cosign.log.download" trixie_apt download "$COSIGN_PACKAGE")
  rm -rf "$LAB_DIR/cosign"
  dpkg-deb -x "$dir"/cosign_*.deb "$LAB_DIR/cosign"
  [[ -x $LAB_COSIGN ]] || die "no cosign binary in trixie's ${COSIGN_PACKAGE} package"
  step_done "extracted $("$LAB_COSIGN" version 2>/dev/null | sed -n 's/^GitVersion: *//p') to ${LAB_COSIGN}"
}

ensure_buildx() {
  step "buildx plugin"
  if ! docker buildx version >/dev/null 2>&1; then
    [[ -x $BUILDX_PLUGIN ]] || die "docker-buildx is installed but ${BUILDX_PLUGIN} is missing"
    local dir=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
    mkdir -p "$dir"
    ln -sf "$BUILDX_PLUGIN" "$dir/docker-buildx"
    log "linked ${dir}/docker-buildx -> ${BUILDX_PLUGIN}"
    docker buildx version >/dev/null 2>&1 || die "'docker buildx version' still fails"
  fi
  step_done "$(docker buildx version)"
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
start_dockerd() {
  step "dockerd"
  if pid_alive "$DOCKERD_PID" dockerd && docker_up; then
    local gateway
    gateway=$(bridge_address)
    # an empty answer restarts nothing (the proxy step then says what is wrong)
    if [[ -e /sys/class/net/$DOCKER_BRIDGE && ( -z $gateway || $gateway == "$DOCKER_BRIDGE_GATEWAY") ]]; then
      step_done "already running (pid $(<"$DOCKERD_PID"), $(docker info --format '{{.ServerVersion}}'))"
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
    stop_pid dockerd "$DOCKERD_PID" dockerd
  fi
  if pid_alive "$DOCKERD_PID" dockerd; then
    log "dockerd pid $(<"$DOCKERD_PID") is alive but does not answer yet; waiting"
  else
    if [[ -S $DOCKER_SOCK ]] && docker_up; then
      die "something else answers on ${DOCKER_SOCK} (not the pid in ${DOCKERD_PID}); stop it first"
    fi
    rm -f "$DOCKERD_PID"
    mkdir -p "$LAB_DIR/docker" "$LAB_DIR/exec"
    printf '{\n  "features": { "containerd-snapshotter": true },\n  "bip": "%s"\n}\n' "$DOCKER_BRIDGE_CIDR" >"$DOCKERD_CONFIG"
    # setsid: dockerd must outlive this script and its process group (CI steps, job shells).
    setsid dockerd \
      --config-file "$DOCKERD_CONFIG" \
      --data-root "$LAB_DIR/docker" \
      --exec-root "$LAB_DIR/exec" \
      --pidfile "$DOCKERD_PID" \
      -H "unix://$DOCKER_SOCK" \
      </dev/null >>"$DOCKERD_LOG" 2>&1 &
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
  docker info --format '{{json .DriverStatus}}' | grep -q io.containerd.snapshotter ||
    die "dockerd is not using the containerd image store (multi-platform builds need it)"
  [[ $(bridge_address) == "$DOCKER_BRIDGE_GATEWAY" ]] ||
    die "dockerd's bridge ${DOCKER_BRIDGE} has gateway '$(bridge_address)', not ${DOCKER_BRIDGE_GATEWAY} (\"bip\" in ${DOCKERD_CONFIG}); is ${DOCKER_BRIDGE_CIDR} used by another interface?"
  step_done "started (pid $(<"$DOCKERD_PID"), $(docker info --format '{{.ServerVersion}}'), containerd image store)"
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
    setsid sh -c 'echo $$ >"$1"; exec docker-registry serve "$2"' lab-registry \
      "$REGISTRY_PID" "$REGISTRY_CONFIG" </dev/null >>"$REGISTRY_LOG" 2>&1 &
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
cmd_cgo() {
  cmd_status >/dev/null || die "the lab is not up: run $0 up first"
  build_golang_cgo
}

cmd_up() {
  local t0
  t0=$(now_ms)
  [[ $(id -u) -eq 0 ]] || die "the lab needs root (dockerd, binfmt, packages)"
  mkdir -p "$LAB_DIR" "$CACHE_DIR" "$LOG_DIR" "$WORK_DIR"
  [[ -e $LAB_MARKER ]] || echo "created by scripts/lab.sh; 'scripts/lab.sh down --purge' deletes this directory" >"$LAB_MARKER"
  log "lab up: LAB_DIR=${LAB_DIR} registry=${LAB_REGISTRY}"
  install_packages
  ensure_cosign
  ensure_buildx
  ensure_binfmt
  start_dockerd
  start_registry
  make_goproxy_tls
  build_golang
  build_distroless
  build_python
  start_goproxy
  log "lab is up in $(fmt_ms $(($(now_ms) - t0))); use it with: eval \"\$($0 env)\""
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
    log "kept ${LAB_DIR} (registry storage, image cache); 'down --purge' deletes it"
  fi
  log "lab is down ($(fmt_ms $(($(now_ms) - t0))))"
}

cmd_status() {
  local ok=0
  if pid_alive "$DOCKERD_PID" dockerd && docker_up && [[ ! -e /sys/class/net/$DOCKER_BRIDGE ]]; then
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
  if [[ $ok -eq 0 ]]; then echo "lab: up"; else echo "lab: down (run: $0 up)"; fi
  return "$ok"
}

cmd_env() {
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
  printf 'export LAB_COSIGN=%q\n' "$LAB_COSIGN"
}

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
  up) cmd_up "$@" ;;
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
