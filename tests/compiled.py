"""C plugins the tests build, compiled once for their content whichever worker or session asks.

The conformance corpus (conformance/plugins/, ~70 plugins and growing) and the host's
test plugins are plain C files compiled into shared libraries. Each build is kept in
the tool's cache folder (`cache.cache_dir()/test-builds`, NYLON_RING_CACHE moves
it) under a key hashing everything that changes the output: the compiler (its path
and `--version`), the flags, the source and every local file it includes with
`#include "..."`. A second session, or a second pytest-xdist worker, that asks for the
same build loads the one already made; a changed fixture or header is compiled anew.
Only successful builds are kept: a compile error fails the test every time.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import pytest

INCLUDE = re.compile(rb'^\s*#\s*include\s*"([^"]+)"', re.M)


@lru_cache(maxsize=None)
def compiler_identity(cc: tuple[str, ...]) -> str:
    """What tells one compiler from another: its argv and its `--version` output."""
    proc = subprocess.run([*cc, "--version"], capture_output=True, text=True)
    return "\0".join(cc) + "\0" + proc.stdout + proc.stderr


def local_inputs(source: Path, include_dirs: Sequence[Path]) -> list[tuple[str, bytes]]:
    """(path, content) of `source` and, recursively, each file it includes with quotes that
    exists (next to the including file first, then in `include_dirs`, as the compiler looks)."""
    found: dict[Path, bytes] = {}
    pending = [source.resolve()]
    while pending:
        path = pending.pop()
        if path in found:
            continue
        found[path] = data = path.read_bytes()
        for name in INCLUDE.findall(data):
            rel = Path(os.fsdecode(name))
            for folder in (path.parent, *include_dirs):
                candidate = (folder / rel).resolve()
                if candidate.is_file():
                    pending.append(candidate)
                    break
    return sorted((str(path), data) for path, data in found.items())


def shared_library(cc: Sequence[str], flags: Sequence[str], source: Path, name: str,
                   include_dirs: Sequence[Path] = (), defines: Sequence[str] = ()) -> Path:
    """`source` compiled with `cc flags -I... -D... -o lib` into a cached shared library
    named `name`; a compile error fails the test with the compiler's output."""
    from nylon_ring_sdk.cache import cache_dir, content_key

    args = [*flags, *(f"-I{d}" for d in include_dirs), *(f"-D{d}" for d in defines)]
    # The -I folders' paths change from session to session; what is read from them is hashed.
    parts = [compiler_identity(tuple(cc)), *flags, *(f"-D{d}" for d in defines)]
    for path, data in local_inputs(source, include_dirs):
        parts += [Path(path).name, data]
    target = cache_dir() / "test-builds" / content_key(*parts) / name
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker waits for the first one's build
        if target.is_file():
            return target
        scratch = target.with_name(f".{name}.{os.getpid()}")
        cmd = [*cc, *args, "-o", str(scratch), str(source)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            scratch.unlink(missing_ok=True)
            pytest.fail(f"compiling {source} failed: {' '.join(cmd)}\n{proc.stderr}", pytrace=False)
        os.replace(scratch, target)
    return target
