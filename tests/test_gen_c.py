"""The C header: golden, compiled as C11 and C++ by gcc/g++ and zig, on five targets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import assert_golden, need_tool, need_zig
from nylon_ring_sdk.gen import generate
from nylon_ring_sdk.schema import load_schema

AWKWARD = Path(__file__).parent / "fixtures" / "awkward.toml"
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"]
CXXFLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"]
USE = '#include "nylon_ring.h"\nNR_DEFINE_LAYOUT_PROBE()\n'
TARGETS = ["x86_64-linux-gnu", "aarch64-linux-gnu", "x86_64-windows-gnu", "aarch64-macos",
           "x86-linux-gnu", "arm-linux-gnueabihf", "x86-windows-gnu"]


def header(schema) -> str:
    files = generate(schema, "c")
    assert [f.path for f in files] == ["nylon_ring.h"]
    return files[0].content


def write(tmp: Path, text: str, use: str = USE, name: str = "t.c") -> Path:
    (tmp / "nylon_ring.h").write_text(text)
    (tmp / name).write_text(use)
    return tmp / name


def compile_ok(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_golden(schema):
    assert_golden("c/nylon_ring.h", header(schema))


def test_golden_awkward():
    assert_golden("c/awkward.h", header(load_schema(AWKWARD)))


def test_banner_first_line(schema):
    first = header(schema).splitlines()[0]
    assert first.startswith("/* Generated from schema/abi.toml (schema sha256 ") and "do not edit" in first


@pytest.mark.parametrize("which", ["abi", "awkward"])
def test_gcc_and_gxx(schema, tmp_path, which):
    gcc, gxx = need_tool("gcc"), need_tool("g++")
    text = header(schema if which == "abi" else load_schema(AWKWARD))
    use = USE if which == "abi" else '#include "nylon_ring.h"\n'
    c = write(tmp_path, text, use)
    compile_ok([gcc, *CFLAGS, "-c", str(c), "-o", str(tmp_path / "c.o")])
    cpp = write(tmp_path, text, use, "t.cpp")
    compile_ok([gxx, *CXXFLAGS, "-c", str(cpp), "-o", str(tmp_path / "cpp.o")])


def test_zig_cc_and_cxx(schema, tmp_path):
    zig = need_zig()
    c = write(tmp_path, header(schema))
    compile_ok([*zig, "cc", *CFLAGS, "-c", str(c), "-o", str(tmp_path / "c.o")])
    cpp = write(tmp_path, header(schema), USE, "t.cpp")
    compile_ok([*zig, "c++", *CXXFLAGS, "-c", str(cpp), "-o", str(tmp_path / "cpp.o")])


@pytest.mark.parametrize("target", TARGETS)
def test_cross_targets(schema, tmp_path, target):
    zig = need_zig()
    c = write(tmp_path, header(schema))
    compile_ok([*zig, "cc", "-target", target, *CFLAGS, "-c", str(c), "-o", str(tmp_path / "t.o")])


@pytest.mark.parametrize("target", ["x86_64-linux-gnu", "x86-linux-gnu", "arm-linux-gnueabihf"])
def test_a_wrong_number_fails_to_compile(schema, tmp_path, target):
    """The asserts bite: shift one offset in the block that target selects."""
    zig = need_zig()
    from nylon_ring_sdk.layout import compute_layout, data_model

    offset = compute_layout(schema, data_model(target))["NrRequest"].field("headers_len").offset
    text = header(schema)
    marker = {"x86_64-linux-gnu": "/* LP64/LLP64 */", "x86-linux-gnu": "/* ILP32-I386 */",
              "arm-linux-gnueabihf": "/* ILP32 */"}[target]
    head, tail = text.split(marker, 1)
    needle = f"offsetof(NrRequest, headers_len) == {offset},"
    assert needle in tail
    broken = head + marker + tail.replace(needle, f"offsetof(NrRequest, headers_len) == {offset + 4},", 1)
    c = write(tmp_path, broken)
    proc = subprocess.run([*zig, "cc", "-target", target, *CFLAGS, "-c", str(c), "-o", str(tmp_path / "t.o")],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "NrRequest.headers_len offset" in proc.stderr


def test_layout_probe_export_reports_the_engine_table(schema, tmp_path):
    gcc = need_tool("gcc")
    import ctypes

    from nylon_ring_sdk.layout import compute_layout

    c = write(tmp_path, header(schema))
    lib = tmp_path / "libprobe.so"
    compile_ok([gcc, *CFLAGS, "-shared", "-fPIC", "-fvisibility=hidden", str(c), "-o", str(lib)])
    dll = ctypes.CDLL(str(lib))
    fn = dll.nylon_ring_layout_probe_v1
    fn.restype = ctypes.c_void_p
    addr = fn()
    version, count = ctypes.c_uint32.from_address(addr).value, ctypes.c_uint32.from_address(addr + 4).value
    values_ptr = ctypes.c_void_p.from_address(addr + 8).value
    values = list((ctypes.c_uint32 * count).from_address(values_ptr))
    assert version == 1
    assert values == compute_layout(schema, "lp64").probe_values()


def test_states_and_enforces_c11(schema, tmp_path):
    """Below C11 the header stops at once with a message naming the standard it needs."""
    gcc = need_tool("gcc")
    c = write(tmp_path, header(schema), '#include "nylon_ring.h"\n')
    assert "Language: C11 or later" in header(schema)
    proc = subprocess.run([gcc, "-std=c99", "-c", str(c), "-o", str(tmp_path / "t.o")], capture_output=True, text=True)
    assert proc.returncode != 0
    first_error = next(line for line in proc.stderr.splitlines() if "error" in line)
    assert "nylon_ring.h requires C11 or later (compile with -std=c11, or as C++11 or later)" in first_error
