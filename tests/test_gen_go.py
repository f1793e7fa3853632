"""The Go bindings: goldens, gofmt, `go vet` + `go test` with C warnings as errors,
the 32-bit layout checks cross-compiled, checks that fail on drift, the probe export."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import assert_golden, need_tool, need_zig
from nylon_ring_sdk.errors import GenerationError
from nylon_ring_sdk.gen import generate
from nylon_ring_sdk.layout import compute_layout
from nylon_ring_sdk.schema import load_schema

AWKWARD = Path(__file__).parent / "fixtures" / "awkward.toml"
# Added to the package under test only: the C compiler's warnings fail the build.
STRICT = 'package nylonring\n\n// #cgo CFLAGS: -Wall -Wextra -Werror\nimport "C"\n'
PROBE_MAIN = '''package main

// #cgo CFLAGS: -I${SRCDIR}/nylonring -Wall -Wextra -Werror
// #include "nylon_ring_cgo.h"
import "C"

import "nrtest/nylonring"

//export nylon_ring_layout_probe_v1
func nylon_ring_layout_probe_v1() C.NrLayoutProbeConstPtr {
	return C.NrLayoutProbeConstPtr(nylonring.LayoutProbe())
}

func main() {}
'''
CROSS = {"386": "x86-linux-gnu", "arm": "arm-linux-gnueabihf"}
# No constants, no layout probe, a struct laid out alike on every target: one
# unconstrained layout.go, and none of the probe helpers.
MINIMAL = """
[abi]
name = "tiny"
version = 1
doc = "Smallest useful ABI."

[enums.TyCode]
repr = "i16"
doc = "A signed enum."
values = [{ name = "Low", value = -2, doc = "d" }, { name = "High", value = 3, doc = "d" }]

[structs.TyPair]
doc = "Same layout everywhere."
fields = [{ name = "a", type = "u32", doc = "d" }, { name = "code", type = "TyCode", doc = "d" }]

[functions.TyGet]
doc = "Entry."
returns = "TyPair"
params = [{ name = "type", type = "u8" }]

[exports.tiny_get_v1]
type = "TyGet"
required = true
doc = "Entry."
"""


def files_of(schema) -> dict[str, str]:
    return {f.path: f.content for f in generate(schema, "go")}


def schema_named(which: str, schema, tmp_path: Path):
    """The ABI, the awkward-names fixture, or MINIMAL."""
    if which == "abi":
        return schema
    if which == "awkward":
        return load_schema(AWKWARD)
    path = tmp_path / "minimal.toml"
    path.write_text(MINIMAL)
    return load_schema(path)


def go_env(**extra: str) -> dict[str, str]:
    """Offline, reproducible: no module downloads, no toolchain switch, no workspace."""
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", GOWORK="off",
               CGO_ENABLED="1")
    env.update(extra)
    return env


def go_module(root: Path, files: dict[str, str], strict: bool = True) -> Path:
    """A throwaway module `nrtest` holding the generated package in nylonring/."""
    pkg = root / "nylonring"
    pkg.mkdir(parents=True)
    (root / "go.mod").write_text("module nrtest\n\ngo 1.21\n")
    for name, content in files.items():
        (pkg / name).write_text(content)
    if strict:
        (pkg / "zz_strict_flags.go").write_text(STRICT)
    return root


def go(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([need_tool("go"), *args], cwd=root, env=env or go_env(), capture_output=True,
                          text=True, timeout=900)


def go_ok(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = go(root, *args, env=env)
    assert proc.returncode == 0, f"go {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def cross_env(goarch: str) -> dict[str, str]:
    zig = need_zig()
    return go_env(GOARCH=goarch, CC=f"{' '.join(zig)} cc -target {CROSS[goarch]}")


# ---------------------------------------------------------------- text


def test_file_set(schema):
    assert sorted(files_of(schema)) == sorted([
        "nylon_ring.h", "nylon_ring_cgo.h", "nylon_ring_calls.h", "nylonring.go",
        "layout_64.go", "layout_i386.go", "layout_32.go", "layout_test.go"])


@pytest.mark.parametrize("which", ["abi", "awkward"])
def test_golden(schema, which):
    files = files_of(schema if which == "abi" else load_schema(AWKWARD))
    prefix = "go/" if which == "abi" else "go/awkward/"
    for name, content in files.items():
        if name != "nylon_ring.h":  # the C generator's header: its golden is tests/golden/c
            assert_golden(prefix + name, content)


def test_header_is_the_c_generators(schema):
    assert files_of(schema)["nylon_ring.h"] == generate(schema, "c")[0].content


def test_every_file_opens_with_the_banner(schema):
    for name, content in files_of(schema).items():
        first = content.splitlines()[0]
        assert "Generated from schema/abi.toml" in first and "do not edit" in first, name
        assert first.startswith("//" if name.endswith(".go") else "/*"), name


def test_names_follow_go_conventions(schema):
    text = files_of(schema)["nylonring.go"]
    for name in ("ABIVersion uint32 = 1", "LayoutProbeVersion uint32 = 1", "type Status uint32",
                 "StatusStreamEnd Status = 4", "func LayoutProbe() unsafe.Pointer"):
        assert name in text


def test_expected_tables_are_the_layout_engines(schema):
    """The numbers each layout file checks are the layout engine's, per data model."""
    files = files_of(schema)
    for name, model in (("layout_64.go", "lp64"), ("layout_i386.go", "ilp32-i386"), ("layout_32.go", "ilp32")):
        table = re.search(r"var expectedLayout = \[\]uint32\{\n(.*?)\n\}", files[name], re.S).group(1)
        numbers = [int(n) for line in table.splitlines() for n in line.split("//")[0].split(",") if n.strip()]
        assert numbers == compute_layout(schema, model).probe_values(), name


