"""`--entry` and `--probe`: declaring entries on the command line, without a manifest file.

    --entry NAME=MODE[:PAYLOAD[:EXPECT]]
    --probe NAME[=MODE]

MODE is one of the manifest modes (unary, raw, stream, stream_raw, bidi). EXPECT is
what the entry must answer to PAYLOAD:

- unary, raw: the answer's bytes (status Ok);
- stream, stream_raw: the Ok frames, separated by commas (then StreamEnd);
- bidi: the frames sent with `stream_data`, separated by commas, each of which must
  come back (an echo), then StreamEnd after `stream_close`.

Without EXPECT the entry is still called by every check, but its answer is not
compared. Inside PAYLOAD and EXPECT, `\\:` is a colon, `\\,` a comma, `\\\\` a
backslash and `\\xHH` any byte. Examples:

    --entry echo=raw:hi:hi   --entry hello=unary:world   --entry count=stream_raw:3:0,1,2
    --entry chat=bidi::a,b   --probe panic=raw

A probe is a panic probe: an entry that panics on purpose and must answer Err.
Every mistake raises UsageError naming the option and what was expected.
"""

from __future__ import annotations

from ..errors import UsageError
from .manifest import MODES, PANIC_MODES, Entry

_SYNTAX = "expected NAME=MODE[:PAYLOAD[:EXPECT]], e.g. echo=raw:hi:hi"


def parse_entry(spec: str) -> Entry:
    """One `--entry` value as a manifest Entry."""
    name, sep, rest = spec.partition("=")
    name = name.strip()
    if not sep or not name:
        raise UsageError(f"--entry {spec!r}: {_SYNTAX}")
    fields = _split(rest, ":", spec)
    mode = fields[0].decode("utf-8", "replace")
    if mode not in MODES:
        raise UsageError(f"--entry {spec!r}: unknown mode {mode!r} (expected {', '.join(MODES)})")
    if len(fields) > 3:
        raise UsageError(f"--entry {spec!r}: too many ':' fields (write a colon inside a value as \\:; {_SYNTAX})")
    payload = fields[1].replace(_COMMA, b",") if len(fields) > 1 else b""
    if len(fields) < 3:
        return Entry(name=name, mode=mode, payload=payload)
    expect = fields[2]
    if mode in ("unary", "raw"):
        return Entry(name=name, mode=mode, payload=payload, expect_status="Ok", expect=expect.replace(_COMMA, b","))
    frames = tuple(_split_raw_list(expect, spec)) if expect else ()
    if mode == "bidi":
        return Entry(name=name, mode=mode, payload=payload, send=frames, expect_frames=frames, expect_terminal="StreamEnd")
    return Entry(name=name, mode=mode, payload=payload, expect_frames=frames, expect_terminal="StreamEnd")


def parse_probe(spec: str) -> Entry:
    """One `--probe` value as a panic probe."""
    name, _, mode = spec.partition("=")
    name, mode = name.strip(), (mode.strip() or "raw")
    if not name:
        raise UsageError(f"--probe {spec!r}: expected NAME[=MODE], e.g. panic=raw")
    if mode not in PANIC_MODES:
        raise UsageError(f"--probe {spec!r}: unknown mode {mode!r} (expected {', '.join(PANIC_MODES)})")
    return Entry(name=name, mode=mode, payload=b"", expect_status="Err")


def parse_all(entries: list[str] | None, probes: list[str] | None) -> tuple[list[Entry], list[Entry]]:
    """Every `--entry` and `--probe`; a name given twice is a usage error."""
    parsed = [parse_entry(s) for s in entries or ()]
    parsed_probes = [parse_probe(s) for s in probes or ()]
    seen: set[str] = set()
    for e in parsed + parsed_probes:
        if e.name in seen:
            raise UsageError(f"--entry/--probe {e.name}: declared twice")
        seen.add(e.name)
    return parsed, parsed_probes


def _split(text: str, sep: str, spec: str) -> list[bytes]:
    """Split on unescaped `sep`, then decode escapes in each field."""
    fields, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if ch == sep:
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    fields.append("".join(current))
    return [_unescape(f, spec) if k else f.encode("utf-8") for k, f in enumerate(fields)]


def _split_raw_list(value: bytes, spec: str) -> list[bytes]:
    """EXPECT was unescaped already; an escaped comma is still the _COMMA marker."""
    return [part.replace(_COMMA, b",") for part in value.split(b",")]


#: What `\\,` stands for until a field is split on commas (no comma in it, so splitting keeps it whole).
_COMMA = b"\x00\x1f\x00"


def _unescape(text: str, spec: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        nxt = text[i + 1:i + 2]
        if nxt in (":", "\\"):
            out += nxt.encode()
            i += 2
        elif nxt == ",":
            out += _COMMA
            i += 2
        elif nxt == "x" and len(text) >= i + 4:
            try:
                out.append(int(text[i + 2:i + 4], 16))
            except ValueError:
                raise UsageError(f"--entry {spec!r}: bad escape {text[i:i + 4]!r} (expected \\xHH)") from None
            i += 4
        else:
            raise UsageError(f"--entry {spec!r}: bad escape {text[i:i + 2]!r} (expected \\:, \\,, \\\\ or \\xHH)")
    return bytes(out)
