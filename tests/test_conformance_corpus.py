"""The suite against its own corpus: the reference plugin passes every check, and each
broken plugin is flagged by exactly the checks its expect.toml names, and no others.

Crashes (SIGSEGV, SIGABRT) and hangs are among the faults: these runs also show
that the runner survives them and carries on in a fresh process.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from nylon_ring_sdk.conformance import catalogue, run
from nylon_ring_sdk.conformance.repeat import run_repeated
from nylon_ring_sdk.conformance.validate import validate_report
from test_conformance_support import (ABI2_CORPUS, ABI2_MANIFEST, ABI2_NAMES, CORPUS, MANIFEST, NAMES, TIMEOUT, build,
                                      build_abi2, expectation, manifest_for)


def _statuses(report, status: str) -> set[str]:
    return {r.id for r in report.results if r.status == status}


def _timing_warning(result) -> bool:
    """`unary.prompt_return` warns when handle is slow: a fact of the machine's load, not of the plugin."""
    return result.id == "unary.prompt_return" and "is slow" in result.reason


def _run_as_expected(plugin: Path, manifest: Path | None, expected: dict):
    """One run, or with `repeat = N` (and `seed = S`) in expect.toml the first failing run of
    `--repeat N --seed S`, which must fail within the N runs."""
    timeout = expected.get("timeout", TIMEOUT)
    mode = expected.get("sanitize")
    if "repeat" not in expected:
        return run(plugin, manifest, timeout=timeout, sanitize=mode)
    report, repeat = run_repeated(lambda seed: run(plugin, manifest, timeout=timeout, seed=seed, sanitize=mode),
                                  expected["repeat"], expected.get("seed", 1))
    assert repeat.failed_run is not None, f"no run of {expected['repeat']} failed:\n" + report.render()
    assert report.seed == repeat.failed_seed and report.to_json()["repeat"]["failed_seed"] == report.seed
    return report


@pytest.mark.parametrize("name", NAMES)
def test_corpus_plugin_gets_its_expected_verdict(name, monkeypatch):
    expected = expectation(name)
    for key, value in expected.get("env", {}).items():
        monkeypatch.setenv(key, value)
    report = _run_as_expected(build(name, sanitize=expected.get("sanitize")), manifest_for(name), expected)
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


# ---------------------------------------------------------------- ABI 2

def _abi2_expectation(name: str) -> dict:
    return tomllib.loads((ABI2_CORPUS / name / "expect.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ABI2_NAMES)
def test_abi2_corpus_plugin_gets_its_expected_verdict(name):
    expected = _abi2_expectation(name)
    report = _run_as_expected(build_abi2(name, expected.get("sanitize")), ABI2_MANIFEST, expected)
    shown = report.render(verbose=True)
    assert _statuses(report, "fail") == set(expected["fail"]), shown
    warned = {r.id for r in report.results if r.status == "warn" and not _timing_warning(r)}
    assert warned == set(expected["warn"]), shown
    for check_id, text in expected.get("reasons", {}).items():
        assert text in report.result(check_id).reason, shown
    assert report.exit_code == (1 if expected["fail"] else 0)
    assert len(report.results) == len(catalogue(2))
    assert validate_report(report.to_json()) == []


def test_abi2_reference_plugin_passes_everything_it_can():
    report = run(build_abi2("reference"), ABI2_MANIFEST, timeout=TIMEOUT)
    not_passed = {r.id: r.reason for r in report.results if r.status != "pass" and not _timing_warning(r)}
    # its one skip: the generated ABI 2 header has no usable layout-probe macro to export one with
    assert set(not_passed) == {"abi.layout_probe"}, report.render(verbose=True)
    assert report.plugin_name == "conformance-reference-abi2"
    assert "accepted" in report.result("abi.struct_size").reason  # its NrPluginInfo is larger than 56 bytes
    paths = report.result("owned.unchanged").details["paths"]
    assert paths["echo_owned"] == ["owned"] and paths["echo_lease"] == ["lease"] and paths["echo"] == ["copy"]
    assert "answered Backpressure and were retried" in report.result("stream.backpressure").reason


def test_abi2_corpus_has_one_fault_per_rule():
    ids = set(catalogue(2))
    reference = (ABI2_CORPUS / "reference" / "plugin.c").read_text()
    faults = set()
    for name in ABI2_NAMES:
        expected = _abi2_expectation(name)
        assert set(expected["fail"]) | set(expected["warn"]) | set(expected.get("reasons", {})) <= ids, name
        if name == "reference":
            continue
        source = (ABI2_CORPUS / name / "plugin.c").read_text()
        macros = re.findall(r"#define (NRC_FAULT_\w+)", source)
        assert len(macros) == 1 and '#include "../reference/plugin.c"' in source, name
        assert macros[0] in reference and (expected["fail"] or expected["warn"]), name
        faults.add(macros[0])
    assert len(faults) == len(ABI2_NAMES) - 1 >= 12
    # every variant is flagged by checks of its own, or in a mode of its own (--repeat): no two break the same rule
    flagged = [(tuple(_abi2_expectation(n)["fail"] + _abi2_expectation(n)["warn"]), _abi2_expectation(n).get("repeat"))
               for n in ABI2_NAMES if n != "reference"]
    assert len(set(flagged)) == len(flagged)


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
    every = {**catalogue(2), **catalogue(1)}  # both generations' catalogues; shared ids are one check
    unproven = [f"{c.id} ({c.level})" for c in every.values() if c.id not in proven]
    assert unproven == [], "checks no corpus fixture shows failing for its own reason: " + ", ".join(unproven)
