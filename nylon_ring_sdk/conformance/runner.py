"""Running the checks in child processes, so that no plugin can take the runner down.

Each group of checks runs in a fresh ``python -m nylon_ring_sdk.conformance.worker``
process, in its own session. The runner follows its authenticated event records
(:mod:`.channel`) with a deadline per check, and learns of its death from the
kernel (a pidfd, else ``waitid``), not from the channel closing: a helper the
plugin forked may hold the channel open. When the process dies (SIGSEGV,
SIGABRT, a Go runtime's fatal error) the check it was running fails with the
signal or exit status and the last call it made; when a check outlives its
timeout (a hang, a deadlock) the process group is killed and the check fails
with the timeout. When the call was to a declared entry, the check is run again
in a new process without that entry, so the other entries are still judged and
the report names the one that broke. Every worker's process group is killed when
the worker ends, so no helper outlives the run. Groups whose gates have finished
run in parallel (`jobs`).

Manifest precedence: ``--manifest FILE``, else the plugin's embedded manifest
(the ``nylon_ring_manifest`` export, read in the first worker), else a
``nylon-ring.toml`` found beside the plugin or above it; ``--entry`` and
``--probe`` add to (or replace entries of) whichever is used.

:func:`run` returns a :class:`~.report.Report` and never prints; `on_result` is
called (from runner threads, one call at a time) as each verdict is known.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from ..errors import ConformanceError, ManifestError
from . import channel
from . import sanitize as sanitize_mode
from .rules import ENTRY_GATES, FAIL, GROUPS, MUST, SHOULD, SKIP, SUITE_VERSION, WARN, Check, matches, parse_patterns
from .catalogue import catalogue
from .manifest import EMBEDDED_SYMBOL, Entry, Manifest, find_manifest, load_manifest, load_manifest_text
from .report import CheckResult, Report
from .. import __version__
from ..host import native
from ..host.loading import plugin_generation

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
        watch: float = DEFAULT_WATCH, on_result: OnResult | None = None, entries: list[Entry] | None = None,
        probes: list[Entry] | None = None, allow_incomplete: bool = False, seed: int = 0,
        sanitize: str | None = None) -> Report:
    """Run the suite on `plugin`; `manifest` None uses the embedded one, else `nylon-ring.toml` near it.

    `entries`/`probes` (from --entry/--probe) are added to the manifest. `seed` drives
    every varied choice the checks make (:meth:`Context.rng`): the same seed replays
    the same payload sizes, concurrency and timing. `sanitize` (address, undefined,
    thread) runs the workers under that sanitizer's runtime (:mod:`.sanitize`); a
    sanitizer error fails the check that was running with the report. Raises
    ConformanceError (no such plugin file, nothing selected, bad numbers, an unknown
    sanitizer mode, a missing runtime, a plugin not built with it) and
    ManifestError for a --manifest file; everything the plugin does ends up in the report.
    """
    path = Path(plugin).expanduser().resolve()
    if path.is_dir():
        raise ConformanceError(f"{plugin}: is a directory (expected a plugin shared library; `nylon-ring build` prints its path)")
    if not path.is_file():
        raise ConformanceError(f"{plugin}: no such plugin file")
    if timeout <= 0 or watch < 0:
        raise ConformanceError(f"--timeout must be above 0 (got {timeout:g})")
    jobs = jobs if jobs is not None else default_jobs()
    if jobs < 1:
        raise ConformanceError(f"--jobs must be 1 or more (got {jobs})")
    abi = _generation(path)
    checks = catalogue(abi)
    patterns = parse_patterns(select_patterns)
    selected = [cid for cid in checks if not patterns or matches(cid, patterns)]
    if not selected:
        raise ConformanceError(f"-k {','.join(patterns)}: no check id matches (list them with --list)")
    sanitizer = sanitize_mode.resolve(sanitize, path) if sanitize is not None else sanitize_mode.unsanitized(path)
    source = _ManifestSource(path, manifest, checks, list(entries or ()), list(probes or ()))
    _prepare_host(sanitizer.mode if sanitizer else None)
    runner = _Runner(path, source, checks, selected, timeout, watch, jobs, on_result, abi, seed)
    runner.sanitizer = sanitizer
    try:
        report = runner.execute()
    finally:
        if sanitizer is not None:
            shutil.rmtree(sanitizer.folder, ignore_errors=True)
    report.allow_incomplete = allow_incomplete
    report.sanitize = sanitizer.mode if sanitizer else None
    return report


class _ManifestSource:
    """Where the manifest comes from, resolved once the first worker has read the embedded one.

    Precedence: --manifest FILE > embedded (`nylon_ring_manifest`) > nylon-ring.toml near
    the plugin. An SDK-built library carries a manifest generated from its own route
    table, so it wins over a file beside it, which may be stale; --manifest overrides both.
    """

    def __init__(self, plugin: Path, given: str | os.PathLike | None, checks: dict[str, Check],
                 entries: list[Entry], probes: list[Entry]) -> None:
        self.plugin = plugin
        self.checks = checks
        self.entries = entries
        self.probes = probes
        self.given = Path(given).expanduser().resolve() if given is not None else None
        self.found = find_manifest(plugin) if self.given is None else None
        self.path: str | None = None
        self.text: str | None = None
        self.note = ""
        self.resolved = False
        self.manifest = Manifest()
        if self.given is not None:
            self._use(load_manifest(self.given, checks), str(self.given), "given with --manifest")

    def _use(self, manifest: Manifest, path: str | None, note: str) -> None:
        self.manifest = manifest.with_entries(self.entries, self.probes)
        self.path, self.note, self.resolved = path, note, True

    def embedded(self, text: str | None) -> None:
        """The first worker read the export: `text` None when the plugin has none. Raises ManifestError."""
        if text is not None:
            where = f"{self.plugin}: embedded manifest"
            ignored = f"; {self.found} ignored (pass --manifest to use it)" if self.found else ""
            self.text = text
            self._use(load_manifest_text(text, where, self.checks), where, "embedded in the plugin (nylon_ring_manifest)" + ignored)
        elif self.found is not None:
            self._use(load_manifest(self.found, self.checks), str(self.found), "found near the plugin")
        else:
            note = ("none: no --manifest, no nylon_ring_manifest export, no nylon-ring.toml near the plugin"
                    + ("; entries from --entry" if self.entries or self.probes else ""))
            self._use(Manifest(), None, note)

    def job(self) -> dict[str, Any]:
        """What a worker needs to rebuild the same manifest (the first one reads the export)."""
        # lazy: workers run as `python -m ...conformance.worker`; the package importing it first makes runpy warn
        from .worker import entry_to_json

        base: dict[str, Any] = {"entries": [entry_to_json(e) for e in self.entries],
                                "probes": [entry_to_json(e) for e in self.probes]}
        if not self.resolved:
            return dict(base, read_embedded=True, fallback=str(self.found) if self.found else None)
        if self.text is not None:
            return dict(base, manifest={"text": self.text, "where": self.path})
        return dict(base, manifest={"path": self.path} if self.path else None)


def _generation(plugin: Path) -> int:
    """Which catalogue judges the plugin: its exported entry symbol says (read from the file, not loaded)."""
    return plugin_generation(plugin)


def _prepare_host(sanitize: str | None = None) -> None:
    """Build the reference host's native helpers (both generations) once here, not inside a
    timed check; under --sanitize thread, the instrumented build the workers load."""
    native.shim_path(1, sanitize or "")
    native.shim_path(2, sanitize or "")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Runner:
    """One run: which checks, which groups, and the verdicts as they come in."""

    def __init__(self, plugin: Path, source: _ManifestSource, checks: dict[str, Check],
                 selected: list[str], timeout: float, watch: float, jobs: int, on_result: OnResult | None,
                 abi: int = 1, seed: int = 0) -> None:
        self.plugin = plugin
        self.abi = abi
        self.seed = seed
        self.source = source
        self.checks = checks
        self.selected = selected
        self.timeout = timeout
        self.watch = watch
        self.jobs = jobs
        self.on_result = on_result
        self.needed = self._needed(selected)
        self.results: dict[str, CheckResult] = {}
        self.confirmed: dict[str, list[str]] = {}
        #: Per check: declared entries that crashed or hung it, with how (the check reruns without them).
        self.quarantine: dict[str, dict[str, str]] = {}
        #: Per entry: seconds to its first answer, as the gate checks measured.
        self.latency: dict[str, float] = {}
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.running: set[str] = set()
        self.spares: _Spares | None = None
        self.live: set[_Process] = set()
        self.processes = 0
        self.rejected_lines = 0
        self.load_error: str | None = None
        self.manifest_failed = False
        self.plugin_info: tuple[str, str] | None = None
        self.sanitizer: sanitize_mode.Sanitizer | None = None
        #: Per check: the sanitizer reports of the processes that died in it.
        self.sanitized: dict[str, list[dict[str, Any]]] = {}

    def _needed(self, selected: list[str]) -> list[str]:
        """Selected checks plus what gates them: the whole load group, and the entry gates."""
        groups = {self.checks[c].group for c in selected}
        wanted = set(selected) | {c for c, chk in self.checks.items() if chk.group == "load"}
        if groups - {"load", "gates", "routing"}:
            wanted |= set(ENTRY_GATES.values())
        return [c for c in self.checks if c in wanted]

    @property
    def manifest(self) -> Manifest:
        return self.source.manifest

    # ------------------------------------------------------------ schedule

    def execute(self) -> Report:
        started, wall = datetime.datetime.now(datetime.timezone.utc), time.perf_counter()
        if self.source.resolved:
            self._apply_opt_outs()
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
        return self._report(started, time.perf_counter() - wall)

    def _apply_opt_outs(self) -> None:
        for cid in self.needed:
            reason = self.manifest.opt_out.get(cid)
            if reason is not None and self.checks[cid].group != "load":
                self._record(self._result(cid, SKIP, f"opted out by the manifest: {reason}"))

    def on_manifest(self, text: str | None) -> None:
        """The first worker read the embedded manifest (None: no export)."""
        try:
            self.source.embedded(text)
        except ManifestError as exc:
            self.manifest_error(str(exc))
            return
        self._apply_opt_outs()

    def manifest_error(self, message: str) -> None:
        with self.lock:
            self.load_error = self.load_error or message
            self.manifest_failed = True
            self.changed.notify_all()

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

    def _report(self, started: datetime.datetime, duration: float) -> Report:
        name, version = self.plugin_info or (None, None)
        return Report(plugin=str(self.plugin), plugin_sha256=_sha256(self.plugin), plugin_size=self.plugin.stat().st_size,
                      suite_version=SUITE_VERSION, sdk_version=__version__,
                      started_at=started.isoformat(timespec="seconds"), manifest=self.source.path,
                      manifest_note=self.source.note or "not read (the run stopped before the plugin was loaded)",
                      timeout=self.timeout, jobs=self.jobs, select=[] if len(self.selected) == len(self.checks) else self.selected,
                      results=[self.results[c] for c in self.selected], duration=duration, processes=self.processes,
                      plugin_name=name, plugin_version=version, load_error=self.load_error,
                      entries_known=bool(self.manifest.entries or self.manifest.panic_probes),
                      latency={k: round(v, 6) for k, v in sorted(self.latency.items())},
                      rejected_lines=self.rejected_lines, seed=self.seed)

    def _blocked(self, group: str) -> str | None:
        """Why a group cannot run: the library did not load, or a gate check failed."""
        if group == "load" and not self.manifest_failed:
            return None
        if self.load_error:
            return f"not run: {'the manifest is invalid' if self.manifest_failed else 'the library could not be loaded'} ({self.load_error})"
        for cid, chk in self.checks.items():
            result = self.results.get(cid)
            if chk.gate and result is not None and result.status == FAIL:
                return f"not run: {cid} failed, so a host must refuse this plugin"
        return None

    def _run_group(self, group: str) -> None:
        todo = sorted((c for c in self.needed if self.checks[c].group == group and c not in self.results),
                      key=lambda c: self.checks[c].seq)
        while todo:
            blocked = self._blocked(group)
            if blocked:
                for cid in todo:
                    self._record(self._result(cid, SKIP, blocked))
                return
            finished = _Worker(self, group, todo).run()
            todo = [c for c in todo if c not in self.results]
            if not finished:
                break

    # ------------------------------------------------------------ results

    def _result(self, cid: str, status: str, reason: str, *, duration: float = 0.0,
                details: dict[str, Any] | None = None, crashed: bool = False, level: str | None = None) -> CheckResult:
        chk = self.checks[cid]
        level = level or chk.level
        if cid in self.sanitized:
            details = dict(details or {}, sanitizer=self.sanitized[cid])
        if status == FAIL and level == SHOULD:
            status = WARN
        return CheckResult(cid, chk.group, level, chk.rule, status, reason, duration, details or {}, crashed, chk.cite)

    def _record(self, result: CheckResult) -> None:
        with self.lock:
            if result.id in self.results:
                return
            self.results[result.id] = result
            self.changed.notify_all()
            if self.on_result is not None and result.id in self.selected:
                shown = sum(1 for c in self.selected if c in self.results)
                self.on_result(result, shown, len(self.selected))

    def note_latency(self, details: dict[str, Any]) -> None:
        """Gate checks report each entry's first answer time; later groups scale their waits to it."""
        for name, seconds in (details.get("answer_seconds") or {}).items():
            with self.lock:
                self.latency[name] = max(self.latency.get(name, 0.0), float(seconds))

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
        return {"plugin": str(self.plugin), "abi": self.abi, "seed": self.seed, **self.source.job(), "timeout": self.timeout,
                "watch": self.watch, "checks": checks, "upstream": upstream, "earlier": earlier, "blocked": blocked,
                "host_options": GROUPS[group].host_options, "latency": max(self.latency.values(), default=0.0),
                "quarantine": {c: dict(q) for c, q in self.quarantine.items()}}


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when `pid` exits (Linux 5.3+), else None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _await_group_death(pgid: int, limit: float = 2.0) -> None:
    """Wait (briefly) until every member of a killed process group has died: SIGKILL is
    delivered asynchronously, and "no helper outlives the run" means when run() returns.
    Members already dead but not yet reaped by their new parent count as dead."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return  # no member left at all
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and _live_members(pgid):
        time.sleep(0.005)


def _live_members(pgid: int) -> bool:
    """Whether a process of group `pgid` is still running (Linux /proc; elsewhere: assume not)."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return False
    for name in names:
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


