"""The ABI 2 catalogue: the checks a plugin exporting `nylon_ring_get_plugin` gets.

Where ABI 2 keeps an ABI 1 rule (one answer per unary sid, one terminal frame, silence
after shutdown...), the ABI 1 check function is registered again under the same id:
the reference host speaks both generations, so the same code judges both. What ABI 2
changed gets its own checks: the negotiation (abi_version exactly 2, struct_size at
least 56), the dispatch pair, integer dispatch, owned answers, leases, Backpressure,
and Panic as the status of a contained panic. Every rule new in ABI 2 cites the facts
page (abi-v2-facts.md) section it comes from.
"""

from __future__ import annotations

import ctypes
import time
from typing import Any

from ..rules import MUST, SHOULD, Verdict, failed, passed, skipped, warned
from ..rules import check as _register
from ..context import UNKNOWN_ENTRY, Context, Exchange, exchange, status_text, unknown_entry
from ..manifest import Entry
from . import calls, load, streams
from .common import answer_status, no_entries, noted, usable
from ...errors import CallTimeout, PluginNotFound, PluginOpenFailed
from ...host import nylon_ring_abi2
from ...host.host import DEFAULT_STREAM_QUEUE
from ...layout import compute_layout
from ...schema import load_default

#: The facts page every new rule cites.
FACTS = "abi-v2-facts.md"
ENTRY_SYMBOL = "nylon_ring_get_plugin"
# The section of the facts page each area's rules come from, cited by every MUST check.
_SECTIONS = {"load": "Negotiation", "abi": "Negotiation", "owned": "Ownership and lifetime",
             "lease": "Ownership and lifetime", "panic": "Behaviour; Status values", "stream": "Behaviour; Status values"}


def check(check_id: str, level: str, rule: str, **options: Any):
    """Register an ABI 2 check, citing the facts-page section its rule comes from."""
    options.setdefault("cite", f"{FACTS}: {_SECTIONS.get(check_id.split('.')[0], 'Behaviour')}")
    return _register(check_id, level, rule, **options)
LAYOUT_PROBE_SYMBOL = "nylon_ring_layout_probe_v2"
MIN_INFO_SIZE = 56
#: Calls per declared unary entry when sampling owned and leased answers.
SAMPLES = 4
#: The stream queue `stream.backpressure` runs with, and how long it leaves it unread.
TINY_QUEUE = 1
UNREAD_SECONDS = 0.3
#: Violation kinds of the lease rules and of the owned-buffer rules.
LEASE_KINDS = ("lease_over_cap", "lease_bad_token", "lease_double_commit", "lease_after_answer", "lease_missing")
OWNED_KINDS = ("owned_changed",)


def _abi2() -> Any:
    return nylon_ring_abi2


def _again(check_id: str, fn: Any, rule: str, *, group: str, level: str = MUST, gate: bool = False,
           requires: tuple[str, ...] = ()) -> None:
    """Register an ABI 1 check function in the ABI 2 catalogue (same id, same judgement)."""
    check(check_id, level, rule, group=group, gate=gate, requires=requires, abi=2)(fn)


# ---------------------------------------------------------------- load and negotiation

@check("load.symbol", MUST, f"The library exports `{ENTRY_SYMBOL}` ({FACTS}: Negotiation).", group="load",
       gate=True, abi=2)
def symbol(ctx: Context) -> Any:
    ctx.step("dlopen")
    try:
        lib = load._library(ctx)
    except (PluginNotFound, PluginOpenFailed) as exc:
        ctx.emit({"e": "load_error", "message": str(exc)})
        return failed(str(exc))
    if hasattr(lib.lib, ENTRY_SYMBOL):
        return passed(f"`{ENTRY_SYMBOL}` found")
    hint = " (it exports `nylon_ring_get_plugin_v1`: an ABI 1 plugin)" if hasattr(lib.lib, ENTRY_SYMBOL + "_v1") else ""
    return failed(f"`{ENTRY_SYMBOL}` is not exported{hint}")


