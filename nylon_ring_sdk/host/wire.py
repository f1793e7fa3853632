"""Moving bytes across the boundary: result buffers, request structs, payloads.

The native helper writes each popped frame into an ``nrh_out`` buffer owned by
Python; :class:`OutBuffer` reads it with one ``struct.unpack_from``. Small payloads
are copied inline into the buffer, large ones stay in the helper's frame until the
buffer is filled again or released.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Mapping
from typing import Any

from .nylon_ring_abi import NrHeader, NrRequest, NrStatus, NrStr
from .types import NULL_REQUEST, Frame, Request, Response, as_status

#: Layout of the nrh_out header: len, sid, handle_ns, tid, t_ns, seq, status, terminal,
#: handle_status, code, data, held, host; the inline payload buffer follows.
OUT_HEADER = struct.Struct("@6Q4I3P")
#: The leading fields a frame needs: len, sid, handle_ns, tid, t_ns, seq, status, terminal.
_FRAME_FIELDS = struct.Struct("@6Q2I")
INLINE_SIZE = 4096
_INLINE_AT = OUT_HEADER.size
_INLINE_END = _INLINE_AT + INLINE_SIZE
_STATUSES = {int(s): s for s in NrStatus}
_OK = NrStatus.OK
#: Header indexes used outside the hot paths.
SID, HANDLE_NS, HANDLE_STATUS, DATA = 1, 2, 8, 10


class OutBuffer:
    """One reusable ``nrh_out`` bound to a helper host; used by one consumer at a time
    (a thread, a stream, an asyncio call)."""

    __slots__ = ("buf", "addr", "_release")

    def __init__(self, shim: ctypes.CDLL, host: int) -> None:
        size = shim.nrh_out_size()
        if shim.nrh_out_inline_offset() != _INLINE_AT or size != _INLINE_END:
            raise ImportError("nylon_ring_sdk.host: native helper's nrh_out layout differs from wire.OUT_HEADER")
        self.buf = ctypes.create_string_buffer(size)
        self.addr = ctypes.addressof(self.buf)
        self._release = shim.nrh_out_release
        shim.nrh_out_bind(self.addr, host)

    def __del__(self) -> None:
        try:
            self._release(self.addr)
        except Exception:  # interpreter shutdown: the helper may be gone already
            pass

    def header(self) -> tuple[int, ...]:
        return OUT_HEADER.unpack_from(self.buf)

    def payload(self, n: int) -> bytes:
        """The popped frame's n payload bytes."""
        if n <= INLINE_SIZE:
            return self.buf[_INLINE_AT:_INLINE_AT + n]
        return ctypes.string_at(OUT_HEADER.unpack_from(self.buf)[DATA], n)

    def frame(self) -> Frame:
        """The frame the helper just popped into this buffer."""
        n, _sid, _hns, tid, t_ns, seq, st, term = _FRAME_FIELDS.unpack_from(self.buf)
        data = self.buf[_INLINE_AT:_INLINE_AT + n] if n <= INLINE_SIZE else self.payload(n)
        return tuple.__new__(Frame, (_STATUSES.get(st, st), data, tid, t_ns, seq, bool(term)))

    def response(self) -> Response:
        """A unary response from the frame the helper just popped."""
        n, sid, hns, tid, t_ns, seq, st, _term = _FRAME_FIELDS.unpack_from(self.buf)
        data = self.buf[_INLINE_AT:_INLINE_AT + n] if n <= INLINE_SIZE else self.payload(n)
        return tuple.__new__(Response, (_STATUSES.get(st, st), data, sid, _OK, hns, tid, t_ns, seq))

    def rejected(self) -> Response:
        """The response for a request whose handle returned non-Ok."""
        fields = OUT_HEADER.unpack_from(self.buf)
        status = as_status(fields[HANDLE_STATUS])
        return Response(status, b"", fields[SID], status, fields[HANDLE_NS])

    def sid(self) -> int:
        return OUT_HEADER.unpack_from(self.buf)[SID]


def payload(body: Any) -> bytes | None:
    """Bytes to pass as NrBytes: bytes as is, str as UTF-8, None as a NULL pointer."""
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def text(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def _nr_str(value: str | bytes, keep: list) -> NrStr:
    raw = text(value)
    keep.append(raw)
    return NrStr(ctypes.cast(ctypes.c_char_p(raw), ctypes.c_void_p), len(raw))


def build_request(request: Request | None | object) -> tuple[int | None, list]:
    """An NrRequest for `request` (None: the default Request(); NULL_REQUEST: a NULL pointer).

    Returns its address and the objects that must stay alive while the plugin may read it.
    """
    if request is NULL_REQUEST:
        return None, []
    req = request if request is not None else Request()
    keep: list = []
    items = list(req.headers.items()) if isinstance(req.headers, Mapping) else list(req.headers)
    headers = (NrHeader * max(len(items), 1))()
    for i, (key, value) in enumerate(items):
        headers[i] = NrHeader(_nr_str(key, keep), _nr_str(value, keep))
    nr = NrRequest()
    nr.path = _nr_str(req.path, keep)
    nr.method = _nr_str(req.method, keep)
    nr.query = _nr_str(req.query, keep)
    nr.headers = ctypes.cast(headers, ctypes.POINTER(NrHeader)) if items else None
    nr.headers_len = len(items)
    keep.extend((headers, nr))
    return ctypes.addressof(nr), keep
