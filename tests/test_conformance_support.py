"""Building the conformance corpus for the tests (helpers only; no tests live here).

The corpus plugins (`conformance/plugins/<name>/plugin.c`) are compiled against a
freshly generated `nylon_ring.h`, with the system C compiler or `zig cc`
(`toolchain.c_compiler()`), warnings as errors, each once for its content
(tests/compiled.py): every `tests/test_conformance*.py` module, every pytest-xdist
worker and the next session share these builds.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import tomllib
from functools import lru_cache
from pathlib import Path

from compiled import shared_library
from conftest import ROOT, missing

CORPUS = ROOT / "conformance" / "plugins"
MANIFEST = CORPUS / "reference" / "nylon-ring.toml"
NAMES = sorted(p.name for p in CORPUS.iterdir() if (p / "plugin.c").is_file())
#: Seconds per check in the tests: short, so that the hanging plugins cost little.
TIMEOUT = 4.0
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-fPIC", "-shared", "-pthread", "-fvisibility=hidden"]


@lru_cache(maxsize=1)
def _workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="nr-conformance-corpus-"))
    atexit.register(shutil.rmtree, path, True)
    return path


@lru_cache(maxsize=1)
def header_dir() -> Path:
    """A folder holding nylon_ring.h generated from the bundled schema."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    folder = _workdir() / "include"
    folder.mkdir()
    for f in generate(load_default(), "c"):
        (folder / f.path).write_text(f.content, encoding="utf-8")
    return folder


def compiler(prefer_zig: bool = False) -> list[str]:
    """The C compiler; skips the test when there is none (fails under NYLON_RING_REQUIRE_TOOLCHAINS=1)."""
    from nylon_ring_sdk.errors import ToolchainMissing
    from nylon_ring_sdk.toolchain import c_compiler

    try:
        return c_compiler(prefer_zig=prefer_zig)
    except ToolchainMissing as exc:
        missing(str(exc))


def sanitizer_flags(mode: str | None) -> tuple[str, ...]:
    """Compiler flags of a `conformance --sanitize` mode; skips the test when the machine has no
    runtime for it (fails under NYLON_RING_REQUIRE_TOOLCHAINS=1)."""
    if mode is None:
        return ()
    from nylon_ring_sdk.conformance import sanitize
    from nylon_ring_sdk.errors import ConformanceError

    try:
        sanitize.runtime(mode)
    except ConformanceError as exc:
        missing(str(exc))
    return (f"-fsanitize={mode}", "-g")


def build(name: str, prefer_zig: bool = False, sanitize: str | None = None) -> Path:
    """The corpus plugin `name`, compiled once for its content, compiler and sanitizer (tests/compiled.py)."""
    return shared_library(compiler(prefer_zig), [*CFLAGS, *sanitizer_flags(sanitize)], CORPUS / name / "plugin.c",
                          "plugin.so", [header_dir()])


def expectation(name: str) -> dict:
    """The corpus plugin's expect.toml: `fail`, `warn` (check ids), optional `reasons`, and how
    it is run: `manifest` ("reference", the default; "own": its folder's nylon-ring.toml;
    "embedded": none given, the plugin's export is used), `plugin_keys` (lines added to the
    reference manifest's [plugin] table), `env` (variables set for the run), `sanitize`
    (compiled with -fsanitize=MODE and run with --sanitize MODE) and `repeat`/`seed`
    (judged on the first failing run of `--repeat N --seed S`, which must fail)."""
    return tomllib.loads((CORPUS / name / "expect.toml").read_text(encoding="utf-8"))


def manifest_for(name: str) -> Path | None:
    """The manifest a corpus plugin is checked with (None: the plugin's embedded one)."""
    expected = expectation(name)
    kind = expected.get("manifest", "reference")
    if kind == "embedded":
        return None
    if kind == "own":
        return CORPUS / name / "nylon-ring.toml"
    keys = expected.get("plugin_keys", [])
    if not keys:
        return MANIFEST
    path = _workdir() / "manifests" / f"{name}.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(MANIFEST.read_text(encoding="utf-8").replace("[plugin]\n", "[plugin]\n" + "\n".join(keys) + "\n", 1),
                    encoding="utf-8")
    return path


# ---------------------------------------------------------------- ABI 2

ABI2_CORPUS = CORPUS / "abi2"
ABI2_MANIFEST = ABI2_CORPUS / "reference" / "nylon-ring.toml"
ABI2_NAMES = sorted(p.name for p in ABI2_CORPUS.iterdir() if (p / "plugin.c").is_file())


@lru_cache(maxsize=1)
def _abi2_header() -> Path:
    """A folder holding nylon_ring.h generated from the bundled ABI 2 schema."""
    import tempfile

    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    folder = Path(tempfile.mkdtemp(prefix="nr-conformance-abi2-"))
    for f in generate(load_default(2), "c"):
        (folder / f.path).write_text(f.content, encoding="utf-8")
    return folder


def build_abi2(name: str, sanitize: str | None = None) -> Path:
    """An ABI 2 corpus plugin, compiled with warnings as errors once for its content and sanitizer
    (tests/compiled.py)."""
    return shared_library(compiler(), [*CFLAGS, *sanitizer_flags(sanitize)], ABI2_CORPUS / name / "plugin.c",
                          "plugin.so", [_abi2_header()])
