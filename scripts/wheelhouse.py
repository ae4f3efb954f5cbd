"""Repackages Debian bookworm's Python packages as wheels in PyPI's tag shapes (see wheelhouse.sh)."""
import base64
import hashlib
import os
import re
import sys
import zipfile

work, dest = sys.argv[1], sys.argv[2]
SITE = "usr/lib/python3/dist-packages"
WHEEL_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}

# (deb, distribution, top-level package, wheel tag for the machine {m}, requirements)
# - MarkupSafe: PyPI's most common shape, manylinux_2_17 with its manylinux2014 alias.
# - msgpack: a manylinux_2_28 wheel (PEP 600 only), as newer projects ship.
# - psutil: an abi3 wheel, psutil's real PyPI tag. Debian builds the extension per Python version
#   (_psutil_linux.cpython-311-...so), so only the tag shape is exercised: it is a 3.11 extension
#   retagged abi3.
# - simplejson: tagged for glibc 2.40, newer than bookworm's 2.36: CROSS_WHEELS must refuse it.
# - Jinja2: pure Python.
NATIVE = [
    ("python3-markupsafe", "MarkupSafe", "markupsafe", "cp311-cp311-manylinux_2_17_{m}.manylinux2014_{m}", []),
    ("python3-msgpack", "msgpack", "msgpack", "cp311-cp311-manylinux_2_28_{m}", []),
    ("python3-psutil", "psutil", "psutil", "cp36-abi3-manylinux_2_17_{m}.manylinux2014_{m}", []),
    ("python3-simplejson", "simplejson", "simplejson", "cp311-cp311-manylinux_2_40_{m}", []),
]
PURE = [("python3-jinja2", "Jinja2", "jinja2", "py3-none-any", ["MarkupSafe>=2.0"])]


def upstream(root):
    with open(os.path.join(root, ".version")) as f:
        return re.sub(r"^[0-9]+:", "", f.read().strip()).split("-")[0].split("+")[0]


def expand(tag):
    """The tags of a compressed tag set: cp311-cp311-a.b -> cp311-cp311-a, cp311-cp311-b (PEP 425)."""
    py, abi, plat = tag.split("-")
    return [f"{p}-{a}-{x}" for p in py.split(".") for a in abi.split(".") for x in plat.split(".")]


def wheel(root, name, package, version, tag, requires):
    files = []
    for base, dirs, names in os.walk(os.path.join(root, SITE, package)):
        dirs.sort()
        for n in sorted(names):
            if "__pycache__" in base:
                continue
            full = os.path.join(base, n)
            files.append((os.path.relpath(full, os.path.join(root, SITE)), open(full, "rb").read()))
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    purelib = "true" if tag.endswith("none-any") else "false"
    tags = "".join(f"Tag: {t}\n" for t in expand(tag))
    files += [(f"{info}/METADATA", metadata.encode()), (f"{info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: projen-multiarch wheelhouse\nRoot-Is-Purelib: {purelib}\n{tags}".encode())]
    record = "".join(f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\n" for p, d in files)
    record += f"{info}/RECORD,,\n"
    out = os.path.join(dest, f"{name}-{version}-{tag}.whl")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files + [(f"{info}/RECORD", record.encode())]:
            entry = zipfile.ZipInfo(p, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            z.writestr(entry, d)
    print(f"wrote {os.path.basename(out)}")


for deb, name, package, tag, requires in NATIVE:
    for arch, machine in WHEEL_ARCH.items():
        root = os.path.join(work, f"{deb}-{arch}")
        wheel(root, name, package, upstream(root), tag.format(m=machine), requires)
for deb, name, package, tag, requires in PURE:
    root = os.path.join(work, f"{deb}-amd64")
    wheel(root, name, package, upstream(root), tag, requires)
