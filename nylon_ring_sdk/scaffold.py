"""`nylon-ring new` and `nylon-ring build`: plugin projects from per-language templates.

A template is a cookiecutter folder `templates/<lang>/` with a `nylon-ring-template.toml`
saying what the project needs installed, where its generated bindings live and how it
builds. `new_project` renders the template into a scratch folder, writes freshly
generated bindings into it, and only then moves it into place, so a failed or refused
run leaves the user's files as they were.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError, ScaffoldError, ToolchainMissing
from .naming import keywords

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
MAX_NAME = 64
LANG_ORDER = ("c", "cpp", "rust", "go", "zig")
ENTRY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class TemplateSpec:
    """What `templates/<lang>/nylon-ring-template.toml` declares."""

    lang: str
    path: Path
    description: str
    requires: tuple[str, ...]
    bindings: dict[str, str] = field(default_factory=dict)


def templates_root() -> Path:
    """Templates shipped in the wheel, or the repository's `templates/` in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_data" / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def load_template(lang: str) -> TemplateSpec:
    root = templates_root()
    folder = root / lang
    spec_path = folder / "nylon-ring-template.toml"
    if not spec_path.is_file():
        known = ", ".join(available_languages()) or "none"
        raise ScaffoldError(f"--lang: no template for '{lang}' (expected one of {known})")
    try:
        data = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScaffoldError(f"{spec_path}: {exc}") from None
    return TemplateSpec(
        lang=lang,
        path=folder,
        description=str(data.get("description", "")),
        requires=tuple(data.get("requires", ())),
        bindings=dict(data.get("bindings", {})),
    )


def available_languages() -> list[str]:
    root = templates_root()
    found = [p.name for p in root.iterdir() if (p / "nylon-ring-template.toml").is_file()] if root.is_dir() else []
    return sorted(found, key=lambda n: LANG_ORDER.index(n) if n in LANG_ORDER else len(LANG_ORDER))


def validate_name(name: str) -> str:
    """A project name safe as a folder, crate, Go module, library and C identifier stem."""
    if not name:
        raise ScaffoldError("NAME: empty (expected a name such as my-plugin)")
    if "/" in name or "\\" in name or ".." in name or "{" in name or "}" in name or "%" in name:
        raise ScaffoldError(f"NAME: {name!r} contains a path separator, '..' or template syntax (expected a plain name such as my-plugin)")
    if len(name) > MAX_NAME:
        raise ScaffoldError(f"NAME: {name!r} is {len(name)} characters (expected at most {MAX_NAME})")
    if not NAME_RE.match(name):
        raise ScaffoldError(f"NAME: {name!r} is not a valid plugin name (expected lowercase letters, digits and single '-' or '_' between them, starting with a letter, e.g. my-plugin)")
    ident = name.replace("-", "_")
    for lang in ("rust", "go", "zig", "c", "python"):
        if ident in keywords(lang):
            raise ScaffoldError(f"NAME: {name!r} is a reserved word in {lang} (expected a name that is not a keyword in any target language)")
    if ident in ("std", "core", "alloc", "test", "main", "sdk", "nylonring", "nylon_ring"):
        raise ScaffoldError(f"NAME: {name!r} collides with a library or package the project uses (choose another name)")
    return name


def validate_entries(entries: list[str]) -> list[str]:
    reserved = {"hello", "echo", "echo_async", "count", "chat", "state", "panic", "panic_async"}
    seen: list[str] = []
    for entry in entries:
        if not ENTRY_RE.match(entry):
            raise ScaffoldError(f"--entries: {entry!r} is not a valid entry name (expected lowercase letters, digits and '_', starting with a letter)")
        if entry in reserved:
            raise ScaffoldError(f"--entries: {entry!r} is already an example entry of every template (choose another name)")
        if entry in seen:
            raise ScaffoldError(f"--entries: {entry!r} given twice")
        if any(entry in keywords(lang) for lang in ("rust", "go", "zig", "c", "python")):
            raise ScaffoldError(f"--entries: {entry!r} is a reserved word in a target language")
        seen.append(entry)
    return seen


