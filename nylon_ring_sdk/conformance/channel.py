"""The worker's event channel: records only the suite can write.

A plugin runs inside the worker process, so it can write to any descriptor the
worker holds. The channel therefore does not trust the descriptor, it trusts
the records: every event is one line

    \\x1eNR1 <seq> <mac> <json>\\n

where ``mac`` is an HMAC-SHA256 (truncated to 128 bits) over ``<seq> <json>``
under a per-run key the runner hands the worker on stdin (then stdin is closed),
and ``seq`` counts up from 0, so a record cannot be replayed or reordered. A
plugin writing JSON lines to every open descriptor (by accident: a stray log
handle, a forked helper) produces lines without a valid MAC, which the runner
counts and ignores. The worker also moves the descriptor to a high number with
close-on-exec set, so a helper the plugin execs never holds it.

This stops accidents and careless plugins, not an attacker: code in the worker
can read the key from memory. Conformance is not a sandbox for hostile code.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
from typing import Any, Callable

MARK = b"\x1eNR1 "
#: The worker moves its end of the channel to a descriptor at or above this.
HIGH_FD = 737
_MAC_BYTES = 16


def new_key() -> bytes:
    return secrets.token_bytes(32)


def _mac(key: bytes, seq: int, body: bytes) -> bytes:
    return hmac.new(key, b"%d " % seq + body, hashlib.sha256).hexdigest()[: 2 * _MAC_BYTES].encode()


def hide_fd(fd: int) -> int:
    """Move `fd` to a high descriptor with close-on-exec set; the old number is closed."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD + secrets.randbelow(200))
    os.close(fd)
    return high


def emitter(fd: int, key: bytes) -> Callable[[dict], None]:
    """A thread-safe `emit(event)` writing authenticated records to `fd`."""
    lock = threading.Lock()
    counter = [0]

    def emit(event: dict) -> None:
        body = json.dumps(event, default=str, separators=(",", ":")).encode("utf-8")
        with lock:
            seq = counter[0]
            counter[0] += 1
            line = memoryview(MARK + b"%d " % seq + _mac(key, seq, body) + b" " + body + b"\n")
            while line:
                line = line[os.write(fd, line):]

    return emit


class Reader:
    """The runner's side: splits the byte stream into records and keeps the authentic ones."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.buffer = b""
        self.next_seq = 0
        #: Lines (or pieces of lines) on the channel that were not authentic records.
        self.rejected = 0

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        events = []
        for line in lines:
            event = self._record(line)
            if event is not None:
                events.append(event)
        return events

    def _record(self, line: bytes) -> dict[str, Any] | None:
        at = line.rfind(MARK)  # a plugin's bytes written just before a record end up in front of it
        if at < 0:
            self.rejected += bool(line.strip())
            return None
        self.rejected += bool(line[:at].strip())
        try:
            seq_text, mac, body = line[at + len(MARK):].split(b" ", 2)
            seq = int(seq_text)
        except ValueError:
            self.rejected += 1
            return None
        if seq != self.next_seq or not hmac.compare_digest(mac, _mac(self.key, seq, body)):
            self.rejected += 1
            return None
        try:
            event = json.loads(body)
        except ValueError:
            self.rejected += 1
            return None
        self.next_seq += 1
        return event if isinstance(event, dict) and "e" in event else None
