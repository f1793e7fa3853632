"""Host.load: every load rule has its own exception, each message names the plugin and the fault."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nylon_ring_sdk import errors
from nylon_ring_sdk.host import Host, HostClosed, MissingSlot, NrStatus, PluginLoadError
from conftest import need_tool, need_zig
from test_host_support import BROKEN_PLUGIN, TEST_PLUGIN, build_c, c_header_dir, host, host_plugin  # noqa: F401

BROKEN = [
    ("BREAK_NO_SYMBOL", errors.MissingSymbol, "nylon_ring_get_plugin_v1"),
    ("BREAK_NULL_INFO", errors.NullPluginInfo, "returned NULL"),
    ("BREAK_ABI", errors.AbiVersionMismatch, "abi_version is 2"),
    ("BREAK_SIZE", errors.StructSizeMismatch, "struct_size is 48; expected sizeof(NrPluginInfo) = 56"),
    ("BREAK_NULL_VTABLE", errors.NullVTable, "vtable is NULL"),
    ("BREAK_NO_INIT", errors.MissingSlot, "`init` is NULL"),
    ("BREAK_NO_HANDLE", errors.MissingSlot, "`handle` and `handle_raw` are both NULL"),
    ("BREAK_NAME", errors.InvalidPluginName, "name is not valid UTF-8"),
    ("BREAK_VERSION", errors.InvalidPluginVersion, "version is not valid UTF-8"),
    ("BREAK_INIT_FAILS", errors.InitFailed, "init returned Err"),
    ("BREAK_SHORT_VTABLE", errors.InvalidSlot, "slot `shutdown`"),
]


@pytest.mark.parametrize("define, error, text", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_rule_raises_its_own_error(build_c, define, error, text):
    lib = build_c(BROKEN_PLUGIN, define.lower(), (define,))
    with pytest.raises(error) as info:
        Host.load(lib)
    message = str(info.value)
    assert message.startswith(f"{lib}: "), message
    assert text in message
    assert "\n" not in message
    assert isinstance(info.value, PluginLoadError) and isinstance(info.value, errors.HostError)
    # exactly this class: none of the other load errors is a parent of it
    others = {e for _, e, _ in BROKEN if e is not error}
    assert not any(isinstance(info.value, other) for other in others)


def test_valid_variant_of_the_broken_source_loads(build_c):
    lib = build_c(BROKEN_PLUGIN, "broken_none")
    with Host.load(lib) as h:
        assert (h.info.name, h.info.version) == ("broken-plugin", "0.1.0")
        assert h.call_raw("anything", b"").data == b"ok"


def test_missing_file_and_not_a_library(tmp_path):
    missing = tmp_path / "nope.so"
    with pytest.raises(errors.PluginNotFound, match="nope.so: no such file"):
        Host.load(missing)
    text = tmp_path / "text.so"
    text.write_text("not a library")
    with pytest.raises(errors.PluginOpenFailed, match="text.so: cannot load library"):
        Host.load(text)


def test_short_vtable_loads_only_when_slot_check_is_off(build_c):
    """The slot check is what stops a host from jumping into data past a 3-slot vtable."""
    lib = build_c(BROKEN_PLUGIN, "break_short_vtable", ("BREAK_SHORT_VTABLE",))
    with pytest.raises(errors.InvalidSlot):
        Host.load(lib)
    h = Host.load(lib, check_slots=False)
    assert h.info.slots["init"] and h.info.slots["handle"]
    # the old layout's shutdown sits in the handle_raw slot; it is code, so it may be called
    assert h.info.slots["handle_raw"]


def test_info_and_slots(host, host_plugin):
    assert host.info.name == "host-test-plugin"
    assert host.info.version == "1.2.3"
    assert host.info.abi_version == 1 and host.info.struct_size == 56
    assert all(host.info.slots[s] for s in ("init", "handle", "handle_raw", "shutdown", "stream_data", "stream_close"))
    assert host.path == str(host_plugin)
    assert host.layout_probe() is None


def test_call_needs_the_slot_it_uses(build_c):
    lib = build_c(BROKEN_PLUGIN, "only_raw", ("ONLY_RAW",))
    with Host.load(lib) as h:
        assert h.call_raw("x", b"").status == NrStatus.OK
        with pytest.raises(MissingSlot, match="`handle` is NULL"):
            h.call("x", b"")
        with pytest.raises(MissingSlot, match="`stream_data` is NULL"):
            h.stream_data(1, b"")
        with pytest.raises(MissingSlot, match="`stream_close` is NULL"):
            h.stream_close(1)


def test_state_extension_is_handed_over_or_not(host_plugin):
    with Host.load(host_plugin) as h:
        assert h.call_raw("state", b"value").data == b"value"
    with Host.load(host_plugin, state=False) as h:
        r = h.call_raw("state", b"value")
        assert r.status == NrStatus.UNSUPPORTED


def test_seed_era_plugins_find_the_extension_at_byte_48_of_host_ctx(host_plugin):
    with Host.load(host_plugin) as h:
        r = h.call_raw("seed_state", b"seeded")
        assert (r.status, r.data) == (NrStatus.OK, b"seeded")
        assert h.stats()["state_entries"] == 0
    with Host.load(host_plugin, state=False) as h:
        # bytes 48..56 are zero when no extension is offered
        assert h.call_raw("seed_state", b"x").status == NrStatus.UNSUPPORTED


def test_close_runs_shutdown_once_and_later_calls_fail(host_plugin):
    h = Host.load(host_plugin)
    with h:
        assert h.call_raw("echo", b"1").data == b"1"
    assert h.closed
    h.close()  # a second shutdown would join the plugin's worker twice
    with pytest.raises(HostClosed, match="host is closed"):
        h.call_raw("echo", b"2")
    with pytest.raises(HostClosed):
        h.stream_raw("count", b"1")


def test_plugin_reloads_after_close(host_plugin):
    for i in range(3):
        with Host.load(host_plugin) as h:
            assert h.call_raw("echo_async", str(i)).data == str(i).encode()


def test_first_sid_and_set_next_sid(host_plugin):
    with Host.load(host_plugin, first_sid=2**40) as h:
        assert h.call_raw("echo", b"").sid == 2**40
        h.set_next_sid(2**63)
        assert h.call_raw("echo", b"").sid == 2**63
        with pytest.raises(errors.HostError, match="out of range"):
            h.set_next_sid(0)


def test_zig_cc_built_plugin(build_c):
    """The same plugin built by zig cc: state (NrBytes returned by value), threads, streams."""
    lib = build_c(TEST_PLUGIN, "host_test_plugin_zig", zig=True)
    with Host.load(lib) as h:
        assert h.call_raw("echo", b"zig").data == b"zig"
        assert h.call_raw("echo_async", b"zag").data == b"zag"
        assert h.call_raw("state", b"kept").data == b"kept"
        frames = list(h.stream_raw("count_async", b"5"))
        assert [f.data for f in frames] == [b"0", b"1", b"2", b"3", b"4", b""]
        assert frames[-1].status == NrStatus.STREAM_END
        assert h.violations == []


def test_native_helper_build_is_safe_when_processes_race(tmp_path):
    """Two processes building the helper into an empty cache both load a complete library."""
    need_tool("cc")
    script = ("import ctypes; from nylon_ring_sdk.host import native; p = native.shim_path(); "
              "ctypes.CDLL(str(p)).nrh_out_size; print(p)")
    env = {**os.environ, "NYLON_RING_CACHE": str(tmp_path / "cache")}
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    paths = {out.strip() for out, _ in outputs}
    assert len(paths) == 1
    cached = [c for c in (tmp_path / "cache").iterdir() if c.name.startswith("nrh_shim") or ".tmp" in c.name]
    assert [c.name for c in cached] == [Path(paths.pop()).name]  # no temporary files left behind


@pytest.mark.parametrize("zig", [False, True], ids=["cc", "zig-cc"])
def test_native_helper_compiles_without_warnings(c_header_dir, tmp_path, zig):
    from nylon_ring_sdk.host import native
    from nylon_ring_sdk.toolchain import run

    cc = [*need_zig(), "cc"] if zig else [need_tool("cc")]
    cmd = [*cc, *native.CFLAGS, "-Wall", "-Wextra", "-Werror", "-I", str(c_header_dir),
           "-o", str(tmp_path / "shim.so"), str(native.SOURCE)]
    done = run(cmd)
    assert done.returncode == 0, done.stderr
