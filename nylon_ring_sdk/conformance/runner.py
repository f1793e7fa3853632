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
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
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
    """Groups at once: most of a group's time is spent waiting (watch windows, answers
    from plugin threads), so two per CPU keeps the machine busy; four at most."""
    return max(1, min(4, 2 * (os.cpu_count() or 1)))


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
    """Build the reference host's native helpers (both generations) once here, not inside a timed check."""
    from ..host import native

    native.shim_path(1)
    native.shim_path(2)


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
        self.changed = threading.Condition(self.lock)
        self.running: set[str] = set()
        self.spares: _Spares | None = None
        self.live: set[_Process] = set()
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
        self.spares = _Spares(self, wanted=len(pending))
        futures: list[Future] = []
        try:
            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                with self.changed:
                    while pending or self.running:
                        ready = [g for g in pending if self._ready(g)][:self.jobs - len(self.running)]
                        for group in ready:
                            pending.remove(group)
                            self.running.add(group)
                            futures.append(pool.submit(self._group_thread, group))
                        self.changed.wait(0.5)
        except BaseException:
            for process in list(self.live):  # interrupted: take the plugin processes down with the run
                process.kill()
            raise
        finally:
            self.spares.close()
        for future in futures:
            future.result()  # a defect of the runner itself surfaces here, not as a silent gap
        return self._report(started, time.perf_counter() - wall, note)

    def _ready(self, group: str) -> bool:
        """A group starts once the checks it comes after (those that run at all) have verdicts."""
        needed = set(self.needed)
        return all(c in self.results or c not in needed for c in GROUPS[group].after)

    def _group_thread(self, group: str) -> None:
        try:
            self._run_group(group)
        finally:
            with self.changed:
                self.running.discard(group)
                self.changed.notify_all()

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
            self.changed.notify_all()
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
        blocked = {c: r.details.get("blocked_by", c) for c, r in self.results.items()
                   if r.status == SKIP and r.reason.startswith("not run:")}
        return {"plugin": str(self.plugin), "manifest": self.manifest_path, "timeout": self.timeout,
                "watch": self.watch, "checks": checks, "upstream": upstream, "earlier": earlier, "blocked": blocked,
                "host_options": GROUPS[group].host_options}


