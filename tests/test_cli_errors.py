"""The CLI as a new user meets it: filesystem and usage trouble is one line naming the
path (or option) and what was expected, with README's exit codes, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SYSFS = Path("/sys/nylon-ring-cli-test")  # refuses new entries even to root, like a read-only mount


def nylon_ring(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nylon_ring_sdk", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def one_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_new_into_a_file_or_below_one_is_one_line_error(tmp_path):
    regular = tmp_path / "notes.txt"
    regular.write_text("a file\n")
    proc = nylon_ring("new", "--lang", "c", "demo", "--dir", str(regular))
    assert proc.returncode == 1
    assert one_line(proc) == f"error: --dir {regular}: is a file (expected a folder)"
    below = regular / "sub"
    proc = nylon_ring("new", "--lang", "c", "demo", "--dir", str(below))
    assert proc.returncode == 1
    assert one_line(proc) == f"error: --dir {below}: {regular} is a file (expected a folder)"
    assert regular.read_text() == "a file\n"


def test_new_where_nothing_can_be_created_is_one_line_error():
    proc = nylon_ring("new", "--lang", "c", "demo", "--dir", str(SYSFS))
    assert proc.returncode == 1
    line = one_line(proc)
    assert line.startswith(f"error: --dir {SYSFS}: cannot create a project here (") and \
        line.endswith("expected a writable folder)")


def test_layout_header_that_is_not_utf8_or_is_a_folder(tmp_path):
    bad = tmp_path / "latin1.h"
    bad.write_bytes(b"/* caf\xe9 */\n")
    proc = nylon_ring("layout", "--header", str(bad))
    assert proc.returncode == 1
    assert one_line(proc) == (f"error: {bad}: not UTF-8 text (byte offset 6: invalid continuation byte; "
                              "expected a C header in UTF-8)")
    proc = nylon_ring("layout", "--header", str(tmp_path))
    assert proc.returncode == 1
    assert one_line(proc) == f"error: {tmp_path}: is a directory (expected a C header file)"


def test_conformance_on_a_directory_says_so(tmp_path):
    proc = nylon_ring("conformance", str(tmp_path), "-q")
    assert proc.returncode == 2
    assert one_line(proc).startswith(f"error: {tmp_path}: is a directory (expected a plugin shared library")


def test_report_into_a_missing_folder_is_refused_before_the_run_and_creates_nothing(tmp_path):
    plugin = tmp_path / "libnothing.so"  # never opened: the report path is checked first
    for option in ("--json", "--junit"):
        report = tmp_path / "missing" / "deeper" / "r.out"
        proc = nylon_ring("conformance", str(plugin), "-q", option, str(report))
        assert proc.returncode == 2
        assert one_line(proc) == (f"error: {option} {report}: no folder {report.parent} "
                                  "(expected an existing folder; it is not created)")
        assert not (tmp_path / "missing").exists()


def test_click_usage_errors_are_one_line_with_exit_code_2():
    """README: 2 is a usage error (unknown option or value, missing argument), on the typer commands too."""
    cases = {
        ("new", "--bogus"): "error: nylon-ring new: No such option: --bogus (see `nylon-ring new --help`)",
        ("bogus",): "error: nylon-ring: No such command 'bogus' (see `nylon-ring --help`)",
        ("call",): "error: nylon-ring call: Missing argument 'plugin' (see `nylon-ring call --help`)",
    }
    for args, message in cases.items():
        proc = nylon_ring(*args)
        assert proc.returncode == 2, args
        assert one_line(proc) == message


def test_readme_states_the_exit_codes_the_cli_uses():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Exit codes: 0 success; 1 an error in the input" in readme
    assert "2 a usage error (an\nunknown option or value, a missing argument)" in readme


def test_version():
    from nylon_ring_sdk import __version__

    proc = nylon_ring("--version")
    assert proc.returncode == 0 and proc.stdout == f"nylon-ring {__version__}\n"


def test_a_broken_command_module_is_an_error_not_a_missing_command(tmp_path):
    """A command module that cannot import stops the CLI with that ImportError; the command
    does not silently vanish from --help."""
    copy = tmp_path / "nylon_ring_sdk"
    shutil.copytree(ROOT / "nylon_ring_sdk", copy, ignore=shutil.ignore_patterns("__pycache__"))
    bench = copy / "cli" / "bench.py"
    bench.write_text(bench.read_text(encoding="utf-8") + "\nimport nylon_ring_missing_dependency  # noqa: E402,F401\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = nylon_ring("--help", env=env, cwd=tmp_path)
    assert proc.returncode != 0
    assert "ModuleNotFoundError: No module named 'nylon_ring_missing_dependency'" in proc.stderr
    intact = nylon_ring("--help", cwd=ROOT)
    assert intact.returncode == 0 and "bench" in intact.stdout


def test_a_folder_or_a_non_utf8_file_where_a_file_is_expected(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b"# caf\xe9\n")
    plugin = tmp_path / "libplugin.so"
    plugin.write_bytes(b"")
    cases = [
        (("gen-bindings", "--schema", str(folder), "--out", str(tmp_path / "out")), 1,
         f"error: {folder}: is a directory (expected a schema TOML file)"),
        (("conformance", str(plugin), "-q", "--manifest", str(folder)), 2,
         f"error: {folder}: is a directory (expected a nylon-ring.toml manifest file)"),
        (("conformance", str(plugin), "-q", "--manifest", str(latin1)), 2,
         f"error: {latin1}: not UTF-8 text (byte offset 5: invalid continuation byte; "
         "expected a nylon-ring.toml manifest in UTF-8)"),
        (("build", str(latin1)), 1, f"error: {latin1}: is a file (expected a plugin project folder)"),
    ]
    for args, code, message in cases:
        proc = nylon_ring(*args)
        assert proc.returncode == code, (args, proc.stderr)
        assert one_line(proc) == message
    assert not (tmp_path / "out").exists()
