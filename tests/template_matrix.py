"""What every project template shares, for tests/test_template_matrix.py and the per-language files.

`nylon-ring new` gives every language the same example entries (hello, echo,
echo_async, count, chat, state, panic, panic_async, and stubs named with
`--entries`), so tests/test_template_matrix.py checks them once, in every language.
Where the SDKs answer differently on purpose, TEMPLATES says so, one row per language:
a difference is a value in the table, never a skipped check.

The per-language test files (test_template_<lang>.py, native_templates.py) keep what
is their language's own (linters, sanitizers, compile-fail checks, release, cross and
other-compiler builds, seed-era ports) and share from here: the session's scaffolded
and built projects (:class:`TemplateBuilds`, the `template_builds` fixture in
conftest.py), so each example project is built once however many files use it,
:func:`keep_copy`, :func:`offline_go` and the conformance and release-build checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from conftest import need_tool, need_zig
from nylon_ring_sdk.host import Host, NrStatus

LANGS = ("c", "cpp", "rust", "go", "zig")
EXTRA = "extra_one"  # the stub entry every example project is scaffolded with (`nylon-ring new --entries`)
# Payloads that are not a plain decimal count of a sane size; what each SDK rejects is in TEMPLATES.
BAD_COUNTS = (b"three", b"", b"-1", b"12345678", b"3 ")
GO_OFFLINE = {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local", "GOWORK": "off"}

ANSWERED = "answered"  # handle accepted the call (Ok), then one Err frame answered it
REJECTED = "rejected"  # handle itself returned Err: no frame was sent


@dataclass(frozen=True)
class Panic:
    """How a panic probe answers: ANSWERED with exactly `text` as the Err frame's payload, or REJECTED."""

    how: str
    text: bytes = b""


@dataclass(frozen=True)
class Template:
    """One language's example project, and where its SDK answers differently from the others."""

    lang: str
    name: str                       # the project name the tests scaffold
    build_output: frozenset[str]    # folders in the project that its builds write (not template output)
    request_bytes_are_data: bool    # non-UTF-8 method/path/header bytes reach the handler (True) or get Invalid
    hello_raw: tuple[NrStatus, bytes]  # `hello` with body "x" through handle_raw, so with no request at all
    non_utf8_entry: NrStatus        # an entry name that is not UTF-8: Invalid (not a name) or Unsupported (unknown)
    count_rejects: tuple[bytes, ...]   # the BAD_COUNTS that `count` rejects with Invalid; it parses the rest
    extra_echoes: bool              # a `--entries` stub answers its payload (True) or its own name (False)
    panic: Panic                    # `panic`, on the host's thread
    panic_async: Panic              # `panic_async`, on a background thread
    shutdown_text: bytes            # the payload of the Err frame a bidi stream still open at shutdown gets
    probes_in_release: bool         # release builds keep the panic probes (Err) or leave them out (Unsupported)

    def is_build_output(self, rel: Path) -> bool:
        """Whether `rel`, a path relative to the project, lies in a folder its builds write."""
        return bool(self.build_output.intersection(rel.parts))


_C_PANIC = Panic(ANSWERED, b"panic probe: the handler failed on purpose")  # nrp_panic()
_CPP_PANIC = Panic(ANSWERED, b"panic probe: the handler threw on purpose")  # a C++ throw
_NO_REQUEST_INVALID = (NrStatus.INVALID, b"")
_NO_REQUEST_EMPTY = (NrStatus.OK, b"  x")  # answered as if method and path were empty

# count: c and cpp take at most 1,000,000 and no spaces; rust trims white space and has
# no cap; go and zig have no cap (12345678 streams that many frames: not called here).
TEMPLATES = {t.lang: t for t in (
    Template("c", "demo-c", build_output=frozenset({"build"}), request_bytes_are_data=True,
             hello_raw=_NO_REQUEST_INVALID, non_utf8_entry=NrStatus.INVALID, count_rejects=BAD_COUNTS,
             extra_echoes=False, panic=_C_PANIC, panic_async=_C_PANIC, shutdown_text=b"the plugin shut down",
             probes_in_release=True),
    Template("cpp", "demo-cpp", build_output=frozenset({"build"}), request_bytes_are_data=True,
             hello_raw=_NO_REQUEST_INVALID, non_utf8_entry=NrStatus.INVALID, count_rejects=BAD_COUNTS,
             extra_echoes=False, panic=_CPP_PANIC, panic_async=_CPP_PANIC, shutdown_text=b"the plugin shut down",
             probes_in_release=True),
    Template("rust", "demo-plugin", build_output=frozenset({"target"}), request_bytes_are_data=False,
             hello_raw=_NO_REQUEST_INVALID, non_utf8_entry=NrStatus.UNSUPPORTED, count_rejects=(b"three", b"", b"-1"),
             extra_echoes=True, panic=Panic(ANSWERED), panic_async=Panic(ANSWERED), shutdown_text=b"",
             probes_in_release=False),
    Template("go", "demo-plugin", build_output=frozenset({"build"}), request_bytes_are_data=True,
             hello_raw=_NO_REQUEST_EMPTY, non_utf8_entry=NrStatus.UNSUPPORTED,
             count_rejects=(b"three", b"", b"-1", b"3 "), extra_echoes=True, panic=Panic(REJECTED),
             panic_async=Panic(ANSWERED, b"plugin panic: panic probe: a handler panicked in a goroutine"),
             shutdown_text=b"plugin shut down", probes_in_release=False),
    Template("zig", "zig-demo", build_output=frozenset({".zig-cache", "zig-out", "build"}), request_bytes_are_data=True,
             hello_raw=_NO_REQUEST_EMPTY, non_utf8_entry=NrStatus.UNSUPPORTED,
             count_rejects=(b"three", b"", b"-1", b"3 "), extra_echoes=True, panic=Panic(REJECTED),
             panic_async=Panic(ANSWERED), shutdown_text=b"plugin shutting down", probes_in_release=True),
)}
assert tuple(TEMPLATES) == LANGS and all(set(t.count_rejects) <= set(BAD_COUNTS) for t in TEMPLATES.values())


