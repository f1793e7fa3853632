"""`nylon-ring build`: run a plugin project's own build and find the library it made.

Each language builds with its own tools (cargo, `go build -buildmode=c-shared`,
make or cmake, `zig build`). C, C++ and cgo use `zig cc` from the `ziglang`
package when no system compiler exists, and for cross-compiling. Every build
configuration (target, debug or release) gets its own output folder, so a cross
build never overwrites the native library and an up-to-date build still finds the
right one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .cache import cache_dir
from .errors import BuildError, ToolchainMissing
from .toolchain import require_zig, shared_library_suffix

RUST_TRIPLES = {
    "x86_64-linux-gnu": "x86_64-unknown-linux-gnu",
    "aarch64-linux-gnu": "aarch64-unknown-linux-gnu",
    "x86_64-macos": "x86_64-apple-darwin",
    "aarch64-macos": "aarch64-apple-darwin",
    "x86_64-windows-gnu": "x86_64-pc-windows-gnu",
}
GO_TARGETS = {
    "x86_64-linux-gnu": ("linux", "amd64"),
    "aarch64-linux-gnu": ("linux", "arm64"),
    "x86-linux-gnu": ("linux", "386"),
    "arm-linux-gnueabihf": ("linux", "arm"),
    "x86_64-windows-gnu": ("windows", "amd64"),
}


@dataclass(frozen=True)
class Step:
    command: list[str]
    env: dict[str, str] | None = None


@dataclass(frozen=True)
class BuildPlan:
    """The commands to run and the folder the library lands in."""

    steps: list[Step]
    out_dir: Path


@dataclass(frozen=True)
class BuildResult:
    library: Path
    lang: str
    commands: list[list[str]]


def detect_language(project: Path) -> str:
    """The project's language, from the build file at its top."""
    if (project / "Cargo.toml").is_file():
        return "rust"
    if (project / "go.mod").is_file():
        return "go"
    if (project / "build.zig").is_file():
        return "zig"
    if (project / "Makefile").is_file() or (project / "CMakeLists.txt").is_file():
        sources = [p for d in ("src", "sdk", ".") for p in (project / d).glob("*") if p.is_file()]
        return "cpp" if any(p.suffix in (".cpp", ".cc", ".cxx", ".hpp") for p in sources) else "c"
    raise BuildError(f"{project}: not a plugin project (expected Cargo.toml, go.mod, build.zig, a Makefile or CMakeLists.txt)")


def library_suffix(target: str | None) -> str:
    return shared_library_suffix(target)


def build(project_dir: str | Path = ".", *, release: bool = False, target: str | None = None,
          timeout: float = 1800, zig_cc: bool = False) -> BuildResult:
    """Build a project and return the library; `zig_cc` makes C, C++ and cgo use `zig cc`
    even when a system compiler exists."""
    project = Path(project_dir).resolve()
    if project.exists() and not project.is_dir():
        raise BuildError(f"{project}: is a file (expected a plugin project folder)")
    if not project.is_dir():
        raise BuildError(f"{project}: no such project folder")
    lang = detect_language(project)
    planner = {"rust": _rust_plan, "go": _go_plan, "zig": _zig_plan, "c": _c_plan, "cpp": _c_plan}[lang]
    plan = planner(project, release, target, lang, zig_cc)
    for step in plan.steps:
        _run_step(step, project, timeout)
    return BuildResult(_find_library(project, plan.out_dir, target), lang, [s.command for s in plan.steps])


def build_project(project_dir: str | Path = ".", *, release: bool = False, target: str | None = None,
                  timeout: float = 1800, zig_cc: bool = False) -> Path:
    """Run the project's own build and return the path of the built shared library."""
    return build(project_dir, release=release, target=target, timeout=timeout, zig_cc=zig_cc).library


def _config_dir(project: Path, release: bool, target: str | None) -> Path:
    return project / "build" / f"{target or 'native'}-{'release' if release else 'debug'}"


def _run_step(step: Step, cwd: Path, timeout: float) -> None:
    try:
        proc = subprocess.run(step.command, cwd=cwd, env=step.env, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise ToolchainMissing(f"{step.command[0]}: not found (install it to build this project; see `nylon-ring new --list`)") from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"{cwd}: `{' '.join(step.command)}` did not finish in {timeout:.0f}s") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise BuildError(f"{cwd}: `{' '.join(step.command)}` failed with exit code {proc.returncode}:\n" + "\n".join(tail))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ToolchainMissing(f"{name}: not found on PATH (needed to build this project)")
    return found


def zig_cc_wrapper(target: str | None, cxx: bool = False) -> Path:
    """An executable script running `zig cc -target T`, for tools whose CC must be one path."""
    zig = require_zig()
    sub = "c++" if cxx else "cc"
    path = cache_dir() / "bin" / f"zig-{sub}-{target or 'native'}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tflag = f" -target {target}" if target else ""
    script = f"#!/bin/sh\nexec \"{zig[0]}\" {sub}{tflag} \"$@\"\n"
    if not path.exists() or path.read_text() != script:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(script)
        tmp.chmod(0o755)
        os.replace(tmp, path)
    return path


# ---------------------------------------------------------------- per language


