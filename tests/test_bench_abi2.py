"""The benchmark harness on ABI 2 plugins: every answer path, integer dispatch, misuse found.

Runs are a few milliseconds each; nothing here asserts a timing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nylon_ring_sdk import bench, toolchain
from nylon_ring_sdk.bench.build import generated_header
from nylon_ring_sdk.errors import BenchError

ROOT = Path(__file__).resolve().parent.parent
FLOOR2 = ROOT / "bench_report" / "floor" / "floor2.c"
FAULTY2 = Path(__file__).resolve().parent / "bench_plugins" / "faulty2.c"
QUICK = {"seconds": 0.005, "runs": 2}


def compile_abi2(source: Path, out: Path) -> Path:
    include = out.parent / "include2"
    include.mkdir(exist_ok=True)
    (include / "nylon_ring.h").write_text(generated_header(2), encoding="utf-8")
    cmd = [*toolchain.c_compiler(), "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
           "-pthread", "-I", str(include), str(source), "-o", str(out)]
    proc = toolchain.run(cmd)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def plugins(tmp_path_factory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("bench_abi2")
    return {"floor2": compile_abi2(FLOOR2, where / "libfloor2.so"),
            "faulty2": compile_abi2(FAULTY2, where / "libfaulty2.so")}


def test_the_generation_is_read_from_the_library(plugins, tmp_path):
    assert bench.plugin_abi(plugins["floor2"]) == 2
    other = tmp_path / "libnot.so"
    other.write_bytes(b"\x7fELF nothing here")
    with pytest.raises(BenchError, match="exports neither nylon_ring_get_plugin"):
        bench.plugin_abi(other)


@pytest.mark.parametrize(("entry", "path"), [("echo", "copy"), ("echo_owned", "owned"), ("echo_lease", "lease")])
@pytest.mark.parametrize("size", [0, 128, 1024, 4096])
def test_each_answer_path_at_each_size(plugins, entry, path, size):
    result = bench.run(plugins["floor2"], entry, "raw", payload="x" * size, calls=50, runs=2)
    assert result.abi == 2 and result.expect_bytes == size
    calls = 1 + (1 + 2) * 50
    assert result.calls_total == result.answers_total == calls
    assert result.answer_paths == {"copy": 0, "owned": 0, "lease": 0} | {path: calls}


def test_by_id_calls_the_integer_dispatch_slot(plugins):
    by_name = bench.run(plugins["floor2"], "echo", "raw", calls=20, runs=2)
    by_id = bench.run(plugins["floor2"], "echo", "raw", calls=20, runs=2, by_id=True)
    assert not by_name.by_id and by_id.by_id
    assert by_id.expect_bytes == by_name.expect_bytes == 16
    with pytest.raises(BenchError, match=r"resolve_entry\('nope'\) returned NR_ENTRY_UNKNOWN"):
        bench.run(plugins["floor2"], "nope", "raw", by_id=True, **QUICK)


@pytest.mark.parametrize(("entry", "mode", "status", "frames", "nbytes"), [
    ("hello", "unary", "Ok", 0, len("hello, nylon-ring-bench")),
    ("echo_async", "async", "Ok", 0, 16),
    ("count", "stream", "StreamEnd", 5, 5),
    ("chat", "bidi", "StreamEnd", 5, 5 * 16),
])
def test_every_mode_against_the_abi2_floor(plugins, entry, mode, status, frames, nbytes):
    result = bench.run(plugins["floor2"], entry, mode, threads=(1, 2), inflight=(1, 4), **QUICK)
    assert (result.expect_status, result.expect_frames, result.expect_bytes) == (status, frames, nbytes)
    assert result.calls_total == result.answers_total


@pytest.mark.parametrize(("entry", "message"), [
    ("lease_bad_token", "does not match its lease"),
    ("lease_over_cap", "does not match its lease"),
    ("twice", "second terminal answer"),
])
def test_lease_misuse_and_double_answers_are_errors(plugins, entry, message):
    with pytest.raises(BenchError, match=message):
        bench.run(plugins["faulty2"], entry, "raw", **QUICK)


def test_owned_answers_are_released_exactly_once(plugins, tmp_path, monkeypatch):
    released = tmp_path / "released.txt"
    monkeypatch.setenv("NR_BENCH_RELEASE_FILE", str(released))
    result = bench.run(plugins["faulty2"], "owned_ok", "raw", calls=100, runs=2)
    assert int(released.read_text()) == result.calls_total == 1 + 3 * 100
    assert result.answer_paths["owned"] == result.calls_total


def test_by_id_on_an_abi1_plugin_is_refused(tmp_path):
    from test_bench import FLOOR_SOURCE, compile_plugin

    floor = compile_plugin(FLOOR_SOURCE, tmp_path / "libfloor.so")
    with pytest.raises(BenchError, match="--by-id needs an ABI 2 plugin"):
        bench.run(floor, "echo", "raw", by_id=True, **QUICK)
