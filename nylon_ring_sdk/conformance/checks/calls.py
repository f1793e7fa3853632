"""Gate, routing, unary and bad-input checks: one request at a time.

The gate checks call every declared entry once and confirm the entries that
behaved; the later checks use only confirmed entries, so an entry whose `handle`
hangs is reported once (by `unary.prompt_return`), not by every check after it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ...host.nylon_ring_abi import NrStatus
from ..rules import GUIDE_STATUS, HIGH_SID, MUST, SHOULD, V1_RULES, check, failed, passed, skipped, warned
from ..context import Context, Exchange, exchange, exchange_all, host_request, start, status_text, unknown_entry
from ..manifest import Entry
from .common import EXTRA_ANSWER, NOT_FRAMES, answer_status, declared, judge_stray, no_entries, noted, slot_problem, usable
from ...errors import CallTimeout

#: handle taking longer than this for a sample payload is reported as a warning.
SLOW_HANDLE_SECONDS = 0.25
#: Calls per declared entry in `unary.exactly_once`.
REPEATS = 8
#: A sid no host issues in these checks (the reference host counts up from 1).
UNISSUED_SID = (1 << 62) + 12345


# ---------------------------------------------------------------- gates

@check("unary.prompt_return", MUST,
       "`handle`/`handle_raw` returns promptly for every declared unary and raw entry (times in the report).",
       cite=V1_RULES, group="gates")
def prompt_return(ctx: Context) -> Any:
    entries, problems = declared(ctx, "unary or raw entry", "unary", "raw")
    times: dict[str, dict[str, Any]] = {}
    started: list[tuple[Entry, Any]] = []
    for entry in entries:
        stream = start(ctx, entry)
        seconds = stream.handle_ns / 1e9
        times[entry.name] = {"seconds": round(seconds, 6), "status": status_text(stream.handle_status)}
        ctx.confirm(entry.name)
        started.append((entry, stream))
    answers = _first_answers(ctx, started)
    slowest = max(times.items(), key=lambda kv: kv[1]["seconds"], default=None)
    summary = f"slowest: {slowest[0]} {slowest[1]['seconds'] * 1000:.2f} ms" if slowest else ""
    details = {"handle": times, "answer_seconds": answers}
    if problems:
        return failed("; ".join(problems), **details)
    slow = [f"{name} took {t['seconds'] * 1000:.0f} ms" for name, t in times.items() if t["seconds"] > SLOW_HANDLE_SECONDS]
    if slow:
        return warned(f"handle is slow: {', '.join(slow)} (over {SLOW_HANDLE_SECONDS * 1000:.0f} ms; "
                      "answer from a thread instead)", **details)
    return passed(f"{len(times)} entr{'y' if len(times) == 1 else 'ies'} returned; {summary}", **details)


def _first_answers(ctx: Context, started: list[tuple[Entry, Any]]) -> dict[str, float]:
    """Seconds from each accepted call to its answer (the latency later waits scale to);
    an entry that does not answer within the wait is left out (unary.answers judges it)."""
    answers: dict[str, float] = {}
    if started:
        ctx.step("waiting for the answers of " + ", ".join(e.name for e, _ in started))
    for entry, stream in started:
        if stream.rejected:
            continue
        try:
            frame = stream.next_frame(timeout=ctx.remaining())
        except CallTimeout:
            stream.abandon()
            continue
        stream.abandon()
        if frame is not None and frame.time_ns:
            answers[entry.name] = round(max(0.0, (frame.time_ns - stream.started_ns) / 1e9), 6)
    return answers


# ---------------------------------------------------------------- routing

def _route_target(ctx: Context) -> Entry:
    return unknown_entry("raw" if ctx.slot("handle_raw") else "unary")


@check("routing.unknown_entry", MUST,
       "An unknown entry is answered Unsupported (Invalid passes with a warning: seed-era Rust plugins do that).",
       cite=GUIDE_STATUS, group="routing")
def routing_unknown(ctx: Context) -> Any:
    ex = exchange(ctx, _route_target(ctx))
    status = answer_status(ex)
    if status is None:
        return failed(f"{ex.describe()} (expected Unsupported)")
    if status == NrStatus.UNSUPPORTED:
        return passed(ex.describe())
    if status == NrStatus.INVALID:
        if ctx.manifest.unknown_entry == "invalid":
            return passed(f"{ex.describe()}, as the manifest declares (unknown_entry = \"invalid\")")
        return warned(f"{ex.describe()}; the ABI says Unsupported (seed-era Rust plugins answer Invalid; "
                      "declare unknown_entry = \"invalid\" in the manifest to accept it)")
    return failed(f"{ex.describe()} (expected Unsupported)")


def _survives(ctx: Context, name: Any, label: str) -> Any:
    """The plugin handles an odd entry name: it returns, and answers if it accepted."""
    ex = exchange(ctx, _route_target(ctx), name=name)
    if ex.timed_out:
        return failed(f"{label}: accepted (Ok) but never answered")
    return passed(f"{label}: {ex.describe().split(': ', 1)[-1]}")


@check("routing.empty_entry", MUST, "An empty entry name is handled without crashing.", cite=GUIDE_STATUS, group="routing")
def routing_empty(ctx: Context) -> Any:
    return _survives(ctx, "", "empty entry name")


@check("routing.non_utf8_entry", MUST, "An entry name that is not UTF-8 is handled without crashing.",
       cite=GUIDE_STATUS, group="routing")
def routing_non_utf8(ctx: Context) -> Any:
    return _survives(ctx, b"\xff\xfe\xc3(", "entry name b'\\xff\\xfe\\xc3('")


@check("routing.long_entry", MUST, "A 64 KiB entry name is handled without crashing.", cite=GUIDE_STATUS, group="routing")
def routing_long(ctx: Context) -> Any:
    return _survives(ctx, "e" * 65536, "64 KiB entry name")


@check("unary.reject_silent", MUST, "Nothing is sent for a sid whose `handle` returned non-Ok.", cite=V1_RULES, group="routing")
def reject_silent(ctx: Context) -> Any:
    mark = len(ctx.violations())
    rejected: dict[int, str] = {}
    for mode, slot in (("raw", "handle_raw"), ("unary", "handle")):
        if ctx.slot(slot):
            ex = exchange(ctx, unknown_entry(mode))
            if ex.rejected and ex.sid is not None:
                rejected[ex.sid] = ex.describe()
    if not rejected:
        return skipped("the plugin rejected nothing here (it accepted the unknown entry; see routing.unknown_entry)")
    ctx.settle()
    sent = [v for v in ctx.violations()[mark:] if v.sid in rejected and v.kind not in NOT_FRAMES]
    if sent:
        return failed(f"{len(sent)} frame(s) after a rejection: " + "; ".join(
            f"{rejected[v.sid]}, then sent {status_text(int(v.status))} ({v.size} bytes)" for v in sent[:3]))
    return passed("; ".join(rejected.values()) + "; nothing followed")


@check("bidi.unknown_sid", SHOULD, "`stream_data` and `stream_close` on a sid that was never opened return Invalid "
       "(MUST when the manifest declares unknown_sid = \"invalid\"; a frame sent for it always fails).",
       cite=V1_RULES, group="routing")
def bidi_unknown_sid(ctx: Context) -> Any:
    slots = [s for s in ("stream_data", "stream_close") if ctx.slot(s)]
    if not slots:
        return skipped("the plugin has no stream_data or stream_close slot (no bidirectional streams)")
    return judge_stray(ctx, UNISSUED_SID, slots, "a sid never opened")


# ---------------------------------------------------------------- unary

@check("unary.answers", MUST, "Every declared unary and raw entry answers the declared status and payload.",
       cite=V1_RULES, group="unary")
def answers(ctx: Context) -> Any:
    entries, excluded = usable(ctx, "unary or raw entry", "unary", "raw")
    problems, good = [], []
    for entry, ex in zip(entries, exchange_all(ctx, [(e, {}) for e in entries])):
        problem = _compare_answer(entry, ex)
        (problems if problem else good).append(problem or entry.name)
    if problems:
        return failed("; ".join(problems), **noted(excluded))
    return passed(f"{', '.join(good)} answered as declared", **noted(excluded))


def _compare_answer(entry: Entry, ex: Exchange) -> str | None:
    status = answer_status(ex)
    if status is None:
        return f"{entry.name}: no answer within the wait"
    if entry.expect_status is not None and status_text(status) != entry.expect_status:
        return f"{entry.name}: answered {status_text(status)} (expected {entry.expect_status})"
    data = ex.terminal.data if ex.terminal is not None else b""
    if entry.expect is not None and data != entry.expect:
        return f"{entry.name}: answered {_show(data)} (expected {_show(entry.expect)})"
    return None


def _show(data: bytes, limit: int = 60) -> str:
    text = repr(data[:limit])
    return text + (f"... ({len(data)} bytes)" if len(data) > limit else "")


@check("unary.exactly_once", MUST, "Every accepted unary call gets exactly one result.", cite=V1_RULES, group="unary")
def exactly_once(ctx: Context) -> Any:
    entries, excluded = usable(ctx, "unary or raw entry", "unary", "raw")
    mark = len(ctx.violations())
    sids: dict[int, str] = {}
    never: list[str] = []
    calls = [(e, {}) for e in entries for _ in range(REPEATS)]
    for (entry, _), ex in zip(calls, exchange_all(ctx, calls)):
        if ex.timed_out:
            never.append(ex.call)
        elif not ex.rejected and ex.sid is not None:
            sids[ex.sid] = entry.name
    ctx.settle()
    extra = [v for v in ctx.violations()[mark:] if v.sid in sids and v.kind in EXTRA_ANSWER]
    problems = [f"{sids[v.sid]}: sid {v.sid} got another result ({status_text(int(v.status))}, {v.size} bytes) "
                f"after its answer" for v in extra[:3]]
    problems += [f"{call}: never answered" for call in never[:3]]
    details = {"calls": len(sids), "extra_results": len(extra), "unanswered": len(never), **noted(excluded)}
    if problems:
        return failed("; ".join(problems), **details)
    return passed(f"{len(sids)} accepted calls, one result each", **details)


def _payload_target(ctx: Context) -> tuple[Entry | None, dict[str, str]]:
    """The entry the payload-size checks use: a raw one if declared, else a unary one."""
    entries, excluded = ctx.entries("raw")
    if not entries:
        entries, more = ctx.entries("unary")
        excluded.update(more)
    return (entries[0] if entries else None), excluded


def _payload_check(ctx: Context, payload: bytes, label: str) -> Any:
    target, excluded = _payload_target(ctx)
    if target is None:
        return no_entries(ctx, "unary or raw entry", excluded)
    ex = exchange(ctx, target, payload=payload)
    if ex.timed_out:
        return failed(f"{label} to {target.name}: accepted (Ok) but never answered")
    return passed(f"{label}: {ex.describe().split(': ', 1)[-1]}", entry=target.name, **noted(excluded))


@check("unary.payload_empty", MUST, "An empty payload (non-NULL pointer, length 0) is answered or rejected.",
       cite=V1_RULES, group="unary")
def payload_empty(ctx: Context) -> Any:
    return _payload_check(ctx, b"", "empty payload")


@check("unary.payload_1byte", MUST, "A 1-byte payload is answered or rejected.", cite=V1_RULES, group="unary")
def payload_one(ctx: Context) -> Any:
    return _payload_check(ctx, b"\x00", "1-byte payload")


@check("unary.payload_odd", MUST, "An odd-sized payload (65,537 bytes) is answered or rejected.", cite=V1_RULES, group="unary")
def payload_odd(ctx: Context) -> Any:
    return _payload_check(ctx, bytes(range(256)) * 256 + b"!", "65,537-byte payload")


@check("unary.payload_16mib", MUST, "A 16 MiB payload is answered or rejected, without crashing.", cite=V1_RULES, group="unary")
def payload_large(ctx: Context) -> Any:
    return _payload_check(ctx, b"\xab" * (16 << 20), "16 MiB payload")


@check("unary.right_sid", MUST, "Results arrive on the sid that was asked, also for sids above 2^32.",
       cite=V1_RULES, group="sids")
def right_sid(ctx: Context) -> Any:
    entries, excluded = usable(ctx, "unary or raw entry", "unary", "raw")
    ctx.host  # noqa: B018  (loads the plugin, with the high first sid when the host supports it)
    if not ctx.first_sid_applied:
        return skipped("the reference host cannot start sids above 2^32 (needs Host.load(first_sid=...))")
    mark = len(ctx.violations())
    asked = []
    for entry in entries:
        for _ in range(3):
            stream = start(ctx, entry)
            asked.append(stream.sid)
            stream.abandon()
    ctx.settle()
    stray = [v for v in ctx.violations()[mark:] if v.kind == "unknown_sid"]
    details = {"first_sid": HIGH_SID, **noted(excluded)}
    if stray:
        return failed("answers arrived on sids nobody asked: " + ", ".join(
            f"sid {v.sid} ({status_text(int(v.status))})" for v in stray[:4])
            + f"; asked sids {asked[0]}..{asked[-1]} (kept in fewer than 64 bits?)", **details)
    return passed(f"{len(asked)} calls on sids {asked[0]}..{asked[-1]}; no answer went elsewhere", **details)


# ---------------------------------------------------------------- bad input

def _each_answered(ctx: Context, what: str, calls: list[tuple[str, Entry, dict[str, Any]]],
                   excluded: dict[str, str]) -> Any:
    """Every call must return, and be answered when accepted; any status is a fair answer."""
    problems, seen = [], []
    results = exchange_all(ctx, [(entry, kwargs) for _, entry, kwargs in calls])
    for (label, entry, kwargs), ex in zip(calls, results):
        if ex.timed_out:
            problems.append(f"{label}: accepted (Ok) but never answered")
        else:
            seen.append(f"{label}: {ex.describe().split(': ', 1)[-1]}")
    details: dict[str, Any] = {"answers": seen, **noted(excluded)}
    if problems:
        return failed(f"{what}: " + "; ".join(problems), **details)
    return passed(f"{what}: " + "; ".join(seen[:3]) + (f"; and {len(seen) - 3} more" if len(seen) > 3 else ""),
                  **details)


def _handle_targets(ctx: Context) -> tuple[list[Entry], dict[str, str]]:
    """Declared entries called through handle, and the unknown entry (whose routing may read req first)."""
    entries, excluded = ctx.entries("unary", "stream")
    return entries + [unknown_entry("unary")], excluded


@check("input.null_request", MUST, "`handle` with a NULL `req` is answered (Invalid, Err or a correct answer), "
       "never a crash.", cite=GUIDE_STATUS, group="input")
def null_request(ctx: Context) -> Any:
    if not ctx.slot("handle"):
        return skipped("the plugin has no handle slot (handle_raw only)")
    targets, excluded = _handle_targets(ctx)
    calls = [(e.name, e, {"request": None}) for e in targets]
    return _each_answered(ctx, "NULL req", calls, excluded)


@check("input.null_payload", MUST, "A NULL payload pointer with length 0 is taken as empty or answered "
       "Invalid/Err, never a crash.", cite=GUIDE_STATUS, group="input")
def null_payload(ctx: Context) -> Any:
    entries, excluded = ctx.entries("unary", "raw", "stream", "stream_raw", "bidi")
    targets = [e for e in entries if not slot_problem(ctx, e)] + [_route_target(ctx)]
    calls = [(e.name, e, {"payload": None}) for e in targets]
    return _each_answered(ctx, "NULL payload", calls, excluded)


_BAD_UTF8 = (
    ("method", {"method": b"G\xffT"}),
    ("path", {"path": b"/\xc3\x28"}),
    ("query", {"query": b"a=\xed\xa0\x80"}),
    ("header name", {"headers": ((b"x-\xff", "1"),)}),
    ("header value", {"headers": (("x-test", b"\xfe\xff"),)}),
)


def _with(entry: Entry, **change: Any) -> Any:
    """The entry's request (as the reference host takes it) with some fields replaced."""
    return replace(host_request(entry.request), **change)


@check("input.bad_utf8", MUST, "Invalid UTF-8 in request method, path, query and headers is answered, "
       "never a crash.", cite=GUIDE_STATUS, group="input")
def bad_utf8(ctx: Context) -> Any:
    if not ctx.slot("handle"):
        return skipped("the plugin has no handle slot (handle_raw only)")
    targets, excluded = _handle_targets(ctx)
    calls = [(f"{e.name} (bad {field})", e, {"request": _with(e, **change)}) for e in targets for field, change in _BAD_UTF8]
    return _each_answered(ctx, "invalid UTF-8", calls, excluded)


@check("input.many_headers", MUST, "A request with 10,000 headers is answered, never a crash.", cite=GUIDE_STATUS, group="input")
def many_headers(ctx: Context) -> Any:
    if not ctx.slot("handle"):
        return skipped("the plugin has no handle slot (handle_raw only)")
    targets, excluded = _handle_targets(ctx)
    headers = tuple((f"x-h{i}", str(i)) for i in range(10_000))
    calls = [(e.name, e, {"request": _with(e, headers=headers)}) for e in targets]
    return _each_answered(ctx, "10,000 headers", calls, excluded)
