"""The child process that runs one group of checks against a plugin.

Run by the runner as ``python -m nylon_ring_sdk.conformance.worker --events-fd N``
with a JSON job on stdin. It reports on file descriptor N, one JSON object per
line (the plugin owns stdout and stderr, and may write anything there):

- ``{"e": "start", "check": ID}`` before a check runs,
- ``{"e": "step", "check": ID, "text": ...}`` before each call into the plugin,
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

import argparse
import json
import os
import sys
import threading
import time
import traceback
from typing import Any, Callable

from .catalogue import FAIL, Check, Outcome, Verdict, catalogue, failed, skipped
from .context import Context
from .manifest import Manifest, load_manifest


def _emitter(fd: int) -> Callable[[dict], None]:
    lock = threading.Lock()

    def emit(event: dict) -> None:
        line = memoryview((json.dumps(event, default=str) + "\n").encode("utf-8"))
        with lock:
            while line:
                line = line[os.write(fd, line):]

    return emit


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
    from ..errors import HostError, PluginLoadError

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


def run_job(job: dict[str, Any], emit: Callable[[dict], None]) -> None:
    """Run the job's checks in order, reporting each through `emit`."""
    checks = catalogue(job.get("abi", 1))
    manifest = load_manifest(job["manifest"], checks) if job.get("manifest") else Manifest()
    ctx = Context(job["plugin"], manifest, timeout=job["timeout"], watch=job["watch"],
                  upstream=job.get("upstream", {}), host_options=job.get("host_options", {}), emit=emit)
    results: dict[str, str] = dict(job.get("earlier", {}))
    roots: dict[str, str] = dict(job.get("blocked", {}))
    opted_out = set(manifest.opt_out)
    for check_id in job["checks"]:
        check = checks[check_id]
        emit({"e": "start", "check": check_id})
        started = time.perf_counter()
        root = _blocking_root(check, results, roots, opted_out)
        if root:
            outcome = skipped(f"not run: needs {root}, which failed")
            roots[check_id] = root
        else:
            ctx.begin(check)
            outcome = _run_one(ctx, check)
        results[check_id] = outcome.status
        emit({"e": "result", "check": check_id, "status": outcome.status, "reason": outcome.reason,
              "details": outcome.details, "duration": time.perf_counter() - started,
              "blocked_by": roots.get(check_id)})
    emit({"e": "done"})


def _warm_up() -> None:
    """Import what every group needs before the job arrives: the runner starts workers
    ahead of need, so this time overlaps the checks that run before."""
    catalogue()
    from .. import host  # noqa: F401

    host.native.shim()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nylon_ring_sdk.conformance.worker")
    parser.add_argument("--events-fd", type=int, required=True)
    args = parser.parse_args(argv)
    emit = _emitter(args.events_fd)
    _warm_up()
    try:
        text = sys.stdin.read()
        if not text.strip() or text.strip() == "{}":
            os._exit(0)  # a spare the runner did not need
        run_job(json.loads(text), emit)
    except BaseException as exc:  # noqa: BLE001  (anything here is reported, never a traceback on a terminal)
        emit({"e": "worker_error", "message": f"{type(exc).__name__}: {exc}"})
        os._exit(3)
    os._exit(0)


if __name__ == "__main__":
    main()
