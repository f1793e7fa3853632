"""Unary calls, streams and bidirectional sessions in flight together, each with its own input.

Why: a plugin that keeps per-call state in one place (an answer built in a static
buffer, "the current stream" in a global) answers correctly one call at a time, and
the other checks call one entry at a time or repeat one input. Here every
conversation gets an input derived from its index, so an answer that belongs to
another call, or a frame sent for another sid, differs from what its own input gets.

How an answer is known: an echo (the declared answer is the payload; for a bidi
entry the declared frames are the ones sent) answers its own input. Any other entry
is first asked each of a few inputs alone, one call at a time, and later held to
that answer; a unary entry whose answers alone are `prefix + payload + suffix` is
predicted for any payload, so each of its calls gets a unique one too. An answer
that differs is asked once more alone: when that answer differs as well, the entry
does not answer one input the same way twice and is not judged (never a false FAIL).

What varies with the run's seed (`--seed`, `--repeat`): threads, conversations per
thread, inputs per entry, payload sizes and pauses between conversations. Seed 0 is
the default plan, small enough for the default run.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..context import Context, bidi_raw, host_request, status_text
from ..manifest import Entry
from ..rules import MUST, V1_RULES, check, failed, passed
from .common import EXTRA_ANSWER, no_entries, noted, slot_problem
from ...errors import CallTimeout

#: A session that gets no frame for this long, at least, is taken as stuck ...
STALL_MIN = 1.0
#: ... or for this many times the slowest answer seen alone (gates and this check's own calls).
STALL_FACTOR = 10.0
#: The share of the check's budget kept for asking wrong answers again alone.
REASK_SHARE = 0.25
#: Longest single wait for a frame, so a shortened deadline is noticed.
WAIT_SLICE = 0.05
#: Mismatches asked again alone, at most.
MAX_REASKS = 8
#: Payload sizes a varied plan picks from (the host copies more than 4096 bytes another way).
SIZES = (0, 1, 16, 255, 4096, 4097, 20000)

Key = tuple  # an answer, comparable: ("rejected", status) | ("answer", status, data) | ("frames", ...) | ("open", ...)


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Plan:
    """How much to run at once, chosen from the run's seed (seed 0: the default plan)."""

    seed: int
    threads: int
    rounds: int
    variants: int
    sizes: tuple[int, ...]
    max_pause: float

    @classmethod
    def for_run(cls, ctx: Context) -> "Plan":
        if ctx.seed == 0:
            return cls(0, threads=4, rounds=3, variants=2, sizes=(16,), max_pause=0.0)
        rng = ctx.rng("plan")
        return cls(ctx.seed, threads=rng.randint(2, 8), rounds=rng.randint(2, 5), variants=rng.randint(2, 4),
                   sizes=tuple(sorted(rng.sample(SIZES, 3))), max_pause=rng.choice((0.0, 0.0005, 0.002)))

    def describe(self) -> dict[str, Any]:
        return {"seed": self.seed, "threads": self.threads, "rounds": self.rounds, "inputs_per_entry": self.variants,
                "payload_sizes": list(self.sizes), "max_pause_seconds": self.max_pause}


# ---------------------------------------------------------------- one conversation


