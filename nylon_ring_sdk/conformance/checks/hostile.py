"""What the hostile-but-legal host shows, and what the host records anyway.

Conformance loads every plugin into the hostile host (``Host.load(hostile=True)``,
native/nrh_hostile.c): each input is a fresh, exactly-sized buffer with no NUL and a
guard page after it, read-only during the call and poisoned with ``NRPOISON...`` once it
returns. A read past a view's end or a write into const input dies inside the call, and
the runner's verdict names the call from the step and the helper's own SIGSEGV line.
The checks here judge what survives the call: answers built from a view after the call
returned (they carry the pattern), inputs written after it (the pattern changed), ABI 2
leases written after commit, and three records the host kept all along but no check
read: statuses outside the enum (sent or returned), frames for sids the host never
issued, and per-sid state used after the sid's terminal frame.

They share one probe per process (each usable declared entry with its sample payload,
each unary entry with an empty payload, the unknown entry), run in the `input` group,
and judge every violation the process recorded, so the input checks' calls count too.
"""

from __future__ import annotations

from typing import Any

from ..rules import GUIDE_TYPES, V1_LAYOUT, V1_RULES, MUST, check, failed, passed
from ..context import Context, Exchange, exchange, status_text, unknown_entry
from .abi2 import _judge_sample as judge_sample
from .common import noted

#: The pattern a returned input is filled with (native/nrh_hostile.c, NRH_POISON).
POISON = b"NRPOISON"
#: Shortest view whose poisoned bytes are told apart from an answer that merely resembles them.
MIN_POISON_VIEW = 2
_FACTS2 = "abi-v2-facts.md"
_MODES = ("unary", "raw", "stream", "stream_raw", "bidi")


def both(check_id: str, rule: str, cite1: str, section2: str | None, *, group: str = "input") -> Any:
    """Register one check function in both catalogues (ABI 2, citing its facts-page section,
    unless `section2` is None: a rule of ABI 1 only)."""

    def register(fn: Any) -> Any:
        check(check_id, MUST, rule, group=group, cite=cite1)(fn)
        if section2 is not None:
            check(check_id, MUST, rule, group=group, cite=f"{_FACTS2}: {section2}", abi=2)(fn)
        return fn

    return register


