"""The Go template: scaffold, build with `go build -buildmode=c-shared`, gofmt, vet, the
SDK's own Go tests and the race detector, exported symbols, release and cross builds.

The example entries, panic safety, shutdown and conformance are checked in every
language by tests/test_template_matrix.py, on the same build (once a session). This
module adds the release build (panic probes left out) and a plugin written the way
the original Go SDK documents it, ported by changing its import path.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from async_load import flood_async, flood_streams
from conftest import need_tool, need_zig
from nylon_ring_sdk.host import Host, HostClosed, NrStatus, Request
from nylon_ring_sdk.scaffold import build_project, load_template
from template_matrix import GO_OFFLINE, TEMPLATES, assert_release_answers, offline_go

NAME = TEMPLATES["go"].name
LIB = "libdemo_plugin.so"
FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = Path(__file__).parent.parent / "templates" / "go"
HELLO = Request(method="GET", path="/hello", query="", headers=[("x-test", "1")])


def go_env() -> dict[str, str]:
    """Offline: no module downloads, no toolchain switch, no workspace."""
    return dict(os.environ, **GO_OFFLINE, CGO_ENABLED="1")


def run_ok(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env or go_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.fixture(scope="module", autouse=True)
def offline():
    """`nylon-ring build` runs go with the caller's environment: keep it offline here."""
    need_tool("go")
    with offline_go():
        yield


@pytest.fixture(scope="module")
def built(template_builds):
    """The example project and its debug build, shared with tests/test_template_matrix.py."""
    return template_builds.get("go")


@pytest.fixture(scope="module")
def project(built) -> Path:
    return built.project


@pytest.fixture(scope="module")
def library(built) -> Path:
    return built.library


@pytest.fixture(scope="module")
def seed_library(project, tmp_path_factory) -> Path:
    """tests/fixtures/go_seed_plugin.go built on the template's SDK and bindings."""
    root = tmp_path_factory.mktemp("go_seed") / "seed-port"
    shutil.copytree(project / "nylonring", root / "nylonring")
    shutil.copytree(project / "sdk", root / "sdk")
    for path in (root / "sdk").glob("*.go"):
        path.write_text(path.read_text().replace(f'"{NAME}/', '"seed-port/'))
    (root / "go.mod").write_text("module seed-port\n\ngo 1.21\n")
    shutil.copy(FIXTURES / "go_seed_plugin.go", root / "main.go")
    return build_project(root)


# ---------------------------------------------------------------- the project itself


def test_project_files(project, built):
    assert built.output == project / "build" / "native-debug" / LIB
    for rel in ("go.mod", "main.go", "probes.go", "probes_off.go", "Makefile", "README.md", ".gitignore",
                "nylon-ring.toml", ".github/workflows/ci.yml", "sdk/plugin.go", "sdk/exports.go",
                "sdk/vtable.c", "nylonring/nylonring.go"):
        assert (project / rel).is_file(), rel
    go_mod = (project / "go.mod").read_text()
    assert go_mod.startswith(f"module {NAME}\n") and "require" not in go_mod  # standard library only
    ci = (project / ".github/workflows/ci.yml").read_text()
    assert f"nylon-ring conformance {LIB} --junit report.xml" in ci
    assert "nylon-ring gen-bindings --abi 1 --lang go --out nylonring --check" in ci
    spec = load_template("go")
    assert spec.bindings == {"go": "nylonring"} and spec.requires == ("go",)


def test_makefile_build_target(project):
    make = need_tool("make")
    out = run_ok([make, "-n", "build"], project)
    assert out.strip() == f"go build -buildmode=c-shared -o {LIB} ."


