"""`conformance --sanitize address|undefined|thread`: real plugins built with -fsanitize,
run by the real runner under the preloaded runtime.

A correct plugin (both reference plugins, a scaffolded C project) passes every mode,
TSan included; a sanitizer error fails the check it happened in, with the whole
report and the plugin's frames first (the corpus fixtures hold the verdicts, see
test_conformance_corpus.py); what cannot be done is a one-line error with exit code 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT
from nylon_ring_sdk.conformance import run, sanitize
from test_conformance_support import ABI2_MANIFEST, build_abi2
from test_conformance_support import CORPUS, MANIFEST, TIMEOUT, build, sanitizer_flags

MODES = sanitize.MODES


def _not_passed(report) -> dict[str, str]:
    return {r.id: r.reason for r in report.results if r.status != "pass"
            and not (r.id == "unary.prompt_return" and "is slow" in r.reason)}


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "conformance", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT)


@pytest.mark.parametrize("mode", MODES)
def test_reference_plugin_abi1_passes_under_each_sanitizer(mode):
    report = run(build("reference", sanitize=mode), MANIFEST, timeout=TIMEOUT, sanitize=mode)
    assert _not_passed(report) == {}, report.render(verbose=True)


@pytest.mark.parametrize("mode", MODES)
def test_reference_plugin_abi2_passes_under_each_sanitizer(mode):
    report = run(build_abi2("reference", mode), ABI2_MANIFEST, timeout=TIMEOUT, sanitize=mode)
    assert set(_not_passed(report)) == {"abi.layout_probe"}, report.render(verbose=True)  # no probe macro in ABI 2


def _sanitizer_fixtures() -> list[tuple[str, str]]:
    found = []
    for path in sorted(CORPUS.rglob("expect.toml")):
        mode = tomllib.loads(path.read_text(encoding="utf-8")).get("sanitize")
        if mode:
            found.append((path.parent.relative_to(CORPUS).as_posix(), mode))
    return found


def test_every_mode_has_a_fixture_in_both_generations():
    fixtures = _sanitizer_fixtures()
    assert {m for n, m in fixtures if not n.startswith("abi2/")} == set(MODES)
    assert {m for n, m in fixtures if n.startswith("abi2/")} == set(MODES)


@pytest.mark.parametrize("name", [n for n, _ in _sanitizer_fixtures()])
def test_sanitizer_fixture_is_silent_in_a_default_run(name):
    """Each sanitizer fixture's bug is one only a sanitizer shows: built plainly, it passes."""
    if name.startswith("abi2/"):
        report = run(build_abi2(name.split("/", 1)[1]), ABI2_MANIFEST, timeout=TIMEOUT)
        assert set(_not_passed(report)) == {"abi.layout_probe"}, report.render(verbose=True)
    else:
        report = run(build(name), MANIFEST, timeout=TIMEOUT)
        assert _not_passed(report) == {}, report.render(verbose=True)


def test_failing_check_carries_the_whole_report_plugin_frames_first():
    plugin = build("racy_counter", sanitize="thread")
    report = run(plugin, MANIFEST, timeout=TIMEOUT, sanitize="thread", select_patterns="concurrency.threads")
    result = report.result("concurrency.threads")
    assert result.status == "fail" and result.crashed, report.render(verbose=True)
    assert result.reason.startswith("ThreadSanitizer: data race in nrc_route (plugin.c:")
    found = result.details["sanitizer"][0]
    assert list(found)[:3] == ["tool", "kind", "plugin_frames"]
    assert found["plugin_frames"] and all(f"({plugin}+0x" in f for f in found["plugin_frames"])
    assert found["plugin_frames"][0].split(" in ", 1)[1].startswith("nrc_route ")
    text = found["report"]
    assert text.startswith("==================\nWARNING: ThreadSanitizer: data race")
    assert "SUMMARY: ThreadSanitizer: data race" in text and "nrh_shim" in text  # the whole report, host frames too
    assert "Location is global 'nrc_calls_seen'" in text


def test_default_run_of_an_asan_build_says_to_use_sanitize():
    proc = _cli(str(build("reference", sanitize="address")), "--manifest", str(MANIFEST))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "built with -fsanitize=address" in proc.stderr and "--sanitize address" in proc.stderr


def test_unknown_mode_is_a_one_line_usage_error():
    proc = _cli(str(build("reference")), "--manifest", str(MANIFEST), "--sanitize", "memory")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --sanitize 'memory': unknown mode (expected address, undefined, thread)"


def test_plugin_not_built_with_the_sanitizer_is_refused():
    plugin = build("reference")
    proc = _cli(str(plugin), "--manifest", str(MANIFEST), "--sanitize", "thread")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"error: {plugin}: not built with -fsanitize=thread (no __tsan_init* symbol); "
                                   "rebuild it with -fsanitize=thread -g, or drop --sanitize")


def test_missing_runtime_names_what_is_missing(tmp_path):
    plugin = build("reference", sanitize="thread")
    env = dict(os.environ, PATH=str(tmp_path))  # no gcc, no clang: nothing knows where libtsan is
    proc = _cli(str(plugin), "--manifest", str(MANIFEST), "--sanitize", "thread", env=env)
    assert proc.returncode == 2
    line = proc.stderr.strip()
    assert line.startswith("error: --sanitize thread: no ThreadSanitizer runtime found (libtsan.so") and "\n" not in line


def test_scaffolded_c_plugin_passes_under_tsan(tmp_path):
    """A project from `nylon-ring new --lang c`, built with CFLAGS=-fsanitize=thread."""
    sanitizer_flags("thread")
    project = tmp_path / "sanitize-x"
    subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "new", "--lang", "c", "racefree", "--dir", str(project)],
                   check=True, capture_output=True, cwd=ROOT)
    env = dict(os.environ, CFLAGS="-fsanitize=thread -g")
    built = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "build", str(project / "racefree")],
                           capture_output=True, text=True, env=env, cwd=ROOT)
    assert built.returncode == 0, built.stderr
    library = Path(built.stdout.strip().splitlines()[-1])
    assert sanitize.instrumented(library, "thread")
    report = run(library, timeout=TIMEOUT, sanitize="thread")
    assert _not_passed(report) == {}, report.render(verbose=True)
    assert report.exit_code == 0


def test_tsan_shim_is_a_cache_entry_of_its_own():
    from nylon_ring_sdk.host import native

    plain, instrumented = native.shim_path(1, ""), native.shim_path(1, "thread")
    assert plain != instrumented
    assert sanitize.instrumented(instrumented, "thread") and not sanitize.instrumented(plain, "thread")
