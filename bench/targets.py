"""The issue's performance targets, checked against what this run measured.

Each target is a ratio between two figures of the same run (so the machine cancels
out), except the Rust unary target, which the issue states as an absolute figure
measured elsewhere: it is shown as such, next to the ratio to this run's C floor.
"""

from __future__ import annotations

from dataclasses import dataclass

from measure import Figure, Measurement

RAW_SDK_LIMIT = 2.0        # Rust, C, C++, Zig raw synchronous echo vs the C floor
GO_LIMIT = 1.5             # Go raw synchronous echo vs the bare cgo floor
SCALING_MIN = 1.8          # calls/s on 2 threads vs 1 thread, synchronous raw path
HOST_LIMIT = 2.0           # reference host call_raw vs the bare ctypes floor
PER_CPU_FAIR = 0.9         # 2-thread rate per CPU granted, relative to 1 thread: no contention above this
BLOCKED_LIMIT = 0.2        # threads' worth of time asleep in a 2-thread run that counts as blocking
RUST_UNARY_NS = 57.0       # the figure for the original Rust macro's unary path


@dataclass
class Verdict:
    """One target: what was compared, the measured figures, and met / missed by how much."""

    target: str
    measured: str
    met: bool | None          # None: could not be measured
    verdict: str
    profile_of: tuple[str, str, int] | None = None  # (subject, mode, threads) to profile when missed


def _percent(fraction: float) -> str:
    value = fraction * 100
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"


def _missed(ratio: float, limit: float, lower_is_better: bool = True) -> str:
    if lower_is_better:
        return f"missed by {_percent(ratio / limit - 1)} ({ratio:.2f}x against at most {limit:g}x)"
    return f"missed by {_percent(1 - ratio / limit)} ({ratio:.2f}x against at least {limit:g}x)"


def _fig(results: dict, subject: str, mode: str, threads: int = 1) -> Figure | str:
    m: Measurement | None = results.get((subject, mode))
    if m is None:
        return f"{subject} {mode} was not measured"
    if m.error:
        return f"{subject} {mode} failed: {m.error}"
    fig = m.figure(threads)
    return fig if fig else f"{subject} {mode} has no {threads}-thread figure"


def ratio_target(results: dict, target: str, subject: str, base: str, limit: float) -> Verdict:
    """ns/call of `subject` over ns/call of `base`, raw mode, one thread."""
    a, b = _fig(results, subject, "raw"), _fig(results, base, "raw")
    for f in (a, b):
        if isinstance(f, str):
            return Verdict(target, "-", None, f"not measured: {f}")
    ratio = a.ns / b.ns
    measured = f"{ratio:.2f}x ({a.ns:.1f} ns against {b.ns:.1f} ns)"
    if ratio <= limit:
        return Verdict(target, measured, True, "met")
    return Verdict(target, measured, False, _missed(ratio, limit), (subject, "raw", 1))


def scaling_target(results: dict, subject: str, label: str) -> Verdict:
    """calls/s with 2 threads over calls/s with 1 thread, raw mode.

    When it falls short, where the threads' time went says why: a rate per CPU granted
    well below the 1-thread rate is contention (cache lines, spinning); time asleep is
    blocking on a lock or futex; time waiting for a free CPU is a busy machine, and if
    the threads never got two CPUs the target could not be tested in this run.
    """
    target = f"{label}: 2 threads give at least {SCALING_MIN:g}x the 1-thread rate (raw)"
    one, two = _fig(results, subject, "raw", 1), _fig(results, subject, "raw", 2)
    for f in (one, two):
        if isinstance(f, str):
            return Verdict(target, "-", None, f"not measured: {f}")
    ratio = two.rate / one.rate
    waited = f", waited {two.waiting:.2f} for a free CPU" if two.waiting is not None else ""
    measured = (f"{ratio:.2f}x ({two.rate / 1e6:.1f}M against {one.rate / 1e6:.1f}M calls/s; "
                f"the 2 threads got {two.cpus:.2f} CPUs{waited})")
    if ratio >= SCALING_MIN:
        return Verdict(target, measured, True, "met")
    missed = _missed(ratio, SCALING_MIN, lower_is_better=False)
    per_cpu = (two.rate / two.cpus) / (one.rate / one.cpus) if two.cpus and one.cpus else 0.0
    if per_cpu < PER_CPU_FAIR:
        return Verdict(target, measured, False, f"{missed}; per CPU granted, 2 threads ran at only {per_cpu:.2f}x "
                       "the 1-thread rate: the threads slow each other down (see the profile)", (subject, "raw", 2))
    if two.blocked is not None and two.blocked >= BLOCKED_LIMIT:
        return Verdict(target, measured, False, f"{missed}; the threads slept {two.blocked:.2f} of a thread's time "
                       "(neither running nor waiting for a CPU): they block on a lock or futex (see the profile)",
                       (subject, "raw", 2))
    most = max(two.cpu_runs)
    if most < SCALING_MIN:
        return Verdict(target, measured, None, f"not measurable in this run: the 2 threads never got more than "
                       f"{most:.2f} CPUs (the machine was busy elsewhere); per CPU granted they ran at {per_cpu:.2f}x "
                       "the 1-thread rate, so no contention showed")
    return Verdict(target, measured, False, f"{missed}; per CPU granted, 2 threads ran at {per_cpu:.2f}x the "
                   f"1-thread rate, but the best run got only {two.cpus:.2f} CPUs")


