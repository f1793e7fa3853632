"""The Zig bindings: golden, `zig fmt`, `zig test`, and the comptime layout asserts per target.

Each cross target is compiled for real (`zig test -target T --test-no-exec`), and each
data model's branch of the asserts is shown to be the one that runs on its targets by
changing one of its numbers and watching that target's compile fail.
"""

from __future__ import annotations

import ctypes
import re
import subprocess
from pathlib import Path

import pytest

from conftest import assert_golden, need_zig
from nylon_ring_sdk.gen import generate
from nylon_ring_sdk.gen.common import layout_groups
from nylon_ring_sdk.layout import TARGETS as MODEL_OF, compute_layout
from nylon_ring_sdk.schema import load_schema

AWKWARD = Path(__file__).parent / "fixtures" / "awkward.toml"
TARGETS = ["x86_64-linux-gnu", "aarch64-linux-gnu", "x86-linux-gnu", "arm-linux-gnueabihf", "x86_64-windows-gnu"]
# x86 Windows is 32-bit x86 with the ILP32 (not i386) layout: it must take the ILP32 branch.
MUTATION_TARGETS = [*TARGETS, "x86-windows-gnu"]


def source(schema) -> str:
    files = generate(schema, "zig")
    assert [f.path for f in files] == ["nylon_ring.zig"]
    return files[0].content


def awkward():
    return load_schema(AWKWARD)  # an absolute source: the banner names the file alone, as for every golden


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def write(tmp: Path, text: str) -> Path:
    path = tmp / "nylon_ring.zig"
    path.write_text(text)
    return path


def test_golden(schema):
    assert_golden("zig/nylon_ring.zig", source(schema))


def test_golden_awkward():
    assert_golden("zig/awkward.zig", source(awkward()))


def test_banner_and_status_enum(schema):
    text = source(schema)
    assert text.startswith("// Generated from schema/abi.toml (schema sha256 ")
    assert "do not edit" in text.splitlines()[0]
    # non-exhaustive: an out-of-range status from foreign code is a value, not UB
    assert re.search(r"pub const NrStatus = enum\(u32\) \{.*?\n    _,\n", text, re.S)
    assert "handle_raw: ?NrHandleRawFn = null," in text
    assert "*const fn (plugin_ctx: ?*anyopaque, entry: NrStr, sid: u64, payload: NrBytes) callconv(.c) NrStatus" in text


@pytest.mark.parametrize("which", ["abi", "awkward"])
def test_zig_fmt_and_zig_test(schema, tmp_path, which):
    """Canonically formatted, and every test block (round trips, probe) passes natively."""
    zig = need_zig()
    text = source(schema if which == "abi" else awkward())
    path = write(tmp_path, text)
    fmt = run([*zig, "fmt", "--check", str(path)], tmp_path)
    assert fmt.returncode == 0, f"not zig-fmt clean: {fmt.stdout}{fmt.stderr}"
    test = run([*zig, "test", str(path)], tmp_path)
    expected = text.count('\ntest "')
    assert test.returncode == 0, test.stderr
    assert f"All {expected} tests passed." in test.stderr + test.stdout


@pytest.mark.parametrize("target", TARGETS)
def test_layout_asserts_hold_on_target(schema, tmp_path, target):
    zig = need_zig()
    path = write(tmp_path, source(schema))
    proc = run([*zig, "test", "-target", target, "--test-no-exec", f"-femit-bin={tmp_path / 't.bin'}", str(path)],
               tmp_path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("target", ["x86-linux-gnu", "arm-linux-gnueabihf", "x86_64-windows-gnu"])
def test_awkward_layout_asserts_hold_on_target(tmp_path, target):
    zig = need_zig()
    path = write(tmp_path, source(awkward()))
    proc = run([*zig, "build-obj", "-fno-emit-bin", "-target", target, str(path)], tmp_path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("target", MUTATION_TARGETS)
def test_wrong_number_fails_that_targets_compile(schema, tmp_path, target):
    """Change the NrRequest size of the target's own data-model branch: its compile must fail."""
    zig = need_zig()
    model = MODEL_OF[target]
    group = next(g for g in layout_groups(schema) if model in g.models)
    size = compute_layout(schema, model)["NrRequest"].size
    line = f'nr__expect("NrRequest size ({group.label})", @sizeOf(NrRequest), {size});'
    text = source(schema)
    assert text.count(line) == 1, line
    path = write(tmp_path, text.replace(line, line.replace(f", {size});", f", {size + 1});")))
    proc = run([*zig, "build-obj", "-fno-emit-bin", "-target", target, str(path)], tmp_path)
    assert proc.returncode != 0
    assert f"nylon-ring layout: NrRequest size ({group.label}) is {size}, expected {size + 1}" in proc.stderr


PROBE_ROOT = """const nr = @import("nylon_ring.zig");
comptime {
    nr.exportLayoutProbe();
}
"""


def test_exported_layout_probe_matches_layout_engine(schema, tmp_path):
    """A third witness: the table Zig's compiler produced, read back through the export."""
    zig = need_zig()
    write(tmp_path, source(schema))
    (tmp_path / "root.zig").write_text(PROBE_ROOT)
    lib = tmp_path / "libprobe.so"
    proc = run([*zig, "build-lib", "-dynamic", "-OReleaseSafe", f"-femit-bin={lib}", "root.zig"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    from nylon_ring_sdk.host import nylon_ring_abi as abi

    dll = ctypes.CDLL(str(lib))
    fn = dll.nylon_ring_layout_probe_v1
    fn.restype = ctypes.POINTER(abi.NrLayoutProbe)
    probe = fn().contents
    model = "lp64" if ctypes.sizeof(ctypes.c_void_p) == 8 else "ilp32"
    expected = compute_layout(schema, model).probe_values()
    assert probe.probe_version == 1
    assert [ctypes.cast(probe.values, ctypes.POINTER(ctypes.c_uint32))[i] for i in range(probe.count)] == expected
