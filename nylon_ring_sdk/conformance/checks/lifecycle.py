"""Lifecycle: what a host that runs a plugin for long, reloads it or unloads it relies on.

The `lifecycle` group has a child process of its own and runs, in this order:
the plugin info queried again and compared field by field; every entry timed
(`timing.handler_blocks`, whose sids the late-frame watch follows); memory over many
calls, per entry; `shutdown`, then the threads the plugin started that are still alive;
`init` again in the same process (the library still loaded, its statics as the first
instance left them); `dlclose` until the library is unmapped and a fresh load; the
late-frame watch (`timing.late_frames`, `timing.after_shutdown`); `io.stdout`, whose
verdict the runner completes from every worker (:mod:`..stdout`). `--level strict`
(`Context.strict`) makes more memory calls and watches longer.

Threads and language runtimes: a thread counts when it appeared after the process
had loaded nothing of the plugin, is not one of the suite's own Python threads, and is
still alive a grace period after `shutdown` returned. A Go runtime's threads (an `M`
is never given back) are exempt: the Go runtime cannot be stopped or unloaded, and
hosts load such a plugin pinned (the released host's `load_pinned`); the check names
them and passes, and `lifecycle.reload` is skipped. Any other thread fails the check,
as the ABI asks background work to be stopped or joined before `shutdown` returns.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..context import Context, exchange, host_request
from ..rules import MUST, SHOULD, V1_LOAD, V1_RULES, check, failed, passed, skipped, warned
from . import output, timing
from .common import slot_problem
from ...errors import HostError, InitFailed, PluginLoadError
from ...host import elf, loading

#: Calls (after WARM_UP) over which memory growth is measured (default, --level strict).
MEMORY_CALLS = 600
MEMORY_CALLS_STRICT = 20000
WARM_UP = 50
#: The share of the check's budget the memory calls leave unused (for the verdict and the rest).
_KEEP_SHARE = 0.3
#: Fewer measured calls than this say nothing about growth.
MIN_MEASURED = 32
#: Growth per call that is reported, when the total also exceeds MEMORY_FLOOR.
MALLOC_PER_CALL = 1024
RSS_PER_CALL = 4096
MEMORY_FLOOR = 1 << 20
#: Growth at which the calls stop early (the leak is plain; do not exhaust the machine).
MEMORY_STOP = 64 << 20
#: How long threads may take to end after `shutdown` returned.
THREAD_GRACE = 0.5
#: dlclose calls at most: the opens of one process (a load per lifecycle check, and spares).
_MAX_OPENS = 16
_FACTS_V2 = "abi-v2-facts.md: Behaviour"


# ---------------------------------------------------------------- what the process holds

def _tasks() -> dict[int, str]:
    """This process's threads: tid -> name (/proc/self/task/*/comm); empty where there is no /proc."""
    tasks: dict[int, str] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return tasks
    for tid in tids:
        try:
            tasks[int(tid)] = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
        except (OSError, ValueError):
            continue
    return tasks


def baseline(ctx: Context) -> None:
    """Note the threads that exist before the plugin is loaded in this process (once, before any load)."""
    if "threads_before" not in ctx.cache:
        ctx.cache["threads_before"] = None if ctx.host_loaded else set(_tasks())


def _foreign_threads(ctx: Context) -> dict[int, str]:
    """Threads alive now that were not there before the load and are not the suite's own."""
    before = ctx.cache.get("threads_before") or set()
    ours = {t.native_id for t in threading.enumerate()}
    return {tid: name for tid, name in _tasks().items() if tid not in before and tid not in ours}


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]


def _malloc_in_use() -> int | None:
    """Bytes the C allocator has handed out and not got back (glibc mallinfo2), else None."""
    try:
        fn = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype, fn.argtypes = _MallInfo2, []
    info = fn()
    return info.uordblks + info.hblkhd


def _rss() -> int | None:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@lru_cache(maxsize=None)
def language_runtime(plugin: str) -> str | None:
    """"Go" when the library carries a Go runtime (its threads outlive any shutdown), else None."""
    image = elf.read(Path(plugin))
    if image is None:
        return None
    names = {s.name for s in image.symbols}
    if "crosscall2" in names or "_cgo_topofstack" in names or image.mentions(rb"runtime\.goexit"):
        return "Go"
    return None


# ---------------------------------------------------------------- the checks