@check("load.info", MUST, f"`{ENTRY_SYMBOL}()` returns a non-NULL NrPluginInfo.", group="load", gate=True,
       requires=("load.symbol",), abi=2)
def info(ctx: Context) -> Any:
    lib = load._library(ctx)
    fn = getattr(lib.lib, ENTRY_SYMBOL)
    fn.restype, fn.argtypes = ctypes.c_void_p, []
    ctx.step(f"{ENTRY_SYMBOL}()")
    lib.info_address = fn() or 0
    if not lib.info_address:
        return failed(f"{ENTRY_SYMBOL}() returned NULL")
    return passed(f"NrPluginInfo at {lib.info_address:#x}")


@check("abi.version", MUST, f"NrPluginInfo.abi_version is exactly 2; no other value loads ({FACTS}: Negotiation).",
       group="load", gate=True, requires=("load.info",), abi=2)
def abi_version(ctx: Context) -> Any:
    version = load._header(ctx)[0]
    if version != 2:
        hint = " (an ABI 1 plugin exporting ABI 2's symbol name?)" if version == 1 else ""
        return failed(f"abi_version is {version}; ABI 2 requires exactly 2{hint}", abi_version=version)
    return passed("abi_version 2", abi_version=version)


@check("abi.struct_size", MUST, f"NrPluginInfo.struct_size is at least {MIN_INFO_SIZE}; a larger one (appended "
       f"fields) is accepted ({FACTS}: Negotiation).", group="load", gate=True, requires=("load.info",), abi=2)
def struct_size(ctx: Context) -> Any:
    size = load._header(ctx)[1]
    if size < MIN_INFO_SIZE:
        return failed(f"struct_size is {size}; ABI 2 requires at least {MIN_INFO_SIZE}", struct_size=size)
    more = f" ({size - MIN_INFO_SIZE} bytes of appended fields, accepted)" if size > MIN_INFO_SIZE else ""
    return passed(f"struct_size {size}{more}", struct_size=size)


_again("abi.strings", load.strings, "NrPluginInfo.name and .version are UTF-8 (pointer set when the length is not 0).",
       group="load", gate=True, requires=("abi.version", "abi.struct_size"))
_again("abi.manifest_name", load.manifest_name, "The plugin's name is the one its manifest declares.", group="load",
       requires=("abi.strings",))


@check("abi.vtable", MUST, "NrPluginInfo.vtable is not NULL.", group="load", gate=True,
       requires=("abi.version", "abi.struct_size"), abi=2)
def vtable(ctx: Context) -> Any:
    abi2 = _abi2()
    lib = load._library(ctx)
    info_struct = abi2.NrPluginInfo.from_address(lib.info_address)
    lib.vtable = ctypes.cast(info_struct.vtable, ctypes.c_void_p).value or 0
    if not lib.vtable:
        return failed("vtable is NULL")
    names = [name for name, _ in abi2.NrPluginVTable._fields_]
    raw = (ctypes.c_void_p * len(names)).from_address(lib.vtable)
    lib.slots = {name: raw[i] or 0 for i, name in enumerate(names)}
    return passed(f"vtable at {lib.vtable:#x}", slots={k: f"{v:#x}" if v else None for k, v in lib.slots.items()})


@check("abi.required_slots", MUST, "The vtable sets `init` and `handle` (the released host refuses a plugin "
       f"without them; {FACTS}: Signatures).", group="load", gate=True, requires=("abi.vtable",), abi=2)
def required_slots(ctx: Context) -> Any:
    slots = load._library(ctx).slots or {}
    missing = [name for name in ("init", "handle") if not slots.get(name)]
    if missing:
        return failed(f"NULL required slot(s): {', '.join(missing)}")
    empty = [name for name, address in slots.items() if not address]
    return passed("init and handle set" + (f"; NULL (not supported): {', '.join(empty)}" if empty else ""))


