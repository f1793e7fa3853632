"""Every committed generated file (goldens, the host's ctypes modules, the templates' bindings)
comes from one command, `python -m nylon_ring_sdk.committed`, and drift in any of them fails."""

from __future__ import annotations

import subprocess
import sys

from conftest import GOLDEN, ROOT

from nylon_ring_sdk import committed


def test_the_one_regeneration_command_finds_nothing_to_do():
    proc = subprocess.run([sys.executable, "-m", "nylon_ring_sdk.committed", "--check"], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


def test_it_keeps_every_golden_and_each_kind_of_committed_copy():
    files = committed.committed_files()
    on_disk = {p for p in GOLDEN.rglob("*") if p.is_file()}
    assert on_disk and on_disk <= set(files) and not committed.orphan_goldens(files)
    assert set(committed.HOST_MODULES.values()) <= set(files)
    assert any("templates" in p.parts for p in files)


def test_drift_in_any_one_file_is_reported_alone():
    files = committed.committed_files()
    for path in (GOLDEN / "c" / "nylon_ring.h", committed.HOST_MODULES[2]):
        drifted = {**files, path: files[path] + "// an edit by hand\n"}
        assert committed.stale_files(drifted) == [path]
