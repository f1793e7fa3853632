"""The Go template for ABI 2 (`nylon-ring new --lang go --abi 2`, the default).

One project is scaffolded and built, debug and `--release`, once for this module. The
released Rust host (nylon-ring-host 0.2.2, tests/interop_host.py, which loads Go
plugins with `load_pinned`) drives both builds through every call kind and every
answer path, and each answer is checked exactly. The project's own Go tests run under
the race detector, its exports and embedded manifest are read back, and the run:
steps of its CI workflow are executed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from async_load import flood_async, flood_streams
from conftest import need_tool
from interop_host import drive, released_host
from template_matrix import EXTRA, GO_OFFLINE, keep_copy, offline_go
from test_template_go import embedded_manifest, go_env, run_ok

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NAME = "demo-go2"
LIB = "libdemo_go2.so"
PROBES = {"NYLON_RING_ENABLE_PROBES": "1"}


@pytest.fixture(scope="module", autouse=True)
def offline():
    need_tool("go")
    with offline_go():
        yield


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    from nylon_ring_sdk.scaffold import new_project

    return new_project("go", NAME, tmp_path_factory.mktemp("go-abi2"), entries=[EXTRA], abi=2)


@pytest.fixture(scope="module")
def debug(project) -> Path:
    from nylon_ring_sdk.scaffold import build_project

    return keep_copy(project, build_project(project), "debug")


@pytest.fixture(scope="module")
def release(project) -> Path:
    from nylon_ring_sdk.scaffold import build_project

    return keep_copy(project, build_project(project, release=True), "release")


@pytest.fixture(scope="module", params=["debug", "release"])
def library(request) -> Path:
    return request.getfixturevalue(request.param)


def ok(result: dict) -> tuple[int, str | None]:
    """(status, data) of a step the host answered."""
    assert result["ok"], result
    return result["status"], result.get("data")


def frames(result: dict) -> list[tuple[int, str]]:
    assert result["ok"] and result["end"] == "terminal", result
    return [(f["status"], f["data"]) for f in result["frames"]]


# ---------------------------------------------------------------- the project


def test_project_holds_one_generation(project):
    """The ABI-2 layer only: no ABI-1 file, no hand-kept manifest, ABI-2 bindings."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    for rel in ("sdk/abi2.go", "sdk/bridge.go", "sdk/exports.go", "sdk/vtable.c", "sdk/engine.go", "probes.go"):
        assert (project / rel).is_file(), rel
    for rel in ("sdk/abi1.go", "probes_off.go", "nylon-ring.toml"):
        assert not (project / rel).exists(), rel
    generated = {f.path: f.content for f in generate(load_default(2), "go")}
    assert {p.name: p.read_text() for p in (project / "nylonring").iterdir()} == generated
    leftovers = [str(p) for p in project.rglob("*") if p.is_file() and "build" not in p.relative_to(project).parts
                 and re.search(r"(?<!\$)\{\{|\{%|cookiecutter", p.read_text(errors="replace"))]
    assert leftovers == []


def test_gofmt_vet_and_go_test_under_the_race_detector(project):
    gofmt = need_tool("gofmt")
    assert run_ok([gofmt, "-l", "."], project) == ""
    env = {**go_env(), "CGO_CFLAGS": "-O2 -Wall -Werror"}
    run_ok(["go", "vet", "./..."], project, env)
    out = run_ok(["go", "test", "-race", "-count=1", "-v", "./..."], project, env)
    for name in ("TestEntryIDsDispatchLikeNames", "TestTrySendReportsBackpressureAndKeepsTheCall",
                 "TestConcurrentAsyncAnswersAreNeitherLostNorMixed", "TestPanicProbesAreGatedAtInit",
                 "TestLayoutProbeMatchesSchema"):
        assert f"--- PASS: {name}" in out


def test_exports_are_abi2_only(debug):
    nm = need_tool("nm")
    out = run_ok([nm, "-D", "--defined-only", str(debug)], debug.parent)
    symbols = {line.split()[-1] for line in out.splitlines() if line.strip()}
    assert {"nylon_ring_get_plugin", "nylon_ring_manifest", "nylon_ring_layout_probe_v2"} <= symbols
    assert not {s for s in symbols if s.startswith("nylon_ring_") and s.endswith("_v1")}
    assert not {"nrgo_host", "nrgo_bind_host", "nrgo_plugin_info", "nrgo_release_slot"} & symbols


