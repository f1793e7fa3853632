"""Shared test helpers: toolchain gating, golden files, the zig command."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
REQUIRE = os.environ.get("NYLON_RING_REQUIRE_TOOLCHAINS") == "1"


def missing(reason: str) -> NoReturn:
    """The one way a test says it cannot run here: a skip, or a failure under
    NYLON_RING_REQUIRE_TOOLCHAINS=1 (CI), where everything a test needs must be installed."""
    if REQUIRE:
        pytest.fail(f"{reason} (NYLON_RING_REQUIRE_TOOLCHAINS=1)", pytrace=False)
    pytest.skip(reason)


def need_tool(name: str) -> str:
    """Path of a tool on PATH; missing() when it is not there."""
    found = shutil.which(name)
    if found:
        return found
    missing(f"toolchain '{name}' not installed")


def need_zig() -> list[str]:
    """argv prefix for the ziglang package's zig; missing() when the package is not installed."""
    from nylon_ring_sdk.toolchain import zig_command

    cmd = zig_command()
    if cmd is None:
        missing("zig (ziglang package) not installed")
    return cmd


def need_clippy() -> None:
    """`cargo clippy` runs here; missing() when cargo or its clippy component is not installed."""
    cargo = need_tool("cargo")
    if subprocess.run([cargo, "clippy", "--version"], capture_output=True).returncode != 0:
        missing("cargo clippy not installed (rustup component add clippy)")


def rust_targets() -> set[str]:
    """The Rust standard libraries rustup has installed; missing() without rustup."""
    rustup = need_tool("rustup")
    proc = subprocess.run([rustup, "target", "list", "--installed"], capture_output=True, text=True)
    if proc.returncode != 0:
        missing(f"`rustup target list --installed` failed: {proc.stderr.strip()}")
    return set(proc.stdout.split())


def need_rust_target(triple: str) -> None:
    """The Rust standard library for `triple` is installed; missing() when it is not."""
    if triple not in rust_targets():
        missing(f"rust target {triple} not installed (rustup target add {triple})")


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


@pytest.fixture
def probes_on(monkeypatch):
    """NYLON_RING_ENABLE_PROBES=1 in this process for one test: ABI 2 plugins' panic probes answer
    only when it is set as the host runs init. Tests that run a host in a child process pass it
    in that process's environment instead; `nylon-ring conformance` sets it for its own workers."""
    monkeypatch.setenv("NYLON_RING_ENABLE_PROBES", "1")


@pytest.fixture
def probes_off(monkeypatch):
    """NYLON_RING_ENABLE_PROBES unset in this process for one test, whatever the caller's shell set."""
    monkeypatch.delenv("NYLON_RING_ENABLE_PROBES", raising=False)


@pytest.fixture(scope="session")
def schema():
    from nylon_ring_sdk.schema import load_default

    return load_default()


@pytest.fixture(scope="session")
def template_builds(tmp_path_factory):
    """Each language's example project, scaffolded and built at most once a session (tests/template_matrix.py)."""
    from template_matrix import TemplateBuilds

    return TemplateBuilds(tmp_path_factory)


# pytest-xdist: tests that share a build run in one worker (tests/scheduling.py). The workers
# collect and know each test's fixtures; they write the groups to a file the main process
# names, and its scheduler reads them (xdist's own xdist_group renaming of node ids does not
# take with pytest 9, whose node ids are not stored where xdist 3.8 sets them).


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    from scheduling import groups_file

    node.workerinput["nylon_ring_groups"] = str(groups_file(node.config))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from scheduling import GroupScheduling, groups_file

    return GroupScheduling(config, log, groups_file(config))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    target = getattr(config, "workerinput", {}).get("nylon_ring_groups")
    if target:
        from scheduling import write_groups

        write_groups(Path(target), items)
