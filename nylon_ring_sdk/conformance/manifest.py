"""The conformance manifest `nylon-ring.toml`: what a plugin declares about itself.

The suite can judge most rules without knowing a plugin, but not whether `hello`
answers "GET /hello world": that is what the manifest says. It lists the plugin's
entries with their mode, a sample payload and the expected answer, the entries
that panic on purpose, and the checks the plugin opts out of (with a reason).

Every mistake in the file raises :class:`~nylon_ring_sdk.errors.ManifestError`
with one line naming the file, the key and what was expected, e.g.
``nylon-ring.toml: entries[2].mode: unknown mode 'steam' (expected unary, raw, stream, stream_raw, bidi)``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..errors import ManifestError

MANIFEST_NAME = "nylon-ring.toml"
#: Modes an entry can have; unary and stream go through `handle` (with a request).
MODES = ("unary", "raw", "stream", "stream_raw", "bidi")
PANIC_MODES = ("raw", "unary")
#: Status spellings accepted in `expect_status`/`expect_terminal` (case-insensitive).
STATUS_NAMES = ("Ok", "Err", "Invalid", "Unsupported", "StreamEnd")
UNKNOWN_ENTRY_ANSWERS = ("unsupported", "invalid")
#: What `stream_data`/`stream_close` on a sid the plugin does not know answer: the ABI
#: says "should return Invalid" (abi-v1-facts, protocol rules), so only a plugin that
#: declares "invalid" is held to it; "any" is the default.
UNKNOWN_SID_ANSWERS = ("any", "invalid")
#: The optional export holding the embedded manifest (NUL-terminated TOML).
EMBEDDED_SYMBOL = "nylon_ring_manifest"
#: An embedded manifest longer than this is refused (a missing NUL would read on forever).
EMBEDDED_MAX = 1 << 20
#: How many folders above the plugin file are searched for a manifest.
SEARCH_DEPTH = 4

_ENTRY_KEYS = {"name", "mode", "payload", "payload_hex", "request", "expect_status", "expect", "expect_hex",
               "expect_frames", "expect_frames_hex", "expect_terminal", "send", "send_hex"}
_PROBE_KEYS = {"name", "mode", "payload", "payload_hex", "request"}
_REQUEST_KEYS = {"method", "path", "query", "headers"}


@dataclass(frozen=True)
class RequestSpec:
    """Request metadata for an entry called through `handle`."""

    method: str = "GET"
    path: str = "/"
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Entry:
    """One declared entry: how to call it and, optionally, what it must answer."""

    name: str
    mode: str
    payload: bytes = b""
    request: RequestSpec | None = None
    expect_status: str | None = None
    expect: bytes | None = None
    expect_frames: tuple[bytes, ...] | None = None
    expect_terminal: str | None = None
    send: tuple[bytes, ...] = ()

    @property
    def uses_handle(self) -> bool:
        """Called through `handle` with request metadata (else `handle_raw`)."""
        return self.mode in ("unary", "stream")

    @property
    def is_unary(self) -> bool:
        return self.mode in ("unary", "raw")

    @property
    def is_stream(self) -> bool:
        return self.mode in ("stream", "stream_raw")

    @property
    def is_echo(self) -> bool:
        """The declared answer is the payload itself, so any payload's answer is known."""
        return self.is_unary and self.expect == self.payload and (self.expect_status or "Ok") == "Ok"


@dataclass(frozen=True)
class Manifest:
    """A loaded manifest; `path` is None for the empty manifest used when none exists."""

    path: str | None = None
    name: str | None = None
    unknown_entry: str = "unsupported"
    unknown_sid: str = "any"
    entries: tuple[Entry, ...] = ()
    panic_probes: tuple[Entry, ...] = ()
    opt_out: dict[str, str] = field(default_factory=dict)

    @property
    def present(self) -> bool:
        return self.path is not None

    def entries_of(self, *modes: str) -> list[Entry]:
        return [e for e in self.entries if e.mode in modes]

    @property
    def declared_names(self) -> set[str]:
        return {e.name for e in self.entries} | {p.name for p in self.panic_probes}

    def with_entries(self, entries: Iterable[Entry], probes: Iterable[Entry] = (), where: str = "--entry") -> "Manifest":
        """This manifest with `entries` and `probes` added; one of the same name is replaced."""
        entries, probes = tuple(entries), tuple(probes)
        if not entries and not probes:
            return self
        names = {e.name for e in entries}
        probe_names = {p.name for p in probes}
        return Manifest(self.path or where, self.name, self.unknown_entry, self.unknown_sid,
                        tuple(e for e in self.entries if e.name not in names) + entries,
                        tuple(p for p in self.panic_probes if p.name not in probe_names) + probes, dict(self.opt_out))


def find_manifest(plugin: str | os.PathLike) -> Path | None:
    """`nylon-ring.toml` beside the plugin file, or in one of the folders above it.

    A built library usually sits a few folders below its project
    (`target/release/`, `zig-out/lib/`, `build/`); the search stops at a folder
    holding `.git` so that a manifest of an enclosing repository is not picked up.
    """
    folder = Path(plugin).resolve().parent
    for _ in range(SEARCH_DEPTH + 1):
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent
    return None


