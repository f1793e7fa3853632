"""The wheel carries the schema, the generator templates and the project templates,
and an installed copy generates bindings from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    import hatchling  # noqa: F401  (the test extra installs it; it builds the wheel)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return next(out.glob("nylon_ring_sdk-*.whl"))


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "nylon_ring_sdk/_data/schema/abi.toml" in names
    assert "nylon_ring_sdk/gen/templates/c/nylon_ring.h.j2" in names
    assert "nylon_ring_sdk/data/keywords.toml" in names
    assert any(n.startswith("nylon_ring_sdk/_data/templates/c/") for n in names)


def test_installed_copy_generates_from_any_directory(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    code = "import sys; from nylon_ring_sdk.cli import main; sys.argv = ['nylon-ring', 'gen-bindings', '--lang', 'c,python']; main()"
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    header = (work / "bindings" / "c" / "nylon_ring.h").read_text()
    assert "NrPluginVTable" in header
    where = subprocess.run([sys.executable, "-c", "import nylon_ring_sdk.schema as s; print(s.bundled_schema_path())"],
                           cwd=work, env=env, capture_output=True, text=True).stdout.strip()
    assert where.startswith(str(site))
