"""Time: handlers that block the calling thread, and frames that come late.

A frame a plugin sends long after a stream's terminal frame (a timer thread, a retry
queue) or after `shutdown` escapes a watch of a tenth of a second. The `lifecycle`
group therefore notes every sid it completes (:func:`watch`) and every shutdown it
makes (:func:`watch_shutdown`), keeps running its other checks while the host goes on
recording whatever arrives, and `timing.late_frames`, its last check but one, judges
at the end of the process's life, with the delay of each late frame. The window costs
the run nothing while the group's other checks fill it; the rest is waited for.
Frames within the watch window of the other checks (`--watch`, 0.1 s) are theirs
(`stream.terminal`, `unary.exactly_once`, `lifecycle.quiet_after_shutdown`): this check
reports the ones no other check waits long enough to see.
"""

from __future__ import annotations

import time
from typing import Any

from ..context import Context, Exchange, exchange, status_text
from ..rules import failed, passed, warned
from .common import AFTER_SHUTDOWN, EXTRA_ANSWER, slot_problem

#: handle taking longer than this to return is reported (`timing.handler_blocks`).
BLOCKING_SECONDS = 0.05
#: Calls of an entry whose handle blocked, to tell a blocking handler from a scheduling hiccup.
BLOCKING_CONFIRM = 3
#: How long after the first watched sid completed the watch lasts at least, and at most
#: (between the two it ends when every other group of the run has ended); --level strict
#: watches the whole LATE_WATCH_STRICT.
LATE_WATCH_MIN = 0.35
LATE_WATCH = 1.5
LATE_WATCH_STRICT = 3.0
#: How long after the group's first shutdown the watch lasts at least (later shutdowns, of the
#: second instance and the reloaded one, are watched for what is left of the window).
SHUTDOWN_WATCH = 0.35


def _watch_state(ctx: Context) -> dict[str, Any]:
    return ctx.cache.setdefault("late_watch", {"sids": {}, "hosts": [], "shutdowns": {}, "first_end": None})


def watch(ctx: Context, sid: int | None, label: str, end_ns: int) -> None:
    """Watch `sid` of the current host for frames after its answer or terminal frame (at `end_ns`)."""
    if sid is None or not end_ns:
        return
    state = _watch_state(ctx)
    host = ctx.host
    if all(h is not host for h in state["hosts"]):
        state["hosts"].append(host)
    state["sids"][(id(host), sid)] = (label, end_ns)
    state["first_end"] = min(end_ns, state["first_end"] or end_ns)


def watch_exchange(ctx: Context, ex: Exchange, name: str) -> None:
    """Watch a completed exchange's sid from its terminal frame on."""
    if ex.terminal is not None:
        watch(ctx, ex.sid, f"{name} (sid {ex.sid})", ex.terminal.time_ns)


def answer_of(ex: Exchange) -> str | None:
    """How an exchange ended: the status it was rejected with or its terminal status; None without an end.
    (Only the status: answers may carry a time or a counter, so a second instance need not repeat the bytes.)"""
    if ex.rejected:
        return status_text(ex.handle_status)
    return None if ex.terminal is None else status_text(int(ex.terminal.status))


def watch_shutdown(ctx: Context, host: Any) -> None:
    """`host` was shut down just now: everything it records from here on is late."""
    state = _watch_state(ctx)
    if all(h is not host for h in state["hosts"]):
        state["hosts"].append(host)
    state["shutdowns"][id(host)] = time.monotonic_ns()


def late_watch_seconds(ctx: Context) -> float:
    return LATE_WATCH_STRICT if ctx.strict else LATE_WATCH


def handler_blocks(ctx: Context) -> Any:
    """Every declared entry once (the sids the late-frame watch follows); an entry whose
    `handle` took over BLOCKING_SECONDS is called again, and its fastest call is reported."""
    entries, excluded = ctx.entries("unary", "raw", "stream", "stream_raw", "bidi")
    entries = [e for e in entries if not slot_problem(ctx, e)]
    if not entries:
        return passed("no declared entry to time" + (f" (left out: {', '.join(excluded)})" if excluded else ""))
    times: dict[str, float] = {}
    for entry in entries:
        fastest = None
        for _ in range(BLOCKING_CONFIRM):
            ex = exchange(ctx, entry)
            watch_exchange(ctx, ex, entry.name)
            if answer_of(ex) is not None:
                ctx.cache.setdefault("first_answers", {}).setdefault(entry.name, answer_of(ex))
            seconds = ex.handle_ns / 1e9
            fastest = seconds if fastest is None else min(fastest, seconds)
            if fastest <= BLOCKING_SECONDS or ex.timed_out:
                break
        times[entry.name] = round(fastest or 0.0, 6)
    ctx.cache["blocking"] = {name: s for name, s in times.items() if s > BLOCKING_SECONDS}
    slow = [f"{name}: handle returned after {s * 1000:.0f} ms" for name, s in times.items() if s > BLOCKING_SECONDS]
    if slow:
        return warned("; ".join(slow) + f" (fastest of {BLOCKING_CONFIRM} calls; over {BLOCKING_SECONDS * 1000:.0f} ms "
                      "the host's calling thread is blocked: answer from a thread)", handle_seconds=times)
    slowest = max(times.items(), key=lambda kv: kv[1])
    return passed(f"{len(times)} entr{'y' if len(times) == 1 else 'ies'}; slowest handle: {slowest[0]} "
                  f"{slowest[1] * 1000:.2f} ms", handle_seconds=times)


