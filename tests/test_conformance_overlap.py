"""The concurrency.overlap_* checks: a slow correct plugin is never failed, and a seed fixes the inputs."""

from __future__ import annotations

from nylon_ring_sdk.conformance import run
from test_conformance_support import CORPUS, MANIFEST, TIMEOUT, build

CHECKS = ("concurrency.overlap_unary", "concurrency.overlap_streams", "concurrency.overlap_bidi")


def test_a_plugin_too_slow_for_the_budget_is_skipped_naming_it():
    report = run(build("seed_like"), CORPUS / "seed_like" / "nylon-ring.toml", timeout=TIMEOUT, select_patterns="overlap")
    unary = report.result("concurrency.overlap_unary")
    assert unary.status == "skip" and "do not fit this check's budget (--timeout 4)" in unary.reason
    assert all(report.result(c).status != "fail" for c in CHECKS), report.render(verbose=True)


def test_the_same_seed_sends_the_same_inputs_and_another_seed_others():
    plugin = build("reference")
    digests = []
    for seed in (0, 0, 7, 7, 8):
        report = run(plugin, MANIFEST, timeout=TIMEOUT, select_patterns="overlap", seed=seed)
        assert [report.result(c).status for c in CHECKS] == ["pass"] * 3, report.render(verbose=True)
        details = report.result("concurrency.overlap_streams").details
        assert details["seed"] == seed and report.seed == seed
        digests.append(details["inputs_sha256"])
    assert digests[0] == digests[1] and digests[2] == digests[3]
    assert len({digests[0], digests[2], digests[4]}) == 3
