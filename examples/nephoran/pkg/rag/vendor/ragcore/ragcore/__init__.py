"""A stand-in for the RAG API's real dependencies, installed from local source."""


def describe(name: str, version: str, machine: str) -> str:
    return f"{name} version={version} machine={machine}"