def test_committed_bindings_match_the_generator():
    """The template's copy is what plain cookiecutter renders: ABI 2, the default."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    committed = TEMPLATE / "{{cookiecutter.project_name}}" / "nylonring"
    generated = generate(load_default(2), "go")
    assert sorted(p.name for p in committed.iterdir()) == sorted(f.path for f in generated)
    for f in generated:
        assert (committed / f.path).read_text() == f.content, \
            f"{f.path}: run `python -m nylon_ring_sdk.committed`"


def test_bindings_check_passes_in_the_project(project):
    run_ok([sys.executable, "-m", "nylon_ring_sdk", "gen-bindings", "--abi", "1", "--lang", "go", "--out",
            str(project / "nylonring"), "--check"], project)


def test_gofmt_vet_and_go_test(project):
    """gofmt-clean, vet-clean, and the SDK's own Go tests pass (answer guards, shutdown,
    the fast path's allocation count) with C warnings as errors."""
    gofmt = need_tool("gofmt")
    assert run_ok([gofmt, "-l", "."], project) == ""
    env = {**go_env(), "CGO_CFLAGS": "-O2 -Wall -Werror"}
    run_ok(["go", "vet", "./..."], project, env)
    out = run_ok(["go", "test", "-count=1", "-v", "./..."], project, env)
    for name in ("TestUnaryAnswersExactlyOnce", "TestShutdownWaitsForGoroutines", "TestRawFastPathAllocations",
                 "TestLayoutProbeMatchesSchema"):
        assert f"--- PASS: {name}" in out


def test_sdk_under_the_race_detector(project):
    run_ok(["go", "test", "-race", "-count=1", "./sdk"], project)


def test_plain_cookiecutter_render_builds(tmp_path):
    """`cookiecutter templates/go` alone (no nylon-ring) gives a project of one
    generation, ABI 2, that compiles: the other generation's files render no name."""
    from cookiecutter.main import cookiecutter

    out = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path)))
    assert out.name == "my-plugin"
    assert (out / "sdk/abi2.go").is_file() and not (out / "sdk/abi1.go").exists()
    assert not (out / "probes_off.go").exists() and not (out / "nylon-ring.toml").exists()
    run_ok(["go", "vet", "./..."], out)


def test_abi_symbols_are_exported_and_sdk_helpers_hidden(library):
    nm = need_tool("nm")
    out = run_ok([nm, "-D", "--defined-only", str(library)], library.parent)
    symbols = {line.split()[-1] for line in out.splitlines() if line.strip()}
    assert {"nylon_ring_get_plugin_v1", "nylon_ring_set_host_ext_v1", "nylon_ring_layout_probe_v1"} <= symbols
    assert not {"nrgo_plugin_info", "nrgo_set_identity"} & symbols  # the SDK's C helpers stay hidden


def test_cross_build_for_aarch64(project, tmp_path):
    """`nylon-ring build --target aarch64-linux-gnu`: cgo through zig cc, an aarch64 library."""
    need_zig()
    copy = tmp_path / NAME
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("lib*.so", "lib*.h"))
    lib = build_project(copy, target="aarch64-linux-gnu")
    header = lib.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64


def test_embedded_manifest_matches_the_manifest_file(library, project, tmp_path):
    """nylon_ring_manifest() is rendered from the route table: the same entries, modes,
    samples and probes as the project's hand-kept nylon-ring.toml."""
    from nylon_ring_sdk.conformance.manifest import RequestSpec, load_manifest

    text = embedded_manifest(library)
    (tmp_path / "embedded.toml").write_text(text)
    embedded, kept = load_manifest(tmp_path / "embedded.toml"), load_manifest(project / "nylon-ring.toml")
    assert [(e.name, e.mode) for e in embedded.entries] == sorted((e.name, e.mode) for e in kept.entries)
    assert [(p.name, p.mode) for p in embedded.panic_probes] == [(p.name, p.mode) for p in kept.panic_probes]
    ours, theirs = {e.name: e for e in embedded.entries}, {e.name: e for e in kept.entries}
    # The file also sends a header and an empty query with hello; the route table knows method and path.
    theirs["hello"] = dataclasses.replace(theirs["hello"], request=RequestSpec(method="GET", path="/hello"))
    assert ours == theirs


