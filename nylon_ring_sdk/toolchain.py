"""Finding compilers: the system's, or the Zig toolchain from the `ziglang` package.

`zig cc`/`zig c++` are full C/C++ compilers and cross-compilers, so a machine with
nothing but Python can still build C, C++ and Zig plugins, the host shim and the
benchmark harness.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from .errors import ToolchainMissing
from .gen import generate
from .gen.c import HEADER
from .schema import load_default


@lru_cache(maxsize=None)
def zig_command() -> list[str] | None:
    """The argv prefix that runs zig: the ziglang package's binary, else a `zig` on PATH."""
    try:
        import ziglang  # lazy: an optional package, looked for only when zig is wanted

        exe = Path(ziglang.__file__).parent / ("zig.exe" if os.name == "nt" else "zig")
        if exe.is_file():
            return [str(exe)]
    except ImportError:
        pass
    found = shutil.which("zig")
    return [found] if found else None


def require_zig() -> list[str]:
    cmd = zig_command()
    if cmd is None:
        raise ToolchainMissing("zig not found (expected the `ziglang` Python package: pip install ziglang)")
    return cmd


def c_compiler(prefer_zig: bool = False, cxx: bool = False) -> list[str]:
    """argv prefix of a C (or C++) compiler: $CC/$CXX, cc/c++, gcc/g++, clang, else `zig cc`."""
    if not prefer_zig:
        env = os.environ.get("CXX" if cxx else "CC")
        if env:
            return env.split()
        names = ("c++", "g++", "clang++") if cxx else ("cc", "gcc", "clang")
        for name in names:
            found = shutil.which(name)
            if found:
                return [found]
    zig = zig_command()
    if zig is None:
        raise ToolchainMissing("no C compiler found (expected cc/gcc/clang on PATH or the `ziglang` package)")
    return [*zig, "c++" if cxx else "cc"]


def shared_library_suffix(target: str | None = None) -> str:
    """`.so`, `.dylib` or `.dll` for a target triple (default: this machine)."""
    probe = target or sys.platform
    if "windows" in probe or probe.startswith("win"):
        return ".dll"
    if "macos" in probe or "darwin" in probe:
        return ".dylib"
    return ".so"


def run(cmd: list[str], cwd: str | Path | None = None, env: dict | None = None,
        timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run a build step capturing output (text)."""
    return subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True)


def generated_c_header(abi: int = 1) -> str:
    """The C header of a bundled generation, exactly as `gen-bindings --lang c --abi N` writes it."""
    return next(f.content for f in generate(load_default(abi), "c") if f.path == HEADER)


def compile_cached(source: Path, cc: list[str], flags: list[str], libs: list[str], *, target: Path,
                   header: str, what: str, error: type[Exception]) -> Path:
    """Compile one C file against `header` (as nylon_ring.h) into `target`, unless it is there.

    The compiler writes into a scratch folder beside `target` and the result is renamed
    into place, so processes racing to build the same helper all load a complete file.
    """
    if target.is_file():
        return target

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{target.name}.", dir=str(target.parent)) as scratch:
        work = Path(scratch)
        (work / "nylon_ring.h").write_text(header, encoding="utf-8")
        out = work / target.name
        cmd = [*cc, *flags, "-I", str(work), str(source), "-o", str(out), *libs]
        try:
            proc = run(cmd, cwd=work, timeout=300)
        except OSError as exc:
            raise error(f"{source}: cannot run the C compiler {cc[0]} ({exc})") from None
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            first = detail[0] if detail else f"exit code {proc.returncode}"
            raise error(f"{source}: compiling {what} with {' '.join(cc)} failed: {first}")
        os.replace(out, target)
    return target