def test_go_name_collision_is_a_clear_error(tmp_path):
    """Two schema names that become one Go name: refused, naming both, not a broken package."""
    path = tmp_path / "clash.toml"
    path.write_text(
        '[abi]\nname = "nylon_ring"\nversion = 1\ndoc = "d"\n'
        '[constants.NR_STATUS]\ntype = "u32"\nvalue = 1\ndoc = "d"\n'
        '[enums.NrStatus]\nrepr = "u32"\ndoc = "d"\nvalues = [{ name = "Ok", value = 0, doc = "d" }]\n'
        '[functions.Get]\nreturns = "void"\nparams = []\ndoc = "d"\n'
        '[exports.get_v1]\ntype = "Get"\nrequired = true\ndoc = "d"\n')
    with pytest.raises(GenerationError, match=r"enums\.NrStatus: Go name 'Status' is already used by constants\.NR_STATUS"):
        generate(load_schema(path), "go")


def test_gofmt_clean(schema, tmp_path):
    gofmt = need_tool("gofmt")
    for which, sch in (("abi", schema), ("awkward", load_schema(AWKWARD))):
        folder = tmp_path / which
        folder.mkdir()
        for name, content in files_of(sch).items():
            (folder / name).write_text(content)
        proc = subprocess.run([gofmt, "-l", str(folder)], capture_output=True, text=True)
        assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


# ---------------------------------------------------------------- compiled


@pytest.mark.parametrize("which", ["abi", "awkward", "minimal"])
def test_vet_and_test(schema, tmp_path, which):
    """Native (LP64): C warnings are errors; the package's own tests compare the C
    compiler's probe table with the schema's and round-trip every enum name."""
    files = files_of(schema_named(which, schema, tmp_path))
    root = go_module(tmp_path / "mod", files)
    go_ok(root, "vet", "./...")
    out = go_ok(root, "test", "-count=1", "-v", "./...")
    expected = {"abi": ["TestStatusNames", "TestLayoutProbeMatchesSchema", "TestLayoutProbeIsStatic"],
                "awkward": ["TestKindNames"], "minimal": ["TestTyCodeNames"]}[which]
    for name in expected:
        assert f"--- PASS: {name}" in out, out
    if which == "minimal":
        assert "layout.go" in files and "//go:build" not in files["layout.go"]
        assert "LayoutProbe" not in files["nylonring.go"]


@pytest.mark.parametrize("goarch", sorted(CROSS))
@pytest.mark.parametrize("which", ["abi", "awkward"])
def test_cross_32bit(schema, tmp_path, goarch, which):
    """layout_i386.go and layout_32.go compile (and so hold) on their own targets."""
    root = go_module(tmp_path, files_of(schema if which == "abi" else load_schema(AWKWARD)), strict=False)
    go_ok(root, "vet", "./...", env=cross_env(goarch))


@pytest.mark.parametrize("mutation", [
    ("layout_64.go", "Sizeof(s3)-72]", "Sizeof(s3)-48]"),            # NrRequest: the guide's wrong size
    ("layout_64.go", "Offsetof(s6.handle_raw)-16]", "Offsetof(s6.handle_raw)-24]"),
    ("nylonring.go", "StatusStreamEnd Status = 4", "StatusStreamEnd Status = 5"),
])
def test_checks_fail_on_drift(schema, tmp_path, mutation):
    """A wrong number in the Go checks stops the build: the checks can fail."""
    name, old, new = mutation
    files = files_of(schema)
    assert old in files[name]
    files[name] = files[name].replace(old, new)
    proc = go(go_module(tmp_path, files), "vet", "./nylonring")
    assert proc.returncode != 0
    assert name in proc.stderr and ("out of bounds" in proc.stderr or "overflows" in proc.stderr), proc.stderr


def test_checks_fail_on_drift_32bit(schema, tmp_path):
    files = files_of(schema)
    files["layout_i386.go"] = files["layout_i386.go"].replace("Sizeof(s3)-44]", "Sizeof(s3)-72]")
    proc = go(go_module(tmp_path, files, strict=False), "vet", "./nylonring", env=cross_env("386"))
    assert proc.returncode != 0 and "layout_i386.go" in proc.stderr, proc.stderr


def test_layout_probe_export(schema, tmp_path):
    """A c-shared library exporting the probe through the package: the exact-type export
    compiles against nylon_ring.h's prototype (C warnings are errors), and a host reads
    the schema's table from it (in a child process: one Go runtime per process here)."""
    root = go_module(tmp_path, files_of(schema))
    (root / "main.go").write_text(PROBE_MAIN)
    lib = root / "libprobe.so"
    go_ok(root, "build", "-buildmode=c-shared", "-o", str(lib), ".")
    script = (
        "import ctypes, sys, json\n"
        "from nylon_ring_sdk.host.nylon_ring_abi import NrLayoutProbe\n"
        "fn = ctypes.CDLL(sys.argv[1]).nylon_ring_layout_probe_v1\n"
        "fn.restype = ctypes.POINTER(NrLayoutProbe)\n"
        "p = fn().contents\n"
        "print(json.dumps([p.probe_version, list((ctypes.c_uint32 * p.count).from_address(p.values))]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(lib)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    version, values = json.loads(proc.stdout)
    assert version == 1
    assert values == compute_layout(schema, "lp64").probe_values()
