"""The C++ template's ABI 2 layer: `nylon-ring new --lang cpp --abi 2`, built debug and
release, driven by a strict sanitized C host (tests/native/abi2_host.c) and by the
released Rust host nylon-ring-host 0.2.2 (tests/interop_host.py) through every call
kind, with the embedded manifest and the CI workflow checked against the project.

The ABI 1 layer keeps its own tests (test_template_cpp.py and the shared matrix).
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import need_tool
from template_matrix import EXTRA, keep_copy

NAME = "demo-cpp2"
DRIVER = Path(__file__).parent / "native" / "abi2_host.c"
SANITIZE = ["-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
ABI2_ENTRIES = {"hello": "unary", "echo": "unary", "echo_async": "unary", "echo_owned": "unary",
                "echo_lease": "unary", "count": "stream", "chat": "bidi", EXTRA: "unary"}


def run(cmd: list[str], cwd: Path | None = None, timeout: float = 900, env: dict | None = None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    need_tool("make")
    from nylon_ring_sdk.scaffold import new_project

    return new_project("cpp", NAME, tmp_path_factory.mktemp("cpp-abi2"), entries=[EXTRA], abi=2)


@pytest.fixture(scope="module")
def builds(project) -> dict[str, Path]:
    """The project's debug and release libraries (`nylon-ring build`, `--release`), each copied under its own name."""
    from nylon_ring_sdk.scaffold import build_project

    return {mode: keep_copy(project, build_project(project, release=mode == "release"), mode)
            for mode in ("debug", "release")}


@pytest.fixture(scope="module")
def strict_host(project, tmp_path_factory) -> Path:
    """tests/native/abi2_host.c, built with ASan and UBSan against the project's bindings."""
    cc = need_tool("gcc")
    exe = tmp_path_factory.mktemp("abi2-host") / "abi2_host"
    proc = run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", *SANITIZE, "-pthread",
                f"-I{project / 'include'}", str(DRIVER), "-o", str(exe), "-ldl"])
    assert proc.returncode == 0, proc.stderr
    return exe


# ---------------------------------------------------------------- the project


def test_only_the_abi2_layer_is_kept(project):
    sdk = sorted(p.name for p in (project / "sdk").iterdir())
    assert sdk == ["nr_abi2.hpp", "nr_core.hpp", "nr_plugin.hpp"]
    assert '#include "nr_abi2.hpp"' in (project / "sdk" / "nr_plugin.hpp").read_text()


def test_bindings_are_abi2(project):
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default

    for f in generate(load_default(2), "cpp"):
        assert (project / "include" / f.path).read_text() == f.content, f.path


def test_warning_free_with_gcc_and_zig(project, tmp_path):
    """-Wall -Wextra -pedantic -Werror with g++ (C++17 and C++20) and zig c++."""
    from conftest import need_zig

    need_tool("g++")
    for tag, cxx, flags in (("gxx17", "g++", "-Werror"), ("gxx20", "g++", "-std=c++20 -Werror"),
                            ("zig", " ".join([*need_zig(), "c++"]), "-Werror")):
        proc = run(["make", "-B", f"BUILD={tmp_path / tag}", f"CXX={cxx}", f"CXXFLAGS={flags}"], cwd=project)
        assert proc.returncode == 0, tag + "\n" + proc.stdout + proc.stderr
        assert "warning" not in proc.stderr, tag + "\n" + proc.stderr


def test_exports_and_layout_probe(builds):
    from nylon_ring_sdk.layout import compute_layout
    from nylon_ring_sdk.schema import load_default

    lib = ctypes.CDLL(str(builds["debug"]))
    assert hasattr(lib, "nylon_ring_get_plugin") and not hasattr(lib, "nylon_ring_get_plugin_v1")
    lib.nylon_ring_get_plugin.restype = ctypes.POINTER(ctypes.c_uint32 * 2)
    info = lib.nylon_ring_get_plugin().contents
    assert (info[0], info[1]) == (2, 56)  # abi_version, struct_size
    class Probe(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("count", ctypes.c_uint32), ("values", ctypes.POINTER(ctypes.c_uint32))]

    lib.nylon_ring_layout_probe_v2.restype = ctypes.POINTER(Probe)
    probe = lib.nylon_ring_layout_probe_v2().contents
    version, values = probe.version, probe.values[:probe.count]
    assert (version, values) == (1, list(compute_layout(load_default(2), "lp64").probe_values()))


