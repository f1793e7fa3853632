"""Shared fixtures of the reference-host tests: the generated header and the C test plugins.

The plugins in tests/plugins_src/ are compiled against a header generated fresh
from the schema, with the system C compiler (and zig cc where a test asks for it),
each once for its content (tests/compiled.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import pytest

from compiled import shared_library
from conftest import need_tool, need_zig

SRC = Path(__file__).resolve().parent / "plugins_src"
TEST_PLUGIN = SRC / "host_test_plugin.c"
BROKEN_PLUGIN = SRC / "host_broken_plugin.c"
ABI2_PLUGIN = SRC / "host_abi2_plugin.c"
CRATES_IO_01 = SRC / "crates_io_01"
CFLAGS = ["-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-pthread"]


@pytest.fixture(scope="session")
def c_header_dir(tmp_path_factory) -> Path:
    """A folder holding nylon_ring.h generated from the bundled schema."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    folder = tmp_path_factory.mktemp("header")
    for f in generate(load_default(), "c"):
        (folder / f.path).write_text(f.content, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def c_header_dir_v2(tmp_path_factory) -> Path:
    """A folder holding nylon_ring.h generated from the bundled ABI 2 schema."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    folder = tmp_path_factory.mktemp("header2")
    for f in generate(load_default(2), "c"):
        (folder / f.path).write_text(f.content, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def build_c2(tmp_path_factory, c_header_dir_v2) -> Callable[..., Path]:
    """build_c2(source, name, defines=()) -> an ABI 2 plugin compiled with the system cc (cached)."""
    folder = tmp_path_factory.mktemp("plugins2")
    built: dict[tuple, Path] = {}

    def build(source: Path, name: str, defines: tuple[str, ...] = ()) -> Path:
        key = (source, defines)
        if key not in built:
            built[key] = compile_plugin([need_tool("cc")], source, folder / f"lib{name}.so", c_header_dir_v2, defines)
        return built[key]

    return build


@pytest.fixture(scope="session")
def abi2_plugin(build_c2) -> Path:
    """tests/plugins_src/host_abi2_plugin.c built against the ABI 2 header."""
    return build_c2(ABI2_PLUGIN, "host_abi2_plugin")


def counter(host, name: str) -> int:
    """One of the ABI 2 test plugin's counters (what the host answered it, what it released)."""
    import ctypes

    fn = host.lib.abi2_counter
    fn.restype, fn.argtypes = ctypes.c_uint64, [ctypes.c_char_p]
    return fn(name.encode())


def compile_plugin(cc: list[str], source: Path, out: Path, header_dir: Path, defines: tuple[str, ...] = ()) -> Path:
    """One shared library named like `out`, compiled once for its content (tests/compiled.py);
    a compiler error fails the test with its output."""
    return shared_library(cc, CFLAGS, source, out.name, [header_dir], defines)


@pytest.fixture(scope="session")
def build_c(tmp_path_factory, c_header_dir) -> Callable[..., Path]:
    """build_c(source, name, defines=(), zig=False) -> path of the compiled plugin (cached)."""
    folder = tmp_path_factory.mktemp("plugins")
    built: dict[tuple, Path] = {}

    def build(source: Path, name: str, defines: tuple[str, ...] = (), zig: bool = False) -> Path:
        key = (source, defines, zig)
        if key not in built:
            cc = [*need_zig(), "cc"] if zig else [need_tool("cc")]
            built[key] = compile_plugin(cc, source, folder / f"lib{name}.so", c_header_dir, defines)
        return built[key]

    return build


@pytest.fixture(scope="session")
def host_plugin(build_c) -> Path:
    """tests/plugins_src/host_test_plugin.c built with the system cc."""
    return build_c(TEST_PLUGIN, "host_test_plugin")


@pytest.fixture
def host(host_plugin):
    """The test plugin loaded in a reference host, closed after the test."""
    from nylon_ring_sdk.host import Host

    with Host.load(host_plugin) as h:
        yield h


def wait_for(predicate: Callable[[], object], what: str, limit: float = 10.0) -> object:
    """Poll until predicate() is truthy (for answers that arrive on plugin threads)."""
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {limit} s")
        time.sleep(0.005)


def violations_of(host, kind: str) -> list:
    return [v for v in host.violations if v.kind == kind]
