"""Background answers under load, through the reference host, for every SDK test file.

A plugin's asynchronous path (a worker pool, goroutines) is where answers get lost,
sent twice, or handed to the wrong stream id when it is busy. These helpers flood a
plugin from several host threads at once, each call with a payload no other call has,
and check what the host recorded: every sid answered exactly once, with its own
payload, from a thread other than the caller's, and no protocol violation (a second
answer, a frame after the terminal one, an unknown sid).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from nylon_ring_sdk.host import Host, NrStatus


def payload(thread: int, n: int) -> bytes:
    """A payload unique to (thread, n), of a length that varies from call to call."""
    return f"t{thread}:{n:06d};".encode() * (1 + (n * 7 + thread) % 5)


def _run_threads(count: int, work) -> list:
    """Runs work(i) on `count` threads started together; re-raises the first failure."""
    results: list = [None] * count
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def body(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)

    workers = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    if errors:
        raise errors[0]
    return results


def flood_async(library: Path, *, entry: str = "echo_async", threads: int = 4, calls: int = 1500,
                waves: int = 1, timeout: float = 120.0) -> set[int]:
    """`threads` host threads each put `calls` calls of `entry` (an echo answered in the
    background) in flight at once, `waves` times one after the other (the later waves meet a
    pool that has drained and gone idle); asserts every call got exactly its own payload back.

    Returns the OS thread ids that answered, so a caller can bound them (a pool).
    """

    callers: set[int] = set()

    def one_thread(index: int) -> list:
        callers.add(threading.get_native_id())

        async def gather(wave: int) -> list:
            return await asyncio.gather(*(h.acall_raw(entry, payload(index, wave * calls + n), timeout=timeout)
                                          for n in range(calls)))
        return [answer for wave in range(waves) for answer in asyncio.run(gather(wave))]

    with Host.load(library) as h:
        answers = _run_threads(threads, one_thread)
        for index, got in enumerate(answers):
            assert [(a.status, a.data) for a in got] == [(NrStatus.OK, payload(index, n)) for n in range(calls * waves)]
        sids = [a.sid for got in answers for a in got]
        assert len(set(sids)) == len(sids) == threads * calls * waves
        assert h.violations == []
        answered_by = {a.thread_id for got in answers for a in got}
    assert answered_by.isdisjoint(callers), "an asynchronous answer came on the caller's own thread"
    return answered_by


def flood_streams(library: Path, *, entry: str = "count", threads: int = 4, streams: int = 60,
                  timeout: float = 60.0) -> None:
    """`threads` host threads each open `streams` streams of `entry` (payload N gives
    frames "0".."N-1", then StreamEnd) with N varying: every stream gets its own frames,
    in order, then exactly one terminal frame."""

    def one_thread(index: int) -> None:
        for n in range(streams):
            want = (n * 13 + index) % 40
            frames = [(f.status, f.data) for f in h.stream_raw(entry, str(want).encode(), timeout=timeout)]
            assert frames == [(NrStatus.OK, str(i).encode()) for i in range(want)] + [(NrStatus.STREAM_END, b"")]

    with Host.load(library) as h:
        _run_threads(threads, one_thread)
        assert h.violations == []
