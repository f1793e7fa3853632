"""What a check function works with inside the child process.

A :class:`Context` holds the loaded plugin (one reference :class:`~nylon_ring_sdk.host.Host`
per process, loaded on first use), the manifest, the time budget of the running
check, the results of the gate checks that ran before, and a channel to the
runner: :meth:`Context.step` says what the check is about to do, so that when
the plugin kills the process or hangs, the runner's verdict names the call.

:func:`exchange` runs one complete conversation with an entry (a unary call, a
stream to its terminal frame, a bidirectional session to its close) and returns
what happened as an :class:`Exchange`, never raising for anything the plugin does.
"""

from __future__ import annotations

import random
import select
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from .rules import ENTRY_GATES, Check
from .manifest import Entry, Manifest, RequestSpec
from ..errors import CallTimeout
from ..host import Host
from ..host.types import NULL_REQUEST, Request, status_name

#: In-process waits end at this fraction of the check timeout, so that a plugin that
#: never answers gets a precise verdict from the check instead of a kill by the runner.
WAIT_FRACTION = 0.7
#: The share of a check's budget that sequential calls may take before they are made at once.
SEQUENTIAL_SHARE = 2 / 3
#: The longest watch window for late callbacks, however slow the plugin.
SETTLE_MAX = 1.0
#: The name used for "an entry the plugin does not have".
UNKNOWN_ENTRY = "nr-conformance-no-such-entry"
#: Conformance always talks through the hostile-but-legal host (exactly-sized, read-only,
#: guarded, poisoned inputs; owned answers released late): the bugs it shows are real ones
#: every released host can trigger, and it costs a few microseconds a call. `nylon-ring call`
#: and the library's Host keep the kind host unless asked (Host.load(hostile=True)).
HOSTILE = True
_SAMPLE: Any = object()
_OK = 0  # NrStatus.OK, without importing the host for a constant