class _Process:
    """A started worker process: Python and the suite's modules load while it waits for a job.

    The worker gets the channel's write end (as an inherited descriptor it then hides,
    see :mod:`.channel`) and the run's key on its stdin; it runs in its own session, so
    killing its process group also kills whatever the plugin started.
    """

    def __init__(self, cwd: Path, sanitizer: sanitize_mode.Sanitizer | None = None) -> None:
        read_fd, write_fd = os.pipe()
        self.log = tempfile.TemporaryFile()
        #: Where the sanitizer writes this process's reports (log_path), when there is one.
        self.reports = Path(tempfile.mkdtemp(prefix="reports-", dir=sanitizer.folder)) if sanitizer else None
        key = channel.new_key()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nylon_ring_sdk.conformance.worker"],
                stdin=subprocess.PIPE, stdout=self.log, stderr=self.log, pass_fds=(write_fd,),
                start_new_session=True, cwd=str(cwd),
                env=sanitizer.environment(self.reports) if sanitizer else None)
        except BaseException:
            os.close(read_fd)
            self.log.close()
            raise
        finally:
            os.close(write_fd)
        self.events_fd = read_fd
        os.set_blocking(read_fd, False)
        self.reader = channel.Reader(key)
        self.pidfd = _pidfd(self.proc.pid)
        self.eof = False
        self.reaped = False
        try:
            self.proc.stdin.write(json.dumps({"fd": write_fd, "key": key.hex()}).encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass

    def send(self, job: dict[str, Any]) -> None:
        try:
            self.proc.stdin.write(json.dumps(job).encode())
            self.proc.stdin.close()
        except BrokenPipeError:  # it died already; following its events says how
            pass

    def drain(self) -> list[dict[str, Any]]:
        """The authentic events readable now (never blocks)."""
        events: list[dict[str, Any]] = []
        while not self.eof:
            try:
                chunk = os.read(self.events_fd, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                self.eof = True
                break
            events += self.reader.feed(chunk)
        return events

    def exited(self) -> bool:
        """Whether the worker has ended, without reaping it (its process group stays killable)."""
        if self.reaped:
            return True
        try:
            return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def kill(self) -> None:
        """SIGKILL the worker's process group (the worker and anything the plugin started), then reap."""
        if self.reaped:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the unreaped leader keeps the group id reserved
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.reaped = True
        _await_group_death(self.proc.pid)

    def sanitizer_report(self, plugin: Path) -> dict[str, Any] | None:
        """The first error the sanitizer reported in this process (parsed), if any."""
        return sanitize_mode.read_reports(self.reports, plugin) if self.reports else None

    def close(self) -> None:
        os.close(self.events_fd)
        if self.pidfd is not None:
            os.close(self.pidfd)
        self.log.close()
        if self.reports is not None:
            shutil.rmtree(self.reports, ignore_errors=True)


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
        process = _Process(self.runner.plugin.parent, self.runner.sanitizer)
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
        self.last_entry: str | None = None
        self.confirmed: list[str] = []
        self.done = False
        #: The sanitizer report the process left, once it has ended.
        self.report: dict[str, Any] | None = None

    def run(self) -> bool:
        """Run until the process ends; False when it died before any check started (nothing more to try)."""
        process = self.runner.spares.take()
        self.runner.live.add(process)
        process.send(self.runner.job(self.group, self.checks))
        try:
            started_any = self._follow(process)
            process.kill()  # the worker has ended or hung: its helpers go with it
            self._take_report(process)
            if self.current is not None:
                self._charge(self._death(process))
            elif not self.done and not started_any:
                self._died_early(process)
                return False
            return True
        finally:
            self.runner.live.discard(process)
            with self.runner.lock:
                self.runner.rejected_lines += process.reader.rejected
            process.close()

    def _take_report(self, process: _Process) -> None:
        """Keep the sanitizer's report of a dead worker for the check it died in (its details)."""
        report = process.sanitizer_report(self.runner.plugin)
        self.report = report
        if report is not None and self.current is not None:
            with self.runner.lock:
                self.runner.sanitized.setdefault(self.current, []).append(report)

    def _died_early(self, process: _Process) -> None:
        death = self._death(process)
        if self.last_step.startswith(EMBEDDED_SYMBOL):
            self.runner.manifest_error(f"{self.runner.plugin}: embedded manifest: {death} during {self.last_step}")
            return
        self._fail_rest(f"the worker process ended before running a check: {death}")

    def _follow(self, process: _Process) -> bool:
        """Apply events until the process exits or a deadline passes; True once any check started."""
        started_any = False
        deadline = time.monotonic() + STARTUP_SECONDS
        with selectors.DefaultSelector() as selector:
            selector.register(process.events_fd, selectors.EVENT_READ, "events")
            if process.pidfd is not None:
                selector.register(process.pidfd, selectors.EVENT_READ, "exit")
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._timed_out(process)
                    return started_any
                ready = selector.select(min(left, 0.5 if process.pidfd is not None else 0.02))
                exited = any(key.data == "exit" for key, _ in ready) or (process.pidfd is None and process.exited())
                for event in process.drain():
                    started_any |= event["e"] == "start"
                    if self._event(event):
                        deadline = time.monotonic() + (self.runner.timeout if self.current else STARTUP_SECONDS)
                    if self.done:
                        deadline = min(deadline, time.monotonic() + EXIT_GRACE)
                if process.eof and process.events_fd in selector.get_map():
                    selector.unregister(process.events_fd)
                if exited:
                    return started_any

    def _event(self, event: dict[str, Any]) -> bool:
        """Apply one event; True when the deadline restarts (a check started or ended)."""
        kind = event["e"]
        if kind == "start":
            self.current, self.current_started = event["check"], time.monotonic()
            self.last_step, self.last_entry, self.confirmed = "", None, []
            self.runner.spares.release()
            return True
        if kind == "step":
            self.last_step, self.last_entry = event["text"], event.get("entry")
        elif kind == "confirm":
            self.confirmed.append(event["entry"])
        elif kind == "plugin":
            self.runner.plugin_info = (event["name"], event["version"])
        elif kind == "load_error":
            self.runner.load_error = event["message"]
        elif kind == "manifest":
            self.runner.on_manifest(event.get("text"))
        elif kind == "manifest_error":
            self.runner.manifest_error(event["message"])
        elif kind == "result":
            self._finish(event)
            return True
        elif kind == "done":
            self.done = True
        elif kind == "worker_error":
            self._fail_rest(f"suite error in the worker: {event['message']}")
        return False

    def _confirm(self, cid: str, details: dict[str, Any]) -> None:
        if cid in ENTRY_GATES.values():
            kept = self.runner.confirmed.setdefault(cid, [])
            kept += [e for e in self.confirmed if e not in kept]
            details["confirmed"] = list(kept)

    def _finish(self, event: dict[str, Any]) -> None:
        cid = event["check"]
        details = dict(event.get("details") or {})
        if event.get("blocked_by"):
            details["blocked_by"] = event["blocked_by"]
        self._confirm(cid, details)
        self.runner.note_latency(details)
        status, reason, level = event["status"], event["reason"], event.get("level")
        broken = self.runner.quarantine.get(cid)
        crashed = False
        if broken:
            details["crashed_entries"] = dict(broken)
            crashes = "; ".join(f"{name}: {why}" for name, why in broken.items())
            rest = f"; the other entries: {reason}" if reason else ""
            status, reason, crashed, level = FAIL, crashes + rest, True, MUST
        self.runner._record(self.runner._result(cid, status, reason, duration=event["duration"],
                                                details=details, crashed=crashed, level=level))
        self.current = None

    def _charge(self, why: str) -> None:
        """The running check crashed or hung: charge the declared entry it was calling (the
        check then reruns without it), or the check itself when no declared entry was being called."""
        cid = self.current
        during = f" during {self.last_step}" if self.last_step else ""
        broken = self.runner.quarantine.setdefault(cid, {})
        if self.last_entry and self.last_entry not in broken:
            broken[self.last_entry] = f"{why}{during}"
            self._confirm(cid, {})
            self.current = None
            return
        details: dict[str, Any] = {"crashed_entries": dict(broken)} if broken else {}
        self._confirm(cid, details)
        earlier = "".join(f"{name}: {how}; " for name, how in broken.items())
        self.runner._record(self.runner._result(cid, FAIL, f"{earlier}{why}{during}",
                                                duration=time.monotonic() - self.current_started,
                                                details=details, crashed=True, level=MUST))
        self.current = None

    def _fail_rest(self, why: str) -> None:
        for cid in self.checks:
            self.runner._record(self.runner._result(cid, FAIL, why, crashed=True))

    def _timed_out(self, process: _Process) -> None:
        process.kill()
        if self.current is not None:
            self._charge(f"timed out after {self.runner.timeout:g} s (process killed: a hang or a deadlock)")

    def _death(self, process: _Process) -> str:
        """How the process ended, in words: the sanitizer's error and the plugin's frame when
        it reported one, else the plugin's last words when it left some."""
        code = process.proc.returncode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            what = f"the process was killed by {name}"
        else:
            what = f"the process exited with status {code}"
        if self.report is not None:
            return f"{sanitize_mode.reason(self.report)} ({what})"
        tail = _last_words(process.log)
        return what + (f" ({tail})" if tail else "")


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
