#!/usr/bin/env python3
"""The released Rust host (nylon-ring-host 0.2.2) calling upstream-style and SDK plugins.

    python bench_report/released_host.py [--calls 1000000] [--rounds 7] [--entry echo] [--payload TEXT]
                                  [--langs c,cpp,rust,go,zig] [--json FILE] [[LABEL=]PLUGIN.so ...]

One run times `call_response` and `call_response_fast` of the same entry on:
- upstream: a plugin built from the released `nylon-ring` 0.2.2 crate with its trait
  API (tests/interop/released-plugin/), the baseline every ratio divides by;
- C floor: the hand-written ABI 2 C plugin of tests/interop/plugins/ (no SDK);
- each `--langs` SDK scaffold (`nylon-ring new --lang L --abi 2`, release build), and
  each plugin path given on the command line.
The driver is tests/interop/released-host/ (loads with `load_pinned`). Rounds are
interleaved over the plugins, one driver process per plugin and round, each with its
own warm-up; the figure is the median of the rounds, and `ours/upstream` divides it by
upstream's median. Every plugin is first asked `entry` once and must echo the payload.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import interop_host  # noqa: E402

C_FLOOR_SOURCE = ROOT / "tests" / "interop" / "plugins" / "abi2_plugin.c"
MODES = ("call_response", "call_response_fast")
LANGS = ("c", "cpp", "rust", "go", "zig")


@dataclass
class Subject:
    """One plugin under the released host; `problem` says why it has no library."""

    label: str
    library: Path | None = None
    problem: str | None = None
    rounds: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in MODES})

    def median(self, mode: str) -> float | None:
        return statistics.median(self.rounds[mode]) if self.rounds[mode] else None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plugins", nargs="*", help="[LABEL=]PATH of an ABI 2 plugin to measure (e.g. a scaffold's build)")
    parser.add_argument("--calls", type=int, default=1_000_000, help="timed calls per mode, plugin and round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds over all plugins")
    parser.add_argument("--entry", default="echo", help="the entry every plugin serves (answers its payload)")
    parser.add_argument("--payload", default="hello", help="the payload of every call (text)")
    parser.add_argument("--langs", default="", help="SDK languages to scaffold with --abi 2 and build in release mode")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    parser.add_argument("--work", type=Path, default=None, help="build folder (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.rounds < 1:
        parser.error("--calls and --rounds must be positive")
    args.langs = [lang for lang in (x.strip() for x in args.langs.split(",")) if lang]
    unknown = [lang for lang in args.langs if lang not in LANGS]
    if unknown:
        parser.error(f"--langs: unknown language(s) {', '.join(unknown)} (expected some of {', '.join(LANGS)})")
    for spec in args.plugins:
        path = Path(spec.split("=", 1)[1] if "=" in spec else spec)
        if not path.is_file():
            parser.error(f"{path}: no such plugin file (expected the path of a built ABI 2 shared library)")
    return args


def upstream_subject() -> Subject:
    try:
        return Subject("upstream (nylon-ring 0.2.2 crate, trait API)", interop_host.build_released_plugin())
    except interop_host.InteropError as exc:
        return Subject("upstream (nylon-ring 0.2.2 crate, trait API)", problem=str(exc))


def c_floor_subject(work: Path) -> Subject:
    """The hand-written ABI 2 C plugin, compiled with the system C compiler."""
    from nylon_ring_sdk.toolchain import c_compiler

    subject = Subject("C floor (hand-written ABI 2, no SDK)")
    out = work / "libabi2_floor.so"
    cmd = [*c_compiler(), "-std=c11", "-O2", "-fPIC", "-shared", "-pthread", str(C_FLOOR_SOURCE), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        subject.problem = f"build failed: {(proc.stderr.strip().splitlines() or ['no output'])[0]}"
    else:
        subject.library = out
    return subject


def sdk_subject(lang: str, work: Path) -> Subject:
    """`nylon-ring new --lang LANG --abi 2`, built in release mode."""
    from nylon_ring_sdk import scaffold
    from nylon_ring_sdk.errors import NylonRingError

    subject = Subject(f"{lang} SDK (scaffold --abi 2, release)")
    try:
        project = scaffold.new_project(lang, f"released-bench-{lang}", work / "sdk", force=True, abi=2)
        subject.library = scaffold.build(project, release=True).library
    except NylonRingError as exc:
        subject.problem = str(exc).splitlines()[0]
    return subject


def path_subject(spec: str) -> Subject:
    label, _, path = spec.rpartition("=")
    return Subject(label or Path(path).name, Path(path).resolve())


def check_answers(host: Path, subject: Subject, entry: str, payload: str) -> None:
    """The plugin must load and echo the payload before it is timed; else it gets a problem."""
    try:
        [result] = interop_host.run_driver(host, subject.library, [{"op": "unary", "entry": entry, "payload": payload}])
    except interop_host.InteropError as exc:
        subject.problem = str(exc)
        return
    if not result.get("ok") or result.get("data") != payload:
        subject.problem = f"{entry} did not echo {payload!r}: {json.dumps(result)}"


def measure(host: Path, subjects: list[Subject], args: argparse.Namespace) -> None:
    """Interleaved rounds: every plugin once per round, in the same order."""
    step = {"op": "bench", "entry": args.entry, "payload": args.payload, "n": args.calls}
    for index in range(args.rounds):
        log(f"round {index + 1}/{args.rounds}")
        for subject in subjects:
            if subject.library is None or subject.problem:
                continue
            try:
                [result] = interop_host.run_driver(host, subject.library, [step], timeout=600)
            except interop_host.InteropError as exc:
                subject.problem = str(exc)
                continue
            if not result.get("ok"):
                subject.problem = f"bench step failed: {result.get('error')}"
                continue
            for mode in MODES:
                subject.rounds[mode].append(result[f"{mode}_ns"])


def report(subjects: list[Subject], command: str, args: argparse.Namespace) -> str:
    base = subjects[0]
    lines = [f"released host nylon-ring-host 0.2.2 (load_pinned), entry {args.entry!r}, "
             f"{len(args.payload.encode())}-byte payload, {args.calls} calls x {args.rounds} rounds (median)",
             "",
             f"{'plugin':<46} {'call_response':>14} {'ours/upstream':>14} {'call_response_fast':>19} {'ours/upstream':>14}"]
    for subject in subjects:
        if subject.median(MODES[0]) is None:
            lines.append(f"{subject.label:<46} not measured: {subject.problem}")
            continue
        cells = []
        for mode in MODES:
            ns, up = subject.median(mode), base.median(mode)
            ratio = f"{ns / up:.2f}x" if up else "-"
            cells += [f"{ns:.1f} ns", ratio]
        lines.append(f"{subject.label:<46} {cells[0]:>14} {cells[1]:>14} {cells[2]:>19} {cells[3]:>14}")
    lines += ["", f"reproduce: {command}"]
    return "\n".join(lines)


def figures(subjects: list[Subject], command: str, args: argparse.Namespace) -> dict:
    base = subjects[0]
    rows = []
    for s in subjects:
        row = {"label": s.label, "library": str(s.library) if s.library else None, "problem": s.problem,
               "rounds_ns": s.rounds}
        for mode in MODES:
            ns, up = s.median(mode), base.median(mode)
            row[f"{mode}_ns"] = ns
            row[f"{mode}_ratio"] = ns / up if ns is not None and up else None
        rows.append(row)
    return {"host": "nylon-ring-host 0.2.2", "entry": args.entry, "payload": args.payload, "calls": args.calls,
            "rounds": args.rounds, "command": command, "plugins": rows}


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "bench_report/released_host.py", *argv])
    try:
        log("building the released-host driver")
        host = interop_host.build_released_host()
    except interop_host.InteropError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="nr-released-bench-") as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        log("building the plugins")
        subjects = [upstream_subject(), c_floor_subject(work)]
        subjects += [sdk_subject(lang, work) for lang in args.langs]
        subjects += [path_subject(spec) for spec in args.plugins]
        for subject in subjects:
            if subject.library is not None:
                check_answers(host, subject, args.entry, args.payload)
            log(f"  {subject.label}: {subject.problem or subject.library}")
        if subjects[0].problem:
            print(f"error: the upstream plugin is needed for every ratio: {subjects[0].problem}", file=sys.stderr)
            return 1
        measure(host, subjects, args)
    print(report(subjects, command, args))
    if args.json:
        args.json.write_text(json.dumps(figures(subjects, command, args), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
