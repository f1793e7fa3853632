"""Benchmarking plugins through a native harness.

A ctypes round trip costs about a microsecond, a thousand times what a call into a
fast plugin costs, so the timing loops run in C (``native/harness.c``, built on first
use by :mod:`.build`) and Python only drives them: it builds the command line, runs
the harness, and turns its JSON into :class:`BenchResult`.

The harness checks every answer (sid, status, frame count, payload length); when a
plugin misbehaves the run raises :class:`~nylon_ring_sdk.errors.BenchError` instead of
returning a number.
"""

from __future__ import annotations

import json
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..errors import BenchError
from ..host import elf
from ..host.loading import ENTRY_SYMBOL, ENTRY_SYMBOL_V2
from .build import harness_path

MODES: tuple[str, ...] = ("raw", "unary", "async", "stream", "bidi")
DEFAULT_INFLIGHT = 16


def plugin_abi(path: str | Path) -> int:
    """Which generation a plugin library speaks, from the entry symbol its ELF dynamic table
    exports (the reference host's reader): the harness must be built for that generation,
    and reading the file, rather than loading it, keeps the plugin's initialisers out of
    this process."""
    image = elf.read(Path(path))
    names = {s.name for s in image.symbols} if image is not None else set()
    if ENTRY_SYMBOL_V2 in names:
        return 2
    if ENTRY_SYMBOL in names:
        return 1
    raise BenchError(f"{path}: exports neither nylon_ring_get_plugin (ABI 2) nor nylon_ring_get_plugin_v1 "
                     "(ABI 1) (expected a nylon-ring plugin library)")


@dataclass(frozen=True)
class Stats:
    """Median, minimum and maximum of one figure over the timed runs of a case."""

    median: float
    min: float
    max: float

    @classmethod
    def from_json(cls, data: dict) -> "Stats":
        return cls(float(data["median"]), float(data["min"]), float(data["max"]))


@dataclass(frozen=True)
class Latency:
    """Per-call latency from issue to answer (async mode), over all timed runs."""

    p50_ns: float
    p99_ns: float
    max_ns: float
    samples: int


@dataclass(frozen=True)
class Case:
    """One thread count (and, for async, one in-flight depth) measured over several runs.

    ``ns_per_call`` is thread time per call (summed over threads), so it stays comparable
    across thread counts; ``calls_per_s`` is the total rate of all threads together over
    the wall-clock span of the run; ``cpus`` is the CPU time the threads actually got over
    that span (on a busy machine 2 threads may get fewer than 2 CPUs).
    """

    threads: int
    inflight: int
    ns_per_call: Stats
    calls_per_s: Stats
    cpus: Stats
    calls: int
    latency: Latency | None
    runs: tuple[dict, ...] = field(repr=False)


@dataclass(frozen=True)
class BenchResult:
    """What one harness run measured, plus what it checked every answer against."""

    plugin: str
    name: str
    version: str
    entry: str
    mode: str
    expect_status: str
    expect_frames: int
    expect_bytes: int
    state_extension: bool
    abi: int
    by_id: bool
    answer_paths: dict[str, int]  # ABI 2: frames taken through copy, owned and lease; empty for ABI 1
    cases: tuple[Case, ...]
    calls_total: int
    answers_total: int
    rss_kib: int | None  # the harness process's resident set at the end (None where unknown)
    data: dict = field(repr=False)

    def case(self, threads: int = 1, inflight: int = 1) -> Case:
        """The case measured with that many threads and calls in flight."""
        for case in self.cases:
            if case.threads == threads and case.inflight == inflight:
                return case
        raise KeyError(f"no case with {threads} thread(s) and {inflight} in flight")


def thread_counts(n: int) -> list[int]:
    """1, 2, 4, ... up to n, always ending with n itself."""
    if n < 1:
        raise BenchError(f"--threads: {n} is not a positive number of threads")
    counts, t = [], 1
    while t < n:
        counts.append(t)
        t *= 2
    counts.append(n)
    return counts


def harness_command(plugin: Path, entry: str, mode: str, *, threads: Sequence[int], inflight: Sequence[int],
                    seconds: float, runs: int, calls: int | None, timeout: float, frames: int,
                    payload: str | None, expect_bytes: int | None, by_id: bool = False) -> list[str]:
    """The harness argv (without the executable) for one benchmark."""
    if mode not in MODES:
        raise BenchError(f"--mode: unknown mode '{mode}' (expected one of {', '.join(MODES)})")
    args = [str(plugin), "--entry", entry, "--mode", mode,
            "--threads", ",".join(str(t) for t in threads),
            "--seconds", repr(float(seconds)), "--runs", str(runs),
            "--timeout", repr(float(timeout)), "--frames", str(frames)]
    if mode == "async":
        args += ["--inflight", ",".join(str(k) for k in inflight)]
    if calls is not None:
        args += ["--calls", str(calls)]
    if payload is not None:
        args += ["--payload", payload]
    if expect_bytes is not None:
        args += ["--expect-bytes", str(expect_bytes)]
    if by_id:
        args.append("--by-id")
    return args


