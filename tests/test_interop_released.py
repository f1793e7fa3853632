"""The released Rust host (nylon-ring-host 0.2.2) against plugins, through tests/interop_host.py.

The hand-written ABI 2 C plugin in tests/interop/plugins/ checks the driver itself:
every path the host offers (unary, fast, fire-and-forget, stream, bidi, integer
dispatch, owned bytes, leases) must give exactly the answer the plugin sent.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import need_tool
from interop_host import DriverError, HostRefusedPlugin, drive, released_host

PLUGIN_SOURCE = Path(__file__).resolve().parent / "interop" / "plugins" / "abi2_plugin.c"


def build_c_plugin(out: Path, *defines: str) -> Path:
    """Compile the hand-written plugin with `cc`, warnings as errors."""
    cc = need_tool("cc")
    flags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-fPIC", "-shared", "-pthread"]
    proc = subprocess.run([cc, *flags, *(f"-D{d}" for d in defines), str(PLUGIN_SOURCE), "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def c_plugin(tmp_path_factory) -> Path:
    released_host()
    return build_c_plugin(tmp_path_factory.mktemp("interop-c") / "libabi2_interop.so")


def answer(result: dict) -> tuple[int, str]:
    assert result["ok"], result
    return result["status"], result["hex"]


def test_unary_paths_answer_exactly(c_plugin):
    binary = {"hex": "00ff0a41"}
    results = drive(c_plugin, [
        {"op": "unary", "entry": "echo", "payload": "hello"},
        {"op": "fast", "entry": "echo", "payload": "fast one"},
        {"op": "unary", "entry": "echo", "payload": binary},
        {"op": "unary", "entry": "echo"},
        {"op": "unary", "entry": "echo_async", "payload": "later"},
        {"op": "unary", "entry": "echo_lease", "payload": "leased"},
        {"op": "fast", "entry": "echo_lease", "payload": "leased fast"},
        {"op": "by_id", "entry": "echo", "payload": "by id"},
        {"op": "by_id", "entry": "echo", "payload": "by id fast", "call": "fast"},
        {"op": "by_id", "entry": "echo_async", "payload": "by id later"},
    ])
    assert [r["step"] for r in results] == list(range(10))
    assert [r.get("data") for r in results] == ["hello", "fast one", None, "", "later", "leased", "leased fast",
                                                  "by id", "by id fast", "by id later"]
    assert answer(results[2]) == (0, "00ff0a41")
    assert all(answer(r)[0] == 0 and r["status_name"] == "Ok" for r in results)


def test_fast_path_needs_a_synchronous_answer(c_plugin):
    [result] = drive(c_plugin, [{"op": "fast", "entry": "echo_async", "payload": "x"}])
    assert not result["ok"]
    assert result["error_kind"] == "MissingSynchronousResponse"


def test_fire_and_forget_reaches_the_plugin(c_plugin):
    results = drive(c_plugin, [
        {"op": "call", "entry": "notify", "payload": "note 1"},
        {"op": "unary", "entry": "last"},
        {"op": "by_id", "entry": "notify", "payload": "note 2", "call": "call"},
        {"op": "unary", "entry": "last"},
    ])
    assert [r["ok"] for r in results] == [True] * 4
    assert results[0]["status"] == 0 and results[2]["status"] == 0
    assert results[1]["data"] == "note 1" and results[3]["data"] == "note 2"


def frames(result: dict) -> list[tuple[int, str]]:
    assert result["ok"], result
    return [(f["status"], f["data"]) for f in result["frames"]]


def test_stream_collects_every_frame_then_the_terminal_one(c_plugin):
    results = drive(c_plugin, [
        {"op": "stream", "entry": "count", "payload": "3"},
        {"op": "stream", "entry": "count", "payload": "0"},
        {"op": "by_id", "entry": "count", "payload": "2", "call": "stream"},
        {"op": "stream", "entry": "count", "payload": "many"},
    ])
    assert frames(results[0]) == [(0, "0"), (0, "1"), (0, "2"), (4, "")]
    assert frames(results[1]) == [(4, "")]
    assert frames(results[2]) == [(0, "0"), (0, "1"), (4, "")]
    assert all(r["end"] == "terminal" for r in results[:3])
    assert not results[3]["ok"] and results[3]["error_kind"] == "PluginHandleFailed" and results[3]["status"] == 2


def test_bidi_echoes_each_message_and_ends_on_close(c_plugin):
    results = drive(c_plugin, [
        {"op": "bidi", "entry": "chat", "send": ["one", {"hex": "0001"}, ""]},
        {"op": "bidi", "entry": "chat", "send": ["open"], "close": False, "timeout_ms": 300},
    ])
    first, unclosed = results
    assert first["sent"] == [0, 0, 0, {"close": 0}]
    assert [(f["status"], f["hex"]) for f in first["frames"]] == [(0, "6f6e65"), (0, "0001"), (0, ""), (4, "")]
    assert first["end"] == "terminal"
    assert unclosed["sent"] == [0]
    assert frames(unclosed) == [(0, "open")] and unclosed["end"] == "timeout"


def test_owned_answers_are_zero_copy_and_released_once(c_plugin):
    results = drive(c_plugin, [
        {"op": "bytes", "entry": "echo_owned", "payload": "owned 1"},
        {"op": "unary", "entry": "echo_owned", "payload": "owned 2"},
        {"op": "bytes", "entry": "echo", "payload": "copied"},
        {"op": "unary", "entry": "releases"},
    ])
    assert results[0]["data"] == "owned 1" and results[0]["foreign"] is True
    assert results[1]["data"] == "owned 2"
    assert results[2]["data"] == "copied" and results[2]["foreign"] is False
    assert results[3]["data"] == "2 2"


def test_failures_name_the_host_error(c_plugin):
    results = drive(c_plugin, [
        {"op": "unary", "entry": "no_such_entry", "payload": "x"},
        {"op": "fast", "entry": "fail", "payload": "x"},
        {"op": "by_id", "entry": "no_such_entry", "payload": "x"},
        {"op": "call", "entry": "fail"},
        {"op": "teleport", "entry": "echo"},
        {"op": "unary", "payload": "x"},
    ])
    assert [r["ok"] for r in results] == [False] * 6
    assert (results[0]["error_kind"], results[0]["status"]) == ("PluginHandleFailed", 2)
    assert (results[1]["error_kind"], results[1]["status"]) == ("PluginHandleFailed", 1)
    assert results[2]["error_kind"] == "EntryNotFound"
    assert (results[3]["error_kind"], results[3]["status"]) == ("PluginHandleFailed", 1)
    assert "unknown op 'teleport'" in results[4]["error"]
    assert results[5]["error"] == "step: missing 'entry' (expected a string)"


def test_unanswered_calls_time_out(c_plugin):
    results = drive(c_plugin, [
        {"op": "unary", "entry": "notify", "timeout_ms": 200},
        {"op": "unary", "entry": "echo", "payload": "after"},
    ])
    assert (results[0]["ok"], results[0]["error_kind"], results[0]["error"]) == (False, "Timeout", "no answer within 200 ms")
    assert results[1]["data"] == "after"
    with pytest.raises(DriverError, match=r"did not finish 2 steps within 1 s") as caught:
        drive(c_plugin, [{"op": "unary", "entry": "echo", "payload": "x"},
                         {"op": "unary", "entry": "notify", "timeout_ms": 5000}], timeout=1)
    assert [r["data"] for r in caught.value.results] == ["x"]


def test_bench_step_reports_ns_per_call(c_plugin):
    [result] = drive(c_plugin, [{"op": "bench", "entry": "echo", "n": 2000, "rounds": 3}])
    assert result["ok"], result
    assert result["n"] == 2000 and result["payload_len"] == 5
    assert len(result["call_response_rounds_ns"]) == 3 and len(result["call_response_fast_rounds_ns"]) == 3
    assert 0 < result["call_response_fast_ns"] < 1e6 and 0 < result["call_response_ns"] < 1e6


def test_bench_step_stops_on_a_failing_entry(c_plugin):
    [result] = drive(c_plugin, [{"op": "bench", "entry": "fail", "n": 10}])
    assert not result["ok"] and result["error_kind"] == "PluginHandleFailed"


@pytest.mark.parametrize(("defines", "kind", "text"), [
    (("INTEROP_EXPORT=nylon_ring_get_plugin_v1",), "MissingSymbol", "missing required symbol: nylon_ring_get_plugin"),
    (("INTEROP_ABI_VERSION=3",), "IncompatibleAbiVersion", "expected 2, got 3"),
])
def test_host_refuses_other_generations(tmp_path, defines, kind, text):
    released_host()
    plugin = build_c_plugin(tmp_path / "librefused.so", *defines)
    with pytest.raises(HostRefusedPlugin, match=text) as caught:
        drive(plugin, [{"op": "unary", "entry": "echo"}])
    assert caught.value.kind == kind


def test_driver_command_line_word_form(c_plugin):
    host = released_host()
    proc = subprocess.run([str(host), str(c_plugin), "unary", "echo", "hi", "bidi", "chat", "", "m"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and '"data":"hi"' in lines[1] and '"sent":[0,{"close":0}]' in lines[2]
    bad = subprocess.run([str(host), str(c_plugin), "unary", "echo"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert bad.stdout.strip() == '{"error":"step \'unary\': expected 2 words after it, got 1","ok":false,"op":"error"}'


def test_crashing_plugin_is_reported_with_the_answers_so_far(tmp_path):
    released_host()
    plugin = build_c_plugin(tmp_path / "libcrash.so", "INTEROP_CRASH_ON_FAIL")
    with pytest.raises(DriverError, match=r"stopped after 1 of 2 steps \(signal 11") as caught:
        drive(plugin, [{"op": "unary", "entry": "echo", "payload": "a"}, {"op": "unary", "entry": "fail"}])
    assert caught.value.results[0]["data"] == "a"


def test_released_crate_plugin_through_the_released_host():
    """The plugin written against nylon-ring 0.2.2 answers every path as its source says."""
    from interop_host import released_plugin

    plugin = released_plugin()
    results = drive(plugin, [
        {"op": "unary", "entry": "hello", "payload": "world"},
        {"op": "fast", "entry": "echo", "payload": {"hex": "00ff10"}},
        {"op": "unary", "entry": "echo_async", "payload": "later"},
        {"op": "bytes", "entry": "echo_owned", "payload": "owned"},
        {"op": "unary", "entry": "echo_lease", "payload": "leased"},
        {"op": "by_id", "entry": "hello", "payload": "id", "call": "fast"},
        {"op": "stream", "entry": "count", "payload": "3"},
        {"op": "by_id", "entry": "count", "payload": "1", "call": "stream"},
        {"op": "bidi", "entry": "chat", "send": ["a", "b"]},
        {"op": "unary", "entry": "panic"},
        {"op": "unary", "entry": "no_such_entry"},
    ])
    assert [r.get("data") for r in results[:6]] == ["hello, world", None, "later", "owned", "leased", "hello, id"]
    assert answer(results[1]) == (0, "00ff10")
    assert results[3]["foreign"] is True
    assert frames(results[6]) == [(0, "0"), (0, "1"), (0, "2"), (4, "")]
    assert frames(results[7]) == [(0, "0"), (4, "")]
    assert frames(results[8]) == [(0, "a"), (0, "b"), (4, "")] and results[8]["sent"] == [0, 0, {"close": 0}]
    assert not results[9]["ok"] and results[9]["error_kind"] == "PluginPanicked"
    assert (results[10]["error_kind"], results[10]["status"]) == ("PluginHandleFailed", 2)


def test_released_host_bench_compares_with_upstream(c_plugin, tmp_path):
    """bench/released_host.py times upstream, the C floor and a given plugin in one run."""
    import json
    import os
    import sys

    from conftest import ROOT
    from interop_host import released_plugin

    released_plugin()
    out = tmp_path / "figures.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "released_host.py"), "--calls", "2000",
                           "--rounds", "2", "--json", str(out), f"mine={c_plugin}"],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"reproduce: python bench/released_host.py --calls 2000 --rounds 2 --json {out} mine={c_plugin}" in proc.stdout
    figures = json.loads(out.read_text())
    upstream, floor, mine = figures["plugins"]
    assert upstream["label"].startswith("upstream") and floor["label"].startswith("C floor") and mine["label"] == "mine"
    for row in (upstream, floor, mine):
        assert row["problem"] is None and len(row["rounds_ns"]["call_response"]) == 2
        for mode in ("call_response", "call_response_fast"):
            assert row[f"{mode}_ns"] > 0
            assert abs(row[f"{mode}_ratio"] - row[f"{mode}_ns"] / upstream[f"{mode}_ns"]) < 1e-9
    line = next(line for line in proc.stdout.splitlines() if line.startswith("mine "))
    assert f"{mine['call_response_ratio']:.2f}x" in line


def test_released_host_bench_rejects_a_missing_plugin(tmp_path):
    import sys

    from conftest import ROOT

    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "released_host.py"), str(tmp_path / "none.so")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith(
        f"{tmp_path / 'none.so'}: no such plugin file (expected the path of a built ABI 2 shared library)")