def _non_empty(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def new_project(lang: str, name: str, dest_parent: str | Path = ".", *, force: bool = False,
                entries: list[str] | None = None) -> Path:
    """Scaffold `dest_parent/name` from the `lang` template; returns the project folder.

    An existing non-empty target is refused unless `force`; with `force`, the
    template's files replace their namesakes and every other file is kept.
    """
    validate_name(name)
    spec = load_template(lang)
    extra = validate_entries(entries or [])
    parent = Path(dest_parent).resolve()
    target = parent / name
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target}: exists and is not a directory")
    if _non_empty(target) and not force:
        raise ScaffoldError(f"{target}: exists and is not empty; pass --force to write the template's files into it (other files are kept)")
    parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=str(parent)))
    try:
        rendered = _render(spec, name, extra, scratch)
        _write_bindings(spec, rendered)
        _place(rendered, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _render(spec: TemplateSpec, name: str, entries: list[str], scratch: Path) -> Path:
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    context = {"project_name": name, "extra_entries": ",".join(entries)}
    try:
        out = cookiecutter(str(spec.path), no_input=True, extra_context=context,
                           output_dir=str(scratch), overwrite_if_exists=False, accept_hooks=True)
    except CookiecutterException as exc:
        raise ScaffoldError(f"templates/{spec.lang}: rendering failed: {exc}") from None
    return Path(out)


def _write_bindings(spec: TemplateSpec, project: Path) -> None:
    """Overwrite the template's copy of the bindings with a fresh generation."""
    from .gen import generate, write_atomic
    from .schema import load_default

    schema = load_default()
    for lang, rel in spec.bindings.items():
        files = generate(schema, lang)
        dest = project / rel
        if len(files) == 1 and dest.suffix and dest.name == files[0].path:
            write_atomic(dest, files[0].content)
            continue
        for f in files:
            write_atomic(dest / f.path, f.content)


def _place(rendered: Path, target: Path) -> None:
    if not target.exists():
        os.replace(rendered, target)
        return
    for src in sorted(rendered.rglob("*")):
        rel = src.relative_to(rendered)
        dst = target / rel
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


# ---------------------------------------------------------------- build


@dataclass(frozen=True)
class BuildResult:
    library: Path
    lang: str
    commands: list[list[str]]


def detect_language(project: Path) -> str:
    if (project / "Cargo.toml").is_file():
        return "rust"
    if (project / "go.mod").is_file():
        return "go"
    if (project / "build.zig").is_file():
        return "zig"
    if any(project.rglob("*.cpp")) or any(project.rglob("*.cc")):
        return "cpp"
    if (project / "Makefile").is_file() or (project / "CMakeLists.txt").is_file():
        return "c"
    raise BuildError(f"{project}: not a plugin project (expected Cargo.toml, go.mod, build.zig, a Makefile or CMakeLists.txt)")


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


def build_project(project_dir: str | Path = ".", *, release: bool = False, target: str | None = None,
                  timeout: float = 1800, zig_cc: bool = False) -> Path:
    """Run the project's own build and return the path of the built shared library."""
    return build(project_dir, release=release, target=target, timeout=timeout, zig_cc=zig_cc).library


def build(project_dir: str | Path = ".", *, release: bool = False, target: str | None = None,
          timeout: float = 1800, zig_cc: bool = False) -> BuildResult:
    """Build a project; `zig_cc` makes C and C++ projects (and cgo) use `zig cc` even
    when a system compiler exists."""
    project = Path(project_dir).resolve()
    if not project.is_dir():
        raise BuildError(f"{project}: no such project folder")
    lang = detect_language(project)
    started = time.time() - 1
    steps = {"rust": _rust_steps, "go": _go_steps, "zig": _zig_steps, "c": _make_steps, "cpp": _make_steps}[lang]
    commands = steps(project, release, target, lang, zig_cc)
    for cmd, env in commands:
        _run_step(cmd, env, project, timeout)
    library = _find_library(project, lang, started, target)
    return BuildResult(library, lang, [c for c, _ in commands])


def _run_step(cmd: list[str], env: dict[str, str] | None, cwd: Path, timeout: float) -> None:
    import subprocess

    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise ToolchainMissing(f"{cmd[0]}: not found (install it to build this project; see `nylon-ring new --list`)") from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"{cwd}: `{' '.join(cmd)}` did not finish in {timeout:.0f}s") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise BuildError(f"{cwd}: `{' '.join(cmd)}` failed with exit code {proc.returncode}:\n" + "\n".join(tail))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ToolchainMissing(f"{name}: not found on PATH (needed to build this project)")
    return found


def _rust_steps(project: Path, release: bool, target: str | None, lang: str, zig_cc: bool):
    cmd = [_tool("cargo"), "build"]
    env = None
    if release:
        cmd.append("--release")
    if target:
        triple = RUST_TRIPLES.get(target, target)
        installed = _rust_targets()
        if installed is not None and triple not in installed:
            raise ToolchainMissing(f"--target {target}: the Rust standard library for {triple} is not installed (run `rustup target add {triple}`)")
        cmd += ["--target", triple]
        host = _rust_host()
        if host and triple != host:
            env = dict(os.environ)
            env[f"CARGO_TARGET_{triple.upper().replace('-', '_')}_LINKER"] = str(_zig_cc_wrapper(target))
    return [(cmd, env)]


def _rust_targets() -> set[str] | None:
    import subprocess

    rustup = shutil.which("rustup")
    if not rustup:
        return None
    out = subprocess.run([rustup, "target", "list", "--installed"], capture_output=True, text=True)
    return set(out.stdout.split()) if out.returncode == 0 else None


