"""The Rust module: golden, compiled by cargo with warnings as errors, unit-tested, probed.

One throwaway crate holds the ABI module and the awkward-names module; it is built
once per test module (`cargo build`, `cargo test`, `cargo clippy` when installed) and
its cdylib is loaded with ctypes to read the layout probe the compiler produced.
"""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import assert_golden, need_clippy, need_rust_target, need_tool
from nylon_ring_sdk.gen import generate
from nylon_ring_sdk.layout import compute_layout
from nylon_ring_sdk.schema import load_default, load_schema

AWKWARD = Path(__file__).parent / "fixtures" / "awkward.toml"
CRATE = "nr_gen_check"
CARGO_TOML = f"""[package]
name = "{CRATE}"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]
path = "src/lib.rs"
"""


def module(schema) -> str:
    files = generate(schema, "rust")
    assert [f.path for f in files] == ["nylon_ring_abi.rs"]
    return files[0].content


def unit_tests(schema) -> str:
    """Rust unit tests; expected numbers come from the schema and the layout engine."""
    status = schema.status_enum
    status_checks = "\n".join(f"        assert_eq!(NrStatus::{v.name}.to_raw(), {v.value});" for v in status.values)
    bad = next(n for n in range(256) if n not in {v.value for v in status.values})
    probe = ", ".join(str(v) for v in compute_layout(schema, "lp64").probe_values())
    return (Path(__file__).parent / "fixtures" / "rust_abi_tests.rs").read_text().replace(
        "/*STATUS_VALUES*/", status_checks).replace("/*BAD_STATUS*/", str(bad)).replace("/*PROBE_VALUES*/", probe)


def cargo(args: list[str], crate: Path, target_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CARGO_TARGET_DIR": str(target_dir), "CARGO_TERM_COLOR": "never"}
    return subprocess.run(["cargo", args[0], "--offline", *args[1:]], cwd=crate, env=env, capture_output=True, text=True)


def write_crate(root: Path, abi: str, awkward: str, tests: str) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "Cargo.toml").write_text(CARGO_TOML)
    (root / "src" / "nylon_ring_abi.rs").write_text(abi)
    (root / "src" / "awkward.rs").write_text(awkward)
    (root / "src" / "lib.rs").write_text(
        "#![deny(warnings)]\npub mod nylon_ring_abi;\npub mod awkward;\n"
        "nr_define_layout_probe!(crate::nylon_ring_abi);\n\n" + tests)
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The throwaway crate, after `cargo build` and `cargo test` (outputs kept for the tests)."""
    need_tool("cargo")
    schema = load_default()
    root = write_crate(tmp_path_factory.mktemp("rust_gen") / CRATE, module(schema),
                       module(load_schema(AWKWARD)), unit_tests(schema))
    target = root.parent / "target"
    build = cargo(["build"], root, target)
    test = cargo(["test"], root, target) if build.returncode == 0 else build
    return {"root": root, "target": target, "build": build, "test": test}


def test_golden(schema):
    assert_golden("rust/nylon_ring_abi.rs", module(schema))


def test_golden_awkward():
    assert_golden("rust/awkward.rs", module(load_schema(AWKWARD)))


def test_banner_first_line(schema):
    first = module(schema).splitlines()[0]
    assert first.startswith("// Generated from schema/abi.toml (schema sha256 ") and "do not edit" in first


def test_enums_never_cross_the_abi_as_rust_enums(schema):
    """Foreign values arrive as the integer alias: every fn type and field uses NrStatusRaw."""
    text = module(schema)
    fn_types = re.findall(r'^pub type \w+ =\s*unsafe extern "C" fn\(.*?;$', text, flags=re.M | re.S)
    assert len(fn_types) == len(schema.functions)
    assert not [t for t in fn_types if re.search(r"\bNrStatus\b", t)]
    assert "status: NrStatusRaw" in text and ") -> NrStatusRaw;" in text


def test_nullable_slots_are_options(schema):
    text = module(schema)
    assert "pub handle_raw: ::core::option::Option<NrHandleRawFn>," in text
    assert "unsafe impl Sync for NrPluginInfo {}" in text


def test_compiles_with_warnings_as_errors(built):
    assert built["build"].returncode == 0, built["build"].stderr


def test_unit_tests_round_trip_values(built):
    out = built["test"].stdout + built["test"].stderr
    assert built["test"].returncode == 0, out
    for name in ("str_round_trip", "str_checks_utf8_and_null", "bytes_round_trip", "status_conversion",
                 "foreign_out_of_range_status_is_a_plain_integer", "request_build_and_headers",
                 "probe_statics_match_the_engine", "statics_can_hold_plugin_info", "awkward_types"):
        assert re.search(rf"test tests::{name} \.\.\. ok", out), f"{name} did not pass:\n{out}"


def test_clippy_clean(built):
    need_clippy()
    proc = cargo(["clippy", "--", "-D", "warnings"], built["root"], built["target"])
    assert proc.returncode == 0, proc.stderr


def test_layout_probe_export_reports_the_engine_table(built, schema):
    assert built["build"].returncode == 0, built["build"].stderr
    dll = ctypes.CDLL(str(built["target"] / "debug" / f"lib{CRATE}.so"))
    fn = dll.nylon_ring_layout_probe_v1
    fn.restype = ctypes.c_void_p
    addr = fn()
    version, count = ctypes.c_uint32.from_address(addr).value, ctypes.c_uint32.from_address(addr + 4).value
    values = list((ctypes.c_uint32 * count).from_address(ctypes.c_void_p.from_address(addr + 8).value))
    assert version == 1
    assert values == compute_layout(schema, "lp64").probe_values()


def test_a_wrong_number_fails_to_compile(schema, tmp_path):
    """The asserts bite: shift one offset in the 64-bit block."""
    need_tool("cargo")
    offset = compute_layout(schema, "lp64")["NrRequest"].field("headers_len").offset
    text = module(schema)
    needle = f"offset_of!(NrRequest, headers_len) == {offset},"
    head, tail = text.split("// LP64/LLP64", 1)
    assert needle in tail
    broken = head + "// LP64/LLP64" + tail.replace(needle, f"offset_of!(NrRequest, headers_len) == {offset + 4},", 1)
    root = write_crate(tmp_path / CRATE, broken, module(load_schema(AWKWARD)), "")
    proc = cargo(["check"], root, tmp_path / "target")
    assert proc.returncode != 0 and "NrRequest.headers_len offset" in proc.stderr


def test_i686_cross_check(schema, tmp_path):
    """The i386 assert block, checked by rustc for i686 when that target's std is installed."""
    need_tool("cargo")
    need_rust_target("i686-unknown-linux-gnu")
    root = write_crate(tmp_path / CRATE, module(schema), module(load_schema(AWKWARD)), "")
    proc = cargo(["check", "--target", "i686-unknown-linux-gnu"], root, tmp_path / "target")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("which", ["abi1", "abi2", "awkward"])
def test_rustfmt_clean(tmp_path, which):
    """The module is emitted formatted: `rustfmt --check` (what `cargo fmt --check` runs) changes nothing."""
    rustfmt = need_tool("rustfmt")
    schema = {"abi1": lambda: load_default(1), "abi2": lambda: load_default(2), "awkward": lambda: load_schema(AWKWARD)}[which]()
    path = tmp_path / "nylon_ring_abi.rs"
    path.write_text(module(schema))
    proc = subprocess.run([rustfmt, "--edition", "2021", "--check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, f"not rustfmt clean:\n{proc.stdout[:4000]}{proc.stderr}"
