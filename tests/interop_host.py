"""Drive a plugin through the released Rust host (`nylon-ring-host` 0.2.2).

The driver is the Cargo binary in tests/interop/released-host/. It is built once per
content (its sources, Cargo.lock and the rustc version) into the nylon-ring cache, so
every test and every process after the first reuses it.

    from interop_host import drive

    results = drive(plugin_path, [
        {"op": "unary", "entry": "echo", "payload": "hi"},
        {"op": "stream", "entry": "count", "payload": "3"},
        {"op": "bidi", "entry": "chat", "send": ["a", "b"]},
    ])
    assert results[0]["status"] == 0 and results[0]["data"] == "hi"

Step ops: unary (call_response), fast (call_response_fast), call (fire-and-forget),
bytes (call_response_bytes), stream (call_stream until a terminal frame), bidi
(call_stream, send_stream_data per "send" item, close_stream unless "close": false),
by_id (entry(name), then "call": unary|fast|call|stream through it), bench
("n" calls, "rounds"). A payload is a string (UTF-8) or {"hex": "..."}. Optional step
keys: "timeout_ms" (default 5000), "close" (bidi), "call" (by_id). drive(...,
stream_capacity=N) bounds the host's stream queues, so frames past N get Backpressure.

`released_plugin()` is a plugin built from the released `nylon-ring` 0.2.2 crate
(tests/interop/released-plugin/) with the ABI 2 scaffold entries: hello, echo,
echo_async, echo_owned, echo_lease, count (stream), chat (bidi), panic.

The core functions (build_released_host, build_released_plugin, run_driver) need no
pytest (bench_report/released_host.py uses them); `released_host()`/`released_plugin()` turn a
missing cargo or crate registry into a skip, or a failure under
NYLON_RING_REQUIRE_TOOLCHAINS=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

INTEROP = Path(__file__).resolve().parent / "interop"
CRATE = INTEROP / "released-host"
PLUGIN_CRATE = INTEROP / "released-plugin"
BINARY = "nr-released-host"
PLUGIN_LIBRARY = "libnr_released_plugin.so"
BUILD_TIMEOUT = 1200
CRATE_INPUTS = ("Cargo.toml", "Cargo.lock", "src/main.rs")
PLUGIN_INPUTS = ("Cargo.toml", "Cargo.lock", "src/lib.rs")


class InteropError(Exception):
    """Base of the driver's errors; the message is one line naming what failed."""


class ToolchainUnavailable(InteropError):
    """cargo is not installed, or the crate registry cannot be reached to fetch nylon-ring-host."""


class HostBuildError(InteropError):
    """The driver crate or the released-crate plugin did not compile."""