# ---------------------------------------------------------------- building once a session


@dataclass(frozen=True)
class Built:
    """A scaffolded example project and its debug build."""

    project: Path  # the project folder `nylon-ring new` made
    output: Path   # the library where the project's own build left it
    library: Path  # a copy of it under its own name: the one to load (see keep_copy)


class TemplateBuilds:
    """Each language's example project, scaffolded (`--entries extra_one`) and built at most once a session.

    Builds are slow, and the matrix and the per-language files test the same
    projects. A build that failed or was skipped is remembered too, so it is not
    tried again by every test that needs it.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._done: dict[str, Built | BaseException] = {}

    def get(self, lang: str) -> Built:
        if lang not in self._done:
            try:
                self._done[lang] = self._build(lang)
            except (Exception, pytest.skip.Exception, pytest.fail.Exception) as exc:
                self._done[lang] = exc
        found = self._done[lang]
        if isinstance(found, BaseException):
            raise found
        return found

    def _build(self, lang: str) -> Built:
        from nylon_ring_sdk.scaffold import build_project, new_project

        need_toolchain(lang)
        project = new_project(lang, TEMPLATES[lang].name, self._tmp.mktemp(f"{lang}-template"), entries=[EXTRA], abi=1)
        with offline_go() if lang == "go" else nullcontext():
            output = build_project(project)
        return Built(project, output, keep_copy(project, output, "debug"))


def need_toolchain(lang: str) -> None:
    """Skip (or fail under NYLON_RING_REQUIRE_TOOLCHAINS=1) when a tool the template builds with is missing."""
    from nylon_ring_sdk.scaffold import load_template

    for tool in load_template(lang).requires:
        if tool == "zig":
            need_zig()
        else:
            need_tool(tool)


@contextmanager
def offline_go() -> Iterator[None]:
    """`nylon-ring build` runs go with the caller's environment: no module downloads, no
    toolchain switch, no workspace while inside."""
    saved = {key: os.environ.get(key) for key in GO_OFFLINE}
    os.environ.update(GO_OFFLINE)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def keep_copy(project: Path, library: Path, tag: str) -> Path:
    """A copy of a build under its own name: the reference host never unloads a library,
    and a later build must not change one already loaded.

    The copy goes to `kept/` in the project's build output folder (the library's top
    folder in the project, else `build/`): checks that pass over build output pass over
    it, and the conformance suite finds `nylon-ring.toml` above it.
    """
    top = library.relative_to(project).parts[0] if library.is_relative_to(project) else "build"
    dest = project / top / "kept" / f"{library.stem}-{tag}{library.suffix}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(library, dest)
    return dest


# ---------------------------------------------------------------- checks the per-language files run on their own builds


def assert_conformance(library: Path, name: str, tmp_path: Path) -> None:
    """`nylon-ring conformance` on a built example: exit 0, no MUST failure, a manifest
    (embedded by the SDK, or the file beside the project) used, so every check passed."""
    junit, report = tmp_path / "report.xml", tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "conformance", str(library), "--junit", str(junit),
                           "--json", str(report)], capture_output=True, text=True, timeout=900)
    assert "No such command" not in proc.stderr, "the conformance command is not available"
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]  # 0: no MUST check failed
    assert junit.is_file() and " 0 failed," in proc.stdout, proc.stdout[-4000:]
    assert f"plugin '{name}' '0.1.0'" in proc.stdout
    # The SDK's embedded manifest wins over the file beside the project; either way one was used.
    assert "(embedded in the plugin (nylon_ring_manifest)" in proc.stdout or "(found near the plugin)" in proc.stdout
    summary = json.loads(report.read_text())
    assert summary["summary"]["must_failures"] == 0
    # A Go runtime cannot be unloaded: lifecycle.reload is skipped for it, with that reason.
    not_passed = [(c["id"], c["status"], c["reason"]) for c in summary["checks"] if c["status"] != "pass"
                  and not (c["id"] == "lifecycle.reload" and "Go runtime" in c["reason"])]
    assert not_passed == [], not_passed


def assert_release_answers(host: Host, lang: str) -> None:
    """A release build still answers, and its panic probes answer Err, or are left out
    of the build (Unsupported) where TEMPLATES says so."""
    probes = NrStatus.ERR if TEMPLATES[lang].probes_in_release else NrStatus.UNSUPPORTED
    assert host.call_raw("echo", b"fast").data == b"fast"
    assert (host.call_raw("panic", b"").status, host.call_raw("panic_async", b"").status) == (probes, probes)
