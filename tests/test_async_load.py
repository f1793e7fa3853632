"""Asynchronous answers under load, for the C, C++ and Zig SDKs of both ABI generations.

Each language's example project (`nylon-ring new`, release build) answers `echo_async`
from its background pool. These tests put many calls in flight at once through the
reference host, each with a payload no other call has, from several host threads, and
check what a worker pool can get wrong under load:

- lost answers (a call never answered: the host times out);
- duplicated answers (a second send_result for a sid: the host records a violation);
- crossed or reordered answers (a sid answered with another call's payload);
- answers sent from the host's own thread inside handle (not asynchronous at all);
- anything sent after shutdown returned, and shutdown returning while calls are still
  being answered (it must drain the queue and join the workers).
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import need_tool, need_zig
from nylon_ring_sdk.host import Host, NrStatus
from template_matrix import keep_copy

LANGS = ("c", "cpp", "zig")
ABIS = (1, 2)
HOST_THREADS = 4      # host threads issuing calls at once
CALLS_PER_THREAD = 600  # calls each thread keeps in flight together (one asyncio wave)
WAVES = 2


def payload_of(thread: int, wave: int, call: int) -> bytes:
    """A payload unique to the call, of a length that varies with it (0 to 40 bytes of tail)."""
    return f"t{thread}w{wave}c{call}:".encode() + bytes((call * 7 + i) % 256 for i in range(call % 41))


@pytest.fixture(scope="module", params=[(lang, abi) for lang in LANGS for abi in ABIS],
                ids=[f"{lang}-abi{abi}" for lang in LANGS for abi in ABIS])
def library(request, tmp_path_factory) -> Path:
    """The example project of one language and generation, built in release mode."""
    lang, abi = request.param
    need_zig() if lang == "zig" else need_tool("make")
    from nylon_ring_sdk import scaffold

    folder = tmp_path_factory.mktemp(f"async-{lang}-abi{abi}")
    project = scaffold.new_project(lang, f"load_{lang}", folder, abi=abi)
    result = scaffold.build(project, release=True)
    return keep_copy(project, result.library, f"async-load-abi{abi}")


def one_thread(h: Host, thread: int) -> list[tuple[bytes, object]]:
    """CALLS_PER_THREAD calls in flight together, WAVES times: (payload sent, response) pairs."""
    caller = threading.get_native_id()
    pairs = []

    async def wave(number: int) -> None:
        sent = [payload_of(thread, number, i) for i in range(CALLS_PER_THREAD)]
        answers = await asyncio.gather(*(h.acall_raw("echo_async", p, timeout=60) for p in sent))
        pairs.extend(zip(sent, answers))

    for number in range(WAVES):
        asyncio.run(wave(number))
    for _, answer in pairs:
        assert answer.thread_id != caller, "answered on the calling thread: not asynchronous"
    return pairs


def test_every_call_answered_once_with_its_own_payload(library):
    with Host.load(library) as h:
        with ThreadPoolExecutor(HOST_THREADS) as pool:
            results = list(pool.map(lambda t: one_thread(h, t), range(HOST_THREADS)))
        pairs = [pair for chunk in results for pair in chunk]
        assert len(pairs) == HOST_THREADS * WAVES * CALLS_PER_THREAD
        wrong = [(sent, a.status, a.data) for sent, a in pairs if a.status != NrStatus.OK or a.data != sent]
        assert wrong == [], f"{len(wrong)} calls answered wrongly, e.g. {wrong[:3]}"
        sids = [a.sid for _, a in pairs]
        assert len(set(sids)) == len(sids), "a sid was answered for two calls"
        assert h.violations == [], [v.describe() for v in h.violations[:5]]


def test_shutdown_drains_the_queue_and_nothing_follows(library):
    """Calls handle accepted when shutdown begins are answered before it returns, and no answer comes after it."""
    from nylon_ring_sdk.errors import HostClosed

    h = Host.load(library)
    outcomes: list[object] = []

    async def burst() -> None:
        tasks = [h.acall_raw("echo_async", payload_of(0, 0, i), timeout=60) for i in range(400)]
        outcomes.extend(await asyncio.gather(*tasks, return_exceptions=True))

    calling = threading.Thread(target=lambda: asyncio.run(burst()))
    calling.start()
    time.sleep(0.002)
    h.close()  # races the calls
    calling.join(60)
    time.sleep(0.1)  # a worker still running would send now: recorded as a violation
    assert h.violations == [], [v.describe() for v in h.violations[:5]]
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, BaseException):
            assert isinstance(outcome, HostClosed), repr(outcome)  # issued after close
        elif not outcome.rejected:
            assert (outcome.status, outcome.data) == (NrStatus.OK, payload_of(0, 0, i))