def poisoned_view(length: int) -> bytes:
    """What an input of `length` bytes reads as once the host has poisoned it."""
    return (POISON * (length // len(POISON) + 1))[:length]


# ---------------------------------------------------------------- the shared probe

def probe(ctx: Context) -> dict[str, Any]:
    """Each usable entry once with its sample payload, unary ones once more with an empty
    payload, and the unknown entry; then a watch window and a sweep of the poisoned buffers.
    Cached per process: every check of this module judges the same calls."""
    if "hostile_probe" in ctx.cache:
        return ctx.cache["hostile_probe"]
    entries, excluded = ctx.entries(*_MODES)
    calls: list[tuple[Any, dict[str, Any]]] = [(e, {}) for e in entries]
    calls += [(e, {"payload": b""}) for e in entries if e.is_unary and e.payload]
    if ctx.slot("handle_raw") or ctx.host.abi == 2:
        calls.append((unknown_entry("raw"), {}))
    if ctx.host.abi == 1 and ctx.slot("handle"):
        calls.append((unknown_entry("unary"), {}))
    exchanges = [(entry, kwargs.get("payload", entry.payload), exchange(ctx, entry, **kwargs))
                 for entry, kwargs in calls]
    ctx.settle()
    ctx.step("checking the poisoned input buffers")
    ctx.host.sweep()
    by_sid = {ex.sid: ex.call for _, _, ex in exchanges if ex.sid is not None}
    result = {"exchanges": exchanges, "violations": ctx.violations(), "calls": by_sid, "excluded": excluded}
    ctx.cache["hostile_probe"] = result
    return result


def _judge(ctx: Context, kinds: tuple[str, ...], what: str, describe: Any, clean: str) -> Any:
    """Fail with the first few violations of `kinds` the process recorded (named by call)."""
    sample = probe(ctx)
    seen = sorted((v for v in sample["violations"] if v.kind in kinds), key=lambda v: v.sid not in sample["calls"])
    details = {"violations": len(seen), "calls": len(sample["exchanges"]), **noted(sample["excluded"])}
    if seen:
        named = [f"{sample['calls'].get(v.sid, 'an earlier call')}: {describe(v)}" for v in seen[:3]]
        more = f"; and {len(seen) - 3} more" if len(seen) > 3 else ""
        return failed(f"{what}: " + "; ".join(named) + more, **details)
    return passed(f"{len(sample['exchanges'])} calls: {clean}", **details)


# ---------------------------------------------------------------- statuses, sids, state

def _enum_text(ctx: Context) -> str:
    return "Ok..Backpressure (0..6)" if ctx.host.abi == 2 else "Ok..StreamEnd (0..4)"


@both("abi.status_sent", "Every status sent (send_result, commit_result_buffer) is a value of NrStatus.",
      V1_LAYOUT, "Status values")
def status_sent(ctx: Context) -> Any:
    return _judge(ctx, ("invalid_status", "status_out_of_range"), f"statuses outside {_enum_text(ctx)} sent",
                  lambda v: f"sent {status_text(int(v.status))} ({v.size} bytes) on sid {v.sid}",
                  "every status sent is in the enum")


@both("abi.status_returned", "`handle` (and `handle_raw`, `handle_by_id`) returns a value of NrStatus.",
      V1_LAYOUT, "Status values")
def status_returned(ctx: Context) -> Any:
    return _judge(ctx, ("handle_status",), f"statuses outside {_enum_text(ctx)} returned",
                  lambda v: f"handle returned {status_text(int(v.status))} for sid {v.sid}",
                  "every status returned is in the enum")


@both("routing.issued_sids", "Every frame is for a sid the host issued (never a made-up one such as 0).",
      V1_RULES, "Behaviour")
def issued_sids(ctx: Context) -> Any:
    return _judge(ctx, ("unknown_sid",), "frames on sids the host never issued",
                  lambda v: f"{status_text(int(v.status))} ({v.size} bytes) sent on sid {v.sid}",
                  "every frame was for an issued sid")


@both("lifecycle.state_after_end", "Per-sid state (set_state/get_state) is used only while the sid runs, "
      "never after its terminal frame (ABI 1's state extension).", V1_RULES, None)
def state_after_end(ctx: Context) -> Any:
    return _judge(ctx, ("state_no_sid",), "per-sid state used after the sid ended",
                  lambda v: f"set_state/get_state on sid {v.sid} after its terminal frame (key of {v.size} bytes)",
                  "per-sid state used only while its sid ran")


# ---------------------------------------------------------------- borrowed views

def _stale(entry: Any, payload: bytes | None, ex: Exchange) -> str | None:
    """The frame of `ex` built from a poisoned view: the payload's or the entry name's."""
    views = [("payload", len(payload or b"")), ("entry name", len(entry.name.encode()))]
    for frame in ex.frames:
        for what, length in views:
            if length >= MIN_POISON_VIEW and poisoned_view(length) in frame.data:
                return (f"answered {frame.data[:40]!r} for its {length}-byte {what}: the bytes of the {what} read "
                        f"after handle returned (the host had poisoned them with {POISON!r}...)")
    return None


@both("memory.view_after_return", "Nothing is read through a borrowed view (entry, payload, request) after the "
      "call returned: an answer built later is copied from the view inside the call.", GUIDE_TYPES,
      "Ownership and lifetime")
def view_after_return(ctx: Context) -> Any:
    sample = probe(ctx)
    stale = [(ex.call, why) for entry, payload, ex in sample["exchanges"]
             if (why := _stale(entry, payload, ex)) is not None]
    details = {"calls": len(sample["exchanges"]), **noted(sample["excluded"])}
    if stale:
        return failed("; ".join(f"{call}: {why}" for call, why in stale[:3]), **details)
    return passed(f"{len(sample['exchanges'])} calls: no answer carried a poisoned view", **details)


@both("memory.input_unchanged", "The plugin never writes into the host's input buffers (they are const, also "
      "after the call returned).", GUIDE_TYPES, "Ownership and lifetime")
def input_unchanged(ctx: Context) -> Any:
    return _judge(ctx, ("input_written",), "input buffers written after their call returned", lambda v: v.describe(),
                  "no input buffer was written")


# ---------------------------------------------------------------- ABI 2 leases

@check("lease.unchanged_after_commit", MUST, "A committed lease is the host's: the plugin does not write into it "
       f"after `commit_result_buffer` ({_FACTS2}: Ownership and lifetime).", group="unary",
       cite=f"{_FACTS2}: Ownership and lifetime", abi=2)
def lease_unchanged(ctx: Context) -> Any:
    return judge_sample(ctx, ("lease_changed",), "lease", "a lease")
