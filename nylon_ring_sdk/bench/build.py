"""Compiling the native harness on first use, cached by what goes into it.

The harness ships as C source inside the package. It is built with the generated
``nylon_ring.h`` (so it can never drift from the schema) by the system C compiler or
``zig cc``, and cached in ``cache.cache_dir()/bench/`` under a key that hashes the
source, the header, the compiler command and the flags: a new package version, a
schema change or another compiler gives another binary, and an old one is never reused
by mistake. The binary is written under a temporary name and renamed into place, so
two processes building at once never see half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import BuildError
from .. import cache, toolchain

NATIVE_DIR = Path(__file__).resolve().parent / "native"
HARNESS_SOURCE = NATIVE_DIR / "harness.c"
CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function"]
LIBS = ["-pthread", "-ldl"]


def generated_header(abi: int = 1) -> str:
    """The C header of a bundled generation, exactly as `gen-bindings --lang c --abi N` writes it."""
    return toolchain.generated_c_header(abi)


def cache_key(source: str, header: str, compiler: list[str]) -> str:
    """Hash of every input that changes the binary."""
    return cache.content_key(source, header, "\0".join(compiler), " ".join(CFLAGS + LIBS))


def compiler_command() -> list[str]:
    """The C compiler for the harness; ``NYLON_RING_BENCH_CC`` overrides the usual search."""
    override = os.environ.get("NYLON_RING_BENCH_CC")
    if override:
        return override.split()
    return toolchain.c_compiler()


def harness_path(compiler: list[str] | None = None, abi: int = 1) -> Path:
    """Path of the harness for one ABI generation, building it first when the cache has no match.

    One source serves both generations: the header's NR_ABI_VERSION selects the layer.
    """
    cc = compiler or compiler_command()
    source = HARNESS_SOURCE.read_text(encoding="utf-8")
    header = generated_header(abi)
    target = cache.cache_dir() / "bench" / f"harness-abi{abi}-{cache_key(source, header, cc)}"
    return toolchain.compile_cached(HARNESS_SOURCE, cc, CFLAGS, LIBS, target=target, header=header,
                                    what=f"the ABI {abi} benchmark harness", error=BuildError)