def run(plugin: str | Path, entry: str, mode: str = "raw", *, threads: Sequence[int] = (1,),
        inflight: Sequence[int] = (1, DEFAULT_INFLIGHT), seconds: float = 1.0, runs: int = 5,
        calls: int | None = None, timeout: float = 5.0, frames: int = 5, payload: str | None = None,
        expect_bytes: int | None = None, by_id: bool = False) -> BenchResult:
    """Benchmark one entry of a plugin in one mode.

    ``seconds`` is the measured time per case, split over ``runs`` runs (plus one warm-up
    run of the same length that is discarded). ``calls`` replaces the time limit by an
    exact number of calls per thread and run. ``frames`` is the number of stream frames
    expected (stream) or sent (bidi). ``expect_bytes`` fixes the answer length every call
    must have; by default the first call's answer sets it. ``by_id`` (ABI 2) calls
    handle_by_id with the id resolve_entry gives for the entry. The harness is built for
    the generation the library exports. Raises BenchError when the plugin misbehaves or
    the harness cannot run.
    """
    path = Path(plugin)
    if not path.is_file():
        raise BenchError(f"{path}: no such plugin library")
    abi = plugin_abi(path)
    if by_id and abi < 2:
        raise BenchError(f"{path}: --by-id needs an ABI 2 plugin (ABI 1 has no integer dispatch)")
    argv = [str(harness_path(abi=abi)), *harness_command(
        path.resolve(), entry, mode, threads=threads, inflight=inflight, seconds=seconds, runs=runs,
        calls=calls, timeout=timeout, frames=frames, payload=payload, expect_bytes=expect_bytes, by_id=by_id)]
    cases = len(threads) * (len(inflight) if mode == "async" else 1)
    budget = None if calls is not None else cases * (seconds * (runs + 1) / runs + 2 * timeout) + 60
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=budget)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{path}: the benchmark of entry '{entry}' did not finish within {budget:.0f} s") from exc
    return parse_output(path, entry, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                        proc.stderr.decode("utf-8", "replace"))


def parse_output(plugin: Path, entry: str, returncode: int, stdout: str, stderr: str = "") -> BenchResult:
    """Turn the harness's exit status and JSON into a result, or raise its error."""
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
        raise BenchError(f"{plugin}: the harness died with {name} while running entry '{entry}' (the plugin crashed)")
    try:
        data = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        detail = (stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchError(f"{plugin}: the harness exited with code {returncode} and no result ({detail})") from None
    if not data.get("ok") or returncode != 0:
        raise BenchError(f"{plugin}: entry '{entry}': {data.get('error', 'unknown harness failure')}")
    return _result(data)


def _case(data: dict) -> Case:
    lat = data.get("latency_ns")
    latency = Latency(lat["p50"], lat["p99"], lat["max"], lat["samples"]) if lat else None
    return Case(threads=data["threads"], inflight=data["inflight"],
                ns_per_call=Stats.from_json(data["ns_per_call"]), calls_per_s=Stats.from_json(data["calls_per_s"]),
                cpus=Stats.from_json(data["cpus"]), calls=data["calls"], latency=latency, runs=tuple(data["runs"]))


def _result(data: dict) -> BenchResult:
    expect = data["expect"]
    return BenchResult(plugin=data["plugin"], name=data["name"], version=data["version"], entry=data["entry"],
                       mode=data["mode"], expect_status=expect["status"], expect_frames=expect["frames"],
                       expect_bytes=expect["bytes"], state_extension=data["state_extension"],
                       abi=int(data.get("abi", 1)), by_id=bool(data.get("by_id", False)),
                       answer_paths=dict(data.get("answer_paths", {})),
                       cases=tuple(_case(c) for c in data["cases"]), calls_total=data["calls_total"],
                       answers_total=data["answers_total"],
                       rss_kib=data["rss_kib"] if data.get("rss_kib", -1) >= 0 else None, data=data)


def format_rate(rate: float) -> str:
    """Calls per second with a unit: 161.2M, 85.0k."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if rate >= scale:
            return f"{rate / scale:.2f}{unit}"
    return f"{rate:.0f}"


def format_table(result: BenchResult) -> str:
    """A plain-text table of every case, preceded by what was checked."""
    frames = f", {result.expect_frames} frames" if result.mode in ("stream", "bidi") else ""
    paths = [f"{n} {path}" for path, n in result.answer_paths.items() if n]
    via = (f"; answers by path: {', '.join(paths)}" if paths else "") + ("; called by id" if result.by_id else "")
    lines = [
        f"plugin {result.name} {result.version} (ABI {result.abi}, {result.plugin})",
        f"entry {result.entry}, mode {result.mode}: every answer {result.expect_status}{frames}, "
        f"{result.expect_bytes} payload bytes; {result.calls_total} calls, {result.answers_total} answers{via}",
        "",
        f"{'threads':>7} {'inflight':>8} {'ns/call':>9} {'min':>9} {'max':>9} {'calls/s':>9} {'CPUs':>5} "
        f"{'p50 ns':>9} {'p99 ns':>9}",
    ]
    for c in result.cases:
        p50 = f"{c.latency.p50_ns:>9.0f}" if c.latency else f"{'-':>9}"
        p99 = f"{c.latency.p99_ns:>9.0f}" if c.latency else f"{'-':>9}"
        lines.append(f"{c.threads:>7} {c.inflight:>8} {c.ns_per_call.median:>9.1f} {c.ns_per_call.min:>9.1f} "
                     f"{c.ns_per_call.max:>9.1f} {format_rate(c.calls_per_s.median):>9} {c.cpus.median:>5.2f} "
                     f"{p50} {p99}")
    return "\n".join(lines)
