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
FLOOR_C = {1: HERE / "floor" / "floor.c", 2: HERE / "floor" / "floor2.c"}
FLOOR_CGO = HERE / "floor" / "cgo"
SDK_LANGS = ("c", "cpp", "rust", "go", "zig")
ABIS = (1, 2)
#: ABI 2 answer paths (name, entry) and the payload sizes each is measured at.
ANSWER_PATHS = (("copy", "echo"), ("owned", "echo_owned"), ("lease", "echo_lease"))
PAYLOAD_SIZES = (0, 128, 1024, 4096)


@dataclass(frozen=True)
class Item:
    """One measured case of a plan: the same work for every subject of a generation.

    `nbytes` is the answer length every call must carry; `payload` None means the
    harness's 16-byte default; `threads` the thread counts it is measured with.
    """

    key: str
    mode: str
    entry: str
    nbytes: int
    payload: str | None = None
    by_id: bool = False
    threads: tuple[int, ...] = (1, 2)


#: ABI 1: unary answers "GET /hello " + payload; stream answers "0".."4"; bidi echoes five 16-byte frames.
PLAN1: tuple[Item, ...] = (
    Item("raw", "raw", "echo", 16),
    Item("unary", "unary", "hello", len("GET /hello ") + 16),
    Item("async", "async", "echo_async", 16),
    Item("stream", "stream", "count", 5),
    Item("bidi", "bidi", "chat", 5 * 16),
)
#: ABI 2 has one request call (no NrRequest): unary is `hello` answering "hello, " + payload;
#: integer dispatch and the three answer paths at four payload sizes come on top.
PLAN2: tuple[Item, ...] = (
    Item("raw", "raw", "echo", 16),
    Item("raw-by-id", "raw", "echo", 16, by_id=True),
    Item("unary", "unary", "hello", len("hello, ") + 16),
    Item("async", "async", "echo_async", 16),
    Item("stream", "stream", "count", 5),
    Item("bidi", "bidi", "chat", 5 * 16),
    *(Item(f"{path}-{size}", "raw", entry, size, payload="x" * size, threads=(1,))
      for path, entry in ANSWER_PATHS for size in PAYLOAD_SIZES),
)
PLANS = {1: PLAN1, 2: PLAN2}
PLAN = PLAN1  # the ABI 1 plan, under its old name
ALL_MODES = tuple(item.key for item in PLAN1)


@dataclass
class Subject:
    """One plugin under test."""

    key: str                 # "floor", "cgo-floor", the SDK language; ABI 2 subjects end in "@2"
    label: str               # how the report names it
    modes: tuple[str, ...]   # plan items it serves (Item.key)
    abi: int = 1
    library: Path | None = None
    problem: str | None = None  # why it was not built (then library is None)
    build_command: list[str] = field(default_factory=list)  # shell-quoted command lines

    @property
    def plan(self) -> tuple[Item, ...]:
        return tuple(item for item in PLANS[self.abi] if item.key in self.modes)


def subject_key(base: str, abi: int) -> str:
    """`c` for ABI 1, `c@2` for ABI 2: one results table holds both generations."""
    return base if abi == 1 else f"{base}@{abi}"


def _write_header(folder: Path, abi: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nylon_ring.h").write_text(generated_header(abi), encoding="utf-8")


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no output"


def build_c_floor(work: Path, abi: int = 1) -> Subject:
    """The hand-written C plugin of a generation: a function-pointer call plus one callback."""
    subject = Subject(subject_key("floor", abi), f"C floor (hand-written, no SDK, ABI {abi})",
                      tuple(item.key for item in PLANS[abi]), abi)
    folder = work / subject_key("floor", abi).replace("@", "-abi")
    _write_header(folder, abi)
    out = folder / f"libfloor{toolchain.shared_library_suffix()}"
    cmd = [*toolchain.c_compiler(), "-std=c11", "-O2", "-shared", "-fPIC", "-pthread", "-I", str(folder),
           str(FLOOR_C[abi]), "-o", str(out)]
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


def build_sdk(lang: str, work: Path, abi: int = 1) -> Subject:
    """Scaffold `nylon-ring new --lang LANG --abi N` into work/ and build it in release mode."""
    from nylon_ring_sdk import scaffold

    subject = Subject(subject_key(lang, abi), f"{lang} SDK (scaffolded, release, ABI {abi})",
                      tuple(item.key for item in PLANS[abi]), abi)
    if lang not in scaffold.available_languages():
        subject.problem = f"no template for {lang}"
        return subject
    try:
        project = scaffold.new_project(lang, f"bench-{lang}", work / f"sdk-abi{abi}", force=True, abi=abi)
        result = scaffold.build(project, release=True)
    except NylonRingError as exc:
        subject.problem = f"build failed: {_first_line(str(exc))}"
        return subject
    subject.library = result.library
    subject.build_command = [shlex.join(c) for c in result.commands]
    return subject


def build_all(work: Path, langs: list[str], log, abis: tuple[int, ...] = ABIS) -> list[Subject]:
    """Per generation the C floor first (every ratio needs it), then each SDK; then the cgo floor."""
    work.mkdir(parents=True, exist_ok=True)
    subjects = []
    for abi in abis:
        subjects.append(build_c_floor(work, abi))
        for lang in langs:
            log(f"building the {lang} SDK plugin (release, ABI {abi})")
            subjects.append(build_sdk(lang, work, abi))
    if "go" in langs and 1 in abis:
        subjects.append(build_cgo_floor(work))
    for s in subjects:
        log(f"  {s.key}: {s.library or s.problem}")
    return subjects
