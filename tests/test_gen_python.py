"""The ctypes module: golden, importable, self-checking, and the host's copy is current."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from conftest import ROOT, assert_golden
from nylon_ring_sdk.gen import generate
from nylon_ring_sdk.schema import load_schema

AWKWARD = Path(__file__).parent / "fixtures" / "awkward.toml"


def module_text(schema) -> str:
    files = generate(schema, "python")
    assert [f.path for f in files] == ["nylon_ring_abi.py"]
    return files[0].content


def load(text: str) -> dict:
    namespace: dict = {"__name__": "nylon_ring_abi_test"}
    exec(compile(text, "nylon_ring_abi.py", "exec"), namespace)
    return namespace


def test_golden(schema):
    assert_golden("python/nylon_ring_abi.py", module_text(schema))


def test_host_copy_is_current(schema):
    committed = (ROOT / "nylon_ring_sdk" / "host" / "nylon_ring_abi.py").read_text()
    assert committed == module_text(schema), (
        "nylon_ring_sdk/host/nylon_ring_abi.py is stale; run "
        "`nylon-ring gen-bindings --lang python --abi 1 --out nylon_ring_sdk/host`")


def test_values_round_trip(schema):
    m = load(module_text(schema))
    assert m["NrStatus"].STREAM_END == 4 and m["NR_ABI_VERSION"] == 1
    data = b"hello"
    buf = ctypes.create_string_buffer(data, len(data))
    s = m["NrStr"](ctypes.cast(buf, ctypes.c_void_p), len(data))
    assert ctypes.string_at(s.ptr, s.len) == data
    header = m["NrHeader"](s, s)
    req = m["NrRequest"](s, s, s, ctypes.pointer(header), 1, 0, 0)
    assert ctypes.string_at(req.headers[0].value.ptr, req.headers[0].value.len) == data
    vt = m["NrPluginVTable"]()
    assert not vt.init and not vt.handle_raw


def test_import_check_rejects_a_wrong_layout(schema):
    text = module_text(schema).replace('"NrRequest": (72, 8,', '"NrRequest": (80, 8,', 1)
    with pytest.raises(ImportError, match="NrRequest is 72 bytes"):
        load(text)


def test_awkward_names_import():
    m = load(module_text(load_schema(AWKWARD)))
    assert m["Kind"].NONE == 255
    assert m["Holder"].next.offset == m["LAYOUTS"]["lp64"]["Holder"][2]["next"]
    assert hasattr(m["Padded"], "async_") and hasattr(m["Padded"], "type")