@check("abi.dispatch_pair", MUST, f"`resolve_entry` and `handle_by_id` are both NULL or both set ({FACTS}: "
       "Signatures).", group="load", gate=True, requires=("abi.vtable",), abi=2)
def dispatch_pair(ctx: Context) -> Any:
    slots = load._library(ctx).slots or {}
    resolve, by_id = bool(slots.get("resolve_entry")), bool(slots.get("handle_by_id"))
    if resolve != by_id:
        given, missing = ("resolve_entry", "handle_by_id") if resolve else ("handle_by_id", "resolve_entry")
        return failed(f"`{given}` is set but `{missing}` is NULL (both or neither)")
    return passed("integer dispatch: both slots set" if resolve else "no integer dispatch: both slots NULL")


_again("abi.slot_targets", load.slot_targets, "Every non-NULL vtable slot points into executable code of the "
       "plugin itself.", group="load", gate=True, requires=("abi.vtable",))


@check("abi.layout_probe", MUST, f"When `{LAYOUT_PROBE_SYMBOL}` is exported, its table equals the ABI 2 schema's "
       "layout for this target.", group="load", gate=True, requires=("load.info",), abi=2)
def layout_probe(ctx: Context) -> Any:
    abi2 = _abi2()
    lib = load._library(ctx)
    if not hasattr(lib.lib, LAYOUT_PROBE_SYMBOL):
        return skipped(f"the plugin does not export `{LAYOUT_PROBE_SYMBOL}` (optional)")
    fn = getattr(lib.lib, LAYOUT_PROBE_SYMBOL)
    fn.restype, fn.argtypes = ctypes.c_void_p, []
    ctx.step(f"{LAYOUT_PROBE_SYMBOL}()")
    address = fn()
    if not address:
        return failed(f"{LAYOUT_PROBE_SYMBOL}() returned NULL")
    probe = abi2.NrLayoutProbe.from_address(address)
    table = compute_layout(load_default(2), abi2.current_data_model())
    expected, labels = table.probe_values(), table.probe_labels()
    if probe.count != len(expected) or not probe.values:
        return failed(f"the table has {probe.count} values (expected {len(expected)} for the ABI 2 schema)")
    values = list((ctypes.c_uint32 * probe.count).from_address(probe.values))
    wrong = [f"{label} is {got} (schema: {want})" for label, got, want in zip(labels, values, expected) if got != want]
    if wrong:
        return failed("layout differs from the ABI 2 schema: " + "; ".join(wrong[:6]), differences=wrong)
    return passed(f"{len(values)} layout values match the ABI 2 schema")


_again("lifecycle.init", load.init, "`init` returns Ok (the reference host loads the plugin).", group="load",
       gate=True, requires=("abi.required_slots", "abi.dispatch_pair", "abi.slot_targets", "abi.strings",
                            "abi.layout_probe"))
_again("lifecycle.shutdown_idle", load.shutdown_idle, "`shutdown` right after `init` (no call) returns and sends "
       "nothing.", group="load", requires=("lifecycle.init",))

# ---------------------------------------------------------------- gates (shared rules)

_again("unary.prompt_return", calls.prompt_return, "`handle` returns promptly for every declared unary entry "
       "(times in the report).", group="gates")
_again("stream.terminal", streams.stream_terminal, "A stream sends Ok frames, then exactly one terminal frame, "
       "then nothing.", group="gates")
_again("bidi.terminal", streams.bidi_terminal, "A bidirectional stream closed with `stream_close` still ends with "
       "exactly one terminal frame, then nothing.", group="gates")

# ---------------------------------------------------------------- routing and dispatch


@check("routing.unknown_entry", MUST, f"An unknown entry is answered Invalid or Unsupported ({FACTS}: Behaviour: "
       "upstream's own plugins answer Invalid).", group="routing", abi=2)