def info_stable(ctx: Context) -> Any:
    """Call the entry symbol again and compare what it describes with what the load read."""
    host = ctx.host
    ctx.cache.setdefault("library_handle", host.lib._handle)
    symbol = loading.ENTRY_SYMBOL_V2 if host.abi == 2 else loading.ENTRY_SYMBOL
    ctx.step(f"{symbol}() again")
    try:
        address = loading.entry_point(host.lib, ctx.plugin, symbol)
        read = loading.read_info_v2 if host.abi == 2 else loading.read_info
        _, again = read(ctx.plugin, address)
    except PluginLoadError as exc:
        return failed(f"the second {symbol}() gave what no host loads: {exc}")
    first, second = asdict(host.info), asdict(again)
    changed = [f"{field}: {_shown(first[field])} then {_shown(second[field])}"
               for field in first if first[field] != second[field]]
    if changed:
        return failed(f"{symbol}() describes another plugin the second time: " + "; ".join(changed), changed=changed)
    return passed(f"{symbol}() asked twice: the same {len(first)} fields ({host.info.name!r} {host.info.version!r})")


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v:#x}" if isinstance(v, int) else f"{k}={v}" for k, v in value.items()) + "}"
    return f"{value:#x}" if isinstance(value, int) and value > 4096 else repr(value)


def memory(ctx: Context) -> Any:
    """Per entry, after a warm-up: memory held by the C allocator and the resident set over many calls."""
    entries, excluded = ctx.entries("unary", "raw")
    blocking = ctx.cache.get("blocking", {})
    entries = [e for e in entries if not slot_problem(ctx, e) and e.name not in blocking]
    if not entries:
        return skipped("no unary or raw entry to call" + (f" (left out: {', '.join(excluded)})" if excluded else "")
                       + (f" (blocking handlers left out: {', '.join(blocking)})" if blocking else ""))
    planned = (MEMORY_CALLS_STRICT if ctx.strict else MEMORY_CALLS) // len(entries)
    grew, measured, silent = [], {}, []
    for done, entry in enumerate(entries):
        ctx.step(f"{WARM_UP} warm-up calls of {entry.name}, then up to {planned} more", entry.name)
        share = (ctx.remaining() - ctx.timeout * _KEEP_SHARE) / (len(entries) - done)
        made, heap, rss = _measure(ctx, entry, planned, time.monotonic() + share)
        if made < MIN_MEASURED:
            silent.append(entry.name)
            continue
        measured[entry.name] = {"calls": made, "malloc_bytes": heap, "rss_bytes": rss}
        if heap > MEMORY_FLOOR and heap / made > MALLOC_PER_CALL:
            grew.append(f"{entry.name}: the C heap grew {_mb(heap)} over {made} calls ({heap / made:,.0f} bytes a call)")
        elif rss > MEMORY_FLOOR * 4 and rss / made > RSS_PER_CALL:
            grew.append(f"{entry.name}: the resident set grew {_mb(rss)} over {made} calls ({rss / made:,.0f} bytes a call)")
    if grew:
        return warned("; ".join(grew) + " (memory kept per call: a leak)", entries=measured)
    if not measured:
        return skipped(f"no entry answered {WARM_UP + MIN_MEASURED} calls within its share of the check's budget: "
                       f"{', '.join(silent)} (too slow to measure; their answers are judged by the unary checks)")
    calls = sum(m["calls"] for m in measured.values())
    heap = sum(m["malloc_bytes"] for m in measured.values())
    rss = sum(m["rss_bytes"] for m in measured.values())
    return passed(f"{calls} calls: C heap {heap / calls:+,.0f} bytes a call, resident set {rss / calls:+,.0f} bytes a call "
                  f"(tolerance {MALLOC_PER_CALL} / {RSS_PER_CALL})", entries=measured)


def _measure(ctx: Context, entry: Any, planned: int, until: float) -> tuple[int, int, int]:
    """(calls made, C heap growth, resident set growth) over up to `planned` calls of `entry`;
    the calls end early at `until` (this entry's share of the budget) or when one is not answered."""
    request = host_request(entry.request)
    try:
        if _call_round(ctx, entry, request, WARM_UP, until) < WARM_UP:
            return 0, 0, 0
        heap0, rss0, made = _malloc_in_use(), _rss(), 0
        while made < planned and time.monotonic() < until:
            made += _call_round(ctx, entry, request, min(32, planned - made), until)
            if _grown(heap0, _malloc_in_use()) > MEMORY_STOP or _grown(rss0, _rss()) > MEMORY_STOP:
                break
    except HostError:  # a call not answered (CallTimeout): not this check's rule
        return 0, 0, 0
    return made, _grown(heap0, _malloc_in_use()), _grown(rss0, _rss())


def _call_round(ctx: Context, entry: Any, request: Any, count: int, until: float) -> int:
    """Up to `count` calls of `entry`, none started after `until`; how many were made."""
    host = ctx.host
    for made in range(count):
        if time.monotonic() >= until:
            return made
        if entry.uses_handle:
            host.call(entry.name, entry.payload, request, timeout=ctx.remaining())
        else:
            host.call_raw(entry.name, entry.payload, timeout=ctx.remaining())
    return count


