"""What the benchmark run measures: the floors and the scaffolded SDK plugins, built fresh.

A subject is one plugin library plus the modes it serves. Building never raises: a
subject whose toolchain is missing or whose build fails carries the reason instead of
a library, and the report says "not measured" with that reason.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from nylon_ring_sdk import toolchain
from nylon_ring_sdk.bench.build import generated_header
from nylon_ring_sdk.errors import NylonRingError

HERE = Path(__file__).resolve().parent
FLOOR_C = HERE / "floor" / "floor.c"
FLOOR_CGO = HERE / "floor" / "cgo"

#: (mode, entry, answer bytes every call must carry): the same work for every subject.
#: Payload is the harness's 16-byte default; unary answers "GET /hello " + payload;
#: stream answers "0".."4"; bidi echoes five 16-byte frames.
PLAN: tuple[tuple[str, str, int], ...] = (
    ("raw", "echo", 16),
    ("unary", "hello", len("GET /hello ") + 16),
    ("async", "echo_async", 16),
    ("stream", "count", 5),
    ("bidi", "chat", 5 * 16),
)
ALL_MODES = tuple(mode for mode, _, _ in PLAN)
SDK_LANGS = ("c", "cpp", "rust", "go", "zig")


@dataclass
class Subject:
    """One plugin under test."""

    key: str                 # "floor", "cgo-floor", or the SDK language
    label: str               # how the report names it
    modes: tuple[str, ...]   # modes it serves
    library: Path | None = None
    problem: str | None = None  # why it was not built (then library is None)
    build_command: list[str] = field(default_factory=list)  # shell-quoted command lines


def _write_header(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nylon_ring.h").write_text(generated_header(), encoding="utf-8")


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no output"


def build_c_floor(work: Path) -> Subject:
    """The hand-written C plugin: a function-pointer call plus one callback."""
    subject = Subject("floor", "C floor (hand-written, no SDK)", ALL_MODES)
    folder = work / "floor"
    _write_header(folder)
    out = folder / f"libfloor{toolchain.shared_library_suffix()}"
    cmd = [*toolchain.c_compiler(), "-std=c11", "-O2", "-shared", "-fPIC", "-pthread", "-I", str(folder),
           str(FLOOR_C), "-o", str(out)]
    subject.build_command = [shlex.join(cmd)]
    proc = toolchain.run(cmd, timeout=300)
    if proc.returncode != 0:
        subject.problem = f"build failed: {_first_line(proc.stderr)}"
    else:
        subject.library = out
    return subject


def build_cgo_floor(work: Path) -> Subject:
    """The bare Go c-shared plugin: one C->Go crossing and one Go->C crossing per call."""
    subject = Subject("cgo-floor", "cgo floor (bare Go c-shared, no SDK)", ("raw",))
    go = shutil.which("go")
    if not go:
        subject.problem = "go not installed"
        return subject
    folder = work / "cgo-floor"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(FLOOR_CGO, folder)
    _write_header(folder)
    out = folder / f"libcgofloor{toolchain.shared_library_suffix()}"
    cmd = [go, "build", "-buildmode=c-shared", "-trimpath", "-o", str(out), "."]
    subject.build_command = [shlex.join(cmd)]
    env = {**os.environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        subject.problem = f"build failed: {_first_line(proc.stderr)}"
    else:
        subject.library = out
    return subject


def build_sdk(lang: str, work: Path) -> Subject:
    """Scaffold `nylon-ring new --lang LANG` into work/ and build it in release mode."""
    from nylon_ring_sdk import scaffold

    subject = Subject(lang, f"{lang} SDK (scaffolded, release)", ALL_MODES)
    if lang not in scaffold.available_languages():
        subject.problem = f"no template for {lang}"
        return subject
    try:
        project = scaffold.new_project(lang, f"bench-{lang}", work / "sdk", force=True)
        result = scaffold.build(project, release=True)
    except NylonRingError as exc:
        subject.problem = f"build failed: {_first_line(str(exc))}"
        return subject
    subject.library = result.library
    subject.build_command = [shlex.join(c) for c in result.commands]
    return subject


def build_all(work: Path, langs: list[str], log) -> list[Subject]:
    """The C floor first (every ratio needs it), then each SDK, then the cgo floor."""
    work.mkdir(parents=True, exist_ok=True)
    subjects = [build_c_floor(work)]
    for lang in langs:
        log(f"building the {lang} SDK plugin (release)")
        subjects.append(build_sdk(lang, work))
    if "go" in langs:
        subjects.append(build_cgo_floor(work))
    for s in subjects:
        log(f"  {s.key}: {s.library or s.problem}")
    return subjects
