"""pytest plugin: a plugin author's own tests get a loaded reference host.

Installed with nylon-ring-sdk (entry point ``pytest11: nylon_ring``); nothing to
enable. Fixtures:

``nylon_ring_host``
    A :class:`~nylon_ring_sdk.host.Host` for the configured plugin, loaded before the
    test and closed (``shutdown``) after it. The plugin path comes from, first to
    last: the test's ``@pytest.mark.nylon_ring_plugin("path/to/lib.so")`` marker, the
    ``--nylon-ring-plugin PATH`` option, the ``nylon_ring_plugin`` ini key, the
    ``NYLON_RING_PLUGIN`` environment variable. Without any, the test fails saying so.

``nylon_ring_load``
    A factory, ``nylon_ring_load(path=None, **options) -> Host``, for tests that
    load a plugin themselves (several plugins, ``state=False``, ``first_sid=...``);
    every host it returns is closed after the test. ``path=None`` means the
    configured plugin.

With ``--nylon-ring-strict``, a test fails when a host it used recorded protocol
violations (a second answer on a unary sid, a frame after the terminal one, ...).

```python
def test_echo(nylon_ring_host):
    r = nylon_ring_host.call_raw("echo", b"hi")
    assert r.data == b"hi"
```
Run: ``pytest --nylon-ring-plugin target/release/libmy_plugin.so``.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import pytest

from .errors import NylonRingError

ENV_VAR = "NYLON_RING_PLUGIN"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nylon-ring", "nylon-ring plugin testing")
    group.addoption("--nylon-ring-plugin", dest="nylon_ring_plugin", metavar="PATH", default=None,
                    help="plugin library the nylon_ring_host fixture loads")
    group.addoption("--nylon-ring-strict", dest="nylon_ring_strict", action="store_true", default=False,
                    help="fail a test whose reference host recorded protocol violations")
    parser.addini("nylon_ring_plugin", "plugin library the nylon_ring_host fixture loads", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "nylon_ring_plugin(path): plugin library for the nylon_ring_host fixture")


def _configured_path(request: pytest.FixtureRequest) -> str | None:
    marker = request.node.get_closest_marker("nylon_ring_plugin")
    if marker is not None and marker.args:
        return str(marker.args[0])
    config = request.config
    option = config.getoption("nylon_ring_plugin")
    if option:
        return str(option)
    ini = config.getini("nylon_ring_plugin")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return str(base / ini)
    return os.environ.get(ENV_VAR) or None


def _check_violations(hosts: list[Any]) -> None:
    found = [f"{h.path}: {v.describe()}" for h in hosts for v in h.violations]
    if found:
        pytest.fail("plugin protocol violations:\n  " + "\n  ".join(found[:20]), pytrace=False)


@pytest.fixture
def nylon_ring_load(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Factory: load a plugin (default: the configured one) into a reference host closed after the test."""
    from .host import Host  # lazy: pytest loads this plugin in every session; the host only for tests that use it

    hosts: list[Any] = []

    def load(path: str | os.PathLike | None = None, **options: Any) -> Any:
        target = path if path is not None else _configured_path(request)
        if target is None:
            pytest.fail(f"no nylon-ring plugin configured: pass --nylon-ring-plugin PATH, set the "
                        f"nylon_ring_plugin ini key or {ENV_VAR}, or mark the test with "
                        f"@pytest.mark.nylon_ring_plugin(PATH)", pytrace=False)
        try:
            host = Host.load(target, **options)
        except NylonRingError as exc:
            pytest.fail(f"cannot load plugin: {exc}", pytrace=False)
        hosts.append(host)
        return host

    yield load
    for host in hosts:
        host.close()
    if request.config.getoption("nylon_ring_strict"):
        _check_violations(hosts)


@pytest.fixture
def nylon_ring_host(nylon_ring_load: Callable[..., Any]) -> Any:
    """The configured plugin, loaded in a reference host for this test (closed afterwards)."""
    return nylon_ring_load()
