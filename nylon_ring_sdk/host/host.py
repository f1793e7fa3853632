"""The reference host: load a plugin, call it, record what it sends back.

Threading model. Every plugin call goes through the native helper (``nrh_shim``),
which owns ``send_result``, ``set_state`` and ``get_state``. A plugin may answer
synchronously inside ``handle`` or later from any thread; either way the helper
copies the frame into the sid's queue without touching Python. Blocking waits
happen inside the helper with the GIL released; asyncio waits are woken by a
notify hook that calls ``loop.call_soon_threadsafe``.

Lifetime. A plugin library is never unloaded and a helper host is never freed:
plugin threads may call back at any time, even after ``close()``. Buffers passed
to a plugin stay referenced until the sid completes (forever when the caller gave
up on it), bidi buffers until the session ends.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import struct
import threading
import time
from typing import TYPE_CHECKING, Any, AsyncIterator

from ..errors import CallTimeout, HostClosed, HostError, InitFailed, MissingSlot
from . import loading, native
from .native import CLOSED, FRAME, GONE, MODE_NOTIFY, MODE_UNARY, NO_SLOT, NO_SLOT_STATUS, PENDING, REJECTED
from .nylon_ring_abi import LAYOUT_PROBE_SYMBOL, SET_HOST_EXT_SYMBOL, NrLayoutProbe, NrStatus
from .streams import BidiSession, Stream
from .types import (NULL_REQUEST, Frame, PluginInfo, Request, Response, Violation, as_status, status_name,
                    violation_kinds)
from .wire import OutBuffer, build_request, payload

if TYPE_CHECKING:  # asyncio is imported by the async methods only: it costs a fresh process ~25 ms
    import asyncio

#: Seconds a call waits for its answer unless told otherwise.
DEFAULT_TIMEOUT = 30.0
#: ABI 2: frames a stream may hold unread before send_result answers Backpressure (the
#: released host's default).
DEFAULT_STREAM_QUEUE = 64
#: ABI 2's optional layout probe export.
_LAYOUT_PROBE_V2 = "nylon_ring_layout_probe_v2"
#: Longest single blocking wait inside the helper, so Ctrl-C is noticed between slices.
_WAIT_SLICE = 0.25
_MAX_CACHED_ENTRIES = 1024
#: Entry and payload lengths the argument-conversion-free fast path can pass (C int).
_FAST_LIMIT = 2**31
#: nrh_violation: sid, seq, tid, t_ns, size, kind, status.
_VIOLATION_RECORD = struct.Struct("=5Q2I")

#: Everything a plugin may still reach after its Host object is gone: never released.
_KEEP_ALIVE: list[Any] = []
_KEEP_LOCK = threading.Lock()


def _keep_forever(*objects: Any) -> None:
    with _KEEP_LOCK:
        _KEEP_ALIVE.extend(objects)


class _Waiters:
    """asyncio waiters by sid, woken from any thread through the helper's notify hook."""

    def __init__(self) -> None:
        self.by_sid: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}
        self.callback = native.NotifyFn(self._notify)

    def _notify(self, sid: int) -> None:
        entry = self.by_sid.get(sid)
        if entry is None:
            return
        loop, event = entry
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass


_HOSTS: list[tuple[ctypes.CDLL, int]] = []


@atexit.register
def _silence_notify_hooks() -> None:
    """Plugin threads outliving the interpreter must not call into Python."""
    for shim, handle in _HOSTS:
        shim.nrh_set_notify(handle, ctypes.cast(None, native.NotifyFn))


