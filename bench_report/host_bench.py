#!/usr/bin/env python3
"""Reference host round trip against its floor, and memory over a million calls.

The floor is the least any ctypes host can pay per call: one ctypes call of a
no-op C function that makes one ctypes callback into Python (no argument
conversion, scalar callback arguments, an empty callback body). A second floor
uses the ABI's real send_result signature (NrBytes by value) and copies the
payload, which is what a host written in pure ctypes must at least do.

``call_raw`` is measured against a plugin that answers synchronously inside
``handle_raw`` (bench_report/floor/floor.c's ``echo`` by default) in the same run: each
round runs every case back to back; the report gives the best round of each and
the median of the per-round ratios (robust on a shared machine). Peak RSS is
measured in a fresh process after 10,000 and after 1,000,000 calls.

    python bench_report/host_bench.py [--calls N] [--rounds R] [--plugin LIB.so] [--payload BYTES]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PLUGIN_SOURCES = [ROOT / "bench_report" / "floor" / "floor.c", ROOT / "tests" / "plugins_src" / "host_test_plugin.c"]

FLOOR_C = r"""
#include "nylon_ring.h"
/* The floor: no work but one callback; int parameters so ctypes needs no argtypes. */
typedef void (*floor_cb)(void *ctx, int sid, int status, const uint8_t *ptr, int len);
void floor_call(floor_cb cb, void *ctx, int sid, const uint8_t *ptr, int len) { cb(ctx, sid, 0, ptr, len); }
/* The same with the ABI's send_result signature. */
void floor_call_abi(NrSendResultFn cb, void *ctx, uint64_t sid, const uint8_t *ptr, uint64_t len) {
    NrBytes b = {ptr, len};
    cb(ctx, sid, NR_STATUS_OK, b);
}
"""


def build(folder: Path) -> tuple[Path, Path]:
    """Compile the floor library and the benchmark plugin against a freshly generated header."""
    from nylon_ring_sdk.gen import generate
    from nylon_ring_sdk.schema import load_default
    from nylon_ring_sdk.toolchain import c_compiler, run

    for f in generate(load_default(), "c"):
        (folder / f.path).write_text(f.content)
    (folder / "floor_lib.c").write_text(FLOOR_C)
    cc = c_compiler()
    flags = ["-O2", "-shared", "-fPIC", "-pthread", "-I", str(folder)]
    outputs = []
    source = next(p for p in DEFAULT_PLUGIN_SOURCES if p.is_file())
    for src, name in ((folder / "floor_lib.c", "libfloorcall.so"), (source, "libbenchplugin.so")):
        out = folder / name
        done = run([*cc, *flags, "-o", str(out), str(src)])
        if done.returncode != 0:
            sys.exit(f"error: compiling {src} failed: {done.stderr.strip().splitlines()[:1]}")
        outputs.append(out)
    return outputs[0], outputs[1]


def floor_loop(lib: Path, calls: int, payload: bytes, abi: bool) -> float:
    """Seconds for `calls` floor round trips."""
    from nylon_ring_sdk.host.nylon_ring_abi import NrBytes, NrSendResultFn

    dll = ctypes.CDLL(str(lib))
    if abi:
        def callback(ctx, sid, status, data):  # copy out, as a host must
            ctypes.string_at(data.ptr, data.len)
        cb = NrSendResultFn(callback)
        fn = dll.floor_call_abi
        fn.argtypes = [NrSendResultFn, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_char_p, ctypes.c_uint64]
        fn.restype = None
    else:
        def callback(ctx, sid, status, ptr, size):
            pass
        cb = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int)(callback)
        fn = dll.floor_call
        fn.restype = None
    n = len(payload)
    start = time.perf_counter()
    for i in range(calls):
        fn(cb, None, i, payload, n)
    return time.perf_counter() - start


def host_loop(host, calls: int, payload: bytes) -> float:
    """Seconds for `calls` call_raw round trips (every answer checked after the clock stops)."""
    call = host.call_raw
    start = time.perf_counter()
    for _ in range(calls):
        r = call("echo", payload)
    elapsed = time.perf_counter() - start
    if r.data != payload or r.status != 0:
        sys.exit(f"error: the plugin answered {r.status} {r.data[:40]!r} to echo")
    return elapsed


def rss_child(plugin: str, payload: bytes) -> None:
    """In a fresh process: peak RSS after 10k and after 1M calls (JSON on stdout)."""
    from nylon_ring_sdk.host import Host

    marks = {}
    with Host.load(plugin) as host:
        done = 0
        for target in (10_000, 1_000_000):
            for _ in range(target - done):
                r = host.call_raw("echo", payload)
                if r.data != payload:
                    sys.exit("error: wrong echo")
            done = target
            marks[str(target)] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        marks["live_sessions"] = host.stats()["live_sessions"]
        marks["violations"] = len(host.violations)
    print(json.dumps(marks))


def measure(args: argparse.Namespace, floor_lib: Path, plugin: str) -> dict[str, list[float]]:
    """Seconds per round for each case; the three run back to back within a round so a
    burst of load on a shared machine hits all of them alike."""
    from nylon_ring_sdk.host import Host

    payload = b"x" * args.payload
    rounds: dict[str, list[float]] = {"floor": [], "floor_abi": [], "call_raw": []}
    with Host.load(plugin) as host:
        host_loop(host, 10_000, payload)  # warm up: helper loaded, thread buffer allocated
        for _ in range(args.rounds):
            rounds["floor"].append(floor_loop(floor_lib, args.calls, payload, abi=False))
            rounds["call_raw"].append(host_loop(host, args.calls, payload))
            rounds["floor_abi"].append(floor_loop(floor_lib, args.calls, payload, abi=True))
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="calls per round (default 100000)")
    parser.add_argument("--rounds", type=int, default=15, help="rounds, each running every case back to back")
    parser.add_argument("--payload", type=int, default=16, help="payload bytes (default 16)")
    parser.add_argument("--plugin", help="a plugin whose raw `echo` answers synchronously (default: built)")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child, b"x" * args.payload)
        return
    with tempfile.TemporaryDirectory(prefix="nr-host-bench-") as tmp:
        floor_lib, built_plugin = build(Path(tmp))
        plugin = args.plugin or str(built_plugin)
        rounds = measure(args, floor_lib, plugin)
        child = subprocess.run([sys.executable, __file__, "--rss-child", plugin, "--payload", str(args.payload)],
                               capture_output=True, text=True)
        if child.returncode != 0:
            sys.exit(f"error: memory run failed: {child.stderr.strip()}")
        rss = json.loads(child.stdout)
    report(args, rounds, rss, plugin if args.plugin else "bench_report/floor/floor.c echo")


def report(args: argparse.Namespace, rounds: dict[str, list[float]], rss: dict, plugin: str) -> None:
    best = {name: args.calls / min(times) for name, times in rounds.items()}
    paired = sorted(h / f for h, f in zip(rounds["call_raw"], rounds["floor"]))
    median = paired[len(paired) // 2]
    floor, floor_abi, host = best["floor"], best["floor_abi"], best["call_raw"]
    print(f"reference host call_raw vs floor  ({args.rounds} rounds x {args.calls:,} calls, best round of each, "
          f"{args.payload}-byte payload, plugin: {plugin})")
    print(f"  floor (ctypes no-op call + one ctypes callback)   {floor:>12,.0f} calls/s  {1e6 / floor:6.3f} us")
    print(f"  floor, ABI signature (NrBytes by value + copy)     {floor_abi:>12,.0f} calls/s  {1e6 / floor_abi:6.3f} us")
    print(f"  Host.call_raw (synchronous echo)                   {host:>12,.0f} calls/s  {1e6 / host:6.3f} us")
    print(f"  ratio call_raw / floor: best rounds {floor / host:.2f}x, median of paired rounds {median:.2f}x "
          f"(range {paired[0]:.2f}x..{paired[-1]:.2f}x; target: within 2x)")
    print(f"  ratio call_raw / ABI-signature floor: {floor_abi / host:.2f}x")
    print(f"peak RSS (fresh process): after 10k calls {rss['10000'] / 1024:.1f} MiB, after 1M calls "
          f"{rss['1000000'] / 1024:.1f} MiB (growth {(rss['1000000'] - rss['10000']) / 1024:+.1f} MiB); "
          f"live sessions {rss['live_sessions']}, violations {rss['violations']}")
    print(f"reproduce: python bench_report/host_bench.py --calls {args.calls} --rounds {args.rounds} --payload {args.payload}"
          + (f" --plugin {args.plugin}" if args.plugin else ""))


if __name__ == "__main__":
    main()
