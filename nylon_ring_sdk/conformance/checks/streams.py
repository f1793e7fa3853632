"""Stream, bidirectional, panic, concurrency and shutdown checks."""

from __future__ import annotations

import threading
import time
from typing import Any

from ...host.nylon_ring_abi import NrStatus
from ..rules import V1_RULES, MUST, SHOULD, check, failed, passed
from ..context import Context, Exchange, exchange, exchange_all, host_request, start, status_text
from ..manifest import Entry
from .common import AFTER_SHUTDOWN, EXTRA_ANSWER, answer_status, declared, judge_stray, no_entries, noted, slot_problem, usable
from ...errors import CallTimeout

#: Threads and calls per thread of `concurrency.threads`.
THREADS = 8
CALLS_PER_THREAD = 128


# ---------------------------------------------------------------- gates

def _terminal_gate(ctx: Context, modes: tuple[str, ...], what: str) -> Any:
    """Each declared entry: Ok frames, exactly one terminal frame, then silence for a watch window."""
    entries, problems = declared(ctx, what, *modes)
    mark = len(ctx.violations())
    done: dict[int, tuple[Entry, Exchange]] = {}
    gaps: dict[str, float] = {}
    for entry in entries:
        ex = exchange(ctx, entry, send=())
        gap = _frame_gap(ex)
        if gap is not None:
            gaps[entry.name] = gap
        if ex.timed_out:
            problems.append(f"{entry.name}: {len(ex.frames)} Ok frame(s), then no terminal frame within the wait")
        elif ex.sid is not None:
            done[ex.sid] = (entry, ex)
    ctx.settle()
    late = {v.sid: v for v in ctx.violations()[mark:] if v.sid in done and v.kind in EXTRA_ANSWER}
    for sid, v in late.items():
        entry, ex = done.pop(sid)
        problems.append(f"{entry.name}: {status_text(int(v.status))} ({v.size} bytes) sent after the terminal frame "
                        f"({ex.describe().split(': ', 1)[-1]})")
    for entry, _ in done.values():
        ctx.confirm(entry.name)
    if problems:
        return failed("; ".join(problems), answer_seconds=gaps)
    return passed("; ".join(ex.describe() for _, ex in done.values()), answer_seconds=gaps)


def _frame_gap(ex: Exchange) -> float | None:
    """The longest time between two frames of a stream (its latency for the later waits)."""
    times = [f.time_ns for f in ex.frames if f.time_ns]
    if len(times) < 2:
        return None
    return round(max(b - a for a, b in zip(times, times[1:])) / 1e9, 6)


@check("stream.terminal", MUST, "A stream sends Ok frames, then exactly one terminal frame, then nothing.",
       cite=V1_RULES, group="gates")
def stream_terminal(ctx: Context) -> Any:
    return _terminal_gate(ctx, ("stream", "stream_raw"), "stream entry")


@check("bidi.terminal", MUST, "A bidirectional stream closed with `stream_close` still ends with exactly one "
       "terminal frame, then nothing.", cite=V1_RULES, group="gates")
def bidi_terminal(ctx: Context) -> Any:
    return _terminal_gate(ctx, ("bidi",), "bidi entry")


# ---------------------------------------------------------------- declared streams

def _ok_frames(ex: Exchange) -> list[bytes]:
    return [f.data for f in ex.frames if not f.terminal]


def _compare_frames(entry: Entry, ex: Exchange) -> str | None:
    if ex.timed_out:
        return f"{entry.name}: no terminal frame within the wait{ex.note}"
    if ex.rejected:
        return f"{entry.name}: rejected with {status_text(ex.handle_status)}{ex.note}"
    frames = _ok_frames(ex)
    if entry.expect_frames is not None and frames != list(entry.expect_frames):
        return f"{entry.name}: frames {frames[:8]!r} (expected {list(entry.expect_frames)[:8]!r}){ex.note}"
    terminal = status_text(int(ex.terminal.status))
    if entry.expect_terminal is not None and terminal != entry.expect_terminal:
        return f"{entry.name}: ended with {terminal} (expected {entry.expect_terminal})"
    return None


