"""Server streams and bidirectional sessions of the reference host.

A :class:`Stream` is the consumer of one sid: it pops that sid's frames in the
order the plugin sent them and stops after the terminal frame. Dropping or
closing it before the end detaches the sid: the host keeps checking the protocol
on it (a frame after its terminal frame is still a violation) but stops storing
payloads, and keeps every buffer the plugin was given alive.
"""

from __future__ import annotations

from typing import Any, Protocol

from .native import FRAME, REJECTED
from .nylon_ring_abi import NrStatus
from .types import Frame, as_status
from .wire import HANDLE_NS, HANDLE_STATUS, SID, OutBuffer, payload

_USE_DEFAULT: Any = object()


class StreamOwner(Protocol):
    """What a stream asks of the host that opened it (the host imports this module, never the reverse)."""

    abi: int

    @property
    def closed(self) -> bool: ...

    def wait_frame(self, sid: int, out: OutBuffer, timeout: float | None, entry: Any, what: str = ...) -> None: ...

    def abandon(self, sid: int, keep: Any = None) -> None: ...

    def stream_data(self, sid: int, data: Any) -> NrStatus | int: ...

    def stream_close(self, sid: int) -> NrStatus | int: ...


class Stream:
    """Iterator over the frames of one server stream, the last one terminal.

    Attributes: ``sid``; ``handle_status`` and ``handle_ns`` (what ``handle``
    returned and how long it took); ``rejected`` (handle returned non-Ok: the
    stream then yields a single synthetic terminal frame with that status);
    ``finished`` (the terminal frame was returned or the stream was closed).
    Iteration waits up to ``timeout`` seconds per frame and raises CallTimeout;
    the stream stays open after a timeout.
    """

    def __init__(self, host: StreamOwner, entry: Any, out: OutBuffer, code: int, keep: Any,
                 timeout: float | None) -> None:
        header = out.header()
        self.host = host
        self.entry = entry
        self.timeout = timeout
        self.sid: int = header[SID]
        self.handle_ns: int = header[HANDLE_NS]
        self.handle_status: NrStatus | int = as_status(header[HANDLE_STATUS], host.abi)
        self.rejected = code == REJECTED
        self.finished = False
        self._out = out
        self._ready = code == FRAME
        self._keep: list = [keep]

    @staticmethod
    def rejection(out: OutBuffer, abi: int = 1) -> Frame:
        """The synthetic terminal frame standing for a rejected handle."""
        return Frame(as_status(out.header()[HANDLE_STATUS], abi), b"", 0, 0, 0, True)

    def __iter__(self) -> "Stream":
        return self

    def __next__(self) -> Frame:
        frame = self.next_frame()
        if frame is None:
            raise StopIteration
        return frame

    def next_frame(self, timeout: float | None = _USE_DEFAULT) -> Frame | None:
        """The next frame; None once the terminal frame has been returned.

        Raises CallTimeout when nothing arrives within `timeout` seconds (default:
        the stream's timeout; None waits forever).
        """
        if self.finished:
            return None
        if self.rejected:
            self.finished = True
            return self.rejection(self._out, self.host.abi)
        if self._ready:
            self._ready = False
        else:
            wait = self.timeout if timeout is _USE_DEFAULT else timeout
            self.host.wait_frame(self.sid, self._out, wait, self.entry, "frame")
        frame = self._out.frame()
        if frame.terminal:
            self.finished = True
            self._keep = []
        return frame

    def abandon(self) -> None:
        """Stop consuming before the terminal frame (see the module docstring)."""
        if not self.finished:
            self.finished = True
            if not self.rejected:
                self.host.abandon(self.sid, self._keep)

    def close(self) -> None:
        """Stop consuming this stream (same as :meth:`abandon`)."""
        self.abandon()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.abandon()

    def __del__(self) -> None:
        try:
            self.abandon()
        except Exception:  # interpreter shutdown
            pass


class BidiSession(Stream):
    """A bidirectional stream: :meth:`send` frames in, iterate frames out.

    :meth:`close` half-closes (the plugin's ``stream_close``); the plugin still
    ends the stream with a terminal frame, which iteration then yields. Leaving the
    ``with`` block closes the session if that was not done, then stops consuming.
    Buffers sent stay alive until the session ends.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.close_status: NrStatus | int | None = None

    def send(self, data: Any) -> NrStatus | int:
        """``stream_data(sid, data)``; returns the status the plugin returned."""
        raw = payload(data)
        self._keep.append(raw)
        return self.host.stream_data(self.sid, raw)

    def close(self) -> NrStatus | int:
        """``stream_close(sid)`` once; returns the plugin's status (the first one on repeats)."""
        if self.close_status is None:
            self.close_status = self.host.stream_close(self.sid)
        return self.close_status

    def __exit__(self, *exc: Any) -> None:
        try:
            if self.close_status is None and not self.finished and not self.host.closed:
                self.close()
        finally:
            self.abandon()