def _grown(before: int | None, after: int | None) -> int:
    return 0 if before is None or after is None else after - before


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


def threads(ctx: Context) -> Any:
    """Shut the plugin down, then name the threads it started that are still alive after a grace period."""
    host = ctx.host
    if ctx.cache["threads_before"] is None:
        host.close()
        timing.watch_shutdown(ctx, host)
        return skipped("the plugin was loaded before the threads could be counted")
    started_here = _foreign_threads(ctx)
    ctx.step("shutdown (then counting the plugin's threads)")
    host.close()
    timing.watch_shutdown(ctx, host)
    left = _threads_after_grace(ctx)
    runtime = language_runtime(ctx.plugin)
    ctx.cache["threads_left"] = left
    details = {"threads_after_init_and_calls": len(started_here), "left": {str(t): n for t, n in left.items()}}
    named = _named(left)
    if left and runtime == "Go":
        return passed(f"{len(left)} thread(s) of the Go runtime remain after shutdown ({named}); a Go runtime "
                      "cannot be stopped: load the plugin pinned, never dlclose it", runtime="Go", **details)
    if left:
        return failed(f"{len(left)} thread(s) the plugin started still run {THREAD_GRACE * 1000:.0f} ms after "
                      f"shutdown returned: {named} (join background work in shutdown; a host that unloads the "
                      "plugin crashes)", **details)
    return passed(f"shutdown returned; {len(started_here)} thread(s) the plugin had started, none left after it",
                  **details)


def _named(threads: dict[int, str]) -> str:
    return ", ".join(f"{tid} {name!r}" for tid, name in sorted(threads.items())[:8])


def _threads_after_grace(ctx: Context) -> dict[int, str]:
    """The plugin's threads still alive THREAD_GRACE after a shutdown (polled: no wait when none)."""
    deadline = time.monotonic() + THREAD_GRACE
    left = _foreign_threads(ctx)
    while left and time.monotonic() < deadline:
        time.sleep(0.01)
        left = _foreign_threads(ctx)
    return left


def _load_again(ctx: Context, what: str) -> tuple[Any, str | None]:
    """A fresh Host for the plugin in this process; (host, None), or (None, why init failed)."""
    ctx.step(f"{what}: Host.load (init)")
    try:
        return ctx.load_again(), None
    except InitFailed as exc:
        return None, str(exc).split(": ", 1)[-1]
    except PluginLoadError as exc:
        return None, f"the reference host refused it: {exc}"


def _serve_once(ctx: Context, host: Any, what: str) -> str | None:
    """One call of each declared unary entry on the new instance, then its shutdown; the problem, if any."""
    entries, _ = ctx.entries("unary", "raw")
    first = ctx.cache.get("first_answers", {})
    problems = []
    for entry in [e for e in entries if not slot_problem(ctx, e)]:
        ex = exchange(ctx, entry)
        timing.watch_exchange(ctx, ex, f"{entry.name} after {what}")
        answer = timing.answer_of(ex)
        if answer is None or (entry.name in first and answer != first[entry.name]):
            before = f" (the first instance: {first[entry.name]})" if entry.name in first else ""
            problems.append(ex.describe() + before)
    ctx.step(f"shutdown (after {what})")
    host.close()
    timing.watch_shutdown(ctx, host)
    return "; ".join(problems) or None


def _shut(ctx: Context) -> None:
    """Shut the current instance down if a skipped or opted-out check left it running
    (after a failed second init there is none), and note the library's dlopen handle."""
    if not ctx.host_loaded and "library_handle" in ctx.cache:
        return
    host = ctx.host
    ctx.cache.setdefault("library_handle", host.lib._handle)
    if not host.closed:
        ctx.step("shutdown")
        host.close()
        timing.watch_shutdown(ctx, host)


def reinit(ctx: Context) -> Any:
    """After shutdown, `init` again with the library still loaded (as a host that restarts a pinned plugin)."""
    _shut(ctx)
    host, why = _load_again(ctx, "init again after shutdown")
    if host is None:
        return failed(f"init after shutdown, in the same process: {why} (the first init returned Ok: state left "
                      "from the first instance? reset it in shutdown)")
    problem = _serve_once(ctx, host, "the second init")
    if problem:
        return failed(f"after the second init: {problem}")
    return passed("init, shutdown, init again: Ok; the second instance answers")