def load_manifest(path: str | os.PathLike, known_checks: Iterable[str] | None = None) -> Manifest:
    """Parse and validate a manifest file; `known_checks` validates the `[opt_out]` ids."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{where}: not UTF-8 text (byte offset {exc.start}: {exc.reason}; "
                            "expected a nylon-ring.toml manifest in UTF-8)") from None
    except IsADirectoryError:
        raise ManifestError(f"{where}: is a directory (expected a nylon-ring.toml manifest file)") from None
    except OSError as exc:
        raise ManifestError(f"{where}: cannot read manifest: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{where}: invalid TOML: {exc}") from None
    return _Parser(where, known_checks).manifest(data)


def load_manifest_text(text: str, where: str, known_checks: Iterable[str] | None = None) -> Manifest:
    """Parse and validate manifest text (an embedded manifest); errors name `where`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{where}: invalid TOML: {exc}") from None
    return _Parser(where, known_checks).manifest(data)


class _Parser:
    """Validates the parsed TOML; every error names the file and the key path."""

    def __init__(self, where: str, known_checks: Iterable[str] | None) -> None:
        self.where = where
        self.known = set(known_checks) if known_checks is not None else None

    def error(self, key: str, message: str) -> ManifestError:
        return ManifestError(f"{self.where}: {key}: {message}")

    def manifest(self, data: dict[str, Any]) -> Manifest:
        self.keys("(top level)", data, {"plugin", "entries", "panic_probes", "opt_out"})
        plugin = self.table("plugin", data.get("plugin", {}))
        self.keys("plugin", plugin, {"name", "unknown_entry", "unknown_sid"})
        name = self.string("plugin.name", plugin["name"]) if "name" in plugin else None
        unknown = self.string("plugin.unknown_entry", plugin.get("unknown_entry", "unsupported")).lower()
        if unknown not in UNKNOWN_ENTRY_ANSWERS:
            raise self.error("plugin.unknown_entry", f"unknown value {unknown!r} (expected \"unsupported\" or \"invalid\")")
        unknown_sid = self.string("plugin.unknown_sid", plugin.get("unknown_sid", "any")).lower()
        if unknown_sid not in UNKNOWN_SID_ANSWERS:
            raise self.error("plugin.unknown_sid", f"unknown value {unknown_sid!r} (expected \"any\" or \"invalid\")")
        entries = tuple(self.entry(f"entries[{i}]", e) for i, e in enumerate(self.array("entries", data.get("entries", []))))
        probes = tuple(self.probe(f"panic_probes[{i}]", p)
                       for i, p in enumerate(self.array("panic_probes", data.get("panic_probes", []))))
        self.unique("entries", entries)
        self.unique("panic_probes", probes)
        return Manifest(self.where, name, unknown, unknown_sid, entries, probes, self.opt_out(data.get("opt_out", {})))

    # ---------------------------------------------------------------- tables

    def entry(self, key: str, raw: Any) -> Entry:
        table = self.table(key, raw)
        self.keys(key, table, _ENTRY_KEYS)
        name, mode = self.name_and_mode(key, table, MODES)
        if "request" in table and mode not in ("unary", "stream"):
            raise self.error(f"{key}.request", f"only unary and stream entries take a request (this one is {mode})")
        unary_only = ("expect_status", "expect", "expect_hex")
        stream_only = ("expect_frames", "expect_frames_hex", "expect_terminal")
        self.only_for(key, table, unary_only, mode in ("unary", "raw"), "unary and raw")
        self.only_for(key, table, stream_only, mode not in ("unary", "raw"), "stream, stream_raw and bidi")
        self.only_for(key, table, ("send", "send_hex"), mode == "bidi", "bidi")
        frames = self.byte_list(key, table, "expect_frames")
        return Entry(
            name=name, mode=mode, payload=self.text_or_hex(key, table, "payload") or b"",
            request=self.request(f"{key}.request", table["request"]) if "request" in table else None,
            expect_status=self.status(f"{key}.expect_status", table["expect_status"]) if "expect_status" in table else None,
            expect=self.text_or_hex(key, table, "expect"),
            expect_frames=tuple(frames) if frames is not None else None,
            expect_terminal=self.status(f"{key}.expect_terminal", table["expect_terminal"]) if "expect_terminal" in table else None,
            send=tuple(self.byte_list(key, table, "send") or ()),
        )

    def probe(self, key: str, raw: Any) -> Entry:
        table = self.table(key, raw)
        self.keys(key, table, _PROBE_KEYS)
        name, mode = self.name_and_mode(key, table, PANIC_MODES)
        if "request" in table and mode != "unary":
            raise self.error(f"{key}.request", "only unary probes take a request")
        request = self.request(f"{key}.request", table["request"]) if "request" in table else None
        return Entry(name=name, mode=mode, payload=self.text_or_hex(key, table, "payload") or b"",
                     request=request, expect_status="Err")

    def request(self, key: str, raw: Any) -> RequestSpec:
        table = self.table(key, raw)
        self.keys(key, table, _REQUEST_KEYS)
        headers = table.get("headers", {})
        if isinstance(headers, dict):
            pairs = [(k, self.string(f"{key}.headers.{k}", v)) for k, v in headers.items()]
        elif isinstance(headers, list):
            pairs = [self.pair(f"{key}.headers[{i}]", h) for i, h in enumerate(headers)]
        else:
            raise self.error(f"{key}.headers", "expected a table of name = value (or a list of [name, value] pairs)")
        return RequestSpec(method=self.string(f"{key}.method", table.get("method", "GET")),
                           path=self.string(f"{key}.path", table.get("path", "/")),
                           query=self.string(f"{key}.query", table.get("query", "")), headers=tuple(pairs))

    def opt_out(self, raw: Any) -> dict[str, str]:
        table = self.table("opt_out", raw)
        result: dict[str, str] = {}
        for check_id, reason in table.items():
            key = f"opt_out.{check_id!r}" if "." in check_id else f"opt_out.{check_id}"
            if self.known is not None and check_id not in self.known:
                raise self.error(key, "unknown check id (run `nylon-ring conformance PLUGIN --list` for the ids)")
            reason = self.string(key, reason).strip()
            if not reason:
                raise self.error(key, "a reason is required (a non-empty string)")
            result[check_id] = reason
        return result

    # ---------------------------------------------------------------- values

    def name_and_mode(self, key: str, table: dict, modes: tuple[str, ...]) -> tuple[str, str]:
        if "name" not in table:
            raise self.error(f"{key}.name", "missing (expected the entry name the plugin routes on)")
        name = self.string(f"{key}.name", table["name"])
        if not name:
            raise self.error(f"{key}.name", "must not be empty")
        mode = self.string(f"{key}.mode", table.get("mode", "unary"))
        if mode not in modes:
            raise self.error(f"{key}.mode", f"unknown mode {mode!r} (expected {', '.join(modes)})")
        return name, mode

    def only_for(self, key: str, table: dict, names: tuple[str, ...], allowed: bool, modes: str) -> None:
        for name in names:
            if name in table and not allowed:
                raise self.error(f"{key}.{name}", f"only {modes} entries take this key (this one is {table.get('mode', 'unary')})")

    def text_or_hex(self, key: str, table: dict, name: str) -> bytes | None:
        if name in table and f"{name}_hex" in table:
            raise self.error(f"{key}.{name}", f"give either {name} or {name}_hex, not both")
        if name in table:
            return self.string(f"{key}.{name}", table[name]).encode("utf-8")
        if f"{name}_hex" in table:
            return self.hex(f"{key}.{name}_hex", table[f"{name}_hex"])
        return None

    def byte_list(self, key: str, table: dict, name: str) -> list[bytes] | None:
        if name in table and f"{name}_hex" in table:
            raise self.error(f"{key}.{name}", f"give either {name} or {name}_hex, not both")
        for suffix, convert in (("", lambda k, v: self.string(k, v).encode("utf-8")), ("_hex", self.hex)):
            if f"{name}{suffix}" in table:
                items = self.array(f"{key}.{name}{suffix}", table[f"{name}{suffix}"])
                return [convert(f"{key}.{name}{suffix}[{i}]", v) for i, v in enumerate(items)]
        return None

    def hex(self, key: str, value: Any) -> bytes:
        text = self.string(key, value)
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise self.error(key, f"not hexadecimal bytes: {text[:40]!r} (expected pairs of hex digits, e.g. \"00ff\")") from None

    def status(self, key: str, value: Any) -> str:
        text = self.string(key, value)
        for name in STATUS_NAMES:
            if text.lower().replace("_", "") == name.lower():
                return name
        raise self.error(key, f"unknown status {text!r} (expected {', '.join(STATUS_NAMES)})")

    def pair(self, key: str, value: Any) -> tuple[str, str]:
        if not isinstance(value, list) or len(value) != 2:
            raise self.error(key, "expected a [name, value] pair")
        return self.string(f"{key}[0]", value[0]), self.string(f"{key}[1]", value[1])

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {type(value).__name__} {value!r}")
        return value

    def table(self, key: str, value: Any) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table, got {type(value).__name__}")
        return value

    def array(self, key: str, value: Any) -> list:
        if not isinstance(value, list):
            raise self.error(key, f"expected an array, got {type(value).__name__}")
        return value

    def keys(self, key: str, table: dict, allowed: set[str]) -> None:
        for name in table:
            if name not in allowed:
                raise self.error(f"{key}.{name}" if key != "(top level)" else name,
                                 f"unknown key (expected one of {', '.join(sorted(allowed))})")

    def unique(self, key: str, entries: tuple[Entry, ...]) -> None:
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            if entry.name in seen:
                raise self.error(f"{key}[{i}].name", f"entry {entry.name!r} is declared twice")
            seen.add(entry.name)
