"""`conformance --sanitize MODE`: the suite's worker processes under a sanitizer runtime.

The user builds the plugin with ``-fsanitize=address|undefined|thread``; the worker
(an uninstrumented CPython) gets the matching runtime preloaded with ``LD_PRELOAD``,
so the plugin's instrumentation has a runtime to report to. CPython itself is not
instrumented, so what it does is kept out of the verdict: leak detection is off
(the interpreter never frees much of what it allocates, and the worker leaves with
``_exit``), and under TSan the reports whose racing access is in the interpreter,
ctypes or libffi are suppressed, so a correct plugin passes every mode.

Each worker writes its sanitizer output to files of its own (``log_path``), not to
stderr, and stops at the first error (``halt_on_error``, ``abort_on_error``), so the
check that was running when the process died is the one the error happened in.
:func:`parse_report` turns such a file into the failing check's details: the error
kind, the plugin's own frames first, and the whole report.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConformanceError
from ..host import elf

MODES = ("address", "undefined", "thread")
#: The sanitizer's name as its reports spell it.
NAMES = {"address": "AddressSanitizer", "undefined": "UndefinedBehaviorSanitizer", "thread": "ThreadSanitizer"}
#: Runtime library file names: GCC's first, then clang's.
_RUNTIMES = {
    "address": ("libasan.so", "libclang_rt.asan-x86_64.so", "libclang_rt.asan.so"),
    "undefined": ("libubsan.so", "libclang_rt.ubsan_standalone-x86_64.so", "libclang_rt.ubsan_standalone.so"),
    "thread": ("libtsan.so", "libclang_rt.tsan-x86_64.so", "libclang_rt.tsan.so"),
}
#: An instrumented library references one of these (undefined), whatever compiler built it.
_MARKERS = {"address": ("__asan_init",), "thread": ("__tsan_init",), "undefined": ("__ubsan_handle_",)}
_VARIABLES = {"address": "ASAN_OPTIONS", "undefined": "UBSAN_OPTIONS", "thread": "TSAN_OPTIONS"}
#: The variable that makes the reference host load its helper built for a mode (see host.native).
SHIM_VARIABLE = "NYLON_RING_SHIM_SANITIZE"
#: Frames printed with their module, so the plugin's own frames can be told apart.
_FRAME_FORMAT = '"    #%n %p in %f %S (%m+%o)"'
#: What CPython, ctypes and libffi do under TSan is not the plugin's (they are not instrumented:
#: their accesses are never seen, only their calls into the intercepted libc).
_TSAN_SUPPRESSIONS = """\
# CPython is not instrumented: its own races and its calls into libc are not the plugin's.
called_from_lib:libpython
called_from_lib:_ctypes
called_from_lib:libffi
race_top:libpython
race_top:_ctypes
race_top:libffi
signal:libpython
# glibc's dynamic TLS: a thread that detaches a finished one frees that thread's TLS blocks,
# which the loader (not instrumented) allocated; TSan sees no order between the two threads.
race:_dl_deallocate_tls
race:__GI__dl_deallocate_tls
race:allocate_dtv_entry
"""


@dataclass(frozen=True)
class Sanitizer:
    """One mode, resolved: the runtime to preload and the options a worker runs with."""

    mode: str
    runtime: Path
    symbolizer: str | None
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="nr-sanitize-")))

    @property
    def name(self) -> str:
        return NAMES[self.mode]

    def environment(self, log_dir: Path) -> dict[str, str]:
        """Variables for one worker, whose reports go to files in `log_dir`."""
        env = dict(os.environ)
        preload = env.get("LD_PRELOAD", "")
        env["LD_PRELOAD"] = str(self.runtime) + (":" + preload if preload else "")
        # the user's own options of this sanitizer come after the suite's (later ones win),
        # except where the reports go: the runner reads them there
        own = [env[_VARIABLES[self.mode]]] if env.get(_VARIABLES[self.mode]) else []
        log = f"log_path={log_dir / 'report'}"
        env[_VARIABLES[self.mode]] = ":".join(self._options(log_dir / "report") + own + [log])
        if self.mode == "address":  # UBSan checks compiled into an ASan build report through it too
            env.setdefault("UBSAN_OPTIONS", ":".join(self._common(log_dir / "report-ubsan")))
        if self.symbolizer:
            env.setdefault(f"{_VARIABLES[self.mode].split('_')[0]}_SYMBOLIZER_PATH", self.symbolizer)
        if self.mode == "thread":
            env[SHIM_VARIABLE] = "thread"
        return env

    def _common(self, log: Path) -> list[str]:
        options = ["halt_on_error=1", "abort_on_error=1", f"log_path={log}", "symbolize=1",
                   "print_stacktrace=1", "report_error_type=1", "handle_segv=1", "handle_abort=0",
                   "disable_coredump=1", f"stack_trace_format={_FRAME_FORMAT}"]
        if self.symbolizer:
            options.append(f"external_symbolizer_path={self.symbolizer}")
        return options

    def _options(self, log: Path) -> list[str]:
        options = self._common(log)
        if self.mode == "address":
            options += ["detect_leaks=0", "detect_odr_violation=0", "verify_asan_link_order=0",
                        "allow_user_segv_handler=1"]
        elif self.mode == "thread":
            options += [f"suppressions={self._suppressions()}", "die_after_fork=0", "report_signal_unsafe=0",
                        "second_deadlock_stack=1"]
        return options

    def _suppressions(self) -> Path:
        path = self.folder / "tsan.supp"
        if not path.is_file():
            path.write_text(_TSAN_SUPPRESSIONS, encoding="utf-8")
        return path


def resolve(mode: str, plugin: Path) -> Sanitizer:
    """The sanitizer of `mode` for `plugin`; raises ConformanceError (one line) when the mode
    is unknown, the runtime is missing, or the plugin was not built with that sanitizer."""
    if mode not in MODES:
        raise ConformanceError(f"--sanitize {mode!r}: unknown mode (expected {', '.join(MODES)})")
    if not instrumented(plugin, mode):
        raise ConformanceError(f"{plugin}: not built with -fsanitize={mode} (no {_MARKERS[mode][0]}* symbol); "
                               f"rebuild it with -fsanitize={mode} -g, or drop --sanitize")
    return Sanitizer(mode, runtime(mode, plugin), symbolizer())


def unsanitized(plugin: Path) -> None:
    """No --sanitize: refuse (ConformanceError) a plugin whose ASan or TSan instrumentation
    needs a runtime preloaded, unless LD_PRELOAD already holds one; the loader would
    abort the worker, which would read as a plugin that cannot be loaded."""
    preload = os.environ.get("LD_PRELOAD", "")
    for mode in ("address", "thread"):
        if instrumented(plugin, mode) and not any(n.split(".so")[0] in preload for n in _RUNTIMES[mode]):
            raise ConformanceError(f"{plugin}: built with -fsanitize={mode}: run it with --sanitize {mode} "
                                   f"(its runtime must be loaded before the plugin)")
    return None


def instrumented(plugin: Path, mode: str) -> bool:
    """Whether the library references the sanitizer's runtime (read from the file, not loaded)."""
    image = elf.read(plugin)
    if image is None:
        return False
    return any(s.name.startswith(marker) for s in image.symbols for marker in _MARKERS[mode])


