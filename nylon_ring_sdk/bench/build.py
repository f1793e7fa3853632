"""Compiling the native harness on first use, cached by what goes into it.

The harness ships as C source inside the package. It is built with the generated
``nylon_ring.h`` (so it can never drift from the schema) by the system C compiler or
``zig cc``, and cached in ``toolchain.cache_dir()/bench/`` under a key that hashes the
source, the header, the compiler command and the flags: a new package version, a
schema change or another compiler gives another binary, and an old one is never reused
by mistake. The binary is written under a temporary name and renamed into place, so
two processes building at once never see half a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from ..errors import BuildError
from .. import toolchain

NATIVE_DIR = Path(__file__).resolve().parent / "native"
HARNESS_SOURCE = NATIVE_DIR / "harness.c"
CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function"]
LIBS = ["-pthread", "-ldl"]


def generated_header() -> str:
    """The C header for the bundled schema, exactly as `gen-bindings --lang c` writes it."""
    from ..gen import generate
    from ..gen.c import HEADER
    from ..schema import load_default

    files = generate(load_default(), "c")
    return next(f.content for f in files if f.path == HEADER)


def cache_key(source: str, header: str, compiler: list[str]) -> str:
    """Hash of every input that changes the binary."""
    digest = hashlib.sha256()
    for part in (source, header, "\0".join(compiler), " ".join(CFLAGS + LIBS)):
        digest.update(part.encode())
        digest.update(b"\0\0")
    return digest.hexdigest()[:20]


def compiler_command() -> list[str]:
    """The C compiler for the harness; ``NYLON_RING_BENCH_CC`` overrides the usual search."""
    override = os.environ.get("NYLON_RING_BENCH_CC")
    if override:
        return override.split()
    return toolchain.c_compiler()


def harness_path(compiler: list[str] | None = None) -> Path:
    """Path of the compiled harness, building it first when the cache has no match."""
    cc = compiler or compiler_command()
    source = HARNESS_SOURCE.read_text(encoding="utf-8")
    header = generated_header()
    target = toolchain.cache_dir() / "bench" / f"harness-{cache_key(source, header, cc)}"
    if not target.is_file():
        _build(cc, source, header, target)
    return target


def _build(cc: list[str], source: str, header: str, target: Path) -> None:
    """Compile into a scratch folder beside the target, then rename atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".harness-", dir=str(target.parent)) as scratch:
        work = Path(scratch)
        (work / "nylon_ring.h").write_text(header, encoding="utf-8")
        (work / "harness.c").write_text(source, encoding="utf-8")
        out = work / "harness"
        cmd = [*cc, *CFLAGS, "-I", str(work), str(work / "harness.c"), "-o", str(out), *LIBS]
        try:
            proc = toolchain.run(cmd, cwd=work, timeout=300)
        except OSError as exc:
            raise BuildError(f"{HARNESS_SOURCE}: cannot run the C compiler {cc[0]} ({exc})") from exc
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            first = detail[0] if detail else f"exit code {proc.returncode}"
            raise BuildError(f"{HARNESS_SOURCE}: compiling the benchmark harness with {' '.join(cc)} failed: {first}")
        os.replace(out, target)
