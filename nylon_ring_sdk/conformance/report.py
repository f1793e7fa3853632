"""The conformance report: results, verdict, and its JSON, JUnit and terminal forms.

The runner builds a :class:`Report` and returns it; nothing here prints. The JSON
form follows ``report.schema.json`` (shipped beside this module), which tests
validate every report against.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .rules import FAIL, MUST, PASS, SKIP, STATUSES, WARN

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
#: Exit codes of `nylon-ring conformance`.
EXIT_OK, EXIT_MUST_FAILED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
#: What to do when no entry is known, in the words the report prints.
HOW_TO_DECLARE = ("declare the plugin's entries: build it with an SDK that exports nylon_ring_manifest, "
                  "put a nylon-ring.toml beside it, pass --manifest FILE, or pass --entry NAME=MODE:PAYLOAD[:EXPECT] "
                  "(or accept this with --allow-incomplete)")
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class CheckResult:
    """The verdict of one check. `crashed` is set when the plugin killed or hung its process."""

    id: str
    group: str
    level: str
    rule: str
    status: str
    reason: str = ""
    duration: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    crashed: bool = False
    #: Where the ABI states the rule (facts page or guide section).
    cite: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "group": self.group, "level": self.level, "rule": self.rule, "cite": self.cite,
                "status": self.status, "reason": self.reason, "duration": round(self.duration, 6),
                "crashed": self.crashed, "details": self.details}


@dataclass
class Report:
    """Everything one run found out about one plugin."""

    plugin: str
    plugin_sha256: str
    plugin_size: int
    suite_version: str
    sdk_version: str
    started_at: str
    manifest: str | None
    manifest_note: str
    timeout: float
    jobs: int
    select: list[str]
    results: list[CheckResult] = field(default_factory=list)
    duration: float = 0.0
    processes: int = 0
    plugin_name: str | None = None
    plugin_version: str | None = None
    load_error: str | None = None
    #: Whether any entry or panic probe was known (manifest, embedded manifest or --entry).
    entries_known: bool = True
    #: Seconds to each entry's first answer, measured by the gate checks.
    latency: dict[str, float] = field(default_factory=dict)
    #: Lines on the event channel that were not authentic records (a plugin writing to it).
    rejected_lines: int = 0
    allow_incomplete: bool = False
    #: --level strict: a SHOULD check's warning fails the run too.
    strict: bool = False
    #: With --baseline: failures listed there (they do not fail the run) and listed checks that pass now.
    baseline_path: str | None = None
    known_failures: set[str] = field(default_factory=set)
    fixed_failures: list[str] = field(default_factory=list)
    #: --sanitize: the sanitizer the workers ran under (None: none).
    sanitize: str | None = None
    #: The run's seed (`--seed`): the same seed makes the checks make the same choices.
    seed: int = 0
    #: With --repeat: the :class:`~.repeat.Repeat` this run belongs to, and the command replaying it.
    repeat: Any = None
    replay: str | None = None

    # ------------------------------------------------------------ verdict

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.results if r.status == s) for s in STATUSES}

    @property
    def must_failures(self) -> list[CheckResult]:
        """MUST failures that count: those not listed in the baseline."""
        return [r for r in self.results if r.id not in self.known_failures
                and ((r.status == FAIL and r.level == MUST) or (self.strict and r.status in (FAIL, WARN)))]

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == FAIL]

    @property
    def unchecked(self) -> list[CheckResult]:
        """What could not be checked, each with why (skips)."""
        return [r for r in self.results if r.status == SKIP]

    @property
    def incomplete(self) -> bool:
        """No entry is known, so the checks that call entries tested nothing (they are SKIPs)."""
        return not self.entries_known

    @property
    def exit_code(self) -> int:
        """2: the library or its manifest could not be loaded; 1: a MUST check failed;
        3: incomplete (no entries known) unless allowed; 0: every check that matters ran and passed."""
        if self.load_error:
            return EXIT_USAGE
        if self.must_failures:
            return EXIT_MUST_FAILED
        if self.incomplete and not self.allow_incomplete:
            return EXIT_INCOMPLETE
        return EXIT_OK

    @property
    def verdict(self) -> str:
        """One line: what the exit code means for this plugin."""
        code = self.exit_code
        if code == EXIT_USAGE:
            return f"not checked: {self.load_error}"
        if code == EXIT_MUST_FAILED:
            what = "check(s) failed or warned (--level strict)" if self.strict else "MUST check(s) failed"
            return f"FAILED: {len(self.must_failures)} {what}"
        skipped = len(self.unchecked)
        if self.incomplete:
            head = "INCOMPLETE" if code == EXIT_INCOMPLETE else "incomplete (allowed)"
            return f"{head}: no entries are known, so {skipped} check(s) tested nothing; {HOW_TO_DECLARE}"
        known = f"; {len(self.known_failures)} known failure(s) from the baseline" if self.known_failures else ""
        return "PASSED" + (f" ({skipped} check(s) skipped, each with its reason)" if skipped else "") + known

    def result(self, check_id: str) -> CheckResult:
        return next(r for r in self.results if r.id == check_id)

    def rerun_command(self, check_id: str) -> str:
        """A shell command that runs this check again (with what it depends on)."""
        argv = ["nylon-ring", "conformance", self.plugin]
        if self.manifest:
            argv += ["--manifest", self.manifest]
        argv += ["-k", check_id, "--timeout", f"{self.timeout:g}"]
        if self.sanitize:
            argv += ["--sanitize", self.sanitize]
        if self.seed:
            argv += ["--seed", str(self.seed)]
        return shlex.join(argv)

    # ------------------------------------------------------------ forms

    def to_json(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "suite": {"name": "nylon-ring conformance", "version": self.suite_version, "sdk_version": self.sdk_version},
            "plugin": {"path": self.plugin, "sha256": self.plugin_sha256, "size": self.plugin_size,
                       "name": self.plugin_name, "version": self.plugin_version},
            "manifest": {"path": self.manifest, "note": self.manifest_note},
            "started_at": self.started_at,
            "duration": round(self.duration, 6),
            "options": {"timeout": self.timeout, "jobs": self.jobs, "select": list(self.select), "seed": self.seed,
                        **({"sanitize": self.sanitize} if self.sanitize else {})},
            "processes": self.processes,
            "load_error": self.load_error,
            "latency": dict(self.latency),
            "channel": {"rejected_lines": self.rejected_lines},
            "summary": {**counts, "total": len(self.results), "must_failures": len(self.must_failures),
                        "incomplete": self.incomplete, "exit_code": self.exit_code, "verdict": self.verdict},
            "unchecked": [{"id": r.id, "reason": r.reason} for r in self.unchecked],
            "checks": [dict(r.to_json(), **({"rerun": self.rerun_command(r.id)} if r.status == FAIL else {}))
                       for r in self.results],
            **({"repeat": dict(self.repeat.to_json(), replay=self.replay)} if self.repeat is not None else {}),
            **({"baseline": {"path": self.baseline_path, "known": sorted(self.known_failures),
                             "fixed": list(self.fixed_failures)}} if self.baseline_path else {}),
        }

    def to_junit(self) -> str:
        """JUnit XML: one testcase per check; warnings pass with the warning in system-out."""
        counts = self.counts()
        attrs = {"name": "nylon-ring conformance", "tests": str(len(self.results)), "failures": str(counts[FAIL]),
                 "errors": "0", "skipped": str(counts[SKIP]), "time": f"{self.duration:.3f}"}
        root = ET.Element("testsuites", attrs)
        suite = ET.SubElement(root, "testsuite", dict(attrs, name=f"nylon-ring conformance: {Path(self.plugin).name}",
                                                      timestamp=self.started_at))
        props = ET.SubElement(suite, "properties")
        for name, value in (("plugin", self.plugin), ("plugin_sha256", self.plugin_sha256),
                            ("suite_version", self.suite_version), ("manifest", self.manifest or ""),
                            ("load_error", self.load_error or ""), ("seed", str(self.seed)), *self._repeat_properties()):
            ET.SubElement(props, "property", name=name, value=_xml_text(value))
        for r in self.results:
            case = ET.SubElement(suite, "testcase", classname=f"nylon_ring.conformance.{r.group}", name=r.id,
                                 time=f"{r.duration:.6f}")
            if r.status == FAIL:
                node = ET.SubElement(case, "failure", message=_xml_text(r.reason), type=r.level)
                node.text = _xml_text(f"{r.level}: {r.rule}\n{r.reason}\nrerun: {self.rerun_command(r.id)}")
            elif r.status == SKIP:
                ET.SubElement(case, "skipped", message=_xml_text(r.reason))
            elif r.status == WARN:
                ET.SubElement(case, "system-out").text = _xml_text(f"WARNING ({r.level}: {r.rule}): {r.reason}")
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    def _repeat_properties(self) -> list[tuple[str, str]]:
        if self.repeat is None:
            return []
        failed = self.repeat.failed_run
        return [("repeat_runs", str(self.repeat.runs)), ("repeat_ran", str(len(self.repeat.seeds))),
                ("repeat_first_seed", str(self.repeat.first_seed)),
                ("repeat_failed_run", "" if failed is None else str(failed + 1)), ("replay", self.replay or "")]

    def render(self, *, verbose: bool = False) -> str:
        """The terminal report: a line per check with its reason, a summary, rerun commands."""
        lines = [f"nylon-ring conformance {self.suite_version}: {self.plugin}",
                 f"  sha256 {self.plugin_sha256}" + (f"; plugin {self.plugin_name!r} {self.plugin_version!r}"
                                                     if self.plugin_name is not None else ""),
                 f"  manifest: {self.manifest or 'none'} ({self.manifest_note})"]
        if self.seed:
            lines.append(f"  seed: {self.seed}")
        if self.load_error:
            lines.append(f"  load error: {self.load_error}")
        if self.latency:
            slowest = max(self.latency.items(), key=lambda kv: kv[1])
            lines.append(f"  latency: slowest first answer {slowest[1] * 1000:.1f} ms ({slowest[0]}); waits scale with it")
        if self.rejected_lines:
            lines.append(f"  {self.rejected_lines} line(s) on the suite's event channel were not its own and were ignored")
        width = max((len(r.id) for r in self.results), default=10)
        not_run = self._not_run() if not verbose else {}
        for r in self.results:
            if r.id in not_run:
                continue
            if r.status == PASS and not verbose:
                lines.append(f"  PASS  {r.id}")
                continue
            lines.append(f"  {r.status.upper():<4}  {r.id:<{width}}  {r.reason}")
        for reason, ids in _by_reason(not_run).items():
            lines.append(f"  SKIP  {len(ids)} checks ({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''}): {reason}")
        counts = self.counts()
        plural = "process" if self.processes == 1 else "processes"
        lines.append(f"{len(self.results)} checks: {counts[PASS]} passed, {counts[FAIL]} failed, {counts[WARN]} warned, "
                     f"{counts[SKIP]} skipped in {self.duration:.2f} s ({self.processes} {plural})")
        if self.failures:
            lines.append("rerun a failed check:")
            lines += [f"  {self.rerun_command(r.id)}" for r in self.failures]
        if self.known_failures:
            lines.append("known failures (baseline, not counted): " + ", ".join(sorted(self.known_failures)))
        if self.fixed_failures:
            lines.append("listed in the baseline but passing now (remove them): " + ", ".join(self.fixed_failures))
        lines.append(f"verdict: {self.verdict} (exit {self.exit_code})")
        return "\n".join(lines)


    def _not_run(self) -> dict[str, str]:
        """Skips that share one "not run" reason with at least two others: shown as one line."""
        reasons = [r.reason for r in self.results if r.status == SKIP and r.reason.startswith("not run:")]
        return {r.id: r.reason for r in self.results
                if r.status == SKIP and r.reason.startswith("not run:") and reasons.count(r.reason) >= 3}


def _by_reason(ids: dict[str, str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for cid, reason in ids.items():
        grouped.setdefault(reason, []).append(cid)
    return grouped


def _xml_text(value: str) -> str:
    """XML 1.0 cannot carry control characters; a plugin's bytes can contain them."""
    return _XML_UNSAFE.sub("\ufffd", value)