def routing_unknown(ctx: Context) -> Any:
    ex = exchange(ctx, unknown_entry("unary"))
    status = answer_status(ex)
    if status is not None and status_text(status) in ("Invalid", "Unsupported"):
        return passed(ex.describe())
    return failed(f"{ex.describe()} (expected Invalid or Unsupported)")


_again("routing.empty_entry", calls.routing_empty, "An empty entry name is handled without crashing.", group="routing")
_again("routing.non_utf8_entry", calls.routing_non_utf8, "An entry name that is not UTF-8 is handled without "
       "crashing.", group="routing")
_again("routing.long_entry", calls.routing_long, "A 64 KiB entry name is handled without crashing.", group="routing")
_again("unary.reject_silent", calls.reject_silent, "Nothing is sent for a sid whose `handle` returned non-Ok.",
       group="routing")
_again("bidi.unknown_sid", calls.bidi_unknown_sid, "`stream_data` and `stream_close` on a sid that was never "
       "opened return Invalid.", group="routing")


def _dispatch(ctx: Context) -> None:
    """End the check with a skip when the plugin has no integer dispatch."""
    if not ctx.slot("resolve_entry"):
        raise Verdict(skipped("the plugin has no integer dispatch (resolve_entry and handle_by_id are NULL)"))


def _resolve(ctx: Context, name: Any) -> int:
    ctx.step(f"resolve_entry({name!r})" if len(name) < 80 else f"resolve_entry({len(name)}-byte name)")
    return ctx.host.resolve(name)


@check("dispatch.resolve_unknown", MUST, f"`resolve_entry` returns NR_ENTRY_UNKNOWN (UINT32_MAX) for names the "
       f"plugin does not export ({FACTS}: Signatures).", group="routing", abi=2)
def resolve_unknown(ctx: Context) -> Any:
    _dispatch(ctx)
    unknown = _abi2().NR_ENTRY_UNKNOWN
    names = (UNKNOWN_ENTRY, "", b"\xff\xfe\xc3(", "e" * 65536)
    got = {_label(n): _resolve(ctx, n) for n in names}
    wrong = [f"{label} -> {value}" for label, value in got.items() if value != unknown]
    if wrong:
        return failed("resolve_entry gave an id for a name the plugin does not export: " + "; ".join(wrong)
                      + f" (expected NR_ENTRY_UNKNOWN = {unknown})", ids=got)
    return passed(f"{len(names)} unknown names -> NR_ENTRY_UNKNOWN", ids=got)


def _label(name: Any) -> str:
    text = repr(name)
    return text if len(text) < 40 else f"{len(name)}-byte name"


@check("dispatch.resolve_stable", MUST, f"`resolve_entry` gives every declared entry an id (not NR_ENTRY_UNKNOWN), "
       f"the same one every time, and a different one per entry ({FACTS}: Behaviour).", group="routing", abi=2)
def resolve_stable(ctx: Context) -> Any:
    _dispatch(ctx)
    entries = ctx.manifest.entries
    if not entries:
        return no_entries(ctx, "entry", {})
    unknown = _abi2().NR_ENTRY_UNKNOWN
    first = {e.name: _resolve(ctx, e.name) for e in entries}
    again = {e.name: _resolve(ctx, e.name) for e in reversed(entries)}
    problems = [f"{n}: NR_ENTRY_UNKNOWN" for n, i in first.items() if i == unknown]
    problems += [f"{n}: {first[n]} then {again[n]}" for n in first if first[n] != again[n]]
    shared = {i for i in first.values() if list(first.values()).count(i) > 1}
    problems += [f"id {i} is shared by {', '.join(n for n, j in first.items() if j == i)}" for i in sorted(shared)]
    if problems:
        return failed("; ".join(problems), ids=first)
    return passed(", ".join(f"{n} -> {i}" for n, i in first.items()), ids=first)


