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
    """bench_report/released_host.py times upstream, the C floor and a given plugin in one run."""
    import json
    import os
    import sys

    from conftest import ROOT
    from interop_host import released_plugin

    released_plugin()
    out = tmp_path / "figures.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(ROOT / "bench_report" / "released_host.py"), "--calls", "2000",
                           "--rounds", "2", "--json", str(out), f"mine={c_plugin}"],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"reproduce: python bench_report/released_host.py --calls 2000 --rounds 2 --json {out} mine={c_plugin}" in proc.stdout
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

    proc = subprocess.run([sys.executable, str(ROOT / "bench_report" / "released_host.py"), str(tmp_path / "none.so")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith(
        f"{tmp_path / 'none.so'}: no such plugin file (expected the path of a built ABI 2 shared library)")


#: (op, entry, payload, messages): the calls both hosts make, on both plugins.
SAME_CALLS = [
    ("unary", "echo", b"same", ()),
    ("unary", "echo", bytes(range(256)), ()),
    ("unary", "echo_async", b"later", ()),
    ("unary", "echo_owned", b"owned", ()),
    ("unary", "echo_lease", b"leased", ()),
    ("by_id", "echo", b"by id", ()),
    ("stream", "count", b"4", ()),
    ("bidi", "chat", b"", (b"x", b"", b"\x00yz")),
]


def released_answers(plugin: Path) -> list:
    """SAME_CALLS through the released host: (status, bytes) or a list of frames."""
    steps = []
    for op, entry, payload, messages in SAME_CALLS:
        step = {"op": op, "entry": entry, "payload": {"hex": payload.hex()}}
        if op == "bidi":
            step["send"] = [{"hex": m.hex()} for m in messages]
        steps.append(step)
    out = []
    for result in drive(plugin, steps):
        assert result["ok"], result
        if "frames" in result:
            out.append([(f["status"], bytes.fromhex(f["hex"])) for f in result["frames"]])
        else:
            out.append((result["status"], bytes.fromhex(result["hex"])))
    return out


def reference_answers(plugin: Path) -> tuple[list, list[str], list]:
    """SAME_CALLS through our reference host (nylon_ring_sdk.host): answers, answer paths, violations."""
    from nylon_ring_sdk.host import Host

    out, paths = [], []
    with Host.load(plugin) as host:
        assert host.abi == 2
        for op, entry, payload, messages in SAME_CALLS:
            if op in ("unary", "by_id"):
                r = host.call(entry, payload) if op == "unary" else host.call_by_id(host.resolve(entry), payload)
                out.append((int(r.status), r.data))
                paths.append(r.path)
            elif op == "stream":
                out.append([(int(f.status), f.data) for f in host.stream_raw(entry, payload)])
            else:
                with host.bidi(entry, payload, raw=True) as session:
                    sent = [session.send(m) for m in messages]
                    assert sent == [0] * len(messages) and session.close() == 0
                    out.append([(int(f.status), f.data) for f in session])
        violations = list(host.violations)
    return out, paths, violations


def test_both_hosts_give_the_same_answers(c_plugin):
    """Our reference host and the released host agree on the hand-written and the released-crate plugin."""
    from interop_host import released_plugin

    for plugin in (c_plugin, released_plugin()):
        released = released_answers(plugin)
        ours, paths, violations = reference_answers(plugin)
        assert ours == released, plugin
        assert violations == [], plugin
        assert paths == ["copy", "copy", "copy", "owned", "lease", "copy"], plugin
        assert released[0] == (0, b"same") and released[6][-1] == (4, b"")
        assert released[7] == [(0, b"x"), (0, b""), (0, b"\x00yz"), (4, b"")]


def test_released_crate_plugin_passes_our_conformance():
    """Our conformance suite (reference host, ABI 2) finds no FAIL in a plugin of the released crate."""
    import os
    import sys

    from conftest import ROOT
    from interop_host import PLUGIN_CRATE, released_plugin

    plugin = released_plugin()
    manifest = PLUGIN_CRATE / "nylon-ring.toml"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "conformance", str(plugin), "--manifest",
                           str(manifest)], capture_output=True, text=True, timeout=600, env=env)
    failed = [line for line in proc.stdout.splitlines() if line.strip().startswith("FAIL")]
    assert failed == [], proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_released_host_backpressure_reaches_the_released_crate_plugin():
    """With a 1-frame stream queue the released host answers Backpressure; the plugin's retries still end the stream."""
    from interop_host import released_plugin

    results = drive(released_plugin(), [
        {"op": "stream", "entry": "count", "payload": "20"},
        {"op": "bidi", "entry": "chat", "send": [str(i) for i in range(10)]},
    ], stream_capacity=1)
    assert frames(results[0]) == [(0, str(i)) for i in range(20)] + [(4, "")]
    assert frames(results[1]) == [(0, str(i)) for i in range(10)] + [(4, "")]


def test_driver_rejects_a_bad_stream_capacity(c_plugin):
    host = released_host()
    bad = subprocess.run([str(host), "--stream-capacity", "0", str(c_plugin), "unary", "echo", "x"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert bad.stdout.strip() == '{"error":"--stream-capacity: \'0\' is not a whole number >= 1","ok":false,"op":"error"}'
