"""The generated files the repository commits, and the one command that regenerates them.

Generated text is committed in two places besides the golden files: the reference
host's ctypes modules (one per ABI generation) and each template's copy of its
bindings (what plain `cookiecutter templates/<lang>` renders). Both come from the
schemas; `python -m nylon_ring_sdk.committed` rewrites every one that drifted, and
`--check` only lists them (a test runs it). Golden files belong to the tests and are
rewritten with `NYLON_RING_UPDATE_GOLDEN=1 python -m pytest tests`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .gen import generate, write_atomic
from .scaffold import available_languages, binding_files, load_template, template_project_dir
from .schema import load_default

HOST_DIR = Path(__file__).resolve().parent / "host"
#: ABI generation -> the host's ctypes module for it.
HOST_MODULES = {1: HOST_DIR / "nylon_ring_abi.py", 2: HOST_DIR / "nylon_ring_abi2.py"}


def committed_files() -> dict[Path, str]:
    """Every committed generated file outside tests/golden, with the text it must hold."""
    files = {path: generate(load_default(abi), "python")[0].content for abi, path in HOST_MODULES.items()}
    for lang in available_languages():
        spec = load_template(lang)
        # The committed copy is what plain cookiecutter renders: the template's newest generation.
        files.update(binding_files(spec, template_project_dir(spec), max(spec.generations)))
    return files


def stale_files() -> list[Path]:
    return [path for path, text in committed_files().items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


def refresh() -> list[Path]:
    """Rewrite every stale committed file (atomically); returns what was written."""
    files = committed_files()
    stale = stale_files()
    for path in stale:
        write_atomic(path, files[path])
    return stale


def main(argv: list[str]) -> int:
    if argv not in ([], ["--check"]):
        print("usage: python -m nylon_ring_sdk.committed [--check]", file=sys.stderr)
        return 2
    if argv == ["--check"]:
        stale = stale_files()
        for path in stale:
            print(f"{path}: stale (run `python -m nylon_ring_sdk.committed`)")
        return 1 if stale else 0
    for path in refresh():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