def _cgo_control(results: dict) -> str:
    """The bare cgo floor's own 2-thread scaling, measured in the same run, for comparison."""
    one, two = _fig(results, "cgo-floor", "raw", 1), _fig(results, "cgo-floor", "raw", 2)
    if isinstance(one, str) or isinstance(two, str):
        return ""
    return (f"; the bare cgo floor, with no SDK, scaled {two.rate / one.rate:.2f}x in the same run, so that much of "
            "the shortfall is the cgo crossing itself")


def rust_unary_target(results: dict) -> Verdict:
    target = f"rust SDK unary with request: {RUST_UNARY_NS:g} ns class (the original Rust macro, per the issue)"
    rust, floor = _fig(results, "rust", "unary"), _fig(results, "floor", "unary")
    if isinstance(rust, str):
        return Verdict(target, "-", None, f"not measured: {rust}")
    extra = f"; {rust.ns / floor.ns:.2f}x the C floor's {floor.ns:.1f} ns" if isinstance(floor, Figure) else ""
    measured = f"{rust.ns:.1f} ns{extra}"
    if rust.ns <= RUST_UNARY_NS:
        return Verdict(target, measured, True, "met (the original macro is not built here: absolute figure only)")
    over = (rust.ns / RUST_UNARY_NS - 1) * 100
    return Verdict(target, measured, False, f"missed by {over:.0f}% against {RUST_UNARY_NS:g} ns "
                   "(a figure from another machine; the original macro is not built here)", ("rust", "unary", 1))


def host_target(host: dict | str) -> Verdict:
    target = f"reference host call_raw within {HOST_LIMIT:g}x of the bare ctypes call-plus-callback floor"
    if not isinstance(host, dict):
        return Verdict(target, "-", None, f"not measured: {host}")
    ratio = host["host_ns"] / host["floor_ns"]
    measured = f"{ratio:.2f}x ({host['host_ns']:.0f} ns against {host['floor_ns']:.0f} ns)"
    if ratio <= HOST_LIMIT:
        return Verdict(target, measured, True, "met")
    return Verdict(target, measured, False, _missed(ratio, HOST_LIMIT))


def evaluate(results: dict, sdk_langs: list[str], host: dict | str) -> list[Verdict]:
    """Every target of the issue, in its order."""
    verdicts = [ratio_target(results, f"{lang} SDK raw synchronous echo within {RAW_SDK_LIMIT:g}x of the C floor",
                             lang, "floor", RAW_SDK_LIMIT)
                for lang in ("rust", "c", "cpp", "zig") if lang in sdk_langs]
    if "rust" in sdk_langs:
        verdicts.append(rust_unary_target(results))
    if "go" in sdk_langs:
        verdicts.append(ratio_target(results, f"go SDK raw synchronous echo within {GO_LIMIT:g}x of the bare cgo floor",
                                     "go", "cgo-floor", GO_LIMIT))
    verdicts.append(scaling_target(results, "floor", "C floor (control: what this machine allows)"))
    if "go" in sdk_langs:
        verdicts.append(scaling_target(results, "cgo-floor", "cgo floor (control for go: what cgo itself allows)"))
    for lang in sdk_langs:
        verdict = scaling_target(results, lang, f"{lang} SDK")
        if lang == "go" and verdict.met is False:
            verdict.verdict += _cgo_control(results)
        verdicts.append(verdict)
    verdicts.append(host_target(host))
    return verdicts
