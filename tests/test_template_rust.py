"""The Rust template: scaffold, build with cargo, load with the reference host, check every answer.

Builds are slow on small machines, so each library is built once per module: the
scaffolded project (debug, and once in release to show the panic probes are left
out), and a seed-era plugin ported onto the template's SDK.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import need_tool
from nylon_ring_sdk.host import NULL_REQUEST, HostClosed, Host, NrStatus, Request
from nylon_ring_sdk.layout import compute_layout
from nylon_ring_sdk.scaffold import build_project, new_project

NAME = "demo-plugin"
EXTRA = "extra_one"
FIXTURES = Path(__file__).parent / "fixtures"
HELLO = Request(method="GET", path="/hello", query="", headers=[("x-test", "1")])


def cargo(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CARGO_TERM_COLOR": "never"}
    return subprocess.run(["cargo", args[0], "--offline", *args[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    need_tool("cargo")
    return new_project("rust", NAME, tmp_path_factory.mktemp("rust_template"), entries=[EXTRA])


@pytest.fixture(scope="module")
def library(project) -> Path:
    return build_project(project)


@pytest.fixture()
def host(library):
    with Host.load(library) as h:
        yield h
        assert h.violations == []


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


def test_no_template_syntax_left(project):
    leftovers = []
    for path in project.rglob("*"):
        if "target" in path.relative_to(project).parts:
            continue
        if "{{" in path.name or "{%" in path.name:
            leftovers.append(path.name)
        if path.is_file():
            text = path.read_text(errors="replace")
            if "{{" in text or "{%" in text or "cookiecutter" in text:
                leftovers.append(str(path.relative_to(project)))
    assert leftovers == []


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


def test_clippy_and_rustfmt_clean(project, library):
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


# ---------------------------------------------------------------- every example entry


def test_identity_and_layout_probe(host, schema):
    assert (host.info.name, host.info.version) == (NAME, "0.1.0")
    assert host.layout_probe() == (1, compute_layout(schema, "lp64").probe_values())


def test_hello_uses_the_request(host):
    r = host.call("hello", body=b"world", request=HELLO)
    assert (r.status, r.data) == (NrStatus.OK, b"GET /hello world")
    r = host.call("hello", body=b"x", request=Request(method="POST", path="/p"))
    assert (r.status, r.data) == (NrStatus.OK, b"POST /p x")


def test_echo_sync_and_async(host):
    r = host.call_raw("echo", b"ping")
    assert (r.status, r.data) == (NrStatus.OK, b"ping")
    assert r.thread_id == threading.get_native_id()  # answered on the host's thread
    r = host.call_raw("echo_async", b"pong")
    assert (r.status, r.data) == (NrStatus.OK, b"pong")
    assert r.thread_id != threading.get_native_id()
    big = bytes(range(256)) * 64
    assert host.call_raw("echo", big).data == big


def test_count_streams_n_frames(host):
    frames = list(host.stream_raw("count", b"3"))
    assert [(f.status, f.data) for f in frames] == [(NrStatus.OK, b"0"), (NrStatus.OK, b"1"), (NrStatus.OK, b"2"),
                                                    (NrStatus.STREAM_END, b"")]
    assert [(f.status, f.data) for f in host.stream_raw("count", b"0")] == [(NrStatus.STREAM_END, b"")]


def test_count_rejects_a_bad_payload(host):
    s = host.stream_raw("count", b"three")
    assert s.rejected and s.handle_status == NrStatus.INVALID
    assert [f.status for f in s] == [NrStatus.INVALID]


def test_chat_ping_pong_then_close(host):
    with host.bidi("chat", body=b"", raw=True) as s:
        for word in (b"a", b"bb", b""):
            s.send(word)
            f = s.next_frame(timeout=5)
            assert (f.status, f.data) == (NrStatus.OK, word)
        s.close()
        assert [(f.status, f.data) for f in s] == [(NrStatus.STREAM_END, b"")]


def test_state_round_trip(host):
    r = host.call_raw("state", b"remembered")
    assert (r.status, r.data) == (NrStatus.OK, b"remembered")


def test_state_without_the_extension_is_unsupported(library):
    with Host.load(library, state=False) as h:
        assert h.call_raw("state", b"x").status == NrStatus.UNSUPPORTED
        assert h.violations == []


def test_extra_entry_from_new(host):
    assert host.call_raw(EXTRA, b"sample").data == b"sample"


def test_unknown_entry_is_unsupported(host):
    assert host.call_raw("nope", b"").status == NrStatus.UNSUPPORTED
    assert host.call("nope", request=HELLO).status == NrStatus.UNSUPPORTED
    assert host.call_raw(b"\xff\xfe", b"").status == NrStatus.UNSUPPORTED


def test_bad_input_is_invalid_not_a_crash(host):
    assert host.call("hello", body=b"w", request=NULL_REQUEST).status == NrStatus.INVALID
    bad_header = Request(method="GET", path="/hello", headers=[("x", b"\xff\xfe")])
    assert host.call("hello", body=b"w", request=bad_header).status == NrStatus.INVALID
    assert host.call("hello", body=b"w", request=Request(method=b"\xc3", path="/")).status == NrStatus.INVALID
    assert host.call_raw("echo", None).data == b""
    assert host.stream_data(987654, b"x") == NrStatus.INVALID
    assert host.stream_close(987654) == NrStatus.INVALID


# ---------------------------------------------------------------- panics


def test_panic_on_the_host_thread_answers_err(host):
    r = host.call_raw("panic", b"")
    assert r.status == NrStatus.ERR
    assert host.call_raw("echo", b"still alive").data == b"still alive"


def test_panic_on_a_background_thread_answers_err(host):
    r = host.call_raw("panic_async", b"")
    assert r.status == NrStatus.ERR and r.thread_id != threading.get_native_id()
    assert host.call_raw("echo_async", b"still alive").data == b"still alive"


def test_release_build_leaves_the_panic_probes_out(project):
    release = build_project(project, release=True)
    assert release.parent.name == "release"
    with Host.load(release) as h:
        assert h.call_raw("panic", b"").status == NrStatus.UNSUPPORTED
        assert h.call_raw("panic_async", b"").status == NrStatus.UNSUPPORTED
        assert h.call_raw("echo", b"x").data == b"x"


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


# ---------------------------------------------------------------- conformance


def test_conformance_has_no_must_failures(library, tmp_path):
    try:
        import nylon_ring_sdk.cli.conformance  # noqa: F401
    except ModuleNotFoundError:
        pytest.skip("the conformance command is not installed in this checkout")
    junit, report = tmp_path / "report.xml", tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "conformance", str(library), "--junit", str(junit),
                           "--json", str(report)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert junit.is_file()
    summary = json.loads(report.read_text())
    assert summary["summary"]["must_failures"] == 0
    # the manifest was found and used: every check could judge the plugin
    not_passed = [(c["id"], c["status"], c["reason"]) for c in summary["checks"] if c["status"] != "pass"]
    assert not_passed == []


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