# ---------------------------------------------------------------- unary (shared rules)

_again("unary.answers", calls.answers, "Every declared unary entry answers the declared status and payload.",
       group="unary")
_again("unary.exactly_once", calls.exactly_once, "Every accepted unary call gets exactly one result.", group="unary")
_again("unary.payload_empty", calls.payload_empty, "An empty payload (non-NULL pointer, length 0) is answered or "
       "rejected.", group="unary")
_again("unary.payload_1byte", calls.payload_one, "A 1-byte payload is answered or rejected.", group="unary")
_again("unary.payload_odd", calls.payload_odd, "An odd-sized payload (65,537 bytes) is answered or rejected.",
       group="unary")
_again("unary.payload_16mib", calls.payload_large, "A 16 MiB payload is answered or rejected, without crashing.",
       group="unary")
_again("unary.right_sid", calls.right_sid, "Results arrive on the sid that was asked, also for sids above 2^32.",
       group="sids")
_again("input.null_payload", calls.null_payload, "A NULL payload pointer with length 0 is taken as empty or "
       "answered Invalid/Err, never a crash.", group="input")

# ---------------------------------------------------------------- owned answers and leases


def _sample(ctx: Context) -> dict[str, Any]:
    """Every declared unary entry called a few times (once per process): the violations and
    answer paths seen, for the owned and lease checks to judge."""
    if "abi2_sample" in ctx.cache:
        return ctx.cache["abi2_sample"]
    entries, excluded = usable(ctx, "unary entry", "unary", "raw")
    mark = len(ctx.violations())
    paths: dict[str, set[str]] = {}
    sids: dict[int, str] = {}
    for entry in entries:
        for _ in range(SAMPLES):
            ex = exchange(ctx, entry)
            if ex.sid is not None:
                sids[ex.sid] = entry.name
            for frame in ex.frames:
                paths.setdefault(entry.name, set()).add(frame.path)
    ctx.settle()
    ctx.host.sweep()  # the hostile host releases owned answers late: check them now
    sample = {"violations": ctx.violations()[mark:], "paths": paths, "sids": sids, "excluded": excluded}
    ctx.cache["abi2_sample"] = sample
    return sample


def _judge_sample(ctx: Context, kinds: tuple[str, ...], path: str, what: str) -> Any:
    sample = _sample(ctx)
    seen = [v for v in sample["violations"] if v.kind in kinds]
    details = {"paths": {k: sorted(v) for k, v in sample["paths"].items()}, **noted(sample["excluded"])}
    if seen:
        calls: dict[tuple[str, str], list[Any]] = {}
        for v in seen:
            calls.setdefault((sample["sids"].get(v.sid, "an unknown entry"), v.kind), []).append(v)
        return failed("; ".join(f"{entry}: {kind} in {len(vs)} of {SAMPLES} calls (first: {vs[0].describe()})"
                                for (entry, kind), vs in calls.items()), **details)
    users = sorted(name for name, used in sample["paths"].items() if path in used)
    if not users:
        return passed(f"no declared unary entry answered through {what} ({SAMPLES} calls each)", **details)
    return passed(f"{', '.join(users)} answered through {what}, {SAMPLES} calls each, no misuse", **details)


@check("owned.unchanged", MUST, "Bytes given to `send_result_owned` stay valid and unchanged until the host calls "
       f"`release` ({FACTS}: Ownership and lifetime).", group="unary", abi=2)
def owned_unchanged(ctx: Context) -> Any:
    return _judge_sample(ctx, OWNED_KINDS, "owned", "send_result_owned")


@check("lease.commit", MUST, "A lease is committed once, with its own token and `initialized_len <= cap`, and not "
       f"after the sid was answered another way ({FACTS}: Ownership and lifetime).", group="unary", abi=2)
