#!/usr/bin/env python3
"""Wall time of the whole conformance suite on the reference plugin.

Builds conformance/plugins/reference/plugin.c against a freshly generated
nylon_ring.h, then runs the command a user runs, as a fresh process each time:

    nylon-ring conformance PLUGIN --manifest conformance/plugins/reference/nylon-ring.toml -q

and prints the best and median wall time of `--runs` runs (the target is under
2 seconds), the number of checks and child processes, and the command.

    python bench_report/conformance_bench.py [--runs 5] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "conformance" / "plugins" / "reference"
TARGET_SECONDS = 2.0


def build_reference(work: Path) -> Path:
    """Compile the reference plugin with the system C compiler (or zig cc)."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default
    from nylon_ring_sdk.toolchain import c_compiler, run

    for f in generate(load_default(), "c"):
        (work / f.path).write_text(f.content, encoding="utf-8")
    plugin = work / "libreference.so"
    result = run([*c_compiler(), "-std=c11", "-O2", "-fPIC", "-shared", "-pthread", "-I", str(work),
                  "-o", str(plugin), str(REFERENCE / "plugin.c")])
    if result.returncode != 0:
        sys.exit(f"error: building the reference plugin failed:\n{result.stderr}")
    return plugin


def entry_script() -> list[str]:
    """The `nylon-ring` script installed with this interpreter (a version manager's shim on
    PATH, e.g. pyenv's, adds its own start-up time, which is not the command's)."""
    beside = Path(sys.executable).parent / "nylon-ring"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("nylon-ring")
    return [found] if found else [sys.executable, "-m", "nylon_ring_sdk"]


def command(plugin: Path, jobs: int | None, json_out: Path | None = None) -> list[str]:
    argv = entry_script()
    argv += ["conformance", str(plugin), "--manifest", str(REFERENCE / "nylon-ring.toml"), "-q"]
    argv += ["--json", str(json_out)] if json_out else []
    return argv + (["--jobs", str(jobs)] if jobs else [])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (fresh processes)")
    parser.add_argument("--jobs", type=int, default=None, help="passed to --jobs (default: the command's default)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nr-conformance-bench-") as tmp:
        work = Path(tmp)
        plugin = build_reference(work)
        json_out = work / "report.json"
        argv_run = command(plugin, args.jobs, json_out)
        subprocess.run(argv_run, capture_output=True)  # warm-up: builds the host's native helper once
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            done = subprocess.run(argv_run, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(f"error: the reference plugin did not pass (exit {done.returncode}):\n{done.stdout}{done.stderr}")
        report = json.loads(json_out.read_text())
    best, median = min(times), statistics.median(times)
    verdict = "within" if median < TARGET_SECONDS else "OVER"
    print(f"conformance suite on the reference plugin: best {best:.2f} s, median {median:.2f} s over {args.runs} runs "
          f"({verdict} the {TARGET_SECONDS:g} s target)")
    print(f"{report['summary']['total']} checks, {report['summary']['pass']} passed; "
          f"{report['processes']} child processes, --jobs {report['options']['jobs']}; "
          f"runner time {report['duration']:.2f} s (the rest is the command's own start-up)")
    shown = command(Path("libreference.so"), args.jobs)
    shown[0] = "nylon-ring" if shown[0].endswith("nylon-ring") else shown[0]
    print("command: " + shlex.join(shown).replace(str(ROOT) + "/", ""))


if __name__ == "__main__":
    main()
