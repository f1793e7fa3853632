"""Rules the test suite holds itself to.

- A test that cannot run here says so through `conftest.missing` (which need_tool,
  need_zig, need_clippy and need_rust_target call): a skip, or a failure under
  NYLON_RING_REQUIRE_TOOLCHAINS=1, so CI never passes with work silently left out.
- The tool is run as `sys.executable -m nylon_ring_sdk`, never as a `nylon-ring` found on
  PATH, which may be another install or missing when the virtualenv is not activated.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SOURCES = sorted(p for p in TESTS.glob("*.py") if p.name != Path(__file__).name)
SKIPS = re.compile(r"pytest\.skip\(|pytest\.mark\.skip|\bskipif\b|importorskip|pytest\.xfail|mark\.xfail")
# a call whose argv list starts with the script's name, or a look-up of the script on PATH
BARE_SCRIPT = re.compile(r"""\(\s*\[\s*["']nylon-ring["']|which\(\s*["']nylon-ring["']""")


def _hits(pattern: re.Pattern[str]) -> list[str]:
    """`file:line: text` of each match (a match may span lines: it is reported at its start)."""
    found = []
    for path in SOURCES:
        text = path.read_text()
        for match in pattern.finditer(text):
            number = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.name}:{number}: {text.splitlines()[number - 1].strip()}")
    return found


def test_every_skip_goes_through_missing():
    """One pytest.skip in the suite: the one in conftest.missing."""
    hits = _hits(SKIPS)
    assert [hit.split(":")[0] for hit in hits] == ["conftest.py"] and hits[0].endswith("pytest.skip(reason)"), hits


def test_no_test_runs_the_console_script_from_path():
    """A command is run as [sys.executable, "-m", "nylon_ring_sdk", ...]."""
    assert _hits(BARE_SCRIPT) == []


MISSING_TEST = '''
from conftest import missing, need_tool

def test_tool():
    need_tool("nylon-ring-no-such-tool")

def test_reason():
    missing("no such thing here")
'''


@pytest.mark.parametrize("require, outcome", [("", "2 skipped"), ("1", "2 failed")])
def test_missing_skips_or_fails_under_require_toolchains(tmp_path, require, outcome):
    (tmp_path / "test_gated.py").write_text(MISSING_TEST)
    env = {**os.environ, "NYLON_RING_REQUIRE_TOOLCHAINS": require,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "--rootdir", str(tmp_path), str(tmp_path)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert outcome in proc.stdout, proc.stdout + proc.stderr
    assert "toolchain 'nylon-ring-no-such-tool' not installed" in proc.stdout
    assert "no such thing here" in proc.stdout
    if require:
        assert "(NYLON_RING_REQUIRE_TOOLCHAINS=1)" in proc.stdout
