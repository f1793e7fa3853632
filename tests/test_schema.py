"""The schema loader: the bundled ABI, and one bad fixture per error kind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nylon_ring_sdk.errors import SchemaError
from nylon_ring_sdk.schema import load_schema, parse_schema, parse_type
from nylon_ring_sdk.schema.model import Array, FnPointer, Named, Pointer, Scalar, Void

BAD = sorted((Path(__file__).parent / "fixtures" / "bad").glob("*.toml"))


def test_bundled_schema_has_all_of_abi_v1(schema):
    assert schema.version == 1
    status = schema.enum("NrStatus")
    assert [(v.name, v.value) for v in status.values] == [
        ("Ok", 0), ("Err", 1), ("Invalid", 2), ("Unsupported", 3), ("StreamEnd", 4)]
    vtable = schema.struct("NrPluginVTable")
    assert [f.name for f in vtable.fields] == [
        "init", "handle", "handle_raw", "shutdown", "stream_data", "stream_close"]
    request = schema.struct("NrRequest")
    assert [f.name for f in request.fields if f.reserved] == ["_reserved0", "_reserved1"]
    assert schema.entry_export.name == "nylon_ring_get_plugin_v1"
    assert {e.name for e in schema.exports} >= {"nylon_ring_set_host_ext_v1", "nylon_ring_layout_probe_v1"}
    handle = schema.function("NrHandleFn")
    assert [p.name for p in handle.params] == ["plugin_ctx", "entry", "sid", "req", "payload"]


def test_every_item_and_field_has_a_doc(schema):
    for item in (*schema.enums, *schema.structs, *schema.functions, *schema.exports):
        assert item.doc.strip(), item.name
    for s in schema.structs:
        for f in s.fields:
            assert f.doc.strip(), f"{s.name}.{f.name}"


@pytest.mark.parametrize("text, expected", [
    ("u8", Scalar("u8")),
    ("void", Void()),
    ("ptr<u8>", Pointer(Scalar("u8"), False)),
    ("ptr<mut void>", Pointer(Void(), True)),
    ("ptr<const ptr<mut NrStr>>", Pointer(Pointer(Named("NrStr"), True), False)),
    ("fn<F>", FnPointer("F", False)),
    ("fn?<F>", FnPointer("F", True)),
    ("[u8; 16]", Array(Scalar("u8"), 16)),
    ("[[u32; 2]; 3]", Array(Array(Scalar("u32"), 2), 3)),
    ("ptr<>", None),
    ("fn<>", None),
    ("[u8]", None),
])
def test_type_syntax(text, expected):
    assert parse_type(text) == expected


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_schema_gives_its_expected_message(path: Path):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <message>'"
    expected = first[len("# expect: "):].replace("{file}", str(path))
    with pytest.raises(SchemaError) as info:
        load_schema(path)
    assert str(info.value) == expected
    assert "\n" not in str(info.value)


def test_bad_corpus_covers_every_error_kind():
    names = {p.stem for p in BAD}
    for kind in ("unknown_type", "duplicate_name", "contains_itself", "missing_key",
                 "enum_value_range", "reserved_not_zero", "toml_syntax"):
        assert kind in names


@pytest.mark.parametrize("path", BAD[:3] + [p for p in BAD if p.stem == "toml_syntax"],
                         ids=lambda p: p.stem)
def test_cli_reports_bad_schema_in_one_line_with_exit_1(path: Path, tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "gen-bindings", "--schema", str(path),
                           "--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}")
    assert not any(tmp_path.iterdir())


def test_missing_schema_file(tmp_path: Path):
    with pytest.raises(SchemaError, match=r"nope\.toml: cannot read schema"):
        load_schema(tmp_path / "nope.toml")


def test_not_utf8():
    with pytest.raises(SchemaError, match="not UTF-8 at byte 1"):
        parse_schema(b"#\xff\n", "x.toml")


def test_items_in_order_puts_dependencies_first(schema):
    order = [i.name for i in schema.items_in_order()]
    assert order.index("NrStr") < order.index("NrHeader") < order.index("NrRequest")
    assert order.index("NrSendResultFn") < order.index("NrHostVTable")
    assert order.index("NrBytes") < order.index("NrSendResultFn")


def test_fingerprint_ignores_comments_but_not_meaning(schema):
    from nylon_ring_sdk.gen import fingerprint
    from nylon_ring_sdk.schema import bundled_schema_path

    text = bundled_schema_path().read_text()
    same = parse_schema("# a new comment\n" + text)
    changed = parse_schema(text.replace('name = "len", type = "u32"', 'name = "len", type = "u64"', 1))
    assert fingerprint(same) == fingerprint(schema)
    assert fingerprint(changed) != fingerprint(schema)


def _big_schema(path: Path, count: int) -> Path:
    """`count` structs: each points at the one before, every seventh holds it by value."""
    parts = ['[abi]\nname = "big"\nversion = 1\ndoc = "d"\n',
             '[enums.BgStatus]\nrepr = "u32"\ndoc = "d"\nvalues = [{ name = "Ok", value = 0, doc = "d" }]\n']
    for i in range(count):
        prev = f'{{ name = "prev", type = "ptr<const BgS{i - 1}>", doc = "d" }}, ' if i else ""
        inner = f'{{ name = "inner", type = "BgS{i - 1}", doc = "d" }}, ' if i and i % 7 == 0 else ""
        parts.append(f'[structs.BgS{i}]\ndoc = "d"\nfields = [{prev}{inner}{{ name = "v", type = "u32", doc = "d" }}]\n')
    parts.append('[functions.BgGet]\ndoc = "d"\nreturns = "ptr<const BgS0>"\nparams = []\n'
                 '[exports.big_get]\ntype = "BgGet"\nrequired = true\ndoc = "d"\n')
    path.write_text("\n".join(parts))
    return path


def test_generation_time_grows_linearly_with_schema_size(tmp_path):
    """Load, order and generate every language for N and 4N structs: linear work takes
    about 4x as long, quadratic 16x. The bound is generous (8x) for a shared machine; the
    best of two runs of each size is compared, in CPU time of this process."""
    import time

    from nylon_ring_sdk.gen import sync_bindings

    def cost(count: int) -> float:
        path = _big_schema(tmp_path / f"big{count}.toml", count)
        best = float("inf")
        for run in range(2):
            start = time.process_time()
            assert sync_bindings("all", tmp_path / f"out{count}-{run}", path, echo=lambda _line: None) == 0
            best = min(best, time.process_time() - start)
        return best

    small, large = cost(1000), cost(4000)
    assert large / small < 8, f"1000 structs: {small:.2f}s, 4000 structs: {large:.2f}s ({large / small:.1f}x)"


def test_items_in_order_handles_a_long_pointer_chain(tmp_path):
    """Ordering is iterative: a 20000-long chain of pointers does not hit the recursion limit."""
    schema = load_schema(_big_schema(tmp_path / "chain.toml", 20000))
    order = [i.name for i in schema.items_in_order(through_pointers=True)]
    assert len(order) == 20002 and order.index("BgS0") < order.index("BgS1") < order.index("BgS19999")
