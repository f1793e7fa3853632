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


# ---------------------------------------------------------------- pytest-xdist groups (tests/scheduling.py)

GROUPED_CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def template_builds():
    return {}

@pytest.fixture(scope="session")
def header():
    return "cheap: made in each worker"
'''
GROUPED_MATRIX = '''
import pytest
XDIST_SPLIT_BY = "template"

@pytest.fixture(scope="module", params=["c", "rust"])
def template(request):
    return request.param

@pytest.fixture(scope="module")
def built(template, template_builds):
    return template

def test_a(built): pass
def test_b(built): pass
'''
GROUPED_RUST = '''
import pytest

@pytest.fixture(scope="module")
def project(template_builds):
    return 1

@pytest.fixture(scope="module")
def release(request):
    return request.getfixturevalue("project")

def test_project(project): pass
def test_release(release): pass
def test_free(header): pass
'''
GROUPED_FREE = '''
def test_one(header): pass
def test_two(): pass
'''
GROUP_DRIVER = '''
import sys, pytest
sys.path.insert(0, sys.argv[2])
class Show:
    def pytest_collection_finish(self, session):
        from scheduling import group_names
        names = group_names(session.items)
        for item in session.items:
            print("GROUP", item.nodeid.split("/")[-1], names.get(item, "-"))
pytest.main(["-q", "--collect-only", "-p", "no:xdist", "-p", "no:cacheprovider", sys.argv[1]], plugins=[Show()])
'''


def test_tests_sharing_a_build_get_one_group_and_the_rest_none(tmp_path):
    """Module-scoped fixtures group their module (even one reached by getfixturevalue); a
    `template_builds` user joins its language's group; the matrix splits by language."""
    for name, text in (("conftest.py", GROUPED_CONFTEST), ("test_template_matrix.py", GROUPED_MATRIX),
                       ("test_template_rust.py", GROUPED_RUST), ("test_plain.py", GROUPED_FREE)):
        (tmp_path / name).write_text(text)
    proc = subprocess.run([sys.executable, "-c", GROUP_DRIVER, str(tmp_path), str(TESTS)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    groups = dict(line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("GROUP "))
    assert groups == {
        "test_template_matrix.py::test_a[c]": "template-c",
        "test_template_matrix.py::test_b[c]": "template-c",
        "test_template_matrix.py::test_a[rust]": "template-rust",
        "test_template_matrix.py::test_b[rust]": "template-rust",
        "test_template_rust.py::test_project": "template-rust",
        "test_template_rust.py::test_release": "template-rust",  # through the module, not getfixturevalue
        "test_template_rust.py::test_free": "-",
        "test_plain.py::test_one": "-",
        "test_plain.py::test_two": "-",
    }, proc.stdout + proc.stderr


XDIST_CONFTEST = '''
import importlib.util, sys
sys.path.insert(0, {tests!r})
spec = importlib.util.spec_from_file_location("suite_conftest", {conftest!r})
suite = importlib.util.module_from_spec(spec)
spec.loader.exec_module(suite)
pytest_configure_node = suite.pytest_configure_node
pytest_xdist_make_scheduler = suite.pytest_xdist_make_scheduler
pytest_collection_modifyitems = suite.pytest_collection_modifyitems
'''
XDIST_TESTS = '''
import os, time, pytest

@pytest.fixture(scope="module")
def build():
    return "built once"

def _note(name):
    with open(os.environ["WORKERS_FILE"], "a") as out:
        out.write(name + " " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")
    time.sleep(0.3)

@pytest.mark.parametrize("n", range(4))
def test_shared(build, n): _note(f"shared{n}")

@pytest.mark.parametrize("n", range(4))
def test_free(n): _note(f"free{n}")
'''


def test_tests_sharing_a_build_run_in_one_xdist_worker(tmp_path):
    """End to end, two workers: the four tests of a module-scoped build all run in one."""
    (tmp_path / "conftest.py").write_text(XDIST_CONFTEST.format(tests=str(TESTS), conftest=str(TESTS / "conftest.py")))
    (tmp_path / "test_xdist_groups.py").write_text(XDIST_TESTS)
    workers = tmp_path / "workers.txt"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist",
                           "loadgroup", "--rootdir", str(tmp_path), str(tmp_path)], cwd=tmp_path,
                          env={**os.environ, "WORKERS_FILE": str(workers)}, capture_output=True, text=True, timeout=300)
    assert "8 passed" in proc.stdout, proc.stdout + proc.stderr
    ran = dict(line.split() for line in workers.read_text().splitlines())
    assert len({ran[f"shared{n}"] for n in range(4)}) == 1, ran
