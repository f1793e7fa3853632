"""The suite against its own corpus: the reference plugin passes every check, and each
broken plugin is flagged by exactly the checks its expect.toml names, and no others.

Crashes (SIGSEGV, SIGABRT) and hangs are among the faults: these runs also show
that the runner survives them and carries on in a fresh process.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from nylon_ring_sdk.conformance import catalogue, run
from nylon_ring_sdk.conformance.validate import validate_report
from test_conformance_support import CORPUS, MANIFEST, NAMES, TIMEOUT, build, expectation, manifest_for


def _statuses(report, status: str) -> set[str]:
    return {r.id for r in report.results if r.status == status}


def _timing_warning(result) -> bool:
    """`unary.prompt_return` warns when handle is slow: a fact of the machine's load, not of the plugin."""
    return result.id == "unary.prompt_return" and "is slow" in result.reason


@pytest.mark.parametrize("name", NAMES)
def test_corpus_plugin_gets_its_expected_verdict(name, monkeypatch):
    expected = expectation(name)
    for key, value in expected.get("env", {}).items():
        monkeypatch.setenv(key, value)
    report = run(build(name), manifest_for(name), timeout=expected.get("timeout", TIMEOUT))
    shown = report.render(verbose=True)
    assert _statuses(report, "fail") == set(expected["fail"]), shown
    warned = {r.id for r in report.results if r.status == "warn" and not _timing_warning(r)}
    assert warned == set(expected["warn"]), shown
    for check_id, text in expected.get("reasons", {}).items():
        assert text in report.result(check_id).reason, shown
    assert report.exit_code == expected.get("exit", 1 if expected["fail"] else 0), shown
    assert len(report.results) == len(catalogue())
    assert validate_report(report.to_json()) == []


def test_reference_plugin_passes_everything():
    report = run(build("reference"), MANIFEST, timeout=TIMEOUT)
    not_passed = [r for r in report.results if r.status != "pass" and not _timing_warning(r)]
    assert not_passed == [], report.render(verbose=True)
    assert report.plugin_name == "conformance-reference"
    handle_times = report.result("unary.prompt_return").details["handle"]
    assert set(handle_times) == {"hello", "echo", "echo_async", "state"}
    assert all(isinstance(t["seconds"], float) and t["status"] == "Ok" for t in handle_times.values())


def test_reference_plugin_built_with_zig_cc_passes():
    report = run(build("reference", prefer_zig=True), MANIFEST, timeout=TIMEOUT)
    assert _statuses(report, "fail") == set(), report.render()


def test_corpus_covers_twenty_faults_each_in_one_macro():
    """Every variation of the reference plugin defines one NRC_FAULT_*/NRC_VARIANT_* macro
    of its own; a plugin written on its own says so (`standalone = true`)."""
    ids = set(catalogue())
    broken = [n for n in NAMES if expectation(n)["fail"]]
    assert len(broken) >= 20
    faults = set()
    variations = [n for n in NAMES if n != "reference" and not expectation(n).get("standalone")]
    for name in NAMES:
        expected = expectation(name)
        assert set(expected["fail"]) | set(expected["warn"]) | set(expected.get("reasons", {})) <= ids, name
    for name in variations:
        source = (CORPUS / name / "plugin.c").read_text()
        macros = re.findall(r"#define (NRC_(?:FAULT|VARIANT)_\w+)", source)
        assert len(macros) == 1 and '#include "../reference/plugin.c"' in source, name
        faults.add(macros[0])
    reference = (CORPUS / "reference" / "plugin.c").read_text()
    assert len(faults) == len(variations)
    assert all(fault in reference for fault in faults)


def test_crashed_check_does_not_take_its_group_down():
    """The SIGSEGV in input.null_request kills its process; the rest of the group runs in a new one."""
    report = run(build("null_req_crash"), MANIFEST, timeout=TIMEOUT, select_patterns="input.*", jobs=1)
    crashed = report.result("input.null_request")
    assert crashed.crashed and "SIGSEGV" in crashed.reason and "req=NULL" in crashed.reason
    for check_id in ("input.null_payload", "input.bad_utf8", "input.many_headers"):
        assert report.result(check_id).status == "pass", report.render(verbose=True)
    assert report.processes >= 4  # load, gates, input, input again after the crash


def test_every_check_is_shown_failing_by_a_fixture():
    """Each check of the catalogue, as it is (ABI-2 checks and fixtures count once merged),
    is made to fail (a SHOULD check: to warn) by at least one corpus plugin, for its own
    reason: the fixture's expect.toml names the check and the text its reason must contain,
    and the corpus tests hold the run to both."""
    proven: dict[str, list[str]] = {}
    for path in sorted(CORPUS.rglob("expect.toml")):
        expected = tomllib.loads(path.read_text(encoding="utf-8"))
        reasons = expected.get("reasons", {})
        for check_id in list(expected.get("fail", [])) + list(expected.get("warn", [])):
            if check_id in reasons:
                proven.setdefault(check_id, []).append(path.parent.relative_to(CORPUS).as_posix())
    unproven = [f"{c.id} ({c.level})" for c in catalogue().values() if c.id not in proven]
    assert unproven == [], "checks no corpus fixture shows failing for its own reason: " + ", ".join(unproven)