class _Clock:
    """The deadline every wait of the check shares, and how long one session may go without a
    frame before it counts as stuck (it grows with the slowest answer seen alone)."""

    def __init__(self, seconds: float, latency: float = 0.0) -> None:
        self.deadline = time.monotonic() + seconds
        self.slowest = latency

    def left(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def stall(self) -> float:
        return max(STALL_MIN, STALL_FACTOR * self.slowest)

    def saw(self, seconds: float) -> None:
        self.slowest = max(self.slowest, seconds)

    def wait(self, since: float) -> float:
        """Seconds the current wait, begun at `since`, may still take."""
        return min(self.left(), since + self.stall - time.monotonic())


@dataclass(frozen=True)
class Input:
    """What one conversation sends: the payload, and for bidi the frames sent after opening."""

    payload: bytes
    send: tuple[bytes, ...] = ()

    def show(self) -> str:
        text = _show(self.payload)
        return text + (f", then {', '.join(_show(s) for s in self.send)}" if self.send else "")


def _show(data: bytes, limit: int = 24) -> str:
    return repr(data[:limit])[1:] + (f"..({len(data)} bytes)" if len(data) > limit else "")


def _kind(entry: Entry) -> str:
    return "unary" if entry.is_unary else "stream" if entry.is_stream else "bidi"


def _frame(stream: Any, clock: _Clock) -> Any:
    """The stream's next frame, or None when the shared deadline passes first."""
    since = time.monotonic()
    while True:
        left = clock.wait(since)
        if left <= 0:
            return None
        try:
            return stream.next_frame(timeout=min(left, WAIT_SLICE))
        except CallTimeout:
            continue


def _ended(stream: Any, clock: _Clock, got: list[bytes]) -> Key:
    """Frames until the terminal one: the answer key of a stream (or of a bidi session's tail)."""
    while True:
        key = _reply(stream, clock, got)
        if key is not None:
            return key


class _Caller:
    """Opens and conducts conversations with one plugin the way the suite's other checks do."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.host = ctx.host
        self.raw_bidi = bidi_raw(ctx)

    def unary(self, entry: Entry, given: Input, clock: _Clock) -> tuple[int | None, Key]:
        wait = max(clock.wait(time.monotonic()), 0.001)
        try:
            if entry.uses_handle:
                r = self.host.call(entry.name, given.payload, host_request(entry.request), timeout=wait)
            else:
                r = self.host.call_raw(entry.name, given.payload, timeout=wait)
        except CallTimeout:
            return None, ("open", ())
        if r.rejected:
            return r.sid, ("rejected", int(r.handle_status))
        return r.sid, ("answer", int(r.status), r.data)

    def open(self, entry: Entry, given: Input) -> Any:
        host, request = self.host, host_request(entry.request)
        if entry.mode == "bidi":
            return host.bidi(entry.name, given.payload, raw=self.raw_bidi,
                             **({} if self.raw_bidi else {"request": request}), timeout=None)
        if entry.uses_handle:
            return host.stream(entry.name, given.payload, request, timeout=None)
        return host.stream_raw(entry.name, given.payload, timeout=None)

    def together(self, entry: Entry, inputs: list[Input], clock: _Clock) -> list[tuple[int | None, Key]]:
        """Open one session per input before reading any, then conduct them interleaved: each
        bidi session gets its next frame and its reply in turn, then all are closed and drained."""
        if entry.is_unary:
            return [self.unary(entry, given, clock) for given in inputs]
        streams = [self.open(entry, given) for given in inputs]
        got: list[list[bytes]] = [[] for _ in streams]
        ended: list[Key | None] = [("rejected", int(s.handle_status)) if s.rejected else None for s in streams]
        for step in range(max((len(g.send) for g in inputs), default=0)):
            sent = [ended[i] is None and step < len(g.send) and int(s.send(g.send[step])) == 0
                    for i, (s, g) in enumerate(zip(streams, inputs))]
            for i, s in enumerate(streams):
                if sent[i]:
                    ended[i] = _reply(s, clock, got[i])
        for i, s in enumerate(streams):
            if ended[i] is None:
                if entry.mode == "bidi":
                    s.close()
                ended[i] = _ended(s, clock, got[i])
        return [(s.sid, key) for s, key in zip(streams, ended)]


def _reply(stream: Any, clock: _Clock, got: list[bytes]) -> Key | None:
    """One reply of a bidi session into `got`; the session's answer key when it ended instead."""
    frame = _frame(stream, clock)
    if frame is None:
        stream.abandon()
        return ("open", tuple(got))
    if frame.terminal:
        return ("frames", tuple(got), int(frame.status), frame.data)
    got.append(frame.data)
    return None


def describe_key(key: Key) -> str:
    if key[0] == "rejected":
        return f"rejected with {status_text(key[1])}"
    if key[0] == "answer":
        return f"{status_text(key[1])} {_show(key[2], 40)}"
    frames = ", ".join(_show(f, 12) for f in key[1][:6]) + (", ..." if len(key[1]) > 6 else "")
    if key[0] == "open":
        return f"[{frames}] and no terminal frame within the wait"
    return f"[{frames}] then {status_text(key[2]) if key[2] >= 0 else 'a terminal frame'}"


# ---------------------------------------------------------------- what each entry must answer


@dataclass
class Subject:
    """An entry and how its answer to an input is known: echoed, predicted, or asked alone first."""

    entry: Entry
    inputs: list[Input] = field(default_factory=list)
    alone: dict[Input, Key] = field(default_factory=dict)
    #: unary: answer = prefix + payload + suffix for any payload (an echo has both empty).
    model: tuple[bytes, bytes] | None = None
    echo_bidi: bool = False

    def expected(self, given: Input) -> Key | None:
        """The answer `given` gets alone (for an echoed bidi session: its frames, then any terminal)."""
        if self.model is not None:
            return ("answer", 0, self.model[0] + given.payload + self.model[1])
        if self.echo_bidi:
            return ("frames", given.send, -1, b"")
        return self.alone.get(given)

    def judge(self, given: Input, key: Key) -> bool:
        want = self.expected(given)
        if want is None or want == key:
            return True
        return self.echo_bidi and key[0] == "frames" and key[1] == given.send


def _variants(entry: Entry, count: int, rng: Any | None) -> list[Input]:
    """Inputs other than the sample that an entry of this kind should accept."""
    sample = entry.payload
    if sample.isdigit():
        n = int(sample)
        pool = [k for k in range(1, max(8, 2 * n + 2)) if k != n]
        picks = rng.sample(pool, min(count, len(pool))) if rng else [k for k in pool if k > n][:count]
        numbers = [str(k).encode() for k in picks]
        return [Input(p, entry.send) for p in numbers]
    return [Input(sample + b"-%d" % (k + 1), entry.send) for k in range(count)]


def _prefix_model(subject: Subject) -> tuple[bytes, bytes] | None:
    """`(prefix, suffix)` when every answer alone is prefix + payload + suffix, Ok, for the same pair."""
    found: set[tuple[bytes, bytes]] = set()
    for given, key in subject.alone.items():
        if key[0] != "answer" or key[1] != 0 or not given.payload:
            return None
        at = key[2].find(given.payload)
        if at < 0:
            return None
        found.add((key[2][:at], key[2][at + len(given.payload):]))
    return found.pop() if len(found) == 1 and len(subject.alone) >= 2 else None


def subjects(ctx: Context, plan: Plan, caller: _Caller, clock: _Clock) -> tuple[list[Subject], dict[str, str]]:
    """Every usable entry with how its answers are known (non-echo entries are asked alone here)."""
    entries, excluded = ctx.entries("unary", "raw", "stream", "stream_raw", "bidi")
    rng = ctx.rng("inputs") if plan.seed else None
    found = []
    for entry in entries:
        if slot_problem(ctx, entry):
            continue
        subject = Subject(entry)
        if entry.is_echo:
            subject.model = (b"", b"")
        elif entry.mode == "bidi" and entry.send and entry.expect_frames == entry.send:
            subject.echo_bidi = True
        else:
            subject.inputs = [Input(entry.payload, entry.send)] if entry.mode == "bidi" else _variants(entry, plan.variants, rng)
            ctx.step(f"overlap: {entry.name} alone, {len(subject.inputs)} input(s)", entry.name)
            for given in subject.inputs:
                began = time.monotonic()
                subject.alone[given] = caller.together(entry, [given], clock)[0][1]
                clock.saw(time.monotonic() - began)
            if entry.is_unary:
                subject.model = _prefix_model(subject)
        found.append(subject)
    return found, excluded


def _fresh(subject: Subject, tag: str, size: int) -> Input:
    """An input of its own for one conversation of an entry whose answer to any input is known."""
    entry = subject.entry
    if subject.echo_bidi:
        return Input(entry.payload, tuple(s + f"-{tag}.{j}".encode() for j, s in enumerate(entry.send)))
    base = entry.payload if subject.model == (b"", b"") else entry.payload + b"-"
    filler = b"." * size if subject.model == (b"", b"") else b""
    return Input(base + tag.encode() + filler)


# ---------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class Conversation:
    """Sessions a thread opens together (one unary call each for a unary entry)."""

    subject: Subject
    inputs: tuple[Input, ...]
    pause: float


def schedule(plan: Plan, found: list[Subject], rng: Any | None) -> list[list[Conversation]]:
    """Per thread, its conversations: kinds rotate across threads, so unary calls, streams and
    sessions are in flight together; every input is derived from (thread, round, slot)."""
    by_kind: dict[str, list[Subject]] = {}
    for subject in found:
        by_kind.setdefault(_kind(subject.entry), []).append(subject)
    kinds = [k for k in ("unary", "stream", "bidi") if k in by_kind]
    # every thread doing a kind in a round calls the same entries in the same order, so its calls
    # really overlap: one stream or bidi entry per round, every unary entry
    chosen = [{k: [rng.choice(pool)] if rng else [pool[r % len(pool)]] for k, pool in by_kind.items()}
              for r in range(plan.rounds)]
    for r in range(plan.rounds):
        unary = list(by_kind.get("unary", ()))
        if rng:
            rng.shuffle(unary)
        chosen[r]["unary"] = unary
    plans: list[list[Conversation]] = []
    for t in range(plan.threads):
        mine = []
        for r in range(plan.rounds):
            pause = rng.uniform(0, plan.max_pause) if rng and plan.max_pause else 0.0
            for subject in chosen[r][kinds[(t + r) % len(kinds)]]:
                mine.append(Conversation(subject, _inputs(plan, subject, t, r, rng), pause))
                pause = 0.0
        plans.append(mine)
    return plans


def _inputs(plan: Plan, subject: Subject, t: int, r: int, rng: Any | None) -> tuple[Input, ...]:
    """The two inputs of thread t's round r: fresh ones when the answer to any input is known,
    else the learned inputs, rotated so that overlapping calls differ."""
    inputs = []
    for slot in range(2):
        if subject.model is None and not subject.echo_bidi:
            inputs.append(subject.inputs[(t + r + slot) % len(subject.inputs)])
        else:
            size = rng.choice(plan.sizes) if rng else plan.sizes[0]
            inputs.append(_fresh(subject, f"{t}.{r}.{slot}", size))
    return tuple(inputs)


def inputs_digest(plans: list[list[Conversation]]) -> str:
    """A fingerprint of every input the schedule sends: a replay with the same seed has the same one."""
    digest = hashlib.sha256()
    for t, mine in enumerate(plans):
        for c in mine:
            digest.update(f"{t}:{c.subject.entry.name}:{c.pause!r}".encode())
            for given in c.inputs:
                digest.update(given.payload + b"\x00" + b"\x01".join(given.send) + b"\x02")
    return digest.hexdigest()


# ---------------------------------------------------------------- running it


@dataclass
class Seen:
    """One session's outcome: what it sent, which sid, what came back."""

    subject: Subject
    given: Input
    sid: int | None
    key: Key

    def label(self) -> str:
        return f"{self.subject.entry.name} sid {self.sid} ({self.given.show()})"


@dataclass
class Outcome:
    """The one overlapping run the three checks judge, each the sessions of its own kind."""

    plan: Plan
    found: list[Subject]
    excluded: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)
    wrong: list[Seen] = field(default_factory=list)
    late: list[tuple[Seen, Any]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    unsteady: list[str] = field(default_factory=list)
    sessions: dict[str, int] = field(default_factory=dict)


def run_all(caller: _Caller, plans: list[list[Conversation]], clock: _Clock
            ) -> tuple[list[Seen], float, list[tuple[str, str]]]:
    """Every thread's conversations at once; a thread still busy when half are done gets a grace.
    Errors come with the kind of the conversation they happened in."""
    seen: list[Seen] = []
    errors: list[tuple[str, str]] = []
    busy: dict[int, str] = {}
    lock = threading.Lock()
    gate = threading.Barrier(len(plans))

    def work(t: int, mine: list[Conversation]) -> None:
        kind = "unary"
        try:
            gate.wait(timeout=max(clock.left(), 0.001))
            for c in mine:
                kind = busy[t] = _kind(c.subject.entry)
                if c.pause:
                    time.sleep(c.pause)
                for given, (sid, key) in zip(c.inputs, caller.together(c.subject.entry, list(c.inputs), clock)):
                    with lock:
                        seen.append(Seen(c.subject, given, sid, key))
            busy.pop(t, None)
        except Exception as exc:  # noqa: BLE001  (the host refused something: reported, not raised)
            with lock:
                errors.append((kind, f"{type(exc).__name__}: {exc}"))
            busy.pop(t, None)

    started = time.monotonic()
    workers = [threading.Thread(target=work, args=(t, mine), daemon=True) for t, mine in enumerate(plans)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(max(0.0, clock.left()) + 1.0)
    with lock:
        errors += [(kind, "a call still blocked after the wait") for kind in busy.values()]
        return list(seen), time.monotonic() - started, list(errors)


def _reask(caller: _Caller, wrong: list[Seen], ctx: Context) -> tuple[list[Seen], list[str]]:
    """Ask each wrong answer's input once more alone: still the expected answer means overlap
    broke it; another answer means the entry is not deterministic (not judged)."""
    confirmed: list[Seen] = []
    unsteady: list[str] = []
    clock = _Clock(ctx.remaining(), ctx.latency)
    for s in wrong[:MAX_REASKS]:
        ctx.step(f"overlap: {s.subject.entry.name} alone again ({s.given.show()})", s.subject.entry.name)
        _, key = caller.together(s.subject.entry, [s.given], clock)[0]
        if s.subject.judge(s.given, key) or key[0] == "open":  # no answer alone any more: broken by the overlap
            confirmed.append(s)
        elif s.subject.entry.name not in unsteady:
            unsteady.append(s.subject.entry.name)
    confirmed += [s for s in wrong[MAX_REASKS:] if s.subject.entry.name not in unsteady]
    return confirmed, unsteady


def outcome(ctx: Context) -> Outcome:
    """The overlapping run of this process, made by the first of the three checks that needs it."""
    cached = ctx.cache.get("overlap")
    if cached is not None:
        return cached
    plan = Plan.for_run(ctx)
    caller = _Caller(ctx)
    clock = _Clock(ctx.remaining() * (1 - REASK_SHARE), ctx.latency)
    found, excluded = subjects(ctx, plan, caller, clock)
    result = ctx.cache["overlap"] = Outcome(plan, found, excluded)
    if not found:
        return result
    plans = schedule(plan, found, ctx.rng("schedule") if plan.seed else None)
    mark = len(ctx.violations())
    ctx.step(f"overlap: {plan.threads} threads x {plan.rounds} conversations over "
             + ", ".join(s.entry.name for s in found))
    seen, took, result.errors = run_all(caller, plans, clock)
    sids = {s.sid: s for s in seen if s.sid is not None}
    # a stream's or session's frame after its terminal one (their gates saw none alone); a second unary
    # answer is unary.exactly_once's to judge
    result.late = [(sids[v.sid], v) for v in ctx.violations()[mark:]
                   if v.sid in sids and v.kind in EXTRA_ANSWER and not sids[v.sid].subject.entry.is_unary]
    result.wrong, result.unsteady = _reask(caller, [s for s in seen if not s.subject.judge(s.given, s.key)], ctx)
    for s in seen:
        result.sessions[_kind(s.subject.entry)] = result.sessions.get(_kind(s.subject.entry), 0) + 1
    result.details = {**plan.describe(), "inputs_sha256": inputs_digest(plans), "seconds": round(took, 4),
                      "sessions": dict(result.sessions), **noted(excluded)}
    return result


_WHAT = {"unary": "unary or raw entry", "stream": "stream entry", "bidi": "bidi entry"}


def judge(ctx: Context, kind: str) -> Any:
    """The verdict on the sessions of one kind in the overlapping run."""
    result = outcome(ctx)
    if not any(_kind(s.entry) == kind for s in result.found):
        return no_entries(ctx, _WHAT[kind], result.excluded)
    wrong = [s for s in result.wrong if _kind(s.subject.entry) == kind]
    late = [(s, v) for s, v in result.late if _kind(s.subject.entry) == kind]
    errors = [text for k, text in result.errors if k == kind]
    unsteady = [name for name in result.unsteady if any(s.entry.name == name and _kind(s.entry) == kind
                                                         for s in result.found)]
    total = result.sessions.get(kind, 0)
    details = dict(result.details, **({"not_judged": unsteady} if unsteady else {}))
    problems = [f"{s.label()}: {describe_key(s.key)}; alone: {describe_key(s.subject.expected(s.given))}"
                for s in wrong[:3]]
    problems += [f"{s.label()}: {status_text(int(v.status))} ({v.size} bytes) after its terminal frame"
                 for s, v in late[:3]]
    problems += errors[:2]
    if problems:
        head = f"{len(wrong)} of {total} overlapping {kind} sessions answered unlike their input alone"
        return failed(head + (f", {len(late)} frame(s) after a terminal one" if late else "") + ": "
                      + "; ".join(problems), **details)
    others = sorted(k for k in result.sessions if k != kind)
    note = f"; not judged (answers vary alone): {', '.join(unsteady)}" if unsteady else ""
    return passed(f"{total} {kind} sessions from {result.plan.threads} threads"
                  + (f", with {' and '.join(others)} sessions in flight" if others else "")
                  + f", each answered as its own input alone{note}", **details)


_RULES = {
    "unary": ("concurrency.overlap_unary", "Unary calls from several threads at once, each with its own input, while "
              "streams and sessions are in flight, each get the answer their input gets alone."),
    "stream": ("concurrency.overlap_streams", "Streams opened together from several threads, each with its own input, "
               "each get the frames their input gets alone, on their own sid, and nothing after their terminal frame."),
    "bidi": ("concurrency.overlap_bidi", "Bidirectional sessions conducted together from several threads, each sending "
             "its own frames, each get the replies their frames get alone, on their own sid."),
}


def _register(kind: str) -> None:
    check_id, rule = _RULES[kind]

    def verdict(ctx: Context) -> Any:
        return judge(ctx, kind)

    verdict.__name__ = check_id.replace(".", "_")
    check(check_id, MUST, rule, group="concurrency", cite=V1_RULES)(verdict)
    check(check_id, MUST, rule, group="concurrency", cite="abi-v2-facts.md: Behaviour", abi=2)(verdict)


for _kind_name in _RULES:
    _register(_kind_name)
