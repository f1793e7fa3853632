"""The C++ header: golden, compiled by g++ and zig c++ (C++17 and C++20, warnings as
errors), its layout asserts biting per data model, and its helpers round-tripping values."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import assert_golden, need_tool, need_zig
from nylon_ring_sdk.gen import generate
from nylon_ring_sdk.layout import compute_layout, data_model
from nylon_ring_sdk.schema import load_schema

AWKWARD = Path(__file__).parent / "fixtures" / "awkward.toml"
FLAGS = ["-Wall", "-Wextra", "-Werror", "-pedantic"]
USE_ABI = '#include "nylon_ring.hpp"\nNR_DEFINE_LAYOUT_PROBE()\nint main() { return 0; }\n'
USE_AWKWARD = '#include "nylon_ring.hpp"\nint main() { return awkward::to_kind(7) == awkward::Kind::match ? 0 : 1; }\n'
CROSS = ["aarch64-linux-gnu", "x86-linux-gnu", "arm-linux-gnueabihf", "x86_64-windows-gnu", "aarch64-macos"]
MARKERS = {"lp64": "LP64/LLP64.", "ilp32-i386": "ILP32-I386.", "ilp32": "ILP32."}

# Exercises every kind of helper and prints what it saw; the test compares the lines.
ROUND_TRIP = r"""
#include "nylon_ring.hpp"
#include <cstdio>
#include <string>

namespace nr = nylon_ring;

