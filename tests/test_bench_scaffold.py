"""The benchmark harness against a plugin made by `nylon-ring new --lang c`, built for release.

A few milliseconds per mode; the point is that the harness drives a real SDK plugin in
every mode with every answer checked, and that it turns SDK answers that do not fit
the mode into errors. No timing is asserted.
"""

from __future__ import annotations

import re

import pytest

from nylon_ring_sdk import bench
from nylon_ring_sdk.errors import BenchError

QUICK = {"seconds": 0.05, "runs": 2}  # long enough that a case gets calls on a busy machine


@pytest.fixture(scope="module")
def c_plugin(tmp_path_factory):
    from conftest import need_tool, need_zig
    from nylon_ring_sdk import scaffold

    for tool in scaffold.load_template("c").requires:
        need_zig() if tool == "zig" else need_tool(tool)
    project = scaffold.new_project("c", "bench-probe", tmp_path_factory.mktemp("scaffold"), abi=1)
    return scaffold.build_project(project, release=True)


@pytest.mark.parametrize(("entry", "mode", "status", "frames", "nbytes"), [
    ("echo", "raw", "Ok", 0, 16),
    ("hello", "unary", "Ok", 0, len("GET /hello ") + 16),
    ("echo_async", "async", "Ok", 0, 16),
    ("count", "stream", "StreamEnd", 5, len("01234")),
    ("chat", "bidi", "StreamEnd", 5, 5 * 16),
])
def test_every_mode_against_the_scaffolded_c_plugin(c_plugin, entry, mode, status, frames, nbytes):
    result = bench.run(c_plugin, entry, mode, threads=(1, 2), inflight=(1, 4), expect_bytes=nbytes, **QUICK)
    assert (result.expect_status, result.expect_frames, result.expect_bytes) == (status, frames, nbytes)
    assert result.calls_total == result.answers_total > 0
    assert {c.threads for c in result.cases} == {1, 2}
    assert all(c.calls > 0 for c in result.cases)


def test_state_entry_through_the_harness_extension(c_plugin):
    result = bench.run(c_plugin, "state", "raw", payload="kept", calls=200, runs=1)
    assert result.state_extension is True
    assert (result.expect_status, result.expect_bytes) == ("Ok", len("kept"))


@pytest.mark.parametrize(("entry", "payload", "message"), [
    ("count", "3", "second terminal answer"),  # a stream benchmarked as a unary call
    ("panic", "", "ended with Err (expected Ok)"),
    ("no_such_entry", "", "returned Unsupported"),
])
def test_sdk_answers_that_do_not_fit_the_mode_are_errors(c_plugin, entry, payload, message):
    with pytest.raises(BenchError, match=re.escape(message)):
        bench.run(c_plugin, entry, "raw", payload=payload, calls=50, runs=1)
