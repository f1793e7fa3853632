"""README's first command: scaffold a C plugin, build it with zig cc, run conformance."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import need_tool, need_zig


def test_quickstart_end_to_end_and_rerun(tmp_path):
    need_zig()
    need_tool("make")
    cmd = [sys.executable, "-m", "nylon_ring_sdk", "quickstart", "--dir", str(tmp_path / "qs")]
    # As a user runs it: the probes must be armed by conformance itself (the worker sets the
    # variable before init), not by this test session's environment.
    env = {k: v for k, v in os.environ.items() if k != "NYLON_RING_ENABLE_PROBES"}
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "1/3 scaffolded a c plugin" in first.stdout
    assert "with zig cc" in first.stdout
    summary = re.search(r"(\d+) checks: (\d+) passed, 0 failed", first.stdout)
    assert summary and summary.group(1) == summary.group(2), first.stdout[-2000:]
    assert re.search(r"PASS\s+panic\.probe", first.stdout), first.stdout[-3000:]
    notes = tmp_path / "qs" / "hello-plugin" / "NOTES.md"
    notes.write_text("mine\n")
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    assert second.returncode == 0
    assert "1/3 using the existing project" in second.stdout
    assert notes.read_text() == "mine\n"