def lease_commit(ctx: Context) -> Any:
    return _judge_sample(ctx, LEASE_KINDS, "lease", "a lease")


_again("concurrency.threads", streams.threads, f"{streams.THREADS} threads x {streams.CALLS_PER_THREAD} calls at "
       "once: every call gets its own answer.", group="concurrency")

# ---------------------------------------------------------------- streams, bidi, panic

_again("stream.frames", streams.stream_frames, "Every declared stream sends the declared frames and terminal "
       "status.", group="streams")
_again("stream.empty", streams.stream_empty, "A stream asked with an empty payload is rejected or ends with one "
       "terminal frame.", group="streams", level=SHOULD)


@check("stream.backpressure", MUST, "Backpressure (6) from `send_result` is not terminal: with a 1-frame stream "
       f"queue the producer retries (or goes on) and still ends the stream ({FACTS}: Status values).",
       group="streams", abi=2)
def backpressure(ctx: Context) -> Any:
    entries, excluded = usable(ctx, "stream entry", "stream", "stream_raw")
    host = ctx.host
    refused_before = host.stats().get("backpressured", 0)
    host.set_stream_queue(TINY_QUEUE)
    try:
        results = [(entry, _unread_then_drain(ctx, entry)) for entry in entries]
    finally:
        host.set_stream_queue(DEFAULT_STREAM_QUEUE)
    refused = host.stats().get("backpressured", 0) - refused_before
    details = {"backpressure_answers": refused, "queue": TINY_QUEUE, **noted(excluded)}
    stopped = [f"{e.name}: {ex.describe().split(': ', 1)[-1]}" for e, ex in results if ex.terminal is None and not ex.rejected]
    if stopped:
        return failed("stopped after Backpressure: " + "; ".join(stopped) + f" ({refused} frame(s) answered "
                      "Backpressure)", **details)
    lost = [f"{e.name}: {len([f for f in ex.frames if not f.terminal])} of {len(e.expect_frames)} frames"
            for e, ex in results if e.expect_frames is not None and
            [f.data for f in ex.frames if not f.terminal] != list(e.expect_frames)]
    if lost:
        return warned("ended the stream but dropped frames refused with Backpressure instead of retrying: "
                      + "; ".join(lost), **details)
    return passed(f"{', '.join(e.name for e, _ in results)}: every frame arrived and the stream ended "
                  f"({refused} frame(s) answered Backpressure and were retried)", **details)


def _unread_then_drain(ctx: Context, entry: Entry) -> Exchange:
    """Open a stream, leave it unread while the tiny queue fills, then read it to its end."""
    ctx.step(f"handle({entry.name!r}) with a {TINY_QUEUE}-frame stream queue, unread for {UNREAD_SECONDS} s")
    stream = ctx.host.stream(entry.name, entry.payload, timeout=ctx.remaining())
    ex = Exchange(f"handle({entry.name!r})", stream.sid, int(stream.handle_status), stream.handle_ns)
    if stream.rejected:
        stream.abandon()
        return ex
    time.sleep(UNREAD_SECONDS)
    while True:
        try:
            frame = stream.next_frame(timeout=ctx.remaining() / 2)
        except CallTimeout:
            ex.timed_out = True
            stream.abandon()
            return ex
        if frame is None:
            return ex
        ex.frames.append(frame)
        if frame.terminal:
            return ex


_again("bidi.ping_pong", streams.ping_pong, "Every declared bidirectional entry answers each frame in order and "
       "ends with the declared terminal after close.", group="streams")
_again("bidi.closed_sid", streams.closed_sid, "`stream_data` and `stream_close` on a closed sid return Invalid.",
       group="streams")


@check("dispatch.by_id_matches", MUST, "`handle_by_id(resolve_entry(name))` answers exactly like `handle(name)` "
       f"for every declared entry ({FACTS}: Behaviour).", group="streams", abi=2)
