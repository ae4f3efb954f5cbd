"""A stand-in for the RAG API's real dependencies, installed from local source with a C extension."""
import os

from ragcore import _native


def home_writable() -> str:
    """Libraries cache under $HOME (Hugging Face, matplotlib, torch): it must be writable."""
    cache = os.path.join(os.path.expanduser("~"), ".cache", "ragcore")
    try:
        os.makedirs(cache, exist_ok=True)
        with open(os.path.join(cache, "probe"), "w") as f:
            f.write("ok")
        return "writable"
    except OSError as e:
        return f"not-writable({e.strerror})"


def describe(name: str, version: str, machine: str) -> str:
    # 0^2 + 1^2 + ... + 9^2 = 285, computed by the C extension
    assert _native.score(10) == 285.0
    return f"{name} version={version} machine={machine} native={_native.machine()} home={home_writable()}"