def _rust_plan(project: Path, release: bool, target: str | None, lang: str, zig_cc: bool) -> BuildPlan:
    cmd = [_tool("cargo"), "build"]
    env = None
    profile = "release" if release else "debug"
    if release:
        cmd.append("--release")
    if not target:
        return BuildPlan([Step(cmd)], project / "target" / profile)
    triple = RUST_TRIPLES.get(target, target)
    installed = _rust_targets()
    if installed is not None and triple not in installed:
        raise ToolchainMissing(f"--target {target}: the Rust standard library for {triple} is not installed "
                               f"(run `rustup target add {triple}`)")
    cmd += ["--target", triple]
    if triple != _rust_host():
        env = dict(os.environ)
        env[f"CARGO_TARGET_{triple.upper().replace('-', '_')}_LINKER"] = str(zig_cc_wrapper(target))
    return BuildPlan([Step(cmd, env)], project / "target" / triple / profile)


def _rust_targets() -> set[str] | None:
    rustup = shutil.which("rustup")
    if not rustup:
        return None
    out = subprocess.run([rustup, "target", "list", "--installed"], capture_output=True, text=True)
    return set(out.stdout.split()) if out.returncode == 0 else None


def _rust_host() -> str | None:
    rustc = shutil.which("rustc")
    if not rustc:
        return None
    out = subprocess.run([rustc, "-vV"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("host:"):
            return line.split(":", 1)[1].strip()
    return None


def _go_plan(project: Path, release: bool, target: str | None, lang: str, zig_cc: bool) -> BuildPlan:
    go = _tool("go")
    env = dict(os.environ)
    env["CGO_ENABLED"] = "1"
    if target:
        if target not in GO_TARGETS:
            raise ToolchainMissing(f"--target {target}: Go cross-compiling is set up for {', '.join(GO_TARGETS)}")
        env["GOOS"], env["GOARCH"] = GO_TARGETS[target]
        env["CC"] = str(zig_cc_wrapper(target))
    elif zig_cc or not (env.get("CC") or shutil.which("cc") or shutil.which("gcc")):
        env["CC"] = str(zig_cc_wrapper(None))
    out_dir = _config_dir(project, release, target)
    out = out_dir / f"lib{_go_module_name(project).replace('-', '_')}{library_suffix(target)}"
    cmd = [go, "build", "-buildmode=c-shared", "-o", str(out)]
    if release:
        cmd += ["-trimpath", "-ldflags=-s -w", "-tags", "noprobes"]
    cmd.append(".")
    return BuildPlan([Step(cmd, env)], out_dir)


def _go_module_name(project: Path) -> str:
    for line in (project / "go.mod").read_text().splitlines():
        if line.startswith("module "):
            return line.split()[1].rsplit("/", 1)[-1]
    return project.name


def _zig_plan(project: Path, release: bool, target: str | None, lang: str, zig_cc: bool) -> BuildPlan:
    prefix = _config_dir(project, release, target)
    cmd = [*require_zig(), "build", "--prefix", str(prefix)]
    if release:
        cmd.append("-Doptimize=ReleaseFast")
    if target:
        cmd.append(f"-Dtarget={target}")
    return BuildPlan([Step(cmd)], prefix)


def _c_plan(project: Path, release: bool, target: str | None, lang: str, zig_cc: bool) -> BuildPlan:
    cxx = lang == "cpp"
    var = "CXX" if cxx else "CC"
    system = os.environ.get(var) or shutil.which("c++" if cxx else "cc") or shutil.which("g++" if cxx else "gcc")
    use_zig = bool(target) or zig_cc or not system
    out_dir = _config_dir(project, release, target)
    if not (project / "Makefile").is_file():
        return _cmake_plan(project, release, target, out_dir, use_zig)
    cmd = [_tool("make"), f"BUILD={out_dir}", f"EXT={library_suffix(target).lstrip('.')}"]
    if use_zig:
        cmd.append(f"{var}={zig_cc_wrapper(target, cxx=cxx)}")
        if cxx:
            cmd.append(f"CC={zig_cc_wrapper(target)}")
    if release:
        cmd.append("RELEASE=1")
    return BuildPlan([Step(cmd)], out_dir)


def _cmake_plan(project: Path, release: bool, target: str | None, out_dir: Path, use_zig: bool) -> BuildPlan:
    cmake = _tool("cmake")
    configure = [cmake, "-S", str(project), "-B", str(out_dir), f"-DCMAKE_BUILD_TYPE={'Release' if release else 'Debug'}"]
    if use_zig:
        configure += [f"-DCMAKE_C_COMPILER={zig_cc_wrapper(target)}",
                      f"-DCMAKE_CXX_COMPILER={zig_cc_wrapper(target, cxx=True)}"]
    return BuildPlan([Step(configure), Step([cmake, "--build", str(out_dir)])], out_dir)


def _find_library(project: Path, out_dir: Path, target: str | None) -> Path:
    """The shared library in the configuration's output folder (newest first, the project's own name first)."""
    suffix = library_suffix(target)
    libs = [p for p in out_dir.rglob(f"*{suffix}") if p.is_file() and "deps" not in p.relative_to(out_dir).parts]
    if not libs:
        raise BuildError(f"{project}: the build succeeded but left no {suffix} library in {out_dir}")
    stem = project.name.replace("-", "_")
    libs.sort(key=lambda p: (stem not in p.name.replace("-", "_"), -p.stat().st_mtime))
    return libs[0]
