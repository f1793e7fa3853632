"""`nylon-ring conformance PLUGIN`: run the conformance suite on a plugin library.

Exit codes: 0 when no MUST check failed; 1 when at least one did; 2 on a usage or
load error (bad arguments, no such file, an invalid manifest, a library the
dynamic loader cannot open).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app

_HELP = """Check that a plugin library follows the nylon-ring ABI rules.

Each group of checks runs in its own child process, so a crash, a hang or a
deadlock in the plugin fails the check it happened in and the run goes on. The
manifest nylon-ring.toml (beside the plugin or in a folder above it, or
--manifest) declares the plugin's entries and expected answers; without one, only
the plugin-agnostic checks can judge it and the report says what was skipped.

\b
Exit codes:
  0  no MUST check failed (warnings and skips allowed)
  1  at least one MUST check failed
  2  usage or load error: bad arguments, no such plugin file, an invalid
     manifest, or a library the dynamic loader cannot open
"""


@app.command("conformance", help=_HELP)
def conformance(
    plugin: Annotated[Optional[Path], typer.Argument(help="The plugin library (.so, .dylib, .dll).",
                                                     metavar="PLUGIN", show_default=False)] = None,
    manifest: Annotated[Optional[Path], typer.Option("--manifest", "-m", metavar="FILE", help="The manifest (default: nylon-ring.toml near the plugin).")] = None,
    junit: Annotated[Optional[Path], typer.Option("--junit", metavar="FILE", help="Write a JUnit XML report here.")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", metavar="FILE", help="Write the JSON report here.")] = None,
    select: Annotated[Optional[list[str]], typer.Option("-k", metavar="PATTERN", help="Only checks whose id matches: an id, a part of one, or a glob (`unary.*`); repeat or separate with commas.")] = None,
    list_only: Annotated[bool, typer.Option("--list", help="List the checks (id, level, rule) and exit.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", metavar="S", help="Seconds a check may take before it fails as a hang.")] = 10.0,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", metavar="N", help="Check groups run in parallel (default: CPUs, at most 4).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the reason of passed checks too.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines while running.")] = False,
) -> None:
    from ..errors import NylonRingError

    try:
        if list_only:
            _list(select)
            return
        if plugin is None:
            raise _usage("missing PLUGIN (the library to check), or --list")
        report = _run(plugin, manifest, select, timeout, jobs, quiet)
    except NylonRingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if junit is not None:
        _write(junit, report.to_junit())
    if json_out is not None:
        _write(json_out, json.dumps(report.to_json(), indent=2) + "\n")
    typer.echo(report.render(verbose=verbose))
    if report.load_error:
        typer.echo(f"error: {report.load_error}", err=True)
    raise typer.Exit(report.exit_code)


def _usage(message: str) -> Exception:
    from ..errors import ConformanceError

    return ConformanceError(message)


def _run(plugin: Path, manifest: Optional[Path], select: Optional[list[str]], timeout: float, jobs: Optional[int],
         quiet: bool):
    from ..conformance import run

    def progress(result, done: int, total: int) -> None:
        line = f"[{done:>{len(str(total))}}/{total}] {result.status.upper():<4} {result.id}"
        if result.status != "pass":
            line += f": {result.reason[:160]}"
        typer.echo(line, err=True)
        sys.stderr.flush()

    return run(plugin, manifest, select_patterns=select, timeout=timeout, jobs=jobs,
               on_result=None if quiet else progress)


def _list(select: Optional[list[str]]) -> None:
    from ..conformance.catalogue import catalogue, matches, parse_patterns

    patterns = parse_patterns(select)
    checks = [c for c in catalogue().values() if not patterns or matches(c.id, patterns)]
    if not checks:
        raise _usage(f"-k {','.join(patterns)}: no check id matches")
    width = max(len(c.id) for c in checks)
    for c in checks:
        typer.echo(f"{c.id:<{width}}  {c.level:<6}  {c.rule}")


def _write(path: Path, text: str) -> None:
    from ..errors import ConformanceError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: {ConformanceError(f'{path}: cannot write report: {exc.strerror}')}", err=True)
        raise typer.Exit(2) from None
