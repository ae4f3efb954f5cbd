#!/usr/bin/env bash
# Writes a wheelhouse of real third-party wheels for CPython 3.11 on linux/amd64 and linux/arm64,
# without PyPI, in the tag shapes PyPI serves: Debian bookworm's (Python 3.11, glibc 2.36) builds of
# MarkupSafe (cp311 manylinux_2_17 + manylinux2014), msgpack (cp311 manylinux_2_28), psutil (cp36
# abi3 manylinux_2_17 + manylinux2014; Debian's extension is a 3.11 one, retagged), Jinja2
# (py3-none-any), and simplejson tagged manylinux_2_40, newer than the base image's glibc, which
# CROSS_WHEELS must refuse (see wheelhouse.py). examples/monorepo's scorer installs them with
# installStrategy CROSS_WHEELS; npm run bench compares it with TARGET.
#
#   scripts/wheelhouse.sh DEST_DIR      (needs the lab: scripts/lab.sh up)
set -euo pipefail
dest=${1:?usage: scripts/wheelhouse.sh DEST_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
eval "$(bash "$ROOT/scripts/lab.sh" env)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

# the pool path of a package's .deb for an architecture, from the mirror's package index
deb_path() { # package arch
  [ -f "$work/Packages-$2" ] || curl -fsSL "$MIRROR/dists/bookworm/main/binary-$2/Packages.xz" | xz -d > "$work/Packages-$2"
  awk -v p="$1" '$1 == "Package:" { hit = ($2 == p) } hit && $1 == "Filename:" { print $2; exit }' "$work/Packages-$2"
}

for spec in python3-{markupsafe,msgpack,psutil,simplejson}:{amd64,arm64} python3-jinja2:amd64; do
  pkg=${spec%%:*} arch=${spec##*:}
  file=$(deb_path "$pkg" "$arch")
  [ -n "$file" ] || { echo "wheelhouse: $pkg has no $arch package on $MIRROR" >&2; exit 1; }
  curl -fsSL -o "$work/$pkg-$arch.deb" "$MIRROR/$file"
  mkdir -p "$work/$pkg-$arch"
  dpkg-deb -x "$work/$pkg-$arch.deb" "$work/$pkg-$arch"
  dpkg-deb -f "$work/$pkg-$arch.deb" Version > "$work/$pkg-$arch/.version"
done

# the lab's Python writes the wheels (zip, dist-info, RECORD), with constant file times
docker run --rm -v "$work:/work" -v "$(cd "$dest" && pwd):/dest" -v "$ROOT/scripts/wheelhouse.py:/wheelhouse.py:ro" \
  -e OWNER="$(id -u):$(id -g)" "$LAB_PYTHON_IMAGE" sh -c 'python /wheelhouse.py /work /dest && chown -R "$OWNER" /dest'
ls "$dest"
