"""The Rust template: scaffold, build with cargo, clippy and rustfmt, an SDK free of
panicking calls, a second answer that does not compile, a release build.

The example entries, panic safety, shutdown and conformance are checked in every
language by tests/test_template_matrix.py, on the same debug build (once a
session). This module adds the release build (panic probes left out), the
call-bound responder's compile-time guarantee, concurrent frames on one bidi
session, and a seed-era plugin ported onto the template's SDK.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nylon_ring_sdk.host import HostClosed, Host, NrStatus, Request
from nylon_ring_sdk.scaffold import build_project
from template_matrix import assert_release_answers, keep_copy

FIXTURES = Path(__file__).parent / "fixtures"
HELLO = Request(method="GET", path="/hello", query="", headers=[("x-test", "1")])


def cargo(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CARGO_TERM_COLOR": "never"}
    return subprocess.run(["cargo", args[0], "--offline", *args[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def project(template_builds) -> Path:
    """The example project, built once a session (the debug build tests/test_template_matrix.py loads)."""
    return template_builds.get("rust").project


@pytest.fixture(scope="module")
def seed_library(project, tmp_path_factory) -> Path:
    """A seed-era plugin (tests/fixtures/rust_seed_plugin.rs) built on the template's SDK."""
    root = tmp_path_factory.mktemp("rust_seed") / "seed-port"
    shutil.copytree(project / "src" / "nylon_ring_sdk", root / "src" / "nylon_ring_sdk")
    shutil.copy(project / "src" / "nylon_ring_abi.rs", root / "src" / "nylon_ring_abi.rs")
    shutil.copy(FIXTURES / "rust_seed_plugin.rs", root / "src" / "lib.rs")
    (root / "Cargo.toml").write_text('[package]\nname = "seed-port"\nversion = "2.3.4"\nedition = "2021"\n\n'
                                     '[lib]\ncrate-type = ["cdylib", "rlib"]\n')
    return build_project(root)


def load_copy(library: Path, tmp_path: Path) -> Host:
    """A fresh instance of a plugin: the dynamic loader maps a copied file separately."""
    copy = tmp_path / f"copy-{time.monotonic_ns()}{library.suffix}"
    shutil.copy(library, copy)
    return Host.load(copy)


# ---------------------------------------------------------------- the project itself


def test_project_files(project):
    for rel in ("Cargo.toml", "README.md", ".gitignore", "nylon-ring.toml", ".github/workflows/ci.yml",
                "src/lib.rs", "src/nylon_ring_abi.rs", "src/nylon_ring_sdk/mod.rs"):
        assert (project / rel).is_file(), rel
    cargo_toml = (project / "Cargo.toml").read_text()
    assert 'name = "demo_plugin"' in cargo_toml and 'crate-type = ["cdylib", "rlib"]' in cargo_toml
    assert "[dependencies]\n\n" in cargo_toml  # std only: builds offline
    ci = (project / ".github/workflows/ci.yml").read_text()
    assert "nylon-ring conformance target/debug/libdemo_plugin.so --junit report.xml" in ci
    assert "nylon-ring gen-bindings --lang rust --out src --check" in ci


def test_committed_bindings_match_the_generator():
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    committed = Path(__file__).parent.parent / "templates" / "rust" / "{{cookiecutter.project_name}}" / "src"
    (generated,) = generate(load_default(), "rust")
    assert (committed / generated.path).read_text() == generated.content, \
        "run `python -m nylon_ring_sdk.scaffold --refresh-bindings`"


