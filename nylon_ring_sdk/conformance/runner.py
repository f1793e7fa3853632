"""Running the checks in child processes, so that no plugin can take the runner down.

Each group of checks runs in a fresh ``python -m nylon_ring_sdk.conformance.worker``
process. The runner follows its event stream with a deadline per check: when
the process dies (SIGSEGV, SIGABRT, a Go runtime's fatal error) the check it was
running fails with the signal or exit status and the last call it made; when a
check outlives its timeout (a hang, a deadlock) the process group is killed and
the check fails with the timeout. Either way the rest of the group goes on in a
new process. Groups whose gates have finished run in parallel (`jobs`).

:func:`run` returns a :class:`~.report.Report` and never prints; `on_result` is
called (from runner threads, one call at a time) as each verdict is known.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable

from ..errors import ConformanceError
from .catalogue import ENTRY_GATES, FAIL, GROUPS, SHOULD, SKIP, SUITE_VERSION, WARN, Check, catalogue, matches, parse_patterns
from .manifest import Manifest, find_manifest, load_manifest
from .report import CheckResult, Report

DEFAULT_TIMEOUT = 10.0
DEFAULT_WATCH = 0.1
#: A worker gets this long to start (import, load) before its first check.
STARTUP_SECONDS = 30.0
#: After "done", a worker that does not exit within this is killed (its verdicts stand).
EXIT_GRACE = 2.0
_LOG_TAIL = 4096

OnResult = Callable[[CheckResult, int, int], None]


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def run(plugin: str | os.PathLike, manifest: str | os.PathLike | None = None, *,
        select_patterns: str | list[str] | None = None, timeout: float = DEFAULT_TIMEOUT, jobs: int | None = None,
        watch: float = DEFAULT_WATCH, on_result: OnResult | None = None) -> Report:
    """Run the suite on `plugin`; `manifest` None looks for `nylon-ring.toml` near the plugin.

    Raises ConformanceError (no such plugin file, nothing selected, bad numbers) and
    ManifestError; everything the plugin does ends up in the report.
    """
    path = Path(plugin).expanduser().resolve()
    if not path.is_file():
        raise ConformanceError(f"{plugin}: no such plugin file")
    if timeout <= 0 or watch < 0:
        raise ConformanceError(f"--timeout must be above 0 (got {timeout:g})")
    jobs = jobs if jobs is not None else default_jobs()
    if jobs < 1:
        raise ConformanceError(f"--jobs must be 1 or more (got {jobs})")
    checks = catalogue()
    manifest_path, loaded, note = _manifest(path, manifest, checks)
    patterns = parse_patterns(select_patterns)
    selected = [cid for cid in checks if not patterns or matches(cid, patterns)]
    if not selected:
        raise ConformanceError(f"-k {','.join(patterns)}: no check id matches (list them with --list)")
    _prepare_host()
    runner = _Runner(path, manifest_path, loaded, checks, selected, timeout, watch, jobs, on_result)
    return runner.execute(note)


def _manifest(plugin: Path, given: str | os.PathLike | None, checks: dict[str, Check]) -> tuple[str | None, Manifest, str]:
    if given is not None:
        path = Path(given).expanduser().resolve()
        return str(path), load_manifest(path, checks), "given with --manifest"
    found = find_manifest(plugin)
    if found is None:
        return None, Manifest(), "none found beside the plugin or above it: only plugin-agnostic checks can judge it"
    return str(found), load_manifest(found, checks), "found near the plugin"


def _prepare_host() -> None:
    """Build the reference host's native helper once here, not inside a timed check."""
    from ..host import native

    native.shim_path()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Runner:
    """One run: which checks, which groups, and the verdicts as they come in."""

    def __init__(self, plugin: Path, manifest_path: str | None, manifest: Manifest, checks: dict[str, Check],
                 selected: list[str], timeout: float, watch: float, jobs: int, on_result: OnResult | None) -> None:
        self.plugin = plugin
        self.manifest_path = manifest_path
        self.manifest = manifest
        self.checks = checks
        self.selected = selected
        self.timeout = timeout
        self.watch = watch
        self.jobs = jobs
        self.on_result = on_result
        self.needed = self._needed(selected)
        self.results: dict[str, CheckResult] = {}
        self.confirmed: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        self.processes = 0
        self.load_error: str | None = None
        self.plugin_info: tuple[str, str] | None = None

    def _needed(self, selected: list[str]) -> list[str]:
        """Selected checks plus what gates them: the whole load group, and the entry gates."""
        groups = {self.checks[c].group for c in selected}
        wanted = set(selected) | {c for c, chk in self.checks.items() if chk.group == "load"}
        if groups - {"load", "gates", "routing"}:
            wanted |= set(ENTRY_GATES.values())
        return [c for c in self.checks if c in wanted]

    # ------------------------------------------------------------ schedule

    def execute(self, note: str) -> Report:
        started, wall = datetime.datetime.now(datetime.timezone.utc), time.perf_counter()
        for cid in self.needed:
            reason = self.manifest.opt_out.get(cid)
            if reason is not None:
                self._record(self._result(cid, SKIP, f"opted out by the manifest: {reason}"))
        pending = [g for g in GROUPS if any(self.checks[c].group == g for c in self.needed)]
        wanted, done = set(pending), set()
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            running: dict[Future, str] = {}
            while pending or running:
                for group in [g for g in pending if all(a in done or a not in wanted for a in GROUPS[g].after)]:
                    pending.remove(group)
                    running[pool.submit(self._run_group, group)] = group
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    done.add(running.pop(future))
                    future.result()
        return self._report(started, time.perf_counter() - wall, note)

    def _report(self, started: datetime.datetime, duration: float, note: str) -> Report:
        from .. import __version__

        name, version = self.plugin_info or (None, None)
        return Report(plugin=str(self.plugin), plugin_sha256=_sha256(self.plugin), plugin_size=self.plugin.stat().st_size,
                      suite_version=SUITE_VERSION, sdk_version=__version__,
                      started_at=started.isoformat(timespec="seconds"), manifest=self.manifest_path, manifest_note=note,
                      timeout=self.timeout, jobs=self.jobs, select=[] if len(self.selected) == len(self.checks) else self.selected,
                      results=[self.results[c] for c in self.selected], duration=duration, processes=self.processes,
                      plugin_name=name, plugin_version=version, load_error=self.load_error)

    def _blocked(self, group: str) -> str | None:
        """Why a group cannot run: the library did not load, or a gate check failed."""
        if group == "load":
            return None
        if self.load_error:
            return f"not run: the library could not be loaded ({self.load_error})"
        for cid, chk in self.checks.items():
            result = self.results.get(cid)
            if chk.gate and result is not None and result.status == FAIL:
                return f"not run: {cid} failed, so a host must refuse this plugin"
        return None

    def _run_group(self, group: str) -> None:
        todo = sorted((c for c in self.needed if self.checks[c].group == group and c not in self.results),
                      key=lambda c: self.checks[c].seq)
        blocked = self._blocked(group)
        if blocked:
            for cid in todo:
                self._record(self._result(cid, SKIP, blocked))
            return
        while todo:
            finished = _Worker(self, group, todo).run()
            todo = [c for c in todo if c not in self.results]
            if not finished:
                break

    # ------------------------------------------------------------ results

    def _result(self, cid: str, status: str, reason: str, *, duration: float = 0.0,
                details: dict[str, Any] | None = None, crashed: bool = False) -> CheckResult:
        chk = self.checks[cid]
        if status == FAIL and chk.level == SHOULD:
            status = WARN
        return CheckResult(cid, chk.group, chk.level, chk.rule, status, reason, duration, details or {}, crashed)

    def _record(self, result: CheckResult) -> None:
        with self.lock:
            if result.id in self.results:
                return
            self.results[result.id] = result
            if self.on_result is not None and result.id in self.selected:
                shown = sum(1 for c in self.selected if c in self.results)
                self.on_result(result, shown, len(self.selected))

    def job(self, group: str, checks: list[str]) -> dict[str, Any]:
        """What a worker needs: the plugin, the checks, and the verdicts that gate them."""
        upstream = {}
        for gate in set(ENTRY_GATES.values()):
            result = self.results.get(gate)
            if result is not None:
                upstream[gate] = {"status": result.status, "confirmed": self.confirmed.get(gate, [])}
        earlier = {c: r.status for c, r in self.results.items() if self.checks[c].group == group}
        blocked = [c for c, r in self.results.items() if r.status == SKIP and r.reason.startswith("not run:")]
        return {"plugin": str(self.plugin), "manifest": self.manifest_path, "timeout": self.timeout,
                "watch": self.watch, "checks": checks, "upstream": upstream, "earlier": earlier, "blocked": blocked,
                "host_options": GROUPS[group].host_options}


