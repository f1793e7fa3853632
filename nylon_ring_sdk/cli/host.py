"""`nylon-ring call`: a plugin's curl, on the reference host."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..errors import NylonRingError
from .app import app, fail

#: Exit code when the plugin answered, but not with Ok (unary) / StreamEnd (stream).
EXIT_NOT_OK = 2


def _read_data(data: Optional[str]) -> bytes:
    """`TEXT` as UTF-8, `@FILE` as the file's bytes, `@-` as stdin."""
    if data is None:
        return b""
    if not data.startswith("@"):
        return data.encode("utf-8")
    name = data[1:]
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise fail(f"--data @{name}: cannot read file ({exc.strerror or exc})")


def _headers(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition(":")
        if not sep or not key.strip():
            raise fail(f"--header {value!r}: expected KEY:VALUE")
        pairs.append((key.strip(), rest.strip()))
    return pairs


def _frame_line(status: Any, data: bytes) -> str:
    # lazy: the reference host (ctypes) costs every command ~30 ms CPU; `call` alone needs it
    from ..host import status_name

    text = data.decode("utf-8", "backslashreplace")
    return f"{status_name(int(status))} {text}" if data else status_name(int(status))


def _frame_json(status: Any, data: bytes) -> dict[str, Any]:
    # lazy: the reference host (ctypes) costs every command ~30 ms CPU; `call` alone needs it
    from ..host import status_name

    item: dict[str, Any] = {"status": status_name(int(status)), "status_code": int(status)}
    try:
        item["data"] = data.decode("utf-8")
    except UnicodeDecodeError:
        item["data_base64"] = base64.b64encode(data).decode("ascii")
    return item


def _entry_id(host: Any, entry: str) -> int:
    """`--by-id`: the id resolve_entry gives `entry`, or a one-line error."""
    # lazy: the reference host (ctypes) costs every command ~30 ms CPU; `call` alone needs it
    from ..host.nylon_ring_abi2 import NR_ENTRY_UNKNOWN

    if host.abi != 2:
        raise fail(f"--by-id: {host.path} speaks ABI 1, which has no integer dispatch (expected an ABI 2 plugin)")
    if not host.info.slots.get("resolve_entry"):
        raise fail(f"--by-id: {host.path} has no resolve_entry/handle_by_id slots (expected integer dispatch)")
    entry_id = host.resolve(entry)
    if entry_id == NR_ENTRY_UNKNOWN:
        raise fail(f"--by-id: resolve_entry({entry!r}) returned NR_ENTRY_UNKNOWN (expected an entry the plugin exports)")
    return entry_id


def _start(host: Any, kind: str, entry: str, body: bytes, request: Any, timeout: float, by_id: bool) -> Any:
    """The host method the options pick for `kind` (`call` or `stream`): by id, raw, or with a request."""
    if by_id:
        return getattr(host, f"{kind}_by_id")(_entry_id(host, entry), body, timeout=timeout)
    if request is None:
        return getattr(host, f"{kind}_raw")(entry, body, timeout=timeout)
    return getattr(host, kind)(entry, body, request, timeout=timeout)


def _unary(host: Any, entry: str, body: bytes, request: Any, timeout: float, as_json: bool, by_id: bool) -> bool:
    response = _start(host, "call", entry, body, request, timeout, by_id)
    if as_json:
        doc = {"entry": entry, "sid": response.sid, "rejected": response.rejected, "abi": host.abi,
               "handle_ms": response.handle_ns / 1e6, **_frame_json(response.status, response.data)}
        if host.abi == 2 and not response.rejected:
            doc["path"] = response.path
        typer.echo(json.dumps(doc))
    else:
        line = _frame_line(response.status, response.data)
        typer.echo(f"{line} (rejected by handle)" if response.rejected else line)
    return not response.rejected and int(response.status) == 0


def _stream(host: Any, entry: str, body: bytes, request: Any, timeout: float, as_json: bool, by_id: bool) -> bool:
    stream = _start(host, "stream", entry, body, request, timeout, by_id)
    frames = []
    last = None
    with stream:
        for frame in stream:
            last = frame
            if as_json:
                frames.append(_frame_json(frame.status, frame.data))
            else:
                typer.echo(_frame_line(frame.status, frame.data))
    if as_json:
        typer.echo(json.dumps({"entry": entry, "sid": stream.sid, "rejected": stream.rejected, "frames": frames}))
    elif stream.rejected:
        typer.echo("(rejected by handle)")
    return last is not None and not stream.rejected and int(last.status) == 4


def _abi2_request(header: Optional[list[str]], method: str, path: str, query: str) -> None:
    """ABI 2 has no request struct: request options are an error rather than silently dropped."""
    given = [name for name, used in (("--header", bool(header)), ("--method", method != "GET"),
                                     ("--path", path != "/"), ("--query", query != "")) if used]
    if given:
        raise fail(f"{', '.join(given)}: ABI 2 calls carry no request metadata (expected an ABI 1 plugin for these)")
    return None


@app.command("call")
def call(
    plugin: Annotated[Path, typer.Argument(help="Plugin library (.so/.dylib).")],
    entry: Annotated[str, typer.Argument(help="Entry name.")],
    data: Annotated[Optional[str], typer.Option("--data", "-d", help="Payload: TEXT, @FILE, or @- for stdin.")] = None,
    raw: Annotated[bool, typer.Option("--raw", help="Call handle_raw (no request metadata).")] = False,
    stream: Annotated[bool, typer.Option("--stream", help="Read frames until the terminal one, one per line.")] = False,
    header: Annotated[Optional[list[str]], typer.Option("--header", "-H", help="Request header KEY:VALUE (repeatable).")] = None,
    method: Annotated[str, typer.Option("--method", "-X", help="Request method.")] = "GET",
    path: Annotated[str, typer.Option("--path", help="Request path.")] = "/",
    query: Annotated[str, typer.Option("--query", help="Raw query string, without '?'.")] = "",
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the answer (per frame with --stream).")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    no_state: Annotated[bool, typer.Option("--no-state", help="Do not offer the state extension.")] = False,
    by_id: Annotated[bool, typer.Option("--by-id", help="ABI 2: resolve ENTRY with resolve_entry, call handle_by_id.")] = False,
    hostile: Annotated[bool, typer.Option("--hostile", help="The host conformance uses: exactly-sized, read-only, "
                                          "guarded inputs with no NUL, poisoned after the call.")] = False,
) -> None:
    """Call one entry of a plugin (ABI 1 or ABI 2) and print the answer.

    Prints `STATUS PAYLOAD` (one line per frame with --stream). ABI 2 calls carry no
    request metadata: every call goes through `handle` (`handle_by_id` with --by-id).
    Exit codes: 0 when the answer is Ok (StreamEnd for a stream), 2 when the plugin
    answered otherwise or rejected the request, 1 on errors (load failure, timeout, bad
    arguments).
    """
    # lazy: the reference host (ctypes) costs every command ~30 ms CPU; `call` alone needs it
    from ..host import Host, Request

    body = _read_data(data)
    if raw and header:
        raise fail("--header needs request metadata; drop --raw")
    request = None if raw else Request(method=method, path=path, query=query, headers=tuple(_headers(header or [])))
    try:
        with Host.load(plugin, state=not no_state, hostile=hostile) as host:
            if host.abi == 2:
                request = _abi2_request(header, method, path, query)
            run = _stream if stream else _unary
            ok = run(host, entry, body, request, timeout, as_json, by_id)
    except NylonRingError as exc:
        raise fail(str(exc))
    if not ok:
        raise typer.Exit(EXIT_NOT_OK)