def test_embedded_manifest_is_the_route_table(release, tmp_path):
    """The release library describes itself: every example with its ABI-2 mode and
    sample, and the panic probes, in a manifest the conformance loader accepts."""
    from nylon_ring_sdk.conformance.manifest import load_manifest

    text = embedded_manifest(release)
    data = tomllib.loads(text)
    assert data["plugin"] == {"name": NAME, "unknown_entry": "unsupported"}
    modes = {e["name"]: e["mode"] for e in data["entries"]}
    assert modes == {"chat": "bidi", "count": "stream", "echo": "unary", "echo_async": "unary",
                     "echo_lease": "unary", "echo_owned": "unary", EXTRA: "unary", "hello": "unary"}
    assert [(p["name"], p["mode"]) for p in data["panic_probes"]] == [("panic", "unary"), ("panic_async", "unary")]
    (tmp_path / "nylon-ring.toml").write_text(text)
    manifest = load_manifest(tmp_path / "nylon-ring.toml")
    entries = {e.name: e for e in manifest.entries}
    assert (entries["hello"].payload, entries["hello"].expect) == (b"world", b"hello, world")
    assert (entries["count"].expect_frames, entries["count"].expect_terminal) == ((b"0", b"1", b"2"), "StreamEnd")
    assert entries["chat"].send == (b"a", b"b")


# ---------------------------------------------------------------- the released host


def test_released_host_unary_paths(library):
    """call_response and call_response_fast for every unary example, answered exactly;
    binary and empty payloads unchanged."""
    binary = {"hex": "00ff0a41"}
    results = drive(library, [
        {"op": "unary", "entry": "hello", "payload": "world"},
        {"op": "fast", "entry": "hello", "payload": "fast"},
        {"op": "unary", "entry": "echo", "payload": "ping"},
        {"op": "fast", "entry": "echo", "payload": binary},
        {"op": "unary", "entry": "echo", "payload": ""},
        {"op": "unary", "entry": "echo_async", "payload": "from a goroutine"},
        {"op": "unary", "entry": EXTRA, "payload": "stub"},
    ])
    assert [ok(r) for r in results] == [(0, "hello, world"), (0, "hello, fast"), (0, "ping"), (0, None), (0, ""),
                                        (0, "from a goroutine"), (0, "stub")]
    assert results[3]["hex"] == "00ff0a41"


def test_released_host_zero_copy_paths(library):
    """echo_owned goes out through send_result_owned: call_response_bytes gets the
    plugin's own bytes (foreign), released once; the copying calls still answer.
    echo_lease commits a host-lent buffer on every call kind."""
    big = "x" * (1 << 20)
    results = drive(library, [
        {"op": "bytes", "entry": "echo_owned", "payload": "owned"},
        {"op": "bytes", "entry": "echo_owned", "payload": big},
        {"op": "unary", "entry": "echo_owned", "payload": "owned, copied"},
        {"op": "fast", "entry": "echo_owned", "payload": "owned, fast"},
        {"op": "unary", "entry": "echo_lease", "payload": "leased"},
        {"op": "fast", "entry": "echo_lease", "payload": "leased fast"},
        {"op": "bytes", "entry": "echo_lease", "payload": "leased bytes"},
    ])
    assert [ok(r) for r in results] == [(0, "owned"), (0, big), (0, "owned, copied"), (0, "owned, fast"),
                                        (0, "leased"), (0, "leased fast"), (0, "leased bytes")]
    assert results[0]["foreign"] is True and results[1]["foreign"] is True


def test_released_host_streams_bidi_and_fire_and_forget(library):
    results = drive(library, [
        {"op": "stream", "entry": "count", "payload": "3"},
        {"op": "stream", "entry": "count", "payload": "0"},
        {"op": "bidi", "entry": "chat", "send": ["a", "b", "c"]},
        {"op": "call", "entry": "echo", "payload": "nobody waits"},
        {"op": "call", "entry": "echo_async", "payload": "nobody waits either"},
        {"op": "unary", "entry": "echo", "payload": "still here"},
    ])
    assert frames(results[0]) == [(0, "0"), (0, "1"), (0, "2"), (4, "")]
    assert frames(results[1]) == [(4, "")]
    assert frames(results[2]) == [(0, "a"), (0, "b"), (0, "c"), (4, "")]
    assert results[2]["sent"] == [0, 0, 0, {"close": 0}]
    assert results[3]["status"] == 0 and results[4]["status"] == 0
    assert ok(results[5]) == (0, "still here")


