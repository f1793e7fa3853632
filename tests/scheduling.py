"""Which tests must run in one pytest-xdist worker, so that nothing is built twice.

The suite runs under `pytest -n auto --dist loadgroup` (pyproject's addopts): a group of
tests goes to one worker as a whole, any other test to whichever worker is free. A
build shared by tests lives in a fixture that is module-scoped (one test module's
project) or in the session's `template_builds` (each language's example project, used
by tests/test_template_matrix.py and the per-language files alike). Two tests that
share one of those builds are put in one group; tests that share none are left free.

The groups are worked out from each test's fixtures, not listed by hand, so a new
test or corpus fixture gets the right one by itself. The workers, which collect the
tests, write them to a file (:func:`write_groups`); the main process's scheduler
(:class:`GroupScheduling`) reads it and, like xdist's, sends the largest groups first.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest

#: Session fixtures that build something slow, keyed by their name: every test using one
#: joins one group (a cheap session fixture, like a generated header, is made in each worker).
SLOW_SESSION_FIXTURES = frozenset({"crates_io_01_plugin"})
#: A per-language test module: test_template_<lang>.py or test_template_<lang>_abi2.py.
TEMPLATE_MODULE = re.compile(r"test_template_(c|cpp|rust|go|zig)(?:_abi2)?$")


def template_language(item: pytest.Item) -> str:
    """The language of the example project a `template_builds` user works on: the matrix's
    `template` parameter, else the language its module is named after."""
    params = getattr(item, "callspec", None)
    if params is not None and "template" in params.params:
        return str(params.params["template"])
    found = TEMPLATE_MODULE.search(item.module.__name__)
    if found is None:
        raise pytest.UsageError(f"{item.nodeid} uses template_builds, but which language's build it uses cannot be "
                                "told: name the module test_template_<lang>.py or parametrize a `template` fixture")
    return found.group(1)


def shared_builds(item: pytest.Item) -> set[str]:
    """Names of the builds `item` may share with other tests (see the module docstring).

    A module- or class-scoped fixture counts as its whole module's build: a fixture can get
    another with `request.getfixturevalue`, which no static list shows. A module whose
    module-scoped state is one per value of a parameter says so with `XDIST_SPLIT_BY = "<name>"`.
    """
    shared: set[str] = set()
    params = getattr(item, "callspec", None)
    split = getattr(item.module, "XDIST_SPLIT_BY", None)
    for name in item.fixturenames:
        defs = item._fixtureinfo.name2fixturedefs.get(name)
        if not defs:
            continue  # a parametrize argument, not a fixture
        scope = defs[-1].scope
        if name == "template_builds":
            shared.add(f"template-{template_language(item)}")
        elif scope == "session" and name in SLOW_SESSION_FIXTURES:
            shared.add(name)
        elif scope in ("module", "class"):
            module = item.module.__name__
            if split and params is not None and split in params.params:
                module += f"[{params.params[split]}]"
            shared.add(module)
    return shared


def group_names(items: list[pytest.Item]) -> dict[pytest.Item, str]:
    """A group name for each test that shares a build with another (union of shared builds)."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    builds = {item: sorted(shared_builds(item)) for item in items}
    for keys in builds.values():
        for key in keys:
            parent.setdefault(key, key)
        for key in keys[1:]:
            a, b = root(keys[0]), root(key)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[str, int] = {}
    for keys in builds.values():
        if keys:
            members[root(keys[0])] = members.get(root(keys[0]), 0) + 1
    names = {}
    for item, keys in builds.items():
        if keys and members[root(keys[0])] > 1:
            names[item] = root(keys[0])
    return names


def groups_file(config: pytest.Config) -> Path:
    """Where this run's workers write the groups (one file per main process)."""
    return Path(tempfile.gettempdir()) / f"nylon-ring-test-groups-{os.getpid()}.json"


def write_groups(path: Path, items: list[pytest.Item]) -> None:
    """{node id: group} for the grouped tests; every worker writes the same, each whole."""
    scratch = path.with_name(f"{path.name}.{os.getpid()}")
    scratch.write_text(json.dumps({item.nodeid: name for item, name in group_names(items).items()}))
    os.replace(scratch, path)


def _load_scope_scheduling() -> type:
    from xdist.scheduler import LoadScopeScheduling

    return LoadScopeScheduling


class GroupScheduling(_load_scope_scheduling()):  # type: ignore[misc]
    """xdist's scope scheduling with a test's scope being its group, or the test itself."""

    def __init__(self, config: pytest.Config, log, path: Path) -> None:
        super().__init__(config, log)
        self._path = path
        self._groups: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self._groups is None:  # first asked once every worker has collected
            self._groups = json.loads(self._path.read_text()) if self._path.is_file() else {}
            self._path.unlink(missing_ok=True)
        return self._groups.get(nodeid, nodeid)
