"""Writing BENCHMARKS.md from one run's measurements. Every number comes from the run."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from measure import INFLIGHT, Figure, Leak, Measurement
from subjects import ANSWER_PATHS, PAYLOAD_SIZES, Subject, subject_key
from targets import Verdict

MODE_TITLES = {
    (1, "raw"): "Raw unary, synchronous answer (`echo` through handle_raw)",
    (1, "unary"): "Unary with an NrRequest (`hello`: method, path, query, 4 headers, 16-byte body)",
    (2, "raw"): "Unary, synchronous answer by name (`echo` through handle, copied by the host)",
    (2, "raw-by-id"): "Unary, synchronous answer by id (`echo` through handle_by_id)",
    (2, "unary"): "Unary `hello` (ABI 2 has no request struct: \"hello, \" + 16-byte body)",
    "async": "Asynchronous unary (`echo_async`: answered from the plugin's own thread)",
    "stream": "Server stream of 5 frames (`count`, payload \"5\")",
    "bidi": "Bidirectional: open, 5 stream_data, stream_close (`chat`)",
}
CORE_ITEMS = {1: ("raw", "unary", "async", "stream", "bidi"),
              2: ("raw", "raw-by-id", "unary", "async", "stream", "bidi")}


MODE_NOTES = {
    (2, "stream"): "The ABI 2 scaffolds run `count` on their background pool (a stream that may outgrow the host's "
                   "stream queue can wait out Backpressure only off the host's thread), where the floor answers on "
                   "the host's thread: their rows include a cross-thread hand-off per stream, as the async rows do.",
    "async": "Every answer is checked to come from another thread than the caller's (an answer sent inside handle "
             "fails the run), so no SDK can look fast here by answering synchronously. "
             "Latency runs from just before the call to the answer's arrival in send_result. With 1 in flight, "
             "ns/call also counts the harness noticing the answer (it spins for 50 µs, then yields the CPU), so on "
             "a busy machine it sits well above p50. With 16 in flight the thread keeps issuing while answers come.",
}


@dataclass
class RunInfo:
    """What the report's header needs about the run itself."""

    command: str
    started: datetime
    finished: datetime
    load_before: tuple[float, float, float] | None
    load_after: tuple[float, float, float] | None
    seconds: float
    runs: int
    rounds: int


def _first_line(cmd: list[str]) -> str:
    if not shutil.which(cmd[0]) and not Path(cmd[0]).is_file():
        return "not installed"
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc.__class__.__name__})"
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine_details() -> list[tuple[str, str]]:
    """CPU, cores, memory, OS and every toolchain that built something in the run."""
    from nylon_ring_sdk import toolchain

    zig = toolchain.zig_command()
    return [
        ("CPU", _cpu_model()),
        ("logical CPUs", str(os.cpu_count())),
        ("memory", _memory()),
        ("OS", platform.platform()),
        ("Python", sys.version.split()[0]),
        ("C compiler", _first_line([*toolchain.c_compiler(), "--version"])),
        ("cargo / rustc", f"{_first_line(['cargo', '--version'])} / {_first_line(['rustc', '--version'])}"),
        ("go", _first_line(["go", "version"])),
        ("zig", _first_line([*zig, "version"]) if zig else "not installed"),
    ]


def _load(load: tuple[float, float, float] | None) -> str:
    return " / ".join(f"{x:.2f}" for x in load) if load else "unknown"


def _ns(fig: Figure | None) -> str:
    return f"{fig.ns:.1f}" if fig else "-"


def _median(fig: Figure | None) -> str:
    return f"{fig.median_ns:.1f}" if fig else "-"


def _cpus(fig: Figure | None) -> str:
    if fig is None:
        return "-"
    return f"{fig.cpus:.2f}" + (f" (+{fig.waiting:.2f} waiting)" if fig.waiting else "")


def _rate(value: float | None) -> str:
    if value is None:
        return "-"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.2f}{unit}"
    return f"{value:.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def _title(abi: int, item: str) -> str:
    return MODE_TITLES.get((abi, item)) or MODE_TITLES[item]


