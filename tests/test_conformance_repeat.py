"""`conformance --repeat N --seed S`: a failing run is found, named by its seed, and replayed exactly.

The plugin is the corpus's flaky_stream (its count stream ends with Err on the 18th,
68th, ... stream of a process): the default run makes too few overlapping streams to
reach it, a repeat with more of them does.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

from nylon_ring_sdk.conformance.repeat import replay_command, seed_of
from test_conformance_support import MANIFEST, build

CHECK = "concurrency.overlap_streams"


def _conformance(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "conformance", *args],
                          capture_output=True, text=True, timeout=600)


def _check(report_path) -> dict:
    report = json.loads(report_path.read_text())
    return next(c for c in report["checks"] if c["id"] == CHECK)


def test_run_seeds_start_at_the_given_seed_and_are_derived_from_it():
    assert seed_of(7, 0) == 7
    seeds = [seed_of(7, i) for i in range(1, 50)]
    assert len(set(seeds)) == 49 and all(0 < s < 2**48 for s in seeds)
    assert seeds == [seed_of(7, i) for i in range(1, 50)] and seed_of(8, 1) != seed_of(7, 1)
    assert replay_command(["nr", "conformance", "a b.so"], 5) == "nr conformance 'a b.so' --seed 5 --repeat 1"


def test_the_default_run_misses_the_flaky_stream(tmp_path):
    result = _conformance(str(build("flaky_stream")), "--manifest", str(MANIFEST), "-k", "concurrency",
                          "--json", str(tmp_path / "r.json"), "-q")
    assert result.returncode == 0, result.stdout
    assert _check(tmp_path / "r.json")["details"]["seed"] == 0


def test_a_failing_repeat_prints_its_seed_and_the_replay_fails_the_same_way(tmp_path):
    plugin = str(build("flaky_stream"))
    first = _conformance(plugin, "--manifest", str(MANIFEST), "-k", "concurrency", "--repeat", "20", "--seed", "1",
                         "--json", str(tmp_path / "first.json"), "--junit", str(tmp_path / "first.xml"))
    assert first.returncode == 1, first.stdout + first.stderr
    found = re.search(r"repeat: run (\d+) of 20 failed with seed (\d+); replay it with:\n  (.+)", first.stdout)
    assert found, first.stdout
    seed, replay = int(found.group(2)), shlex.split(found.group(3))
    assert replay[:2] == ["nylon-ring", "conformance"] and replay[-4:] == ["--seed", str(seed), "--repeat", "1"]
    report = json.loads((tmp_path / "first.json").read_text())
    assert report["options"]["seed"] == seed and report["repeat"]["failed_seed"] == seed
    assert report["repeat"]["failed_run"] == int(found.group(1)) - 1 and report["repeat"]["seeds"][0] == 1
    assert f'name="seed" value="{seed}"' in (tmp_path / "first.xml").read_text()

    again = _conformance(*replay[2:], "--json", str(tmp_path / "again.json"))
    assert again.returncode == 1, again.stdout + again.stderr
    before, after = _check(tmp_path / "first.json"), _check(tmp_path / "again.json")
    assert before["status"] == after["status"] == "fail"
    assert "then Err; alone:" in after["reason"]
    assert after["details"]["inputs_sha256"] == before["details"]["inputs_sha256"]
    assert {k: after["details"][k] for k in ("seed", "threads", "rounds", "payload_sizes")} == \
        {k: before["details"][k] for k in ("seed", "threads", "rounds", "payload_sizes")}


def test_repeat_and_seed_are_checked(tmp_path):
    plugin = str(build("reference"))
    for args, text in ((["--repeat", "0"], "--repeat 0: expected 1 or more runs"),
                       (["--seed", "-1"], "--seed -1: expected 0")):
        result = _conformance(plugin, "--manifest", str(MANIFEST), *args)
        assert result.returncode == 2 and text in result.stderr, result.stderr