class Host:
    """A loaded plugin. Create with :meth:`Host.load`; use as a context manager.

    Unary calls (:meth:`call`, :meth:`call_raw`) return a :class:`Response`;
    streams (:meth:`stream`, :meth:`stream_raw`) return a :class:`Stream` that
    yields :class:`Frame` objects until the terminal one; :meth:`bidi` opens a
    :class:`BidiSession`. The ``a``-prefixed methods are the asyncio variants.
    Every method is thread-safe. Protocol violations by the plugin never raise:
    they are collected in :attr:`violations`.
    """

    def __init__(self, path: str, lib: ctypes.CDLL, info: PluginInfo, shim: ctypes.CDLL, handle: int,
                 waiters: _Waiters, abandoned: list) -> None:
        self.path = path
        #: The ABI generation the plugin speaks: 1 (`nylon_ring_get_plugin_v1`) or 2 (`nylon_ring_get_plugin`).
        self.abi: int = info.abi
        self.lib = lib
        self.info = info
        self._shim = shim
        self._h = handle
        self._waiters = waiters
        self._abandoned = abandoned
        self._tls = threading.local()
        self._entries: dict[Any, tuple[bytes, int]] = {}
        self._violations: list[Violation] = []
        self._violation_lock = threading.Lock()
        self._closed = False
        self._close_lock = threading.Lock()
        self._nrh_call = shim.nrh_call
        self._py = native.python_api(self.abi)
        self._py_call_raw = self._py.nrh_py_call_raw
        self._host_arg = ctypes.c_void_p(handle)
        self._nrh_next = shim.nrh_next

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | os.PathLike, *, state: bool = True, check_slots: bool = True,
             first_sid: int | None = None, stream_queue: int | None = None, abi: int | None = None,
             hostile: bool = False) -> "Host":
        """Load and initialise a plugin of either ABI generation.

        The generation comes from the exported symbol (`abi` forces one):
        ``nylon_ring_get_plugin`` is ABI 2, ``nylon_ring_get_plugin_v1`` ABI 1. An
        ABI-1 export built with the crates.io ``nylon-ring`` 0.1.x crate (5 slots, no
        plugin_ctx) raises CratesIo01Plugin before anything is called. ABI 2 checks
        abi_version == 2, struct_size >= 56, the vtable, init and handle, and that
        resolve_entry and handle_by_id come as a pair; ``stream_queue`` bounds each
        stream's unread frames (default 64; 0 unbounded) before send_result answers
        Backpressure. For ABI 1 it works as follows.

        Opens the library (RTLD_NOW | RTLD_LOCAL, never unloaded), calls
        ``nylon_ring_get_plugin_v1``, validates the NrPluginInfo (abi_version,
        struct_size, vtable, required slots, UTF-8 name and version), checks that
        every non-NULL slot points into the plugin's code (``check_slots``), hands
        over the state extension through ``nylon_ring_set_host_ext_v1`` when the
        plugin exports it and ``state`` is true (``host_ctx`` also carries the
        NrHostExt pointer at byte 48 for seed-era Rust plugins), then calls ``init``.
        ``first_sid`` sets the first request's sid (default 1; see :meth:`set_next_sid`).
        ``hostile`` makes it the hostile-but-legal host of conformance (native/nrh_hostile.c):
        every input is a fresh, exactly-sized, read-only buffer with no NUL and a guard page
        after it, poisoned when the call returns; written inputs become violations.

        Raises one :class:`~nylon_ring_sdk.errors.PluginLoadError` subclass per
        broken rule: PluginNotFound, PluginOpenFailed, MissingSymbol, NullPluginInfo,
        AbiVersionMismatch, StructSizeMismatch, NullVTable, MissingSlot, InvalidSlot,
        InvalidPluginName, InvalidPluginVersion, InitFailed, CratesIo01Plugin.
        """
        name = str(path)
        lib, resolved = loading.open_library(path)
        _keep_forever(lib)
        generation = loading.generation(lib, name, abi)
        if generation == 2:
            vtable, info = loading.read_info_v2(name, loading.entry_point(lib, name, loading.ENTRY_SYMBOL_V2))
        else:
            address = loading.entry_point(lib, name)
            legacy = loading.crates_io_01_verdict(name, resolved, address)
            if legacy is not None:
                raise legacy
            vtable, info = loading.read_info(name, address)
        if check_slots:
            loading.check_slots(name, resolved, info.slots)
        shim = native.shim(generation)
        handle = shim.nrh_host_new(1 if state and generation == 1 else 0)
        if not handle:
            raise MemoryError("nrh_host_new failed")
        waiters, abandoned = _Waiters(), []
        _keep_forever(waiters, abandoned)
        _HOSTS.append((shim, handle))
        shim.nrh_set_notify(handle, waiters.callback)
        shim.nrh_bind(handle, info.plugin_ctx or None, vtable)
        if hostile and not shim.nrh_set_hostile(handle):
            raise MemoryError("nrh_set_hostile failed")
        host = cls(name, lib, info, shim, handle, waiters, abandoned)
        if first_sid is not None:
            host.set_next_sid(first_sid)
        if generation == 2:
            host.set_stream_queue(DEFAULT_STREAM_QUEUE if stream_queue is None else stream_queue)
        elif state:
            host._hand_over_state()
        status = shim.nrh_init(handle)
        if status != NrStatus.OK:
            host._closed = True
            raise InitFailed(name, f"init returned {status_name(status)} (expected Ok)")
        return host

    def _hand_over_state(self) -> None:
        try:
            fn = getattr(self.lib, SET_HOST_EXT_SYMBOL)
        except AttributeError:
            return
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p]
        fn(self._shim.nrh_host_ext(self._h))

    def sweep(self) -> None:
        """Hostile host: check every poisoned input and lease still kept (a written one is
        recorded as a violation) and release the owned answers held back; a no-op otherwise."""
        self._shim.nrh_hostile_sweep(self._h)

    def set_stream_queue(self, frames: int) -> None:
        """ABI 2: how many unread frames a stream may hold before send_result answers
        Backpressure (0: unbounded). ABI 1 streams are always unbounded."""
        if frames < 0:
            raise HostError(f"{self.path}: stream queue of {frames} frames (expected 0 or more)")
        if self.abi == 2:
            self._shim.nrh_set_stream_queue(self._h, frames)

    def set_next_sid(self, sid: int) -> None:
        """Make the next request's sid `sid` (only forward: sids are never reused).

        Large values (above 2**32) catch plugins that keep sids in 32 bits.
        """
        if not 0 < sid < 2**64:
            raise HostError(f"{self.path}: sid {sid} out of range (1 .. 2**64-1)")
        self._shim.nrh_set_next_sid(self._h, sid)

    def layout_probe(self) -> tuple[int, list[int]] | None:
        """``(probe_version, values)`` from ``nylon_ring_layout_probe_v1`` (ABI 2:
        ``nylon_ring_layout_probe_v2``), or None when not exported."""
        try:
            fn = getattr(self.lib, _LAYOUT_PROBE_V2 if self.abi == 2 else LAYOUT_PROBE_SYMBOL)
        except AttributeError:
            return None
        fn.restype = ctypes.c_void_p
        fn.argtypes = []
        address = fn()
        if not address:
            return (0, [])
        probe = NrLayoutProbe.from_address(address)
        count = min(probe.count, 4096)
        values = list((ctypes.c_uint32 * count).from_address(probe.values)) if probe.values and count else []
        return probe.probe_version, values

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Call the plugin's ``shutdown`` (once); later calls raise HostClosed. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._shim.nrh_shutdown(self._h)

    shutdown = close

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Host":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Host {self.info.name} {self.info.version} from {self.path}{' (closed)' if self._closed else ''}>"

    # ------------------------------------------------------------------ records

    @property
    def violations(self) -> list[Violation]:
        """Every forbidden callback recorded so far (oldest first); a copy."""
        self._drain_violations()
        with self._violation_lock:
            return list(self._violations)

    def _drain_violations(self) -> None:
        size = self._shim.nrh_violation_size()
        buf = ctypes.create_string_buffer(size * 256)
        record = _VIOLATION_RECORD
        kinds = violation_kinds(self.abi)
        while True:
            with self._violation_lock:
                n = self._shim.nrh_take_violations(self._h, buf, 256)
                for i in range(n):
                    sid, seq, tid, t_ns, length, kind, status = record.unpack_from(buf, i * size)
                    self._violations.append(Violation(sid, kinds.get(kind, f"kind({kind})"),
                                                      as_status(status, self.abi), length, tid, t_ns, seq))
            if n < 256:
                return

    def drop_state(self, sid: int) -> None:
        """Drop sid's per-sid state now, e.g. for an abandoned sid the plugin never ends.

        State is dropped anyway when the sid completes; views a plugin still holds
        become invalid, so only call this when the plugin is done with the sid.
        """
        self._shim.nrh_drop_sid_state(self._h, sid)

    def stats(self) -> dict[str, int]:
        """Live sessions, per-sid state entries held, violations dropped (log full); on
        ABI 2 also frames answered Backpressure, owned buffers released, and leases
        parked because the sid was answered another way."""
        values = [ctypes.c_uint64() for _ in range(6)]
        self._shim.nrh_stats(self._h, *(ctypes.byref(v) for v in values[:3]))
        stats = {"live_sessions": values[0].value, "state_entries": values[1].value,
                 "violations_dropped": values[2].value}
        if self.abi == 2:
            self._shim.nrh_counters(self._h, *(ctypes.byref(v) for v in values[3:]))
            stats.update(backpressured=values[3].value, owned_released=values[4].value,
                         parked_leases=values[5].value)
        return stats

    # ------------------------------------------------------------------ helpers

    def _entry(self, entry: str | bytes) -> tuple[bytes, int]:
        """The entry name's bytes and length (cached: most callers reuse a few names)."""
        try:
            return self._entries[entry]
        except KeyError:
            pass
        raw = entry if isinstance(entry, bytes) else entry.encode("utf-8")
        if len(raw) >= _FAST_LIMIT:
            raise HostError(f"{self.path}: entry name of {len(raw)} bytes is too long (NrStr.len is 32-bit)")
        if len(self._entries) < _MAX_CACHED_ENTRIES:
            self._entries[entry] = (raw, len(raw))
        return raw, len(raw)

    def _out(self) -> OutBuffer:
        """This thread's result buffer (unary calls on one thread never overlap)."""
        try:
            return self._tls.out
        except AttributeError:
            out = self._tls.out = OutBuffer(self._shim, self._py, self.abi)
            return out

    def _check_open(self) -> None:
        if self._closed:
            raise HostClosed(f"{self.path}: host is closed")

    def _start(self, raw: bool, mode: int, entry: str | bytes, request: Any, body: Any,
               out: OutBuffer) -> tuple[int, tuple]:
        """Call handle/handle_raw; returns the helper's code and what must stay alive."""
        self._check_open()
        e, e_len = self._entry(entry)
        data = payload(body)
        if self.abi == 2:
            self._no_request(request)
            raw = True
        req, req_keep = (None, []) if raw else build_request(request)
        code = self._nrh_call(self._h, 1 if raw else 0, mode, e, e_len, req, data,
                              len(data) if data is not None else 0, out.addr)
        if code == CLOSED:
            raise HostClosed(f"{self.path}: host is shut down")
        if code == NO_SLOT:
            slot = "handle_raw" if raw and self.abi == 1 else "handle"
            raise MissingSlot(self.path, f"vtable slot `{slot}` is NULL; cannot call entry {entry!r}")
        return code, (e, data, req_keep)

    def _no_request(self, request: Any) -> None:
        """ABI 2 calls carry no request metadata: giving some is a caller error, not a silent
        drop (None, NULL_REQUEST and an empty ``Request()`` carry none and are accepted)."""
        if request is not None and request is not NULL_REQUEST and request != Request():
            raise HostError(f"{self.path}: ABI 2 calls take no request metadata (got {request!r})")

    def abandon(self, sid: int, keep: Any = None) -> None:
        """Stop consuming sid: later frames are still checked, their payloads dropped."""
        self._shim.nrh_detach(self._h, sid)
        if keep is not None:
            self._abandoned.append(keep)

    def _timeout(self, entry: Any, sid: int, timeout: float | None, what: str) -> CallTimeout:
        return CallTimeout(f"{self.path}: entry {entry!r} sid {sid}: no {what} within {timeout} s", entry, sid)

    def wait_frame(self, sid: int, out: OutBuffer, timeout: float | None, entry: Any,
                   what: str = "result") -> None:
        """Block until the next frame of sid is in `out`; CallTimeout after `timeout` s (None: forever).

        The sid stays tracked after a timeout; callers that give up call :meth:`abandon`.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = _WAIT_SLICE
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise self._timeout(entry, sid, timeout, what)
            code = self._nrh_next(self._h, sid, int(wait * 1e9), out.addr)
            if code == FRAME:
                return
            self._check_code(code, entry, sid)

    def _check_code(self, code: int, entry: Any, sid: int) -> None:
        if code == CLOSED:
            raise HostClosed(f"{self.path}: host shut down while entry {entry!r} sid {sid} waited")
        if code == GONE:
            raise HostError(f"{self.path}: entry {entry!r} sid {sid} is no longer tracked")

    # ------------------------------------------------------------------ unary

    def call_raw(self, entry: str | bytes, body: Any = b"", *, timeout: float | None = DEFAULT_TIMEOUT) -> Response:
        """Call ``handle_raw``; wait up to `timeout` seconds for the one result.

        `body` is bytes (str is sent as UTF-8, None as a NULL pointer of length 0).
        A rejected request (handle_raw returned non-Ok) gives a Response with that
        status and no data. Raises CallTimeout, MissingSlot, HostClosed.
        """
        # The hot path of the host: kept inline (no helper calls) on purpose. The
        # helper refuses calls after close itself (code CLOSED).
        if body.__class__ is bytes:
            size = len(body)
        else:
            body = payload(body)
            size = len(body) if body is not None else 0
        try:
            e, e_len = self._entries[entry]
        except KeyError:
            e, e_len = self._entry(entry)
        if size < _FAST_LIMIT:
            result = self._py_call_raw(self._host_arg, e, e_len, body, size)
            if result.__class__ is not tuple:
                return result
            return self._unary_slow_path(result, entry, timeout, (e, body))
        out = self._out()
        code = self._nrh_call(self._h, 1, MODE_UNARY, e, e_len, None, body, size, out.addr)
        return out.response() if code == FRAME else self._unary_slow_path(out.outcome(), entry, timeout, (e, body))

    def _unary_slow_path(self, outcome: tuple[int, int, int, int], entry: Any, timeout: float | None,
                       keep: tuple) -> Response:
        """A unary call whose answer did not come inside handle: rejected, refused or waited for.

        `outcome` is (code, sid, handle_status, handle_ns) as the helper reported it.
        """
        code, sid, handle_status, handle_ns = outcome
        if code == REJECTED:
            status = as_status(handle_status, self.abi)
            return Response(status, b"", sid, status, handle_ns)
        if code == NO_SLOT:
            slot = {1: "handle_raw", 2: "handle"}[self.abi] if not isinstance(entry, int) else "handle_by_id"
            raise MissingSlot(self.path, f"vtable slot `{slot}` is NULL; cannot call entry {entry!r}")
        if code == CLOSED:
            self._check_open()
            raise HostClosed(f"{self.path}: host is shut down")
        out = self._out()
        try:
            self.wait_frame(sid, out, timeout, entry)
        except BaseException:
            self.abandon(sid, keep)
            raise
        return out.response()._replace(handle_ns=handle_ns)

    def call(self, entry: str | bytes, body: Any = b"", request: Request | None | object = None, *,
             timeout: float | None = DEFAULT_TIMEOUT) -> Response:
        """Call ``handle`` with request metadata (default ``Request()``; ``NULL_REQUEST``
        passes a NULL pointer); otherwise like :meth:`call_raw`. On ABI 2, which has no
        request, the same as :meth:`call_raw` (a request given raises HostError)."""
        if self.abi == 2:
            self._no_request(request)
            return self.call_raw(entry, body, timeout=timeout)
        out = self._out()
        code, keep = self._start(False, MODE_UNARY, entry, request, body, out)
        return out.response() if code == FRAME else self._unary_slow_path(out.outcome(), entry, timeout, keep)

    # ------------------------------------------------------------------ integer dispatch (ABI 2)

    def resolve(self, name: str | bytes) -> int:
        """The plugin's ``resolve_entry(name)``: an id for :meth:`call_by_id`, or
        NR_ENTRY_UNKNOWN (0xFFFFFFFF) for a name it does not export."""
        self._check_open()
        if not self.info.slots.get("resolve_entry"):
            raise MissingSlot(self.path, "vtable slot `resolve_entry` is NULL (the plugin has no integer dispatch)")
        e, e_len = self._entry(name)
        return self._shim.nrh_resolve(self._h, e, e_len)

    def call_by_id(self, entry_id: int, body: Any = b"", *, timeout: float | None = DEFAULT_TIMEOUT) -> Response:
        """``handle_by_id(entry_id, sid, body)``; otherwise like :meth:`call_raw`."""
        out = self._out()
        code, keep = self._start_by_id(MODE_UNARY, entry_id, body, out)
        return out.response() if code == FRAME else self._unary_slow_path(out.outcome(), entry_id, timeout, keep)

    def stream_by_id(self, entry_id: int, body: Any = b"", *, timeout: float | None = DEFAULT_TIMEOUT) -> Stream:
        """A server stream opened with ``handle_by_id``."""
        out = OutBuffer(self._shim, self._py, self.abi)
        code, keep = self._start_by_id(0, entry_id, body, out)
        return Stream(self, entry_id, out, code, keep, timeout)

    def bidi_by_id(self, entry_id: int, body: Any = b"", *, timeout: float | None = DEFAULT_TIMEOUT) -> BidiSession:
        """A bidirectional session opened with ``handle_by_id``."""
        out = OutBuffer(self._shim, self._py, self.abi)
        code, keep = self._start_by_id(0, entry_id, body, out)
        return BidiSession(self, entry_id, out, code, keep, timeout)

    def _start_by_id(self, mode: int, entry_id: int, body: Any, out: OutBuffer) -> tuple[int, tuple]:
        self._check_open()
        if self.abi != 2 or not self.info.slots.get("handle_by_id"):
            raise MissingSlot(self.path, f"vtable slot `handle_by_id` is NULL; cannot call entry id {entry_id}")
        if not 0 <= entry_id < 2**32:
            raise HostError(f"{self.path}: entry id {entry_id} out of range (a u32)")
        data = payload(body)
        code = self._shim.nrh_call_id(self._h, mode, entry_id, data, len(data) if data is not None else 0, out.addr)
        if code == CLOSED:
            raise HostClosed(f"{self.path}: host is shut down")
        return code, (data,)

    # ------------------------------------------------------------------ streams

    def stream(self, entry: str | bytes, body: Any = b"", request: Request | None | object = None, *,
               timeout: float | None = DEFAULT_TIMEOUT) -> Stream:
        """Open a server stream with ``handle``; iterate the returned Stream for its frames.

        `timeout` bounds the wait for each frame. The last frame yielded is the
        terminal one (StreamEnd, Err, Invalid or Unsupported).
        """
        return self._open_stream(False, entry, body, request, timeout, Stream)

    def stream_raw(self, entry: str | bytes, body: Any = b"", *, timeout: float | None = DEFAULT_TIMEOUT) -> Stream:
        """Like :meth:`stream` through ``handle_raw``."""
        return self._open_stream(True, entry, body, None, timeout, Stream)

    def bidi(self, entry: str | bytes, body: Any = b"", *, raw: bool = False, request: Request | None | object = None,
             timeout: float | None = DEFAULT_TIMEOUT) -> BidiSession:
        """Open a bidirectional session (``handle``, or ``handle_raw`` when `raw`)."""
        return self._open_stream(raw, entry, body, request, timeout, BidiSession)

    def _open_stream(self, raw: bool, entry: Any, body: Any, request: Any, timeout: float | None, kind: type) -> Any:
        out = OutBuffer(self._shim, self._py, self.abi)
        code, keep = self._start(raw, 0, entry, request, body, out)
        return kind(self, entry, out, code, keep, timeout)

    def stream_data(self, sid: int, data: Any) -> NrStatus | int:
        """Call the plugin's ``stream_data`` for any sid (bidi sessions use this); returns its status."""
        self._check_open()
        raw = payload(data)
        status = self._shim.nrh_stream_data(self._h, sid, raw, len(raw) if raw is not None else 0)
        return self._slot_status(status, "stream_data")

    def stream_close(self, sid: int) -> NrStatus | int:
        """Call the plugin's ``stream_close`` for any sid; returns its status."""
        self._check_open()
        return self._slot_status(self._shim.nrh_stream_close(self._h, sid), "stream_close")

    def _slot_status(self, status: int, slot: str) -> NrStatus | int:
        if status == NO_SLOT_STATUS:
            raise MissingSlot(self.path, f"vtable slot `{slot}` is NULL")
        return as_status(status, self.abi)

    # ------------------------------------------------------------------ asyncio

    async def acall_raw(self, entry: str | bytes, body: Any = b"", *,
                        timeout: float | None = DEFAULT_TIMEOUT) -> Response:
        """asyncio :meth:`call_raw`: the loop is woken from the plugin's thread."""
        return await self._acall(True, entry, body, None, timeout)

    async def acall(self, entry: str | bytes, body: Any = b"", request: Request | None | object = None, *,
                    timeout: float | None = DEFAULT_TIMEOUT) -> Response:
        """asyncio :meth:`call`."""
        return await self._acall(False, entry, body, request, timeout)

    async def _acall(self, raw: bool, entry: Any, body: Any, request: Any, timeout: float | None) -> Response:
        out = OutBuffer(self._shim, self._py, self.abi)
        code, keep = self._start(raw, MODE_UNARY | MODE_NOTIFY, entry, request, body, out)
        if code == FRAME:
            return out.response()
        if code == REJECTED:
            return out.rejected()
        sid = out.sid()
        try:
            await self.await_frame(sid, out, timeout, entry)
        except BaseException:
            self.abandon(sid, keep)
            raise
        return out.response()

    def astream(self, entry: str | bytes, body: Any = b"", request: Request | None | object = None, *,
                timeout: float | None = DEFAULT_TIMEOUT) -> AsyncIterator[Frame]:
        """asyncio :meth:`stream`: an async iterator of frames, the last one terminal."""
        return self._astream(False, entry, body, request, timeout)

    def astream_raw(self, entry: str | bytes, body: Any = b"", *,
                    timeout: float | None = DEFAULT_TIMEOUT) -> AsyncIterator[Frame]:
        """asyncio :meth:`stream_raw`."""
        return self._astream(True, entry, body, None, timeout)

    async def _astream(self, raw: bool, entry: Any, body: Any, request: Any,
                       timeout: float | None) -> AsyncIterator[Frame]:
        out = OutBuffer(self._shim, self._py, self.abi)
        code, keep = self._start(raw, MODE_NOTIFY, entry, request, body, out)
        if code == REJECTED:
            yield Stream.rejection(out, self.abi)
            return
        sid, finished = out.sid(), False
        try:
            while True:
                if code != FRAME:
                    await self.await_frame(sid, out, timeout, entry, "frame")
                code = PENDING
                frame = out.frame()
                finished = frame.terminal
                yield frame
                if finished:
                    return
        finally:
            if not finished:
                self.abandon(sid, keep)

    async def await_frame(self, sid: int, out: OutBuffer, timeout: float | None, entry: Any,
                          what: str = "result") -> None:
        """Wait without blocking the loop until the next frame of sid is in `out`.

        The plugin's thread wakes the loop through the helper's notify hook
        (``loop.call_soon_threadsafe``); the queue is polled after each wake-up and
        once before the first wait, so a frame sent before the waiter was
        registered is not missed.
        """
        import asyncio  # lazy: ~40 ms CPU that only the async methods need (see the TYPE_CHECKING import)

        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        self._waiters.by_sid[sid] = (loop, event)
        deadline = None if timeout is None else loop.time() + timeout
        try:
            while True:
                event.clear()
                code = self._nrh_next(self._h, sid, 0, out.addr)
                if code == FRAME:
                    return
                self._check_code(code, entry, sid)
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    raise self._timeout(entry, sid, timeout, what)
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except asyncio.TimeoutError:
                    pass
        finally:
            self._waiters.by_sid.pop(sid, None)


__all__ = ["Host", "Request", "Response", "Frame", "Violation", "PluginInfo", "NULL_REQUEST", "DEFAULT_TIMEOUT"]
