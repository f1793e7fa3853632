"""Values the reference host hands out: requests, responses, frames, violations.

Responses and frames are named tuples: a raw call builds one per call, and tuples
are the cheapest Python objects to build, which keeps the host's overhead per call
close to the cost of the foreign call itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Sequence, Union

from . import nylon_ring_abi2
from .nylon_ring_abi import NrStatus

#: Text fields of a request may be bytes to send exactly those bytes (e.g. invalid UTF-8).
Text = Union[str, bytes]

#: ABI generation -> its NrStatus enum (ABI 2 adds Panic = 5 and Backpressure = 6).
_ENUMS = {1: NrStatus, 2: nylon_ring_abi2.NrStatus}
_STATUSES = {abi: {int(s): s for s in enum} for abi, enum in _ENUMS.items()}
#: How an answer's bytes reached the host, by the helper's path code: copied by send_result,
#: lent by send_result_owned (released after use), or written into a host lease.
PATHS = ("copy", "owned", "lease")


def status_enum(abi: int = 1) -> type:
    """The NrStatus enum of an ABI generation."""
    return _ENUMS[abi]


def as_status(value: int, abi: int = 1) -> NrStatus | int:
    """The NrStatus for a raw value, or the plain int when the plugin sent something outside the enum."""
    return _STATUSES[abi].get(value, value)


def status_name(value: int, abi: int = 1) -> str:
    """`Ok`, `StreamEnd`, ... as the schema spells them, or `status(7)` for an unknown value.

    ABI 2's names (`Panic`, `Backpressure`) are used for values outside ABI 1 whatever `abi`
    says, so a message never shows `status(5)` for a status one generation defines.
    """
    status = _STATUSES[abi].get(value) or _STATUSES[2].get(value)
    if status is None:
        return f"status({value})"
    return "".join(part.capitalize() for part in status.name.split("_"))


@dataclass(frozen=True)
class Request:
    """Request metadata for :meth:`Host.call` and :meth:`Host.stream` (``NrRequest``).

    ``headers`` is a sequence of ``(key, value)`` pairs or a mapping. Any text may be
    given as bytes to pass those exact bytes to the plugin.
    """

    method: Text = "GET"
    path: Text = "/"
    query: Text = ""
    headers: Sequence[tuple[Text, Text]] = field(default_factory=tuple)


class _NullRequest:
    """Sentinel type of :data:`NULL_REQUEST`."""

    _instance: "_NullRequest | None" = None

    def __new__(cls) -> "_NullRequest":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NULL_REQUEST"


#: Pass as ``request=`` to hand ``handle`` a NULL ``req`` pointer (a bad-input probe).
NULL_REQUEST = _NullRequest()


class Frame(NamedTuple):
    """One ``send_result`` the host accepted for a sid.

    ``thread_id`` is the OS thread id of the caller (``threading.get_native_id()``
    spelling), ``time_ns`` the ``time.monotonic_ns()`` clock when it arrived, ``seq``
    a per-host counter ordering every callback. ``terminal`` is True for the frame
    that ended the sid. A stream whose ``handle`` rejected the request yields one
    synthetic terminal frame with the returned status and ``seq == 0``. ``path`` says
    how the bytes came (:data:`PATHS`; always "copy" on ABI 1).
    """

    status: NrStatus | int
    data: bytes
    thread_id: int = 0
    time_ns: int = 0
    seq: int = 0
    terminal: bool = True
    path: str = "copy"


class Response(NamedTuple):
    """The answer to a unary call.

    ``status``/``data`` come from the plugin's one ``send_result``; when ``handle``
    returned non-Ok (``rejected``), ``status`` is that returned status and ``data`` is
    empty. ``handle_ns`` is how long ``handle`` took to return. ``thread_id``,
    ``time_ns`` and ``seq`` describe the accepted frame as in :class:`Frame` (0 when
    rejected); ``frames`` gives it as a Frame.
    """

    status: NrStatus | int
    data: bytes
    sid: int = 0
    handle_status: NrStatus | int = NrStatus.OK
    handle_ns: int = 0
    thread_id: int = 0
    time_ns: int = 0
    seq: int = 0
    path: str = "copy"

    @property
    def rejected(self) -> bool:
        return self.handle_status != NrStatus.OK

    @property
    def frames(self) -> tuple[Frame, ...]:
        """The frames the host accepted for this sid: one, or none when rejected."""
        if self.rejected:
            return ()
        return (Frame(self.status, self.data, self.thread_id, self.time_ns, self.seq, True, self.path),)

    @property
    def text(self) -> str:
        """The payload decoded as UTF-8 (undecodable bytes replaced)."""
        return self.data.decode("utf-8", "replace")


#: Violation kinds recorded by the native helper, by code.
VIOLATION_KINDS = {
    1: "unknown_sid",      # send_result for a sid this host never issued
    2: "after_terminal",   # send_result after the sid's terminal frame (double unary answer)
    3: "rejected_sid",     # send_result for a sid whose handle returned non-Ok
    4: "finished_sid",     # send_result for a sid that finished long ago
    5: "after_shutdown",   # send_result after shutdown returned
    6: "invalid_status",   # a status outside NrStatus (delivered as a terminal frame)
    7: "null_payload",     # NULL payload pointer with a non-zero length (delivered empty)
    8: "state_no_sid",     # set_state/get_state for a sid that is not running
    9: "state_bad_arg",    # set_state/get_state with a NULL pointer and a non-zero length
    10: "out_of_memory",   # the host could not copy a frame
    18: "input_written",   # hostile host: an input buffer written after its call returned
    19: "lease_changed",   # hostile host: a lease's bytes changed after commit
    20: "handle_status",   # handle returned a status outside NrStatus
}
#: What a hostile host's written buffer held (the `status` of an input_written violation).
INPUTS = {1: "entry name", 2: "payload", 3: "request string", 4: "stream_data payload", 5: "lease"}

#: ABI 2's violation kinds by code: the shared ones renamed as ABI 2 hosts spell them, plus
#: the owned-buffer and lease rules.
VIOLATION_KINDS_V2 = {
    **VIOLATION_KINDS,
    2: "frame_after_terminal",  # a frame after the sid's terminal frame (double unary answer)
    5: "send_after_shutdown",   # a frame after shutdown returned
    6: "status_out_of_range",   # a status of 7 or more (reserved; delivered as a terminal frame)
    11: "owned_changed",        # send_result_owned bytes changed before the host released them
    12: "lease_over_cap",       # commit_result_buffer with initialized_len > cap (lease kept)
    13: "lease_bad_token",      # commit_result_buffer with a token that is not the lease's (lease kept)
    14: "lease_double_commit",  # commit_result_buffer of a lease already committed
    15: "lease_after_answer",   # commit of a lease after the sid was answered another way
    16: "lease_missing",        # commit_result_buffer for a sid that holds no lease
    17: "owned_without_drop",   # NrVecU8 with owned = 1 and a NULL drop_fn
}


def violation_kinds(abi: int = 1) -> dict[int, str]:
    """Violation kind names by code for an ABI generation."""
    return VIOLATION_KINDS_V2 if abi == 2 else VIOLATION_KINDS


class Violation(NamedTuple):
    """A callback the protocol forbids, recorded instead of delivered.

    ``kind`` is one of :data:`VIOLATION_KINDS`' values; ``size`` is the payload (or
    key) length the plugin passed.
    """

    sid: int
    kind: str
    status: NrStatus | int
    size: int
    thread_id: int
    time_ns: int
    seq: int

    def describe(self) -> str:
        """One line, e.g. ``sid 7: after_terminal (Ok, 6 bytes, thread 1234)``."""
        if self.kind in ("input_written", "lease_changed"):
            what = INPUTS.get(int(self.status), "buffer")
            when = "after commit" if what == "lease" else "after the call returned"
            return f"sid {self.sid}: {self.kind} ({self.size}-byte {what} changed {when})"
        if self.kind.startswith("lease_"):
            return (f"sid {self.sid}: {self.kind} ({status_name(int(self.status), 2)}, initialized_len {self.size}, "
                    f"thread {self.thread_id})")
        if self.kind.startswith("state_"):
            return f"sid {self.sid}: {self.kind} (key or value of {self.size} bytes, thread {self.thread_id})"
        return f"sid {self.sid}: {self.kind} ({status_name(int(self.status), 2)}, {self.size} bytes, thread {self.thread_id})"


@dataclass(frozen=True)
class PluginInfo:
    """What the plugin's ``NrPluginInfo`` said, as validated at load.

    ``slots`` maps each vtable slot name to its address (0 when NULL).
    """

    name: str
    version: str
    abi_version: int
    struct_size: int
    plugin_ctx: int
    slots: dict[str, int]
    abi: int = 1
