"""Reading what a sanitizer runtime wrote (see :mod:`.sanitize`): the first error of a
worker's report files as a failing check's details and one reason line.

Frames are printed by the runtime with their module (``stack_trace_format``), so the
plugin's own frames can be picked out and put first; the whole report follows them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sanitize import NAMES

_FRAME = re.compile(r"^\s*#(\d+)\s+(?:0x[0-9a-f]+\s+)?(?:in\s+)?(.*?)\s*\(([^()]*?)\+0x[0-9a-f]+\)\s*$")
_HEADLINE = re.compile(r"(?:ERROR|WARNING): (\w+Sanitizer): (.+?)(?: \(pid=\d+\))?(?: on (?:address|unknown address).*)?$")
_UBSAN = re.compile(r"^(\S+?:\d+(?::\d+)?): runtime error: (.+)$")
_SUMMARY = re.compile(r"^SUMMARY: (\w+Sanitizer): (\S+)")
#: UBSan's runtime error messages and the error type its SUMMARY line would name (GCC's
#: runtime aborts before printing one).
_UBSAN_TYPES = (("signed integer overflow", "signed-integer-overflow"), ("negation of", "signed-integer-overflow"),
                ("misaligned address", "misaligned-pointer-use"), ("null pointer", "null-pointer-use"),
                ("out of bounds", "out-of-bounds-index"), ("shift exponent", "invalid-shift-exponent"),
                ("left shift of", "invalid-shift-base"), ("division by zero", "integer-divide-by-zero"),
                ("pointer overflow", "pointer-overflow"), ("not a valid value for type", "invalid-bool-load"),
                ("null pointer passed", "nonnull-attribute"), ("unreachable", "unreachable-call"))


@dataclass
class Frame:
    """One frame of a sanitizer stack: `where` is `file:line[:col]` when symbolized."""

    text: str
    function: str
    where: str
    module: str

    def short(self) -> str:
        place = os.path.basename(self.where) if self.where else os.path.basename(self.module)
        return f"{self.function} ({place})" if self.function else place


def _frame(line: str) -> Frame | None:
    m = _FRAME.match(line)
    if m is None:
        return None
    body, module = m.group(2), m.group(3)
    parts = body.split(" ")
    function = parts[0] if parts and parts[0] not in ("<null>", "") else ""
    where = next((p for p in parts[1:] if re.search(r":\d+", p) and "<null>" not in p), "")
    return Frame(line.strip(), function, where, module)


def parse_report(text: str, plugin: Path) -> dict[str, Any] | None:
    """The first sanitizer error of `text` as check details: its kind, the plugin's frames
    first, and the whole report; None when the text holds no error report."""
    kind, tool = _kind(text)
    if kind is None:
        return None
    frames = [f for f in (_frame(line) for line in text.splitlines()) if f is not None]
    mine = [f for f in frames if _is_plugin(f.module, plugin)]
    return {"tool": tool, "kind": kind, "plugin_frames": [f.text for f in mine],
            "frame": mine[0].short() if mine else None, "report": text.strip()}


def _kind(text: str) -> tuple[str | None, str | None]:
    """(error kind, sanitizer) of the first error; UBSan's kind is its SUMMARY's error type
    (`misaligned-pointer-use`), the message itself names addresses and types."""
    summary = next((m for m in map(_SUMMARY.match, (ln.strip() for ln in text.splitlines())) if m), None)
    for line in text.splitlines():
        line = line.strip()
        m = _HEADLINE.search(line)
        if m:
            return m.group(2).strip(), m.group(1)
        m = _UBSAN.match(line)
        if m:
            if summary is not None and summary.group(1) == NAMES["undefined"]:
                return summary.group(2), NAMES["undefined"]
            message = m.group(2)
            kind = next((t for text, t in _UBSAN_TYPES if text in message), None)
            return kind or re.sub(r"\s*0x[0-9a-f]+", "", message.split(":")[0]).strip(), NAMES["undefined"]
    return (summary.group(2), summary.group(1)) if summary else (None, None)


def _is_plugin(module: str, plugin: Path) -> bool:
    if not module:
        return False
    try:
        return os.path.realpath(module) == os.path.realpath(plugin) or os.path.basename(module) == plugin.name
    except OSError:
        return False


def reason(report: dict[str, Any]) -> str:
    """The one line a failing check shows: the error kind and the plugin's frame."""
    where = f" in {report['frame']}" if report.get("frame") else " (no frame of the plugin in the report)"
    return f"{report['tool']}: {report['kind']}{where}"


def read_reports(folder: Path, plugin: Path) -> dict[str, Any] | None:
    """The report a worker left in `folder` (its log files, oldest first), parsed; None when none."""
    try:
        files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime)
    except OSError:
        return None
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        parsed = parse_report(text, plugin)
        if parsed is not None:
            return parsed
    return None
