"""The layout engine against the ABI's published facts and three independent witnesses:
ctypes on this machine, pycparser reading the generated header back, and real
compilers (gcc natively, zig cc for other targets) printing sizeof/offsetof."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import need_tool, need_zig
from nylon_ring_sdk.errors import LayoutError
from nylon_ring_sdk.gen import generate
from nylon_ring_sdk.layout import DATA_MODELS, TARGETS, compute_layout, data_model
from nylon_ring_sdk.schema import load_schema

AWKWARD = Path(__file__).parent / "fixtures" / "awkward.toml"

# From abi-v1-facts.md (LP64).
FACTS_LP64 = {
    "NrStr": (16, 8, {"ptr": 0, "len": 8}),
    "NrBytes": (16, 8, {"ptr": 0, "len": 8}),
    "NrHeader": (32, 8, {"key": 0, "value": 16}),
    "NrRequest": (72, 8, {"path": 0, "method": 16, "query": 32, "headers": 48, "headers_len": 56,
                          "_reserved0": 60, "_reserved1": 64}),
    "NrHostVTable": (8, 8, {"send_result": 0}),
    "NrHostExt": (16, 8, {"set_state": 0, "get_state": 8}),
    "NrPluginVTable": (48, 8, {"init": 0, "handle": 8, "handle_raw": 16, "shutdown": 24,
                               "stream_data": 32, "stream_close": 40}),
    "NrPluginInfo": (56, 8, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 24,
                             "plugin_ctx": 40, "vtable": 48}),
}


def numbers(table):
    """Sizes, alignments and offsets without names (C escapes keyword field names)."""
    return [(s.size, s.align, [(f.offset, f.size, f.align) for f in s.fields]) for s in table.structs]


def test_lp64_matches_the_abi_facts(schema):
    table = compute_layout(schema, "lp64")
    for name, (size, align, offsets) in FACTS_LP64.items():
        s = table[name]
        assert (s.size, s.align) == (size, align), name
        assert {f.name: f.offset for f in s.fields} == offsets, name


def test_padding_is_accounted(schema):
    s = compute_layout(schema, "lp64")["NrStr"]
    assert s.tail_padding == 4
    for model in DATA_MODELS:
        for st in compute_layout(schema, model).structs:
            used = sum(f.size + f.padding_before for f in st.fields)
            assert used + st.tail_padding == st.size


def test_i386_aligns_64bit_scalars_to_4(schema):
    assert compute_layout(schema, "ilp32-i386")["NrBytes"].size == 12
    assert compute_layout(schema, "ilp32")["NrBytes"].size == 16
    assert compute_layout(schema, "lp64").structs == compute_layout(schema, "llp64").structs


def test_targets_map_to_models():
    assert data_model("aarch64-linux-gnu").name == "lp64"
    assert data_model("x86_64-windows-gnu").name == "llp64"
    assert data_model("x86-linux-gnu").name == "ilp32-i386"
    with pytest.raises(LayoutError, match="unknown target or data model 'pdp11'"):
        data_model("pdp11")


@pytest.mark.parametrize("path", [None, AWKWARD], ids=["abi", "awkward"])
def test_ctypes_witness(schema, path):
    sch = schema if path is None else load_schema(path)
    module = generate(sch, "python")[0].content
    namespace: dict = {}
    exec(compile(module, "nylon_ring_abi.py", "exec"), namespace)  # runs the import-time check too
    table = compute_layout(sch, namespace["current_data_model"]())
    assert namespace["layout_probe_values"]() == table.probe_values()
    for s in table.structs:
        cls = namespace[s.name]
        assert (ctypes.sizeof(cls), ctypes.alignment(cls)) == (s.size, s.align)


@pytest.mark.parametrize("path", [None, AWKWARD], ids=["abi", "awkward"])
@pytest.mark.parametrize("model", list(DATA_MODELS))
def test_pycparser_witness_round_trip(schema, path, model):
    need_tool("cc")
    from nylon_ring_sdk.cheader import header_layout

    sch = schema if path is None else load_schema(path)
    header = generate(sch, "c")[0].content
    assert numbers(header_layout(header, model)) == numbers(compute_layout(sch, model))


PRINTER = r"""
#include <stdio.h>
#include "nylon_ring.h"
#define S(T) printf("%s %u %u\n", #T, (unsigned)sizeof(T), (unsigned)NR__ALIGNOF(T));
#define F(T, f) printf("%s.%s %u\n", #T, #f, (unsigned)offsetof(T, f));
int main(void) {
%s
    return 0;
}
"""


def _printer_source(sch) -> str:
    from nylon_ring_sdk.naming import escape

    lines = []
    for s in sch.structs:
        lines.append(f"    S({s.name})")
        lines += [f"    F({s.name}, {escape('c', f.name)})" for f in s.fields]
    return PRINTER.replace("%s\n    return", "\n".join(lines) + "\n    return")


def _expected_lines(sch, model) -> list[str]:
    from nylon_ring_sdk.naming import escape

    out = []
    table = compute_layout(sch, model)
    for s, st in zip(sch.structs, table.structs):
        out.append(f"{s.name} {st.size} {st.align}")
        out += [f"{s.name}.{escape('c', f.name)} {fl.offset}" for f, fl in zip(s.fields, st.fields)]
    return out


@pytest.mark.parametrize("path", [None, AWKWARD], ids=["abi", "awkward"])
def test_native_compiler_witness(schema, path, tmp_path):
    cc = need_tool("gcc")
    sch = schema if path is None else load_schema(path)
    (tmp_path / "nylon_ring.h").write_text(generate(sch, "c")[0].content)
    (tmp_path / "main.c").write_text(_printer_source(sch))
    subprocess.run([cc, "-std=c11", "-Wall", "-Werror", "-o", str(tmp_path / "p"), str(tmp_path / "main.c")],
                   check=True, capture_output=True)
    out = subprocess.run([str(tmp_path / "p")], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == _expected_lines(sch, "lp64")


@pytest.mark.parametrize("target", ["x86-linux-gnu", "arm-linux-gnueabihf", "aarch64-linux-gnu"])
def test_cross_target_asserts_compile(schema, tmp_path, target):
    """Compile the header for a foreign target: its static asserts are the layout engine's
    numbers for that target's data model, so a successful compile is the witness."""
    zig = need_zig()
    (tmp_path / "nylon_ring.h").write_text(generate(schema, "c")[0].content)
    (tmp_path / "t.c").write_text('#include "nylon_ring.h"\nNR_DEFINE_LAYOUT_PROBE()\n')
    proc = subprocess.run([*zig, "cc", "-target", target, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic",
                           "-c", str(tmp_path / "t.c"), "-o", str(tmp_path / "t.o")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def layout_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "layout", *args], capture_output=True, text=True)


