"""The lifecycle group, the late-frame watch and the stdout capture, on real corpus plugins.

The corpus test holds every fixture to its verdict; these tests hold what the verdicts
say: the delay of a late frame, the name of a leftover thread, the bytes a call kept,
the check during which stdout was written, and what `--level strict` changes.
"""

from __future__ import annotations

from nylon_ring_sdk.conformance import run
from nylon_ring_sdk.conformance.checks import lifecycle, timing
from test_conformance_support import MANIFEST, TIMEOUT, build

LIFECYCLE = "lifecycle.info_stable,lifecycle.memory,lifecycle.threads,lifecycle.reinit,lifecycle.reload,timing.*,io.stdout"


def test_reference_plugin_passes_the_lifecycle_group_and_is_really_unloaded():
    report = run(build("reference"), MANIFEST, timeout=TIMEOUT, select_patterns=LIFECYCLE)
    assert {r.id: r.status for r in report.results if r.status != "pass"} == {}, report.render(verbose=True)
    assert report.result("lifecycle.reload").details["unmapped"] is True
    memory = report.result("lifecycle.memory").details["entries"]
    assert set(memory) == {"hello", "echo", "echo_async", "state"}
    assert all(m["calls"] > 0 and m["malloc_bytes"] / m["calls"] < lifecycle.MALLOC_PER_CALL for m in memory.values())
    # the watch lasted at least its minimum after the group's first finished call
    assert report.result("timing.late_frames").details["watched_seconds"] >= timing.LATE_WATCH_MIN


def test_a_late_frame_is_reported_with_its_delay():
    report = run(build("late_progress"), MANIFEST, timeout=TIMEOUT, select_patterns=LIFECYCLE)
    late = report.result("timing.late_frames")
    assert late.status == "fail", report.render(verbose=True)
    first = late.details["late"][0]
    assert first["after"] == "terminal" and 1.4 <= first["seconds"] < 3.0
    assert "count (sid" in late.reason and "after its terminal frame" in late.reason


def test_a_frame_after_shutdown_is_reported_with_its_delay():
    report = run(build("goodbye_after_shutdown"), MANIFEST, timeout=TIMEOUT, select_patterns="timing.*,lifecycle.threads")
    after = report.result("timing.after_shutdown")
    assert after.status == "fail", report.render(verbose=True)
    assert all(item["after"] == "shutdown" and 0.15 <= item["seconds"] < 1.0 for item in after.details["late"])
    # the goodbye thread ends within the grace period, so it is not a leftover thread
    assert report.result("lifecycle.threads").status == "pass"


def test_a_leftover_thread_is_named_and_the_plugin_is_not_unloaded_under_it():
    report = run(build("thread_left_running"), MANIFEST, timeout=TIMEOUT, select_patterns=LIFECYCLE)
    threads = report.result("lifecycle.threads")
    assert threads.status == "fail" and "nrc-housekeep" in threads.reason, report.render(verbose=True)
    assert list(threads.details["left"].values()) == ["nrc-housekeep"]
    assert report.result("lifecycle.reload").status == "skip"  # dlclose would crash the worker


def test_a_leak_is_charged_to_its_entry_in_bytes_a_call():
    report = run(build("leak_per_call"), MANIFEST, timeout=TIMEOUT, select_patterns="lifecycle.memory")
    memory = report.result("lifecycle.memory")
    assert memory.status == "warn", report.render(verbose=True)
    echo = memory.details["entries"]["echo"]
    assert echo["malloc_bytes"] / echo["calls"] > (1 << 20) * 0.9
    assert all(m["malloc_bytes"] / m["calls"] < lifecycle.MALLOC_PER_CALL
               for name, m in memory.details["entries"].items() if name != "echo")


def test_stdout_names_the_check_and_the_first_bytes():
    report = run(build("debug_printf"), MANIFEST, timeout=TIMEOUT)
    out = report.result("io.stdout")
    assert out.status == "warn", report.render(verbose=True)
    assert out.details["first_bytes"].startswith("echo: sid ")
    assert "unary.exactly_once" in out.details["during"]  # bytes from several processes are gathered
    assert report.exit_code == 0
    strict = run(build("debug_printf"), MANIFEST, timeout=TIMEOUT, select_patterns="io.stdout,unary.exactly_once")
    strict.strict = True
    assert strict.exit_code == 1


def test_strict_level_watches_longer_and_calls_more():
    report = run(build("reference"), MANIFEST, timeout=TIMEOUT, select_patterns="lifecycle.memory,timing.handler_blocks,timing.late_frames",
                 strict=True)
    assert report.result("timing.late_frames").details["watched_seconds"] >= timing.LATE_WATCH_STRICT - 0.05
    calls = sum(m["calls"] for m in report.result("lifecycle.memory").details["entries"].values())
    assert calls > lifecycle.MEMORY_CALLS, report.render(verbose=True)
