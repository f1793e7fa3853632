"""`--repeat N --seed S`: the whole run, N times, each with its own seed, until one fails.

Why: a plugin that fails one call in fifty, or only when calls overlap in a certain
way, passes most single runs. Each repeat runs the suite with another seed, and the
seed drives every varied choice the checks make (:meth:`.context.Context.rng`:
threads, conversations, payload sizes, pauses), so a failing repeat is replayed
exactly by running once with its seed: run 0 uses S itself, run i > 0 a seed
derived from S and i, and `--seed X --repeat 1` is run 0 with X.
"""

from __future__ import annotations

import hashlib
import secrets
import shlex
from dataclasses import dataclass, field
from typing import Callable

from .report import EXIT_OK, Report

#: Seeds are printed and typed back: 48 bits keep them short and still never repeat in practice.
SEED_BITS = 48


def seed_of(first: int, index: int) -> int:
    """The seed of run `index` of a repeat that starts at `first` (run 0: `first` itself)."""
    if index == 0:
        return first
    digest = hashlib.sha256(f"nylon-ring repeat {first}:{index}".encode()).digest()
    return int.from_bytes(digest[:SEED_BITS // 8], "big") or 1


def fresh_seed() -> int:
    """A starting seed when none is given: every `--repeat` without `--seed` explores new runs."""
    return secrets.randbits(SEED_BITS) or 1


@dataclass
class Repeat:
    """What a repeated run did: how many runs were asked and made, and the failing one's seed."""

    runs: int
    first_seed: int
    seeds: list[int] = field(default_factory=list)
    failed_run: int | None = None

    @property
    def failed_seed(self) -> int | None:
        return None if self.failed_run is None else self.seeds[self.failed_run]

    def to_json(self) -> dict:
        return {"runs": self.runs, "ran": len(self.seeds), "first_seed": self.first_seed, "seeds": list(self.seeds),
                "failed_run": self.failed_run, "failed_seed": self.failed_seed}


def run_repeated(one_run: Callable[[int], Report], runs: int, first_seed: int,
                 on_run: Callable[[int, int, Report], None] | None = None) -> tuple[Report, Repeat]:
    """Call `one_run(seed)` for each run's seed until a report's exit code is not 0.

    Returns the failing run's report (or the last one) and what the repeat did;
    `on_run(index, seed, report)` is told of each finished run.
    """
    repeat = Repeat(runs, first_seed)
    report: Report | None = None
    for index in range(runs):
        seed = seed_of(first_seed, index)
        repeat.seeds.append(seed)
        report = one_run(seed)
        report.repeat = repeat
        if on_run is not None:
            on_run(index, seed, report)
        if report.exit_code != EXIT_OK:
            repeat.failed_run = index
            break
    assert report is not None  # runs >= 1
    return report, repeat


def replay_command(argv: list[str], seed: int) -> str:
    """The one-line command that runs once with `seed`: `argv` (the command as given, without
    --seed and --repeat) plus `--seed <seed> --repeat 1`."""
    return shlex.join([*argv, "--seed", str(seed), "--repeat", "1"])
