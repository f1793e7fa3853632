"""Reading C headers back (`nylon-ring layout --header`): real headers of either generation,
compared field by field (name, offset, size, type), with each difference reported precisely.

tests/fixtures/headers/abi2_upstream_style.h is an ABI 2 header written in upstream's
style from the facts page; the variants below change one thing each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import need_tool
from nylon_ring_sdk.cheader import compare_header, parse_header
from nylon_ring_sdk.gen import generate
from nylon_ring_sdk.schema import load_default

FIXTURE = Path(__file__).parent / "fixtures" / "headers" / "abi2_upstream_style.h"
SRC = "h.h"


@pytest.fixture(scope="module")
def upstream_style() -> str:
    need_tool("cc")
    return FIXTURE.read_text()


def compare(abi: int, text: str) -> list[str]:
    return compare_header(load_default(abi), text, "lp64", SRC)


def test_fixture_is_a_real_header(tmp_path, upstream_style):
    """The fixture compiles as C11 with its own layout asserts, so it is a fair witness."""
    gcc = need_tool("gcc")
    (tmp_path / "t.c").write_text(f'#include "{FIXTURE}"\n')
    proc = subprocess.run([gcc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", str(tmp_path / "t.c"),
                           "-o", str(tmp_path / "t.o")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_upstream_style_header_matches_abi2(upstream_style):
    assert compare(2, upstream_style) == []


def test_inline_function_pointer_field_is_read_as_a_signature(upstream_style):
    header = parse_header(upstream_style, SRC)
    release = next(f for f in header.struct("NrOwnedBytes").fields if f.name == "release")
    fn = header.function(release.type.function)
    assert [p.name for p in fn.params] == ["owner_ctx", "ptr", "len"]


def test_swapped_same_size_slots_are_reported(upstream_style):
    text = upstream_style.replace("    uint64_t cap;\n    uint64_t token;\n", "    uint64_t token;\n    uint64_t cap;\n")
    assert text != upstream_style
    assert compare(2, text) == [
        f"{SRC}: NrBufferLease.cap: offset 16 size 8 (schema: offset 8 size 8)",
        f"{SRC}: NrBufferLease.token: offset 8 size 8 (schema: offset 16 size 8)",
    ]


def test_swapped_vtable_slots_are_reported_by_name_and_type(upstream_style):
    text = upstream_style.replace("    NrPluginHandleFn handle;\n    NrPluginShutdownFn shutdown;\n",
                                  "    NrPluginShutdownFn handle;\n    NrPluginHandleFn shutdown;\n")
    assert text != upstream_style
    assert compare(2, text) == [
        f"{SRC}: NrPluginVTable.handle: type fn() -> void (schema: fn(NrStr, u64, NrBytes) -> u32)",
        f"{SRC}: NrPluginVTable.shutdown: type fn(NrStr, u64, NrBytes) -> u32 (schema: fn() -> void)",
    ]


def test_missing_field_is_reported(upstream_style):
    text = upstream_style.replace("    uint32_t len;\n    uint32_t reserved;\n} NrStr;", "    uint32_t len;\n} NrStr;")
    text = text.replace('NR_LAYOUT_ASSERT(offsetof(NrStr, reserved) == 12, "NrStr.reserved");\n', "")
    assert compare(2, text) == [f"{SRC}: NrStr.reserved: missing (schema: offset 12 size 4 type u32)"]


def test_wrong_type_is_reported(upstream_style):
    text = upstream_style.replace("    const uint8_t *ptr;\n    uint64_t len;\n} NrBytes;",
                                  "    const uint8_t *ptr;\n    uint32_t len;\n} NrBytes;")
    assert compare(2, text) == [
        f"{SRC}: NrBytes.len: offset 8 size 4 (schema: offset 8 size 8)",
        f"{SRC}: NrBytes.len: type u32 (schema: u64)",
    ]


def test_missing_struct_and_extra_field(upstream_style):
    text = upstream_style.replace("    NrPluginHandleByIdFn handle_by_id;\n",
                                  "    NrPluginHandleByIdFn handle_by_id;\n    void *extra;\n")
    assert compare(2, text) == [
        f"{SRC}: NrPluginVTable: size 64 align 8 (schema: size 56 align 8)",
        f"{SRC}: NrPluginVTable.extra: not in the schema (offset 56 size 8)",
    ]


def test_optional_struct_may_be_absent_but_not_required_ones(upstream_style):
    """NrLayoutProbe is reached only from an optional export: a header may leave it out."""
    start = upstream_style.index("typedef struct {\n    uint8_t *ptr;\n    uint64_t cap;")
    end = upstream_style.index("} NrBufferLease;") + len("} NrBufferLease;")
    without_lease = upstream_style[:start] + "typedef struct NrBufferLease NrBufferLease;" + upstream_style[end:]
    without_lease = without_lease.replace('NR_LAYOUT_ASSERT(sizeof(NrBufferLease) == 24, "NrBufferLease size");\n', "")
    assert compare(2, without_lease) == [f"{SRC}: struct NrBufferLease: missing (expected as in schema/abi2.toml)"]


@pytest.mark.parametrize("abi", [1, 2])
def test_generated_headers_round_trip(abi, upstream_style):
    text = generate(load_default(abi), "c")[0].content
    assert compare(abi, text) == []


def test_the_generations_differ(upstream_style):
    problems = compare(1, upstream_style)
    assert f"{SRC}: NrPluginVTable.handle_raw: missing (schema: offset 16 size 8 type fn(ptr<mut void>, NrStr, u64, NrBytes) -> u32)" in problems
    assert f"{SRC}: NrStr.reserved: not in the schema (offset 12 size 4)" in problems


def layout_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "layout", *args], capture_output=True, text=True)


def test_cli_header_check_exit_codes(tmp_path, upstream_style):
    good = layout_cli("--abi", "2", "--header", str(FIXTURE))
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == f"{FIXTURE}: every struct matches schema/abi2.toml (lp64)"
    bad = tmp_path / "bad.h"
    bad.write_text(upstream_style.replace("    uint64_t cap;\n    uint64_t token;\n", "    uint64_t token;\n    uint64_t cap;\n"))
    proc = layout_cli("--header", str(bad))
    assert proc.returncode == 1
    assert f"{bad}: NrBufferLease.cap: offset 16 size 8 (schema: offset 8 size 8)" in proc.stdout.splitlines()


def test_cli_header_not_utf8_is_one_line_error(tmp_path):
    bad = tmp_path / "latin1.h"
    bad.write_bytes(b"/* caf\xe9 */\ntypedef int x;\n")
    proc = layout_cli("--header", str(bad))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {bad}: not UTF-8 text (byte offset 6: invalid continuation byte; expected a C header in UTF-8)"]


def test_cli_header_that_does_not_parse_is_one_line_error(tmp_path, upstream_style):
    bad = tmp_path / "broken.h"
    bad.write_text("typedef struct { int x } Broken;\n")
    proc = layout_cli("--header", str(bad))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: cannot parse: ")
    missing = layout_cli("--header", str(tmp_path / "nope.h"))
    assert missing.returncode == 1 and missing.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope.h'}: cannot read header (No such file or directory)"]
