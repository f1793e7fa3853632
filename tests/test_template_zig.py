"""The Zig project template: scaffold, build with `zig build`, run under the reference host.

One project is scaffolded and built per module (builds are slow); every example entry is
called through the real reference host and its exact answer checked, panic safety is
shown on the host's thread and on a background thread, and the conformance suite runs
against the built library.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest

from conftest import need_zig

NAME = "zig-demo"
LIB = "zig_demo"
EXTRA = "extra_echo"
# Entries of a second project whose handlers break the rules on purpose; the SDK must hold.
GUARDS = {
    "twice": 'reply.ok("first");\n        reply.ok("second");\n        _ = payload;',
    "forget": "_ = reply;\n        _ = payload;",
    "late_error": "reply.ok(payload);\n        return error.TooLate;",
    "twice_async": 'reply.ok("first");\n        reply.send(.err, "second");\n        _ = payload;',
}
STREAM_GUARDS = {
    "late_frame": 'stream.frame("a");\n        stream.end();\n        stream.frame("b");\n        stream.fail("again");\n        _ = payload;',
    "open_stream": 'stream.frame("a");\n        _ = payload;',
}


def _keep(project: Path, library: Path, tag: str) -> Path:
    """A copy under its own name: the host never unloads a library, so each build gets a path.

    The copy stays inside the project so the conformance suite finds `nylon-ring.toml`.
    """
    keep = project / "zig-out" / "kept"
    keep.mkdir(parents=True, exist_ok=True)
    dest = keep / f"lib{LIB}-{tag}{library.suffix}"
    shutil.copy2(library, dest)
    return dest


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    need_zig()
    from nylon_ring_sdk.scaffold import new_project

    return new_project("zig", NAME, tmp_path_factory.mktemp("zig-template"), entries=[EXTRA])


@pytest.fixture(scope="module")
def debug_lib(project) -> Path:
    from nylon_ring_sdk.scaffold import build_project

    return _keep(project, build_project(project), "debug")


@pytest.fixture(scope="module")
def release_lib(project) -> Path:
    from nylon_ring_sdk.scaffold import build_project

    return _keep(project, build_project(project, release=True), "release")


@pytest.fixture(scope="module")
def guards_lib(tmp_path_factory) -> Path:
    """A project whose extra entries misbehave (see GUARDS, STREAM_GUARDS)."""
    need_zig()
    from nylon_ring_sdk.scaffold import build_project, new_project

    project = new_project("zig", "guards", tmp_path_factory.mktemp("zig-guards"),
                          entries=[*GUARDS, *STREAM_GUARDS])
    source = project / "src" / "plugin.zig"
    text = source.read_text()
    for entry, body in {**GUARDS, **STREAM_GUARDS}.items():
        stub = re.compile(rf"(    fn {entry}\(reply: \*nr\.Reply, payload: \[\]const u8\) !void \{{\n).*?(\n    \}}\n)", re.S)
        text, n = stub.subn(lambda m: m.group(1) + "        " + body + m.group(2), text)
        assert n == 1, entry
    for entry in STREAM_GUARDS:
        text = text.replace(f"fn {entry}(reply: *nr.Reply,", f"fn {entry}(stream: *nr.Stream,")
        text = text.replace(f'nr.raw("{entry}", custom.{entry})', f'nr.streamRaw("{entry}", custom.{entry})')
    text = text.replace('nr.raw("twice_async", custom.twice_async)', 'nr.raw("twice_async", custom.twice_async).inBackground()')
    source.write_text(text)
    return _keep(project, build_project(project), "guards")


@pytest.fixture
def host(debug_lib):
    from nylon_ring_sdk.host import Host

    with Host.load(debug_lib) as h:
        yield h
        assert h.violations == []


def zig(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*need_zig(), *args], cwd=project, capture_output=True, text=True)


# ---------------------------------------------------------------- the project itself


def test_no_template_syntax_left(project):
    leftovers = []
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            if "{{" in text or "{%" in text or "cookiecutter" in text:
                leftovers.append(str(path.relative_to(project)))
        if "{{" in path.name:
            leftovers.append(path.name)
    assert leftovers == []


def test_bindings_are_freshly_generated(project, schema):
    from nylon_ring_sdk.gen import generate

    (generated,) = generate(schema, "zig")
    assert (project / "src" / "nylon_ring.zig").read_text() == generated.content


def test_ci_bindings_drift_check_passes(project):
    """The CI workflow's `gen-bindings --check` step, as written in ci.yml, passes on a fresh project."""
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert "nylon-ring gen-bindings --lang zig --out src --check" in ci
    assert f"nylon-ring conformance zig-out/lib/lib{LIB}.so --junit report.xml" in ci
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "gen-bindings", "--lang", "zig", "--out", "src",
                           "--check"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_template_copy_of_bindings_is_current(schema):
    """Plain rendering of templates/zig (without `nylon-ring new`) must get working bindings."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.scaffold import load_template

    spec = load_template("zig")
    root = next(p for p in spec.path.iterdir() if p.name.startswith("{{"))
    (generated,) = generate(schema, "zig")
    assert spec.bindings == {"zig": "src/nylon_ring.zig"}
    assert (root / spec.bindings["zig"]).read_text() == generated.content, \
        "stale: run `python -m nylon_ring_sdk.scaffold --refresh-bindings`"


def test_plain_template_render_builds(project, tmp_path):
    """Rendering templates/zig without `nylon-ring new` gives the same files, and they build."""
    from cookiecutter.main import cookiecutter

    from nylon_ring_sdk.scaffold import load_template

    out = Path(cookiecutter(str(load_template("zig").path), no_input=True, output_dir=str(tmp_path),
                            extra_context={"project_name": NAME, "extra_entries": EXTRA}))
    skip = {".zig-cache", "zig-out"}
    listed = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*")  # noqa: E731
                                 if p.is_file() and not skip.intersection(p.relative_to(root).parts))
    assert listed(out) == listed(project)
    proc = zig(out, "build")
    assert proc.returncode == 0, proc.stderr
    assert (out / "zig-out" / "lib" / f"lib{LIB}.so").is_file()


def test_package_fingerprint_matches_its_name(project):
    """Zig refuses a build.zig.zon whose fingerprint's upper half is not the name's CRC-32."""
    text = (project / "build.zig.zon").read_text()
    assert f".name = .{LIB}," in text
    value = int(text.split(".fingerprint = ")[1].split(",")[0], 16)
    assert value >> 32 == zlib.crc32(LIB.encode())
    assert value & 0xFFFFFFFF not in (0, 0xFFFFFFFF)


def test_sources_are_zig_fmt_clean(project):
    proc = zig(project, "fmt", "--check", "src", "build.zig", "build.zig.zon")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zig_build_test_runs_sdk_and_binding_tests(project):
    """`zig build test`: the SDK's own tests (fake host), the bindings' round trips, the plugin."""
    proc = zig(project, "build", "test", "--summary", "all")
    assert proc.returncode == 0, proc.stderr
    assert " passed" in proc.stderr and "failed" not in proc.stderr


# ---------------------------------------------------------------- loaded by the reference host


def test_info_exports_and_layout_probe(host, debug_lib, schema):
    import ctypes

    from nylon_ring_sdk.layout import compute_layout

    assert (host.info.name, host.info.version, host.info.struct_size) == (NAME, "0.1.0", 56)
    lib = ctypes.CDLL(str(debug_lib))
    for symbol in ("nylon_ring_get_plugin_v1", "nylon_ring_set_host_ext_v1", "nylon_ring_layout_probe_v1"):
        assert hasattr(lib, symbol), symbol
    model = "lp64" if ctypes.sizeof(ctypes.c_void_p) == 8 else "ilp32"
    assert host.layout_probe() == (1, compute_layout(schema, model).probe_values())


def test_hello_uses_the_request(host):
    from nylon_ring_sdk.host import NrStatus, Request

    r = host.call("hello", body=b"world", request=Request(method="GET", path="/hello", query="",
                                                         headers=[("x-test", "1")]))
    assert (r.status, r.data) == (NrStatus.OK, b"GET /hello world")


def test_echo_on_the_host_thread_and_in_the_background(host):
    from nylon_ring_sdk.host import NrStatus

    sync = host.call_raw("echo", b"hi\x00there")
    assert (sync.status, sync.data) == (NrStatus.OK, b"hi\x00there")
    background = host.call_raw("echo_async", b"later")
    assert (background.status, background.handle_status, background.data) == (NrStatus.OK, NrStatus.OK, b"later")
    assert background.thread_id != sync.thread_id  # answered from a pool thread, not the caller's


def test_count_streams_frames_then_one_end(host):
    from nylon_ring_sdk.host import NrStatus

    frames = list(host.stream_raw("count", b"3"))
    assert [(f.status, f.data) for f in frames] == [
        (NrStatus.OK, b"0"), (NrStatus.OK, b"1"), (NrStatus.OK, b"2"), (NrStatus.STREAM_END, b"")]
    assert [(f.status, f.data) for f in host.stream_raw("count", b"0")] == [(NrStatus.STREAM_END, b"")]


def test_count_rejects_a_non_number_with_invalid(host):
    from nylon_ring_sdk.host import NrStatus

    frames = list(host.stream_raw("count", b"three"))
    assert [(f.status, f.data) for f in frames] == [(NrStatus.INVALID, b"")]  # handle's status: nothing was sent


def test_chat_echoes_each_frame_and_ends_on_close(host):
    from nylon_ring_sdk.host import NrStatus

    with host.bidi("chat", body=b"", raw=True) as s:
        s.send(b"ping")
        assert (s.next_frame(timeout=5).data) == b"ping"
        s.send(b"pong")
        assert (s.next_frame(timeout=5).data) == b"pong"
        s.close()
        rest = list(s)
    assert [(f.status, f.data) for f in rest] == [(NrStatus.STREAM_END, b"")]
    assert host.stream_data(s.sid, b"late") == NrStatus.INVALID
    assert host.stream_close(s.sid) == NrStatus.INVALID


def test_state_round_trip_and_without_the_extension(host, debug_lib):
    from nylon_ring_sdk.host import Host, NrStatus

    r = host.call_raw("state", b"kept value")
    assert (r.status, r.data) == (NrStatus.OK, b"kept value")
    host.close()
    with Host.load(debug_lib, state=False) as bare:
        r = bare.call_raw("state", b"kept value")
        assert r.status == NrStatus.UNSUPPORTED
        assert bare.violations == []


def test_unknown_and_odd_entry_names(host):
    from nylon_ring_sdk.host import NrStatus

    assert host.call_raw("no_such_entry", b"").status == NrStatus.UNSUPPORTED
    assert host.call_raw("", b"").status == NrStatus.UNSUPPORTED
    assert host.call_raw(b"\xff\xfe", b"").status == NrStatus.UNSUPPORTED
    assert host.call_raw("e" * 65536, b"").status == NrStatus.UNSUPPORTED


def test_extra_entry_from_new_entries(host):
    from nylon_ring_sdk.host import NrStatus

    r = host.call_raw(EXTRA, b"ping")
    assert (r.status, r.data) == (NrStatus.OK, b"ping")


def test_panic_on_the_host_thread_answers_err_and_the_host_lives(host):
    from nylon_ring_sdk.host import NrStatus

    r = host.call_raw("panic", b"")
    assert r.status == NrStatus.ERR
    assert host.call_raw("echo", b"still here").data == b"still here"


def test_panic_on_a_background_thread_answers_err_and_the_host_lives(host):
    from nylon_ring_sdk.host import NrStatus

    r = host.call_raw("panic_async", b"")
    assert (r.handle_status, r.status) == (NrStatus.OK, NrStatus.ERR)  # accepted, then answered Err
    assert r.thread_id != host.call_raw("echo", b"").thread_id
    assert host.call_raw("echo_async", b"still here").data == b"still here"


def test_many_threads_each_get_their_own_answer(host):
    from nylon_ring_sdk.host import NrStatus

    failures: list[str] = []

    def worker(n: int) -> None:
        for i in range(50):
            entry = "echo_async" if i % 2 else "echo"
            body = f"{n}:{i}".encode()
            r = host.call_raw(entry, body)
            if (r.status, r.data) != (NrStatus.OK, body):
                failures.append(f"{entry} {body!r} -> {r.status!r} {r.data!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_shutdown_with_background_calls_in_flight_sends_nothing_after(debug_lib):
    """Shutdown waits for in-flight background handlers; nothing reaches the host after it."""
    import asyncio

    from nylon_ring_sdk.host import Host

    async def main() -> None:
        h = Host.load(debug_lib)
        calls = [asyncio.ensure_future(h.acall_raw("echo_async", b"x" * 1024, timeout=10)) for _ in range(200)]
        await asyncio.sleep(0)
        h.close()
        await asyncio.gather(*calls, return_exceptions=True)
        assert [v for v in h.violations if v.kind == "after_shutdown"] == []
        assert h.violations == []

    asyncio.run(main())


# ---------------------------------------------------------------- the SDK's guards


def test_guards_hold_whatever_the_handler_does(guards_lib):
    from nylon_ring_sdk.host import Host, NrStatus

    with Host.load(guards_lib) as h:
        twice = h.call_raw("twice", b"")
        assert (twice.status, twice.data) == (NrStatus.OK, b"first")  # the second answer was dropped
        twice_async = h.call_raw("twice_async", b"")
        assert (twice_async.status, twice_async.data) == (NrStatus.OK, b"first")
        forget = h.call_raw("forget", b"")
        assert (forget.handle_status, forget.status) == (NrStatus.OK, NrStatus.ERR)  # answered Err for the handler
        late = h.call_raw("late_error", b"kept")
        assert (late.handle_status, late.status, late.data) == (NrStatus.OK, NrStatus.OK, b"kept")
        frames = [(f.status, f.data) for f in h.stream_raw("late_frame", b"")]
        assert frames == [(NrStatus.OK, b"a"), (NrStatus.STREAM_END, b"")]  # nothing after the end
        left_open = [(f.status, f.data) for f in h.stream_raw("open_stream", b"")]
        assert left_open == [(NrStatus.OK, b"a"), (NrStatus.ERR, b"")]  # ended with Err for the handler
        assert h.violations == []


# ---------------------------------------------------------------- release build, cross build, conformance


def test_release_build_answers_the_same(release_lib):
    from nylon_ring_sdk.host import Host, NrStatus

    with Host.load(release_lib) as h:
        assert h.call_raw("echo", b"fast").data == b"fast"
        assert h.call_raw("panic", b"").status == NrStatus.ERR
        assert h.call_raw("panic_async", b"").status == NrStatus.ERR
        assert [f.data for f in h.stream_raw("count", b"2")] == [b"0", b"1", b""]
        assert h.violations == []


def _conformance(library: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    report = tmp_path / "report.xml"
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "conformance", str(library), "--junit", str(report)],
                          capture_output=True, text=True, timeout=900)
    assert "No such command" not in proc.stderr, "the conformance command is not available"
    assert report.is_file(), proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize("which", ["debug", "release"])
def test_conformance_has_no_must_failures(request, tmp_path, which):
    library = request.getfixturevalue(f"{which}_lib")
    proc = _conformance(library, tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]  # 0: no MUST check failed
    assert " 0 failed," in proc.stdout, proc.stdout[-4000:]
    assert f"plugin '{NAME}' '0.1.0'" in proc.stdout and "(found near the plugin)" in proc.stdout


def test_cross_build_for_aarch64(project):
    from nylon_ring_sdk.scaffold import build_project

    library = build_project(project, target="aarch64-linux-gnu")
    header = library.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64
