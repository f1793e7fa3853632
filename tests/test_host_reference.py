"""The reference host against the conformance corpus's reference plugin (conformance/plugins/reference).

Only the entry contract every scaffolded plugin shares is used here (hello, echo,
echo_async, count, chat, state, panic, panic_async), so these tests hold for any
plugin that follows it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from nylon_ring_sdk.host import Host, NrStatus, Request
from test_host_support import build_c, c_header_dir  # noqa: F401

REFERENCE = Path(__file__).resolve().parent.parent / "conformance" / "plugins" / "reference" / "plugin.c"


@pytest.fixture(scope="module")
def reference(build_c) -> Path:
    if not REFERENCE.is_file():
        pytest.fail(f"{REFERENCE} is missing")
    return build_c(REFERENCE, "conformance_reference")


@pytest.fixture
def ref_host(reference):
    with Host.load(reference) as h:
        yield h
    assert h.violations == []


def test_contract_entries(ref_host):
    r = ref_host.call("hello", b"world", Request(method="GET", path="/hello"))
    assert (r.status, r.data) == (NrStatus.OK, b"GET /hello world")
    assert ref_host.call_raw("echo", b"\x00\xff").data == b"\x00\xff"
    async_answer = ref_host.call_raw("echo_async", b"bg")
    assert async_answer.data == b"bg" and async_answer.thread_id != threading.get_native_id()
    assert ref_host.call_raw("state", b"kept").data == b"kept"
    assert ref_host.stats()["state_entries"] == 0
    assert ref_host.call_raw("no_such_entry", b"").status == NrStatus.UNSUPPORTED


def test_count_ten_thousand_and_rejected_count(ref_host):
    frames = list(ref_host.stream_raw("count", b"10000"))
    assert [f.data for f in frames[:-1]] == [str(i).encode() for i in range(10_000)]
    assert frames[-1].status == NrStatus.STREAM_END
    bad = ref_host.stream_raw("count", b"many")
    assert bad.rejected and bad.handle_status == NrStatus.INVALID


def test_chat_ping_pong(ref_host):
    with ref_host.bidi("chat", b"", raw=True) as s:
        for word in (b"a", b"b", b"c"):
            s.send(word)
            assert s.next_frame(timeout=10).data == word
        s.close()
        assert [f.status for f in s] == [NrStatus.STREAM_END]


@pytest.mark.parametrize("entry", ["panic", "panic_async"])
def test_panic_probes_answer_err(ref_host, entry):
    r = ref_host.call_raw(entry, b"")
    assert r.status == NrStatus.ERR or (r.rejected and r.handle_status == NrStatus.ERR)


def test_threads_by_calls_against_the_reference(ref_host):
    results: list[list[bool]] = []

    def worker(t: int) -> None:
        ok = []
        for i in range(2_000):
            payload = f"{t}-{i}".encode()
            ok.append(ref_host.call_raw("echo_async" if i % 2 else "echo", payload, timeout=60).data == payload)
        results.append(ok)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(all(r) and len(r) == 2_000 for r in results)