def _sync_table(mode: str, subjects: list[Subject], results: dict, floor_key: str = "floor") -> list[str]:
    floor = results.get((floor_key, mode))
    floor_fig = floor.figure(1) if floor else None
    lines = ["| plugin | ns/call | median ns/call | calls/s | time vs C floor | calls/s, 2 threads | 2 threads / 1 | CPUs the 2 threads got |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in subjects:
        m: Measurement | None = results.get((s.key, mode))
        if m is None:
            continue
        if m.error:
            lines.append(f"| {s.label} | error: {m.error} | | | | | | |")
            continue
        one, two = m.figure(1), m.figure(2)
        lines.append(f"| {s.label} | {_ns(one)} | {_median(one)} | {_rate(one.rate if one else None)} | "
                     f"{_ratio(one.ns if one else None, floor_fig.ns if floor_fig else None)} | "
                     f"{_rate(two.rate if two else None)} | {_ratio(two.rate if two else None, one.rate if one else None)} | "
                     f"{_cpus(two)} |")
    return lines


def _async_table(subjects: list[Subject], results: dict, floor_key: str = "floor") -> list[str]:
    k = INFLIGHT[-1]
    floor = results.get((floor_key, "async"))
    f1 = floor.figure(1, 1) if floor else None
    fk = floor.figure(1, k) if floor else None
    lines = [f"| plugin | ns/call, 1 in flight | p50 latency ns | p99 latency ns | max latency ns | time vs C floor | calls/s, {k} in flight | rate vs C floor | calls/s, 2 threads x {k} |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in subjects:
        m: Measurement | None = results.get((s.key, "async"))
        if m is None:
            continue
        if m.error:
            lines.append(f"| {s.label} | error: {m.error} | | | | | | |")
            continue
        one, many, two = m.figure(1, 1), m.figure(1, k), m.figure(2, k)
        p50 = f"{one.p50:.0f}" if one and one.p50 is not None else "-"
        p99 = f"{one.p99:.0f}" if one and one.p99 is not None else "-"
        worst = f"{one.max_latency:.0f}" if one and one.max_latency is not None else "-"
        lines.append(f"| {s.label} | {_ns(one)} | {p50} | {p99} | {worst} | {_ratio(one.ns if one else None, f1.ns if f1 else None)} | "
                     f"{_rate(many.rate if many else None)} | {_ratio(many.rate if many else None, fk.rate if fk else None)} | "
                     f"{_rate(two.rate if two else None)} |")
    return lines


def _paths_table(subjects: list[Subject], results: dict) -> list[str]:
    """ABI 2 answer paths: ns/call of copy, owned and lease answers per payload size, and vs the floor's."""
    floor = subject_key("floor", 2)
    head = " | ".join(f"{path} {size} B" for size in PAYLOAD_SIZES for path, _ in ANSWER_PATHS)
    lines = [f"| plugin | {head} |", "| --- |" + " ---: |" * (len(PAYLOAD_SIZES) * len(ANSWER_PATHS))]
    for s in subjects:
        if s.abi != 2:
            continue
        cells = []
        for size in PAYLOAD_SIZES:
            for path, _ in ANSWER_PATHS:
                m, base = results.get((s.key, f"{path}-{size}")), results.get((floor, f"{path}-{size}"))
                if m is None:
                    cells.append("-")
                elif m.error:
                    cells.append(f"error: {m.error}")
                else:
                    fig, bfig = m.figure(1), base.figure(1) if base else None
                    vs = "" if s.key == floor else f" ({_ratio(fig.ns if fig else None, bfig.ns if bfig else None)})"
                    cells.append(f"{_ns(fig)}{vs}")
        lines.append(f"| {s.label} | {' | '.join(cells)} |")
    return lines


def _leak_table(leaks: dict[str, Leak], subjects: list[Subject]) -> list[str]:
    if not leaks:
        return []
    lines = ["## Memory over many asynchronous calls", "",
             "The harness's resident set (VmRSS) at the end of a process that made a fixed number of `echo_async` "
             f"calls (1 thread, {INFLIGHT[-1]} in flight, one warm-up run and one timed run of that many calls).", "",
             "| plugin | calls | RSS KiB | calls | RSS KiB | growth |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    labels = {s.key: s.label for s in subjects}
    for key, leak in leaks.items():
        if leak.rss_kib is None:
            lines.append(f"| {labels.get(key, key)} | not measured: {leak.error} | | | | |")
        else:
            lines.append(f"| {labels.get(key, key)} | {leak.calls[0]:,} | {leak.rss_kib[0]:,} | {leak.calls[1]:,} | "
                         f"{leak.rss_kib[1]:,} | {leak.growth:.3f}x |")
    return lines + [""]


def _targets(verdicts: list[Verdict]) -> list[str]:
    met = sum(1 for v in verdicts if v.met is True)
    missed = sum(1 for v in verdicts if v.met is False)
    unknown = len(verdicts) - met - missed
    lines = [f"{met} met, {missed} missed, {unknown} not measurable in this run.", "",
             "| target | measured | verdict |", "| --- | --- | --- |"]
    for v in verdicts:
        text = v.verdict.replace("missed", "**missed**", 1) if v.met is False else v.verdict
        lines.append(f"| {v.target} | {v.measured} | {text} |")
    return lines


def _host_section(host: dict | str) -> list[str]:
    lines = ["## Reference host (Python, ctypes)", ""]
    if not isinstance(host, dict):
        return lines + [f"Not measured: {host}.", ""]
    lines += [f"`Host.call_raw` on the C floor's synchronous `echo` against the bare ctypes floor, measured by "
              f"`bench_report/host_bench.py` in this run ({host['rounds']} alternating rounds of {host['calls']:,} calls, "
              "best round of each, rounds alternating between the three). The floor is one ctypes call of a no-op C function that makes one ctypes "
              "callback; the ABI-signature floor passes NrBytes by value and copies the payload, the least a "
              "ctypes host must do.", "",
              "| path | ns/call | calls/s | vs floor |", "| --- | ---: | ---: | ---: |"]
    for label, ns in (("bare ctypes floor", host["floor_ns"]), ("ctypes floor, ABI signature", host["floor_abi_ns"]),
                      ("Host.call_raw", host["host_ns"])):
        lines.append(f"| {label} | {ns:.0f} | {_rate(1e9 / ns)} | {ns / host['floor_ns']:.2f}x |")
    return lines + [""]


def _profiles(profiles: dict[str, list[str] | str]) -> list[str]:
    if not profiles:
        return []
    lines = ["## Profiles of the missed targets", "",
             "Flat `perf` profiles (share of samples, library, symbol) of the harness calling the plugin, "
             "recorded in this run.", ""]
    for title, rows in profiles.items():
        lines += [f"### {title}", ""]
        lines += ["```", *rows, "```"] if isinstance(rows, list) else [rows]
        lines.append("")
    return lines


def _tooling_section(tooling: dict | str | None) -> list[str]:
    lines = ["## Command start-up", ""]
    if tooling is None:
        return []
    if not isinstance(tooling, dict):
        return lines + [f"Not measured: {tooling}.", ""]
    lines += ["Whole processes, interpreter start-up included, measured by `bench_report/cli_bench.py` in this run against "
              "`python -c pass` (targets: gen-bindings for every language well under 0.5 s, scaffolding under 1 s).", "",
              "| command | median | min | vs `python -c pass` |", "| --- | ---: | ---: | ---: |"]
    for name, row in tooling.items():
        label = "`python -c pass`" if name == "floor" else f"`nylon-ring {name}`"
        lines.append(f"| {label} | {row['median_s'] * 1e3:.0f} ms | {row['min_s'] * 1e3:.0f} ms | {row['x_floor']:.2f}x |")
    return lines + [""]


def _generation_sections(abi: int, subjects: list[Subject], results: dict) -> list[str]:
    mine = [s for s in subjects if s.abi == abi or (abi == 1 and s.key == "cgo-floor")]
    if not mine:
        return []
    floor = subject_key("floor", abi)
    lines = [f"## ABI {abi}", ""]
    for item in CORE_ITEMS[abi]:
        lines += [f"### {_title(abi, item)}", ""]
        lines += _async_table(mine, results, floor) if item == "async" else _sync_table(item, mine, results, floor)
        lines.append("")
        note = MODE_NOTES.get((abi, item), MODE_NOTES.get(item))
        if note:
            lines += [note, ""]
    if abi == 2:
        lines += ["### Answer paths by payload size (ns/call, 1 thread; in brackets: time vs the C floor's same path)", "",
                  "`echo` answers through send_result with a borrowed buffer (the host copies), `echo_owned` through "
                  "send_result_owned (the host keeps the plugin's buffer until it calls release), `echo_lease` into a "
                  "buffer leased from the host (acquire, write, commit).", ""]
        lines += _paths_table(subjects, results) + [""]
    return lines


def render(info: RunInfo, subjects: list[Subject], results: dict, verdicts: list[Verdict],
           host: dict | str, profiles: dict[str, list[str] | str], tooling: dict | str | None = None,
           leaks: dict[str, Leak] | None = None, extra: list[str] | None = None) -> str:
    """The whole of BENCHMARKS.md."""
    lines = [
        "# nylon-ring benchmarks",
        "",
        f"Produced by `{info.command}` from {info.started:%Y-%m-%d %H:%M} to {info.finished:%H:%M} UTC. "
        "Every figure in this file was measured by that run; none is typed in.",
        "",
        "Method: the native harness (`nylon-ring bench`, C, dlopen) calls each plugin in a timed loop and checks "
        "every answer (sid, status, frame count, payload length; each mode's expected answer length is fixed "
        "for all plugins, so every plugin does the same work). *ns/call* is thread time per call; *calls/s* is "
        "the rate of all threads together over the run's wall-clock span; *CPUs* is the CPU time the harness "
        "threads actually got over that span, and *waiting* the time they were runnable but found no free CPU "
        "(2 threads below 2.00 CPUs either waited, because the machine was busy elsewhere, or slept, blocked). "
        f"Each case runs {info.runs} timed runs of {info.seconds / info.runs:.2f} s after a warm-up run, in each of "
        f"{info.rounds} round(s) that visit every plugin in turn, so drifting load hits all plugins alike. The figures "
        "are those of the best run (noise on a shared machine only ever adds time), the median of all runs stands "
        "next to them; latency percentiles and the worst latency are medians over the rounds, so a tail is not "
        "hidden by one quiet round. Ratios compare figures of this run, within one ABI generation.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in machine_details()),
        f"| load average (1/5/15 min) before | {_load(info.load_before)} |",
        f"| load average (1/5/15 min) after | {_load(info.load_after)} |",
        "",
        "## Targets",
        "",
        *_targets(verdicts),
        "",
    ]
    for abi in sorted({s.abi for s in subjects}):
        lines += _generation_sections(abi, subjects, results)
    lines += _leak_table(leaks or {}, subjects)
    lines += extra or []
    lines += _host_section(host)
    lines += _tooling_section(tooling)
    lines += _profiles(profiles)
    missing = [s for s in subjects if s.library is None]
    if missing:
        lines += ["## Not measured", ""] + [f"- {s.label}: {s.problem}" for s in missing] + [""]
    lines += ["## Build commands", ""]
    lines += [f"- {s.label}: `{' && '.join(s.build_command)}`" for s in subjects if s.build_command]
    lines += ["", "## Reproduce", "", "```", info.command, "```", ""]
    return "\n".join(lines)


def now() -> datetime:
    return datetime.now(timezone.utc)