def _as_declared(ctx: Context, modes: tuple[str, ...], what: str, label: str) -> Any:
    entries, excluded = usable(ctx, what, *modes)
    problems, good = [], []
    for entry, ex in zip(entries, exchange_all(ctx, [(e, {}) for e in entries])):
        problem = _compare_frames(entry, ex)
        (problems if problem else good).append(problem or entry.name)
    if problems:
        return failed("; ".join(problems), **noted(excluded))
    return passed(f"{', '.join(good)}: {label}", **noted(excluded))


@check("stream.frames", MUST, "Every declared stream sends the declared frames and terminal status.",
       cite=V1_RULES, group="streams")
def stream_frames(ctx: Context) -> Any:
    return _as_declared(ctx, ("stream", "stream_raw"), "stream entry", "frames and terminal as declared")


@check("stream.empty", SHOULD, "A stream asked with an empty payload is rejected or ends with one terminal frame.",
       cite=V1_RULES, group="streams")
def stream_empty(ctx: Context) -> Any:
    entries, _ = usable(ctx, "stream entry", "stream", "stream_raw")
    results = exchange_all(ctx, [(entry, {"payload": b""}) for entry in entries])
    stuck = [ex.describe() for ex in results if ex.timed_out]
    if stuck:
        return failed("; ".join(stuck))
    return passed("; ".join(ex.describe() for ex in results))


@check("bidi.ping_pong", MUST, "Every declared bidirectional entry answers each frame in order and ends with "
       "the declared terminal after close.", cite=V1_RULES, group="streams")
def ping_pong(ctx: Context) -> Any:
    return _as_declared(ctx, ("bidi",), "bidi entry", "replies in order, terminal after close")


@check("bidi.closed_sid", SHOULD, "`stream_data` and `stream_close` on a closed sid return Invalid "
       "(MUST when the manifest declares unknown_sid = \"invalid\"; a frame sent for it always fails).", cite=V1_RULES, group="streams")
def closed_sid(ctx: Context) -> Any:
    entries, _ = usable(ctx, "bidi entry", "bidi")
    slots = [s for s in ("stream_data", "stream_close") if ctx.slot(s)]
    ex = exchange(ctx, entries[0], send=())
    if ex.rejected or ex.terminal is None or ex.sid is None:
        return failed(f"could not open and close a session: {ex.describe()}")
    return judge_stray(ctx, ex.sid, slots, f"{entries[0].name} sid {ex.sid} after close")


# ---------------------------------------------------------------- panic probes

@check("panic.probe", MUST, "Every declared panic probe answers Err (or is rejected with Err) and the process "
       "lives.", cite=V1_RULES, group="streams")
def panic_probe(ctx: Context) -> Any:
    left_out = ctx.excluded_here()
    probes = [p for p in ctx.manifest.panic_probes if p.name not in left_out]
    if not probes:
        return no_entries(ctx, "panic probe", left_out)
    problems, good = [], []
    for probe, ex in zip(probes, exchange_all(ctx, [(p, {}) for p in probes])):
        status = answer_status(ex)
        if status is None:
            problems.append(f"{probe.name}: no answer within the wait")
        elif status_text(status) != "Err":
            problems.append(f"{ex.describe()} (expected Err)")
        else:
            good.append(ex.describe())
    if problems:
        return failed("; ".join(problems))
    return passed("; ".join(good))


# ---------------------------------------------------------------- concurrency

