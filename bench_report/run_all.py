#!/usr/bin/env python3
"""Build every plugin, benchmark everything in one run, and write BENCHMARKS.md.

    python bench_report/run_all.py [--seconds 0.5] [--runs 5] [--rounds 3] [--langs c,cpp,rust,go,zig]
                            [--out BENCHMARKS.md] [--work DIR] [--no-profile] [--no-host]

Builds the minimal hand-written C plugin (the floor), `nylon-ring new --lang L` for
every language with a template, in release mode, and for Go the bare cgo floor; then
measures every plugin in every mode with the native harness in interleaved rounds,
measures the reference host against the bare ctypes floor (bench_report/host_bench.py),
checks the issue's targets, profiles each missed one with perf, and writes the report.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import measure_all, measure_leaks  # noqa: E402
from perf_profile import profile  # noqa: E402
from report import RunInfo, now, render  # noqa: E402
from subjects import ABIS, SDK_LANGS, build_all  # noqa: E402
from targets import evaluate  # noqa: E402


HOST_CALLS = 100_000
HOST_ROUNDS = 15


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="measured seconds per case and round")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over all plugins")
    parser.add_argument("--langs", default=",".join(SDK_LANGS), help="SDK languages to build and measure")
    parser.add_argument("--out", type=Path, default=HERE.parent / "BENCHMARKS.md", help="report path")
    parser.add_argument("--work", type=Path, default=None, help="build folder (default: a folder in the nylon-ring cache)")
    parser.add_argument("--no-profile", action="store_true", help="do not profile missed targets")
    parser.add_argument("--no-host", action="store_true", help="skip the reference host measurement")
    parser.add_argument("--abi", default="1,2", help="ABI generations to build and measure")
    parser.add_argument("--no-leak", action="store_true", help="skip the memory check over 1M async calls")
    parser.add_argument("--no-released", action="store_true",
                        help="skip the released host (nylon-ring-host 0.2.2) against upstream-style plugin code")
    args = parser.parse_args(argv)
    try:
        args.abi = tuple(sorted({int(x) for x in args.abi.split(",") if x.strip()}))
    except ValueError:
        args.abi = ()
    if not args.abi or any(a not in ABIS for a in args.abi):
        parser.error(f"--abi: expected a comma-separated list drawn from {', '.join(map(str, ABIS))}")
    args.langs = [lang for lang in (x.strip() for x in args.langs.split(",")) if lang]
    unknown = [lang for lang in args.langs if lang not in SDK_LANGS]
    if unknown:
        parser.error(f"--langs: unknown language(s) {', '.join(unknown)} (expected some of {', '.join(SDK_LANGS)})")
    if args.work is None:
        from nylon_ring_sdk.cache import cache_dir

        args.work = cache_dir() / "bench-work"
    if args.seconds <= 0 or args.runs < 1 or args.rounds < 1:
        parser.error("--seconds, --runs and --rounds must be positive")
    return args


def host_figures(subjects, skip: bool) -> dict | str:
    """Reference host call_raw against the bare ctypes floor, measured by bench_report/host_bench.py.

    Uses that script's own build and measure steps (alternating rounds of the floor, the
    ABI-signature floor and call_raw), against the C floor's synchronous echo.
    """
    if skip:
        return "skipped (--no-host)"
    floor = next((s for s in subjects if s.key == "floor" and s.library), None)
    if floor is None:
        return "the C floor plugin did not build"
    try:
        import host_bench
    except ImportError as exc:
        return f"bench_report/host_bench.py is not available ({exc})"
    from nylon_ring_sdk.errors import NylonRingError

    settings = argparse.Namespace(calls=HOST_CALLS, rounds=HOST_ROUNDS, payload=16)
    try:
        with tempfile.TemporaryDirectory(prefix="nr-host-bench-") as scratch:
            floor_lib, _ = host_bench.build(Path(scratch))
            measured = host_bench.measure(settings, floor_lib, str(floor.library))
        ns = {name: _host_ns(value, settings.calls) for name, value in measured.items()}
        return {"host_ns": ns["call_raw"], "floor_ns": ns["floor"], "floor_abi_ns": ns["floor_abi"],
                "calls": settings.calls, "rounds": settings.rounds}
    except (SystemExit, NylonRingError) as exc:
        return f"bench_report/host_bench.py failed: {exc}"
    except (KeyError, TypeError, ValueError) as exc:
        return f"bench_report/host_bench.py returned figures in an unknown shape ({exc!r})"


RELEASED_CALLS = 200_000
RELEASED_ROUNDS = 5


def released_host_section(langs: list[str], skip: bool, work: Path) -> list[str]:
    """The released host 0.2.2 calling the released-crate plugin (upstream-style code, the
    baseline), the ABI 2 C floor and each ABI 2 SDK scaffold, by bench_report/released_host.py's steps."""
    lines = ["## The released host (nylon-ring-host 0.2.2) against upstream-style plugin code", ""]
    if skip:
        return lines + ["Not measured: skipped (--no-released).", ""]
    try:
        import released_host as rh
    except ImportError as exc:
        return lines + [f"Not measured: bench_report/released_host.py is not available ({exc}).", ""]
    try:
        host = rh.interop_host.build_released_host()
    except rh.interop_host.InteropError as exc:
        return lines + [f"Not measured: {exc}.", ""]
    settings = argparse.Namespace(entry="echo", payload="hello", calls=RELEASED_CALLS, rounds=RELEASED_ROUNDS)
    folder = work / "released"
    folder.mkdir(parents=True, exist_ok=True)
    subjects = [rh.upstream_subject(), rh.c_floor_subject(folder)] + [rh.sdk_subject(lang, folder) for lang in langs]
    for subject in subjects:
        if subject.library is not None and not subject.problem:
            rh.check_answers(host, subject, settings.entry, settings.payload)
    if subjects[0].problem:
        return lines + [f"Not measured: the released-crate plugin did not build ({subjects[0].problem}).", ""]
    rh.measure(host, subjects, settings)
    base = subjects[0]
    lines += [f"`call_response` and `call_response_fast` of `echo` (5-byte payload), {RELEASED_CALLS:,} calls per "
              f"round, {RELEASED_ROUNDS} interleaved rounds, median; the baseline is a plugin built from the released "
              "`nylon-ring` 0.2.2 crate with its trait API (tests/interop/released-plugin/). Reproduce alone with "
              "`python bench_report/released_host.py`.", "",
              "| plugin | call_response ns | vs upstream | call_response_fast ns | vs upstream |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for subject in subjects:
        if subject.median(rh.MODES[0]) is None:
            lines.append(f"| {subject.label} | not measured: {subject.problem} | | | |")
            continue
        cells = []
        for mode in rh.MODES:
            ns, up = subject.median(mode), base.median(mode)
            cells += [f"{ns:.1f}", f"{ns / up:.2f}x" if up else "-"]
        lines.append(f"| {subject.label} | {' | '.join(cells)} |")
    return lines + [""]


def _host_ns(value, calls: int) -> float:
    """ns per call of the best round: host_bench gives seconds per round (a list) or calls/s."""
    if isinstance(value, (list, tuple)):
        return min(value) / calls * 1e9
    return 1e9 / float(value)


def tooling_figures() -> dict | str:
    """Whole-process start-up of gen-bindings and new, measured by bench_report/cli_bench.py."""
    try:
        import cli_bench

        return cli_bench.measure(runs=9)
    except (ImportError, SystemExit, OSError) as exc:
        return f"bench_report/cli_bench.py failed: {exc}"


def profiles_of_misses(verdicts, subjects, enabled: bool) -> dict[str, list[str] | str]:
    """A perf profile for every missed target that names a plugin and mode."""
    if not enabled:
        return {}
    by_key = {s.key: s for s in subjects if s.library}
    found: dict[str, list[str] | str] = {}
    for v in verdicts:
        if v.met is not False or not v.profile_of:
            continue
        key, item_key, threads, inflight = v.profile_of
        subject = by_key.get(key)
        item = next((i for i in subject.plan if i.key == item_key), None) if subject else None
        if item is None or item.by_id:
            continue
        title = f"{v.target} ({key}, {item_key}, {threads} thread(s), {inflight} in flight)"
        if title in found:
            continue
        log(f"profiling {key} {item_key} on {threads} thread(s)")
        found[title] = profile(subject.library, item.entry, item.mode, threads=threads, inflight=inflight)
    return found


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "bench_report/run_all.py", *argv])
    started, load_before = now(), os.getloadavg()
    subjects = build_all(args.work, args.langs, log, args.abi)
    floors = [s for s in subjects if s.key.split("@")[0] == "floor"]
    if any(f.library is None for f in floors):
        broken = next(f for f in floors if f.library is None)
        log(f"error: {broken.label} did not build ({broken.problem}); nothing to compare against")
        return 1
    results = measure_all(subjects, args.rounds, args.seconds, args.runs, log)
    leaks = {}
    if not args.no_leak:
        log("measuring memory over 1M asynchronous calls")
        leaks = measure_leaks(subjects, log)
    log("measuring the reference host")
    host = host_figures(subjects, args.no_host)
    verdicts = evaluate(results, subjects, host, leaks)
    profiles = profiles_of_misses(verdicts, subjects, not args.no_profile)
    log("measuring the released host against upstream-style plugin code")
    released = released_host_section(args.langs, args.no_released or 2 not in args.abi, args.work)
    log("measuring command start-up (gen-bindings, new)")
    tooling = tooling_figures()
    info = RunInfo(command=command, started=started, finished=now(), load_before=load_before,
                   load_after=os.getloadavg(), seconds=args.seconds, runs=args.runs, rounds=args.rounds)
    args.out.write_text(render(info, subjects, results, verdicts, host, profiles, tooling, leaks, released), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
