"""The Rust template: scaffold, build with cargo, clippy and rustfmt, an SDK free of
panicking calls, a second answer that does not compile, a release build.

The example entries, panic safety, shutdown and conformance are checked in every
language by tests/test_template_matrix.py, on the same debug build (once a
session). This module adds the release build (panic probes left out), the
call-bound responder's compile-time guarantee, concurrent frames on one bidi
session, and a seed-era plugin ported onto the template's SDK.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from async_load import flood_async, flood_streams
from conftest import need_clippy, need_tool
from nylon_ring_sdk.host import HostClosed, Host, NrStatus, Request
from nylon_ring_sdk.scaffold import build_project
from template_matrix import EXTRA, assert_release_answers, keep_copy

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
    assert "nylon-ring gen-bindings --abi 1 --lang rust --out src --check" in ci


def test_committed_bindings_match_the_generator():
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    committed = Path(__file__).parent.parent / "templates" / "rust" / "{{cookiecutter.project_name}}" / "src"
    (generated,) = generate(load_default(2), "rust")  # plain cookiecutter renders the default, ABI 2
    assert (committed / generated.path).read_text() == generated.content, \
        "run `python -m nylon_ring_sdk.committed`"


def test_bindings_check_passes_in_the_project(project):
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "gen-bindings", "--abi", "1", "--lang", "rust",
                           "--out", str(project / "src"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_clippy_and_rustfmt_clean(project):
    need_clippy()
    need_tool("rustfmt")
    lint = cargo(["clippy", "--all-targets", "--", "-D", "warnings"], project)
    assert lint.returncode == 0, lint.stderr
    fmt = subprocess.run(["cargo", "fmt", "--check"], cwd=project, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_sdk_has_no_unwrap_expect_or_panic(project, abi2_project):
    for path in [*(project / "src" / "nylon_ring_sdk").rglob("*.rs"), *(abi2_project / "src" / "nylon_ring_sdk").rglob("*.rs")]:
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


# ---------------------------------------------------------------- async answers under load (the worker pool)


def pool_bound() -> int:
    """Most threads the SDK's pool starts on this machine (workers.rs: CPUs, 2..MAX_WORKERS)."""
    return min(max(os.cpu_count() or 2, 2), 8)


def test_background_answers_under_load_are_never_lost_duplicated_or_swapped(template_builds):
    """Thousands of echo_async calls in flight at once from four host threads, each with
    its own payload, more than the pool's queue holds: every call is answered exactly
    once, with its own payload, by one of the pool's few threads (never a thread per
    call); a second answer or an unknown sid would be a recorded violation."""
    answered_by = flood_async(template_builds.get("rust").library, threads=4, calls=1500)
    assert len(answered_by) <= pool_bound()


# ---------------------------------------------------------------- ABI 2: `new --abi 2`


ABI2_NAME = "demo-abi2"
ABI2_LIB = "libdemo_abi2.so"
ABI2_ENTRIES = {"hello": "unary", "echo": "unary", "echo_async": "unary", "echo_owned": "unary",
                "echo_lease": "unary", EXTRA: "unary", "count": "stream", "chat": "bidi"}
PROBES_ON = {"NYLON_RING_ENABLE_PROBES": "1"}
BIG_ABI2 = bytes(range(256)) * 4096
PANIC = 5  # ABI 2's status for a contained panic (the host's NrStatus enum is ABI 1's)


@pytest.fixture(scope="module")
def abi2_project(tmp_path_factory) -> Path:
    """`nylon-ring new --lang rust --abi 2 demo-abi2 --entries extra_one`, through the CLI."""
    need_tool("cargo")
    parent = tmp_path_factory.mktemp("rust-abi2")
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "new", "--lang", "rust", "--abi", "2",
                           "--entries", EXTRA, "--dir", str(parent), ABI2_NAME], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return parent / ABI2_NAME


def build_clean(project: Path, release: bool) -> Path:
    """`nylon-ring build` (debug or --release): it must succeed and cargo must print no warning."""
    args = [sys.executable, "-m", "nylon_ring_sdk", "build", str(project)] + (["--release"] if release else [])
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "CARGO_TERM_COLOR": "never"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "warning" not in proc.stderr, proc.stderr[-3000:]
    library = Path(proc.stdout.strip().splitlines()[-1])
    assert library.name == ABI2_LIB and library.parent.name == ("release" if release else "debug")
    return keep_copy(project, library, "release" if release else "debug")


