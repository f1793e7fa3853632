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

from subjects import PLAN, Subject

THREADS = (1, 2)
INFLIGHT = (1, 16)


@dataclass
class Figure:
    """One (threads, inflight) case pooled over rounds.

    The headline figures are those of the best run: on a shared machine, noise only
    ever adds time, so the best of many short runs is the closest to the plugin's own
    cost. The median is kept next to it to show the spread.
    """

    threads: int
    inflight: int
    ns_runs: list[float] = field(default_factory=list)
    rate_runs: list[float] = field(default_factory=list)
    cpu_runs: list[float] = field(default_factory=list)
    waiting_runs: list[float] = field(default_factory=list)
    p50s: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
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
        """p50 latency of the best round."""
        return min(self.p50s) if self.p50s else None

    @property
    def p99(self) -> float | None:
        """p99 latency of the best round."""
        return min(self.p99s) if self.p99s else None


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


def measure_all(subjects: list[Subject], rounds: int, seconds: float, runs: int, log) -> dict[tuple[str, str], Measurement]:
    """Every built subject in every mode it serves, `rounds` times, interleaved."""
    results: dict[tuple[str, str], Measurement] = {}
    for round_no in range(1, rounds + 1):
        log(f"round {round_no} of {rounds}")
        for subject in subjects:
            if subject.library is None:
                continue
            for mode, entry, nbytes in PLAN:
                if mode not in subject.modes:
                    continue
                m = results.setdefault((subject.key, mode), Measurement(subject.key, mode, entry))
                if m.error:
                    continue
                try:
                    result = bench.run(subject.library, entry, mode, threads=THREADS,
                                       inflight=INFLIGHT, seconds=seconds, runs=runs, expect_bytes=nbytes)
                except BenchError as exc:
                    m.error = str(exc).replace(str(subject.library), subject.library.name)
                    log(f"  {subject.key} {mode}: ERROR {m.error}")
                    continue
                m.add(result)
                log(f"  {subject.key:>10} {mode:<6} {result.case().ns_per_call.median:10.1f} ns/call")
    return results