int main() {
    NrStr null_str{};
    null_str.len = 7;  // a NULL pointer with a length must read as empty
    std::printf("null_str=%zu\n", nr::view(null_str).size());
    NrBytes null_bytes{};
    null_bytes.len = 9;
    std::printf("null_bytes=%zu\n", nr::view(null_bytes).size());
    NrBytes made = nr::make_bytes(nullptr, 5);
    std::printf("make_null=%d,%llu\n", made.ptr == nullptr, static_cast<unsigned long long>(made.len));

    std::string text = "h\xc3\xa9llo";
    std::printf("str=%s\n", std::string(nr::view(nr::make_str(text))).c_str());
    nr::ByteView bytes = nr::view(nr::make_bytes(std::string_view("abc")));
    std::printf("bytes=%zu,%c%c%c\n", bytes.size(), bytes[0], bytes[1], bytes[2]);

    NrHeader headers[] = {nr::make_header("x-test", "1")};
    NrRequest req = nr::make_request("/hello", "GET", "a=1", headers, 1);
    std::printf("req=%s %s ?%s h=%s:%s r=%u,%llu\n", std::string(nr::view(req.method)).c_str(),
                std::string(nr::view(req.path)).c_str(), std::string(nr::view(req.query)).c_str(),
                std::string(nr::view(req.headers[0].key)).c_str(), std::string(nr::view(req.headers[0].value)).c_str(),
                req._reserved0, static_cast<unsigned long long>(req._reserved1));

    for (NrStatus raw = 0; raw < 6; ++raw) {
        std::optional<nr::Status> status = nr::to_status(raw);
        std::printf("status %u=%s\n", raw, status ? std::string(nr::to_string(*status)).c_str() : "none");
    }
    std::printf("to_c=%u\n", nr::to_c(nr::Status::StreamEnd));
    static_assert(nr::kAbiVersion == NR_ABI_VERSION, "constant");
#if __cplusplus >= 202002L
    std::printf("span=%zu\n", nr::span(nr::make_bytes(std::string_view("four"))).size());
#endif
    for (std::size_t i = 0; i < nr::layout::kCount; ++i) {
        std::printf("%u%c", nr::layout::kActual[i], i + 1 == nr::layout::kCount ? '\n' : ',');
    }
    return 0;
}
"""


def files(schema) -> dict[str, str]:
    return {f.path: f.content for f in generate(schema, "cpp")}


def awkward():
    return load_schema(AWKWARD)  # an absolute source: the banner names the file alone, as for every golden


def write(tmp: Path, schema, program: str, name: str = "t.cpp") -> Path:
    for path, content in files(schema).items():
        (tmp / path).write_text(content)
    (tmp / name).write_text(program)
    return tmp / name


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True)


def compile_ok(cmd: list[str]) -> None:
    proc = run(cmd)
    assert proc.returncode == 0, proc.stderr


def test_golden(schema):
    assert_golden("cpp/nylon_ring.hpp", files(schema)["nylon_ring.hpp"])


def test_golden_awkward():
    assert_golden("cpp/awkward.hpp", files(awkward())["nylon_ring.hpp"])


def test_ships_the_c_header_it_includes(schema):
    out = files(schema)
    assert list(out) == ["nylon_ring.h", "nylon_ring.hpp"]
    assert out["nylon_ring.h"] == generate(schema, "c")[0].content
    assert '#include "nylon_ring.h"' in out["nylon_ring.hpp"]


def test_bannered(schema):
    first = files(schema)["nylon_ring.hpp"]
    assert first.splitlines()[0].startswith("/* Generated from schema/abi.toml (schema sha256 ")
    assert "do not edit" in first.splitlines()[0]


def test_span_only_under_cxx20(schema):
    text = files(schema)["nylon_ring.hpp"]
    lines = text.splitlines()
    code = [(i, line) for i, line in enumerate(lines) if not line.lstrip().startswith(("/*", "*", "//"))]
    spans = [i for i, line in code if "std::span" in line or "<span>" in line]
    assert spans
    for i in spans:
        opened = [j for j in range(i) if lines[j].startswith("#if __cplusplus >= 202002L")]
        closed = [j for j in range(i) if lines[j] == "#endif" and opened and j > opened[-1]]
        assert opened and not closed, f"line {i + 1} uses std::span outside `#if __cplusplus >= 202002L`"


@pytest.mark.parametrize("std", ["c++17", "c++20"])
@pytest.mark.parametrize("which", ["abi", "awkward"])
def test_gxx(schema, tmp_path, std, which):
    gxx = need_tool("g++")
    program = write(tmp_path, schema if which == "abi" else awkward(), USE_ABI if which == "abi" else USE_AWKWARD)
    compile_ok([gxx, f"-std={std}", *FLAGS, str(program), "-o", str(tmp_path / "t")])
    assert run([str(tmp_path / "t")]).returncode == 0


@pytest.mark.parametrize("std", ["c++17", "c++20"])
@pytest.mark.parametrize("which", ["abi", "awkward"])
def test_zig_cxx(schema, tmp_path, std, which):
    zig = need_zig()
    program = write(tmp_path, schema if which == "abi" else awkward(), USE_ABI if which == "abi" else USE_AWKWARD)
    compile_ok([*zig, "c++", f"-std={std}", *FLAGS, "-c", str(program), "-o", str(tmp_path / "t.o")])


@pytest.mark.parametrize("target", CROSS)
def test_cross_targets(schema, tmp_path, target):
    zig = need_zig()
    program = write(tmp_path, schema, USE_ABI)
    compile_ok([*zig, "c++", "-target", target, "-std=c++17", *FLAGS, "-c", str(program), "-o", str(tmp_path / "t.o")])


@pytest.mark.parametrize("target", ["x86_64-linux-gnu", "x86-linux-gnu", "arm-linux-gnueabihf"])
def test_a_wrong_number_fails_to_compile(schema, tmp_path, target):
    """Change the first number of the expected table the target selects: its compile fails."""
    zig = need_zig()
    model = data_model(target)
    size = compute_layout(schema, model)["NrStr"].size
    text = files(schema)["nylon_ring.hpp"]
    head, tail = text.split(f"computed for {MARKERS[model.name]}", 1)
    assert tail.split("\n", 2)[2].startswith(f"    {size}u, ")
    broken = head + f"computed for {MARKERS[model.name]}" + tail.replace(f"    {size}u, ", f"    {size + 8}u, ", 1)
    program = write(tmp_path, schema, USE_ABI)
    (tmp_path / "nylon_ring.hpp").write_text(broken)
    proc = run([*zig, "c++", "-target", target, "-std=c++17", *FLAGS, "-c", str(program), "-o", str(tmp_path / "t.o")])
    assert proc.returncode != 0 and "NrStr size" in proc.stderr


@pytest.mark.parametrize("std", ["c++17", "c++20"])
def test_helpers_round_trip(schema, tmp_path, std):
    gxx = need_tool("g++")
    program = write(tmp_path, schema, ROUND_TRIP)
    compile_ok([gxx, f"-std={std}", *FLAGS, "-fsanitize=address,undefined", str(program), "-o", str(tmp_path / "t")])
    proc = run([str(tmp_path / "t")])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    expected = [
        "null_str=0", "null_bytes=0", "make_null=1,0", "str=h\u00e9llo", "bytes=3,abc",
        "req=GET /hello ?a=1 h=x-test:1 r=0,0",
        "status 0=Ok", "status 1=Err", "status 2=Invalid", "status 3=Unsupported", "status 4=StreamEnd",
        "status 5=none", "to_c=4",
    ]
    if std == "c++20":
        expected.append("span=4")
    assert lines[:-1] == expected
    assert [int(v) for v in lines[-1].split(",")] == compute_layout(schema, "lp64").probe_values()