def test_released_host_integer_dispatch(library):
    """entry(name) resolves through resolve_entry; handle_by_id answers as handle does."""
    results = drive(library, [
        {"op": "by_id", "entry": "echo", "payload": "by id"},
        {"op": "by_id", "entry": "hello", "payload": "id", "call": "fast"},
        {"op": "by_id", "entry": "echo_async", "payload": "by id later"},
        {"op": "by_id", "entry": "echo", "payload": "by id, forgotten", "call": "call"},
        {"op": "by_id", "entry": "count", "payload": "2", "call": "stream"},
        {"op": "by_id", "entry": "no_such_entry", "payload": "x"},
    ])
    assert [ok(r) for r in results[:3]] == [(0, "by id"), (0, "hello, id"), (0, "by id later")]
    assert results[3]["ok"] and results[3]["status"] == 0
    assert frames(results[4]) == [(0, "0"), (0, "1"), (4, "")]
    assert not results[5]["ok"]


def test_released_host_rejections(library):
    """Unknown entry: Unsupported; a count that is not a number: its stream (run in a
    goroutine, so that it can wait out Backpressure) ends with one Invalid frame."""
    results = drive(library, [
        {"op": "unary", "entry": "no_such_entry", "payload": "x"},
        {"op": "stream", "entry": "count", "payload": "three"},
        {"op": "unary", "entry": "echo", "payload": "alive"},
    ])
    assert (results[0]["error_kind"], results[0]["status"]) == ("PluginHandleFailed", 3)
    assert [f["status"] for f in results[1]["frames"]] == [2] and results[1]["end"] == "terminal"
    assert ok(results[2]) == (0, "alive")


def test_conformance_passes_with_the_embedded_manifest(library, tmp_path):
    """The shipped artifact, with nothing beside it and the probes armed only by conformance."""
    import os
    import shutil
    import subprocess
    import sys

    lone = tmp_path / library.name
    shutil.copy2(library, lone)
    env = {k: v for k, v in os.environ.items() if k != "NYLON_RING_ENABLE_PROBES"}
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "conformance", str(lone)], capture_output=True,
                          text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "embedded in the plugin (nylon_ring_manifest)" in proc.stdout
    from nylon_ring_sdk.conformance import catalogue

    total = len(catalogue(2))  # every check passes but the reload: a Go runtime is never unloaded
    assert f"{total} checks: {total - 1} passed, 0 failed, 0 warned, 1 skipped" in proc.stdout, proc.stdout[-3000:]
    assert "SKIP  lifecycle.reload" in proc.stdout and "Go runtime cannot be unloaded" in proc.stdout


def test_panic_probes_are_inert_unless_enabled(library):
    """Both builds hold the probes; they answer Unsupported unless the host ran init
    with NYLON_RING_ENABLE_PROBES=1."""
    steps = [{"op": "unary", "entry": "panic"}, {"op": "unary", "entry": "panic_async"}]
    inert = drive(library, steps, env={"NYLON_RING_ENABLE_PROBES": ""})
    assert [(r["error_kind"], r["status"]) for r in inert] == [("PluginHandleFailed", 3)] * 2


def test_panics_are_contained_as_status_panic(library):
    """With the probes on, a panic on the host thread makes handle return Panic (the
    host reports PluginPanicked), one in a goroutine is answered with a Panic frame,
    and the plugin keeps answering."""
    results = drive(library, [
        {"op": "unary", "entry": "panic"},
        {"op": "unary", "entry": "panic_async"},
        {"op": "by_id", "entry": "panic", "payload": ""},
        {"op": "unary", "entry": "echo", "payload": "alive"},
    ], env=PROBES)
    assert results[0]["error_kind"] == "PluginPanicked"
    assert ok(results[1]) == (5, "plugin panic: panic probe: a handler panicked in a goroutine")
    assert results[2]["error_kind"] == "PluginPanicked"
    assert ok(results[3]) == (0, "alive")


# ---------------------------------------------------------------- the reference host


@pytest.fixture(scope="module")
def pressure(project, tmp_path_factory) -> Path:
    """tests/fixtures/go_abi2_pressure.go built on this project's SDK and bindings."""
    from nylon_ring_sdk.scaffold import build_project

    root = tmp_path_factory.mktemp("go_pressure") / "pressure"
    shutil.copytree(project / "nylonring", root / "nylonring")
    shutil.copytree(project / "sdk", root / "sdk")
    for path in (root / "sdk").glob("*.go"):
        path.write_text(path.read_text().replace(f'"{NAME}/', '"pressure/'))
    (root / "go.mod").write_text("module pressure\n\ngo 1.21\n")
    shutil.copy(FIXTURES / "go_abi2_pressure.go", root / "main.go")
    return build_project(root)


