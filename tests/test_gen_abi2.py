"""ABI 2 bindings in all six languages: goldens, real compilers, the facts page, 64-bit only.

The numbers in FACTS are copied from /work/shared/reference/abi-v2-facts.md (the table
"Types (size / field @ offset)"), not from the layout engine: the compiled C check is
an independent witness that the generated header is the ABI the released crates speak.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
from pathlib import Path

import pytest

from conftest import assert_golden, need_clippy, need_rust_target, need_tool, need_zig
from nylon_ring_sdk.gen import LANGUAGES, generate
from nylon_ring_sdk.layout import compute_layout
from nylon_ring_sdk.schema import load_default

CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"]
CXXFLAGS = ["-Wall", "-Wextra", "-Werror", "-pedantic"]

# abi-v2-facts.md, "Types": struct -> (size, {field: offset}).
FACTS = {
    "NrStr": (16, {"ptr": 0, "len": 8, "reserved": 12}),
    "NrBytes": (16, {"ptr": 0, "len": 8}),
    "NrVecU8": (40, {"ptr": 0, "len": 8, "cap": 16, "owned": 24, "reserved": 25, "drop_fn": 32}),
    "NrOwnedBytes": (32, {"ptr": 0, "len": 8, "owner_ctx": 16, "release": 24}),
    "NrBufferLease": (24, {"ptr": 0, "cap": 8, "token": 16}),
    "NrHostVTable": (32, {"send_result": 0, "send_result_owned": 8, "acquire_result_buffer": 16,
                          "commit_result_buffer": 24}),
    "NrPluginVTable": (56, {"init": 0, "handle": 8, "shutdown": 16, "stream_data": 24, "stream_close": 32,
                            "resolve_entry": 40, "handle_by_id": 48}),
    "NrPluginInfo": (56, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 24, "plugin_ctx": 40,
                          "vtable": 48}),
}
# abi-v2-facts.md, "Status values".
STATUS = {"NR_STATUS_OK": 0, "NR_STATUS_ERR": 1, "NR_STATUS_INVALID": 2, "NR_STATUS_UNSUPPORTED": 3,
          "NR_STATUS_STREAM_END": 4, "NR_STATUS_PANIC": 5, "NR_STATUS_BACKPRESSURE": 6}


@pytest.fixture(scope="module")
def abi2():
    return load_default(2)


def files(schema, lang: str) -> dict[str, str]:
    return {f.path: f.content for f in generate(schema, lang)}


def write_all(folder: Path, content: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in content.items():
        (folder / name).write_text(text)
    return folder


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def ok(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = run(cmd, cwd, env)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
    return proc


# ---------------------------------------------------------------- text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden(abi2, lang):
    for name, content in files(abi2, lang).items():
        assert_golden(f"abi2/{lang}/{name}", content)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "python"])
def test_no_32bit_layout_blocks(abi2, lang):
    """A 64-bit-only generation carries no 32-bit tables: no ILP32 group, no 32-bit Go file
    (the ctypes module's tables: test_python_module)."""
    out = files(abi2, lang)
    assert not [n for n in out if "32" in n or "i386" in n]
    for name, text in out.items():
        assert "ILP32" not in text and "ilp32" not in text, name


def test_banner_names_the_generation(abi2):
    first, second = files(abi2, "c")["nylon_ring.h"].splitlines()[:2]
    assert first.startswith("/* Generated from schema/abi2.toml (schema sha256 ") and "do not edit" in first
    assert second == "/* Regenerate with: nylon-ring gen-bindings --abi 2 */"


def test_entry_unknown_is_u32_max_in_every_language(abi2):
    expected = {
        "c": "#define NR_ENTRY_UNKNOWN UINT32_MAX",
        "rust": "pub const NR_ENTRY_UNKNOWN: u32 = u32::MAX;",
        "zig": "pub const NR_ENTRY_UNKNOWN: u32 = nr__std.math.maxInt(u32);",
        "python": "NR_ENTRY_UNKNOWN = 4294967295",
        "go": "EntryUnknown uint32 = 4294967295",
    }
    for lang, line in expected.items():
        assert any(line in text for text in files(abi2, lang).values()), lang


def test_void_void_function_types(abi2):
    """shutdown is `void(void)` in ABI 2; each language spells a parameterless function type."""
    assert "typedef void (*NrShutdownFn)(void);" in files(abi2, "c")["nylon_ring.h"]
    assert 'pub type NrShutdownFn = unsafe extern "C" fn();' in files(abi2, "rust")["nylon_ring_abi.rs"]
    assert "pub const NrShutdownFn = *const fn () callconv(.c) void;" in files(abi2, "zig")["nylon_ring.zig"]
    assert "NrShutdownFn = ctypes.CFUNCTYPE(None)\n" in files(abi2, "python")["nylon_ring_abi.py"]
    assert "static inline void nr_call_NrShutdownFn(NrShutdownFn nr__fn) {" in files(abi2, "go")["nylon_ring_calls.h"]


# ---------------------------------------------------------------- C and C++

FACTS_C = "\n".join(
    [f'_Static_assert(sizeof({s}) == {size}, "{s} size");' for s, (size, _) in FACTS.items()]
    + [f'_Static_assert(offsetof({s}, {f}) == {off}, "{s}.{f}");' for s, (_, fields) in FACTS.items()
       for f, off in fields.items()]
    + [f'_Static_assert({name} == {value}, "{name}");' for name, value in STATUS.items()]
    + ['_Static_assert(sizeof(NrStatus) == 4, "NrStatus is a u32");',
       '_Static_assert(NR_ENTRY_UNKNOWN == 0xFFFFFFFFu, "NR_ENTRY_UNKNOWN is UINT32_MAX");',
       '_Static_assert(NR_ABI_VERSION == 2, "abi_version");',
       # the signatures of the facts page, as assignments the compiler checks
       "static void nr_t_shutdown(void) {}",
       "static uint32_t nr_t_resolve(NrStr e) { (void)e; return NR_ENTRY_UNKNOWN; }",
       "static NrStatus nr_t_handle(NrStr e, uint64_t s, NrBytes p) { (void)e; (void)s; (void)p; return NR_STATUS_OK; }",
       "static void nr_t_release(void *c, const uint8_t *p, uint64_t n) { (void)c; (void)p; (void)n; }",
       "static void nr_t_drop(uint8_t *p, size_t n, size_t c) { (void)p; (void)n; (void)c; }",
       "static const NrPluginVTable nr_t_vt = {NULL, nr_t_handle, nr_t_shutdown, NULL, NULL, nr_t_resolve, NULL};",
       "const NrPluginVTable *nr_t_vtable(void) { return &nr_t_vt; }",
       "NrOwnedBytes nr_t_owned(void) { NrOwnedBytes b = {NULL, 0, NULL, nr_t_release}; return b; }",
       "NrVecU8 nr_t_vec(void) { NrVecU8 v = {NULL, 0, 0, 0, {0}, nr_t_drop}; return v; }"])


def test_c_header_matches_the_facts_page(abi2, tmp_path):
    """Every size and offset of abi-v2-facts.md, asserted by gcc against the generated header."""
    gcc = need_tool("gcc")
    write_all(tmp_path, files(abi2, "c"))
    (tmp_path / "facts.c").write_text('#include "nylon_ring.h"\n' + FACTS_C + "\n")
    ok([gcc, *CFLAGS, "-c", "facts.c", "-o", "facts.o"], tmp_path)
    # the check bites: one wrong offset is a compile error
    (tmp_path / "bad.c").write_text('#include "nylon_ring.h"\n' + FACTS_C.replace(
        "offsetof(NrPluginVTable, shutdown) == 16", "offsetof(NrPluginVTable, shutdown) == 24") + "\n")
    assert run([gcc, *CFLAGS, "-c", "bad.c", "-o", "bad.o"], tmp_path).returncode != 0


@pytest.mark.parametrize("std", ["c++17", "c++20"])
def test_cxx_header_and_helpers(abi2, tmp_path, std):
    gxx = need_tool("g++")
    write_all(tmp_path, files(abi2, "cpp"))
    (tmp_path / "t.cpp").write_text(r'''#include "nylon_ring.hpp"
#include <cstdio>
NR_DEFINE_LAYOUT_PROBE()
namespace nr = nylon_ring;
int main() {
    NrStr s = nr::make_str("hi");
    std::printf("%u %u %d %d %d %d\n", s.len, s.reserved, nr::to_status(5) == nr::Status::Panic,
                nr::to_status(6) == nr::Status::Backpressure, !nr::to_status(7), nr::kEntryUnknown == UINT32_MAX);
    return 0;
}
''')
    ok([gxx, f"-std={std}", *CXXFLAGS, "t.cpp", "-o", "t"], tmp_path)
    assert ok([str(tmp_path / "t")]).stdout == "2 0 1 1 1 1\n"


def test_c_compiles_with_zig_cc_on_64bit_targets(abi2, tmp_path):
    zig = need_zig()
    write_all(tmp_path, files(abi2, "c"))
    (tmp_path / "t.c").write_text('#include "nylon_ring.h"\nNR_DEFINE_LAYOUT_PROBE()\n')
    for target in ("x86_64-linux-gnu", "aarch64-linux-gnu", "x86_64-windows-gnu", "aarch64-macos"):
        ok([*zig, "cc", "-target", target, *CFLAGS, "-c", "t.c", "-o", f"{target}.o"], tmp_path)


@pytest.mark.parametrize("target", ["x86-linux-gnu", "arm-linux-gnueabihf"])
def test_c_refuses_32bit_targets(abi2, tmp_path, target):
    zig = need_zig()
    write_all(tmp_path, files(abi2, "c"))
    (tmp_path / "t.c").write_text('#include "nylon_ring.h"\n')
    proc = run([*zig, "cc", "-target", target, *CFLAGS, "-c", "t.c", "-o", "t.o"], tmp_path)
    assert proc.returncode != 0
    assert "nylon-ring ABI 2 requires a 64-bit target (sizeof(void *) == 8)" in proc.stderr


def test_c_states_and_enforces_c11(abi2, tmp_path):
    gcc = need_tool("gcc")
    write_all(tmp_path, files(abi2, "c"))
    (tmp_path / "t.c").write_text('#include "nylon_ring.h"\n')
    proc = run([gcc, "-std=c99", "-c", "t.c", "-o", "t.o"], tmp_path)
    assert proc.returncode != 0 and "nylon_ring.h requires C11 or later" in proc.stderr


def test_c_probe_export_reports_the_engine_table(abi2, tmp_path):
    gcc = need_tool("gcc")
    write_all(tmp_path, files(abi2, "c"))
    (tmp_path / "t.c").write_text('#include "nylon_ring.h"\nNR_DEFINE_LAYOUT_PROBE()\n')
    ok([gcc, *CFLAGS, "-shared", "-fPIC", "-fvisibility=hidden", "t.c", "-o", "libp.so"], tmp_path)
    assert probe_values(tmp_path / "libp.so", "nylon_ring_layout_probe_v2") == compute_layout(abi2).probe_values()


def probe_values(lib: Path, symbol: str) -> list[int]:
    """The table a library's layout probe export returns (version must be 1)."""
    fn = getattr(ctypes.CDLL(str(lib)), symbol)
    fn.restype = ctypes.c_void_p
    addr = fn()
    version, count = ctypes.c_uint32.from_address(addr).value, ctypes.c_uint32.from_address(addr + 4).value
    assert version == 1
    return list((ctypes.c_uint32 * count).from_address(ctypes.c_void_p.from_address(addr + 8).value))


# ---------------------------------------------------------------- Rust

RUST_TESTS = r'''
#[cfg(test)]
mod tests {
    use crate::nylon_ring_abi::*;

    #[test]
    fn abi2_values() {
        assert_eq!(NR_ENTRY_UNKNOWN, u32::MAX);
        assert_eq!(NR_ABI_VERSION, 2);
        assert_eq!(NrStatus::Panic.to_raw(), 5);
        assert_eq!(NrStatus::Backpressure.to_raw(), 6);
        assert_eq!(NrStatus::from_raw(7), None);
        let s = NrStr::new("hé");
        assert_eq!((s.len, s.reserved), (3, 0));
        assert_eq!(unsafe { s.as_str() }, Some("hé"));
        assert_eq!(NrStr::EMPTY.reserved, 0);
    }

    extern "C" fn shutdown() {}

    #[test]
    fn parameterless_slot() {
        let f: NrShutdownFn = shutdown;
        unsafe { f() };
    }
}
'''


@pytest.fixture(scope="module")
def rust_crate(abi2, tmp_path_factory):
    need_tool("cargo")
    root = tmp_path_factory.mktemp("rust_abi2") / "nr_abi2_check"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "nr_abi2_check"\nversion = "0.0.0"\nedition = "2021"\n'
                                     'publish = false\n\n[lib]\ncrate-type = ["cdylib", "rlib"]\npath = "src/lib.rs"\n')
    write_all(root / "src", files(abi2, "rust"))
    (root / "src" / "lib.rs").write_text("#![deny(warnings)]\npub mod nylon_ring_abi;\n"
                                         "nr_define_layout_probe!(crate::nylon_ring_abi);\n" + RUST_TESTS)
    return root


