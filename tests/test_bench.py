"""The benchmark harness: exact answer counting, misbehaving plugins, every mode, the CLI.

Runs are a few milliseconds each; nothing here asserts a timing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nylon_ring_sdk import bench, toolchain
from nylon_ring_sdk.bench.build import cache_key, generated_header, harness_path
from nylon_ring_sdk.cli import app
from nylon_ring_sdk.errors import BenchError

ROOT = Path(__file__).resolve().parent.parent
FLOOR_SOURCE = ROOT / "bench_report" / "floor" / "floor.c"
FAULTY_SOURCE = Path(__file__).resolve().parent / "bench_plugins" / "faulty.c"
QUICK = {"seconds": 0.005, "runs": 2}


def compile_plugin(source: Path, out: Path, *defines: str) -> Path:
    """Build one C plugin against the generated header."""
    include = out.parent / "include"
    include.mkdir(exist_ok=True)
    (include / "nylon_ring.h").write_text(generated_header(), encoding="utf-8")
    cmd = [*toolchain.c_compiler(), "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
           "-pthread", *(f"-D{d}" for d in defines), "-I", str(include), str(source), "-o", str(out)]
    proc = toolchain.run(cmd)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def plugins(tmp_path_factory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("bench_plugins")
    return {
        "floor": compile_plugin(FLOOR_SOURCE, where / "libfloor.so"),
        "faulty": compile_plugin(FAULTY_SOURCE, where / "libfaulty.so"),
        "bad_abi": compile_plugin(FAULTY_SOURCE, where / "libbad_abi.so", "BAD_ABI"),
        "bad_probe": compile_plugin(FAULTY_SOURCE, where / "libbad_probe.so", "BAD_PROBE"),
    }


# ---------------------------------------------------------------- counting


def test_counts_every_call_and_answer_exactly(plugins, tmp_path, monkeypatch):
    count_file = tmp_path / "count.txt"
    monkeypatch.setenv("NR_BENCH_COUNT_FILE", str(count_file))
    result = bench.run(plugins["faulty"], "echo", "raw", threads=(1, 2), calls=1000, runs=3)
    # one probe call, then per case a warm-up run and 3 timed runs of 1000 calls per thread
    expected = 1 + (1 + 3) * 1000 * 1 + (1 + 3) * 1000 * 2
    assert result.calls_total == expected
    assert result.answers_total == expected
    assert int(count_file.read_text()) == expected
    assert [c.calls for c in result.cases] == [3 * 1000, 3 * 2 * 1000]
    for case in result.cases:
        assert [r["calls"] for r in case.runs] == [1000 * case.threads] * 3


def test_counts_pipelined_async_calls_exactly(plugins):
    result = bench.run(plugins["floor"], "echo_async", "async", threads=(2,), inflight=(1, 8), calls=200, runs=2)
    assert result.calls_total == result.answers_total == 1 + 2 * (1 + 2) * 200 * 2
    for case in result.cases:
        assert case.calls == 2 * 200 * 2
        assert case.latency is not None and case.latency.samples == case.calls


# ---------------------------------------------------------------- misbehaving plugins


@pytest.mark.parametrize(("entry", "mode", "message"), [
    ("wrong_sid", "raw", "which is not in flight"),
    ("foreign_sid", "raw", "sid 42, which the harness never issued"),
    ("twice", "raw", "second terminal answer"),
    ("err", "raw", "ended with Err (expected Ok)"),
    ("short_sometimes", "raw", "answered 15 payload bytes (expected 16)"),
    ("count_short", "stream", "sent 4 Ok frames (expected 5)"),
    ("no_such_entry", "raw", "handle_raw returned Unsupported for entry 'no_such_entry'"),
    ("echo", "unary", "mode unary needs vtable.handle"),
])
def test_misbehaviour_is_an_error_not_a_number(plugins, entry, mode, message):
    with pytest.raises(BenchError, match=re.escape(message)):
        bench.run(plugins["faulty"], entry, mode, calls=1000, runs=1)


def test_a_call_never_answered_is_reported(plugins):
    with pytest.raises(BenchError, match=r"no terminal answer for sid \d+ within 0.2 s"):
        bench.run(plugins["faulty"], "silent", "raw", timeout=0.2, **QUICK)


def test_an_async_answer_dropped_under_load_is_reported(plugins):
    with pytest.raises(BenchError, match="no terminal answer"):
        bench.run(plugins["faulty"], "silent_async", "async", inflight=(4,), calls=400, runs=1, timeout=0.3)


def test_an_async_mode_answer_from_inside_handle_is_reported(plugins):
    """Async mode measures answers from the plugin's own thread: a synchronous answer is not one."""
    with pytest.raises(BenchError, match="answered inside handle on the calling thread, not asynchronously"):
        bench.run(plugins["floor"], "echo", "async", calls=10, runs=1)


@pytest.mark.parametrize(("plugin", "message"), [
    ("bad_abi", "abi_version is 2 (expected 1)"),
    ("bad_probe", "layout probe has version 1 and 4 values"),
])
def test_plugins_are_validated_before_any_call(plugins, plugin, message):
    with pytest.raises(BenchError, match=re.escape(message)):
        bench.run(plugins[plugin], "echo", **QUICK)


def test_a_library_that_is_not_a_plugin(tmp_path):
    source = tmp_path / "other.c"
    source.write_text("int unrelated(void) { return 1; }\n")
    lib = tmp_path / "libother.so"
    proc = toolchain.run([*toolchain.c_compiler(), "-shared", "-fPIC", str(source), "-o", str(lib)])
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(BenchError, match=r"exports neither nylon_ring_get_plugin \(ABI 2\) nor nylon_ring_get_plugin_v1"):
        bench.run(lib, "echo", **QUICK)


