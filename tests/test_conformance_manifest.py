"""The conformance manifest: what it declares, each mistake's one-line message, discovery."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from nylon_ring_sdk.cli import app
from nylon_ring_sdk.conformance import catalogue, find_manifest, load_manifest, run
from nylon_ring_sdk.errors import ManifestError
from test_conformance_support import MANIFEST, TIMEOUT, build

ENTRY = '[[entries]]\nname = "x"\nmode = "raw"\n'


def test_reference_manifest_declares_every_mode():
    m = load_manifest(MANIFEST, catalogue())
    assert m.name == "conformance-reference" and m.unknown_entry == "unsupported"
    assert {e.name: e.mode for e in m.entries} == {"hello": "unary", "echo": "raw", "echo_async": "raw",
                                                   "state": "raw", "count": "stream_raw", "chat": "bidi"}
    hello = next(e for e in m.entries if e.name == "hello")
    assert hello.request.method == "GET" and hello.request.headers == (("x-test", "1"),)
    assert hello.expect == b"GET /hello world" and hello.expect_status == "Ok"
    echo_async = next(e for e in m.entries if e.name == "echo_async")
    assert echo_async.payload == b"\x00\xff\x10" and echo_async.is_echo
    chat = next(e for e in m.entries if e.name == "chat")
    assert chat.send == (b"a", b"b") and chat.expect_frames == (b"a", b"b") and chat.expect_terminal == "StreamEnd"
    assert [p.name for p in m.panic_probes] == ["panic", "panic_async"]


BAD = [
    ('[plugin]\nname = "x"\nbogus = 1\n', "plugin.bogus: unknown key"),
    ("colour = 1\n", "colour: unknown key"),
    ('[plugin]\nunknown_entry = "ok"\n', "plugin.unknown_entry: unknown value 'ok'"),
    ('[[entries]]\nname = "x"\nmode = "steam"\n', "entries[0].mode: unknown mode 'steam' (expected unary, raw"),
    ('[[entries]]\nmode = "raw"\n', "entries[0].name: missing"),
    (ENTRY + 'payload = "a"\npayload_hex = "00"\n', "entries[0].payload: give either payload or payload_hex"),
    (ENTRY + 'payload_hex = "zz"\n', "entries[0].payload_hex: not hexadecimal bytes"),
    (ENTRY + 'expect_status = "Fine"\n', "entries[0].expect_status: unknown status 'Fine'"),
    (ENTRY + 'request = { method = "GET" }\n', "entries[0].request: only unary and stream entries take a request"),
    (ENTRY + 'expect_frames = ["a"]\n', "entries[0].expect_frames: only stream, stream_raw and bidi entries"),
    (ENTRY + "payload = 3\n", "entries[0].payload: expected a string, got int 3"),
    ('[[entries]]\nname = "x"\nrequest = { verb = "GET" }\n', "entries[0].request.verb: unknown key"),
    (ENTRY + ENTRY, "entries[1].name: entry 'x' is declared twice"),
    ('[[panic_probes]]\nname = "p"\nmode = "stream"\n', "panic_probes[0].mode: unknown mode 'stream' (expected raw, unary)"),
    ('[opt_out]\n"no.such" = "why"\n', "opt_out.'no.such': unknown check id"),
    ('[opt_out]\n"stream.empty" = " "\n', "opt_out.'stream.empty': a reason is required"),
    ("[[entries]\n", "invalid TOML"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_manifest_names_file_and_key(tmp_path, text, message):
    path = tmp_path / "nylon-ring.toml"
    path.write_text(text)
    with pytest.raises(ManifestError) as info:
        load_manifest(path, catalogue())
    text = str(info.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_cli_reports_bad_manifest_on_one_line_with_exit_2(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[[entries]]\nname = "x"\nmode = "steam"\n')
    result = CliRunner().invoke(app, ["conformance", str(build("reference")), "--manifest", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {path}: entries[0].mode: unknown mode 'steam' "
                                     "(expected unary, raw, stream, stream_raw, bidi)")
    assert "Traceback" not in result.output


def test_manifest_found_beside_or_above_the_plugin(tmp_path):
    project = tmp_path / "project"
    (project / "target" / "release").mkdir(parents=True)
    library = project / "target" / "release" / "libp.so"
    library.write_bytes(b"")
    assert find_manifest(library) is None
    (project / "nylon-ring.toml").write_text("")
    assert find_manifest(library) == project / "nylon-ring.toml"
    (library.parent / "nylon-ring.toml").write_text("")
    assert find_manifest(library) == library.parent / "nylon-ring.toml"


def test_manifest_search_stops_at_the_repository_root(tmp_path):
    (tmp_path / "nylon-ring.toml").write_text("")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "build").mkdir()
    assert find_manifest(repo / "build" / "libp.so") is None


def test_run_uses_the_manifest_beside_the_plugin(tmp_path):
    library = tmp_path / "libreference.so"
    shutil.copy(build("reference"), library)
    shutil.copy(MANIFEST, tmp_path / "nylon-ring.toml")
    report = run(library, timeout=TIMEOUT, select_patterns="unary.answers")
    assert report.manifest == str(tmp_path / "nylon-ring.toml") and report.manifest_note == "found near the plugin"
    assert report.result("unary.answers").status == "pass"


def test_opt_out_skips_the_check_with_the_reason(tmp_path):
    manifest = tmp_path / "nylon-ring.toml"
    manifest.write_text(MANIFEST.read_text() + '\n[opt_out]\n"stream.empty" = "count needs a number"\n')
    report = run(build("reference"), manifest, timeout=TIMEOUT, select_patterns="stream.*")
    assert report.result("stream.empty").status == "skip"
    assert report.result("stream.empty").reason == "opted out by the manifest: count needs a number"
    assert report.result("stream.frames").status == "pass"


def test_declared_invalid_unknown_entry_passes_without_warning(tmp_path):
    manifest = tmp_path / "nylon-ring.toml"
    manifest.write_text(MANIFEST.read_text().replace('unknown_entry = "unsupported"', 'unknown_entry = "invalid"'))
    report = run(build("unknown_invalid"), manifest, timeout=TIMEOUT, select_patterns="routing.unknown_entry")
    assert report.result("routing.unknown_entry").status == "pass"
    assert "as the manifest declares" in report.result("routing.unknown_entry").reason


def test_without_manifest_the_run_is_incomplete_and_says_what_to_add():
    report = run(build("reference"), None, timeout=TIMEOUT)
    assert report.manifest is None and "no nylon_ring_manifest export" in report.manifest_note
    assert report.failures == [] and report.incomplete and report.exit_code == 3
    assert report.verdict.startswith("INCOMPLETE: no entries are known") and "--entry" in report.verdict
    unchecked = {r.id: r.reason for r in report.unchecked}
    assert "unary.answers" in unchecked and "no manifest" in unchecked["unary.answers"]
    assert "panic.probe" in unchecked and "concurrency.threads" in unchecked
    assert "lifecycle.quiet_after_shutdown" in unchecked  # nothing in flight: it tested nothing, so not a PASS
    for check_id in ("routing.unknown_entry", "input.null_request", "bidi.unknown_sid", "abi.slot_targets"):
        assert report.result(check_id).status == "pass"
    assert all(reason for reason in unchecked.values())
    allowed = run(build("reference"), None, timeout=TIMEOUT, allow_incomplete=True, select_patterns="load.*")
    assert allowed.exit_code == 0 and allowed.verdict.startswith("incomplete (allowed)")
