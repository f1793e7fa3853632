"""Calls through the reference host against a real C plugin: answers, streams, state, violations."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from nylon_ring_sdk.host import NULL_REQUEST, CallTimeout, Frame, Host, HostClosed, NrStatus, Request
from test_host_support import build_c, c_header_dir, host, host_plugin, violations_of, wait_for  # noqa: F401

# ---------------------------------------------------------------- unary


def test_sync_answer_arrives_inside_handle_on_the_calling_thread(host):
    before = time.monotonic_ns()
    r = host.call_raw("echo", b"hello")
    after = time.monotonic_ns()
    assert before <= r.time_ns <= after  # the same clock as time.monotonic_ns()
    assert (r.status, r.data, r.rejected) == (NrStatus.OK, b"hello", False)
    assert r.thread_id == threading.get_native_id()
    assert r.frames == (Frame(NrStatus.OK, b"hello", r.thread_id, r.time_ns, r.seq, True),)
    assert r.handle_ns > 0 and r.sid >= 1


def test_async_answer_arrives_from_a_plugin_thread(host):
    r = host.call_raw("echo_async", b"later")
    assert (r.status, r.data) == (NrStatus.OK, b"later")
    assert r.thread_id != threading.get_native_id()


def test_payload_forms(host):
    assert host.call_raw("echo", "text é").data == "text é".encode()
    assert host.call_raw("echo", bytearray(b"ba")).data == b"ba"
    assert host.call_raw("echo", memoryview(b"mv")).data == b"mv"
    assert host.call_raw("echo", None).data == b""  # NULL pointer, length 0
    assert host.call_raw("echo", b"").data == b""
    odd = bytes(range(256)) * 17 + b"x"
    assert host.call_raw("echo", odd).data == odd
    assert host.call_raw(b"echo", b"bytes entry").data == b"bytes entry"


def test_sids_are_unique_and_increasing(host):
    sids = [host.call_raw("echo", b"").sid for _ in range(100)]
    assert sids == sorted(set(sids))


def test_request_metadata_reaches_handle(host):
    r = host.call("hello", b"world", Request(method="GET", path="/hello"))
    assert r.data == b"GET /hello world"
    req = Request(method="POST", path="/p", query="a=1&b=2", headers=[("x-one", "1"), ("x-two", "2")])
    assert host.call("request", b"", req).data == b"POST|/p|a=1&b=2|x-one=1;x-two=2;"
    assert host.call("request", b"", Request(headers={"k": "v"})).data == b"GET|/||k=v;"
    assert host.call("request", b"").data == b"GET|/||"  # default Request()


def test_request_fields_may_be_raw_bytes(host):
    req = Request(method=b"G\xffT", path=b"/\x00", headers=[(b"\xfe", b"\xff")])
    assert host.call("request", b"", req).data == b"G\xffT|/\x00||\xfe=\xff;"


def test_many_headers(host):
    headers = [(f"h{i}", "v") for i in range(500)]
    r = host.call("request", b"", Request(headers=headers))
    assert r.data.count(b";") == 500


def test_null_request_pointer(host):
    r = host.call("request", b"", NULL_REQUEST)
    assert (r.status, r.rejected, r.data, r.frames) == (NrStatus.INVALID, True, b"", ())


def test_rejected_call_has_the_returned_status_and_no_data(host):
    r = host.call_raw("no-such-entry", b"x")
    assert r.status == NrStatus.UNSUPPORTED and r.handle_status == NrStatus.UNSUPPORTED
    assert r.rejected and r.data == b"" and r.frames == ()
    assert host.stats()["live_sessions"] == 0


def test_timeout_names_entry_and_sid_and_the_sid_stays_tracked(host):
    with pytest.raises(CallTimeout) as info:
        host.call_raw("never", b"", timeout=0.1)
    message = str(info.value)
    assert f"entry 'never' sid {info.value.sid}:" in message and host.path in message
    assert info.value.entry == "never"
    assert host.stats()["live_sessions"] == 1
    assert host.call_raw("echo", b"still fine").data == b"still fine"


def test_close_wakes_a_waiting_call(host_plugin):
    h = Host.load(host_plugin)
    raised: list[BaseException] = []

    def wait() -> None:
        try:
            h.call_raw("never", b"", timeout=60)
        except BaseException as exc:  # inspected below
            raised.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    wait_for(lambda: h.stats()["live_sessions"] == 1, "the call to start")
    h.close()
    t.join(60)
    assert len(raised) == 1 and isinstance(raised[0], HostClosed), raised
    assert "shut down while entry 'never'" in str(raised[0])


def test_64_mib_payload_round_trip(host):
    big = os.urandom(1 << 20) * 64
    r = host.call_raw("echo", big, timeout=60)
    assert len(r.data) == len(big) and r.data == big
    r = host.call_raw("echo_async", big, timeout=60)
    assert r.data == big


def test_eight_threads_by_ten_thousand_calls_every_answer_accounted_for(host):
    calls, threads_n = 10_000, 8
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        got = []
        try:
            for i in range(calls):
                entry = "echo_async" if i % 2 else "echo"
                payload = f"{t}:{i}".encode()
                r = host.call_raw(entry, payload, timeout=60)
                got.append((payload, r.status, r.data, r.sid))
        except BaseException as exc:  # reported below with the thread's results
            errors.append(exc)
        results[t] = got

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    answers = [a for t in range(threads_n) for a in results[t]]
    assert len(answers) == calls * threads_n
    assert all(status == NrStatus.OK and data == payload for payload, status, data, _ in answers)
    assert len({sid for *_, sid in answers}) == calls * threads_n
    assert host.violations == []
    assert host.stats()["live_sessions"] == 0


# ---------------------------------------------------------------- streams


@pytest.mark.parametrize("entry", ["count", "count_async"])
def test_ten_thousand_frame_stream(host, entry):
    frames = list(host.stream_raw(entry, b"10000"))
    assert len(frames) == 10_001
    assert [f.data for f in frames[:-1]] == [str(i).encode() for i in range(10_000)]
    assert all(f.status == NrStatus.OK and not f.terminal for f in frames[:-1])
    assert frames[-1].status == NrStatus.STREAM_END and frames[-1].terminal
    seqs = [f.seq for f in frames]
    assert seqs == sorted(seqs)
    assert host.stats()["live_sessions"] == 0


def test_stream_through_handle_and_empty_stream(host):
    frames = list(host.stream("count", b"2", Request(path="/count")))
    assert [(f.status, f.data) for f in frames] == [(NrStatus.OK, b"0"), (NrStatus.OK, b"1"),
                                                    (NrStatus.STREAM_END, b"")]
    assert [(f.status, f.data) for f in host.stream_raw("count", b"0")] == [(NrStatus.STREAM_END, b"")]


def test_rejected_stream_yields_one_synthetic_terminal_frame(host):
    s = host.stream_raw("count", b"not a number")
    assert s.rejected and s.handle_status == NrStatus.INVALID
    assert list(s) == [Frame(NrStatus.INVALID, b"", 0, 0, 0, True)]


def test_abandoned_stream_is_still_tracked_until_its_end(host):
    s = host.stream_raw("count_async", b"2000")
    first = next(s)
    assert first.data == b"0"
    s.abandon()
    wait_for(lambda: host.stats()["live_sessions"] == 0, "the abandoned stream's terminal frame")
    assert host.violations == []


def test_stream_frame_timeout_leaves_the_stream_open(host):
    s = host.stream_raw("never", b"", timeout=0.05)
    with pytest.raises(CallTimeout, match="no frame within"):
        next(s)
    assert not s.finished
    s.close()
    assert s.finished


# ---------------------------------------------------------------- bidi


def test_bidi_ping_pong_then_close(host):
    with host.bidi("chat", b"") as s:
        assert s.send(b"ping") == NrStatus.OK
        assert s.next_frame(timeout=5).data == b"ping"
        assert s.send("pong") == NrStatus.OK
        assert s.next_frame(timeout=5).data == b"pong"
        assert s.close() == NrStatus.OK
        rest = list(s)
    assert [(f.status, f.data) for f in rest] == [(NrStatus.STREAM_END, b"")]
    assert s.next_frame() is None
    # the plugin forgot the sid: both calls on it are answered Invalid
    assert host.stream_data(s.sid, b"late") == NrStatus.INVALID
    assert host.stream_close(s.sid) == NrStatus.INVALID
    assert host.violations == []


def test_bidi_context_exit_closes(host):
    with host.bidi("chat", b"") as s:
        s.send(b"x")
    assert s.close_status == NrStatus.OK
    wait_for(lambda: host.stats()["live_sessions"] == 0, "the bidi terminal frame")


def test_stream_data_on_unknown_sid(host):
    assert host.stream_data(123456789, b"x") == NrStatus.INVALID
    assert host.stream_close(123456789) == NrStatus.INVALID


# ---------------------------------------------------------------- state


def test_state_round_trip_and_dropped_when_the_sid_completes(host):
    for value in (b"v", b"", os.urandom(100_000)):
        r = host.call_raw("state", value)
        assert (r.status, r.data) == (NrStatus.OK, value)
        assert host.stats()["state_entries"] == 0


def test_state_of_an_unfinished_sid_stays_until_dropped(host):
    with pytest.raises(CallTimeout) as info:
        host.call_raw("state_keep", b"held", timeout=0.05)
    assert host.stats()["state_entries"] == 1  # the plugin may still be working with it
    host.drop_state(info.value.sid)
    assert host.stats()["state_entries"] == 0


def test_state_for_a_finished_sid_is_a_violation(host):
    r = host.call_raw("state_after", b"")
    assert r.data == b"done"
    [v] = violations_of(host, "state_no_sid")
    assert v.sid == r.sid


# ---------------------------------------------------------------- violations


def test_double_send_on_a_unary_sid(host):
    r = host.call_raw("double", b"")
    assert r.data == b"first"
    [v] = host.violations
    assert (v.sid, v.kind, v.status, v.size) == (r.sid, "after_terminal", NrStatus.OK, 6)
    assert v.thread_id == threading.get_native_id() and v.seq > r.seq


def test_frame_after_stream_end(host):
    frames = list(host.stream_raw("after_end", b""))
    assert [f.data for f in frames] == [b"a", b""]
    [v] = host.violations
    assert v.kind == "after_terminal" and v.size == 4


def test_frame_for_a_sid_never_issued(host):
    r = host.call_raw("unknown_sid", b"")
    assert r.data == b"ok"
    [v] = host.violations
    assert (v.kind, v.sid) == ("unknown_sid", r.sid + 1_000_000_000)


def test_frames_for_rejected_sids(host):
    sync = host.call_raw("reject_send", b"")
    later = host.call_raw("reject_later", b"")
    assert sync.rejected and later.rejected
    wait_for(lambda: len(violations_of(host, "rejected_sid")) == 2, "two rejected-sid violations")
    assert {v.sid for v in violations_of(host, "rejected_sid")} == {sync.sid, later.sid}


def test_status_outside_the_enum(host):
    r = host.call_raw("bad_status", b"")
    assert r.status == 9 and r.data == b"odd"
    assert [v.kind for v in host.violations] == ["invalid_status"]


def test_send_after_shutdown(host_plugin):
    h = Host.load(host_plugin)
    assert h.call_raw("after_shutdown", b"").data == b"early"
    h.close()
    [v] = wait_for(lambda: violations_of(h, "after_shutdown"), "the plugin's late send")
    assert v.size == len(b"after shutdown")


def test_violations_do_not_disturb_later_calls(host):
    host.call_raw("double", b"")
    host.call_raw("unknown_sid", b"")
    assert host.call_raw("echo", b"fine").data == b"fine"
    assert len(host.violations) == 2
    assert host.violations == host.violations  # reading does not consume


# ---------------------------------------------------------------- asyncio


def test_async_calls_are_woken_from_plugin_threads(host):
    async def main():
        raw = await host.acall_raw("echo_async", b"a")
        sync = await host.acall_raw("echo", b"s")
        meta = await host.acall("hello", b"w", Request(path="/x"))
        many = await asyncio.gather(*(host.acall_raw("echo_async", str(i)) for i in range(200)))
        rejected = await host.acall_raw("nope", b"")
        return raw, sync, meta, many, rejected

    raw, sync, meta, many, rejected = asyncio.run(main())
    assert raw.data == b"a" and raw.thread_id != threading.get_native_id()
    assert sync.data == b"s" and meta.data == b"GET /x w"
    assert [r.data for r in many] == [str(i).encode() for i in range(200)]
    assert rejected.rejected and rejected.status == NrStatus.UNSUPPORTED


def test_async_wait_does_not_block_the_loop(host):
    order: list[str] = []

    async def slow():
        r = await host.acall_raw("slow", b"s")
        order.append("slow")
        return r

    async def other():
        order.append("other")

    async def main():
        return await asyncio.gather(slow(), other())

    r, _ = asyncio.run(main())
    assert r.data == b"s" and order == ["other", "slow"]


def test_async_streams(host):
    async def collect(stream):
        return [f async for f in stream]

    frames = asyncio.run(collect(host.astream_raw("count_async", b"1000")))
    assert [f.data for f in frames[:-1]] == [str(i).encode() for i in range(1000)]
    assert frames[-1].status == NrStatus.STREAM_END
    frames = asyncio.run(collect(host.astream("count", b"3")))
    assert len(frames) == 4 and frames[-1].terminal
    frames = asyncio.run(collect(host.astream_raw("count", b"x")))
    assert [(f.status, f.terminal) for f in frames] == [(NrStatus.INVALID, True)]
    assert host.stats()["live_sessions"] == 0


def test_async_timeout(host):
    async def main():
        await host.acall_raw("never", b"", timeout=0.05)

    with pytest.raises(CallTimeout, match="entry 'never'"):
        asyncio.run(main())


def test_async_cancellation_detaches_the_sid(host):
    async def main():
        task = asyncio.ensure_future(host.acall_raw("slow", b"c"))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    wait_for(lambda: host.stats()["live_sessions"] == 0, "the cancelled call's late answer")
    assert host.violations == []