def reload(ctx: Context) -> Any:
    """dlclose every handle this process holds on the plugin, load it again, init, call."""
    if language_runtime(ctx.plugin) == "Go":
        return skipped("a Go runtime cannot be unloaded (hosts load Go plugins pinned)")
    left = ctx.cache.get("threads_left")
    if left:
        return skipped(f"not unloaded: {len(left)} plugin thread(s) still run (lifecycle.threads)")
    _shut(ctx)
    left = _threads_after_grace(ctx) if ctx.cache.get("threads_before") is not None else {}
    if left:
        return failed(f"not unloaded: {len(left)} thread(s) still run {THREAD_GRACE * 1000:.0f} ms after the second "
                      f"shutdown: {_named(left)} (dlclose would pull the code from under them)",
                      left={str(t): n for t, n in left.items()})
    ctx.step("dlclose (until the library is unmapped)")
    unloaded = _unload(ctx.cache["library_handle"], ctx.plugin)
    host, why = _load_again(ctx, "load after dlclose")
    if host is None:
        return failed(f"init after dlclose and a fresh load: {why}")
    problem = _serve_once(ctx, host, "the reload")
    if problem:
        return failed(f"after dlclose and a fresh load: {problem}")
    how = "the library was unmapped and mapped again" if unloaded else (
        "dlclose left the library mapped (marked NODELETE, or holding thread-local destructors)")
    return passed(f"shutdown, dlclose, load, init: Ok and answering; {how}", unmapped=unloaded)


def _unload(handle: int, plugin: str) -> bool:
    """dlclose `handle` until the library is unmapped (every Host.load opened it once; a
    failed load too) or dlclose refuses (it stays loaded: NODELETE, thread-local destructors).
    The handle stays valid while the library is mapped, so no call sees a freed handle."""
    dlclose = ctypes.CDLL(None).dlclose
    dlclose.argtypes, dlclose.restype = [ctypes.c_void_p], ctypes.c_int
    for _ in range(_MAX_OPENS):
        if not _mapped(plugin):
            return True
        if dlclose(handle) != 0:
            return False
    return not _mapped(plugin)


def _mapped(plugin: str) -> bool:
    target = str(Path(plugin).resolve())
    try:
        return any(line.rstrip().endswith(target) for line in Path("/proc/self/maps").read_text().splitlines())
    except OSError:
        return False


def register() -> None:
    """The group's checks for both generations, in the order they run."""
    table = (
        ("lifecycle.info_stable", MUST, "The entry symbol describes the same plugin every time it is called "
         "(name, version, sizes, context, every vtable slot).", info_stable, (V1_LOAD, _FACTS_V2), ()),
        ("timing.handler_blocks", SHOULD, f"`handle` returns within {timing.BLOCKING_SECONDS * 1000:.0f} ms for every "
         "declared entry (the host's calling thread is not blocked; --level strict fails it).",
         timing.handler_blocks, ("", ""), ()),
        ("lifecycle.memory", SHOULD, f"Memory does not grow with calls: C heap under {MALLOC_PER_CALL} bytes and "
         f"resident set under {RSS_PER_CALL} bytes a call over {MEMORY_CALLS} calls ({MEMORY_CALLS_STRICT} at "
         "--level strict).", memory, ("", ""), ()),
        ("lifecycle.threads", MUST, "Threads the plugin started are gone once `shutdown` has returned (a Go "
         "runtime's own threads excepted).", threads, (V1_RULES, _FACTS_V2), ()),
        ("lifecycle.reinit", SHOULD, "After `shutdown`, `init` again in the same process returns Ok and the plugin "
         "answers (a host restarting a pinned plugin).", reinit, ("", ""), ()),
        ("lifecycle.reload", SHOULD, "After `shutdown` and `dlclose`, the library loads, inits and answers again "
         "(a host's reload).", reload, ("", ""), ()),
        ("timing.late_frames", MUST, "No frame comes after a sid's answer or terminal frame, however late: watched "
         f"from the group's first finished call for {timing.LATE_WATCH_MIN:g} s, then until the other groups end (at "
         f"most {timing.LATE_WATCH:g} s; {timing.LATE_WATCH_STRICT:g} s at --level strict).", timing.late_frames,
         (V1_RULES, _FACTS_V2), ()),
        ("timing.after_shutdown", MUST, "No frame comes after `shutdown` returned, however late: the group's first "
         f"shutdown watched for {timing.SHUTDOWN_WATCH:g} s or more, the later ones until the watch ends.", timing.after_shutdown, (V1_RULES, _FACTS_V2), ()),
        ("io.stdout", SHOULD, "The plugin writes nothing to stdout (hosts that speak over stdout are corrupted); "
         "judged over every process of the run.", output.stdout, ("", ""), ()),
    )
    for check_id, level, rule, fn, cites, requires in table:
        for abi, cite in ((1, cites[0]), (2, cites[1])):
            check(check_id, level, rule, group="lifecycle", cite=cite, requires=requires, abi=abi)(_counted(fn))


def _counted(fn: Any) -> Any:
    """`fn`, noting the process's threads first if nothing has loaded the plugin yet (whichever
    check of the group runs first, with -k or after a rerun)."""
    def run(ctx: Context) -> Any:
        baseline(ctx)
        return fn(ctx)

    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


register()