def runtime(mode: str, plugin: Path | None = None) -> Path:
    """The runtime library to preload: the one the plugin names (DT_NEEDED) when a compiler
    knows where it is, else GCC's, else clang's. Raises ConformanceError when none is found."""
    wanted = list(_RUNTIMES[mode])
    needed = elf.needed(plugin) if plugin is not None else []
    wanted = [n for n in needed if any(n.startswith(w.rsplit(".so", 1)[0] + ".so") for w in wanted)] + wanted
    for name in wanted:
        found = _print_file_name(name)
        if found is not None:
            return found
    raise ConformanceError(f"--sanitize {mode}: no {NAMES[mode]} runtime found ({' / '.join(_RUNTIMES[mode])}: "
                           f"`gcc -print-file-name` and `clang -print-file-name` know none); install it "
                           f"(Debian: the gcc or libclang-rt package of the compiler that built the plugin)")


def _print_file_name(name: str) -> Path | None:
    """Where gcc or clang keep a runtime library; None when neither has it."""
    for cc in ("gcc", "clang", "cc"):
        exe = shutil.which(cc)
        if exe is None:
            continue
        try:
            out = subprocess.run([exe, f"-print-file-name={name}"], capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if out and os.path.isabs(out) and os.path.isfile(out):
            return Path(os.path.realpath(out))
    return None


def symbolizer() -> str | None:
    """llvm-symbolizer when installed (the runtimes also use addr2line by themselves)."""
    for name in ("llvm-symbolizer", *(f"llvm-symbolizer-{v}" for v in range(20, 10, -1))):
        found = shutil.which(name)
        if found:
            return found
    return None


# ------------------------------------------------------------------ reports

_FRAME = re.compile(r"^\s*#(\d+)\s+(?:0x[0-9a-f]+\s+)?(?:in\s+)?(.*?)\s*\(([^()]*?)\+0x[0-9a-f]+\)\s*$")
_HEADLINE = re.compile(r"(?:ERROR|WARNING): (\w+Sanitizer): (.+?)(?: \(pid=\d+\))?(?: on (?:address|unknown address).*)?$")
_UBSAN = re.compile(r"^(\S+?:\d+(?::\d+)?): runtime error: (.+)$")
_SUMMARY = re.compile(r"^SUMMARY: (\w+Sanitizer): (\S+)")
#: UBSan's runtime error messages and the error type its SUMMARY line would name (GCC's
#: runtime aborts before printing one).
_UBSAN_TYPES = (("signed integer overflow", "signed-integer-overflow"), ("negation of", "signed-integer-overflow"),
                ("misaligned address", "misaligned-pointer-use"), ("null pointer", "null-pointer-use"),
                ("out of bounds", "out-of-bounds-index"), ("shift exponent", "invalid-shift-exponent"),
                ("left shift of", "invalid-shift-base"), ("division by zero", "integer-divide-by-zero"),
                ("pointer overflow", "pointer-overflow"), ("not a valid value for type", "invalid-bool-load"),
                ("null pointer passed", "nonnull-attribute"), ("unreachable", "unreachable-call"))


@dataclass
class Frame:
    """One frame of a sanitizer stack: `where` is `file:line[:col]` when symbolized."""

    text: str
    function: str
    where: str
    module: str

    def short(self) -> str:
        place = os.path.basename(self.where) if self.where else os.path.basename(self.module)
        return f"{self.function} ({place})" if self.function else place


def _frame(line: str) -> Frame | None:
    m = _FRAME.match(line)
    if m is None:
        return None
    body, module = m.group(2), m.group(3)
    parts = body.split(" ")
    function = parts[0] if parts and parts[0] not in ("<null>", "") else ""
    where = next((p for p in parts[1:] if re.search(r":\d+", p) and "<null>" not in p), "")
    return Frame(line.strip(), function, where, module)


def parse_report(text: str, plugin: Path) -> dict[str, Any] | None:
    """The first sanitizer error of `text` as check details: its kind, the plugin's frames
    first, and the whole report; None when the text holds no error report."""
    kind, tool = _kind(text)
    if kind is None:
        return None
    frames = [f for f in (_frame(line) for line in text.splitlines()) if f is not None]
    mine = [f for f in frames if _is_plugin(f.module, plugin)]
    return {"tool": tool, "kind": kind, "plugin_frames": [f.text for f in mine],
            "frame": mine[0].short() if mine else None, "report": text.strip()}


def _kind(text: str) -> tuple[str | None, str | None]:
    """(error kind, sanitizer) of the first error; UBSan's kind is its SUMMARY's error type
    (`misaligned-pointer-use`), the message itself names addresses and types."""
    summary = next((m for m in map(_SUMMARY.match, (ln.strip() for ln in text.splitlines())) if m), None)
    for line in text.splitlines():
        line = line.strip()
        m = _HEADLINE.search(line)
        if m:
            return m.group(2).strip(), m.group(1)
        m = _UBSAN.match(line)
        if m:
            if summary is not None and summary.group(1) == NAMES["undefined"]:
                return summary.group(2), NAMES["undefined"]
            message = m.group(2)
            kind = next((t for text, t in _UBSAN_TYPES if text in message), None)
            return kind or re.sub(r"\s*0x[0-9a-f]+", "", message.split(":")[0]).strip(), NAMES["undefined"]
    return (summary.group(2), summary.group(1)) if summary else (None, None)


def _is_plugin(module: str, plugin: Path) -> bool:
    if not module:
        return False
    try:
        return os.path.realpath(module) == os.path.realpath(plugin) or os.path.basename(module) == plugin.name
    except OSError:
        return False


def reason(report: dict[str, Any]) -> str:
    """The one line a failing check shows: the error kind and the plugin's frame."""
    where = f" in {report['frame']}" if report.get("frame") else " (no frame of the plugin in the report)"
    return f"{report['tool']}: {report['kind']}{where}"


def read_reports(folder: Path, plugin: Path) -> dict[str, Any] | None:
    """The report a worker left in `folder` (its log files, oldest first), parsed; None when none."""
    try:
        files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime)
    except OSError:
        return None
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        parsed = parse_report(text, plugin)
        if parsed is not None:
            return parsed
    return None
