"""Reports and the command line: JSON against the shipped schema, JUnit XML, the terminal
report, rerun commands, --list, -k and the exit codes."""

from __future__ import annotations

import copy
import hashlib
import json
import shlex
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from nylon_ring_sdk.cli import app
from nylon_ring_sdk.conformance import SCHEMA_PATH, SUITE_VERSION, catalogue, run
from nylon_ring_sdk.conformance.validate import validate, validate_report
from test_conformance_support import MANIFEST, TIMEOUT, build

cli = CliRunner()


def conformance(*args: str):
    return cli.invoke(app, ["conformance", *args])


@pytest.fixture(scope="module")
def double_send_report():
    return run(build("double_send"), MANIFEST, timeout=TIMEOUT)


def test_json_report_follows_the_shipped_schema(double_send_report):
    data = json.loads(json.dumps(double_send_report.to_json()))
    assert validate_report(data) == []
    plugin = build("double_send")
    assert data["plugin"]["sha256"] == hashlib.sha256(plugin.read_bytes()).hexdigest()
    assert data["suite"]["version"] == SUITE_VERSION
    assert data["summary"]["exit_code"] == 1 and data["summary"]["must_failures"] == 1
    assert len(data["checks"]) == data["summary"]["total"] == len(catalogue())
    assert all(isinstance(c["duration"], float) and c["duration"] >= 0 for c in data["checks"])
    failed = [c for c in data["checks"] if c["status"] == "fail"]
    assert [c["id"] for c in failed] == ["unary.exactly_once"]
    assert failed[0]["rerun"].endswith("-k unary.exactly_once --timeout 4")


def test_schema_validator_rejects_broken_reports(double_send_report):
    good = json.loads(json.dumps(double_send_report.to_json()))
    breakages = [
        (lambda d: d.pop("summary"), "$: missing required property 'summary'"),
        (lambda d: d["plugin"].update(sha256="xyz"), "$.plugin.sha256: 'xyz' does not match"),
        (lambda d: d["checks"][0].update(status="maybe"), "$.checks[0].status: 'maybe' is not one of"),
        (lambda d: d["checks"][0].update(duration="1s"), "$.checks[0].duration: expected number, got str"),
        (lambda d: d["options"].update(jobs=0), "$.options.jobs: 0 is not at least 1"),
        (lambda d: d.update(extra=True), "$: unexpected property 'extra'"),
        (lambda d: d["summary"].update(exit_code=True), "$.summary.exit_code: True is not one of"),
    ]
    for breakage, message in breakages:
        data = copy.deepcopy(good)
        breakage(data)
        errors = validate_report(data)
        assert any(e.startswith(message) for e in errors), (message, errors)


def test_schema_validator_refuses_keywords_it_cannot_check():
    with pytest.raises(ValueError, match="oneOf"):
        validate(1, {"oneOf": [{"type": "integer"}]})
    assert json.loads(SCHEMA_PATH.read_text())["title"] == "nylon-ring conformance report"


def test_junit_report_parses_with_one_testcase_per_check(double_send_report):
    root = ET.fromstring(double_send_report.to_junit())
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests")) == len(catalogue())
    failures = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["unary.exactly_once"] and suite.get("failures") == "1"
    assert failures[0].get("classname") == "nylon_ring.conformance.unary"
    assert "rerun: nylon-ring conformance" in failures[0].find("failure").text
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["plugin_sha256"] == double_send_report.plugin_sha256 and props["suite_version"] == SUITE_VERSION


def test_cli_passing_plugin_writes_reports_and_exits_0(tmp_path):
    junit, report = tmp_path / "out" / "report.xml", tmp_path / "report.json"
    junit.parent.mkdir()  # report folders are the user's to make (test_cli_errors.py)
    result = conformance(str(build("reference")), "--manifest", str(MANIFEST), "--timeout", str(TIMEOUT),
                         "--junit", str(junit), "--json", str(report))
    assert result.exit_code == 0, result.output
    assert f"{len(catalogue())} checks: {len(catalogue())} passed" in result.stdout
    assert f"[ 1/{len(catalogue())}] PASS load.symbol" in result.stderr  # progress while running
    assert ET.parse(junit).getroot().tag == "testsuites"
    assert validate_report(json.loads(report.read_text())) == []


def test_cli_failing_plugin_exits_1_with_a_rerun_command_that_works():
    result = conformance(str(build("send_after_reject")), "--manifest", str(MANIFEST), "--timeout", str(TIMEOUT), "-q")
    assert result.exit_code == 1, result.output
    assert "FAIL  unary.reject_silent" in result.stdout
    rerun = result.stdout.split("rerun a failed check:\n", 1)[1].strip().splitlines()
    assert rerun[-1] == "verdict: FAILED: 1 MUST check(s) failed (exit 1)"
    rerun = rerun[:-1]
    assert len(rerun) == 1
    argv = shlex.split(rerun[0])
    assert argv[:2] == ["nylon-ring", "conformance"]
    again = cli.invoke(app, argv[1:])
    assert again.exit_code == 1
    assert "1 checks: 0 passed, 1 failed" in again.stdout


def test_cli_list_and_select():
    listed = conformance("--list")
    assert listed.exit_code == 0
    ids = [line.split()[0] for line in listed.stdout.splitlines()]
    assert ids == list(catalogue())
    assert "MUST" in listed.stdout and "SHOULD" in listed.stdout
    only = conformance("--list", "-k", "bidi.*", "-k", "panic.probe")
    assert [line.split()[0] for line in only.stdout.splitlines()] == [
        "bidi.unknown_sid", "bidi.terminal", "bidi.ping_pong", "bidi.closed_sid", "panic.probe"]


@pytest.mark.parametrize("args,message", [
    (["/no/such/plugin.so"], "error: /no/such/plugin.so: no such plugin file"),
    (["PLUGIN", "-k", "nothing.matches"], "error: -k nothing.matches: no check id matches"),
    (["PLUGIN", "--jobs", "0"], "error: --jobs must be 1 or more"),
    (["PLUGIN", "--timeout", "0"], "error: --timeout must be above 0"),
    ([], "error: missing PLUGIN"),
])
def test_cli_usage_errors_exit_2(args, message):
    args = [str(build("reference")) if a == "PLUGIN" else a for a in args]
    result = conformance(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_cli_library_that_cannot_be_loaded_exits_2(tmp_path):
    fake = tmp_path / "libfake.so"
    fake.write_text("not a library")
    result = conformance(str(fake), "-q", "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 2
    assert "cannot load library" in result.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["load_error"] and data["summary"]["exit_code"] == 2 and validate_report(data) == []


def test_parallel_and_serial_runs_agree():
    serial = run(build("null_req_crash"), MANIFEST, timeout=TIMEOUT, jobs=1)
    parallel = run(build("null_req_crash"), MANIFEST, timeout=TIMEOUT, jobs=3)
    assert [(r.id, r.status) for r in serial.results] == [(r.id, r.status) for r in parallel.results]