class HostRefusedPlugin(InteropError):
    """The released host refused the plugin; the message is the host's own error text."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class DriverError(InteropError):
    """The driver rejected the steps or died before answering every step (a crashed plugin).

    `results` holds the lines it printed before that.
    """

    def __init__(self, message: str, results: list[dict]) -> None:
        super().__init__(message)
        self.results = results


def _cache_root() -> Path:
    from nylon_ring_sdk.cache import cache_dir

    return cache_dir()


def _rustc_version(cargo: str) -> str:
    rustc = Path(cargo).with_name("rustc")
    command = [str(rustc) if rustc.exists() else "rustc", "--version"]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.strip()
    except OSError:
        return ""


def _content_key(cargo: str, crate: Path, inputs: tuple[str, ...]) -> str:
    from nylon_ring_sdk.cache import content_key

    return content_key(_rustc_version(cargo), *((crate / name).read_bytes() for name in inputs))


def _last_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line.strip() for line in (proc.stderr or proc.stdout or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error")]
    return (errors or lines or [f"exit code {proc.returncode}"])[0]


def build_released_host(cargo: str | None = None) -> Path:
    """Path of the driver binary (nylon-ring-host 0.2.2), compiled on first use of this content."""
    return _cargo_build(cargo, CRATE, CRATE_INPUTS, BINARY, "the released nylon-ring-host 0.2.2")


def build_released_plugin(cargo: str | None = None) -> Path:
    """Path of the plugin built from the released nylon-ring 0.2.2 crate, compiled on first use."""
    return _cargo_build(cargo, PLUGIN_CRATE, PLUGIN_INPUTS, PLUGIN_LIBRARY, "a plugin of the released nylon-ring 0.2.2")


def _cargo_build(cargo: str | None, crate: Path, inputs: tuple[str, ...], artifact: str, what: str) -> Path:
    """`cargo build --release --locked` of `crate` into the cache, keyed by its content.

    Dependencies are fetched first, so an unreachable registry is told apart from a
    compile error. Concurrent builders are serialised by a lock file in the cache, and
    the artifact is renamed into place, so a reader never sees half a file.
    """
    cargo = cargo or shutil.which("cargo")
    if cargo is None:
        raise ToolchainUnavailable(f"toolchain 'cargo' not installed (needed to build {what})")
    root = _cache_root()
    target = root / f"{crate.name}-{_content_key(cargo, crate, inputs)}" / artifact
    if target.is_file():
        return target
    import fcntl

    target.parent.mkdir(parents=True, exist_ok=True)
    with open(root / f"{crate.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():
            return target
        env = {**os.environ, "CARGO_TARGET_DIR": str(root / f"{crate.name}-target")}
        manifest = ["--manifest-path", str(crate / "Cargo.toml"), "--locked"]
        fetch = subprocess.run([cargo, "fetch", *manifest], capture_output=True, text=True, env=env,
                               timeout=BUILD_TIMEOUT)
        if fetch.returncode != 0:
            raise ToolchainUnavailable(f"crate registry: cannot fetch the dependencies of {what} ({_last_line(fetch)})")
        build = subprocess.run([cargo, "build", "--release", *manifest], capture_output=True, text=True, env=env,
                               timeout=BUILD_TIMEOUT)
        if build.returncode != 0:
            raise HostBuildError(f"{crate / inputs[-1]}: cargo build failed: {_last_line(build)}")
        built = Path(env["CARGO_TARGET_DIR"]) / "release" / artifact
        scratch = target.with_name(f".{artifact}.{os.getpid()}")
        shutil.copy2(built, scratch)
        os.replace(scratch, target)
    return target


@lru_cache(maxsize=None)
def _built_or_reason(which: str) -> tuple[Path | None, str]:
    build = build_released_host if which == "host" else build_released_plugin
    try:
        return build(), ""
    except ToolchainUnavailable as exc:
        return None, str(exc)


def _for_test(which: str) -> Path:
    """A cargo-built artifact for a test: a missing toolchain skips, or fails under REQUIRE."""
    import pytest

    from conftest import missing

    try:
        path, reason = _built_or_reason(which)
    except HostBuildError as exc:
        pytest.fail(str(exc))
    if path is None:
        missing(reason)
    return path


def released_host() -> Path:
    """The driver binary for a test, built once per session; a missing toolchain skips the test.

    Under NYLON_RING_REQUIRE_TOOLCHAINS=1 a missing cargo or an unreachable registry
    fails the test instead; a compile error always fails it.
    """
    return _for_test("host")


def released_plugin() -> Path:
    """The plugin of the released nylon-ring 0.2.2 crate for a test; toolchain rules as released_host()."""
    return _for_test("plugin")


def run_driver(host: Path, plugin_path: str | Path, steps: list[dict], *, timeout: float = 120,
               env: dict | None = None, stream_capacity: int | None = None) -> list[dict]:
    """Run `steps` against the plugin with the driver at `host`; one dict per step, in order.

    `stream_capacity` bounds the host's per-stream frame queue (frames beyond it are
    answered Backpressure until the stream is read).
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="nr-steps-", delete=False) as handle:
        json.dump(steps, handle)
        script = handle.name
    try:
        capacity = ["--stream-capacity", str(stream_capacity)] if stream_capacity is not None else []
        proc = subprocess.run([str(host), *capacity, str(plugin_path), "--script", script], capture_output=True,
                              text=True, timeout=timeout, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        raise DriverError(f"{plugin_path}: released host did not finish {len(steps)} steps within {timeout} s",
                          _parse(out)[1:]) from None
    finally:
        os.unlink(script)
    return _check_lines(plugin_path, _parse(proc.stdout), len(steps), proc)


def _parse(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _check_lines(plugin_path: str | Path, lines: list[dict], expected: int,
                 proc: subprocess.CompletedProcess) -> list[dict]:
    head = lines[0] if lines else {}
    if head.get("op") == "load" and not head.get("ok"):
        raise HostRefusedPlugin(f"{plugin_path}: released host refused the plugin: {head.get('error')}",
                              head.get("error_kind", ""))
    if head.get("op") == "error":
        raise DriverError(f"released host: {head.get('error')}", [])
    results = [line for line in lines[1:] if line.get("op") != "error"]
    if proc.returncode != 0 or len(results) != expected:
        how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
        raise DriverError(f"{plugin_path}: released host stopped after {len(results)} of {expected} steps "
                          f"({how}; {_last_line(proc) if proc.stderr else 'no stderr'})", results)
    return results


def drive(plugin_path: str | Path, steps: list[dict], *, timeout: float = 120,
          env: dict | None = None, stream_capacity: int | None = None) -> list[dict]:
    """Run `steps` against the plugin through the released host 0.2.2 (built on first use).

    Each result has "op", "step", "ok"; an answer adds "status", "status_name", "hex" and,
    for UTF-8 bytes, "data"; a failed call adds "error" and "error_kind" (the host's error
    variant, e.g. "PluginHandleFailed" with "status"). Streams add "frames" and "end"
    ("terminal", "closed" or "timeout"); bidi adds "sent" (send statuses, then
    {"close": status}); bytes adds "foreign" (true when the answer was plugin-owned).
    Raises HostRefusedPlugin when the host refuses the plugin, DriverError on a crash.
    """
    return run_driver(released_host(), plugin_path, steps, timeout=timeout, env=env,
                      stream_capacity=stream_capacity)
