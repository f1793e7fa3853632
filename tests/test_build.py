"""`nylon-ring build`: one output folder per configuration, cross builds, clear refusals."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import missing, need_tool, need_zig, rust_targets
from nylon_ring_sdk.build import RUST_TRIPLES, build, detect_language
from nylon_ring_sdk.errors import BuildError, ToolchainMissing
from nylon_ring_sdk.scaffold import new_project


def elf_machine(path) -> int:
    data = path.read_bytes()[:20]
    assert data[:4] == b"\x7fELF"
    return int.from_bytes(data[18:20], "little")


@pytest.fixture(scope="module")
def c_project(tmp_path_factory):
    need_tool("make")
    return new_project("c", "build-demo", tmp_path_factory.mktemp("build"))


def test_configurations_do_not_overwrite_each_other(c_project):
    need_zig()
    native = build(c_project).library
    release = build(c_project, release=True).library
    cross = build(c_project, target="aarch64-linux-gnu").library
    assert len({native, release, cross}) == 3
    assert elf_machine(native) == 62 and elf_machine(cross) == 183  # EM_X86_64, EM_AARCH64
    again = build(c_project, target="aarch64-linux-gnu")        # up to date: nothing rebuilt, same file
    assert again.library == cross and elf_machine(again.library) == 183
    assert build(c_project).library == native and elf_machine(native) == 62


def test_zig_cc_even_with_a_system_compiler(c_project):
    need_zig()
    result = build(c_project, zig_cc=True)
    assert any("zig-cc" in part for cmd in result.commands for part in cmd)


def test_cmake_when_there_is_no_makefile(tmp_path):
    need_tool("cmake")
    project = new_project("cpp", "cmake-only", tmp_path)
    (project / "Makefile").unlink()
    result = build(project)
    assert result.lang == "cpp" and result.library.suffix == ".so"
    assert any(cmd[0].endswith("cmake") for cmd in result.commands)


def test_not_a_project(tmp_path):
    (tmp_path / "x.cpp").write_text("")
    with pytest.raises(BuildError, match="not a plugin project"):
        detect_language(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "build", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.startswith(f"error: {tmp_path}: not a plugin project")


def test_rust_cross_target_without_its_std_says_how_to_get_it(tmp_path):
    """The refusal is shown with the first `--target` whose standard library rustup has not installed."""
    need_tool("cargo")
    installed = rust_targets()
    absent = [(target, triple) for target, triple in RUST_TRIPLES.items() if triple not in installed]
    if not absent:
        missing(f"every --target's Rust standard library is installed ({', '.join(RUST_TRIPLES.values())}); "
                "the refusal cannot be shown")
    target, triple = absent[0]
    project = new_project("rust", "cross-rust", tmp_path)
    with pytest.raises(ToolchainMissing, match=rf"rustup target add {triple}"):
        build(project, target=target)


def test_go_unknown_cross_target_is_refused(tmp_path):
    need_tool("go")
    project = new_project("go", "cross-go", tmp_path)
    with pytest.raises(ToolchainMissing, match="Go cross-compiling is set up for"):
        build(project, target="sparc-solaris")
