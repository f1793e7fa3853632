"""Shared test helpers: toolchain gating, golden files, the zig command."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
REQUIRE = os.environ.get("NYLON_RING_REQUIRE_TOOLCHAINS") == "1"


def need_tool(name: str) -> str:
    """Path of a tool on PATH; skip the test when missing, fail under NYLON_RING_REQUIRE_TOOLCHAINS=1."""
    found = shutil.which(name)
    if found:
        return found
    message = f"toolchain '{name}' not installed"
    if REQUIRE:
        pytest.fail(message + " (NYLON_RING_REQUIRE_TOOLCHAINS=1)")
    pytest.skip(message)


def need_zig() -> list[str]:
    """argv prefix for the ziglang package's zig."""
    from nylon_ring_sdk.toolchain import zig_command

    cmd = zig_command()
    if cmd is None:
        if REQUIRE:
            pytest.fail("zig (ziglang package) not installed (NYLON_RING_REQUIRE_TOOLCHAINS=1)")
        pytest.skip("zig (ziglang package) not installed")
    return cmd


def assert_golden(name: str, content: str) -> None:
    """Compare with tests/golden/<name>, which `python -m nylon_ring_sdk.committed` writes (tests never do)."""
    path = GOLDEN / name
    if not path.exists():
        pytest.fail(f"golden file {path} missing; write it with `python3 -m nylon_ring_sdk.committed` "
                    "(add it to committed.golden_files if it is new)")
    expected = path.read_text(encoding="utf-8")
    if expected != content:
        import difflib

        diff = "".join(difflib.unified_diff(expected.splitlines(True), content.splitlines(True),
                                            f"golden/{name}", "generated", n=2))
        pytest.fail(f"generated output differs from tests/golden/{name}; if the change is intended, "
                    f"regenerate with `python3 -m nylon_ring_sdk.committed`\n{diff[:4000]}")


@pytest.fixture(scope="session", autouse=True)
def panic_probes_enabled():
    """Scaffolded plugins' panic probes answer only with NYLON_RING_ENABLE_PROBES=1 at init;
    the tests load them in this process and in child processes, so it is set for the session."""
    saved = os.environ.get("NYLON_RING_ENABLE_PROBES")
    os.environ["NYLON_RING_ENABLE_PROBES"] = "1"
    yield
    if saved is None:
        os.environ.pop("NYLON_RING_ENABLE_PROBES", None)
    else:
        os.environ["NYLON_RING_ENABLE_PROBES"] = saved


@pytest.fixture(scope="session")
def schema():
    from nylon_ring_sdk.schema import load_default

    return load_default()


@pytest.fixture(scope="session")
def template_builds(tmp_path_factory):
    """Each language's example project, scaffolded and built at most once a session (tests/template_matrix.py)."""
    from template_matrix import TemplateBuilds

    return TemplateBuilds(tmp_path_factory)