@pytest.fixture(scope="module")
def abi2_debug(abi2_project) -> Path:
    return build_clean(abi2_project, release=False)


@pytest.fixture(scope="module")
def abi2_release(abi2_project) -> Path:
    return build_clean(abi2_project, release=True)


@pytest.fixture(scope="module", params=["debug", "release"])
def abi2_library(request) -> Path:
    return request.getfixturevalue(f"abi2_{request.param}")


def test_abi2_project_holds_one_generation(abi2_project):
    sdk = abi2_project / "src" / "nylon_ring_sdk"
    assert (sdk / "abi2" / "boundary.rs").is_file() and not (sdk / "abi1").exists()
    assert not (abi2_project / "nylon-ring.toml").exists()  # the library carries its manifest
    assert "mod abi2;" in (sdk / "mod.rs").read_text()
    assert "Generated from schema/abi2.toml" in (abi2_project / "src" / "nylon_ring_abi.rs").read_text()
    assert "panic-probes" not in (abi2_project / "Cargo.toml").read_text()
    for path in abi2_project.rglob("*"):
        if path.is_file() and "target" not in path.parts:
            text = path.read_text(errors="replace")
            assert "{{" not in text and "{%" not in text and "cookiecutter" not in text, path


def test_abi2_bindings_check_clippy_and_rustfmt_clean(abi2_project):
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "gen-bindings", "--abi", "2", "--lang", "rust",
                           "--out", str(abi2_project / "src"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lint = cargo(["clippy", "--all-targets", "--", "-D", "warnings"], abi2_project)
    assert lint.returncode == 0, lint.stderr[-3000:]
    fmt = subprocess.run(["cargo", "fmt", "--check"], cwd=abi2_project, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout[-3000:] + fmt.stderr


def test_abi2_sdk_tests_pass(abi2_project):
    proc = cargo(["test", "--lib"], abi2_project)
    assert proc.returncode == 0 and "test result: ok" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]


def embedded_manifest(library: Path, tmp_path: Path):
    """The text `nylon_ring_manifest()` returns, parsed by the conformance suite's loader."""
    from nylon_ring_sdk.conformance.manifest import load_manifest

    export = ctypes.CDLL(str(library)).nylon_ring_manifest
    export.restype = ctypes.c_char_p
    path = tmp_path / "embedded.toml"
    path.write_bytes(export())
    return load_manifest(path)


def test_abi2_embedded_manifest_is_the_route_table(abi2_library, tmp_path):
    manifest = embedded_manifest(abi2_library, tmp_path)
    assert (manifest.name, manifest.unknown_entry) == (ABI2_NAME, "unsupported")
    assert {e.name: e.mode for e in manifest.entries} == ABI2_ENTRIES
    assert [(p.name, p.mode) for p in manifest.panic_probes] == [("panic", "unary"), ("panic_async", "unary")]
    entries = {e.name: e for e in manifest.entries}
    assert (entries["hello"].payload, entries["hello"].expect) == (b"world", b"hello, world")
    assert entries["count"].expect_frames == (b"0", b"1", b"2") and entries["count"].expect_terminal == "StreamEnd"
    assert entries["chat"].send == (b"a", b"b")


def test_abi1_embedded_manifest_matches_the_project_file(template_builds, tmp_path):
    """ABI 1 exports the same kind of manifest; the debug build's equals nylon-ring.toml."""
    from nylon_ring_sdk.conformance.manifest import load_manifest

    built = template_builds.get("rust")
    embedded = embedded_manifest(built.library, tmp_path)
    written = load_manifest(built.project / "nylon-ring.toml")
    strip = lambda entries: sorted((e.name, e.mode, e.payload, e.request, e.expect, e.expect_frames, e.send)  # noqa: E731
                                   for e in entries)
    assert strip(embedded.entries) == strip(written.entries)
    assert strip(embedded.panic_probes) == strip(written.panic_probes)


def test_abi2_layout_probe_matches_the_layout_engine(abi2_library):
    from nylon_ring_sdk.layout import compute_layout
    from nylon_ring_sdk.schema import load_default

    class Probe(ctypes.Structure):
        _fields_ = [("probe_version", ctypes.c_uint32), ("count", ctypes.c_uint32),
                    ("values", ctypes.POINTER(ctypes.c_uint32))]

    export = ctypes.CDLL(str(abi2_library)).nylon_ring_layout_probe_v2
    export.restype = ctypes.POINTER(Probe)
    probe = export().contents
    assert probe.probe_version == 1
    assert probe.values[:probe.count] == compute_layout(load_default(2), "lp64").probe_values()


def step_answers(results: list[dict]) -> list:
    """(status name, data) per unary step; frames as (status name, data) lists for streams."""
    out = []
    for r in results:
        assert r["ok"], r
        if "frames" in r:
            out.append([(f["status_name"], f["data"]) for f in r["frames"]])
        else:
            out.append((r.get("status_name"), r.get("data")))
    return out


def test_abi2_every_call_kind_through_the_released_host(abi2_library):
    """nylon-ring-host 0.2.2 drives the scaffold: unary, the synchronous fast path,
    fire-and-forget, owned answers (zero-copy, `call_response_bytes`), leases, streams,
    bidi and integer dispatch, each checked for its exact answer."""
    from interop_host import drive

    results = drive(abi2_library, [
        {"op": "unary", "entry": "hello", "payload": "world"},
        {"op": "unary", "entry": "echo", "payload": {"hex": "00ff0a41"}},
        {"op": "fast", "entry": "echo", "payload": "fast"},
        {"op": "unary", "entry": "echo_async", "payload": "later"},
        {"op": "unary", "entry": "echo_owned", "payload": "owned"},
        {"op": "unary", "entry": "echo_lease", "payload": "leased"},
        {"op": "fast", "entry": "echo_lease", "payload": "leased fast"},
        {"op": "unary", "entry": EXTRA, "payload": "sample"},
        {"op": "unary", "entry": "echo"},
        {"op": "stream", "entry": "count", "payload": "3"},
        {"op": "stream", "entry": "count", "payload": "0"},
        {"op": "bidi", "entry": "chat", "send": ["a", "", "bb"]},
        {"op": "by_id", "entry": "hello", "payload": "id"},
        {"op": "by_id", "entry": "echo_async", "payload": "id later"},
        {"op": "by_id", "entry": "echo_owned", "payload": "id fast", "call": "fast"},
        {"op": "by_id", "entry": "count", "payload": "2", "call": "stream"},
    ])
    assert step_answers(results) == [
        ("Ok", "hello, world"), ("Ok", None), ("Ok", "fast"), ("Ok", "later"), ("Ok", "owned"), ("Ok", "leased"),
        ("Ok", "leased fast"), ("Ok", "sample"), ("Ok", ""),
        [("Ok", "0"), ("Ok", "1"), ("Ok", "2"), ("StreamEnd", "")], [("StreamEnd", "")],
        [("Ok", "a"), ("Ok", ""), ("Ok", "bb"), ("StreamEnd", "")],
        ("Ok", "hello, id"), ("Ok", "id later"), ("Ok", "id fast"), [("Ok", "0"), ("Ok", "1"), ("StreamEnd", "")],
    ]
    assert results[1]["hex"] == "00ff0a41"
    assert results[11]["sent"] == [0, 0, 0, {"close": 0}]


def test_abi2_owned_answers_reach_the_host_without_a_copy(abi2_library):
    from interop_host import drive

    payloads = [f"owned {n} ".encode().hex() * (1 + n) for n in range(50)]
    results = drive(abi2_library, [{"op": "bytes", "entry": "echo_owned", "payload": {"hex": p}} for p in payloads]
                    + [{"op": "bytes", "entry": "echo", "payload": "copied"}])
    assert [(r["status"], r["hex"], r["foreign"]) for r in results[:-1]] == [(0, p, True) for p in payloads]
    assert (results[-1]["data"], results[-1]["foreign"]) == ("copied", False)


def test_abi2_fire_and_forget_and_many_background_answers(abi2_library):
    from interop_host import drive

    steps = [{"op": "call", "entry": "echo_async", "payload": f"ignored {n}"} for n in range(20)]
    steps += [{"op": "unary", "entry": "echo_async", "payload": f"async {n}"} for n in range(300)]
    results = drive(abi2_library, steps, timeout=300)
    assert [r["status"] for r in results[:20]] == [0] * 20
    assert [(r["status"], r["data"]) for r in results[20:]] == [(0, f"async {n}") for n in range(300)]


@pytest.mark.parametrize("enabled", [False, True], ids=["probes-inert", "probes-enabled"])
def test_abi2_panic_probes_answer_panic_only_when_enabled(abi2_library, enabled):
    """Compiled into debug and release alike; without NYLON_RING_ENABLE_PROBES=1 at init
    they answer Unsupported, with it a panic on the host's thread or a worker answers
    Panic (5) and the plugin goes on serving."""
    from interop_host import drive

    # drive() adds env to this process's environment, so "off" is an empty value, not a missing key
    env = PROBES_ON if enabled else {name: "" for name in PROBES_ON}
    results = drive(abi2_library, [
        {"op": "unary", "entry": "panic"},
        {"op": "unary", "entry": "panic_async"},
        {"op": "by_id", "entry": "panic"},
        {"op": "unary", "entry": "echo", "payload": "still here"},
    ], env=env)
    if enabled:
        assert [(r["ok"], r["status"], r["status_name"]) for r in results[:3]] == [(True, 5, "Panic")] * 3
    else:
        assert [(r["ok"], r["error_kind"], r["status"]) for r in results[:3]] == [(False, "PluginHandleFailed", 3)] * 3
    assert (results[3]["status"], results[3]["data"]) == (0, "still here")


def test_abi2_unknown_entries_answer_unsupported(abi2_library):
    from interop_host import drive

    results = drive(abi2_library, [
        {"op": "unary", "entry": "nope"},
        {"op": "stream", "entry": "nope"},
        {"op": "unary", "entry": "echo\u0000"},
        {"op": "unary", "entry": ""},
    ])
    assert [(r["ok"], r["error_kind"], r["status"]) for r in results] == [(False, "PluginHandleFailed", 3)] * 4


def abi2_bindings():
    """The generated ABI 2 ctypes bindings, as a module."""
    import importlib.util

    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    (generated,) = generate(load_default(2), "python")
    spec = importlib.util.spec_from_loader("nylon_ring_abi2_test", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(generated.content, generated.path, "exec"), module.__dict__)
    return module


def test_abi2_null_and_invalid_input_is_invalid_not_a_crash(abi2_library, tmp_path):
    """The boundary checks what a host passes before anything else: NULL views with a
    length, ids never issued, sids never opened and a NULL host vtable answer Invalid
    (or NR_ENTRY_UNKNOWN), straight through the plugin's own vtable."""
    abi, invalid = abi2_bindings(), 2
    lib = ctypes.CDLL(str(shutil.copy(abi2_library, tmp_path / "copy.so")))  # a fresh instance
    lib.nylon_ring_get_plugin.restype = ctypes.POINTER(abi.NrPluginInfo)
    info = lib.nylon_ring_get_plugin().contents
    assert (info.abi_version, info.struct_size) == (2, 56)
    assert ctypes.string_at(info.name.ptr, info.name.len) == ABI2_NAME.encode()
    vt = info.vtable.contents
    kept = []

    def text(value: bytes):
        kept.append(ctypes.create_string_buffer(value, len(value)))
        return abi.NrStr(ctypes.cast(kept[-1], ctypes.c_void_p), len(value), 0)

    null_view = abi.NrStr(None, 4, 0)
    empty = abi.NrBytes(None, 0)
    assert abi.NrStatus.INVALID == invalid
    assert vt.init(None, None) == invalid
    assert vt.handle(null_view, 1, empty) == invalid
    assert vt.handle(text(b"echo"), 2, abi.NrBytes(None, 3)) == invalid
    assert vt.resolve_entry(null_view) == abi.NR_ENTRY_UNKNOWN
    assert vt.resolve_entry(text(b"nope")) == abi.NR_ENTRY_UNKNOWN
    echo = vt.resolve_entry(text(b"echo"))
    assert echo != abi.NR_ENTRY_UNKNOWN
    assert vt.resolve_entry(text(b"echo")) == echo  # ids are stable
    assert vt.handle_by_id(10_000, 3, empty) == invalid
    assert vt.handle_by_id(echo, 4, abi.NrBytes(None, 9)) == invalid
    assert vt.stream_data(987654, abi.NrBytes(text(b"x").ptr, 1)) == invalid
    assert vt.stream_data(987654, abi.NrBytes(None, 5)) == invalid
    assert vt.stream_close(987654) == invalid


# ---------------------------------------------------------------- ABI 2 under the reference host


def test_abi2_reference_host_every_answer_path(abi2_library, probes_on, tmp_path):
    """The reference host records how each answer came (copy, owned, lease) and every
    ABI 2 misuse (a release missing or twice, a frame after the terminal one, ...)."""
    with Host.load(shutil.copy(abi2_library, tmp_path / "instance.so")) as h:
        assert (h.abi, h.info.name, h.info.version) == (2, ABI2_NAME, "0.1.0")
        answers = {entry: h.call_raw(entry, b"payload " + entry.encode())
                   for entry in ("echo", "echo_async", "echo_owned", "echo_lease", EXTRA)}
        assert {e: (r.status, r.data, r.path) for e, r in answers.items()} == {
            "echo": (NrStatus.OK, b"payload echo", "copy"),
            "echo_async": (NrStatus.OK, b"payload echo_async", "copy"),
            "echo_owned": (NrStatus.OK, b"payload echo_owned", "owned"),
            "echo_lease": (NrStatus.OK, b"payload echo_lease", "lease"),
            EXTRA: (NrStatus.OK, b"payload " + EXTRA.encode(), "copy"),
        }
        assert h.call_raw("hello", b"there").data == b"hello, there"
        assert h.call_raw("echo_owned", BIG_ABI2).data == BIG_ABI2
        assert h.call_raw("echo_lease", BIG_ABI2).data == BIG_ABI2
        assert [(f.status, f.data) for f in h.stream_raw("count", b"3")] == [
            (NrStatus.OK, b"0"), (NrStatus.OK, b"1"), (NrStatus.OK, b"2"), (NrStatus.STREAM_END, b"")]
        with h.bidi("chat", raw=True) as s:
            for text in (b"ping", b"", b"pong"):
                assert s.send(text) == NrStatus.OK
                assert s.next_frame(timeout=10).data == text
            s.close()
            assert [f.status for f in s] == [NrStatus.STREAM_END]
        panics = (h.call_raw("panic", b""), h.call_raw("panic_async", b""))
        assert [(r.handle_status, r.status) for r in panics] == [(NrStatus.OK, PANIC)] * 2
        assert h.call_raw("nope", b"").status == NrStatus.UNSUPPORTED
        assert h.violations == []


def test_abi2_integer_dispatch_behaves_like_handle(abi2_library, probes_on, tmp_path):
    with Host.load(shutil.copy(abi2_library, tmp_path / "instance.so")) as h:
        ids = {name: h.resolve(name) for name in (*ABI2_ENTRIES, "panic", "panic_async")}
        assert sorted(ids.values()) == list(range(len(ids)))  # the route table's indexes
        assert h.resolve("nope") == h.resolve(b"\xff") == 0xFFFFFFFF
        for name in ("echo", "echo_async", "echo_owned", "echo_lease", "hello"):
            by_id, by_name = h.call_by_id(ids[name], b"same"), h.call_raw(name, b"same")
            assert (by_id.status, by_id.data, by_id.path) == (by_name.status, by_name.data, by_name.path)
        assert [f.data for f in h.stream_by_id(ids["count"], b"2")] == [b"0", b"1", b""]
        assert h.call_by_id(ids["panic"], b"").status == PANIC
        assert h.call_by_id(len(ids), b"").status == NrStatus.INVALID  # an id never issued
        assert h.violations == []


def test_abi2_streams_wait_out_backpressure(abi2_library, tmp_path):
    """With room for 2 unread frames per stream the host answers Backpressure; the
    SDK retries, so all 300 frames arrive in order, then one StreamEnd."""
    with Host.load(shutil.copy(abi2_library, tmp_path / "instance.so"), stream_queue=2) as h:
        frames = [(f.status, f.data) for f in h.stream_raw("count", b"300", timeout=60)]
        assert frames == [(NrStatus.OK, str(n).encode()) for n in range(300)] + [(NrStatus.STREAM_END, b"")]
        assert h.violations == []


def test_abi2_probes_are_inert_without_the_switch(abi2_library, probes_off, tmp_path):
    with Host.load(shutil.copy(abi2_library, tmp_path / "instance.so")) as h:
        assert [h.call_raw(p, b"").status for p in ("panic", "panic_async")] == [NrStatus.UNSUPPORTED] * 2
        assert h.violations == []


def test_abi2_background_answers_and_streams_under_load(abi2_library):
    """ABI 2: echo_async from four host threads at once, each call with its own payload,
    and count streams (sent from the pool, waiting out Backpressure) from four threads:
    every sid answered exactly once with its own bytes, frames in order, one terminal
    frame, by at most the pool's threads."""
    answered_by = flood_async(abi2_library, threads=4, calls=1500)
    assert len(answered_by) <= pool_bound()
    flood_streams(abi2_library, threads=4, streams=60)


def test_abi2_shutdown_drains_the_pool_and_ends_open_streams(abi2_library, tmp_path):
    """Every accepted background answer arrives before shutdown returns; an open bidi
    stream ends with one Err frame; nothing reaches the host after it."""

    async def main() -> None:
        h = Host.load(shutil.copy(abi2_library, tmp_path / "instance.so"))
        chat = h.bidi("chat", raw=True)
        calls = [asyncio.ensure_future(h.acall_raw("echo_async", f"{n}".encode(), timeout=30)) for n in range(300)]
        await asyncio.sleep(0)
        h.close()
        answers = await asyncio.gather(*calls)
        assert [a.data for a in answers] == [f"{n}".encode() for n in range(300)]
        assert [(f.status, f.data) for f in chat] == [(NrStatus.ERR, b"")]
        assert h.violations == []

    asyncio.run(main())


def test_abi2_ci_workflow_builds_once_and_checks_that_artifact(abi2_project, abi2_release):
    """The workflow is valid YAML, pins the tool version that generated the project,
    builds the release library once, runs conformance on exactly that file (its
    embedded manifest: no --manifest) and uploads it. Its bindings, lint and build
    steps run here as written (`nylon-ring` spelled `python -m nylon_ring_sdk`)."""
    import yaml  # the test extra installs pyyaml

    from nylon_ring_sdk import __version__

    workflow = yaml.safe_load((abi2_project / ".github" / "workflows" / "ci.yml").read_text())
    steps = workflow["jobs"]["plugin"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert f'pip install "nylon-ring-sdk=={__version__}"' in runs
    assert [run for run in runs if "cargo build" in run] == ["cargo build --release"]
    artifact = f"target/release/{ABI2_LIB}"
    assert f"nylon-ring conformance {artifact} --junit report.xml" in runs
    uploads = [step["with"]["path"] for step in steps if step.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads == [artifact, "report.xml"]
    local = [run for run in runs if run.startswith(("nylon-ring gen-bindings", "cargo"))]
    assert len(local) == 3
    for run in local:
        script = run.replace("nylon-ring ", f"{sys.executable} -m nylon_ring_sdk ")
        proc = subprocess.run(["bash", "-e", "-c", script], cwd=abi2_project, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
        assert proc.returncode == 0, f"{run}: {proc.stderr[-2000:]}"
    assert (abi2_project / artifact).is_file()


def test_a_released_crate_plugin_ports_onto_the_abi2_sdk(abi2_project, tmp_path):
    """Code in the shape of the released crate's `define_plugin!` (init with the host
    vtable, `entries` of `unsafe fn(sid, NrBytes)`, `stream_handlers`) builds on the
    template's SDK by its `use` lines, and the released host gets its exact answers;
    its panic answers Panic, and it also gains integer dispatch."""
    from interop_host import drive

    root = tmp_path / "released-port"
    shutil.copytree(abi2_project / "src" / "nylon_ring_sdk", root / "src" / "nylon_ring_sdk")
    shutil.copy(abi2_project / "src" / "nylon_ring_abi.rs", root / "src" / "nylon_ring_abi.rs")
    shutil.copy(FIXTURES / "rust_released_crate_plugin.rs", root / "src" / "lib.rs")
    (root / "Cargo.toml").write_text('[package]\nname = "released-port"\nversion = "0.2.2"\nedition = "2021"\n\n'
                                     '[lib]\ncrate-type = ["cdylib"]\n')
    library = build_project(root)
    results = drive(library, [
        {"op": "unary", "entry": "echo", "payload": "world"},
        {"op": "stream", "entry": "stream"},
        {"op": "unary", "entry": "later", "payload": "from a thread"},
        {"op": "unary", "entry": "boom"},
        {"op": "by_id", "entry": "echo", "payload": "id"},
    ])
    assert step_answers(results[:3]) == [
        ("Ok", "world, Nylon Ring!"),
        [("Ok", "Frame 1/3"), ("Ok", "Frame 2/3"), ("Ok", "Frame 3/3"), ("StreamEnd", "Stream complete")],
        ("Ok", "from a thread"),
    ]
    assert (results[3]["ok"], results[3]["error_kind"]) == (False, "PluginPanicked")  # handle returned Panic
    assert (results[4]["status"], results[4]["data"]) == (0, "id, Nylon Ring!")