class Context:
    """The worker-side state shared by the checks of one group."""

    def __init__(self, plugin: str, manifest: Manifest, *, timeout: float, watch: float,
                 upstream: dict[str, dict], host_options: dict[str, Any],
                 emit: Callable[[dict], None], latency: float = 0.0,
                 quarantine: dict[str, dict[str, str]] | None = None, seed: int = 0, strict: bool = False,
                 rest_fd: int | None = None) -> None:
        self.plugin = plugin
        self.manifest = manifest
        self.timeout = timeout
        self.watch = watch
        self.upstream = upstream
        self.host_options = host_options
        self.emit = emit
        #: The slowest answer the gate checks measured (seconds): waits and call counts scale with it.
        self.latency = latency
        #: Per check: declared entries that crashed or hung this check before, left out on its rerun.
        self.quarantine = quarantine or {}
        #: The run's seed (`--seed`): every varied choice a check makes comes from :meth:`rng`.
        self.seed = seed
        #: `--level strict`: the checks that have a slow thorough form (memory growth, the
        #: late-frame watch) run it.
        self.strict = strict
        #: Reads end-of-file once the runner has no other group running (None: never told).
        self.rest_fd = rest_fd
        self._last_step: tuple[str, str | None] | None = None
        self.check: Check | None = None
        self.deadline = 0.0
        self.first_sid_applied = False
        self.cache: dict[str, Any] = {}
        self._host: Any = None

    # ------------------------------------------------------------ the plugin

    @property
    def host(self) -> Any:
        """The plugin loaded in the reference host (validated and initialised) for this process."""
        if self._host is None:
            self._host = self._load_host()
        return self._host

    @property
    def host_loaded(self) -> bool:
        return self._host is not None

    def _load_host(self) -> Any:
        options = {"hostile": HOSTILE, **self.host_options}
        if options.get("first_sid") is not None:
            self.first_sid_applied = True
        pending = self._last_step
        self.step("Host.load (validate, hand over the state extension, init)")
        host = Host.load(self.plugin, **options)
        if pending is not None:  # the call that needed the host comes next: a crash in it is its own
            self.step(*pending)
        return host

    def load_again(self) -> Any:
        """Load and initialise the plugin once more in this process, as the current host:
        `lifecycle.reinit` and `lifecycle.reload` call it after `shutdown` (and `dlclose`).
        Raises what Host.load raises (InitFailed when the second `init` fails)."""
        self._host = None
        self.first_sid_applied = False
        return self.host

    def slot(self, name: str) -> bool:
        """Whether the plugin's vtable slot `name` is set."""
        return bool(self.host.info.slots.get(name))

    # ------------------------------------------------------------ time and progress

    def begin(self, check: Check) -> None:
        self.check = check
        self.deadline = time.monotonic() + self.timeout * WAIT_FRACTION

    def rng(self, salt: str = "") -> random.Random:
        """A generator seeded by the run's seed, the running check and `salt`.

        Seeding per check (not one stream for the process) keeps a replay exact when
        checks run in another order or in other processes: `--seed S -k ID` makes the
        same choices as the failing run did.
        """
        check_id = self.check.id if self.check else ""
        return random.Random(f"{self.seed}:{check_id}:{salt}")

    def others_done(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the runner to say that every other group has ended."""
        if self.rest_fd is None:
            time.sleep(max(0.0, timeout))
            return False
        return bool(select.select([self.rest_fd], [], [], max(0.0, timeout))[0])

    def remaining(self) -> float:
        """Seconds left for waits in the running check (at least a millisecond)."""
        return max(0.001, self.deadline - time.monotonic())

    def step(self, text: str, entry: str | None = None) -> None:
        """Tell the runner what is about to happen (shown when the process dies or hangs);
        `entry` names the declared entry being called, so a crash is charged to it."""
        self._last_step = (text, entry)
        event = {"e": "step", "check": self.check.id if self.check else None, "text": text}
        if entry is not None and entry in self.manifest.declared_names:
            event["entry"] = entry
        self.emit(event)

    def excluded_here(self) -> dict[str, str]:
        """Entries this check leaves out because they crashed or hung an earlier attempt of it."""
        return dict(self.quarantine.get(self.check.id, {})) if self.check else {}

    def wait(self, base: float | None = None) -> float:
        """Seconds to wait for one more frame: what is left of the check's budget."""
        return self.remaining() if base is None else min(self.remaining(), base)

    def confirm(self, entry: str) -> None:
        """Tell the runner that `entry` passed this gate check (later checks may use it)."""
        self.emit({"e": "confirm", "check": self.check.id if self.check else None, "entry": entry})

    def settle(self) -> None:
        """Wait one watch window, so that late or extra callbacks are seen; a plugin that
        answers slowly sends its extra callbacks slowly too, so the window grows with its
        measured latency (up to SETTLE_MAX)."""
        time.sleep(min(self.remaining(), max(self.watch, min(self.latency, SETTLE_MAX))))

    def calls_fit(self, calls: int, share: float = 1 / 3) -> int:
        """How many of `calls` sequential answered calls fit in `share` of the check budget."""
        per_call = max(self.latency, 1e-4)
        return max(1, min(calls, int(self.timeout * WAIT_FRACTION * share / per_call)))

    def sequential(self, calls: int) -> bool:
        """Whether `calls` answered calls one after the other fit in two thirds of the budget
        (else they are made at once: a slow plugin is judged on its answers, not its speed).
        One after the other is preferred: a crash is then charged to exactly one call."""
        return self.calls_fit(calls, SEQUENTIAL_SHARE) >= calls

    # ------------------------------------------------------------ entries

    def entries(self, *modes: str) -> tuple[list[Entry], dict[str, str]]:
        """Declared entries of these modes that passed their gate, and the excluded ones with why."""
        usable: list[Entry] = []
        excluded: dict[str, str] = self.excluded_here()
        for entry in self.manifest.entries_of(*modes):
            if entry.name in excluded:
                continue
            gate = ENTRY_GATES[entry.mode]
            result = self.upstream.get(gate)
            if result is None or result["status"] == "skip" or entry.name in result.get("confirmed", ()):
                usable.append(entry)
            else:
                excluded[entry.name] = f"failed {gate}"
        return usable, excluded

    def violations(self) -> list[Any]:
        return self.host.violations if self.host_loaded else []


def host_request(spec: RequestSpec | None) -> Any:
    """The reference host's Request for a manifest request (the default one for None)."""
    if spec is None:
        return Request()
    return Request(method=spec.method, path=spec.path, query=spec.query, headers=tuple(spec.headers))


@dataclass
class Exchange:
    """One conversation with an entry, as the plugin conducted it."""

    call: str
    sid: int | None = None
    handle_status: int = 0
    handle_ns: int = 0
    frames: list[Any] = field(default_factory=list)
    timed_out: bool = False
    note: str = ""

    @property
    def rejected(self) -> bool:
        return not self.timed_out and self.handle_status != _OK

    @property
    def terminal(self) -> Any:
        return self.frames[-1] if self.frames and self.frames[-1].terminal else None

    def describe(self) -> str:
        if self.rejected:
            return f"{self.call}: rejected with {status_name(self.handle_status)}"
        if self.terminal is not None:
            ok = len(self.frames) - 1
            more = f"{ok} Ok frame(s), then " if ok else ""
            return f"{self.call}: {more}{status_name(int(self.terminal.status))} ({len(self.terminal.data)} bytes)"
        return f"{self.call}: accepted, {len(self.frames)} frame(s), no terminal frame within the wait{self.note}"


def describe_call(entry: Entry, name: Any, payload: bytes | None, request: Any) -> str:
    slot = "handle" if entry.uses_handle or entry.mode == "bidi" else "handle_raw"
    size = "NULL payload" if payload is None else f"{len(payload)} bytes"
    req = ", req=NULL" if entry.uses_handle and request is None else ""
    return f"{slot}({name!r}, {size}{req})"


def exchange(ctx: Context, entry: Entry, *, name: Any = None, payload: Any = _SAMPLE, request: Any = _SAMPLE,
             send: tuple[bytes, ...] | None = None) -> Exchange:
    """Run one conversation with `entry` (sample payload and request unless given).

    `request=None` passes a NULL `req`; `payload=None` a NULL pointer of length 0;
    `name` overrides the entry name (bytes for names that are not UTF-8).
    """
    name = entry.name if name is None else name
    payload = entry.payload if payload is _SAMPLE else payload
    if request is _SAMPLE:
        request = host_request(entry.request)
    text = describe_call(entry, name, payload, request)
    ctx.step(text, entry.name if name == entry.name else None)
    req = NULL_REQUEST if request is None else request
    if entry.is_unary:
        return _unary(ctx, entry, name, payload, req, text)
    return _stream(ctx, entry, name, payload, req, text, entry.send if send is None else send)


def _unary(ctx: Context, entry: Entry, name: Any, payload: Any, req: Any, text: str) -> Exchange:
    try:
        if entry.uses_handle:
            r = ctx.host.call(name, payload, req, timeout=ctx.remaining())
        else:
            r = ctx.host.call_raw(name, payload, timeout=ctx.remaining())
    except CallTimeout:
        return Exchange(text, timed_out=True)
    return Exchange(text, r.sid, int(r.handle_status), r.handle_ns, list(r.frames))


def _stream(ctx: Context, entry: Entry, name: Any, payload: Any, req: Any, text: str,
            send: tuple[bytes, ...]) -> Exchange:
    host = ctx.host
    if entry.mode == "bidi":
        raw = bidi_raw(ctx)
        s = host.bidi(name, payload, raw=raw, **({} if raw else {"request": req}), timeout=ctx.remaining())
    elif entry.uses_handle:
        s = host.stream(name, payload, req, timeout=ctx.remaining())
    else:
        s = host.stream_raw(name, payload, timeout=ctx.remaining())
    ex = Exchange(text, s.sid, int(s.handle_status), s.handle_ns)
    if s.rejected:
        s.abandon()
        return ex
    if entry.mode == "bidi":
        for data in send:
            ctx.step(f"{text}: stream_data({len(data)} bytes)", entry.name)
            status = int(s.send(data))
            if status != _OK:
                ex.note += f"; stream_data returned {status_text(status)}"
                continue
            if not _collect(ctx, s, ex, stop_after_ok=True):
                return ex
        ctx.step(f"{text}: stream_close", entry.name)
        s.close()
    _collect(ctx, s, ex, stop_after_ok=False)
    return ex


def _collect(ctx: Context, stream: Any, ex: Exchange, stop_after_ok: bool) -> bool:
    """Gather frames into `ex` until the terminal one (or one Ok frame); False when it ended or timed out."""
    while True:
        try:
            frame = stream.next_frame(timeout=ctx.remaining())
        except CallTimeout:
            ex.timed_out = True
            stream.abandon()
            return False
        if frame is None:
            return False
        ex.frames.append(frame)
        if frame.terminal:
            return False
        if stop_after_ok:
            return True


def start(ctx: Context, entry: Entry, *, payload: Any = _SAMPLE) -> Any:
    """Call `entry` without waiting for its answer: the started stream (its handle status and time).

    Unary entries are started like streams, so nothing waits for their one result;
    the caller abandons the stream when done with it.
    """
    payload = entry.payload if payload is _SAMPLE else payload
    request = host_request(entry.request)
    ctx.step(describe_call(entry, entry.name, payload, request), entry.name)
    host = ctx.host
    began = time.monotonic_ns()
    if entry.uses_handle:
        stream = host.stream(entry.name, payload, request, timeout=ctx.remaining())
    elif entry.mode == "bidi" and not bidi_raw(ctx):
        stream = host.bidi(entry.name, payload, request=request, timeout=ctx.remaining())
    else:
        stream = host.stream_raw(entry.name, payload, timeout=ctx.remaining())
    stream.started_ns = began  # when the call began: frame.time_ns - started_ns is the answer's latency
    return stream


def bidi_raw(ctx: Context) -> bool:
    """Bidirectional sessions open through `handle`, as the original host does
    (nylon-ring-guide 1.3, "Bidirectional": `handle(entry, sid, req)`); through
    `handle_raw` only when the plugin has no `handle` slot."""
    return not ctx.slot("handle")


def status_text(value: int) -> str:
    return status_name(int(value))


def unknown_entry(mode: str = "raw") -> Entry:
    """An entry the plugin does not have, called through handle_raw ("raw") or handle ("unary")."""
    return Entry(name=UNKNOWN_ENTRY, mode=mode, payload=b"x")



def exchange_all(ctx: Context, calls: list[tuple[Entry, dict[str, Any]]]) -> list[Exchange]:
    """Run each `(entry, exchange kwargs)` conversation, in order.

    One after the other while that fits the check's budget at the plugin's measured
    latency (a crash is then charged to exactly one call); otherwise all at once from
    threads, so that a plugin answering correctly but slowly is judged on its answers.
    """
    if ctx.sequential(len(calls)):
        return [exchange(ctx, entry, **kwargs) for entry, kwargs in calls]

    with ThreadPoolExecutor(max_workers=min(32, len(calls))) as pool:
        futures = [pool.submit(exchange, ctx, entry, **kwargs) for entry, kwargs in calls]
        return [f.result() for f in futures]
