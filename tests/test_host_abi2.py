"""The reference host on ABI 2, through the real native helper and a hand-written C plugin.

tests/plugins_src/host_abi2_plugin.c answers through every ABI 2 path (copy, owned,
lease, streams, bidi, integer dispatch) and breaks each host-side rule on purpose in
its own entry; its counters say what the host answered it and what it released.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from nylon_ring_sdk import errors
from nylon_ring_sdk.host import Host, HostError, MissingSlot, Request
from nylon_ring_sdk.host.nylon_ring_abi2 import NR_ENTRY_UNKNOWN, NrStatus
from test_host_support import (ABI2_PLUGIN, abi2_plugin, build_c2, c_header_dir_v2, counter,  # noqa: F401
                               violations_of, wait_for)


@pytest.fixture
def h(abi2_plugin):
    with Host.load(abi2_plugin) as host:
        yield host


def kinds(host) -> list[str]:
    return [v.kind for v in host.violations]


# ---------------------------------------------------------------- load

def test_generation_comes_from_the_exported_symbol(h, abi2_plugin):
    assert h.abi == 2 and h.info.abi == 2
    assert (h.info.name, h.info.version, h.info.abi_version, h.info.struct_size) == ("host-abi2-plugin", "2.0.0", 2, 56)
    assert set(h.info.slots) == {"init", "handle", "shutdown", "stream_data", "stream_close", "resolve_entry",
                                 "handle_by_id"}
    assert all(h.info.slots.values())


BROKEN = [
    ("BREAK_ABI3", errors.AbiVersionMismatch, "abi_version is 3; ABI 2 (`nylon_ring_get_plugin`) requires exactly 2"),
    ("BREAK_SIZE48", errors.StructSizeMismatch, "struct_size is 48; ABI 2 requires at least 56"),
    ("BREAK_NULL_VTABLE", errors.NullVTable, "vtable is NULL"),
    ("BREAK_ONE_DISPATCH", errors.MissingSlot, "`resolve_entry` is set but `handle_by_id` is NULL (ABI 2: both or neither)"),
]


@pytest.mark.parametrize("define, error, text", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_load_rule_raises_its_error(build_c2, define, error, text):
    lib = build_c2(ABI2_PLUGIN, define.lower(), (define,))
    with pytest.raises(error) as info:
        Host.load(lib)
    message = str(info.value)
    assert message.startswith(f"{lib}: ") and text in message and "\n" not in message, message


def test_a_larger_plugin_info_is_accepted(build_c2):
    with Host.load(build_c2(ABI2_PLUGIN, "big_info", ("BIG_INFO",))) as host:
        assert host.info.struct_size == 64
        assert host.call("echo", b"x").data == b"x"


def test_no_dispatch_slots_is_allowed_and_resolve_says_so(build_c2):
    with Host.load(build_c2(ABI2_PLUGIN, "no_dispatch", ("NO_DISPATCH",))) as host:
        assert host.call("echo", b"x").data == b"x"
        with pytest.raises(MissingSlot, match="resolve_entry"):
            host.resolve("echo")
        with pytest.raises(MissingSlot, match="handle_by_id"):
            host.call_by_id(100, b"x")


def test_abi2_calls_take_no_request(h):
    assert h.call("echo", b"a").data == b"a"
    with pytest.raises(HostError, match="ABI 2 calls take no request metadata"):
        h.call("echo", b"a", Request(method="POST"))


# ---------------------------------------------------------------- copy path

def test_send_result_copies_borrowed_and_owned_vectors(h):
    r = h.call("echo", b"hello")
    assert (r.status, r.data, r.path, r.rejected) == (NrStatus.OK, b"hello", "copy", False)
    before = counter(h, "drops")
    for i in range(5):
        assert h.call("echo_vec", b"v%d" % i).data == b"v%d" % i
    assert counter(h, "drops") == before + 5  # drop_fn once per owned vector, after the copy
    assert h.call("echo_async", b"later").data == b"later"
    assert h.violations == []


def test_owned_vector_without_drop_fn_is_a_violation(h):
    r = h.call("echo_nodrop", b"leak")
    assert r.data == b"leak"
    assert kinds(h) == ["owned_without_drop"]


# ---------------------------------------------------------------- owned path

def test_owned_answers_are_released_exactly_once(h):
    sent, released = counter(h, "owned_sent"), counter(h, "releases")
    assert (h.call("echo_owned", b"own").data, h.call("echo_owned", b"own").path) == (b"own", "owned")
    assert h.call("owned_async", b"thread").data == b"thread"
    big = h.call("owned_big")
    assert big.path == "owned" and big.data == bytes((i * 7) & 0xFF for i in range(96 * 1024))
    assert counter(h, "owned_sent") == sent + 4
    wait_for(lambda: counter(h, "releases") == released + 4, "four releases")
    time.sleep(0.05)
    assert counter(h, "releases") == released + 4
    assert h.stats()["owned_released"] == 4
    assert h.violations == []


def test_owned_bytes_changed_before_release_are_recorded(h):
    r = h.call("owned_change", b"abc")
    assert r.path == "owned"
    [v] = violations_of(h, "owned_changed")
    assert (v.sid, v.size) == (r.sid, 3)
    assert counter(h, "releases") == counter(h, "owned_sent")  # still released, once


# ---------------------------------------------------------------- leases

def test_lease_answers(h):
    r = h.call("echo_lease", b"leased")
    assert (r.data, r.path) == (b"leased", "lease")
    first = counter(h, "last_token")
    assert h.call("lease_async", b"async lease").data == b"async lease"
    assert counter(h, "last_token") not in (0, first)  # a fresh token per lease
    assert h.violations == []


@pytest.mark.parametrize("entry, kind, first, second, data", [
    ("lease_over", "lease_over_cap", NrStatus.INVALID, NrStatus.OK, b"leas"),
    ("lease_bad_token", "lease_bad_token", NrStatus.INVALID, NrStatus.OK, b"leas"),
    ("lease_double", "lease_double_commit", NrStatus.OK, NrStatus.INVALID, b"leas"),
    ("lease_after", "lease_after_answer", NrStatus.OK, NrStatus.INVALID, b"other"),
])
def test_lease_misuse_is_refused_and_recorded(h, entry, kind, first, second, data):
    r = h.call(entry)
    assert r.data == data
    assert (counter(h, "lease_first"), counter(h, "lease_second")) == (first, second)
    [v] = h.violations
    assert (v.kind, v.sid) == (kind, r.sid)


def test_acquire_fails_for_a_second_lease_an_unknown_sid_and_a_stream(h):
    assert h.call("lease_twice").data == b"one"
    assert counter(h, "lease_twice_ok") == 10  # first granted, second refused
    assert h.call("lease_unknown").data == b"ok"
    assert counter(h, "lease_unknown_ok") == 0
    assert [f.data for f in h.stream_raw("stream_lease")] == [b"refused", b""]
    assert counter(h, "stream_lease_ok") == 0
    assert h.violations == []


# ---------------------------------------------------------------- streams and backpressure

def test_bounded_stream_queue_answers_backpressure_not_terminal(abi2_plugin):
    with Host.load(abi2_plugin, stream_queue=2) as host:
        frames = list(host.stream_raw("flood", b"10"))
        # the first frame went straight to the caller, two were queued, seven refused;
        # the plugin's retried StreamEnd still ended the stream
        assert [(f.status, f.data) for f in frames] == [(0, b"0"), (0, b"1"), (0, b"2"), (NrStatus.STREAM_END, b"")]
        assert counter(host, "flood_bp") == 7
        stream = host.stream_raw("count", b"40")
        time.sleep(0.1)  # let the queue fill while nobody reads
        frames = list(stream)
        assert [f.data for f in frames[:-1]] == [str(i).encode() for i in range(40)]
        assert frames[-1].status == NrStatus.STREAM_END
        assert counter(host, "retries") > 0
        assert host.stats()["backpressured"] >= 7 + counter(host, "retries") - 1
        assert host.violations == []


def test_unbounded_queue_takes_everything(abi2_plugin):
    with Host.load(abi2_plugin, stream_queue=0) as host:
        assert len(list(host.stream_raw("flood", b"100"))) == 101
        assert counter(host, "flood_bp") == 0


def test_bidi_session_and_unknown_sid(h):
    with h.bidi("chat") as s:
        assert s.send(b"ping") == NrStatus.OK
        assert s.next_frame(timeout=5).data == b"ping"
        assert s.close() == NrStatus.OK
        assert [f.status for f in s] == [NrStatus.STREAM_END]
    assert h.stream_data(987654321, b"x") == NrStatus.INVALID
    assert h.stream_close(987654321) == NrStatus.INVALID


def test_panic_status_is_terminal(h):
    r = h.call("panic")
    assert (r.status, r.data) == (NrStatus.PANIC, b"contained panic")
    frames = list(h.stream_raw("panic"))
    assert [(f.status, f.terminal) for f in frames] == [(NrStatus.PANIC, True)]


# ---------------------------------------------------------------- protocol violations

def test_second_unary_answer_is_refused_and_recorded(h):
    r = h.call("double")
    assert r.data == b"first"
    assert counter(h, "double_second") == NrStatus.INVALID
    [v] = h.violations
    assert (v.kind, v.sid, v.size) == ("frame_after_terminal", r.sid, 6)


def test_frame_after_stream_end(h):
    frames = list(h.stream_raw("after_end"))
    assert [f.data for f in frames] == [b"a", b""]
    assert kinds(h) == ["frame_after_terminal"]


def test_unknown_sid_gets_invalid(h):
    assert h.call("unknown_sid").data == b"ok"
    assert counter(h, "unknown_sid_status") == NrStatus.INVALID
    assert kinds(h) == ["unknown_sid"]


def test_status_out_of_range(h):
    r = h.call("bad_status")
    assert (r.status, r.data) == (9, b"nine")
    assert kinds(h) == ["status_out_of_range"]


def test_send_after_rejecting_handle(h):
    r = h.call("reject_send")
    assert r.rejected and r.status == NrStatus.INVALID
    assert kinds(h) == ["rejected_sid"]


def test_unknown_entry_is_rejected_invalid(h):
    r = h.call("no-such-entry", b"x")
    assert r.rejected and r.status == NrStatus.INVALID


def test_send_after_shutdown(abi2_plugin):
    host = Host.load(abi2_plugin)
    assert host.call("after_shutdown").data == b"early"
    host.close()
    wait_for(lambda: violations_of(host, "send_after_shutdown"), "the late send")


# ---------------------------------------------------------------- integer dispatch

def test_resolve_and_call_by_id_answer_like_by_name(h):
    assert h.resolve("no-such-entry") == NR_ENTRY_UNKNOWN
    ids = {name: h.resolve(name) for name in ("echo", "echo_owned", "echo_lease", "count", "chat")}
    assert ids == {name: h.resolve(name) for name in ids}  # stable
    assert len(set(ids.values())) == len(ids) and NR_ENTRY_UNKNOWN not in ids.values()
    for name in ("echo", "echo_owned", "echo_lease"):
        by_name, by_id = h.call(name, b"same"), h.call_by_id(ids[name], b"same")
        assert (by_id.status, by_id.data, by_id.path) == (by_name.status, by_name.data, by_name.path)
    assert [f.data for f in h.stream_by_id(ids["count"], b"3")] == [b"0", b"1", b"2", b""]
    with h.bidi_by_id(ids["chat"]) as s:
        s.send(b"id")
        assert s.next_frame(timeout=5).data == b"id"
        s.close()
        assert [f.status for f in s] == [NrStatus.STREAM_END]
    assert h.call_by_id(7, b"x").status == NrStatus.INVALID  # an id the plugin never gave out
    assert h.violations == []


def test_asyncio_calls(h):
    async def main():
        a = await h.acall_raw("echo_async", b"a")
        b = await h.acall("echo_owned", b"b")
        frames = [f.data async for f in h.astream_raw("count", b"2")]
        return a.data, b.data, frames

    assert asyncio.run(main()) == (b"a", b"b", [b"0", b"1", b""])


# ---------------------------------------------------------------- nylon-ring call

def test_call_command_on_abi2(abi2_plugin):
    from typer.testing import CliRunner

    from nylon_ring_sdk.cli import app

    run = CliRunner().invoke
    r = run(app, ["call", str(abi2_plugin), "echo_owned", "-d", "hi"])
    assert (r.exit_code, r.output) == (0, "Ok hi\n")
    r = run(app, ["call", str(abi2_plugin), "echo_lease", "-d", "by id", "--by-id", "--json"])
    doc = __import__("json").loads(r.output)
    assert (r.exit_code, doc["data"], doc["path"], doc["abi"]) == (0, "by id", "lease", 2)
    r = run(app, ["call", str(abi2_plugin), "count", "--stream", "--by-id", "-d", "2"])
    assert (r.exit_code, r.output) == (0, "Ok 0\nOk 1\nStreamEnd\n")
    r = run(app, ["call", str(abi2_plugin), "nope", "--by-id"])
    assert r.exit_code == 1 and "resolve_entry('nope') returned NR_ENTRY_UNKNOWN" in r.output
    assert len(r.output.strip().splitlines()) == 1
    r = run(app, ["call", str(abi2_plugin), "echo", "-H", "a:1"])
    assert r.exit_code == 1 and "--header: ABI 2 calls carry no request metadata" in r.output
    r = run(app, ["call", str(abi2_plugin), "panic"])
    assert (r.exit_code, r.output) == (2, "Panic contained panic\n")


# ---------------------------------------------------------------- the crates.io 0.1.x shape

@pytest.fixture(scope="session")
def crates_io_01_plugin(tmp_path_factory):
    """tests/plugins_src/crates_io_01 built with cargo against the registry's nylon-ring 0.1.4."""
    import os
    import shutil

    from conftest import need_tool
    from nylon_ring_sdk.toolchain import run
    from test_host_support import CRATES_IO_01

    cargo = need_tool("cargo")
    work = tmp_path_factory.mktemp("crates_io_01")
    project = work / "src"
    shutil.copytree(CRATES_IO_01, project, ignore=shutil.ignore_patterns("target"))
    env = {**os.environ, "CARGO_TARGET_DIR": str(work / "target")}
    result = run([cargo, "build", "--release", "--quiet"], cwd=project, env=env, timeout=900)
    if result.returncode != 0:
        pytest.fail(f"cargo build of {CRATES_IO_01} failed:\n{result.stderr[-3000:]}")
    return work / "target" / "release" / "libcrates_io_01.so"


def test_crates_io_01_plugin_is_named_not_called(crates_io_01_plugin):
    with pytest.raises(errors.CratesIo01Plugin) as info:
        Host.load(crates_io_01_plugin)
    message = str(info.value)
    assert "\n" not in message
    assert "built with the crates.io `nylon-ring` 0.1.x crate, not the seed's ABI 1" in message
    assert "its vtable has 5 slots" in message and "no plugin_ctx" in message
    assert info.value.confidence == "certain"
    assert any("40-byte static" in e for e in info.value.evidence)
    assert any("6th word" in e for e in info.value.evidence)
    # the verdict comes before the slot check, so turning that off does not get it called either
    with pytest.raises(errors.CratesIo01Plugin):
        Host.load(crates_io_01_plugin, check_slots=False)
