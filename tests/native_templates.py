"""Checks shared by the C and C++ project templates (test_template_c.py, test_template_cpp.py).

Each of those modules sets `NATIVE` (a :class:`Native` saying how its language
builds) and imports this module's fixtures and tests, so both templates are held to
the same checks: the project's files and bindings, builds with other compilers
(zig cc, CMake, release, aarch64), and the plugin's sources linked into a strict C
host (tests/native/abi_driver.c) built with -fsanitize=address,undefined that feeds
it bad input. A second project, with extra entries rewritten to misbehave on
purpose, shows that the SDK's guards (answer once, one terminal frame, Err for a
forgotten answer) hold whatever the handler does. The example entries themselves
are checked in every language by tests/test_template_matrix.py, on the same build.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import need_tool, need_zig
from template_matrix import EXTRA, TEMPLATES, assert_release_answers, keep_copy

DRIVER = Path(__file__).parent / "native" / "abi_driver.c"
SANITIZE = ["-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
            "-pthread"]
# Entry -> the body of its stub in (C, C++): each breaks a rule on purpose; the SDK must hold.
GUARDS = {
    "forget": ("    return NR_STATUS_OK;", "    return Status::Ok;"),
    "twice": ('    nrp_reply_str(call, NR_STATUS_OK, "first");\n'
              '    return nrp_reply_str(call, NR_STATUS_OK, "second") == NRP_ENDED ? NR_STATUS_OK : NR_STATUS_ERR;',
              '    res.ok("first");\n'
              '    return res.ok("second") == nr::Sent::Ended ? Status::Ok : Status::Err;'),
    "late_frame": ('    nrp_frame(call, "a", 1);\n    nrp_end(call);\n'
                   '    return nrp_frame(call, "b", 1) == NRP_ENDED ? NR_STATUS_OK : NR_STATUS_ERR;',
                   '    res.frame("a");\n    res.end();\n'
                   '    return res.frame("b") == nr::Sent::Ended ? Status::Ok : Status::Err;'),
    "open_stream": ('    nrp_frame(call, "a", 1);\n    return NR_STATUS_OK;',
                    '    res.frame("a");\n    return Status::Ok;'),
    "reject_after_reply": ('    nrp_reply_str(call, NR_STATUS_OK, "x");\n    return NR_STATUS_INVALID;',
                           '    res.ok("x");\n    return Status::Invalid;'),
}


@dataclass(frozen=True)
class Native:
    """How one native template builds, and how its guard entries are written."""

    lang: str                 # template and generator language: "c" or "cpp"
    sources: tuple[str, ...]  # what the sanitized driver build compiles, relative to the project
    compiler: str             # the system compiler for the sanitized build: gcc or g++
    flags: tuple[str, ...]    # language flags for that build
    cc_var: str               # make variable naming the compiler: CC or CXX
    flags_var: str            # make variable adding flags: CFLAGS or CXXFLAGS
    zig_sub: str              # `zig cc` or `zig c++`
    stub: str                 # regex of an extra entry's stub function header, `{name}` filled in
    to_stream: tuple[str, str]  # (old, new) registration text turning entry `{name}` into a stream

    @property
    def name(self) -> str:
        """The example project's name (the same build tests/test_template_matrix.py checks)."""
        return TEMPLATES[self.lang].name

    @property
    def stem(self) -> str:
        return self.name.replace("-", "_")

    @property
    def guard_bodies(self) -> dict[str, str]:
        column = ("c", "cpp").index(self.lang)
        return {entry: bodies[column] for entry, bodies in GUARDS.items()}


