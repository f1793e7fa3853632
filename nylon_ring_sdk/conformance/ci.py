"""CI forms of a report: GitHub annotations, and baselines of known failures.

GitHub Actions turns `::error file=F,title=T::message` lines on stdout into
annotations on the run (and on the pull request). One line per failed check, one
`::warning` per warning, and `::notice` lines for baseline entries that now pass.

A baseline is a file listing check ids that are known to fail, one a line (`#`
comments allowed), or a JSON report of an earlier run (its failed checks). With
`--baseline FILE`, a failure listed there is reported but does not fail the job;
a listed check that now passes is reported so that the baseline can shrink.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UsageError
from .rules import FAIL, PASS, WARN
from .report import Report


def load_baseline(path: Path, known_checks: set[str]) -> set[str]:
    """The check ids of a baseline file; an unknown id is a one-line usage error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--baseline {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
            ids = {c["id"] for c in data["checks"] if c.get("status") == FAIL}
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"--baseline {path}: not a conformance JSON report (expected a \"checks\" list)") from None
    else:
        ids = set()
        for number, line in enumerate(text.splitlines(), 1):
            item = line.split("#", 1)[0].strip()
            if item:
                ids.add(item)
                if item not in known_checks:
                    raise UsageError(f"--baseline {path}:{number}: unknown check id {item!r} "
                                     "(expected ids from `nylon-ring conformance --list`)")
    return ids


def _escape(text: str, property_value: bool = False) -> str:
    """GitHub workflow-command escaping (data, and property values)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_annotations(report: Report) -> str:
    """`::error`/`::warning`/`::notice` lines for the checks that did not pass."""
    lines = []
    where = _escape(report.plugin, True)
    for r in report.results:
        title = _escape(f"{r.id} ({r.level})", True)
        message = _escape(f"{r.reason} | rule: {r.rule}" + (f" | {r.cite}" if r.cite else ""))
        if r.status == FAIL and r.id in report.known_failures:
            lines.append(f"::warning file={where},title={title}::known failure (baseline): {message}")
        elif r.status == FAIL:
            lines.append(f"::error file={where},title={title}::{message} | rerun: {_escape(report.rerun_command(r.id))}")
        elif r.status == WARN:
            lines.append(f"::warning file={where},title={title}::{message}")
    for cid in report.fixed_failures:
        lines.append(f"::notice file={where},title={_escape(cid, True)}::listed in the baseline but passes now: "
                     "remove it from the baseline")
    if report.exit_code != 0:
        lines.append(f"::error file={where},title=conformance::{_escape(report.verdict)}")
    return "\n".join(lines)


def apply_baseline(report: Report, known: set[str], path: Path) -> None:
    """Mark the report's known failures and the baseline entries that now pass."""
    report.baseline_path = str(path)
    report.known_failures = {r.id for r in report.results if r.status == FAIL and r.id in known}
    report.fixed_failures = sorted(r.id for r in report.results if r.status == PASS and r.id in known)