def _rust_host() -> str | None:
    import subprocess

    rustc = shutil.which("rustc")
    if not rustc:
        return None
    out = subprocess.run([rustc, "-vV"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("host:"):
            return line.split(":", 1)[1].strip()
    return None


def _zig_cc_wrapper(target: str | None, cxx: bool = False) -> Path:
    """A tiny executable script that runs `zig cc -target T`: for tools whose CC must be one path."""
    from .toolchain import cache_dir, require_zig

    zig = require_zig()
    sub = "c++" if cxx else "cc"
    name = f"zig-{sub}-{target or 'native'}"
    path = cache_dir() / "bin" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tflag = f" -target {target}" if target else ""
    script = f"#!/bin/sh\nexec \"{zig[0]}\" {sub}{tflag} \"$@\"\n"
    if not path.exists() or path.read_text() != script:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(script)
        tmp.chmod(0o755)
        os.replace(tmp, path)
    return path


def _go_steps(project: Path, release: bool, target: str | None, lang: str, zig_cc: bool):
    go = _tool("go")
    env = dict(os.environ)
    env["CGO_ENABLED"] = "1"
    if target:
        if target not in GO_TARGETS:
            raise ToolchainMissing(f"--target {target}: Go cross-compiling is set up for {', '.join(GO_TARGETS)}")
        env["GOOS"], env["GOARCH"] = GO_TARGETS[target]
        env["CC"] = str(_zig_cc_wrapper(target))
    elif zig_cc or not (env.get("CC") or shutil.which("cc") or shutil.which("gcc")):
        env["CC"] = str(_zig_cc_wrapper(None))
    name = _project_name(project)
    suffix = ".dll" if target and "windows" in target else ".so"
    out = f"lib{name.replace('-', '_')}{suffix}"
    cmd = [go, "build", "-buildmode=c-shared", "-o", out]
    if release:
        cmd += ["-trimpath", "-ldflags=-s -w"]
    cmd.append(".")
    return [(cmd, env)]


def _zig_steps(project: Path, release: bool, target: str | None, lang: str, zig_cc: bool):
    from .toolchain import require_zig

    cmd = [*require_zig(), "build"]
    if release:
        cmd.append("-Doptimize=ReleaseFast")
    if target:
        cmd.append(f"-Dtarget={target}")
    return [(cmd, None)]


def _make_steps(project: Path, release: bool, target: str | None, lang: str, zig_cc: bool):
    make = _tool("make")
    env = dict(os.environ)
    cxx = lang == "cpp"
    var = "CXX" if cxx else "CC"
    system = env.get(var) or shutil.which("c++" if cxx else "cc") or shutil.which("g++" if cxx else "gcc")
    cmd = [make]
    if target or zig_cc or not system:
        cmd.append(f"{var}={_zig_cc_wrapper(target, cxx=cxx)}")
        if cxx:
            cmd.append(f"CC={_zig_cc_wrapper(target)}")
    if release:
        cmd.append("RELEASE=1")
    return [(cmd, env)]


def _project_name(project: Path) -> str:
    for line in (project / "go.mod").read_text().splitlines() if (project / "go.mod").is_file() else []:
        if line.startswith("module "):
            return line.split()[1].rsplit("/", 1)[-1]
    return project.name


def _find_library(project: Path, lang: str, since: float, target: str | None) -> Path:
    """The shared library the build produced: the newest one under the project."""
    suffixes = (".so", ".dylib", ".dll")
    skip = {"deps", ".zig-cache", "zig-cache", ".fingerprint", "incremental"}
    libs = [p for p in project.rglob("*")
            if p.suffix in suffixes and p.is_file() and not skip.intersection(p.parts)]
    if target is None:
        libs = [p for p in libs if "target" not in p.parts or p.parent.name in ("debug", "release")]
    fresh = [p for p in libs if p.stat().st_mtime >= since]
    candidates = fresh or libs  # an up-to-date build rebuilds nothing
    if not candidates:
        raise BuildError(f"{project}: the build succeeded but produced no shared library (.so/.dylib/.dll)")
    stem = project.name.replace("-", "_")
    candidates.sort(key=lambda p: (stem not in p.name.replace("-", "_"), -p.stat().st_mtime))
    return candidates[0]


def refresh_template_bindings() -> list[Path]:
    """Rewrite the bindings copies inside `templates/<lang>/` (what plain cookiecutter renders)."""
    from .gen import generate, write_atomic
    from .schema import load_default

    schema = load_default()
    written: list[Path] = []
    for lang in available_languages():
        spec = load_template(lang)
        root = next(p for p in spec.path.iterdir() if p.name.startswith("{{"))
        for gen_lang, rel in spec.bindings.items():
            for f in generate(schema, gen_lang):
                dest = root / rel
                dest = dest if dest.suffix and dest.name == f.path else dest / f.path
                if not dest.is_file() or dest.read_text() != f.content:
                    write_atomic(dest, f.content)
                    written.append(dest)
    return written


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--refresh-bindings"]:
        for path in refresh_template_bindings():
            print(f"wrote {path}")
