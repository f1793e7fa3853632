"""What a plugin writes to stdout, caught in every worker and judged once for the run.

A host that speaks a protocol over its stdout (a language server, a JSON-RPC worker,
a CGI-like runner) is corrupted by one stray `printf`. The worker points fd 1 at a
pipe of its own (the suite's event channel is another descriptor, see :mod:`.channel`),
flushes C stdio after every check (a `printf` to a pipe sits in stdio's buffer until
then), and reports the bytes with the check that was running as ``{"e": "stdout"}``
events. The runner keeps them from every worker and holds the verdict of `io.stdout`
back until the last worker has ended, so the check names the first check during which
bytes came, whichever process saw them.
"""

from __future__ import annotations

import ctypes
import os
import select
import threading
from dataclasses import replace
from typing import Any, Callable

from .report import CheckResult
from .rules import FAIL, SKIP, WARN, Check

#: The check this module judges.
CHECK_ID = "io.stdout"
#: Bytes of the first write shown in the verdict.
HEAD_BYTES = 120


class Capture:
    """The worker's side: fd 1 is a pipe drained by a thread, bytes tagged with the running check."""

    def __init__(self, emit: Callable[[dict], None]) -> None:
        self.emit = emit
        self.current: str | None = None
        self.lock = threading.Lock()
        self.pending: dict[str | None, bytearray] = {}
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 1)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        self.fd = read_fd
        self._fflush = _c_fflush()
        threading.Thread(target=self._drain_forever, name="nrc-stdout", daemon=True).start()

    def _drain_forever(self) -> None:
        while True:
            select.select([self.fd], [], [], 0.05)
            self._drain()

    def _drain(self) -> None:
        with self.lock:
            while True:
                try:
                    chunk = os.read(self.fd, 1 << 16)
                except BlockingIOError:
                    return
                if not chunk:
                    return
                self.pending.setdefault(self.current, bytearray()).extend(chunk)

    def switch(self, check_id: str | None) -> None:
        """The running check changes: what stdio still buffers belongs to the one that ends."""
        self.flush()
        with self.lock:
            self.current = check_id

    def flush(self) -> None:
        """Flush C stdio, take what the pipe holds, and report it."""
        if self._fflush is not None:
            self._fflush(None)
        self._drain()
        with self.lock:
            seen, self.pending = self.pending, {}
        for check_id, data in seen.items():
            self.emit({"e": "stdout", "check": check_id, "size": len(data),
                       "head": data[:HEAD_BYTES].decode("utf-8", "replace")})


def _c_fflush() -> Any:
    try:
        fflush = ctypes.CDLL(None).fflush
    except (OSError, AttributeError):
        return None
    fflush.argtypes, fflush.restype = [ctypes.c_void_p], ctypes.c_int
    return fflush


class StdoutLog:
    """The runner's side: stdout events from every worker, and the held verdict of `io.stdout`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: (check id, bytes, first bytes) in the order the events came.
        self.writes: list[tuple[str | None, int, str]] = []
        self.held: dict[str, CheckResult] = {}

    def note(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.writes.append((event.get("check"), int(event.get("size", 0)), str(event.get("head", ""))))

    def hold(self, check_id: str, result: CheckResult) -> bool:
        """Keep the worker's verdict of `io.stdout` until every worker has ended; True when held."""
        if check_id != CHECK_ID:
            return False
        self.held[check_id] = result
        return True

    def judge(self, checks: dict[str, Check]) -> list[CheckResult]:
        """The held verdict, turned into a warning when any worker saw bytes on stdout."""
        result = self.held.pop(CHECK_ID, None)
        if result is None:
            return []
        if result.status in (FAIL, SKIP) or not self.writes:
            return [result]
        first, size, head = self.writes[0]
        total = sum(n for _, n, _ in self.writes)
        during = sorted({c or "loading the plugin" for c, _, _ in self.writes})
        reason = (f"the plugin wrote {total} byte(s) to stdout, first during {first or 'loading the plugin'}: "
                  f"{head!r}{'...' if size > len(head) else ''} (a host that speaks over stdout is corrupted; "
                  "log to stderr)")
        return [replace(result, status=WARN, reason=reason,
                        details={"bytes": total, "during": during, "first_bytes": head})]
