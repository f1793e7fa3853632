"""Checks shared by the C and C++ project templates (test_template_c.py, test_template_cpp.py).

Each of those modules defines a module-scoped `native` fixture (a :class:`Native`
saying how its language builds) and imports this module's fixtures and tests, so
both templates are held to the same checks: scaffold once, build with the real
toolchain, call every example entry through the reference host and check the exact
answer, prove panic safety on the host's thread and on a background thread, run the
conformance suite, and link the plugin's sources into a strict C host
(tests/native/abi_driver.c) built with -fsanitize=address,undefined that feeds it bad
input. A second project, with extra entries rewritten to misbehave on purpose, shows
that the SDK's guards (answer once, one terminal frame, Err for a forgotten answer)
hold whatever the handler does.
"""

from __future__ import annotations

import asyncio
import ctypes
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import need_tool, need_zig

DRIVER = Path(__file__).parent / "native" / "abi_driver.c"
SANITIZE = ["-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
            "-pthread"]
EXTRA = "extra_one"
GUARDS = ("forget", "twice", "late_frame", "open_stream", "reject_after_reply")


@dataclass(frozen=True)
class Native:
    """How one native template builds, and how its guard entries are written."""

    lang: str                 # template and generator language: "c" or "cpp"
    name: str                 # project name
    sources: tuple[str, ...]  # what the sanitized driver build compiles, relative to the project
    compiler: str             # the system compiler for the sanitized build: gcc or g++
    flags: tuple[str, ...]    # language flags for that build
    cc_var: str               # make variable naming the compiler: CC or CXX
    flags_var: str            # make variable adding flags: CFLAGS or CXXFLAGS
    zig_sub: str              # `zig cc` or `zig c++`
    stub: str                 # regex of an extra entry's stub function header, `{name}` filled in
    to_stream: tuple[str, str]          # (old, new) registration text turning entry `{name}` into a stream
    guard_bodies: dict[str, str] = field(default_factory=dict)  # entry -> new body of its stub

    @property
    def stem(self) -> str:
        return self.name.replace("-", "_")


