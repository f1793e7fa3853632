"""`nylon-ring bench`: time a plugin's calls through the native harness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app


@app.command("bench")
def bench(
    plugin: Annotated[Path, typer.Argument(help="The plugin library (.so/.dylib).")],
    entry: Annotated[str, typer.Option("--entry", "-e", help="Entry name to call.")],
    mode: Annotated[str, typer.Option("--mode", "-m", help="raw | unary | async | stream | bidi.")] = "raw",
    threads: Annotated[int, typer.Option("--threads", "-t", help="Up to N threads: measures 1, 2, 4, ... N.")] = 1,
    seconds: Annotated[float, typer.Option("--seconds", "-s", help="Measured seconds per case, split over the runs (a warm-up run comes on top).")] = 1.0,
    runs: Annotated[int, typer.Option("--runs", help="Timed runs per case (median, min and max are over these).")] = 5,
    inflight: Annotated[int, typer.Option("--inflight", "-k", help="async mode: also measure with K calls in flight per thread.")] = 16,
    frames: Annotated[int, typer.Option("--frames", help="stream: frames expected (payload is this number); bidi: frames sent.")] = 5,
    payload: Annotated[Optional[str], typer.Option("--payload", help="Request payload (default: a 16-byte text; stream: the frame count).")] = None,
    payload_size: Annotated[Optional[int], typer.Option("--payload-size", help="Request payload of N bytes ('x' repeated) instead of --payload.")] = None,
    by_id: Annotated[bool, typer.Option("--by-id", help="ABI 2: call handle_by_id with the id resolve_entry gives (integer dispatch).")] = False,
    expect_bytes: Annotated[Optional[int], typer.Option("--expect-bytes", help="Answer length every call must have (default: the first answer's).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for one answer before reporting the plugin.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the harness's JSON instead of a table.")] = False,
) -> None:
    """Benchmark one entry of a plugin: ns per call, calls/s, latency; every answer checked."""
    # lazy: the benchmark driver loads the reference host (~30 ms CPU); `bench` alone needs it
    from ..bench import format_table, run, thread_counts
    from ..errors import BenchError

    if runs < 1 or seconds <= 0 or frames < 1 or inflight < 1:
        raise BenchError("--runs, --seconds, --frames and --inflight must be positive")
    if payload_size is not None:
        if payload is not None or not 0 <= payload_size <= 1 << 20:
            raise BenchError("--payload-size: give a size from 0 to 1048576 bytes, and not together with --payload")
        payload = "x" * payload_size
    result = run(plugin, entry, mode, threads=thread_counts(threads),
                 inflight=(1, inflight) if inflight > 1 else (1,), seconds=seconds, runs=runs,
                 timeout=timeout, frames=frames, payload=payload, expect_bytes=expect_bytes, by_id=by_id)
    typer.echo(json.dumps(result.data, indent=2) if as_json else format_table(result))