def test_a_missing_file(tmp_path):
    with pytest.raises(BenchError, match="no such plugin library"):
        bench.run(tmp_path / "absent.so", "echo")


# ---------------------------------------------------------------- the host side


def test_state_extension_and_host_ctx_offset_48(plugins):
    state = bench.run(plugins["faulty"], "state", "raw", calls=500, runs=1, payload="remember me")
    assert state.state_extension is True
    assert state.expect_status == "Ok" and state.expect_bytes == len("remember me")
    ctx48 = bench.run(plugins["faulty"], "ctx48", "raw", calls=10, runs=1)
    assert ctx48.expect_status == "Ok"


# ---------------------------------------------------------------- every mode on the floor plugin


@pytest.mark.parametrize(("entry", "mode", "status", "frames", "nbytes"), [
    ("echo", "raw", "Ok", 0, 16),
    ("hello", "unary", "Ok", 0, len("GET /hello ") + 16),
    ("echo_async", "async", "Ok", 0, 16),
    ("count", "stream", "StreamEnd", 5, 5),
    ("chat", "bidi", "StreamEnd", 5, 5 * 16),
])
def test_every_mode_against_the_floor_plugin(plugins, entry, mode, status, frames, nbytes):
    result = bench.run(plugins["floor"], entry, mode, threads=(1, 2), inflight=(1, 4), **QUICK)
    assert (result.name, result.version, result.entry, result.mode) == ("floor", "1.0.0", entry, mode)
    assert (result.expect_status, result.expect_frames, result.expect_bytes) == (status, frames, nbytes)
    assert result.calls_total == result.answers_total
    expected_cases = [(1, 1), (1, 4), (2, 1), (2, 4)] if mode == "async" else [(1, 1), (2, 1)]
    assert [(c.threads, c.inflight) for c in result.cases] == expected_cases
    for case in result.cases:
        assert case.calls > 0 and len(case.runs) == 2
        assert case.ns_per_call.min <= case.ns_per_call.median <= case.ns_per_call.max
        assert (case.latency is not None) == (mode == "async")
    assert sum(c.calls for c in result.cases) < result.calls_total  # warm-up and probe come on top


def test_expect_bytes_overrides_the_first_answer(plugins):
    with pytest.raises(BenchError, match="answered 16 payload bytes .expected 3."):
        bench.run(plugins["floor"], "echo", "raw", expect_bytes=3, **QUICK)


# ---------------------------------------------------------------- building and the CLI


def test_harness_is_cached_and_keyed_by_its_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("NYLON_RING_CACHE", str(tmp_path))
    first = harness_path()
    assert first.parent == tmp_path / "bench" and os.access(first, os.X_OK)
    mtime = first.stat().st_mtime_ns
    assert harness_path() == first and first.stat().st_mtime_ns == mtime
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no scratch left behind
    key = cache_key("src", "hdr", ["cc"])
    assert len({key, cache_key("src2", "hdr", ["cc"]), cache_key("src", "hdr2", ["cc"]),
                cache_key("src", "hdr", ["zig", "cc"])}) == 4


def test_a_broken_compiler_is_a_build_error(tmp_path, monkeypatch):
    from nylon_ring_sdk.errors import BuildError

    monkeypatch.setenv("NYLON_RING_CACHE", str(tmp_path))
    monkeypatch.setenv("NYLON_RING_BENCH_CC", "false")
    with pytest.raises(BuildError, match="compiling the ABI 1 benchmark harness with false failed"):
        harness_path()


def test_harness_builds_with_zig_cc(tmp_path, monkeypatch, plugins):
    from conftest import need_zig

    zig = need_zig()
    monkeypatch.setenv("NYLON_RING_CACHE", str(tmp_path))
    monkeypatch.setenv("NYLON_RING_BENCH_CC", " ".join([*zig, "cc"]))
    path = harness_path()
    assert path.is_file()
    result = bench.run(plugins["floor"], "echo", **QUICK)
    assert result.calls_total == result.answers_total


def test_thread_counts():
    assert bench.thread_counts(1) == [1]
    assert bench.thread_counts(2) == [1, 2]
    assert bench.thread_counts(6) == [1, 2, 4, 6]
    with pytest.raises(BenchError):
        bench.thread_counts(0)


def test_cli_table_and_json(plugins):
    runner = CliRunner()
    table = runner.invoke(app, ["bench", str(plugins["floor"]), "--entry", "echo_async", "--mode", "async",
                                "--threads", "2", "--seconds", "0.005", "--runs", "2", "--inflight", "4"])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].startswith("plugin floor 1.0.0")
    assert "every answer Ok, 16 payload bytes" in lines[1]
    rows = [line.split() for line in lines[4:]]
    assert [(r[0], r[1]) for r in rows] == [("1", "1"), ("1", "4"), ("2", "1"), ("2", "4")]
    as_json = runner.invoke(app, ["bench", str(plugins["floor"]), "--entry", "count", "--mode", "stream",
                                  "--seconds", "0.005", "--runs", "2", "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["ok"] is True and data["expect"] == {"status": "StreamEnd", "frames": 5, "bytes": 5}


@pytest.mark.parametrize(("args", "message"), [
    (["--entry", "wrong_sid"], "error: .*libfaulty.so: entry 'wrong_sid': answer for sid"),
    (["--entry", "echo", "--mode", "sideways"], "error: --mode: unknown mode 'sideways'"),
    (["--entry", "echo", "--threads", "0"], "error: --threads: 0 is not a positive number"),
])
def test_cli_errors_are_one_line(plugins, args, message):
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "bench", str(plugins["faulty"]), *args,
                           "--seconds", "0.005"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert re.match(message, proc.stderr), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