def cargo(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CARGO_TARGET_DIR": str(root.parent / "target"), "CARGO_TERM_COLOR": "never"}
    return run(["cargo", args[0], "--offline", *args[1:]], root, env)


def test_rust_builds_tests_and_probes(abi2, rust_crate):
    for args in (("build",), ("test",)):
        proc = cargo(rust_crate, *args)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    lib = rust_crate.parent / "target" / "debug" / "libnr_abi2_check.so"
    assert probe_values(lib, "nylon_ring_layout_probe_v2") == compute_layout(abi2).probe_values()


def test_rust_clippy_clean(rust_crate):
    need_clippy()
    proc = cargo(rust_crate, "clippy", "--", "-D", "warnings")
    assert proc.returncode == 0, proc.stderr


def test_rust_refuses_32bit_targets(abi2, tmp_path):
    """compile_error! on a 32-bit target, checked by rustc for i686 (needs that target's std)."""
    rustc = need_tool("rustc")
    need_rust_target("i686-unknown-linux-gnu")
    path = write_all(tmp_path, files(abi2, "rust")) / "nylon_ring_abi.rs"
    proc = run([rustc, "--edition", "2021", "--crate-type", "lib", "--target", "i686-unknown-linux-gnu",
                "--emit", "metadata", "-o", str(tmp_path / "x.rmeta"), str(path)])
    assert proc.returncode != 0
    assert "nylon-ring ABI 2 requires a 64-bit target (sizeof(void *) == 8)" in proc.stderr


# ---------------------------------------------------------------- Go

GO_CHECKS = '''package nylonring

// #include "nylon_ring_calls.h"
import "C"

import "math"

// Compile-time: ABI 2 values the facts page fixes.
func _() {
	var ok [1]struct{}
	_ = ok[EntryUnknown-math.MaxUint32]
	_ = ok[StatusPanic-5]
	_ = ok[StatusBackpressure-6]
}

// callShutdown calls a NULL void(void) slot through its trampoline (a no-op).
func callShutdown() { C.nr_call_NrShutdownFn(nil) }
'''
GO_TEST = '''package nylonring

import "testing"

func TestNullShutdownSlotIsANoOp(t *testing.T) { callShutdown() }
'''


def test_go_vet_and_test(abi2, tmp_path):
    go = need_tool("go")
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", GOWORK="off", CGO_ENABLED="1")
    pkg = write_all(tmp_path / "nylonring", {**files(abi2, "go"), "zz_checks.go": GO_CHECKS,
                                             "zz_checks_test.go": GO_TEST,
                                             "zz_strict.go": 'package nylonring\n\n// #cgo CFLAGS: -Wall -Wextra -Werror\nimport "C"\n'})
    (tmp_path / "go.mod").write_text("module nrtest\n\ngo 1.21\n")
    ok([go, "vet", "./..."], tmp_path, env)
    out = ok([go, "test", "-v", "./..."], tmp_path, env).stdout
    for name in ("TestLayoutProbeMatchesSchema", "TestStatusNames", "TestNullShutdownSlotIsANoOp"):
        assert f"--- PASS: {name}" in out, out
    assert pkg.is_dir()


# ---------------------------------------------------------------- Zig

ZIG_CHECK = '''const std = @import("std");
const nr = @import("nylon_ring.zig");

test "abi 2 values" {
    try std.testing.expectEqual(@as(u32, 0xFFFF_FFFF), nr.NR_ENTRY_UNKNOWN);
    try std.testing.expectEqual(@as(u32, 5), @intFromEnum(nr.NrStatus.panic));
    try std.testing.expectEqual(@as(u32, 6), @intFromEnum(nr.NrStatus.backpressure));
    const s = try nr.NrStr.fromSlice("hi");
    try std.testing.expectEqual(@as(u32, 0), s.reserved);
    try std.testing.expectEqualStrings("hi", s.slice().?);
    try std.testing.expectEqual(@as(usize, 56), @sizeOf(nr.NrPluginVTable));
}
'''


def test_zig_fmt_and_test(abi2, tmp_path):
    zig = need_zig()
    write_all(tmp_path, files(abi2, "zig"))
    (tmp_path / "check.zig").write_text(ZIG_CHECK)
    ok([*zig, "fmt", "--check", "nylon_ring.zig"], tmp_path)
    proc = ok([*zig, "test", "nylon_ring.zig"], tmp_path)
    count = files(abi2, "zig")["nylon_ring.zig"].count('\ntest "')
    assert count >= 4 and f"All {count} tests passed." in proc.stdout + proc.stderr
    ok([*zig, "test", "check.zig"], tmp_path)


def test_zig_refuses_32bit_targets(abi2, tmp_path):
    zig = need_zig()
    write_all(tmp_path, files(abi2, "zig"))
    proc = run([*zig, "build-obj", "-fno-emit-bin", "-target", "x86-linux-gnu", "nylon_ring.zig"], tmp_path)
    assert proc.returncode != 0
    assert "nylon-ring ABI 2 requires a 64-bit target (sizeof(void *) == 8)" in proc.stderr


# ---------------------------------------------------------------- Python


def load_module(text: str) -> dict:
    namespace: dict = {"__name__": "nylon_ring_abi2_test"}
    exec(compile(text, "nylon_ring_abi.py", "exec"), namespace)
    return namespace


def test_python_module(abi2):
    m = load_module(files(abi2, "python")["nylon_ring_abi.py"])
    assert sorted(m["LAYOUTS"]) == ["llp64", "lp64"]
    assert m["NR_ENTRY_UNKNOWN"] == 2**32 - 1 and m["NrStatus"].PANIC == 5 and m["NrStatus"].BACKPRESSURE == 6
    assert (m["ENTRY_SYMBOL"], m["LAYOUT_PROBE_SYMBOL"], m["MANIFEST_SYMBOL"], m["SET_HOST_EXT_SYMBOL"]) == (
        "nylon_ring_get_plugin", "nylon_ring_layout_probe_v2", "nylon_ring_manifest", None)
    for name, (size, fields) in FACTS.items():
        struct = m[name]
        assert ctypes.sizeof(struct) == size, name
        assert {f: getattr(struct, f).offset for f in fields} == fields, name
    assert m["NrShutdownFn"]._argtypes_ == () and m["NrShutdownFn"]._restype_ is None


def test_python_module_rejects_a_wrong_layout(abi2):
    text = files(abi2, "python")["nylon_ring_abi.py"].replace('"NrVecU8": (40, 8,', '"NrVecU8": (48, 8,')
    with pytest.raises(ImportError, match="NrVecU8 is 40 bytes"):
        load_module(text)