def test_reference_host_sees_every_answer_path(debug):
    """The reference host records how each answer came: copied, owned (released once)
    or leased; integer ids dispatch as names do; nothing breaks a rule."""
    from nylon_ring_sdk.host import Host, NrStatus

    with Host.load(debug) as h:
        assert h.abi == 2
        got = {e: h.call_raw(e, b"p") for e in ("hello", "echo", "echo_async", "echo_owned", "echo_lease")}
        assert {e: (r.status, r.data, r.path) for e, r in got.items()} == {
            "hello": (NrStatus.OK, b"hello, p", "copy"), "echo": (NrStatus.OK, b"p", "copy"),
            "echo_async": (NrStatus.OK, b"p", "copy"), "echo_owned": (NrStatus.OK, b"p", "owned"),
            "echo_lease": (NrStatus.OK, b"p", "lease")}
        assert h.call_raw("no_such_entry", b"").status == NrStatus.UNSUPPORTED
        ids = {name: h.resolve(name) for name in ("chat", "count", "echo", "no_such_entry")}
        assert ids == {"chat": 0, "count": 1, "echo": 2, "no_such_entry": 2**32 - 1}
        assert (h.call_by_id(ids["echo"], b"by id").data, h.call_by_id(99, b"").status) == (b"by id", NrStatus.UNSUPPORTED)
        assert [(f.status, f.data) for f in h.stream_by_id(ids["count"], b"2")] == [
            (NrStatus.OK, b"0"), (NrStatus.OK, b"1"), (NrStatus.STREAM_END, b"")]
        with h.bidi("chat", raw=True) as s:
            s.send(b"ping")
            assert s.next_frame(timeout=5).data == b"ping"
            s.close()
        assert h.stats()["owned_released"] == 1
        assert h.violations == []


def test_async_answers_under_load_are_neither_lost_nor_mixed(library):
    """echo_async from four host threads at once, 1500 calls in flight on each, every
    one with its own payload, and count streams (a goroutine each, waiting out
    Backpressure) from four threads: every sid gets exactly one answer, its own, off
    the caller's thread; frames in order, one terminal frame; no violation."""
    flood_async(library, threads=4, calls=1500)
    flood_streams(library, threads=4, streams=60)


def test_backpressure_is_retried_or_reported(pressure):
    """A stream queue of 2 frames: callback retries each refused frame, so all 200
    arrive in order with one terminal frame; TrySend reports each refusal instead."""
    import time

    from nylon_ring_sdk.host import Host, NrStatus

    with Host.load(pressure, stream_queue=2) as h:
        for entry in ("flood", "try_flood"):
            stream = h.stream_raw(entry, b"200")
            got = []
            for frame in stream:
                got.append((frame.status, frame.data))
                time.sleep(0.0005)  # read slower than the goroutine writes
            assert got[:-1] == [(NrStatus.OK, str(i).encode()) for i in range(200)], entry
            assert got[-1][0] == NrStatus.STREAM_END
        assert int(got[-1][1]) > 0  # try_flood saw Backpressure and offered again
        assert h.stats()["backpressured"] > 0
        assert h.violations == []


# ---------------------------------------------------------------- the CI workflow


def test_ci_workflow_is_valid_and_its_steps_run(project, tmp_path):
    """The workflow parses as YAML, pins this nylon-ring-sdk version, builds --release
    once and checks and uploads exactly that artifact. Its run: steps are executed here
    with `nylon-ring` being this checkout, except installing from the package index."""
    import yaml

    from nylon_ring_sdk import __version__

    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"]["plugin"]["steps"]
    named = {s.get("name"): s for s in steps}
    assert named["Install nylon-ring"]["run"] == f'pip install "nylon-ring-sdk=={__version__}"'
    build = named["Build (release)"]
    assert build["id"] == "build" and "nylon-ring build --release" in build["run"]
    artifact = "${{ steps.build.outputs.library }}"
    conformance = next(s for s in steps if s.get("name", "").startswith("Conformance"))
    assert conformance["run"].startswith(f'nylon-ring conformance "{artifact}"')
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert [u["with"]["path"] for u in uploads] == [artifact, "report.xml"]
    assert sum("go build" in s.get("run", "") or "nylon-ring build" in s.get("run", "") for s in steps) == 1

    work = tmp_path / NAME
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("build"))
    shim = tmp_path / "bin" / "nylon-ring"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m nylon_ring_sdk "$@"\n')
    shim.chmod(0o755)
    outputs = tmp_path / "github_output"
    env = {**go_env(), **GO_OFFLINE, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(outputs)}
    for step in steps:
        if "run" not in step or step["name"] in ("Install nylon-ring",) or step is conformance:
            continue
        proc = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=work, env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{step['name']}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    library = Path(dict(line.split("=", 1) for line in outputs.read_text().splitlines())["library"])
    assert library == work / "build" / "native-release" / LIB and library.is_file()
    results = drive(library, [{"op": "unary", "entry": "hello", "payload": "ci"}])
    assert ok(results[0]) == (0, "hello, ci")

