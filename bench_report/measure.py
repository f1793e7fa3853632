"""Running the harness over every subject and mode, in interleaved rounds.

On a shared machine the load drifts; measuring every subject once per round, for
several rounds, spreads that drift over all subjects alike instead of penalising
whichever ran during a busy minute. The figures of a (subject, mode) pool the timed
runs of all rounds.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from nylon_ring_sdk import bench
from nylon_ring_sdk.errors import BenchError

from subjects import Subject

THREADS = (1, 2)
INFLIGHT = (1, 16)
LEAK_CALLS = (10_000, 1_000_000)  # async calls per run of the memory check: few, then many


@dataclass
class Figure:
    """One (threads, inflight) case pooled over rounds.

    The headline figures are those of the best run: on a shared machine, noise only
    ever adds time, so the best of many short runs is the closest to the plugin's own
    cost. The median is kept next to it to show the spread. Tail latency is the other
    way round: the best round would hide the tail, so p50, p99 and max are medians over
    the rounds.
    """

    threads: int
    inflight: int
    ns_runs: list[float] = field(default_factory=list)
    rate_runs: list[float] = field(default_factory=list)
    cpu_runs: list[float] = field(default_factory=list)
    waiting_runs: list[float] = field(default_factory=list)
    p50s: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
    maxes: list[float] = field(default_factory=list)
    calls: int = 0

    @property
    def ns(self) -> float:
        """ns/call of the best run."""
        return min(self.ns_runs)

    @property
    def median_ns(self) -> float:
        return statistics.median(self.ns_runs)

    @property
    def rate(self) -> float:
        """calls/s of the best run."""
        return max(self.rate_runs)

    @property
    def cpus(self) -> float:
        """CPUs the threads got in the run with the best rate."""
        return self.cpu_runs[self.rate_runs.index(self.rate)]

    @property
    def waiting(self) -> float | None:
        """CPUs' worth of time the threads waited for a free CPU in the best-rate run (None: unknown)."""
        value = self.waiting_runs[self.rate_runs.index(self.rate)]
        return value if value >= 0 else None

    @property
    def blocked(self) -> float | None:
        """Threads' worth of time spent asleep (neither running nor waiting for a CPU) in the best-rate run."""
        waiting = self.waiting
        return None if waiting is None else max(0.0, self.threads - self.cpus - waiting)

    @property
    def p50(self) -> float | None:
        """p50 latency, median over rounds."""
        return statistics.median(self.p50s) if self.p50s else None

    @property
    def p99(self) -> float | None:
        """p99 latency, median over rounds."""
        return statistics.median(self.p99s) if self.p99s else None

    @property
    def max_latency(self) -> float | None:
        """Worst latency, median over rounds."""
        return statistics.median(self.maxes) if self.maxes else None


@dataclass
class Measurement:
    """All rounds of one subject in one mode, or the error that stopped it."""

    subject: str
    mode: str
    entry: str
    figures: dict[tuple[int, int], Figure] = field(default_factory=dict)
    error: str | None = None
    calls_total: int = 0
    answers_total: int = 0

    def figure(self, threads: int = 1, inflight: int = 1) -> Figure | None:
        return None if self.error else self.figures.get((threads, inflight))

    def add(self, result: bench.BenchResult) -> None:
        self.calls_total += result.calls_total
        self.answers_total += result.answers_total
        for case in result.cases:
            fig = self.figures.setdefault((case.threads, case.inflight), Figure(case.threads, case.inflight))
            fig.ns_runs += [r["ns_per_call"] for r in case.runs]
            fig.rate_runs += [r["calls_per_s"] for r in case.runs]
            fig.cpu_runs += [r["cpus"] for r in case.runs]
            fig.waiting_runs += [r.get("waiting", -1.0) for r in case.runs]
            fig.calls += case.calls
            if case.latency:
                fig.p50s.append(case.latency.p50_ns)
                fig.p99s.append(case.latency.p99_ns)
                fig.maxes.append(case.latency.max_ns)


def measure_all(subjects: list[Subject], rounds: int, seconds: float, runs: int, log) -> dict[tuple[str, str], Measurement]:
    """Every built subject in every mode it serves, `rounds` times, interleaved."""
    results: dict[tuple[str, str], Measurement] = {}
    for round_no in range(1, rounds + 1):
        log(f"round {round_no} of {rounds}")
        for subject in subjects:
            if subject.library is None:
                continue
            for item in subject.plan:
                m = results.setdefault((subject.key, item.key), Measurement(subject.key, item.mode, item.entry))
                if m.error:
                    continue
                try:
                    result = bench.run(subject.library, item.entry, item.mode, threads=item.threads,
                                       inflight=INFLIGHT, seconds=seconds, runs=runs, expect_bytes=item.nbytes,
                                       payload=item.payload, by_id=item.by_id)
                except BenchError as exc:
                    m.error = str(exc).replace(str(subject.library), subject.library.name)
                    log(f"  {subject.key} {item.key}: ERROR {m.error}")
                    continue
                m.add(result)
                log(f"  {subject.key:>10} {item.key:<12} {result.case().ns_per_call.median:10.1f} ns/call")
    return results


@dataclass
class Leak:
    """RSS of the harness after few and after many asynchronous calls, or why it is unknown."""

    subject: str
    calls: tuple[int, int] = LEAK_CALLS
    rss_kib: tuple[int, int] | None = None
    error: str | None = None

    @property
    def growth(self) -> float | None:
        """RSS after many calls over RSS after few (1.0: flat)."""
        return self.rss_kib[1] / self.rss_kib[0] if self.rss_kib and self.rss_kib[0] else None


def measure_leaks(subjects: list[Subject], log) -> dict[str, Leak]:
    """Each subject's `echo_async`, one thread, 16 in flight: RSS after 10k calls and after 1M.

    Fixed call counts (one warm-up run plus one timed run each), so the second process
    made a hundred times the calls of the first; an SDK that leaks per call shows it.
    """
    leaks: dict[str, Leak] = {}
    for subject in subjects:
        if subject.library is None or "async" not in subject.modes:
            continue
        leak = leaks[subject.key] = Leak(subject.key)
        rss = []
        for calls in LEAK_CALLS:
            try:
                result = bench.run(subject.library, "echo_async", "async", threads=(1,), inflight=(INFLIGHT[-1],),
                                   calls=calls, runs=1, expect_bytes=16)
            except BenchError as exc:
                leak.error = str(exc).replace(str(subject.library), subject.library.name)
                break
            if result.rss_kib is None:
                leak.error = "this system does not report the resident set"
                break
            rss.append(result.rss_kib)
        if len(rss) == 2:
            leak.rss_kib = (rss[0], rss[1])
            log(f"  {subject.key:>10} RSS {rss[0]} KiB after {LEAK_CALLS[0]:,} calls, {rss[1]} KiB after {LEAK_CALLS[1]:,}")
    return leaks