def by_id_matches(ctx: Context) -> Any:
    _dispatch(ctx)
    entries, excluded = usable(ctx, "entry", "unary", "raw", "stream", "stream_raw", "bidi")
    problems, good = [], []
    for entry in entries:
        entry_id = _resolve(ctx, entry.name)
        if entry_id == _abi2().NR_ENTRY_UNKNOWN:
            problems.append(f"{entry.name}: resolve_entry returned NR_ENTRY_UNKNOWN")
            continue
        by_name, by_id = exchange(ctx, entry), _exchange_by_id(ctx, entry, entry_id)
        if _answer(by_name) != _answer(by_id):
            problems.append(f"{entry.name}: by name {by_name.describe().split(': ', 1)[-1]} {_frames(by_name)}, "
                            f"by id {entry_id} {by_id.describe().split(': ', 1)[-1]} {_frames(by_id)}")
        else:
            good.append(f"{entry.name} (id {entry_id})")
    if problems:
        return failed("; ".join(problems), **noted(excluded))
    return passed(f"{', '.join(good)}: the same answers by id", **noted(excluded))


def _answer(ex: Exchange) -> tuple:
    return ex.rejected, ex.handle_status if ex.rejected else 0, ex.timed_out, [(int(f.status), f.data) for f in ex.frames]


def _frames(ex: Exchange) -> str:
    return repr([f.data[:20] for f in ex.frames][:6])


def _exchange_by_id(ctx: Context, entry: Entry, entry_id: int) -> Exchange:
    """The conversation `exchange` has with `entry`, opened with handle_by_id."""
    host = ctx.host
    text = f"handle_by_id({entry_id}, {len(entry.payload)} bytes)"
    ctx.step(text)
    if entry.is_unary:
        try:
            r = host.call_by_id(entry_id, entry.payload, timeout=ctx.remaining())
        except CallTimeout:
            return Exchange(text, timed_out=True)
        return Exchange(text, r.sid, int(r.handle_status), r.handle_ns, list(r.frames))
    opener = host.bidi_by_id if entry.mode == "bidi" else host.stream_by_id
    stream = opener(entry_id, entry.payload, timeout=ctx.remaining())
    ex = Exchange(text, stream.sid, int(stream.handle_status), stream.handle_ns)
    if stream.rejected:
        stream.abandon()
        return ex
    try:
        for data in entry.send if entry.mode == "bidi" else ():
            stream.send(data)
            ex.frames.append(stream.next_frame(timeout=ctx.remaining()))
        if entry.mode == "bidi":
            stream.close()
        for frame in stream:
            ex.frames.append(frame)
    except CallTimeout:
        ex.timed_out = True
        stream.abandon()
    return ex


@check("panic.probe", MUST, "Every declared panic probe answers Panic (5), the status of a contained panic, and the "
       f"process lives; Err passes with a warning ({FACTS}: Behaviour).", group="streams", abi=2)
def panic_probe(ctx: Context) -> Any:
    probes = ctx.manifest.panic_probes
    if not probes:
        return no_entries(ctx, "panic probe", {})
    problems, errs, good = [], [], []
    for probe in probes:
        ex = exchange(ctx, probe)
        status = answer_status(ex)
        name = status_text(status) if status is not None else None
        if name == "Panic":
            good.append(ex.describe())
        elif name == "Err":
            errs.append(ex.describe())
        else:
            problems.append(f"{ex.describe()} (expected Panic)" if name else f"{probe.name}: no answer within the wait")
    if problems:
        return failed("; ".join(problems))
    if errs:
        return warned("; ".join(errs) + " (ABI 2 reports a contained panic as Panic = 5; Err is accepted)")
    return passed("; ".join(good))


# Shuts the plugin down: defined last, so it runs last in its group.
_again("lifecycle.quiet_after_shutdown", streams.quiet_after_shutdown, "Nothing is sent after `shutdown` returns, "
       "even with calls in flight.", group="streams")
