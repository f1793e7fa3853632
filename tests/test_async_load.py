"""Asynchronous answers under load, for the C, C++ and Zig SDKs of both ABI generations.

Each language's example project (`nylon-ring new`, release build) answers `echo_async`
from its background pool. These tests put many calls in flight at once through the
reference host, each with a payload no other call has, from several host threads, and
check what a worker pool can get wrong under load:

- lost answers (a call never answered: the host times out);
- duplicated answers (a second send_result for a sid: the host records a violation);
- crossed or reordered answers (a sid answered with another call's payload);
- answers sent from the host's own thread inside handle (not asynchronous at all);
- anything sent after shutdown returned, and shutdown returning while calls are still
  being answered (it must drain the queue and join the workers).
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from async_load import flood_async, payload
from conftest import need_tool, need_zig
from nylon_ring_sdk.host import Host, NrStatus
from template_matrix import keep_copy

LANGS = ("c", "cpp", "zig")
ABIS = (1, 2)
HOST_THREADS = 4      # host threads issuing calls at once
CALLS_PER_THREAD = 600  # calls each thread keeps in flight together (one asyncio wave)
WAVES = 2


@pytest.fixture(scope="module", params=[(lang, abi) for lang in LANGS for abi in ABIS],
                ids=[f"{lang}-abi{abi}" for lang in LANGS for abi in ABIS])
def library(request, tmp_path_factory) -> Path:
    """The example project of one language and generation, built in release mode."""
    lang, abi = request.param
    need_zig() if lang == "zig" else need_tool("make")
    from nylon_ring_sdk import scaffold

    folder = tmp_path_factory.mktemp(f"async-{lang}-abi{abi}")
    project = scaffold.new_project(lang, f"load_{lang}", folder, abi=abi)
    result = scaffold.build(project, release=True)
    return keep_copy(project, result.library, f"async-load-abi{abi}")


def test_every_call_answered_once_with_its_own_payload(library):
    flood_async(library, threads=HOST_THREADS, calls=CALLS_PER_THREAD, waves=WAVES, timeout=60)


def test_shutdown_drains_the_queue_and_nothing_follows(library):
    """Calls handle accepted when shutdown begins are answered before it returns, and no answer comes after it."""
    from nylon_ring_sdk.errors import HostClosed

    h = Host.load(library)
    outcomes: list[object] = []

    async def burst() -> None:
        tasks = [h.acall_raw("echo_async", payload(0, i), timeout=60) for i in range(400)]
        outcomes.extend(await asyncio.gather(*tasks, return_exceptions=True))

    calling = threading.Thread(target=lambda: asyncio.run(burst()))
    calling.start()
    time.sleep(0.002)
    h.close()  # races the calls
    calling.join(60)
    time.sleep(0.1)  # a worker still running would send now: recorded as a violation
    assert h.violations == [], [v.describe() for v in h.violations[:5]]
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, BaseException):
            assert isinstance(outcome, HostClosed), repr(outcome)  # issued after close
        elif not outcome.rejected:
            assert (outcome.status, outcome.data) == (NrStatus.OK, payload(0, i))
