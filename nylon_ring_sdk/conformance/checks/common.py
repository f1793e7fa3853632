"""Helpers the check modules share: how to read an exchange, when to skip, stray sids."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..rules import MUST, Verdict, failed, passed, skipped
from ..context import Context, Exchange, status_text
from ..manifest import Entry

#: Violation kinds that mean "one more result for a sid that already had its answer"
#: (ABI 2's host spells the first one frame_after_terminal).
EXTRA_ANSWER = ("after_terminal", "frame_after_terminal", "finished_sid")
#: Violation kinds that are records about a sid, not frames sent for it (a status handle
#: returned, an input or lease the plugin wrote into).
NOT_FRAMES = ("handle_status", "input_written", "lease_changed")
#: A callback after shutdown returned, as each generation's host spells it.
AFTER_SHUTDOWN = ("after_shutdown", "send_after_shutdown")


def no_entries(ctx: Context, what: str, excluded: dict[str, str]) -> Any:
    """The skip verdict of a check with nothing to call: no manifest, none declared, or all failed a gate."""
    if not ctx.manifest.present:
        return skipped(f"no manifest: no {what} is known to call (export nylon_ring_manifest, add nylon-ring.toml, "
                       "or pass --entry)")
    if excluded:
        return skipped(f"every declared {what} failed a gate: " + ", ".join(f"{k} ({v})" for k, v in excluded.items()),
                       excluded=excluded)
    return skipped(f"the manifest declares no {what}")


def usable(ctx: Context, what: str, *modes: str) -> tuple[list[Entry], dict[str, str]]:
    """Declared entries of these modes that passed their gate; ends the check with a skip when none did."""
    entries, excluded = ctx.entries(*modes)
    if not entries:
        raise Verdict(no_entries(ctx, what, excluded))
    return entries, excluded


def declared(ctx: Context, what: str, *modes: str) -> tuple[list[Entry], list[str]]:
    """Every declared entry of these modes (for the gate checks) whose vtable slot is set,
    and a problem for each one whose slot is NULL; a skip when none is declared."""
    left_out = ctx.excluded_here()
    entries = [e for e in ctx.manifest.entries_of(*modes) if e.name not in left_out]
    if not entries:
        raise Verdict(no_entries(ctx, what, left_out))
    problems = [p for p in (slot_problem(ctx, e) for e in entries) if p]
    return [e for e in entries if not slot_problem(ctx, e)], problems


def noted(excluded: dict[str, str]) -> dict[str, Any]:
    """Details naming the declared entries a check left out (they failed a gate), if any."""
    return {"excluded": excluded} if excluded else {}


def answer_status(ex: Exchange) -> int | None:
    """What the plugin said: the status handle returned when it rejected, else the terminal frame's."""
    if ex.rejected:
        return ex.handle_status
    return int(ex.terminal.status) if ex.terminal is not None else None


def slot_problem(ctx: Context, entry: Entry) -> str | None:
    """The problem when the slot an entry needs is NULL."""
    slot = "handle" if entry.uses_handle else "handle_raw"
    if entry.mode == "bidi" and (ctx.slot("handle") or ctx.slot("handle_raw")):
        return None
    return None if ctx.slot(slot) else f"{entry.name}: declared {entry.mode} but the `{slot}` slot is NULL"


def judge_stray(ctx: Context, sid: int, slots: list[str], what: str) -> Any:
    """stream_data/stream_close on `sid` should return Invalid and must send nothing.

    The ABI says "should return Invalid, not crash" (abi-v1-facts.md, protocol rules)
    and the guide's own stream_data returns Ok for any sid, so a status other than
    Invalid is a warning, unless the manifest declares unknown_sid = "invalid"; a
    frame sent for a sid nobody opened breaks the exactly-once rules, always a failure.
    """
    mark = len(ctx.violations())
    results: dict[str, str] = {}
    for slot in slots:
        ctx.step(f"{slot}(sid {sid}: {what})")
        status = ctx.host.stream_data(sid, b"x") if slot == "stream_data" else ctx.host.stream_close(sid)
        results[slot] = status_text(status)
    ctx.settle()
    sent = [v for v in ctx.violations()[mark:] if v.sid == sid and v.kind not in NOT_FRAMES]
    wrong = [f"{slot} returned {st}" for slot, st in results.items() if st != "Invalid"]
    if sent:
        return replace(failed(f"{what}: {len(sent)} frame(s) sent for it" + "".join(f"; {w}" for w in wrong),
                              returned=results), level=MUST)
    if wrong:
        declared = ctx.manifest.unknown_sid == "invalid"
        hint = ("the manifest declares unknown_sid = \"invalid\"" if declared else
                "the ABI says it should; declare unknown_sid = \"invalid\" in the manifest to hold the plugin to it")
        outcome = failed(f"{what}: " + "; ".join(wrong) + f" (expected Invalid: {hint})", returned=results)
        return replace(outcome, level=MUST) if declared else outcome
    return passed(f"{what}: " + ", ".join(f"{k} -> {v}" for k, v in results.items()), returned=results)
