"""`nylon-ring conformance PLUGIN`: run the conformance suite on a plugin library.

Exit codes: 0 every check that matters ran and passed; 1 a MUST check failed (or,
with --level strict, any check failed or warned); 2 a usage or load error (bad
arguments, no such file, an invalid manifest, a library the dynamic loader cannot
open, --sanitize with an unknown mode, no runtime or an uninstrumented plugin); 3 incomplete: no entries are known, so the behaviour checks tested nothing
(unless --allow-incomplete).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ConformanceError, NylonRingError, UsageError
from .app import app

_HELP = """Check that a plugin library follows the nylon-ring ABI rules.

Each group of checks runs in its own child process, so a crash, a hang or a
deadlock in the plugin fails the check it happened in and the run goes on; a
crash in one entry is charged to that entry and the others are still checked.

The plugin's entries come from --manifest FILE, else the manifest the plugin
embeds (the nylon_ring_manifest export of SDK-built plugins), else a
nylon-ring.toml beside the plugin or in a folder above it; --entry and --probe
add entries on the command line: --entry NAME=MODE[:PAYLOAD[:EXPECT]] (MODE:
unary, raw, stream, stream_raw, bidi; for streams EXPECT is comma-separated
frames; \\: and \\, escape), --probe NAME[=MODE] (a panic probe).

--sanitize MODE (address, undefined, thread) checks a plugin built with
-fsanitize=MODE: the workers run with that runtime preloaded, and the first
sanitizer error fails the check it happened in, with the whole report.

\b
Exit codes:
  0  every check that matters ran and passed (warnings and skips with reasons allowed)
  1  a MUST check failed (--level strict: any check failed or warned)
  2  usage or load error: bad arguments, no such plugin file, an invalid
     manifest, or a library the dynamic loader cannot open; --sanitize with an
     unknown mode, no runtime for it, or a plugin not built with it
  3  incomplete: no entries are known, so the behaviour checks tested
     nothing (declare them, or pass --allow-incomplete)