def late_frames(ctx: Context) -> Any:
    """Frames for finished sids that came after their answer or terminal frame, with how late."""
    state = _watch_state(ctx)
    if not state["sids"]:
        return passed("no call completed in this process: nothing to watch")
    watched = _wait_window(ctx, state)
    late = [item for item in _late(state) if item["after"] == "terminal" and item["seconds"] >= ctx.watch]
    details = {"watched_seconds": round(watched, 3), "sids": len(state["sids"]), "late": late[:20]}
    if late:
        return failed(_listed(late), **details)
    return passed(f"{len(state['sids'])} finished sid(s) watched for {watched:.2f} s: nothing came after its end",
                  **details)


def after_shutdown(ctx: Context) -> Any:
    """Frames that came after a `shutdown` of this process had returned, however late."""
    state = _watch_state(ctx)
    if not state["shutdowns"]:
        return passed("no shutdown made in this process: nothing to watch")
    _wait_window(ctx, state)
    late = [item for item in _late(state) if item["after"] == "shutdown" and item["seconds"] >= ctx.watch]
    longest = max(time.monotonic_ns() - t for t in state["shutdowns"].values()) / 1e9
    details = {"shutdowns": len(state["shutdowns"]), "watched_seconds": round(longest, 3), "late": late[:20]}
    if late:
        return failed(_listed(late), **details)
    return passed(f"{len(state['shutdowns'])} shutdown(s), the first watched for {longest:.2f} s: nothing came "
                  "after one", **details)


def _listed(late: list[dict[str, Any]]) -> str:
    return "; ".join(item["text"] for item in late[:4]) + (f"; and {len(late) - 4} more" if len(late) > 4 else "")


def _wait_window(ctx: Context, state: dict[str, Any]) -> float:
    """Wait out the rest of the watch window (once: a later call returns at once); seconds watched."""
    least, most = _window(ctx, state)
    if not state.get("waited"):
        ctx.step(f"watching {len(state['sids'])} finished sid(s) and {len(state['shutdowns'])} shutdown(s) "
                 "for late frames")
        time.sleep(max(0.0, min((least - time.monotonic_ns()) / 1e9, ctx.remaining())))
        ctx.others_done(min((most - time.monotonic_ns()) / 1e9, ctx.remaining()))
        state["waited"] = True
    return (time.monotonic_ns() - (state["first_end"] or min(state["shutdowns"].values()))) / 1e9


def _window(ctx: Context, state: dict[str, Any]) -> tuple[int, int]:
    """(at least until, at most until) in monotonic ns: from the first finished sid, and
    SHUTDOWN_WATCH after the first shutdown."""
    start = state["first_end"] or min(state["shutdowns"].values())
    after_shutdown = min(state["shutdowns"].values(), default=0) + int(SHUTDOWN_WATCH * 1e9)
    most = start + int(late_watch_seconds(ctx) * 1e9)
    least = most if ctx.strict else start + int(LATE_WATCH_MIN * 1e9)
    return max(least, after_shutdown), max(most, after_shutdown)


def _late(state: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for host in state["hosts"]:
        down = state["shutdowns"].get(id(host))
        for v in host.violations:
            label_end = state["sids"].get((id(host), v.sid))
            if v.kind in AFTER_SHUTDOWN and down is not None:
                after = (v.time_ns - down) / 1e9
                found.append({"sid": v.sid, "after": "shutdown", "seconds": round(after, 3),
                              "text": f"a frame for sid {v.sid} came {_took(after)} after shutdown returned"})
            elif v.kind in EXTRA_ANSWER and label_end is not None:
                label, end = label_end
                after = (v.time_ns - end) / 1e9
                found.append({"sid": v.sid, "after": "terminal", "seconds": round(after, 3),
                              "text": f"a frame for {label} came {_took(after)} after its terminal frame"})
    return sorted(found, key=lambda item: -item["seconds"])


def _took(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"
