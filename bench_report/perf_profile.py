"""A flat CPU profile of one benchmark, for the report's account of a missed target.

`perf record` samples the harness while it calls the plugin; the report shows the
symbols that took the time, so "why" is a measurement rather than a guess.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from nylon_ring_sdk import bench
from nylon_ring_sdk.bench.build import harness_path

TOP = 12


def profile(library: Path, entry: str, mode: str, threads: int = 1, seconds: float = 1.0,
            inflight: int = 1) -> list[str] | str:
    """Top libraries and symbols (share of samples) of one run, or the reason there is no profile.

    The library view still says where the time went when a plugin is stripped of symbols.
    """
    perf = shutil.which("perf")
    if not perf:
        return "no profile: perf is not installed"
    args = bench.harness_command(library, entry, mode, threads=(threads,), inflight=(inflight,), seconds=seconds,
                                 runs=1, calls=None, timeout=5.0, frames=5, payload=None, expect_bytes=None)
    with tempfile.TemporaryDirectory(prefix="nr-perf-") as scratch:
        data = Path(scratch) / "perf.data"
        record = subprocess.run([perf, "record", "-q", "-F", "4999", "-o", str(data), "--", str(harness_path(abi=bench.plugin_abi(library))), *args],
                                capture_output=True, text=True, timeout=seconds * 4 + 120)
        if record.returncode != 0 or not data.is_file():
            reason = (record.stderr.strip().splitlines() or ["no output"])[0]
            return f"no profile: perf record failed ({reason})"
        by_library = _report(perf, data, "dso")
        by_symbol = _report(perf, data, "dso,sym")
    if not by_symbol:
        return "no profile: perf report printed no samples"
    return ["by library:", *by_library[:TOP], "", "by symbol:", *by_symbol[:TOP]]


def _report(perf: str, data: Path, sort: str) -> list[str]:
    """`perf report` rows (share, then the sort keys), comments and blank lines dropped."""
    report = subprocess.run([perf, "report", "-i", str(data), "--stdio", "--no-children", "--sort", sort,
                             "--percent-limit", "1"], capture_output=True, text=True, timeout=300)
    return [line.strip() for line in report.stdout.splitlines() if line.strip() and not line.startswith("#")]
