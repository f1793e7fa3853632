"""The package imports in no circle: the import graph, read from the source, is acyclic.

Every import statement counts, at module level and inside functions alike (a lazy
import is still a dependency, and a circle through one only waits for the call
that closes it). Imports under ``if TYPE_CHECKING:`` do not count: they never run,
and naming a type that way is how a one-way dependency stays one-way.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "nylon_ring_sdk"


def _modules(package: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the package."""
    found = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run (anywhere but an `if TYPE_CHECKING:` body)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for name, value in ast.iter_fields(node):
            if isinstance(node, ast.If) and name == "body" and _is_type_checking(node.test):
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    visit(child)

    visit(tree)
    return found


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, modules: dict) -> set[str]:
    """The package's modules one import statement loads (a name that is a submodule counts as it)."""
    root = module.split(".")[0]
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
        if source.split(".")[0] != root:
            return set()
    found = set()
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        found.add(sub if sub in modules else source)
    return {name for name in found if name in modules}


def import_graph(package: Path) -> dict[str, set[str]]:
    modules = _modules(package)
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        graph[name] = {t for node in _imports(tree) for t in _targets(name, is_package, node, modules)} - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_package_imports_in_no_circle():
    circles = cycles(import_graph(PACKAGE))
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import(tmp_path):
    """The check above can fail: a lazy import that closes a circle is reported."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import x\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n")
    (pkg / "d.py").write_text("from .c import z\n")
    assert cycles(import_graph(pkg)) == [["pkg.a", "pkg.b"]]
    (pkg / "c.py").write_text("from .d import y\n")
    assert sorted(cycles(import_graph(pkg))) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]


def unexplained_lazy_imports(package: Path) -> list[str]:
    """Imports inside functions without a `# lazy: <reason>` on their line or on the comment
    line above their group (consecutive imports share one reason)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines), str(path))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for stmt in ast.walk(node):
                if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    continue
                if "# lazy:" in "\n".join(lines[stmt.lineno - 1:stmt.end_lineno]):
                    continue
                above = stmt.lineno - 2
                while above >= 0 and lines[above].lstrip().startswith(("from ", "import ")):
                    above -= 1
                if above < 0 or not lines[above].lstrip().startswith("# lazy:"):
                    found.append(f"{path.relative_to(package.parent)}:{stmt.lineno}: {lines[stmt.lineno - 1].strip()}")
    return found


def test_every_import_inside_a_function_says_why():
    """Imports belong at module level; one inside a function is there for start-up time, and says so."""
    missing = unexplained_lazy_imports(PACKAGE)
    assert not missing, "imports inside functions without a `# lazy: <reason>`:\n" + "\n".join(missing)


def test_the_reason_check_finds_an_unexplained_import(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text("def f():\n    # lazy: costly\n    import json\n    import os\n\n"
                              "def g():\n    import re  # lazy: costly too\n\n"
                              "def h():\n    import sys\n")
    assert unexplained_lazy_imports(pkg) == ["pkg/m.py:10: import sys"]


def test_the_conformance_package_leaves_its_worker_module_to_the_worker_process():
    """Workers run as `python -m nylon_ring_sdk.conformance.worker`: were the package to import that
    module first, runpy would print a warning into the worker's stderr, and so into crash reports."""
    code = "import sys, nylon_ring_sdk.conformance; print('nylon_ring_sdk.conformance.worker' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "False", proc.stdout + proc.stderr


def test_gen_bindings_starts_without_the_heavy_modules(tmp_path):
    """The console script runs gen-bindings through argparse alone (its start-up stays well under
    0.5 s): typer, the other commands' libraries and pycparser are never imported for it."""
    code = ("import sys; sys.argv = ['nylon-ring', 'gen-bindings', '--lang', 'all', '--out', sys.argv[1]]\n"
            "from nylon_ring_sdk.entry import main\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "heavy = ('typer', 'click', 'pycparser', 'cookiecutter', 'asyncio', 'nylon_ring_sdk.cli',\n"
            "         'nylon_ring_sdk.host', 'nylon_ring_sdk.conformance', 'nylon_ring_sdk.scaffold')\n"
            "print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in heavy)))")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
