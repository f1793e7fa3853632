"""The child process that runs one group of checks against a plugin.

Started by the runner as ``python -m nylon_ring_sdk.conformance.worker`` in its
own session (process group). Its stdin carries, first, one line with the event
channel's descriptor and the run's key (see :mod:`.channel`), then the JSON job;
stdin is closed once the job is read. It reports through authenticated records
on the channel (the plugin owns stdout and stderr, and may write anything
anywhere):

- ``{"e": "manifest", "text": ..., "error": ...}`` once, when the job asks for the
  plugin's embedded manifest (read before any check, before ``init``),
- ``{"e": "manifest_error", "message": ...}`` when the manifest is invalid,
- ``{"e": "start", "check": ID}`` before a check runs,
- ``{"e": "step", "check": ID, "text": ..., "entry": NAME?}`` before each call into
  the plugin (`entry` when the call is to a declared entry),
- ``{"e": "confirm", "check": ID, "entry": NAME}`` when a gate check clears an entry,
- ``{"e": "plugin", "name": ..., "version": ...}`` and ``{"e": "load_error", "message": ...}``,
- ``{"e": "result", "check": ID, "status": ..., "reason": ..., "details": {...}, "duration": S}``,
- ``{"e": "done"}`` at the end, after which the process leaves with ``os._exit``:
  plugin threads may still be running, and interpreter teardown under them is a
  crash that would say nothing about the plugin.

If the plugin kills the process or hangs, the runner sees the last ``start`` and
``step`` and judges the check from them; the worker itself never judges a crash.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import time
import traceback
from typing import Any, Callable

from . import channel
from .rules import FAIL, Check, Outcome, Verdict, failed, skipped
from .catalogue import catalogue
from .context import Context
from .stdout import Capture
from .manifest import EMBEDDED_MAX, EMBEDDED_SYMBOL, Entry, Manifest, load_manifest, load_manifest_text
from .. import host
from ..errors import HostError, ManifestError, PluginLoadError

#: The variable that arms an SDK's panic probes (they answer Unsupported without it).
PROBES_VARIABLE = "NYLON_RING_ENABLE_PROBES"


def _blocking_root(check: Check, results: dict[str, str], roots: dict[str, str],
                   opted_out: set[str]) -> str | None:
    """The failed check that keeps `check` from running: a requirement that failed, or
    the failure that kept a requirement from running (so every skip names the cause)."""
    for needed in check.requires:
        if needed in opted_out:
            continue
        if needed in roots:
            return roots[needed]
        if results.get(needed) == FAIL:
            return needed
    return None


def _run_one(ctx: Context, check: Check) -> Outcome:
    try:
        return check.fn(ctx)
    except Verdict as verdict:
        return verdict.outcome
    except PluginLoadError as exc:
        return failed(f"the reference host refused the plugin: {exc}")
    except HostError as exc:
        return failed(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a defect of the suite, reported rather than hidden
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return failed(f"suite error: {type(exc).__name__}: {exc} (at {os.path.basename(where.filename)}:{where.lineno})",
                      traceback=traceback.format_exc().splitlines()[-12:])


def read_embedded(plugin: str, emit: Callable[[dict], None]) -> tuple[str | None, str | None]:
    """(text, problem) of the plugin's `nylon_ring_manifest()` export; (None, None) when absent.

    The library is opened here, in the worker, so a constructor or an export that
    crashes takes down this process only; the runner blames the step.
    """
    try:
        lib = ctypes.CDLL(os.path.realpath(plugin), mode=os.RTLD_NOW | os.RTLD_LOCAL)
    except OSError:
        return None, None  # load.symbol reports a library that cannot be opened
    _KEEP.append(lib)
    if not hasattr(lib, EMBEDDED_SYMBOL):
        return None, None
    fn = getattr(lib, EMBEDDED_SYMBOL)
    fn.restype, fn.argtypes = ctypes.c_void_p, []
    emit({"e": "step", "check": None, "text": f"{EMBEDDED_SYMBOL}() (reading the embedded manifest)"})
    address = fn()
    if not address:
        return None, f"{EMBEDDED_SYMBOL}() returned NULL (expected a NUL-terminated TOML text)"
    raw = _c_string(address, EMBEDDED_MAX)
    if raw is None:
        return None, f"{EMBEDDED_SYMBOL}() text has no NUL within {EMBEDDED_MAX} bytes"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"{EMBEDDED_SYMBOL}() text is not UTF-8 ({exc.reason} at byte {exc.start})"


_KEEP: list[Any] = []


def _c_string(address: int, limit: int) -> bytes | None:
    """The bytes up to the NUL at `address` (None when there is none within `limit`).

    `strnlen` reads no byte past the NUL, so a text at the very end of a mapping, or a
    plugin built with AddressSanitizer (a poisoned redzone after every global), is read
    without touching what follows it."""
    length = _strnlen(address, limit)
    return ctypes.string_at(address, length) if length < limit else None


_libc = ctypes.CDLL(None)
_strnlen = _libc.strnlen
_strnlen.restype, _strnlen.argtypes = ctypes.c_size_t, [ctypes.c_void_p, ctypes.c_size_t]


def job_manifest(job: dict[str, Any], checks: dict[str, Check], emit: Callable[[dict], None]) -> Manifest:
    """The manifest this job runs with: given, embedded (read now) or found near the plugin, plus --entry."""
    given = job.get("manifest") or {}
    if given.get("text") is not None:
        manifest = load_manifest_text(given["text"], given["where"], checks)
    elif given.get("path"):
        manifest = load_manifest(given["path"], checks)
    elif job.get("read_embedded"):
        text, problem = read_embedded(job["plugin"], emit)
        emit({"e": "manifest", "text": text, "error": problem})
        if problem:
            raise _ManifestProblem(f"{job['plugin']}: embedded manifest: {problem}")
        if text is not None:
            manifest = load_manifest_text(text, f"{job['plugin']}: embedded manifest", checks)
        elif job.get("fallback"):
            manifest = load_manifest(job["fallback"], checks)
        else:
            manifest = Manifest()
    else:
        manifest = Manifest()
    extra = [Entry(**_entry_fields(e)) for e in job.get("entries", ())]
    probes = [Entry(**_entry_fields(e)) for e in job.get("probes", ())]
    return manifest.with_entries(extra, probes)


class _ManifestProblem(Exception):
    pass


def entry_to_json(entry: Entry) -> dict[str, Any]:
    """An Entry as the job carries it (bytes as hex)."""
    return {"name": entry.name, "mode": entry.mode, "payload": entry.payload.hex(),
            "expect_status": entry.expect_status, "expect": None if entry.expect is None else entry.expect.hex(),
            "expect_frames": None if entry.expect_frames is None else [f.hex() for f in entry.expect_frames],
            "expect_terminal": entry.expect_terminal, "send": [f.hex() for f in entry.send]}


def _entry_fields(data: dict[str, Any]) -> dict[str, Any]:
    frames = data.get("expect_frames")
    return {"name": data["name"], "mode": data["mode"], "payload": bytes.fromhex(data["payload"]),
            "expect_status": data.get("expect_status"),
            "expect": None if data.get("expect") is None else bytes.fromhex(data["expect"]),
            "expect_frames": None if frames is None else tuple(bytes.fromhex(f) for f in frames),
            "expect_terminal": data.get("expect_terminal"), "send": tuple(bytes.fromhex(f) for f in data.get("send", ()))}


def run_job(job: dict[str, Any], emit: Callable[[dict], None], capture: Capture | None = None,
            rest_fd: int | None = None) -> None:
    """Run the job's checks in order, reporting each through `emit` (and, with `capture`,
    what the plugin wrote to stdout during each)."""
    checks = catalogue(job.get("abi", 1))
    try:
        manifest = job_manifest(job, checks, emit)
    except (ManifestError, _ManifestProblem) as exc:
        emit({"e": "manifest_error", "message": str(exc)})
        emit({"e": "done"})
        return
    if manifest.panic_probes:
        os.environ[PROBES_VARIABLE] = "1"  # before init: an SDK arms its probes only when init sees it
    ctx = Context(job["plugin"], manifest, timeout=job["timeout"], watch=job["watch"],
                  upstream=job.get("upstream", {}), host_options=job.get("host_options", {}), emit=emit,
                  latency=job.get("latency", 0.0), quarantine=job.get("quarantine", {}), seed=job.get("seed", 0),
                  strict=job.get("strict", False), rest_fd=rest_fd)
    results: dict[str, str] = dict(job.get("earlier", {}))
    roots: dict[str, str] = dict(job.get("blocked", {}))
    opted_out = set(manifest.opt_out)
    for check_id in job["checks"]:
        check = checks[check_id]
        if capture is not None:
            capture.switch(check_id)
        emit({"e": "start", "check": check_id})
        started = time.perf_counter()
        root = _blocking_root(check, results, roots, opted_out)
        if check_id in manifest.opt_out:
            outcome = skipped(f"opted out by the manifest: {manifest.opt_out[check_id]}")
        elif root:
            outcome = skipped(f"not run: needs {root}, which failed")
            roots[check_id] = root
        else:
            ctx.begin(check)
            outcome = _run_one(ctx, check)
        results[check_id] = outcome.status
        if capture is not None:
            capture.flush()  # before the verdict: the runner holds io.stdout's until the run ends anyway
        emit({"e": "result", "check": check_id, "status": outcome.status, "reason": outcome.reason,
              "details": outcome.details, "duration": time.perf_counter() - started,
              "blocked_by": roots.get(check_id), "level": outcome.level})
    if capture is not None:
        capture.switch(None)
    emit({"e": "done"})


def _warm_up() -> None:
    """Import what every group needs before the job arrives: the runner starts workers
    ahead of need, so this time overlaps the checks that run before."""
    catalogue()

    host.native.shim()


def _read_job() -> tuple[Callable[[dict], None], str, Capture, int | None]:
    """The channel (first stdin line), then the job (the rest); stdin is closed after.
    From here on fd 1 is the stdout capture's pipe."""
    stdin = sys.stdin.buffer
    hello = json.loads(stdin.readline() or b"{}")
    fd = channel.hide_fd(int(hello["fd"]))
    emit = channel.emitter(fd, bytes.fromhex(hello["key"]))
    rest = channel.hide_fd(int(hello["rest"])) if "rest" in hello else None
    capture = Capture(emit)
    _warm_up()
    text = stdin.read().decode("utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return emit, text, capture, rest


def main() -> None:
    try:
        emit, text, capture, rest = _read_job()
    except BaseException:  # noqa: BLE001  (no channel: the runner sees the exit status)
        os._exit(4)
    try:
        if not text.strip() or text.strip() == "{}":
            os._exit(0)  # a spare the runner did not need
        run_job(json.loads(text), emit, capture, rest)
    except BaseException as exc:  # noqa: BLE001  (anything here is reported, never a traceback on a terminal)
        emit({"e": "worker_error", "message": f"{type(exc).__name__}: {exc}"})
        os._exit(3)
    os._exit(0)


if __name__ == "__main__":
    main()
