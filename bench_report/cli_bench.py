"""Start-up cost of the commands people run most: `gen-bindings --lang all`, `abi diff` and `new`.

Each figure is a whole process, interpreter start-up included, measured against
`python -c pass` in the same run (the floor no Python command can beat).

    python3 bench_report/cli_bench.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LANGS = ("c", "cpp", "rust", "go", "zig")


def _time(cmd: list[str], runs: int, setup=None, ok_codes: tuple[int, ...] = (0,)) -> list[float]:
    samples = []
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        samples.append(time.perf_counter() - start)
        if proc.returncode not in ok_codes:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return samples


def measure(runs: int = 15) -> dict:
    """Median/min seconds per command, and the ratio of each to the interpreter floor."""
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="nr-cli-bench-"))
    try:
        out = work / "bindings"
        results = {"floor": _time([py, "-c", "pass"], runs)}
        results["gen-bindings --lang all"] = _time(
            [py, "-m", "nylon_ring_sdk", "gen-bindings", "--lang", "all", "--out", str(out)], runs,
            setup=lambda: shutil.rmtree(out, ignore_errors=True))
        results["gen-bindings --check"] = _time(
            [py, "-m", "nylon_ring_sdk", "gen-bindings", "--lang", "all", "--out", str(out), "--check"], runs)
        # `abi diff` exits 1 on this pair (the generations break each other), which is what a CI gate sees.
        results["abi diff abi:1 abi:2"] = _time([py, "-m", "nylon_ring_sdk", "abi", "diff", "abi:1", "abi:2"], runs,
                                                ok_codes=(0, 1))
        for lang in LANGS:
            dest = work / f"new-{lang}"
            results[f"new --lang {lang}"] = _time(
                [py, "-m", "nylon_ring_sdk", "new", "--lang", lang, "demo", "--dir", str(dest)], max(3, runs // 3),
                setup=lambda d=dest: shutil.rmtree(d, ignore_errors=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor = statistics.median(results["floor"])
    return {name: {"median_s": statistics.median(s), "min_s": min(s), "runs": len(s),
                   "x_floor": statistics.median(s) / floor} for name, s in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = measure(args.runs)
    if args.json:
        print(json.dumps(data, indent=2))
        return
    print(f"{'command':<28} {'median':>9} {'min':>9} {'x python -c pass':>17}")
    for name, row in data.items():
        print(f"{name:<28} {row['median_s'] * 1e3:>7.0f}ms {row['min_s'] * 1e3:>7.0f}ms {row['x_floor']:>17.2f}")
    print(f"\nreproduce: python3 bench_report/cli_bench.py --runs {args.runs}")


if __name__ == "__main__":
    main()
