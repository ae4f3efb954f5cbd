import os
import platform
import re

import jinja2
import markupsafe._speedups as speedups  # MarkupSafe's C extension: fails to load for another architecture

# the wheel's architecture, from the extension's file name (e.g. _speedups.cpython-311-aarch64-linux-gnu.so)
native = re.search(r"cpython-[0-9]+-([a-z0-9_]+)-linux", os.path.basename(speedups.__file__)).group(1)
home = os.path.expanduser("~")
try:
    os.makedirs(os.path.join(home, ".cache"), exist_ok=True)
    open(os.path.join(home, ".cache", "probe"), "w").close()
    writable = "writable"
except OSError as e:
    writable = f"not-writable({e.strerror})"
line = jinja2.Template("scorer version={{ v }} machine={{ m }} speedups={{ s }} home={{ h }}").render(
    v=os.environ.get("APP_VERSION", "dev"), m=platform.machine(), s=native, h=writable
)
print(line, flush=True)