class _Process:
    """A started worker process: Python and the suite's modules load while it waits for a job."""

    def __init__(self, cwd: Path) -> None:
        read_fd, write_fd = os.pipe()
        self.log = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nylon_ring_sdk.conformance.worker", "--events-fd", str(write_fd)],
                stdin=subprocess.PIPE, stdout=self.log, stderr=self.log, pass_fds=(write_fd,),
                start_new_session=True, cwd=str(cwd))
        except BaseException:
            os.close(read_fd)
            self.log.close()
            raise
        finally:
            os.close(write_fd)
        self.events_fd = read_fd

    def send(self, job: dict[str, Any]) -> None:
        try:
            self.proc.stdin.write(json.dumps(job).encode())
            self.proc.stdin.close()
        except BrokenPipeError:  # it died already; following its events says how
            pass

    def kill(self) -> None:
        """SIGKILL the worker's process group (the worker and anything the plugin started)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def reap(self, grace: float) -> None:
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait()

    def close(self) -> None:
        os.close(self.events_fd)
        self.log.close()


class _Spares:
    """Worker processes started before they are needed, at most one per job slot.

    Starting Python and importing the suite takes about a tenth of a second; a spare
    does that while the load checks or the gates run, so a group starts at once.
    """

    def __init__(self, runner: _Runner, wanted: int) -> None:
        self.runner = runner
        self.left = wanted  # groups that will still ask for a process (restarts ask too)
        self.idle: list[_Process] = []
        self.lock = threading.Lock()
        self.holding = True  # until the first group's worker is up: it runs the gates everything waits for

    def take(self) -> _Process:
        with self.lock:
            self.left = max(0, self.left - 1)
            process = self.idle.pop(0) if self.idle else None
        if process is None:
            process = self._start()
        if not self.holding:
            self.top_up()
        return process

    def release(self) -> None:
        """The first worker is running: start the spares now (they no longer slow it down)."""
        if self.holding:
            self.holding = False
            self.top_up()

    def _start(self) -> _Process:
        process = _Process(self.runner.plugin.parent)
        with self.runner.lock:
            self.runner.processes += 1
        return process

    def top_up(self) -> None:
        with self.lock:
            missing = min(self.runner.jobs, self.left) - len(self.idle)
        for _ in range(max(0, missing)):
            process = self._start()
            with self.lock:
                self.idle.append(process)

    def close(self) -> None:
        """Stop unused spares (they hold no plugin: they were still importing or waiting)."""
        with self.lock:
            idle, self.idle, self.left = self.idle, [], 0
        for process in idle:
            process.kill()
            process.reap(EXIT_GRACE)
            process.close()


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
        process = self.runner.spares.take()
        self.runner.live.add(process)
        process.send(self.runner.job(self.group, self.checks))
        try:
            started_any = self._follow(process)
            process.reap(EXIT_GRACE if self.done or self.current is None else STARTUP_SECONDS)
            if self.current is not None:
                self._fail_current(self._death(process))
            elif not self.done and not started_any:
                self._fail_rest(f"the worker process ended before running a check: {self._death(process)}")
                return False
            return True
        finally:
            self.runner.live.discard(process)
            process.close()

    def _follow(self, process: _Process) -> bool:
        """Read events until EOF, death or a timeout; True once any check started."""
        buffer, started_any = b"", False
        deadline = time.monotonic() + STARTUP_SECONDS
        with selectors.DefaultSelector() as selector:
            selector.register(process.events_fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._timed_out(process)
                    return started_any
                if not selector.select(min(left, 0.5)):
                    if self.done and process.proc.poll() is not None:
                        return started_any
                    continue
                chunk = os.read(process.events_fd, 1 << 16)
                if not chunk:
                    return started_any
                *lines, buffer = (buffer + chunk).split(b"\n")
                for event in _events(lines):
                    started_any |= event["e"] == "start"
                    if self._event(event):
                        deadline = time.monotonic() + (self.runner.timeout if self.current else STARTUP_SECONDS)

    def _event(self, event: dict[str, Any]) -> bool:
        """Apply one event; True when the deadline restarts (a check started or ended)."""
        kind = event["e"]
        if kind == "start":
            self.current, self.current_started, self.last_step, self.confirmed = event["check"], time.monotonic(), "", []
            self.runner.spares.release()
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
        if event.get("blocked_by"):
            details["blocked_by"] = event["blocked_by"]
        if cid in ENTRY_GATES.values():
            self.runner.confirmed[cid] = list(self.confirmed)
            details.setdefault("confirmed", list(self.confirmed))
        self.runner._record(self.runner._result(cid, event["status"], event["reason"], duration=event["duration"],
                                                details=details))
        self.current = None

    def _fail_current(self, why: str) -> None:
        cid = self.current
        during = f" during {self.last_step}" if self.last_step else ""
        details = {}
        if cid in ENTRY_GATES.values():
            self.runner.confirmed[cid] = list(self.confirmed)
            details["confirmed"] = list(self.confirmed)
        self.runner._record(self.runner._result(cid, FAIL, f"{why}{during}", duration=time.monotonic() - self.current_started,
                                                details=details, crashed=True))
        self.current = None

    def _fail_rest(self, why: str) -> None:
        for cid in self.checks:
            self.runner._record(self.runner._result(cid, FAIL, why, crashed=True))

    def _timed_out(self, process: _Process) -> None:
        process.kill()
        if self.current is not None:
            self._fail_current(f"timed out after {self.runner.timeout:g} s (process killed: a hang or a deadlock)")

    @staticmethod
    def _death(process: _Process) -> str:
        """How the process ended, in words, with the plugin's last words when it left some."""
        code = process.proc.returncode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            what = f"the process was killed by {name}"
        else:
            what = f"the process exited with status {code}"
        tail = _last_words(process.log)
        return what + (f" ({tail})" if tail else "")


def _events(lines: list[bytes]) -> list[dict[str, Any]]:
    """Decode event lines; anything else on the channel (a plugin writing to a stray fd) is ignored."""
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and "e" in event:
            events.append(event)
    return events


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