"""

_FORMATS = ("text", "github")
_LEVELS = ("default", "strict")


@app.command("conformance", help=_HELP)
def conformance(
    plugin: Annotated[Optional[Path], typer.Argument(help="The plugin library (.so, .dylib, .dll).",
                                                     metavar="PLUGIN", show_default=False)] = None,
    manifest: Annotated[Optional[Path], typer.Option("--manifest", "-m", metavar="FILE", help="The manifest (default: the embedded one, else nylon-ring.toml near the plugin).")] = None,
    entry: Annotated[Optional[list[str]], typer.Option("--entry", "-e", metavar="NAME=MODE[:PAYLOAD[:EXPECT]]", help="Declare an entry (repeatable); added to the manifest.")] = None,
    probe: Annotated[Optional[list[str]], typer.Option("--probe", metavar="NAME[=MODE]", help="Declare a panic probe (repeatable).")] = None,
    allow_incomplete: Annotated[bool, typer.Option("--allow-incomplete", help="Exit 0 instead of 3 when no entries are known.")] = False,
    level: Annotated[str, typer.Option("--level", metavar="LEVEL", help="default: MUST failures fail; strict: warnings fail too.")] = "default",
    junit: Annotated[Optional[Path], typer.Option("--junit", metavar="FILE", help="Write a JUnit XML report here.")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", metavar="FILE", help="Write the JSON report here.")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text, or github (annotations: ::error lines).")] = "text",
    github: Annotated[bool, typer.Option("--github", help="Same as --format github.")] = False,
    baseline: Annotated[Optional[Path], typer.Option("--baseline", metavar="FILE", help="Known failures (check ids, one a line, or a JSON report): they do not fail the run.")] = None,
    select: Annotated[Optional[list[str]], typer.Option("-k", metavar="PATTERN", help="Only checks whose id matches: an id, a part of one, or a glob (`unary.*`); repeat or separate with commas.")] = None,
    list_only: Annotated[bool, typer.Option("--list", help="List the checks (id, level, rule, where the ABI says it) and exit.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", metavar="S", help="Seconds a check may take before it fails as a hang.")] = 10.0,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", metavar="N", help="Check groups run in parallel (default: CPUs, at most 4).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", metavar="S", help="Seed of the varied choices (threads, conversations, payload sizes, pauses); 0, the default, is the default plan. With --repeat: the first run's seed.")] = None,
    repeat: Annotated[Optional[int], typer.Option("--repeat", metavar="N", help="Run up to N times, each with its own seed, stop at the first failing run and print the command that replays it.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the reason of passed checks too.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines while running.")] = False,
    sanitize: Annotated[Optional[str], typer.Option("--sanitize", metavar="MODE", help="address, undefined or thread: run the checks under that sanitizer's runtime (build the plugin with -fsanitize=MODE -g); a sanitizer error fails the check it happened in, with the report.")] = None,
) -> None:
    try:
        if list_only:
            _list(select)
            return
        fmt = _choice("--format", "github" if github else fmt, _FORMATS)
        level = _choice("--level", level, _LEVELS)
        if plugin is None:
            raise _usage("missing PLUGIN (the library to check), or --list")
        _check_report_path("--junit", junit)
        _check_report_path("--json", json_out)
        _check_repeat(seed, repeat)
        known = _baseline(baseline)

        def one_run(run_seed: int, progress: bool):
            report = _run(plugin, manifest, entry, probe, select, timeout, jobs, quiet or not progress,
                          allow_incomplete, run_seed, sanitize)
            report.strict = level == "strict"
            if known is not None:
                # lazy: the conformance package costs every command ~100 ms CPU; this one alone needs it
                from ..conformance.ci import apply_baseline

                apply_baseline(report, known, baseline)
            return report

        argv = _replay_argv(plugin, manifest, entry, probe, select, timeout, level, baseline, allow_incomplete,
                            sanitize)
        if repeat is None:
            report = one_run(seed or 0, True)
        else:
            report = _repeated(one_run, repeat, seed, argv, quiet)
    except NylonRingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if junit is not None:
        _write(junit, report.to_junit())
    if json_out is not None:
        _write(json_out, json.dumps(report.to_json(), indent=2) + "\n")
    typer.echo(report.render(verbose=verbose))
    if report.repeat is not None:
        typer.echo(_repeat_summary(report))
    if fmt == "github":
        # lazy: the conformance package costs every command ~100 ms CPU; this one alone needs it
        from ..conformance.ci import github_annotations

        annotations = github_annotations(report)
        if annotations:
            typer.echo(annotations)
    if report.load_error:
        typer.echo(f"error: {report.load_error}", err=True)
    elif report.exit_code == 3:
        typer.echo(f"error: {report.verdict}", err=True)
    raise typer.Exit(report.exit_code)


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise UsageError(f"{option} {value!r}: unknown value (expected {', '.join(choices)})")
    return value


def _usage(message: str) -> Exception:
    return ConformanceError(message)


def _baseline(path: Optional[Path]) -> Optional[set[str]]:
    if path is None:
        return None
    # lazy: the conformance package costs every command ~100 ms CPU; this one alone needs it
    from ..conformance.catalogue import catalogue
    from ..conformance.ci import load_baseline

    return load_baseline(path, set(catalogue()))


def _check_repeat(seed: Optional[int], repeat: Optional[int]) -> None:
    # lazy: the conformance package costs every command ~100 ms CPU; this one alone needs it
    from ..conformance.repeat import SEED_BITS

    if repeat is not None and repeat < 1:
        raise _usage(f"--repeat {repeat}: expected 1 or more runs")
    if seed is not None and not 0 <= seed < 2**63:
        raise _usage(f"--seed {seed}: expected 0 .. 2**63-1 (the seeds printed are below 2**{SEED_BITS})")


def _replay_argv(plugin: Path, manifest: Optional[Path], entries: Optional[list[str]], probes: Optional[list[str]],
                 select: Optional[list[str]], timeout: float, level: str, baseline: Optional[Path],
                 allow_incomplete: bool, sanitize: Optional[str] = None) -> list[str]:
    """The command as given, minus --seed and --repeat: what decides the inputs and the verdict."""
    argv = ["nylon-ring", "conformance", str(plugin)]
    argv += ["--manifest", str(manifest)] if manifest is not None else []
    for option, values in (("--entry", entries), ("--probe", probes), ("-k", select)):
        for value in values or ():
            argv += [option, value]
    argv += ["--timeout", f"{timeout:g}"] if timeout != 10.0 else []
    argv += ["--level", level] if level != "default" else []
    argv += ["--baseline", str(baseline)] if baseline is not None else []
    argv += ["--allow-incomplete"] if allow_incomplete else []
    argv += ["--sanitize", sanitize] if sanitize else []
    return argv


def _repeated(one_run, runs: int, seed: Optional[int], argv: list[str], quiet: bool):
    """Up to `runs` runs from `seed` (a fresh one when not given), stopping at the first that fails."""
    # lazy: the conformance package costs every command ~100 ms CPU; this one alone needs it
    from ..conformance.repeat import fresh_seed, replay_command, run_repeated

    first = seed if seed is not None else fresh_seed()
    if not quiet:
        typer.echo(f"repeat: up to {runs} run(s) from seed {first}", err=True)

    def told(index: int, run_seed: int, report) -> None:
        report.replay = replay_command(argv, run_seed)
        if not quiet:
            typer.echo(f"repeat {index + 1}/{runs}: seed {run_seed}: {report.verdict} ({report.duration:.2f} s)", err=True)
            sys.stderr.flush()

    report, _ = run_repeated(lambda run_seed: one_run(run_seed, False), runs, first, told)
    return report


def _repeat_summary(report) -> str:
    repeat = report.repeat
    if repeat.failed_run is not None:
        return (f"repeat: run {repeat.failed_run + 1} of {repeat.runs} failed with seed {repeat.failed_seed}; "
                f"replay it with:\n  {report.replay}")
    return (f"repeat: all {repeat.runs} run(s) passed (seeds from {repeat.first_seed}; the report above is the last "
            f"run's, seed {report.seed})")


def _run(plugin: Path, manifest: Optional[Path], entries: Optional[list[str]], probes: Optional[list[str]],
         select: Optional[list[str]], timeout: float, jobs: Optional[int], quiet: bool, allow_incomplete: bool,
         seed: int = 0, sanitize: Optional[str] = None):
    # lazy: the conformance package costs every command ~100 ms CPU; this one alone needs it
    from ..conformance import run
    from ..conformance.entryspec import parse_all

    declared, declared_probes = parse_all(entries, probes)

    def progress(result, done: int, total: int) -> None:
        line = f"[{done:>{len(str(total))}}/{total}] {result.status.upper():<4} {result.id}"
        if result.status != "pass":
            line += f": {result.reason[:160]}"
        typer.echo(line, err=True)
        sys.stderr.flush()

    return run(plugin, manifest, select_patterns=select, timeout=timeout, jobs=jobs,
               on_result=None if quiet else progress, entries=declared, probes=declared_probes,
               allow_incomplete=allow_incomplete, seed=seed, sanitize=sanitize)


def _list(select: Optional[list[str]]) -> None:
    # lazy: the conformance package costs every command ~100 ms CPU; this one alone needs it
    from ..conformance.catalogue import catalogue
    from ..conformance.rules import matches, parse_patterns

    patterns = parse_patterns(select)
    checks = [c for c in catalogue().values() if not patterns or matches(c.id, patterns)]
    if not checks:
        raise _usage(f"-k {','.join(patterns)}: no check id matches")
    width = max(len(c.id) for c in checks)
    for c in checks:
        typer.echo(f"{c.id:<{width}}  {c.level:<6}  {c.rule}" + (f"  [{c.cite}]" if c.cite else ""))


def _check_report_path(option: str, path: Optional[Path]) -> None:
    """Refuse a report path whose folder is missing before the run, not after it; no folder is created."""
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory (expected a file name)")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: no folder {folder} (expected an existing folder; it is not created)")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: {ConformanceError(f'{path}: cannot write report ({exc.strerror}; expected a writable file)')}",
                   err=True)
        raise typer.Exit(2) from None