def embedded_manifest(library: Path) -> str:
    """The library's nylon_ring_manifest() text, read in a child process (a Go runtime of its own)."""
    code = ("import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); f = lib.nylon_ring_manifest; "
            "f.restype = ctypes.c_char_p; sys.stdout.write(f().decode('utf-8'))")
    proc = subprocess.run([sys.executable, "-c", code, str(library)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


# ---------------------------------------------------------------- release build


def test_release_build_leaves_the_panic_probes_out(project, tmp_path):
    release = tmp_path / LIB
    run_ok(["go", "build", "-buildmode=c-shared", "-tags", "noprobes", "-trimpath", "-o", str(release), "."], project)
    with Host.load(release) as h:
        assert_release_answers(h, "go")  # Unsupported: the probes are left out
        assert h.violations == []


# ---------------------------------------------------------------- a plugin in the original SDK's style


def test_original_style_plugin_ports_by_changing_an_import(seed_library):
    with Host.load(seed_library) as h:
        assert (h.info.name, h.info.version) == ("seed-port", "2.3.4")
        r = h.call("unary", body=b"", request=HELLO)
        assert (r.status, r.data) == (NrStatus.OK, b"OK: GET /hello")
        r = h.call("fast", body=b"", request=HELLO)
        assert (r.status, r.data, r.thread_id) == (NrStatus.OK, b"FAST", threading.get_native_id())
        assert h.call_raw("nope", b"").status == NrStatus.UNSUPPORTED
        assert h.violations == []


def test_shutdown_waits_for_background_work(seed_library):
    """A goroutine that can only answer once shutdown has begun delivers its frames
    before shutdown returns; then OnShutdown has run."""
    h = Host.load(seed_library)
    stream = h.stream_raw("slow", b"")
    assert stream.handle_status == NrStatus.OK
    h.close()
    assert [(f.status, f.data) for f in stream] == [(NrStatus.OK, b"late but joined"), (NrStatus.STREAM_END, b"")]
    assert h.violations == []
    lib = ctypes.CDLL(h.path)
    lib.seed_shutdown_ran.restype = ctypes.c_uint32
    assert lib.seed_shutdown_ran() == 1


def test_nothing_reaches_the_host_after_shutdown(seed_library):
    """A callback kept past its handler and used after shutdown returned is dropped."""
    h = Host.load(seed_library)
    assert h.call_raw("late", b"").data == b"first"
    h.close()
    lib = ctypes.CDLL(h.path)
    lib.seed_late_fired.restype = ctypes.c_uint32
    lib.seed_fire_late()
    assert lib.seed_late_fired() == 1  # the kept callback really was called
    assert h.violations == []
    with pytest.raises(HostClosed):
        h.call_raw("echo", b"")


# ---------------------------------------------------------------- where the examples run


def test_hello_answers_on_the_host_thread(library):
    """`hello` is cheap work, registered with HandleSyncFunc: answered inside handle, on the
    caller's thread, with no goroutine; echo_async still answers from a goroutine."""
    with Host.load(library) as h:
        r = h.call("hello", body=b"world", request=HELLO)
        assert (r.status, r.handle_status, r.data) == (NrStatus.OK, NrStatus.OK, b"GET /hello world")
        assert r.thread_id == threading.get_native_id()
        r = h.call_raw("echo_async", b"later")
        assert r.data == b"later" and r.thread_id != threading.get_native_id()
        assert h.violations == []


def test_async_answers_and_streams_under_load(library):
    """echo_async (a goroutine each) from four host threads at once, each call with its
    own payload, and count streams from four threads: every sid answered exactly once
    with its own bytes, off the caller's thread; frames in order, one terminal frame."""
    flood_async(library, threads=4, calls=1500)
    flood_streams(library, threads=4, streams=60)


def test_send_binding_stays_hidden(library):
    """The host's send_result and context live in a hidden C global, bound at init."""
    nm = need_tool("nm")
    out = run_ok([nm, "-D", "--defined-only", str(library)], library.parent)
    symbols = {line.split()[-1] for line in out.splitlines() if line.strip()}
    assert not {"nrgo_host", "nrgo_bind_host", "nrgo_send"} & symbols
