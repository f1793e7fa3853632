"""The generated files the repository commits, and the one command that regenerates them.

Generated text is committed in three places: the golden files of the tests
(`tests/golden/`, one per generated output of the bundled schemas and of the awkward
fixture), the reference host's ctypes modules (one per ABI generation) and each
template's copy of its bindings (what plain `cookiecutter templates/<lang>` renders).
All come from schemas; `python -m nylon_ring_sdk.committed` rewrites every one that
drifted, and `--check` only lists them (a test runs it). There is no other way: the
golden tests compare and fail, they never write.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .gen import LANGUAGES, generate, write_atomic
from .scaffold import available_languages, binding_files, load_template, template_project_dir
from .schema import load_default, load_schema
from .schema.model import Schema

HOST_DIR = Path(__file__).resolve().parent / "host"
#: ABI generation -> the host's ctypes module for it.
HOST_MODULES = {1: HOST_DIR / "nylon_ring_abi.py", 2: HOST_DIR / "nylon_ring_abi2.py"}
#: The golden files live in the checkout's tests; an installed package has none to keep.
TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"
GOLDEN_DIR = TESTS_DIR / "golden"
AWKWARD = TESTS_DIR / "fixtures" / "awkward.toml"


def _golden_set(schema: Schema, folder: str, names: dict[str, dict[str, str]] | None) -> dict[str, str]:
    """Golden name -> text for one schema: `folder/<lang>/<file>`, or the names `names` gives
    ({lang: {generated file: golden name}}; a language or file it leaves out has no golden)."""
    found = {}
    for lang in LANGUAGES if names is None else names:
        for f in generate(schema, lang):
            if names is None:
                found[f"{folder}{lang}/{f.path}"] = f.content
            elif f.path in names[lang]:
                found[names[lang][f.path]] = f.content
    return found


def golden_files() -> dict[Path, str]:
    """Every golden file under tests/golden with the text it must hold (none outside a checkout)."""
    if not AWKWARD.is_file():
        return {}
    go = [f.path for f in generate(load_default(1), "go") if f.path != "nylon_ring.h"]  # its golden is c/
    abi1 = {"c": {"nylon_ring.h": "c/nylon_ring.h"}, "cpp": {"nylon_ring.hpp": "cpp/nylon_ring.hpp"},
            "go": {name: f"go/{name}" for name in go}, "python": {"nylon_ring_abi.py": "python/nylon_ring_abi.py"},
            "rust": {"nylon_ring_abi.rs": "rust/nylon_ring_abi.rs"}, "zig": {"nylon_ring.zig": "zig/nylon_ring.zig"}}
    awkward = {"c": {"nylon_ring.h": "c/awkward.h"}, "cpp": {"nylon_ring.hpp": "cpp/awkward.hpp"},
               "go": {name: f"go/awkward/{name}" for name in go}, "rust": {"nylon_ring_abi.rs": "rust/awkward.rs"},
               "zig": {"nylon_ring.zig": "zig/awkward.zig"}}
    named = {**_golden_set(load_default(1), "", abi1), **_golden_set(load_schema(AWKWARD), "", awkward),
             **_golden_set(load_default(2), "abi2/", None)}
    return {GOLDEN_DIR / name: text for name, text in named.items()}


def committed_files() -> dict[Path, str]:
    """Every committed generated file, with the text it must hold."""
    files = golden_files()
    files |= {path: generate(load_default(abi), "python")[0].content for abi, path in HOST_MODULES.items()}
    for lang in available_languages():
        spec = load_template(lang)
        # The committed copy is what plain cookiecutter renders: the template's newest generation.
        files.update(binding_files(spec, template_project_dir(spec), max(spec.generations)))
    return files


def stale_files(files: dict[Path, str] | None = None) -> list[Path]:
    files = committed_files() if files is None else files
    return [path for path, text in files.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]


def orphan_goldens(files: dict[Path, str]) -> list[Path]:
    """Files under tests/golden that nothing here writes: a golden no generator keeps is dead weight."""
    if not GOLDEN_DIR.is_dir():
        return []
    return sorted(p for p in GOLDEN_DIR.rglob("*") if p.is_file() and p not in files)


def refresh() -> list[Path]:
    """Rewrite every stale committed file (atomically); returns what was written."""
    files = committed_files()
    stale = stale_files(files)
    for path in stale:
        write_atomic(path, files[path])
    return stale


def main(argv: list[str]) -> int:
    if argv not in ([], ["--check"]):
        print("usage: python -m nylon_ring_sdk.committed [--check]", file=sys.stderr)
        return 2
    files = committed_files()
    orphans = orphan_goldens(files)
    for path in orphans:
        print(f"{path}: no generator writes this golden file (remove it, or add it to committed.golden_files)")
    if argv == ["--check"]:
        stale = stale_files(files)
        for path in stale:
            print(f"{path}: stale (run `python -m nylon_ring_sdk.committed`)")
        return 1 if stale or orphans else 0
    for path in refresh():
        print(f"wrote {path}")
    return 1 if orphans else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
