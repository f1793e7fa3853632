"""A verdict a plugin's CI can trust: the suite owns its verdicts, a crash is charged to the
entry and step that caused it, no helper outlives the run, entries can be declared without
a side file (embedded manifest, --entry), and CI forms (GitHub annotations, baselines)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nylon_ring_sdk.cli import app
from nylon_ring_sdk.conformance import catalogue, run
from nylon_ring_sdk.conformance import channel
from nylon_ring_sdk.conformance.entryspec import parse_entry
from nylon_ring_sdk.conformance.validate import validate_report
from nylon_ring_sdk.errors import UsageError
from test_conformance_support import CORPUS, MANIFEST, TIMEOUT, build

cli = CliRunner()
REFERENCE_ENTRIES = ["hello=unary:world", "echo=raw:hi:hi", "echo_async=raw:\\x00\\xff:\\x00\\xff", "state=raw:kept:kept",
                     "count=stream_raw:3:0,1,2", "chat=bidi::a,b"]


def conformance(*args: str):
    return cli.invoke(app, ["conformance", *args])


# ---------------------------------------------------------------- the channel


def test_channel_keeps_authentic_records_and_counts_the_rest():
    key = channel.new_key()
    read_fd, write_fd = os.pipe()
    try:
        emit = channel.emitter(write_fd, key)
        emit({"e": "start", "check": "a.b"})
        os.write(write_fd, b'{"e": "result", "check": "a.b", "status": "pass"}\n')  # a plugin's forged line
        os.write(write_fd, b"noise without newline ")  # glued in front of the next record
        emit({"e": "done"})
        forged = channel.emitter(write_fd, channel.new_key())  # right framing, wrong key
        forged({"e": "result"})
        reader = channel.Reader(key)
        events = reader.feed(os.read(read_fd, 1 << 16))
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert events == [{"e": "start", "check": "a.b"}, {"e": "done"}]
    assert reader.rejected == 3


def test_channel_descriptor_is_moved_high_and_closed_on_exec():
    import fcntl

    read_fd, write_fd = os.pipe2(0)
    high = channel.hide_fd(write_fd)
    try:
        assert high >= channel.HIGH_FD
        assert fcntl.fcntl(high, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        with pytest.raises(OSError):
            os.fstat(write_fd)
    finally:
        os.close(high)
        os.close(read_fd)


def test_forging_plugin_gets_its_real_verdict():
    """The plugin writes passing verdicts to every descriptor it has; its double answer still fails."""
    report = run(build("forge"), MANIFEST, timeout=TIMEOUT, select_patterns="unary.*")
    assert report.result("unary.exactly_once").status == "fail", report.render()
    assert report.rejected_lines > 0
    assert "were not its own and were ignored" in report.render()


# ---------------------------------------------------------------- crashes, restarts, helpers


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_segfault_with_a_forked_helper_holding_the_channel_is_a_crash_and_the_helper_dies(tmp_path, monkeypatch):
    pids = tmp_path / "helpers"
    monkeypatch.setenv("NRC_HELPER_PIDFILE", str(pids))
    report = run(build("forked_helper"), MANIFEST, timeout=TIMEOUT, select_patterns="panic.probe")
    probe = report.result("panic.probe")
    assert probe.status == "fail" and "SIGSEGV" in probe.reason and "timed out" not in probe.reason, report.render()
    assert probe.duration < TIMEOUT
    helpers = [int(line) for line in pids.read_text().split()]
    assert helpers and not [pid for pid in helpers if _alive(pid)]


def test_a_crashing_entry_is_charged_alone_and_every_other_entry_is_checked():
    report = run(build("hello_crash"), MANIFEST, timeout=TIMEOUT)
    gate = report.result("unary.prompt_return")
    assert gate.status == "fail" and gate.crashed
    assert gate.reason.startswith("hello: the process was killed by SIGSEGV during handle('hello'"), gate.reason
    assert set(gate.details["crashed_entries"]) == {"hello"}
    assert gate.details["confirmed"] == ["echo", "echo_async", "state"]
    answers = report.result("unary.answers")
    assert answers.status == "pass" and "echo, echo_async, state answered as declared" in answers.reason
    assert answers.details["excluded"] == {"hello": "failed unary.prompt_return"}
    assert [r.id for r in report.failures] == ["unary.prompt_return"]
    for check_id in ("stream.frames", "bidi.ping_pong", "concurrency.threads", "input.bad_utf8", "panic.probe"):
        assert report.result(check_id).status == "pass", report.render(verbose=True)


def test_a_crash_on_the_first_call_after_a_restart_is_charged_to_that_call():
    """null_req_crash segfaults on every NULL req: hello first, then (in a fresh worker,
    whose first act is loading the plugin) the unknown entry; neither is blamed on Host.load."""
    report = run(build("null_req_crash"), MANIFEST, timeout=TIMEOUT, select_patterns="input.null_request", jobs=1)
    result = report.result("input.null_request")
    assert result.status == "fail" and result.crashed
    assert "Host.load" not in result.reason, result.reason
    assert result.details["crashed_entries"] == {
        "hello": "the process was killed by SIGSEGV during handle('hello', 5 bytes, req=NULL)"}
    assert result.reason.endswith("SIGSEGV during handle('nr-conformance-no-such-entry', 1 bytes, req=NULL)")


# ---------------------------------------------------------------- declaring entries without a file


def test_embedded_manifest_is_read_and_wins_over_a_file_beside_the_plugin(tmp_path):
    library = tmp_path / "libembedded.so"
    shutil.copy(build("embedded_manifest"), library)
    (tmp_path / "nylon-ring.toml").write_text('[plugin]\nname = "stale"\n')
    report = run(library, timeout=TIMEOUT, select_patterns="abi.manifest_name,unary.answers,bidi.unknown_sid")
    assert report.manifest == f"{library}: embedded manifest" and "ignored" in report.manifest_note
    assert report.result("abi.manifest_name").status == "pass"
    assert report.result("unary.answers").status == "pass" and report.exit_code == 0
    assert report.result("bidi.unknown_sid").level == "SHOULD"
    given = run(library, MANIFEST, timeout=TIMEOUT, select_patterns="abi.manifest_name")
    assert given.manifest_note == "given with --manifest"


def test_invalid_embedded_manifest_is_a_one_line_load_error():
    result = conformance(str(build("bad_embedded_manifest")), "-q", "--timeout", str(TIMEOUT))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ") and "embedded manifest: entries[0].mode: unknown mode 'steam'" in result.stderr


def test_entries_on_the_command_line_check_the_reference_plugin_fully(tmp_path):
    args = [a for spec in REFERENCE_ENTRIES for a in ("--entry", spec)] + ["--probe", "panic", "--probe", "panic_async=raw"]
    out = tmp_path / "r.json"
    result = conformance(str(build("reference")), *args, "-q", "--timeout", str(TIMEOUT), "--json", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert validate_report(data) == [] and data["summary"]["incomplete"] is False
    skipped = {c["id"] for c in data["checks"] if c["status"] == "skip"}
    assert skipped == {"abi.manifest_name"}  # no [plugin] name on the command line


@pytest.mark.parametrize("spec,message", [
    ("echo", "expected NAME=MODE[:PAYLOAD[:EXPECT]]"),
    ("echo=steam:hi", "unknown mode 'steam'"),
    ("echo=raw:a:b:c", "too many ':' fields"),
    ("echo=raw:\\q", "bad escape"),
])
def test_bad_entry_options_are_one_line_usage_errors(spec, message):
    with pytest.raises(UsageError, match="--entry"):
        parse_entry(spec)
    result = conformance(str(build("reference")), "--entry", spec)
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_entry_syntax_escapes():
    entry = parse_entry("x=raw:a\\:b\\,c:\\x00\\,")
    assert entry.payload == b"a:b,c" and entry.expect == b"\x00,"
    assert parse_entry("s=stream:3:0,1\\,5").expect_frames == (b"0", b"1,5")


# ---------------------------------------------------------------- judged by the ABI


def test_seed_like_plugin_answering_in_two_seconds_gets_no_failure():
    report = run(build("seed_like"), CORPUS / "seed_like" / "nylon-ring.toml", timeout=10.0)
    assert report.failures == [] and report.exit_code == 0, report.render(verbose=True)
    assert report.latency["unary"] >= 1.9
    assert {r.id for r in report.results if r.status == "warn"} == {"bidi.unknown_sid", "bidi.closed_sid"}


def test_every_must_check_cites_the_abi():
    for check in catalogue().values():
        assert check.level == "SHOULD" or check.cite, check.id
    listed = conformance("--list", "-k", "unary.exactly_once")
    assert "[abi-v1-facts.md: The protocol rules]" in listed.stdout


def test_strict_level_fails_on_warnings():
    plugin = str(build("unknown_invalid"))
    default = conformance(plugin, "--manifest", str(MANIFEST), "-q", "-k", "routing.unknown_entry")
    strict = conformance(plugin, "--manifest", str(MANIFEST), "-q", "-k", "routing.unknown_entry", "--level", "strict")
    assert default.exit_code == 0 and strict.exit_code == 1, strict.output
    assert conformance(plugin, "--level", "paranoid").exit_code == 2


# ---------------------------------------------------------------- CI


def test_github_annotations_and_a_baseline(tmp_path):
    plugin = str(build("double_send"))
    base = ["--manifest", str(MANIFEST), "-q", "--timeout", str(TIMEOUT), "-k", "unary.*"]
    plain = conformance(plugin, *base, "--format", "github")
    assert plain.exit_code == 1
    errors = [line for line in plain.stdout.splitlines() if line.startswith("::error ")]
    assert errors[0].startswith(f"::error file={plugin},title=unary.exactly_once (MUST)::")
    assert "rerun: nylon-ring conformance" in errors[0] and errors[-1].startswith("::error file=")
    baseline = tmp_path / "baseline.txt"
    baseline.write_text("# known\nunary.exactly_once\nunary.answers  # fixed since\n")
    known = conformance(plugin, *base, "--github", "--baseline", str(baseline), "--json", str(tmp_path / "r.json"))
    assert known.exit_code == 0, known.output
    assert "::warning file=" in known.stdout and "known failure (baseline)" in known.stdout
    assert "::notice file=" in known.stdout and "passes now" in known.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["baseline"]["known"] == ["unary.exactly_once"] and data["baseline"]["fixed"] == ["unary.answers"]
    assert validate_report(data) == []
    as_report = conformance(plugin, *base, "--baseline", str(tmp_path / "r.json"))
    assert as_report.exit_code == 0
    baseline.write_text("unary.nonsense\n")
    bad = conformance(plugin, *base, "--baseline", str(baseline))
    assert bad.exit_code == 2 and "baseline.txt:1: unknown check id 'unary.nonsense'" in bad.stderr
