"""The Zig template's ABI 2 generation: `nylon-ring new --lang zig --abi 2` (the default).

The project is scaffolded through the command line once for this module and built debug
and release with `nylon-ring build`. Both libraries pass the reference host's ABI 2
conformance with their embedded manifest, are driven through the reference host (every
answer path, Backpressure, probes, many background answers in flight) and through the
released Rust host (nylon-ring-host 0.2.2, tests/interop_host.py) through every call kind.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import need_zig
from interop_host import drive
from template_matrix import EXTRA, keep_copy

NAME = "demo-zig2"
PANIC_TEXT = "panic: a handler returned error.Panic"
ENTRIES = [("hello", "unary"), ("echo", "unary"), ("echo_async", "unary"), ("echo_owned", "unary"),
           ("echo_lease", "unary"), ("count", "stream"), ("chat", "bidi"), (EXTRA, "unary")]
PROBES = [("panic", "unary"), ("panic_async", "unary")]


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, timeout: float = 900):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """`nylon-ring new --lang zig --abi 2 demo-zig2 --entries extra_one`, through the command line."""
    need_zig()
    parent = tmp_path_factory.mktemp("zig-abi2")
    proc = run([sys.executable, "-m", "nylon_ring_sdk", "new", "--lang", "zig", "--abi", "2", NAME, "--dir",
                str(parent), "--entries", EXTRA])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return parent / NAME


@pytest.fixture(scope="module")
def debug_library(project) -> Path:
    from nylon_ring_sdk.scaffold import build_project

    return keep_copy(project, build_project(project), "debug")


@pytest.fixture(scope="module")
def release_library(project, debug_library) -> Path:
    from nylon_ring_sdk.scaffold import build_project

    return keep_copy(project, build_project(project, release=True), "release")


@pytest.fixture(scope="module", params=["debug", "release"])
def library(request) -> Path:
    return request.getfixturevalue(f"{request.param}_library")


def embedded_manifest(library: Path) -> str:
    lib = ctypes.CDLL(str(library))
    lib.nylon_ring_manifest.restype = ctypes.c_char_p
    return lib.nylon_ring_manifest().decode("utf-8")


def test_new_keeps_only_the_abi2_layer(project):
    src = project / "src"
    assert (src / "nylon_ring_abi2.zig").is_file() and not (src / "nylon_ring_abi1.zig").exists()
    assert '@import("nylon_ring_abi2.zig")' in (src / "nylon_ring_generation.zig").read_text()
    assert not (project / "nylon-ring.toml").exists()  # the library embeds its manifest
    assert "pub const NR_ABI_VERSION: u32 = 2;" in (src / "nylon_ring.zig").read_text()


def test_sources_are_zig_fmt_clean(project):
    proc = run([*need_zig(), "fmt", "--check", "src", "build.zig", "build.zig.zon"], cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zig_build_test_runs_the_abi2_layer_tests(project):
    proc = run([*need_zig(), "build", "test", "--summary", "all"], cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " pass" in proc.stderr and "fail" not in proc.stderr.replace("0 fail", "")


def test_exports_and_plugin_info(library):
    lib = ctypes.CDLL(str(library))
    assert not hasattr(lib, "nylon_ring_get_plugin_v1")
    get = lib.nylon_ring_get_plugin
    get.restype = ctypes.c_void_p
    info = get()
    abi, size = (ctypes.c_uint32 * 2).from_address(info)
    assert (abi, size) == (2, 56)
    vtable = ctypes.c_void_p.from_address(info + 48).value
    assert all((ctypes.c_void_p * 7).from_address(vtable))


def test_embedded_manifest_comes_from_the_entry_table(library, tmp_path):
    from nylon_ring_sdk.conformance.manifest import load_manifest

    path = tmp_path / "embedded.toml"
    path.write_text(embedded_manifest(library))
    manifest = load_manifest(path)
    assert (manifest.name, manifest.unknown_entry) == (NAME, "unsupported")
    assert [(e.name, e.mode) for e in manifest.entries] == ENTRIES
    assert [(p.name, p.mode) for p in manifest.panic_probes] == PROBES
    by_name = {e.name: e for e in manifest.entries}
    assert (by_name["hello"].payload, by_name["hello"].expect) == (b"world", b"hello, world")
    assert by_name["count"].expect_frames == (b"0", b"1", b"2") and by_name["count"].expect_terminal == "StreamEnd"


def test_reference_host_conformance_with_the_embedded_manifest(library, tmp_path):
    path = tmp_path / "embedded.toml"
    path.write_text(embedded_manifest(library))
    proc = run([sys.executable, "-m", "nylon_ring_sdk", "conformance", str(library), "--manifest", str(path)],
               env={"NYLON_RING_ENABLE_PROBES": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " FAIL " not in proc.stdout and " 0 failed" in proc.stdout and " 0 skipped" in proc.stdout, proc.stdout


def ok(result: dict, data: str) -> bool:
    return result["ok"] and result["status"] == 0 and result.get("data") == data


def frames(result: dict) -> list[tuple[int, str]]:
    return [(f["status"], f.get("data")) for f in result["frames"]]


def test_released_host_drives_every_call_kind(library):
    steps = [
        {"op": "unary", "entry": "hello", "payload": "world"},
        {"op": "fast", "entry": "echo", "payload": "fast"},
        {"op": "unary", "entry": "echo", "payload": {"hex": "00ff0a41"}},
        {"op": "unary", "entry": "echo_async", "payload": "later"},
        {"op": "bytes", "entry": "echo_owned", "payload": "owned"},
        {"op": "unary", "entry": "echo_owned", "payload": "owned too"},
        {"op": "bytes", "entry": "echo", "payload": "copied"},
        {"op": "unary", "entry": "echo_lease", "payload": "leased"},
        {"op": "fast", "entry": "echo_lease", "payload": "leased fast"},
        {"op": "call", "entry": "echo", "payload": "fire and forget"},
        {"op": "stream", "entry": "count", "payload": "3"},
        {"op": "stream", "entry": "count", "payload": "0"},
        {"op": "stream", "entry": "count", "payload": "300"},  # more frames than the host's queue holds
        {"op": "bidi", "entry": "chat", "send": ["one", {"hex": "0001"}, ""]},
        {"op": "by_id", "entry": "echo", "payload": "by id"},
        {"op": "by_id", "entry": "echo_owned", "payload": "by id fast", "call": "fast"},
        {"op": "by_id", "entry": "echo_async", "payload": "by id later"},
        {"op": "by_id", "entry": "count", "payload": "2", "call": "stream"},
        {"op": "by_id", "entry": "echo", "payload": "by id, forgotten", "call": "call"},
        {"op": "unary", "entry": "no_such_entry", "payload": "x"},
        {"op": "by_id", "entry": "no_such_entry", "payload": "x"},
        {"op": "unary", "entry": "panic"},
        {"op": "unary", "entry": EXTRA, "payload": "ping"},
    ]
    r = drive(library, steps, env={"NYLON_RING_ENABLE_PROBES": ""})
    assert [x["step"] for x in r] == list(range(len(steps)))
    assert ok(r[0], "hello, world") and ok(r[1], "fast") and r[2]["hex"] == "00ff0a41" and ok(r[3], "later")
    assert ok(r[4], "owned") and r[4]["foreign"] is True  # zero-copy: the host holds the plugin's bytes
    assert ok(r[5], "owned too") and ok(r[6], "copied") and r[6]["foreign"] is False
    assert ok(r[7], "leased") and ok(r[8], "leased fast")
    assert r[9]["ok"] and r[9]["status"] == 0
    assert frames(r[10]) == [(0, "0"), (0, "1"), (0, "2"), (4, "")] and r[10]["end"] == "terminal"
    assert frames(r[11]) == [(4, "")]
    assert frames(r[12]) == [(0, str(i)) for i in range(300)] + [(4, "")]
    assert frames(r[13]) == [(0, "one"), (0, "\x00\x01"), (0, ""), (4, "")]
    assert ok(r[14], "by id") and ok(r[15], "by id fast") and ok(r[16], "by id later")
    assert frames(r[17]) == [(0, "0"), (0, "1"), (4, "")]
    assert r[18]["ok"] and r[18]["status"] == 0
    assert (r[19]["error_kind"], r[19]["status"]) == ("PluginHandleFailed", 3)  # an unknown entry: Unsupported
    assert r[20]["error_kind"] == "EntryNotFound"  # resolve_entry answered NR_ENTRY_UNKNOWN
    assert (r[21]["error_kind"], r[21]["status"]) == ("PluginHandleFailed", 3)  # probes inert by default
    assert ok(r[22], "ping")


def test_released_host_probes_answer_panic_when_enabled(library):
    steps = [{"op": "unary", "entry": "panic"}, {"op": "unary", "entry": "panic_async"},
             {"op": "by_id", "entry": "panic_async"}, {"op": "unary", "entry": "echo", "payload": "still here"}]
    r = drive(library, steps, env={"NYLON_RING_ENABLE_PROBES": "1"})
    assert [(x["ok"], x["status"], x.get("data")) for x in r[:3]] == [(True, 5, PANIC_TEXT)] * 3
    assert ok(r[3], "still here")


@pytest.fixture
def host(library, probes_off):
    from nylon_ring_sdk.host import Host

    with Host.load(library) as h:
        yield h
        assert h.violations == []


def test_reference_host_every_answer_path(host):
    import threading

    from nylon_ring_sdk.host.nylon_ring_abi2 import NR_ENTRY_UNKNOWN, NrStatus

    assert (host.abi, host.info.name, host.info.version, host.info.struct_size) == (2, NAME, "0.1.0", 56)
    expected = [("hello", b"world", b"hello, world", "copy"), ("echo", b"hi\x00there", b"hi\x00there", "copy"),
                ("echo_owned", b"owned", b"owned", "owned"), ("echo_lease", b"leased", b"leased", "lease"),
                ("echo_async", b"later", b"later", "copy"), (EXTRA, b"ping", b"ping", "copy")]
    for entry, body, data, path in expected:
        r = host.call_raw(entry, body)
        assert (r.status, r.data, r.path) == (NrStatus.OK, data, path), entry
        # echo_async answers from a pool thread, every other entry on the calling thread
        assert (r.thread_id == threading.get_native_id()) is (entry != "echo_async"), entry
        by_id = host.call_by_id(host.resolve(entry), body)
        assert (by_id.status, by_id.data, by_id.path) == (NrStatus.OK, data, path), entry
    big = bytes(range(256)) * 4096
    assert host.call_raw("echo_owned", big).data == big and host.call_raw("echo_lease", big).data == big
    assert host.resolve("no_such_entry") == NR_ENTRY_UNKNOWN
    assert host.call_raw("no_such_entry", b"").status == NrStatus.UNSUPPORTED
    assert [(f.status, f.data) for f in host.stream_raw("count", b"3")] == [
        (NrStatus.OK, b"0"), (NrStatus.OK, b"1"), (NrStatus.OK, b"2"), (NrStatus.STREAM_END, b"")]
    with host.bidi("chat", raw=True) as s:
        for text in (b"ping", b"", b"pong"):
            assert s.send(text) == NrStatus.OK
            frame = s.next_frame(timeout=10)
            assert (frame.status, frame.data) == (NrStatus.OK, text)
        s.close()
        assert [(f.status, f.data) for f in s] == [(NrStatus.STREAM_END, b"")]
    assert host.stream_data(s.sid, b"late") == NrStatus.INVALID
    assert [host.call_raw(p, b"").status for p in ("panic", "panic_async")] == [NrStatus.UNSUPPORTED] * 2


def test_reference_host_backpressure_loses_no_frame(library):
    """A stream queue of 4 frames: count 500 waits whenever the host answers Backpressure, and every
    frame arrives once, in order, then one StreamEnd."""
    from nylon_ring_sdk.host import Host
    from nylon_ring_sdk.host.nylon_ring_abi2 import NrStatus

    with Host.load(library, stream_queue=4) as h:
        got = [(f.status, f.data) for f in h.stream_raw("count", b"500")]
        assert got == [(NrStatus.OK, str(i).encode()) for i in range(500)] + [(NrStatus.STREAM_END, b"")]
        assert h.violations == []


def test_reference_host_probes_answer_panic_when_enabled(library, probes_on):
    from nylon_ring_sdk.host import Host
    from nylon_ring_sdk.host.nylon_ring_abi2 import NrStatus

    with Host.load(library) as h:
        for probe in ("panic", "panic_async"):
            r = h.call_raw(probe, b"")
            assert (r.handle_status, r.status, r.data) == (NrStatus.OK, NrStatus.PANIC, PANIC_TEXT.encode())
        assert h.call_raw("echo", b"still here").data == b"still here"
        assert h.violations == []


def test_async_answers_are_never_lost_duplicated_or_swapped(library):
    """2000 calls in flight together (mostly echo_async), each with its own payload: each is answered
    exactly once, with its own payload."""
    import asyncio

    from nylon_ring_sdk.host import Host
    from nylon_ring_sdk.host.nylon_ring_abi2 import NrStatus

    async def main(h) -> list:
        calls = [h.acall_raw(("echo_async", "echo_owned", "echo_lease")[i % 3] if i % 4 == 0 else "echo_async",
                             f"payload {i}".encode(), timeout=60) for i in range(2000)]
        return await asyncio.gather(*calls)

    with Host.load(library) as h:
        answers = asyncio.run(main(h))
        wrong = [(i, a.status, a.data) for i, a in enumerate(answers)
                 if (a.status, a.data) != (NrStatus.OK, f"payload {i}".encode())]
        assert wrong == []
        assert len({a.sid for a in answers}) == len(answers)
        assert h.violations == []


def test_ci_workflow_builds_once_and_checks_that_artifact(project, tmp_path):
    """Valid GitHub Actions YAML that pins this SDK's version; its steps, run here in order (the pip
    step aside: the SDK under test is this checkout), check the bindings, run the unit tests, build
    --release once into dist/ and hand exactly that library to conformance and to the upload."""
    import yaml

    from nylon_ring_sdk import __version__

    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["plugin"]
    assert job["env"]["NYLON_RING_SDK_VERSION"] == __version__
    steps = {s.get("name", s.get("uses")): s for s in job["steps"]}
    assert '"nylon-ring-sdk==$NYLON_RING_SDK_VERSION"' in steps[next(n for n in steps if n.startswith("Install"))]["run"]
    assert steps["Upload the library and the conformance report"]["with"]["path"] == "dist/"
    assert [s["run"].count("nylon-ring build") for s in job["steps"] if "run" in s] == [0, 0, 0, 1, 0]
    assert '"$PLUGIN_LIB"' in steps["Conformance on the built library"]["run"]

    shim = tmp_path / "bin" / "nylon-ring"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nylon_ring_sdk "$@"\n')
    shim.chmod(0o755)
    github_env = tmp_path / "github-env"
    github_env.write_text("")
    env = {"PATH": f"{shim.parent}:{os.environ['PATH']}", "GITHUB_ENV": str(github_env), **job["env"]}
    for name in ("Bindings are current", "Unit tests", "Build (release)"):
        proc = run(["bash", "-e", "-c", steps[name]["run"].replace("python -m", f"{sys.executable} -m")],
                   cwd=project, env=env)
        assert proc.returncode == 0, f"{name}: {proc.stdout}{proc.stderr}"
    (line,) = github_env.read_text().splitlines()
    assert line == f"PLUGIN_LIB=dist/lib{NAME.replace('-', '_')}.so"
    [result] = drive(project / line.split("=", 1)[1], [{"op": "unary", "entry": "echo", "payload": "the uploaded one"}])
    assert ok(result, "the uploaded one")
