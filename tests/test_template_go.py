"""The Go template: scaffold, build with `go build -buildmode=c-shared`, load with the
reference host, check every answer, panic safety, shutdown and conformance.

Builds are slow on small machines, so each library is built once per module: the
scaffolded project, its release build (panic probes left out) and a plugin written
the way the original Go SDK documents it, ported by changing its import path.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import need_tool, need_zig
from nylon_ring_sdk.host import NULL_REQUEST, Host, HostClosed, NrStatus, Request
from nylon_ring_sdk.layout import compute_layout
from nylon_ring_sdk.scaffold import build_project, load_template, new_project

NAME = "demo-plugin"
LIB = "libdemo_plugin.so"
EXTRA = "extra_one"
FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = Path(__file__).parent.parent / "templates" / "go"
HELLO = Request(method="GET", path="/hello", query="", headers=[("x-test", "1")])


def go_env() -> dict[str, str]:
    """Offline: no module downloads, no toolchain switch, no workspace."""
    return dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", GOWORK="off", CGO_ENABLED="1")


def run_ok(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env or go_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.fixture(scope="module", autouse=True)
def offline_go():
    """`nylon-ring build` runs go with the caller's environment: keep it offline here."""
    need_tool("go")
    saved = {k: os.environ.get(k) for k in ("GOFLAGS", "GOPROXY", "GOTOOLCHAIN", "GOWORK")}
    os.environ.update(GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", GOWORK="off")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return new_project("go", NAME, tmp_path_factory.mktemp("go_template"), entries=[EXTRA])


@pytest.fixture(scope="module")
def library(project) -> Path:
    lib = build_project(project)
    assert lib == project / "build" / "native-debug" / LIB
    return lib


@pytest.fixture()
def host(library):
    with Host.load(library) as h:
        yield h
        assert h.violations == []


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


def test_no_template_syntax_left(project, library):
    leftovers = []
    for path in project.rglob("*"):
        rel = path.relative_to(project)
        if ".github" in rel.parts or path.suffix == ".so":
            continue  # GitHub Actions' own ${{ }} syntax is legitimate; the library is binary
        if "{{" in path.name or "{%" in path.name:
            leftovers.append(str(rel))
        if path.is_file():
            text = path.read_text(errors="replace")
            if "{{" in text or "{%" in text or "cookiecutter" in text:
                leftovers.append(str(rel))
    assert leftovers == []


def test_project_files(project):
    for rel in ("go.mod", "main.go", "probes.go", "probes_off.go", "Makefile", "README.md", ".gitignore",
                "nylon-ring.toml", ".github/workflows/ci.yml", "sdk/plugin.go", "sdk/exports.go",
                "sdk/vtable.c", "nylonring/nylonring.go"):
        assert (project / rel).is_file(), rel
    go_mod = (project / "go.mod").read_text()
    assert go_mod.startswith(f"module {NAME}\n") and "require" not in go_mod  # standard library only
    ci = (project / ".github/workflows/ci.yml").read_text()
    assert f"nylon-ring conformance {LIB} --junit report.xml" in ci
    assert "nylon-ring gen-bindings --lang go --out nylonring --check" in ci
    spec = load_template("go")
    assert spec.bindings == {"go": "nylonring"} and spec.requires == ("go",)


def test_makefile_build_target(project):
    make = need_tool("make")
    out = run_ok([make, "-n", "build"], project)
    assert out.strip() == f"go build -buildmode=c-shared -o {LIB} ."


def test_committed_bindings_match_the_generator():
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    committed = TEMPLATE / "{{cookiecutter.project_name}}" / "nylonring"
    generated = generate(load_default(), "go")
    assert sorted(p.name for p in committed.iterdir()) == sorted(f.path for f in generated)
    for f in generated:
        assert (committed / f.path).read_text() == f.content, \
            f"{f.path}: run `python -m nylon_ring_sdk.scaffold --refresh-bindings`"


def test_bindings_check_passes_in_the_project(project):
    run_ok([sys.executable, "-m", "nylon_ring_sdk", "gen-bindings", "--lang", "go", "--out",
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
    """`cookiecutter templates/go` alone (no nylon-ring) gives a project that compiles."""
    from cookiecutter.main import cookiecutter

    out = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path)))
    assert out.name == "my-plugin"
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
    assert host.call_raw("echo_async", big).data == big


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
    assert host.call_raw("echo", None).data == b""
    assert host.stream_data(987654, b"x") == NrStatus.INVALID
    assert host.stream_close(987654) == NrStatus.INVALID


def test_many_threads_at_once(host):
    """Host threads and goroutines at the same time: every answer reaches its own sid."""
    errors: list[str] = []

    def worker(n: int) -> None:
        for i in range(50):
            payload = f"{n}-{i}".encode()
            entry = "echo" if i % 2 else "echo_async"
            r = host.call_raw(entry, payload)
            if (r.status, r.data) != (NrStatus.OK, payload):
                errors.append(f"{entry} {payload!r}: {r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ---------------------------------------------------------------- panics


def test_panic_on_the_host_thread_answers_err(host):
    r = host.call_raw("panic", b"")
    assert r.status == NrStatus.ERR
    assert host.call_raw("echo", b"still alive").data == b"still alive"


def test_panic_in_a_goroutine_answers_err(host):
    r = host.call_raw("panic_async", b"")
    assert r.status == NrStatus.ERR and r.thread_id != threading.get_native_id()
    assert b"panic probe" in r.data
    assert host.call_raw("echo_async", b"still alive").data == b"still alive"


def test_release_build_leaves_the_panic_probes_out(project, tmp_path):
    release = tmp_path / LIB
    run_ok(["go", "build", "-buildmode=c-shared", "-tags", "noprobes", "-trimpath", "-o", str(release), "."], project)
    with Host.load(release) as h:
        assert h.call_raw("panic", b"").status == NrStatus.UNSUPPORTED
        assert h.call_raw("panic_async", b"").status == NrStatus.UNSUPPORTED
        assert h.call_raw("echo", b"x").data == b"x"
        assert h.violations == []


# ---------------------------------------------------------------- conformance


def test_conformance_has_no_must_failures(library, tmp_path):
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