def test_cli_layout_table_and_json(tmp_path):
    proc = layout_cli("--abi", "1", "--target", "x86-linux-gnu", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["data_model"] == "ilp32-i386" and data["abi"] == 1
    req = next(s for s in data["structs"] if s["name"] == "NrRequest")
    assert req["size"] == 44
    text = layout_cli("--abi", "1").stdout
    assert "NrRequest  size 72  align 8" in text and "(tail padding)" in text
    bad = layout_cli("--target", "vax")
    assert bad.returncode == 1 and bad.stderr.startswith("error: unknown target or data model 'vax'")


def test_cli_layout_defaults_to_abi_2():
    proc = layout_cli("--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["abi"] == 2
    sizes = {s["name"]: s["size"] for s in data["structs"]}
    assert sizes["NrVecU8"] == 40 and sizes["NrPluginVTable"] == 56  # from abi-v2-facts.md


@pytest.mark.parametrize("target", ["i686-linux-gnu", "ilp32", "ilp32-i386", "arm-linux-gnueabihf",
                                    "i686-unknown-linux-gnu"])
def test_cli_layout_abi2_refuses_32bit_targets(target):
    proc = layout_cli("--abi", "2", "--target", target)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: target '{target}': schema/abi2.toml (ABI 2) is 64-bit only")


def test_abi2_has_no_32bit_layouts():
    from nylon_ring_sdk.errors import LayoutError
    from nylon_ring_sdk.layout import distinct_layouts
    from nylon_ring_sdk.schema import load_default

    abi2 = load_default(2)
    assert abi2.pointer_bits == (64,)
    assert [names for names, _ in distinct_layouts(abi2)] == [["lp64", "llp64"]]
    with pytest.raises(LayoutError, match="64-bit only"):
        compute_layout(abi2, "ilp32")


def test_every_listed_target_has_a_model():
    for target, model in TARGETS.items():
        assert data_model(target).name == model


def test_layout_header_check_catches_a_hand_edited_header(schema, tmp_path):
    need_tool("cc")
    good = tmp_path / "good.h"
    good.write_text(generate(schema, "c")[0].content)
    ok = layout_cli("--abi", "1", "--header", str(good))
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "bad.h"
    bad.write_text(good.read_text().replace("    uint32_t headers_len;", "    uint64_t headers_len;"))
    proc = layout_cli("--abi", "1", "--header", str(bad))
    assert proc.returncode == 1
    assert f"{bad}: NrRequest.headers_len: offset 56 size 8 (schema: offset 56 size 4)" in proc.stdout.splitlines()