def test_bindings_check_passes_in_the_project(project):
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "gen-bindings", "--lang", "rust", "--out",
                           str(project / "src"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_clippy_and_rustfmt_clean(project):
    if cargo(["clippy", "--version"], project).returncode != 0:
        pytest.skip("cargo clippy not installed")
    lint = cargo(["clippy", "--all-targets", "--", "-D", "warnings"], project)
    assert lint.returncode == 0, lint.stderr
    fmt = subprocess.run(["cargo", "fmt", "--check"], cwd=project, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_sdk_has_no_unwrap_expect_or_panic(project):
    for path in (project / "src" / "nylon_ring_sdk").glob("*.rs"):
        code = "\n".join(line.split("//")[0] for line in path.read_text().splitlines())
        for banned in (".unwrap()", ".expect(", "panic!(", "unreachable!(", "todo!("):
            assert banned not in code, f"{path.name}: {banned}"


# ---------------------------------------------------------------- release build, a second answer


def test_release_build_leaves_the_panic_probes_out(project):
    release = build_project(project, release=True)
    assert release.parent.name == "release"
    with Host.load(keep_copy(project, release, "release")) as h:
        assert_release_answers(h, "rust")  # Unsupported: the probes are left out
        assert h.violations == []


def test_a_second_answer_does_not_compile(project, tmp_path):
    """The type system forbids a second answer: `respond` consumes the responder."""
    root = tmp_path / "twice"
    shutil.copytree(project / "src", root / "src")
    shutil.copy(project / "Cargo.toml", root / "Cargo.toml")
    lib = root / "src" / "lib.rs"
    lib.write_text(lib.read_text().replace(
        "    out.respond(NrStatus::Ok, call.payload())\n}",
        "    let _ = out.respond(NrStatus::Ok, call.payload());\n    out.respond(NrStatus::Ok, b\"again\")\n}", 1))
    proc = cargo(["check"], root)
    assert proc.returncode != 0 and "E0382" in proc.stderr and "use of moved value: `out`" in proc.stderr


def test_a_call_responder_cannot_leave_its_call(project, tmp_path):
    """A `CallResponder` answers without the shutdown gate because it cannot outlive its
    call: moving it into `spawn` (or any 'static place) does not compile, while the
    `detach`ed `Responder` does."""
    root = tmp_path / "escape"
    shutil.copytree(project / "src", root / "src")
    shutil.copy(project / "Cargo.toml", root / "Cargo.toml")
    lib = root / "src" / "lib.rs"
    source = lib.read_text()
    sync_echo = "    out.respond(NrStatus::Ok, call.payload())\n}"
    assert "fn echo(call: Call<'_>, out: CallResponder<'_>) -> Reply {\n" + sync_echo in source
    lib.write_text(source.replace(sync_echo, "    let data = call.payload().to_vec();\n"
                                             "    spawn(move || out.respond(NrStatus::Ok, &data))\n}", 1))
    proc = cargo(["check"], root)
    assert proc.returncode != 0 and "borrowed data escapes" in proc.stderr, proc.stderr[-3000:]
    lib.write_text(source.replace(sync_echo, "    let (data, out) = (call.payload().to_vec(), out.detach());\n"
                                             "    spawn(move || out.respond(NrStatus::Ok, &data))\n}", 1))
    proc = cargo(["check"], root)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_frames_of_one_stream_from_many_threads(template_builds):
    """Host threads feeding one bidi session at once take turns on it (each frame is
    echoed once, none lost), and the close still ends it with one StreamEnd."""
    texts = [f"{n}:{i}".encode() for n in range(4) for i in range(200)]
    statuses: list = []
    with Host.load(template_builds.get("rust").library) as h:
        with h.bidi("chat", raw=True) as s:
            def feed(n: int) -> None:
                statuses.extend(h.stream_data(s.sid, text) for text in texts[n * 200:(n + 1) * 200])

            threads = [threading.Thread(target=feed, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert s.close() == NrStatus.OK
            frames = list(s)
        assert h.violations == []
    assert statuses == [NrStatus.OK] * len(texts)
    assert sorted(f.data for f in frames[:-1]) == sorted(texts)
    assert {f.status for f in frames[:-1]} == {NrStatus.OK}
    assert (frames[-1].status, frames[-1].data) == (NrStatus.STREAM_END, b"")


# ---------------------------------------------------------------- a seed-era plugin on the SDK


def test_seed_era_plugin_ports_by_changing_an_import(seed_library, tmp_path):
    with load_copy(seed_library, tmp_path) as h:
        assert (h.info.name, h.info.version) == ("seed-port", "2.3.4")
        r = h.call("unary", body=b"world", request=HELLO)
        assert (r.status, r.data) == (NrStatus.OK, b"Hello from plugin: world")
        assert h.call_raw("unary", b"raw").data == b"Hello from plugin: raw"
        assert [f.data for f in h.stream("stream", body=b"2", request=HELLO)] == [b"Frame 1", b"Frame 2", b""]
        assert h.call_raw("fast_echo", b"quick").data == b"quick"
        with h.bidi("chat", body=b"", request=HELLO) as s:
            s.send(b"hi")
            assert s.next_frame(timeout=5).data == b"hi"
            s.close()
            assert [f.status for f in s] == [NrStatus.STREAM_END]
        assert h.call_raw("seed_panic", b"").status == NrStatus.ERR
        assert h.call_raw("nope", b"").status == NrStatus.UNSUPPORTED
        assert h.violations == []


def test_the_synchronous_raw_path_allocates_nothing(seed_library, tmp_path):
    """Routing, the responder and the answer of a synchronous handler: zero allocations."""
    with load_copy(seed_library, tmp_path) as h:
        count = ctypes.CDLL(h.path).seed_allocs_on_this_thread
        count.restype = ctypes.c_uint64
        payload = b"x" * 100
        assert h.call_raw("echo", payload).data == payload  # warm up the host side
        before = count()
        for _ in range(200):
            assert h.call_raw("echo", payload).status == NrStatus.OK
        assert count() == before
        # the counter works: a handler that copies the payload does allocate
        assert h.call_raw("unary", b"w").data == b"Hello from plugin: w"
        assert count() > before


def test_shutdown_waits_for_background_work(seed_library, tmp_path):
    """A worker still running at shutdown delivers its frames before shutdown returns."""
    h = load_copy(seed_library, tmp_path)
    stream = h.stream_raw("slow", b"")
    assert stream.handle_status == NrStatus.OK
    h.close()
    assert [(f.status, f.data) for f in stream] == [(NrStatus.OK, b"late but joined"), (NrStatus.STREAM_END, b"")]
    assert h.violations == []


def test_nothing_reaches_the_host_after_shutdown(seed_library, tmp_path):
    """An untracked thread's send after shutdown returned is dropped by the SDK's gate."""
    h = load_copy(seed_library, tmp_path)
    lib = ctypes.CDLL(h.path)
    lib.seed_late_done.restype = ctypes.c_uint32
    stream = h.stream_raw("late", b"")
    assert stream.handle_status == NrStatus.OK
    h.close()
    lib.seed_release_late()
    deadline = time.monotonic() + 10
    while not lib.seed_late_done() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert lib.seed_late_done() == 1
    assert h.violations == []
    with pytest.raises(HostClosed):
        list(stream)