def run(cmd: list[str], cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def keep_copy(project: Path, library: Path, tag: str) -> Path:
    """A copy of a build under its own name (a host never unloads a library, and a rebuild
    must not change a loaded one); it stays inside the project so the manifest is found."""
    dest = project / "build" / "kept" / f"{library.stem}-{tag}{library.suffix}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(library, dest)
    return dest


def template_root(lang: str) -> Path:
    from nylon_ring_sdk.scaffold import load_template

    spec = load_template(lang)
    return next(p for p in spec.path.iterdir() if p.name.startswith("{{"))


def expected_bindings(lang: str) -> dict[str, str]:
    """Generated file name -> content, for the template's bindings folder or file."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    return {f.path: f.content for f in generate(load_default(), lang)}


def bindings_dir(lang: str) -> str:
    from nylon_ring_sdk.scaffold import load_template

    rel = load_template(lang).bindings[lang]
    return str(Path(rel).parent) if Path(rel).suffix else rel


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def project(native: Native, tmp_path_factory) -> Path:
    need_tool("make")
    from nylon_ring_sdk.scaffold import new_project

    return new_project(native.lang, native.name, tmp_path_factory.mktemp(f"{native.lang}-template"), entries=[EXTRA])


@pytest.fixture(scope="module")
def library(project: Path) -> Path:
    from nylon_ring_sdk.scaffold import build_project

    return keep_copy(project, build_project(project), "debug")


@pytest.fixture
def host(library: Path):
    from nylon_ring_sdk.host import Host

    with Host.load(library) as h:
        yield h
        assert h.violations == []


@pytest.fixture(scope="module")
def guards_library(native: Native, tmp_path_factory) -> Path:
    """A project whose extra entries break the rules on purpose (see GUARDS)."""
    need_tool("make")
    from nylon_ring_sdk.scaffold import build_project, new_project

    project = new_project(native.lang, "guards", tmp_path_factory.mktemp(f"{native.lang}-guards"), entries=list(GUARDS))
    source = project / native.sources[0]
    text = source.read_text()
    for entry, body in native.guard_bodies.items():
        pattern = re.compile("(" + native.stub.format(name=entry) + r" \{\n).*?(\n\}\n)", re.S)
        text, n = pattern.subn(lambda m: m.group(1) + body + m.group(2), text)
        assert n == 1, f"stub of {entry} not found in {source}"
    for entry in ("late_frame", "open_stream"):
        old, new = (part.format(name=entry) for part in native.to_stream)
        assert old in text, old
        text = text.replace(old, new)
    source.write_text(text)
    return keep_copy(project, build_project(project), "guards")


# ---------------------------------------------------------------- the project itself


def test_no_template_syntax_left(project):
    leftovers = []
    for path in project.rglob("*"):
        if path.is_file() and "build" not in path.relative_to(project).parts:
            text = path.read_text(errors="replace")
            if "{{" in text or "{%" in text or "cookiecutter" in text:
                leftovers.append(str(path.relative_to(project)))
        if "{{" in path.name:
            leftovers.append(path.name)
    assert leftovers == []


def test_project_files(native, project):
    for rel in ("README.md", ".gitignore", "nylon-ring.toml", ".github/workflows/ci.yml", "Makefile", "CMakeLists.txt"):
        assert (project / rel).is_file(), rel
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert f"nylon-ring gen-bindings --lang {native.lang} --out {bindings_dir(native.lang)} --check" in ci
    assert "nylon-ring conformance" in ci and "--junit" in ci


def test_manifest_declares_every_example(project):
    from nylon_ring_sdk.conformance.manifest import load_manifest

    manifest = load_manifest(project / "nylon-ring.toml")
    assert manifest.name == project.name
    modes = {e.name: e.mode for e in manifest.entries}
    assert modes == {"hello": "unary", "echo": "raw", "echo_async": "raw", "count": "stream_raw", "chat": "bidi",
                     "state": "raw", EXTRA: "raw"}
    assert [(p.name, p.mode) for p in manifest.panic_probes] == [("panic", "raw"), ("panic_async", "raw")]


def test_bindings_are_freshly_generated(native, project):
    folder = project / bindings_dir(native.lang)
    for name, content in expected_bindings(native.lang).items():
        assert (folder / name).read_text() == content, name


def test_template_copy_of_bindings_is_current(native):
    """Plain rendering of the template (without `nylon-ring new`) must get current bindings."""
    folder = template_root(native.lang) / bindings_dir(native.lang)
    for name, content in expected_bindings(native.lang).items():
        assert (folder / name).read_text() == content, \
            f"{folder / name} is stale: run `python -m nylon_ring_sdk.scaffold --refresh-bindings`"


def test_plain_cookiecutter_render_builds(native, project, tmp_path):
    """`cookiecutter templates/<lang>` alone gives the same files, and they build."""
    from cookiecutter.main import cookiecutter

    out = Path(cookiecutter(str(template_root(native.lang).parent), no_input=True, output_dir=str(tmp_path),
                            extra_context={"project_name": native.name, "extra_entries": EXTRA}))
    listed = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*")  # noqa: E731
                                 if p.is_file() and "build" not in p.relative_to(root).parts)
    assert listed(out) == listed(project)
    proc = run(["make", f"{native.flags_var}=-Werror"], cwd=out)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- loaded by the reference host


def test_info_exports_and_layout_probe(native, host, library, schema):
    from nylon_ring_sdk.layout import compute_layout

    assert (host.info.name, host.info.version, host.info.struct_size) == (native.name, "0.1.0", 56)
    lib = ctypes.CDLL(str(library))
    for symbol in ("nylon_ring_get_plugin_v1", "nylon_ring_set_host_ext_v1", "nylon_ring_layout_probe_v1"):
        assert hasattr(lib, symbol), symbol
    assert host.layout_probe() == (1, compute_layout(schema, "lp64").probe_values())


def test_hello_uses_the_request(host):
    from nylon_ring_sdk.host import NULL_REQUEST, NrStatus, Request

    r = host.call("hello", body=b"world", request=Request(method="GET", path="/hello", query="a=1",
                                                         headers=[("x-test", "1")]))
    assert (r.status, r.data) == (NrStatus.OK, b"GET /hello world")
    r = host.call("hello", body=b"\xff", request=Request(method=b"P\xc3", path=b"/\xfe"))
    assert (r.status, r.data) == (NrStatus.OK, b"P\xc3 /\xfe \xff")  # bytes are data, not a crash
    assert host.call("hello", body=b"x", request=NULL_REQUEST).status == NrStatus.INVALID
    assert host.call_raw("hello", b"x").status == NrStatus.INVALID  # no request through handle_raw


def test_echo_on_the_host_thread_and_in_the_background(host):
    from nylon_ring_sdk.host import NrStatus

    sync = host.call_raw("echo", b"hi\x00there")
    assert (sync.status, sync.data, sync.thread_id) == (NrStatus.OK, b"hi\x00there", threading.get_native_id())
    background = host.call_raw("echo_async", b"later")
    assert (background.status, background.handle_status, background.data) == (NrStatus.OK, NrStatus.OK, b"later")
    assert background.thread_id != threading.get_native_id()
    assert host.call_raw("echo", None).data == b""  # a NULL payload of length 0 is empty
    big = bytes(range(256)) * 4096
    assert host.call_raw("echo_async", big).data == big


def test_count_streams_frames_then_one_end(host):
    from nylon_ring_sdk.host import NrStatus

    frames = list(host.stream_raw("count", b"3"))
    assert [(f.status, f.data) for f in frames] == [
        (NrStatus.OK, b"0"), (NrStatus.OK, b"1"), (NrStatus.OK, b"2"), (NrStatus.STREAM_END, b"")]
    assert [(f.status, f.data) for f in host.stream_raw("count", b"0")] == [(NrStatus.STREAM_END, b"")]


@pytest.mark.parametrize("payload", [b"three", b"", b"-1", b"12345678", b"3 "])
def test_count_rejects_a_non_number_with_invalid(host, payload):
    from nylon_ring_sdk.host import NrStatus

    frames = list(host.stream_raw("count", payload))
    assert [(f.status, f.data, f.seq) for f in frames] == [(NrStatus.INVALID, b"", 0)]  # handle's status: nothing sent


@pytest.mark.parametrize("raw", [True, False])
def test_chat_echoes_each_frame_and_ends_on_close(host, raw):
    from nylon_ring_sdk.host import NrStatus

    with host.bidi("chat", body=b"", raw=raw) as s:
        for text in (b"ping", b"", b"pong"):
            assert s.send(text) == NrStatus.OK
            frame = s.next_frame(timeout=10)
            assert (frame.status, frame.data) == (NrStatus.OK, text)
        s.close()
        rest = list(s)
    assert [(f.status, f.data) for f in rest] == [(NrStatus.STREAM_END, b"")]
    assert host.stream_data(s.sid, b"late") == NrStatus.INVALID
    assert host.stream_close(s.sid) == NrStatus.INVALID
    assert host.stream_data(2**63 + 5, b"?") == NrStatus.INVALID  # never opened


def test_state_round_trip_and_without_the_extension(host, library):
    from nylon_ring_sdk.host import Host, NrStatus

    r = host.call_raw("state", b"kept value")
    assert (r.status, r.data) == (NrStatus.OK, b"kept value")
    host.close()
    with Host.load(library, state=False) as bare:
        assert bare.call_raw("state", b"kept value").status == NrStatus.UNSUPPORTED
        assert bare.violations == []


def test_unknown_and_odd_entry_names(host):
    from nylon_ring_sdk.host import NrStatus

    assert host.call_raw("no_such_entry", b"").status == NrStatus.UNSUPPORTED
    assert host.call_raw("", b"").status == NrStatus.UNSUPPORTED
    assert host.call_raw("e" * 65536, b"").status == NrStatus.UNSUPPORTED
    assert host.call_raw(b"\xff\xfe", b"").status == NrStatus.INVALID  # not UTF-8: not a name at all
    assert host.call_raw("echo\x00", b"").status == NrStatus.UNSUPPORTED  # lengths count, not NULs


def test_extra_entry_from_new_entries(host):
    from nylon_ring_sdk.host import NrStatus

    r = host.call_raw(EXTRA, b"")
    assert (r.status, r.data) == (NrStatus.OK, EXTRA.encode())


def test_panic_on_the_host_thread_answers_err_and_the_host_lives(host):
    from nylon_ring_sdk.host import NrStatus

    r = host.call_raw("panic", b"")
    assert (r.handle_status, r.status, r.thread_id) == (NrStatus.OK, NrStatus.ERR, threading.get_native_id())
    assert b"panic probe" in r.data
    assert host.call_raw("echo", b"still here").data == b"still here"


def test_panic_on_a_background_thread_answers_err_and_the_host_lives(host):
    from nylon_ring_sdk.host import NrStatus

    r = host.call_raw("panic_async", b"")
    assert (r.handle_status, r.status) == (NrStatus.OK, NrStatus.ERR)  # accepted, then answered Err
    assert r.thread_id != threading.get_native_id() and b"panic probe" in r.data
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


def test_shutdown_waits_for_background_work_and_ends_open_streams(library):
    """Every accepted background call is answered before shutdown returns; nothing after."""
    from nylon_ring_sdk.host import Host, NrStatus

    async def main() -> None:
        h = Host.load(library)
        chat = h.bidi("chat", raw=True)
        calls = [asyncio.ensure_future(h.acall_raw("echo_async", b"x" * 1024, timeout=30)) for _ in range(100)]
        await asyncio.sleep(0)
        h.close()
        answers = await asyncio.gather(*calls, return_exceptions=True)
        assert all(getattr(a, "data", None) == b"x" * 1024 for a in answers), answers[:3]
        assert [(f.status, f.data) for f in chat] == [(NrStatus.ERR, b"the plugin shut down")]
        assert h.violations == []

    asyncio.run(main())


# ---------------------------------------------------------------- the SDK's guards


def test_guards_hold_whatever_the_handler_does(guards_library):
    from nylon_ring_sdk.host import Host, NrStatus

    with Host.load(guards_library) as h:
        forget = h.call_raw("forget", b"")
        assert (forget.handle_status, forget.status) == (NrStatus.OK, NrStatus.ERR)  # answered Err for the handler
        twice = h.call_raw("twice", b"")
        assert (twice.status, twice.data) == (NrStatus.OK, b"first")  # the second answer was dropped
        late = [(f.status, f.data) for f in h.stream_raw("late_frame", b"")]
        assert late == [(NrStatus.OK, b"a"), (NrStatus.STREAM_END, b"")]  # the frame after the end was dropped
        left_open = [f.status for f in h.stream_raw("open_stream", b"")]
        assert left_open == [NrStatus.OK, NrStatus.ERR]  # ended with Err for the handler
        rejected = h.call_raw("reject_after_reply", b"")
        assert (rejected.handle_status, rejected.status, rejected.data) == (NrStatus.OK, NrStatus.OK, b"x")
        assert h.violations == []


# ---------------------------------------------------------------- other toolchains, sanitizers, conformance


def test_sanitized_strict_host_with_bad_input(native, project, tmp_path):
    """ASan+UBSan: NULL pointers with lengths, NULL requests, invalid UTF-8, unknown sids,
    shutdown with work in flight, calls after shutdown, a second init: no report, every check holds."""
    compiler = need_tool(native.compiler)
    cc = need_tool("gcc")
    driver = tmp_path / "driver.o"
    proc = run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", *SANITIZE, f"-I{project / 'include'}",
                "-c", str(DRIVER), "-o", str(driver)])
    assert proc.returncode == 0, proc.stderr
    exe = tmp_path / "driver"
    sources = [str(project / s) for s in native.sources]
    proc = run([compiler, *native.flags, "-Wall", "-Wextra", "-Werror", "-pedantic", *SANITIZE,
                f"-I{project / 'include'}", f"-I{project / 'sdk'}", *sources, str(driver), "-o", str(exe)])
    assert proc.returncode == 0, proc.stderr
    proc = run([str(exe)], timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert proc.stdout.startswith("ok ") and "FAIL" not in proc.stdout


def test_zig_build_with_warnings_as_errors(native, project):
    zig = need_zig()
    lib = project / "build" / "zig" / f"lib{native.stem}.so"
    proc = run(["make", "-B", f"LIB={lib}", f"{native.cc_var}={' '.join(zig)} {native.zig_sub}",
                f"{native.flags_var}=-Werror"], cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from nylon_ring_sdk.host import Host, NrStatus

    with Host.load(keep_copy(project, lib, "zig")) as h:
        assert h.call_raw("echo", b"zig").data == b"zig"
        assert h.call_raw("panic_async", b"").status == NrStatus.ERR
        assert [f.data for f in h.stream_raw("count", b"2")] == [b"0", b"1", b""]
        assert h.violations == []


def test_build_without_a_system_compiler_uses_zig(native, project, monkeypatch, tmp_path):
    """`nylon-ring build` on a machine with make but no cc/c++: the ziglang package's zig builds it."""
    need_zig()
    from nylon_ring_sdk.host import Host
    from nylon_ring_sdk.scaffold import build_project

    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("make", "mkdir", "uname"):
        (tools / tool).symlink_to(need_tool(tool))
    with monkeypatch.context() as env:
        env.setenv("PATH", str(tools))
        env.delenv(native.cc_var, raising=False)
        (project / native.sources[0]).touch()
        lib = build_project(project)
    assert b"zig-bootstrap" in lib.read_bytes()  # the compiler's own mark in .comment
    with Host.load(keep_copy(project, lib, "zig-fallback")) as h:
        assert h.call_raw("echo", b"no cc").data == b"no cc"
        assert h.violations == []


def test_cross_build_for_aarch64(project, tmp_path):
    """`nylon-ring build --target aarch64-linux-gnu` (zig as the cross compiler), on a copy of the project."""
    need_zig()
    from nylon_ring_sdk.scaffold import build_project

    copy = tmp_path / project.name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("build"))
    header = build_project(copy, target="aarch64-linux-gnu").read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64