class _Worker:
    """One child process running (the rest of) a group, followed event by event."""

    def __init__(self, runner: _Runner, group: str, checks: list[str]) -> None:
        self.runner = runner
        self.group = group
        self.checks = checks
        self.current: str | None = None
        self.current_started = 0.0
        self.last_step = ""
        self.confirmed: list[str] = []
        self.done = False

    def run(self) -> bool:
        """Run until the process ends; False when it died before any check started (nothing more to try)."""
        read_fd, write_fd = os.pipe()
        log = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "nylon_ring_sdk.conformance.worker", "--events-fd",
                                     str(write_fd)], stdin=subprocess.PIPE, stdout=log, stderr=log,
                                    pass_fds=(write_fd,), start_new_session=True, cwd=str(self.runner.plugin.parent))
        finally:
            os.close(write_fd)
        with self.runner.lock:
            self.runner.processes += 1
        try:
            proc.stdin.write(json.dumps(self.runner.job(self.group, self.checks)).encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            started_any = self._follow(proc, read_fd)
        finally:
            os.close(read_fd)
            self._reap(proc)
        if self.current is not None:
            self._fail_current(self._death(proc, log))
        elif not self.done and not started_any:
            self._fail_rest(f"the worker process ended before running a check: {self._death(proc, log)}")
            return False
        log.close()
        return True

    def _follow(self, proc: subprocess.Popen, fd: int) -> bool:
        """Read events until EOF, death or a timeout; True once any check started."""
        buffer, started_any = b"", False
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._timed_out(proc)
                return started_any
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                if self.done and proc.poll() is not None:
                    return started_any
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return started_any
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                event = json.loads(line)
                started_any |= event["e"] == "start"
                if self._event(event):
                    deadline = time.monotonic() + (self.runner.timeout if self.current else STARTUP_SECONDS)

    def _event(self, event: dict[str, Any]) -> bool:
        """Apply one event; True when the deadline restarts (a check started or ended)."""
        kind = event["e"]
        if kind == "start":
            self.current, self.current_started, self.last_step, self.confirmed = event["check"], time.monotonic(), "", []
            return True
        if kind == "step":
            self.last_step = event["text"]
        elif kind == "confirm":
            self.confirmed.append(event["entry"])
        elif kind == "plugin":
            self.runner.plugin_info = (event["name"], event["version"])
        elif kind == "load_error":
            self.runner.load_error = event["message"]
        elif kind == "result":
            self._finish(event)
            return True
        elif kind == "done":
            self.done = True
        elif kind == "worker_error":
            self._fail_rest(f"suite error in the worker: {event['message']}")
        return False

    def _finish(self, event: dict[str, Any]) -> None:
        cid = event["check"]
        details = dict(event.get("details") or {})
        if cid in ENTRY_GATES.values():
            self.runner.confirmed[cid] = list(self.confirmed)
            details.setdefault("confirmed", list(self.confirmed))
        self.runner._record(self.runner._result(cid, event["status"], event["reason"], duration=event["duration"],
                                                details=details))
        self.current = None

    def _fail_current(self, why: str) -> None:
        cid = self.current
        during = f" during {self.last_step}" if self.last_step else ""
        details = {"confirmed": list(self.confirmed)} if cid in ENTRY_GATES.values() else {}
        if cid in ENTRY_GATES.values():
            self.runner.confirmed[cid] = list(self.confirmed)
        self.runner._record(self.runner._result(cid, FAIL, f"{why}{during}", duration=time.monotonic() - self.current_started,
                                                details=details, crashed=True))
        self.current = None

    def _fail_rest(self, why: str) -> None:
        for cid in self.checks:
            self.runner._record(self.runner._result(cid, FAIL, why, crashed=True))

    def _timed_out(self, proc: subprocess.Popen) -> None:
        self._kill(proc)
        if self.current is not None:
            self._fail_current(f"timed out after {self.runner.timeout:g} s (process killed: a hang or a deadlock)")

    def _death(self, proc: subprocess.Popen, log: Any) -> str:
        """How the process ended, in words, with the plugin's last words when it left some."""
        code = proc.returncode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            what = f"the process was killed by {name}"
        else:
            what = f"the process exited with status {code}"
        tail = _last_words(log)
        return what + (f" ({tail})" if tail else "")

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _reap(self, proc: subprocess.Popen) -> None:
        try:
            proc.wait(timeout=EXIT_GRACE if self.done or self.current is None else STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            proc.wait()


def _last_words(log: Any) -> str:
    """The most telling line a dying plugin wrote: a Go fatal error or panic, else the last line."""
    try:
        log.seek(0, os.SEEK_END)
        size = log.tell()
        log.seek(max(0, size - _LOG_TAIL))
        lines = [ln.strip() for ln in log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    for prefix in ("fatal error:", "panic:", "runtime:", "SIGSEGV", "terminate called"):
        hit = next((ln for ln in lines if ln.startswith(prefix)), None)
        if hit:
            return hit[:300]
    return lines[-1][:300] if lines else ""
