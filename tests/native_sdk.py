"""Checks of the C and C++ SDKs' routing table and background pool.

test_template_c.py and test_template_cpp.py import this module's fixtures and tests
(next to tests/native_templates.py's) and set `POOL`, saying how their language turns
an extra entry into a background entry that reports which thread ran it.

- Routing: entries are found through a hash table keyed by a name's length and its
  first and last 8 bytes, with a string compare only for longer names; a project with
  many extra entries (names that share those bytes, short ones, long ones) must route
  every name to its own entry and nothing else anywhere.
- The pool: background work runs on a fixed number of worker threads fed by a queue,
  not on a thread per call: more calls in flight than workers all get answered, by no
  more distinct threads than the pool has.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import need_tool
from template_matrix import keep_copy

# Names that share their first and last 8 bytes and length (the middle tells them apart),
# share a prefix, are anagrams, or are short; and enough of them that probes collide.
ROUTED = ("a", "ab", "ba", "abc", "abcd", "dcba", "abcde", "abcdefghx", "abcdefghy", "abcdefgh_1_12345678",
          "abcdefgh_2_12345678", *(f"e{i}" for i in range(40)))
NEAR_MISSES = ("b", "e", "abcdef", "abcdefgh", "abcdefghz", "abcdefgh_3_12345678", "abcdefgh_1_1234567",
               "abcdefgh_1_123456789", "e40", "E1")
POOL_THREADS = 3  # the pool size the `slow` project configures
IN_FLIGHT = 12    # background calls in flight at once, each holding its worker for a while
SMALL_QUEUE = 2   # the queue the small-queue build has (with one worker)


@dataclass(frozen=True)
class PoolPlugin:
    """How one language's example source gets `slow`: a background entry on a pool of
    POOL_THREADS workers that holds its worker for a while, then answers an id of its thread."""

    prelude: str                           # put at the top of the source (includes)
    body: str                              # the new body of the `slow` stub
    rewrites: tuple[tuple[str, str], ...]  # (old, new) text: `slow` runs in the background, the pool has POOL_THREADS
    small_queue: tuple[str, str] = ("", "")  # (old, new) text after `rewrites`: one worker, a queue of SMALL_QUEUE


@pytest.fixture(scope="module")
def routing_library(native, tmp_path_factory) -> Path:
    """A release build whose extra entries are ROUTED (each stub answers its own name)."""
    need_tool("make")
    from nylon_ring_sdk.scaffold import build_project, new_project

    folder = tmp_path_factory.mktemp(f"{native.lang}-routing")
    project = new_project(native.lang, "routing", folder, entries=list(ROUTED), abi=1)
    return keep_copy(project, build_project(project, release=True), "routing")


def build_pool_project(native, pool: PoolPlugin, folder: Path, small_queue: bool, abi: int = 1) -> Path:
    """The example project with `slow` rewritten as `pool` says (and its queue made small), built."""
    from nylon_ring_sdk.scaffold import build_project, new_project

    project = new_project(native.lang, "pool", folder, entries=["slow"], abi=abi)
    source = project / native.sources[0]
    text = source.read_text()
    pattern = re.compile("(" + native.stub.format(name="slow") + r" \{\n).*?(\n\}\n)", re.S)
    text, n = pattern.subn(lambda m: m.group(1) + pool.body + m.group(2), text)
    assert n == 1, f"stub of `slow` not found in {source}"
    for old, new in pool.rewrites + ((pool.small_queue,) if small_queue else ()):
        assert text.count(old) == 1, f"{old!r} not found once in {source}"
        text = text.replace(old, new)
    source.write_text(pool.prelude + text)
    return keep_copy(project, build_project(project), f"small-queue-abi{abi}" if small_queue else "pool")


@pytest.fixture(scope="module")
def pool_library(native, request, tmp_path_factory) -> Path:
    """A build with `slow` rewritten as the importing module's POOL says."""
    need_tool("make")
    return build_pool_project(native, request.module.POOL, tmp_path_factory.mktemp(f"{native.lang}-pool"), False)


@pytest.fixture(scope="module", params=(1, 2), ids=("abi1", "abi2"))
def small_queue_library(native, request, tmp_path_factory) -> tuple[Path, int]:
    """The same build, for each ABI generation, with one worker and a queue of SMALL_QUEUE calls."""
    need_tool("make")
    folder = tmp_path_factory.mktemp(f"{native.lang}-queue-abi{request.param}")
    return build_pool_project(native, request.module.POOL, folder, True, request.param), request.param


def test_routing_finds_every_name_and_only_those(routing_library):
    from nylon_ring_sdk.host import Host, NrStatus

    with Host.load(routing_library) as h:
        for name in ROUTED:
            for answer in (h.call_raw(name, b""), h.call(name, b"")):
                assert (answer.status, answer.data) == (NrStatus.OK, name.encode()), name
        for name in NEAR_MISSES:
            assert h.call_raw(name, b"").handle_status == NrStatus.UNSUPPORTED, name
        assert h.call_raw("echo", b"still routed").data == b"still routed"
        assert h.violations == []


def test_background_calls_share_a_bounded_pool(pool_library):
    """IN_FLIGHT calls at once, each holding its worker: all answered, by at most POOL_THREADS threads
    (a thread per call would show IN_FLIGHT of them), and the same holds for a second wave."""
    from nylon_ring_sdk.host import Host, NrStatus

    async def wave(h) -> list:
        return await asyncio.gather(*(h.acall_raw("slow", b"", timeout=60) for _ in range(IN_FLIGHT)))

    with Host.load(pool_library) as h:
        answers = asyncio.run(wave(h)) + asyncio.run(wave(h))
        assert [a.status for a in answers] == [NrStatus.OK] * (2 * IN_FLIGHT)
        threads = {a.data for a in answers}
        assert 1 <= len(threads) <= POOL_THREADS, threads
        assert h.call_raw("echo_async", b"after").data == b"after"
        assert h.violations == []


def test_a_full_queue_refuses_calls_and_answers_the_rest(small_queue_library):
    """IN_FLIGHT calls at once on one worker with a queue of SMALL_QUEUE: the calls the queue could
    not take are refused by handle itself (Backpressure on ABI 2, Err on ABI 1; nothing sent); every call it took (at least the
    queue's worth: the first may still wait for its worker to start) is answered."""
    from nylon_ring_sdk.host import Host, NrStatus

    async def wave(h) -> list:
        return await asyncio.gather(*(h.acall_raw("slow", b"", timeout=60) for _ in range(IN_FLIGHT)))

    library, abi = small_queue_library
    busy = 6 if abi == 2 else int(NrStatus.ERR)  # ABI 2 Backpressure
    with Host.load(library) as h:
        answers = asyncio.run(wave(h))
        refused = [a for a in answers if a.rejected]
        accepted = [a for a in answers if not a.rejected]
        assert refused and {int(a.handle_status) for a in refused} == {busy}
        assert SMALL_QUEUE <= len(accepted) < IN_FLIGHT, [a.status for a in accepted]
        assert {a.status for a in accepted} == {NrStatus.OK}, [(a.status, a.data) for a in accepted]
        assert h.call_raw("echo_async", b"after").data == b"after"
        assert h.violations == []