def embedded_manifest(library: Path) -> dict:
    lib = ctypes.CDLL(str(library))
    lib.nylon_ring_manifest.restype = ctypes.c_char_p
    return tomllib.loads(lib.nylon_ring_manifest().decode())


def test_embedded_manifest_declares_what_the_file_does(project, builds, tmp_path):
    """The manifest the library writes from its route table matches nylon-ring.toml, and the
    conformance manifest loader accepts it."""
    from nylon_ring_sdk.conformance.manifest import load_manifest

    embedded = embedded_manifest(builds["release"])
    written = tomllib.loads((project / "nylon-ring.toml").read_text())
    assert embedded["plugin"] == written["plugin"] == {"name": NAME, "unknown_entry": "unsupported"}
    assert embedded["entries"] == written["entries"]
    assert embedded["panic_probes"] == written["panic_probes"]
    assert {e["name"]: e["mode"] for e in embedded["entries"]} == ABI2_ENTRIES
    copy = tmp_path / "embedded.toml"
    lib = ctypes.CDLL(str(builds["debug"]))
    lib.nylon_ring_manifest.restype = ctypes.c_char_p
    embedded_text = lib.nylon_ring_manifest().decode()
    copy.write_text(embedded_text)
    manifest = load_manifest(copy)
    assert [p.name for p in manifest.panic_probes] == ["panic", "panic_async"]


# ---------------------------------------------------------------- the strict sanitized host