def run(cmd: list[str], cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def template_root(lang: str) -> Path:
    from nylon_ring_sdk.scaffold import load_template

    spec = load_template(lang)
    return next(p for p in spec.path.iterdir() if p.name.startswith("{{"))


def expected_bindings(lang: str, abi: int = 1) -> dict[str, str]:
    """Generated file name -> content, for the template's bindings folder or file."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    return {f.path: f.content for f in generate(load_default(abi), lang)}


def bindings_dir(lang: str) -> str:
    from nylon_ring_sdk.scaffold import load_template

    rel = load_template(lang).bindings[lang]
    return str(Path(rel).parent) if Path(rel).suffix else rel


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def native(request) -> Native:
    """The importing module's NATIVE."""
    return request.module.NATIVE


@pytest.fixture(scope="module")
def project(native: Native, template_builds) -> Path:
    """The example project, already built once for the session (the build tests/test_template_matrix.py loads)."""
    return template_builds.get(native.lang).project


@pytest.fixture(scope="module")
def guards_library(native: Native, tmp_path_factory) -> Path:
    """A project whose extra entries break the rules on purpose (see GUARDS)."""
    need_tool("make")
    from nylon_ring_sdk.scaffold import build_project, new_project

    project = new_project(native.lang, "guards", tmp_path_factory.mktemp(f"{native.lang}-guards"), entries=list(GUARDS),
                          abi=1)
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


def test_project_files(native, project):
    for rel in ("README.md", ".gitignore", "nylon-ring.toml", ".github/workflows/ci.yml", "Makefile", "CMakeLists.txt"):
        assert (project / rel).is_file(), rel
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert f"nylon-ring gen-bindings --lang {native.lang} --out {bindings_dir(native.lang)} --check" in ci
    assert "nylon-ring conformance" in ci and "--junit" in ci


def test_bindings_are_freshly_generated(native, project):
    folder = project / bindings_dir(native.lang)
    for name, content in expected_bindings(native.lang).items():
        assert (folder / name).read_text() == content, name


def test_template_copy_of_bindings_is_current(native):
    """Plain rendering of the template (without `nylon-ring new`) must get current bindings (its newest generation's)."""
    from nylon_ring_sdk.scaffold import load_template

    folder = template_root(native.lang) / bindings_dir(native.lang)
    for name, content in expected_bindings(native.lang, max(load_template(native.lang).generations)).items():
        assert (folder / name).read_text() == content, \
            f"{folder / name} is stale: run `python -m nylon_ring_sdk.committed`"


def test_plain_cookiecutter_render_builds(native, tmp_path):
    """`cookiecutter templates/<lang>` alone renders the template's newest generation: the files `new`
    gives that generation, plus those of the other generations that `new` leaves out; and they build."""
    from cookiecutter.main import cookiecutter
    from nylon_ring_sdk.scaffold import load_template, new_project

    spec = load_template(native.lang)
    newest = max(spec.generations)
    out = Path(cookiecutter(str(template_root(native.lang).parent), no_input=True, output_dir=str(tmp_path / "plain"),
                            extra_context={"project_name": native.name, "extra_entries": EXTRA}))
    project = new_project(native.lang, native.name, tmp_path / "new", entries=[EXTRA], abi=newest)
    kept = set(spec.generation_files.get(newest, ()))
    others = {f for g, files in spec.generation_files.items() if g != newest for f in files} - kept
    listed = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*")  # noqa: E731
                                 if p.is_file() and str(p.relative_to(root)) not in others)
    assert listed(out) == listed(project)
    proc = run(["make", f"{native.flags_var}=-Werror"], cwd=out)
    assert proc.returncode == 0, proc.stdout + proc.stderr


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


# ---------------------------------------------------------------- other toolchains, sanitizers


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


def test_zig_build_with_warnings_as_errors(native, project, probes_on):
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


def test_release_build_answers_the_same(native, project, probes_on):
    from nylon_ring_sdk.host import Host
    from nylon_ring_sdk.scaffold import build_project

    (project / native.sources[0]).touch()  # make rebuilds; loaded copies stay as they are
    with Host.load(keep_copy(project, build_project(project, release=True), "release")) as h:
        assert_release_answers(h, native.lang)
        assert h.violations == []