class _Tally:
    """What the threads of `concurrency.threads` saw, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.foreign = 0
        self.wrong: list[str] = []
        self.unanswered: list[str] = []
        self.per_thread = CALLS_PER_THREAD


def _plan(ctx: Context) -> tuple[list[tuple[Entry, bytes | None]], dict[str, str]]:
    """Entries to hammer, each with the answer its sample payload must get (None: an echo)."""
    entries, excluded = ctx.entries("unary", "raw")
    entries = [e for e in entries if not slot_problem(ctx, e)]
    plan: list[tuple[Entry, bytes | None]] = []
    for entry, ex in zip(entries, exchange_all(ctx, [(e, {}) for e in entries])):
        if ex.terminal is None or ex.rejected or ex.terminal.status != NrStatus.OK:
            excluded[entry.name] = "its sample call is not answered Ok"
            continue
        plan.append((entry, None if entry.is_echo else ex.terminal.data))
    return plan, excluded


def _hammer(ctx: Context, plan: list[tuple[Entry, bytes | None]], thread_no: int, tally: _Tally) -> None:
    me = threading.get_native_id()
    host = ctx.host
    for i in range(tally.per_thread):
        entry, answer = plan[(thread_no + i) % len(plan)]
        body = f"{thread_no}:{i}:{entry.name}".encode() if answer is None else entry.payload
        want = body if answer is None else answer
        try:
            if entry.uses_handle:
                r = host.call(entry.name, body, host_request(entry.request), timeout=ctx.remaining())
            else:
                r = host.call_raw(entry.name, body, timeout=ctx.remaining())
        except CallTimeout:
            with tally.lock:
                tally.unanswered.append(f"{entry.name} call {i} of thread {thread_no}")
            continue
        with tally.lock:
            tally.calls += 1
            tally.foreign += any(f.thread_id != me for f in r.frames)
            if r.data != want:
                tally.wrong.append(f"{entry.name} sid {r.sid}: got {r.data[:40]!r}, expected {want[:40]!r}")


@check("concurrency.threads", MUST, f"{THREADS} threads x {CALLS_PER_THREAD} calls at once: every call gets its "
       "own answer.", cite=V1_RULES, group="concurrency")
def threads(ctx: Context) -> Any:
    plan, excluded = _plan(ctx)
    if not plan:
        return no_entries(ctx, "unary or raw entry answered Ok", excluded)
    tally = _Tally()
    tally.per_thread = ctx.calls_fit(CALLS_PER_THREAD)  # each thread waits for each answer: fewer when slow
    ctx.step(f"{THREADS} threads x {tally.per_thread} calls over {', '.join(e.name for e, _ in plan)}")
    started = time.perf_counter()
    workers = [threading.Thread(target=_hammer, args=(ctx, plan, n, tally), daemon=True) for n in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(ctx.remaining() + 1.0)
    took = time.perf_counter() - started
    details = {"calls": tally.calls, "calls_per_thread": tally.per_thread, "answers_from_other_threads": tally.foreign,
               "seconds": round(took, 4), **noted(excluded)}
    if any(w.is_alive() for w in workers):
        return failed(f"calls still blocked after the wait ({tally.calls} answered)", **details)
    problems = [f"wrong answer: {w}" for w in tally.wrong[:3]] + [f"never answered: {u}" for u in tally.unanswered[:3]]
    if problems:
        return failed(f"{len(tally.wrong)} wrong, {len(tally.unanswered)} unanswered: " + "; ".join(problems), **details)
    return passed(f"{tally.calls} calls from {THREADS} threads, each answered with its own answer "
                  f"({tally.foreign} answered from another thread)", **details)


# ---------------------------------------------------------------- shutdown with work in flight

@check("lifecycle.quiet_after_shutdown", MUST, "Nothing is sent after `shutdown` returns, even with calls in flight.",
       cite=V1_RULES, group="streams")
def quiet_after_shutdown(ctx: Context) -> Any:
    entries, excluded = ctx.entries("unary", "raw", "stream", "stream_raw")
    entries = [e for e in entries if not slot_problem(ctx, e)]
    host = ctx.host
    if not entries:
        host.close()  # this check ends the group's plugin either way
        return no_entries(ctx, "unary or stream entry to keep busy during shutdown", excluded)
    for entry in entries:
        start(ctx, entry).abandon()
    mark = len(host.violations)
    ctx.step(f"shutdown with {len(entries)} call(s) in flight")
    begun = time.perf_counter()
    host.close()
    took = time.perf_counter() - begun
    ctx.settle()
    late = [v for v in host.violations[mark:] if v.kind in AFTER_SHUTDOWN]
    details = {"in_flight": [e.name for e in entries], "shutdown_seconds": round(took, 6)}
    if late:
        return failed(f"{len(late)} callback(s) after shutdown returned: "
                      + "; ".join(v.describe() for v in late[:3]), **details)
    what = f"{len(entries)} call(s) in flight"
    return passed(f"shutdown with {what} returned in {took * 1000:.1f} ms; nothing after it", **details)