def test_cmake_build(native, project, tmp_path):
    cmake = need_tool("cmake")
    build = tmp_path / "build-cmake"
    for cmd in ([cmake, "-S", str(project), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"],
                [cmake, "--build", str(build)]):
        proc = run(cmd)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    (lib,) = build.glob(f"lib{native.stem}.*")
    from nylon_ring_sdk.host import Host

    with Host.load(keep_copy(project, lib, "cmake")) as h:
        assert h.call_raw("echo", b"cmake").data == b"cmake"
        assert h.violations == []


def test_release_build_answers_the_same(native, project):
    from nylon_ring_sdk.host import Host, NrStatus
    from nylon_ring_sdk.scaffold import build_project

    (project / native.sources[0]).touch()  # make rebuilds; loaded copies stay as they are
    with Host.load(keep_copy(project, build_project(project, release=True), "release")) as h:
        assert h.call_raw("echo", b"fast").data == b"fast"
        assert h.call_raw("panic", b"").status == NrStatus.ERR
        assert h.call_raw("panic_async", b"").status == NrStatus.ERR
        assert h.violations == []


def test_conformance_has_no_must_failures(native, library, tmp_path):
    report = tmp_path / "report.xml"
    proc = run([sys.executable, "-m", "nylon_ring_sdk", "conformance", str(library), "--junit", str(report)])
    assert "No such command" not in proc.stderr, "the conformance command is not available"
    assert report.is_file(), proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]  # 0: no MUST check failed
    assert " 0 failed," in proc.stdout, proc.stdout[-4000:]
    assert f"plugin '{native.name}' '0.1.0'" in proc.stdout and "(found near the plugin)" in proc.stdout
