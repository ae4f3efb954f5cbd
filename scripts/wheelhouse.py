"""Repackages Debian's python3-markupsafe and python3-jinja2 as wheels (see wheelhouse.sh)."""
import base64
import hashlib
import os
import re
import sys
import zipfile

work, dest = sys.argv[1], sys.argv[2]
SITE = "usr/lib/python3/dist-packages"
WHEEL_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}


def upstream(root):
    with open(os.path.join(root, ".version")) as f:
        return re.sub(r"^[0-9]+:", "", f.read().strip()).split("-")[0].split("+")[0]


def wheel(root, name, package, version, tag, requires):
    files = []
    for base, _, names in os.walk(os.path.join(root, SITE, package)):
        for n in sorted(names):
            if "__pycache__" in base:
                continue
            full = os.path.join(base, n)
            files.append((os.path.relpath(full, os.path.join(root, SITE)), open(full, "rb").read()))
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    purelib = "true" if tag.endswith("none-any") else "false"
    files += [(f"{info}/METADATA", metadata.encode()), (f"{info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: projen-multiarch wheelhouse\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n".encode())]
    record = "".join(f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\n" for p, d in files)
    record += f"{info}/RECORD,,\n"
    out = os.path.join(dest, f"{name}-{version}-{tag}.whl")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files + [(f"{info}/RECORD", record.encode())]:
            entry = zipfile.ZipInfo(p, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            z.writestr(entry, d)
    print(f"wrote {os.path.basename(out)}")


for arch, machine in WHEEL_ARCH.items():
    root = os.path.join(work, f"python3-markupsafe-{arch}")
    wheel(root, "MarkupSafe", "markupsafe", upstream(root), f"cp311-cp311-manylinux_2_36_{machine}", [])
root = os.path.join(work, "python3-jinja2-amd64")
wheel(root, "Jinja2", "jinja2", upstream(root), "py3-none-any", ["MarkupSafe>=2.0"])
