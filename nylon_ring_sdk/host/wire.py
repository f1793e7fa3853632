"""Moving bytes across the boundary: result buffers, request structs, payloads.

The native helper pops each frame into an ``nrh_out`` buffer owned by Python
(small payloads inline, large ones in the helper's frame until copied out) and
builds the Frame or Response from it; :class:`OutBuffer` wraps one such buffer.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Mapping
from typing import Any

from ..errors import ShimBuildError
from .nylon_ring_abi import NrHeader, NrRequest, NrStr
from .types import NULL_REQUEST, Frame, Request, Response, as_status

#: Layout of the nrh_out header: len, sid, handle_ns, tid, t_ns, seq, status, terminal,
#: handle_status, code, path, data, held; the inline payload buffer follows.
OUT_HEADER = struct.Struct("@6Q5I2P")
INLINE_SIZE = 4096
#: Header indexes.
SID, HANDLE_NS, HANDLE_STATUS, CODE = 1, 2, 8, 9


class OutBuffer:
    """One reusable ``nrh_out``, used by one consumer at a time (a thread, a stream, an
    asyncio call). The helper pops frames into it; the Frame/Response objects are
    built natively (see nrh_shim.c)."""

    __slots__ = ("buf", "addr", "_release", "_frame", "_response", "_abi")

    def __init__(self, shim: ctypes.CDLL, py: ctypes.PyDLL, abi: int = 1) -> None:
        size = shim.nrh_out_size()
        if shim.nrh_out_inline_offset() != OUT_HEADER.size or size != OUT_HEADER.size + INLINE_SIZE:
            raise ShimBuildError("nylon_ring_sdk/host/native/nrh_shim.c: nrh_out layout differs from wire.OUT_HEADER")
        self.buf = ctypes.create_string_buffer(size)
        self.addr = ctypes.addressof(self.buf)
        self._release = shim.nrh_out_release
        self._frame = py.nrh_py_frame
        self._response = py.nrh_py_response
        self._abi = abi

    def __del__(self) -> None:
        try:
            self._release(self.addr)
        except Exception:  # interpreter shutdown: the helper may be gone already
            pass

    def header(self) -> tuple[int, ...]:
        return OUT_HEADER.unpack_from(self.buf)

    def frame(self) -> Frame:
        """The frame the helper just popped into this buffer."""
        return self._frame(self.buf)

    def response(self) -> Response:
        """A unary response from the frame the helper just popped."""
        return self._response(self.buf)

    def rejected(self) -> Response:
        """The response for a request whose handle returned non-Ok."""
        fields = OUT_HEADER.unpack_from(self.buf)
        status = as_status(fields[HANDLE_STATUS], self._abi)
        return Response(status, b"", fields[SID], status, fields[HANDLE_NS])

    def sid(self) -> int:
        return OUT_HEADER.unpack_from(self.buf)[SID]

    def outcome(self) -> tuple[int, int, int, int]:
        """(code, sid, handle_status, handle_ns) of the last nrh_call."""
        fields = OUT_HEADER.unpack_from(self.buf)
        return fields[CODE], fields[SID], fields[HANDLE_STATUS], fields[HANDLE_NS]


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
