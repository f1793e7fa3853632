"""The rules of the suite: every check's stable id, level, one-line rule and group, and how a check registers.

Ids never change meaning once published: a CI configuration opts out of
`stream.empty` by id, and a rerun command selects `unary.exactly_once` by id. A
check function takes the worker's :class:`~.context.Context` and returns an
:class:`Outcome`; it judges its own rule only, so a plugin that breaks one rule
is flagged by the checks of that rule and not by every check that happens to
call the same entry.

This module is a leaf: the check modules register through :func:`check` here, and
:mod:`.catalogue` imports them to collect the tables, so nothing imports in a circle.

Groups are the unit of isolation: the checks of a group run one after the other
in one child process with one loaded plugin, and a group starts as soon as the
checks it comes `after` have their verdicts (those verdicts gate it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from .context import Context

#: Bumped whenever a check is added, removed or changes what it judges.
SUITE_VERSION = "1.1"

#: Citations: the facts pages win where they and the guide differ.
V1_LOAD = "abi-v1-facts.md: What a host checks on load"
V1_LAYOUT = "abi-v1-facts.md: Types and layouts (LP64)"
V1_RULES = "abi-v1-facts.md: The protocol rules"
V1_EXT = "abi-v1-facts.md: How plugins reach the state extension; README: the layout probe"
GUIDE_STATUS = "nylon-ring-guide.md 7.3 Status Code Usage (Invalid: null pointer, malformed request; Unsupported: unknown entry)"
GUIDE_TYPES = "nylon-ring-guide.md 2.2 Core ABI Types (NrStr is UTF-8, views may be empty)"

MUST = "MUST"
SHOULD = "SHOULD"
LEVELS = (MUST, SHOULD)

PASS, FAIL, WARN, SKIP = "pass", "fail", "warn", "skip"
STATUSES = (PASS, FAIL, WARN, SKIP)

#: The first sid of the `sids` group: above 2^63 and with bit 32 set, so a sid kept
#: in 32 bits, in a signed 64-bit integer or in a double comes back different.
HIGH_SID = (1 << 63) | (1 << 32) | 1


@dataclass(frozen=True)
class Outcome:
    """What a check function returns: a status, the reason in one line, and details."""

    status: str
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    #: The level this verdict is judged at when it is not the catalogue's: a SHOULD check
    #: is held to MUST when the manifest declares the behaviour (e.g. unknown_sid = "invalid").
    level: str | None = None


class Verdict(Exception):
    """Raised inside a check to end it at once with `outcome` (e.g. a skip: nothing to call)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


def passed(reason: str = "", **details: Any) -> Outcome:
    return Outcome(PASS, reason, details)


def failed(reason: str, **details: Any) -> Outcome:
    return Outcome(FAIL, reason, details)


def warned(reason: str, **details: Any) -> Outcome:
    return Outcome(WARN, reason, details)


def skipped(reason: str, **details: Any) -> Outcome:
    return Outcome(SKIP, reason, details)


@dataclass(frozen=True)
class Group:
    """Checks that share one child process; `after` lists the checks whose verdicts gate it.

    `lifecycle.init` comes after every load gate (it requires them), so waiting for
    it is waiting for all of them; the entry gates confirm which entries later
    groups may call.
    """

    name: str
    after: tuple[str, ...]
    doc: str
    host_options: dict[str, Any] = field(default_factory=dict)


_LOADED = ("lifecycle.init",)
_UNARY = _LOADED + ("unary.prompt_return",)
_ALL_ENTRIES = _UNARY + ("stream.terminal", "bidi.terminal")

GROUPS: dict[str, Group] = {g.name: g for g in (
    Group("load", (), "the library as a host finds it, then init and shutdown"),
    Group("gates", _LOADED, "each declared entry once: handle returns, streams end"),
    Group("routing", _LOADED, "entry names a plugin does not know"),
    Group("unary", _UNARY, "unary answers: once, declared, any payload size"),
    Group("concurrency", _ALL_ENTRIES, "many threads at once: unary calls, streams and sessions"),
    Group("sids", _UNARY, "sids above 2^32", {"first_sid": HIGH_SID}),
    Group("input", _ALL_ENTRIES, "malformed input through handle and handle_raw"),
    Group("streams", _ALL_ENTRIES, "declared streams and sessions, panic probes, shutdown with work in flight"),
)}


@dataclass(frozen=True)
class Check:
    """One rule of the ABI as a check.

    `gate`: when it fails, no later group runs (a host must refuse the plugin).
    `requires`: earlier checks of the same group that must pass (or warn) first;
    otherwise this one is skipped, naming them (reading a vtable makes no sense
    after the struct that holds it failed its size check).
    """

    id: str
    level: str
    rule: str
    group: str
    fn: Callable[["Context"], Outcome]
    gate: bool = False
    requires: tuple[str, ...] = ()
    #: Definition order: the order checks run in within their group (a check that
    #: shuts the plugin down is defined last).
    seq: int = 0
    #: Where the ABI states the rule: a facts page and section, or a guide section.
    cite: str = ""

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]


CATALOGUE: dict[str, Check] = {}
#: The checks of ABI 2 plugins (`nylon_ring_get_plugin`): ids mean the same rule where the
#: generations share it; the catalogue a run uses follows the plugin's generation.
CATALOGUE_V2: dict[str, Check] = {}

#: Which gate confirms the entries of each mode.
ENTRY_GATES = {"unary": "unary.prompt_return", "raw": "unary.prompt_return", "stream": "stream.terminal",
               "stream_raw": "stream.terminal", "bidi": "bidi.terminal"}


def check(check_id: str, level: str, rule: str, *, group: str, gate: bool = False, cite: str = "",
          requires: Iterable[str] = (), abi: int = 1) -> Callable[[Callable[["Context"], Outcome]], Callable[["Context"], Outcome]]:
    """Register a check function under a stable id (in definition order) in a generation's catalogue.

    A MUST check names where the ABI says so (`cite`); behaviour the ABI leaves
    open is a SHOULD check, whose failure is a warning.
    """
    if level not in LEVELS:
        raise ValueError(f"{check_id}: level {level!r}")
    if level == MUST and not cite:
        raise ValueError(f"{check_id}: a MUST check cites where the ABI states its rule")
    if group not in GROUPS:
        raise ValueError(f"{check_id}: group {group!r}")

    target = CATALOGUE_V2 if abi == 2 else CATALOGUE

    def register(fn: Callable[["Context"], Outcome]) -> Callable[["Context"], Outcome]:
        if check_id in target:
            raise ValueError(f"check id {check_id} registered twice")
        target[check_id] = Check(check_id, level, rule, group, fn, gate, tuple(requires), len(target), cite)
        return fn

    return register


#: Report order of the areas (the part of an id before the dot).
AREAS = ("load", "abi", "lifecycle", "routing", "dispatch", "unary", "owned", "lease", "stream", "bidi", "input",
         "memory", "panic", "concurrency", "timing", "io", "sanitizer")


def matches(check_id: str, patterns: Iterable[str]) -> bool:
    """-k semantics: a pattern selects ids it equals, contains, or matches as a glob."""
    return any(p == check_id or (p in check_id) or fnmatchcase(check_id, p) for p in patterns)


def parse_patterns(spec: str | Iterable[str] | None) -> list[str]:
    """`-k "unary.*,stream.terminal"` -> ["unary.*", "stream.terminal"]."""
    if spec is None:
        return []
    parts = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    return [p.strip() for p in parts if p.strip()]
