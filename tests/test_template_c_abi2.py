"""The C template's ABI 2 generation: `nylon-ring new --lang c --abi 2` (the default).

The project is scaffolded through the command line once for this module and built
debug and release with `nylon-ring build`. The libraries are then driven through the
released Rust host (nylon-ring-host 0.2.2, tests/interop_host.py) through every call
kind it has, each answer checked; the SDK's sources are linked into a strict ABI 2 C
host (tests/native/abi2_driver.c) built with ASan and UBSan that pushes it where a
host may (Backpressure, refused leases, many background calls at once, shutdown with
work in flight); the embedded manifest is read back and parsed; and the project's CI
workflow is parsed and its build steps are run here.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import need_tool, need_zig
from interop_host import drive
from template_matrix import EXTRA, keep_copy

NAME = "demo-c2"
STEM = NAME.replace("-", "_")
DRIVER = Path(__file__).parent / "native" / "abi2_driver.c"
SANITIZE = ["-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
            "-pthread"]
STRICT = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"]
PANIC_TEXT = "panic probe: the handler failed on purpose"
# (entry, mode) of every entry the ABI 2 scaffold declares, in table order; probes apart.
ENTRIES = [("hello", "unary"), ("echo", "unary"), ("echo_async", "unary"), ("echo_owned", "unary"),
           ("echo_lease", "unary"), ("count", "stream"), ("chat", "bidi"), (EXTRA, "unary")]
PROBES = [("panic", "unary"), ("panic_async", "unary")]


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, timeout: float = 900):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """`nylon-ring new --lang c --abi 2 demo-c2 --entries extra_one`, through the command line."""
    need_tool("make")
    parent = tmp_path_factory.mktemp("c-abi2")
    proc = run([sys.executable, "-m", "nylon_ring_sdk", "new", "--lang", "c", "--abi", "2", NAME, "--dir", str(parent),
                "--entries", EXTRA])
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


# ---------------------------------------------------------------- the project


def test_new_keeps_only_the_abi2_layer(project, tmp_path):
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.scaffold import new_project
    from nylon_ring_sdk.schema import load_default

    assert (project / "sdk" / "nr_abi2.c").is_file() and (project / "sdk" / "nr_plugin.c").is_file()
    assert not (project / "sdk" / "nr_abi1.c").exists()
    assert not (project / "nylon-ring.toml").exists()  # the manifest is embedded in the library
    (header,) = generate(load_default(2), "c")
    assert (project / "include" / "nylon_ring.h").read_text() == header.content
    leftovers = [str(p) for p in project.rglob("*") if p.is_file() and ("{{" in p.read_text() or "{%" in p.read_text())]
    assert leftovers == []
    default = new_project("c", NAME, tmp_path, entries=[EXTRA])  # no --abi: generation 2
    listed = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())  # noqa: E731
    assert listed(default) == listed(project)
    assert (default / "src" / "plugin.c").read_text() == (project / "src" / "plugin.c").read_text()


@pytest.mark.parametrize("release", [False, True], ids=["debug", "release"])
@pytest.mark.parametrize("compiler", ["gcc", "zig"])
def test_builds_warning_free(project, compiler, release):
    """gcc and zig cc (the quickstart's compiler), with -Wall -Wextra -pedantic -Werror."""
    cc = f"{' '.join(need_zig())} cc" if compiler == "zig" else need_tool("gcc")
    out = project / "build" / f"strict-{compiler}-{'release' if release else 'debug'}"
    proc = run(["make", "-B", f"BUILD={out}", f"CC={cc}", "CFLAGS=-Werror", *(["RELEASE=1"] if release else [])],
               cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr
    lib = ctypes.CDLL(str(keep_copy(project, out / f"lib{STEM}.so", f"strict-{compiler}-{release}")))
    get = lib.nylon_ring_get_plugin
    get.restype = ctypes.POINTER(ctypes.c_uint32)
    assert get().contents.value == 2  # abi_version


def test_exports_and_plugin_info(debug_library):
    lib = ctypes.CDLL(str(debug_library))
    for symbol in ("nylon_ring_get_plugin", "nylon_ring_manifest", "nylon_ring_layout_probe_v2"):
        assert hasattr(lib, symbol), symbol
    for symbol in ("nylon_ring_get_plugin_v1", "nylon_ring_set_host_ext_v1"):
        assert not hasattr(lib, symbol), symbol
    get = lib.nylon_ring_get_plugin
    get.restype = ctypes.c_void_p
    info = get()
    abi, size = (ctypes.c_uint32 * 2).from_address(info)
    assert (abi, size) == (2, 56)
    vtable = ctypes.c_void_p.from_address(info + 48).value
    slots = (ctypes.c_void_p * 7).from_address(vtable)
    assert all(slot for slot in slots)  # resolve_entry and handle_by_id set together with the rest


def embedded_manifest(library: Path) -> str:
    lib = ctypes.CDLL(str(library))
    lib.nylon_ring_manifest.restype = ctypes.c_char_p
    return lib.nylon_ring_manifest().decode("utf-8")


def test_embedded_manifest_comes_from_the_entry_table(debug_library, tmp_path):
    from nylon_ring_sdk.conformance.manifest import load_manifest

    path = tmp_path / "embedded.toml"
    path.write_text(embedded_manifest(debug_library))
    manifest = load_manifest(path)
    assert (manifest.name, manifest.unknown_entry) == (NAME, "unsupported")
    assert [(e.name, e.mode) for e in manifest.entries] == ENTRIES
    assert [(p.name, p.mode) for p in manifest.panic_probes] == PROBES
    by_name = {e.name: e for e in manifest.entries}
    assert (by_name["hello"].payload, by_name["hello"].expect) == (b"world", b"hello, world")
    assert (by_name["echo_async"].payload, by_name["echo_async"].expect) == (b"\x00\xff\x10", b"\x00\xff\x10")
    assert by_name["count"].expect_frames == (b"0", b"1", b"2") and by_name["count"].expect_terminal == "StreamEnd"
    assert by_name["chat"].send == (b"a", b"b") and by_name[EXTRA].expect == EXTRA.encode()


def test_abi1_embedded_manifest_matches_its_manifest_file(template_builds, tmp_path):
    """The ABI 1 build exports the same manifest as the nylon-ring.toml its project ships."""
    from nylon_ring_sdk.conformance.manifest import load_manifest

    built = template_builds.get("c")
    path = tmp_path / "embedded.toml"
    path.write_text(embedded_manifest(built.library))
    embedded, shipped = load_manifest(path), load_manifest(built.project / "nylon-ring.toml")
    assert embedded.name == shipped.name and embedded.unknown_entry == shipped.unknown_entry
    assert embedded.entries == shipped.entries
    assert embedded.panic_probes == shipped.panic_probes


# ---------------------------------------------------------------- the released host


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
        {"op": "stream", "entry": "count", "payload": "three"},
        {"op": "bidi", "entry": "chat", "send": ["one", {"hex": "0001"}, ""]},
        {"op": "by_id", "entry": "echo", "payload": "by id"},
        {"op": "by_id", "entry": "echo_owned", "payload": "by id fast", "call": "fast"},
        {"op": "by_id", "entry": "echo_async", "payload": "by id later"},
        {"op": "by_id", "entry": "count", "payload": "2", "call": "stream"},
        {"op": "by_id", "entry": "echo", "payload": "by id, forgotten", "call": "call"},
        {"op": "unary", "entry": "no_such_entry", "payload": "x"},
        {"op": "by_id", "entry": "no_such_entry", "payload": "x"},
        {"op": "unary", "entry": "panic"},
        {"op": "unary", "entry": "panic_async"},
        {"op": "unary", "entry": EXTRA},
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
    assert (r[13]["ok"], r[13].get("error_kind"), r[13].get("status")) == (False, "PluginHandleFailed", 2)
    assert frames(r[14]) == [(0, "one"), (0, "\x00\x01"), (0, ""), (4, "")] and r[14]["sent"] == [0, 0, 0, {"close": 0}]
    assert ok(r[15], "by id") and ok(r[16], "by id fast") and ok(r[17], "by id later")
    assert frames(r[18]) == [(0, "0"), (0, "1"), (4, "")]
    assert r[19]["ok"] and r[19]["status"] == 0
    assert (r[20]["error_kind"], r[20]["status"]) == ("PluginHandleFailed", 3)  # an unknown entry: Unsupported
    assert r[21]["error_kind"] == "EntryNotFound"  # resolve_entry answered NR_ENTRY_UNKNOWN
    # Probes are inert without NYLON_RING_ENABLE_PROBES=1 at init: Unsupported, nothing sent.
    assert [(x["error_kind"], x["status"]) for x in r[22:24]] == [("PluginHandleFailed", 3)] * 2
    assert ok(r[24], EXTRA)


def test_released_host_probes_answer_panic_when_enabled(library):
    steps = [{"op": "unary", "entry": "panic"}, {"op": "unary", "entry": "panic_async"},
             {"op": "fast", "entry": "panic"}, {"op": "by_id", "entry": "panic_async"},
             {"op": "unary", "entry": "echo", "payload": "still here"}]
    r = drive(library, steps, env={"NYLON_RING_ENABLE_PROBES": "1"})
    assert [(x["ok"], x["status"], x.get("data")) for x in r[:4]] == [(True, 5, PANIC_TEXT)] * 4
    assert ok(r[4], "still here")


# ---------------------------------------------------------------- conformance


def test_conformance_with_the_embedded_manifest_has_no_failure(library, tmp_path):
    """The reference host's conformance suite, fed the manifest the library exports (written out and
    given with --manifest) and with probes enabled: every check runs and passes."""
    import json

    manifest = tmp_path / "embedded.toml"
    manifest.write_text(embedded_manifest(library))
    report = tmp_path / "report.json"
    proc = run([sys.executable, "-m", "nylon_ring_sdk", "conformance", str(library), "--manifest", str(manifest),
                "--json", str(report), "--junit", str(tmp_path / "report.xml")], env={"NYLON_RING_ENABLE_PROBES": "1"})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    checks = json.loads(report.read_text())["checks"]
    assert [(c["id"], c["status"], c["reason"]) for c in checks if c["status"] != "pass"] == []
    assert {"dispatch.by_id_matches", "owned.unchanged", "lease.commit", "stream.backpressure",
            "panic.probe"} <= {c["id"] for c in checks}


# ---------------------------------------------------------------- a strict host with sanitizers


def test_strict_host_with_sanitizers(project, tmp_path):
    """Backpressure, refused leases and commits, a bare host vtable, bad input, 4 threads x 1000
    background calls each answered exactly once with its own payload, shutdown with work in flight."""
    cc = need_tool("gcc")
    exe = tmp_path / "abi2-driver"
    proc = run([cc, *STRICT, *SANITIZE, f"-I{project / 'include'}", f"-I{project / 'sdk'}",
                str(project / "src" / "plugin.c"), str(project / "sdk" / "nr_plugin.c"), str(DRIVER), "-o", str(exe)])
    assert proc.returncode == 0, proc.stderr
    for _ in range(3):  # races show up in some runs, not every one
        proc = run([str(exe)], timeout=300, env={"NYLON_RING_ENABLE_PROBES": ""})
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
        assert proc.stdout.startswith("ok ") and "FAIL" not in proc.stdout


# ---------------------------------------------------------------- the CI workflow


def test_ci_workflow_builds_once_and_checks_that_artifact(project, tmp_path):
    """Valid GitHub Actions YAML that pins this SDK's version; its steps, run here in order (the
    pip step aside: the SDK under test is this checkout), check the bindings, build --release once
    into dist/ and hand exactly that library to conformance and to the upload."""
    import yaml

    from nylon_ring_sdk import __version__

    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["plugin"]
    assert job["env"]["NYLON_RING_SDK_VERSION"] == __version__
    steps = {s.get("name", s.get("uses")): s for s in job["steps"]}
    assert '"nylon-ring-sdk==$NYLON_RING_SDK_VERSION"' in steps[next(n for n in steps if n.startswith("Install"))]["run"]
    assert steps["Upload the library and the conformance report"]["with"]["path"] == "dist/"
    assert [s["run"].count("nylon-ring build") for s in job["steps"] if "run" in s] == [0, 0, 1, 0]
    assert '"$PLUGIN_LIB"' in steps["Conformance on the built library"]["run"]

    shim = tmp_path / "bin" / "nylon-ring"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nylon_ring_sdk "$@"\n')
    shim.chmod(0o755)
    github_env = tmp_path / "github-env"
    github_env.write_text("")
    env = {"PATH": f"{shim.parent}:{os.environ['PATH']}", "GITHUB_ENV": str(github_env), **job["env"]}
    for name in ("Bindings are current", "Build (release)", "Conformance on the built library"):
        proc = run(["bash", "-e", "-c", steps[name]["run"]], cwd=project, env=env)
        assert proc.returncode == 0, f"{name}: {proc.stdout}{proc.stderr}"
        if name == "Build (release)":
            env.update(line.split("=", 1) for line in github_env.read_text().splitlines())
    assert (project / "dist" / "report.xml").is_file()
    (line,) = github_env.read_text().splitlines()
    assert line == f"PLUGIN_LIB=dist/lib{STEM}.so"
    artifact = project / line.split("=", 1)[1]
    [result] = drive(artifact, [{"op": "unary", "entry": "echo", "payload": "the uploaded one"}])
    assert ok(result, "the uploaded one")


# ---------------------------------------------------------------- the reference host (ABI 2)


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
    assert all(host.info.slots.values())
    expected = [("hello", b"world", b"hello, world", "copy"), ("echo", b"hi\x00there", b"hi\x00there", "copy"),
                ("echo_owned", b"owned", b"owned", "owned"), ("echo_lease", b"leased", b"leased", "lease"),
                ("echo_async", b"later", b"later", "copy"), (EXTRA, b"", EXTRA.encode(), "copy")]
    for entry, body, data, path in expected:
        r = host.call_raw(entry, body)
        assert (r.status, r.data, r.path) == (NrStatus.OK, data, path), entry
        assert (r.thread_id == threading.get_native_id()) is (entry != "echo_async"), entry
        by_id = host.call_by_id(host.resolve(entry), body)
        assert (by_id.status, by_id.data, by_id.path) == (NrStatus.OK, data, path), entry
    big = bytes(range(256)) * 4096
    assert host.call_raw("echo_owned", big).data == big and host.call_raw("echo_lease", big).data == big
    assert host.resolve("no_such_entry") == NR_ENTRY_UNKNOWN
    assert host.call_raw("no_such_entry", b"").status == NrStatus.UNSUPPORTED
    assert [(f.status, f.data) for f in host.stream_raw("count", b"3")] == [
        (NrStatus.OK, b"0"), (NrStatus.OK, b"1"), (NrStatus.OK, b"2"), (NrStatus.STREAM_END, b"")]
    rejected = host.stream_raw("count", b"three")
    assert (rejected.handle_status, [f.status for f in rejected]) == (NrStatus.INVALID, [NrStatus.INVALID])
    with host.bidi("chat", raw=True) as s:
        for text in (b"ping", b"", b"pong"):
            assert s.send(text) == NrStatus.OK
            frame = s.next_frame(timeout=10)
            assert (frame.status, frame.data) == (NrStatus.OK, text)
        s.close()
        assert [(f.status, f.data) for f in s] == [(NrStatus.STREAM_END, b"")]
    assert host.stream_data(s.sid, b"late") == NrStatus.INVALID
    # Probes were not enabled at init: Unsupported, nothing sent.
    assert [host.call_raw(p, b"").status for p in ("panic", "panic_async")] == [NrStatus.UNSUPPORTED] * 2


def test_reference_host_backpressure_loses_no_frame(library):
    """A stream queue of 4 frames: count 500 (from the background pool) waits whenever the host answers
    Backpressure, and every frame arrives once, in order, then one StreamEnd."""
    from nylon_ring_sdk.host import Host
    from nylon_ring_sdk.host.nylon_ring_abi2 import NrStatus

    with Host.load(library, stream_queue=4) as h:
        frames = [(f.status, f.data) for f in h.stream_raw("count", b"500")]
        assert frames == [(NrStatus.OK, str(i).encode()) for i in range(500)] + [(NrStatus.STREAM_END, b"")]
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
    """2000 echo_async calls in flight together, each with its own payload: each is answered exactly once,
    with its own payload (the host records a second answer or an unknown sid as a violation)."""
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