def test_strict_sanitized_host(project, strict_host, tmp_path):
    """ASan+UBSan on both sides: every check of tests/native/abi2_host.c holds (exactly once,
    owned release, leases and their fallback, Backpressure waited out, bad input, integer
    dispatch, inert and enabled probes, 12000 concurrent echo_async calls, shutdown in flight)."""
    build = tmp_path / "sanitized"
    proc = run(["make", "-B", f"BUILD={build}", f"CXXFLAGS=-Werror {' '.join(SANITIZE)}",
                "LDFLAGS=-fsanitize=address,undefined"], cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run([str(strict_host), str(next(build.glob("lib*.so")))], timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert proc.stdout.startswith("ok ") and "FAIL" not in proc.stdout


def test_strict_host_on_the_release_build(builds, strict_host):
    proc = run([str(strict_host), str(builds["release"])], timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert proc.stdout.startswith("ok ")


# ---------------------------------------------------------------- the released host 0.2.2


def answers(results: list[dict]) -> list[tuple]:
    out = []
    for r in results:
        if not r["ok"]:
            out.append(("failed", r.get("error_kind"), r.get("status")))
        elif "frames" in r:
            out.append(tuple((f["status"], f["hex"]) for f in r["frames"]))
        else:
            out.append((r["status"], r.get("hex")))
    return out


def hexed(text: str) -> str:
    return text.encode().hex()


@pytest.mark.parametrize("mode", ["debug", "release"])
def test_released_host_every_call_kind(builds, mode):
    from interop_host import drive

    count = tuple((0, hexed(str(i))) for i in range(200)) + ((4, ""),)
    results = drive(builds[mode], [
        {"op": "unary", "entry": "hello", "payload": "world"},
        {"op": "unary", "entry": "echo", "payload": {"hex": "00ff0a41"}},
        {"op": "fast", "entry": "echo", "payload": "fast"},
        {"op": "unary", "entry": "echo_async", "payload": "later"},
        {"op": "bytes", "entry": "echo_owned", "payload": "owned"},
        {"op": "unary", "entry": "echo_owned", "payload": "owned 2"},
        {"op": "unary", "entry": "echo_lease", "payload": "leased"},
        {"op": "fast", "entry": "echo_lease", "payload": "leased fast"},
        {"op": "call", "entry": "echo", "payload": "fire and forget"},
        {"op": "stream", "entry": "count", "payload": "3"},
        {"op": "stream", "entry": "count", "payload": "200"},  # more than the host's queue of 64
        {"op": "stream", "entry": "count", "payload": "many"},
        {"op": "bidi", "entry": "chat", "send": ["one", {"hex": "0001"}, ""]},
        {"op": "by_id", "entry": "echo", "payload": "by id"},
        {"op": "by_id", "entry": "echo_async", "payload": "by id later"},
        {"op": "by_id", "entry": "count", "payload": "2", "call": "stream"},
        {"op": "unary", "entry": EXTRA, "payload": ""},
        {"op": "unary", "entry": "no_such_entry", "payload": ""},
        {"op": "unary", "entry": "panic", "payload": ""},
        {"op": "unary", "entry": "panic_async", "payload": ""},
    ], env={"NYLON_RING_ENABLE_PROBES": "1"})
    panic = hexed("panic probe: the handler threw on purpose")
    assert answers(results) == [
        (0, hexed("hello, world")), (0, "00ff0a41"), (0, hexed("fast")), (0, hexed("later")),
        (0, hexed("owned")), (0, hexed("owned 2")), (0, hexed("leased")), (0, hexed("leased fast")),
        (0, None),
        ((0, "30"), (0, "31"), (0, "32"), (4, "")), count, ("failed", "PluginHandleFailed", 2),
        ((0, hexed("one")), (0, "0001"), (0, ""), (4, "")),
        (0, hexed("by id")), (0, hexed("by id later")), ((0, "30"), (0, "31"), (4, "")),
        (0, hexed(EXTRA)), ("failed", "PluginHandleFailed", 3), (5, panic), (5, panic),
    ]
    assert results[4]["foreign"] is True  # call_response_bytes got the plugin's own buffer
    assert results[12]["sent"] == [0, 0, 0, {"close": 0}]


def test_released_host_probes_are_inert_without_the_variable(builds):
    from interop_host import drive

    results = drive(builds["release"], [{"op": "unary", "entry": "panic"}, {"op": "unary", "entry": "panic_async"},
                                        {"op": "unary", "entry": "echo", "payload": "x"}],
                    env={"NYLON_RING_ENABLE_PROBES": "0"})
    assert answers(results) == [("failed", "PluginHandleFailed", 3), ("failed", "PluginHandleFailed", 3),
                                (0, hexed("x"))]


# ---------------------------------------------------------------- the CI workflow


def test_ci_workflow_pins_the_tool_and_checks_the_one_release_artifact(project, tmp_path):
    """Valid YAML; the pinned version is the generating tool's; its bindings check and its
    release build run here as written (the conformance step needs the ABI 2 reference host)."""
    import yaml

    import nylon_ring_sdk

    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    assert workflow["env"]["NYLON_RING_SDK_VERSION"] == nylon_ring_sdk.__version__
    steps = workflow["jobs"]["plugin"]["steps"]
    runs = {s["name"]: s["run"] for s in steps if "run" in s}
    assert runs["Install nylon-ring-sdk"] == 'pip install "nylon-ring-sdk==$NYLON_RING_SDK_VERSION"'
    assert sum("nylon-ring build" in r for r in runs.values()) == 1 and "--release" in runs["Build (release, once)"]
    assert 'nylon-ring conformance "$PLUGIN_LIB"' in runs["Conformance (the built library, its embedded manifest)"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"].split() == ["artifact/", "report.xml"]

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nylon-ring").write_text(f"#!/bin/sh\nexec {sys.executable} -m nylon_ring_sdk \"$@\"\n")
    (bin_dir / "nylon-ring").chmod(0o755)
    env_file, temp = tmp_path / "github_env", tmp_path / "runner_temp"
    temp.mkdir()
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "GITHUB_ENV": str(env_file), "RUNNER_TEMP": str(temp),
           "PYTHONPATH": str(Path(nylon_ring_sdk.__file__).resolve().parent.parent)}
    for name in ("Bindings are current", "Build (release, once)"):
        proc = run(["bash", "-e", "-c", runs[name]], cwd=project, env=env)
        assert proc.returncode == 0, name + "\n" + proc.stdout + proc.stderr
    lib = Path(env_file.read_text().strip().split("=", 1)[1])
    assert lib.parent == temp / "plugin" and lib.read_bytes() == (project / "artifact" / lib.name).read_bytes()
    assert embedded_manifest(lib)["plugin"]["name"] == NAME


# ---------------------------------------------------------------- the reference host's conformance suite


@pytest.mark.parametrize("mode", ["debug", "release"])
def test_conformance_has_no_failure(builds, mode, tmp_path):
    """The ABI 2 catalogue on each build, driven by the manifest the library embeds: every check
    passes (conformance sets NYLON_RING_ENABLE_PROBES=1 for its workers, so the panic probes answer)."""
    import json

    report = tmp_path / "report.json"
    proc = run([sys.executable, "-m", "nylon_ring_sdk", "conformance", str(builds[mode]), "--json", str(report)])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "embedded manifest (embedded in the plugin (nylon_ring_manifest)" in proc.stdout
    checks = json.loads(report.read_text())["checks"]
    assert [(c["id"], c["status"]) for c in checks if c["status"] != "pass"] == []
