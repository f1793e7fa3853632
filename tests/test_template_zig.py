"""The Zig project template: scaffold, build with `zig build`, zig fmt, `zig build test`,
the SDK's guards, release and cross builds.

The example entries, panic safety, shutdown and conformance are checked in every
language by tests/test_template_matrix.py, on the same debug build (once a session,
builds are slow). This module adds the release build (answers and conformance) and a
second project whose handlers break the rules on purpose.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from conftest import need_zig
from template_matrix import EXTRA, TEMPLATES, assert_conformance, assert_release_answers, keep_copy

NAME = TEMPLATES["zig"].name
LIB = "zig_demo"
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


@pytest.fixture(scope="module")
def project(template_builds) -> Path:
    """The example project, built once a session (the debug build tests/test_template_matrix.py loads)."""
    return template_builds.get("zig").project


@pytest.fixture(scope="module")
def release_lib(project) -> Path:
    from nylon_ring_sdk.scaffold import build_project

    return keep_copy(project, build_project(project, release=True), "release")


@pytest.fixture(scope="module")
def guards_lib(tmp_path_factory) -> Path:
    """A project whose extra entries misbehave (see GUARDS, STREAM_GUARDS)."""
    need_zig()
    from nylon_ring_sdk.scaffold import build_project, new_project

    project = new_project("zig", "guards", tmp_path_factory.mktemp("zig-guards"),
                          entries=[*GUARDS, *STREAM_GUARDS], abi=1)
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
    return keep_copy(project, build_project(project), "guards")


def zig(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*need_zig(), *args], cwd=project, capture_output=True, text=True)


# ---------------------------------------------------------------- the project itself


def test_bindings_are_freshly_generated(project, schema):
    from nylon_ring_sdk.gen import generate

    (generated,) = generate(schema, "zig")
    assert (project / "src" / "nylon_ring.zig").read_text() == generated.content


def test_ci_bindings_drift_check_passes(project):
    """The CI workflow's `gen-bindings --check` step, as written in ci.yml, passes on a fresh project."""
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert "nylon-ring gen-bindings --abi 1 --lang zig --out src --check" in ci
    assert 'nylon-ring conformance "$PLUGIN_LIB" --junit dist/report.xml' in ci
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "gen-bindings", "--abi", "1", "--lang", "zig",
                           "--out", "src", "--check"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_template_copy_of_bindings_is_current():
    """Plain rendering of templates/zig (without `nylon-ring new`) must get working bindings: ABI 2's."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default
    from nylon_ring_sdk.scaffold import load_template

    spec = load_template("zig")
    root = next(p for p in spec.path.iterdir() if p.name.startswith("{{"))
    (generated,) = generate(load_default(2), "zig")
    assert spec.bindings == {"zig": "src/nylon_ring.zig"}
    assert (root / spec.bindings["zig"]).read_text() == generated.content, \
        "stale: run `python -m nylon_ring_sdk.committed`"


def test_plain_template_render_builds(tmp_path):
    """Rendering templates/zig without `nylon-ring new` gives what `new --abi 2` gives plus the ABI 1
    layer's files (which `new` prunes), and it builds."""
    from cookiecutter.main import cookiecutter

    from nylon_ring_sdk.scaffold import load_template, new_project

    spec = load_template("zig")
    out = Path(cookiecutter(str(spec.path), no_input=True, output_dir=str(tmp_path / "plain"),
                            extra_context={"project_name": NAME, "extra_entries": EXTRA}))
    project = new_project("zig", NAME, tmp_path / "new", entries=[EXTRA], abi=2)
    others = set(spec.generation_files[1]) - set(spec.generation_files[2])
    listed = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*")  # noqa: E731
                                 if p.is_file() and str(p.relative_to(root)) not in others)
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
    from nylon_ring_sdk.host import Host

    with Host.load(release_lib) as h:
        assert_release_answers(h, "zig")  # Err: the probes stay in release builds
        assert [f.data for f in h.stream_raw("count", b"2")] == [b"0", b"1", b""]
        assert h.violations == []


def test_release_build_has_no_conformance_must_failures(release_lib, tmp_path):
    """The debug build's conformance run is in tests/test_template_matrix.py."""
    assert_conformance(release_lib, NAME, tmp_path)


def test_cross_build_for_aarch64(project):
    from nylon_ring_sdk.scaffold import build_project

    library = build_project(project, target="aarch64-linux-gnu")
    header = library.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64


def test_embedded_manifest_matches_the_manifest_file(template_builds, tmp_path):
    """The ABI 1 build exports (nylon_ring_manifest) the same manifest as the nylon-ring.toml it ships."""
    import ctypes

    from nylon_ring_sdk.conformance.manifest import load_manifest

    built = template_builds.get("zig")
    lib = ctypes.CDLL(str(built.library))
    lib.nylon_ring_manifest.restype = ctypes.c_char_p
    path = tmp_path / "embedded.toml"
    path.write_text(lib.nylon_ring_manifest().decode("utf-8"))
    embedded, shipped = load_manifest(path), load_manifest(built.project / "nylon-ring.toml")
    assert embedded.name == shipped.name and embedded.unknown_entry == shipped.unknown_entry
    assert embedded.entries == shipped.entries
    assert embedded.panic_probes == shipped.panic_probes
