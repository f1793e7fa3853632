"""`nylon-ring conformance PLUGIN`: run the conformance suite on a plugin library.

Exit codes: 0 every check that matters ran and passed; 1 a MUST check failed (or,
with --level strict, any check failed or warned); 2 a usage or load error (bad
arguments, no such file, an invalid manifest, a library the dynamic loader cannot
open); 3 incomplete: no entries are known, so the behaviour checks tested nothing
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

\b
Exit codes:
  0  every check that matters ran and passed (warnings and skips with reasons allowed)
  1  a MUST check failed (--level strict: any check failed or warned)
  2  usage or load error: bad arguments, no such plugin file, an invalid
     manifest, or a library the dynamic loader cannot open
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
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the reason of passed checks too.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines while running.")] = False,
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
        known = _baseline(baseline)
        report = _run(plugin, manifest, entry, probe, select, timeout, jobs, quiet, allow_incomplete)
        report.strict = level == "strict"
        if known is not None:
            # lazy: the conformance package costs every command ~100 ms CPU; this one alone needs it
            from ..conformance.ci import apply_baseline

            apply_baseline(report, known, baseline)
    except NylonRingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if junit is not None:
        _write(junit, report.to_junit())
    if json_out is not None:
        _write(json_out, json.dumps(report.to_json(), indent=2) + "\n")
    typer.echo(report.render(verbose=verbose))
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


def _run(plugin: Path, manifest: Optional[Path], entries: Optional[list[str]], probes: Optional[list[str]],
         select: Optional[list[str]], timeout: float, jobs: Optional[int], quiet: bool, allow_incomplete: bool):
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
               allow_incomplete=allow_incomplete)


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
