"""`nylon-ring call` and the pytest plugin, against the C test plugin."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from nylon_ring_sdk.cli import app
from test_host_support import build_c, c_header_dir, host_plugin  # noqa: F401

runner = CliRunner()


def call(*args: str, input: str | None = None):
    return runner.invoke(app, ["call", *map(str, args)], input=input)


def test_unary_raw_and_with_request(host_plugin):
    r = call(host_plugin, "echo", "--raw", "-d", "hi there")
    assert (r.exit_code, r.output) == (0, "Ok hi there\n")
    r = call(host_plugin, "hello", "--data", "world", "--method", "PUT", "--path", "/hello")
    assert (r.exit_code, r.output) == (0, "Ok PUT /hello world\n")
    r = call(host_plugin, "request", "-H", "a:1", "-H", "b: two words", "--query", "q=1")
    assert r.output == "Ok GET|/|q=1|a=1;b=two words;\n"


def test_data_from_file_and_stdin(host_plugin, tmp_path):
    body = tmp_path / "body.bin"
    body.write_bytes(b"from file")
    assert call(host_plugin, "echo", "--raw", "-d", f"@{body}").output == "Ok from file\n"
    assert call(host_plugin, "echo", "--raw", "-d", "@-", input="from stdin").output == "Ok from stdin\n"


def test_stream_prints_one_frame_per_line(host_plugin):
    r = call(host_plugin, "count", "--raw", "--stream", "-d", "3")
    assert (r.exit_code, r.output) == (0, "Ok 0\nOk 1\nOk 2\nStreamEnd\n")
    r = call(host_plugin, "count", "--stream", "-d", "2")
    assert r.output == "Ok 0\nOk 1\nStreamEnd\n"


def test_json_output(host_plugin):
    r = call(host_plugin, "echo", "--raw", "-d", "j", "--json")
    doc = json.loads(r.output)
    assert doc["status"] == "Ok" and doc["data"] == "j" and doc["entry"] == "echo" and not doc["rejected"]
    r = call(host_plugin, "count", "--raw", "--stream", "-d", "2", "--json")
    doc = json.loads(r.output)
    assert [f["data"] for f in doc["frames"]] == ["0", "1", ""]
    assert doc["frames"][-1]["status"] == "StreamEnd"


def test_non_ok_answers_exit_2(host_plugin):
    r = call(host_plugin, "nope", "--raw")
    assert r.exit_code == 2 and r.output == "Unsupported (rejected by handle)\n"
    r = call(host_plugin, "count", "--raw", "--stream", "-d", "x")
    assert r.exit_code == 2 and "Invalid" in r.output
    r = call(host_plugin, "state", "--raw", "--no-state")
    assert r.exit_code == 2 and r.output == "Unsupported no state extension\n"


@pytest.mark.parametrize("args, message", [
    (["echo", "--raw", "--timeout", "0.1"], None),
    (["never", "--raw", "--timeout", "0.1"], "entry 'never' sid 1: no result within 0.1 s"),
    (["echo", "-H", "no-colon"], "--header 'no-colon': expected KEY:VALUE"),
    (["echo", "--raw", "-H", "a:b"], "--header needs request metadata"),
    (["echo", "--raw", "-d", "@/no/such/file"], "--data @/no/such/file: cannot read file"),
])
def test_errors_are_one_line_with_exit_1(host_plugin, args, message):
    r = call(host_plugin, *args)
    if message is None:
        assert r.exit_code == 0
        return
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in r.output


def test_load_failure_is_one_line(tmp_path):
    r = call(tmp_path / "missing.so", "echo")
    assert r.exit_code == 1 and r.output.strip() == f"error: {tmp_path / 'missing.so'}: no such file"


def test_console_script_runs_what_python_m_runs():
    """The `nylon-ring` script pyproject declares is the function `python -m nylon_ring_sdk` calls,
    so the subprocess tests, which run the latter with this interpreter, cover the script too."""
    import tomllib

    from conftest import ROOT

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"nylon-ring": "nylon_ring_sdk.entry:main"}
    main_module = (ROOT / "nylon_ring_sdk" / "__main__.py").read_text()
    assert "from .entry import main\n" in main_module and main_module.rstrip().endswith("main()")


def test_call_in_a_subprocess(host_plugin):
    done = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "call", str(host_plugin), "echo_async", "--raw",
                           "-d", "sub"], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "Ok sub\n", "")
    done = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "call", str(host_plugin), "never", "--raw",
                           "--timeout", "0.05"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1


# ---------------------------------------------------------------- pytest plugin


AUTHOR_TESTS = '''
import pytest

def test_fixture(nylon_ring_host):
    assert nylon_ring_host.info.name == "host-test-plugin"
    assert nylon_ring_host.call_raw("echo", b"hi").data == b"hi"

def test_factory(nylon_ring_load):
    h = nylon_ring_load(state=False)
    assert h.call_raw("state", b"x").status == 3

@pytest.mark.nylon_ring_plugin("{plugin}")
def test_marker(nylon_ring_host):
    assert nylon_ring_host.call_raw("echo_async", b"m").data == b"m"

def test_violation(nylon_ring_host):
    assert nylon_ring_host.call_raw("double", b"").data == b"first"
'''


def run_pytest(folder, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=folder, capture_output=True, text=True, timeout=300)


def test_pytest_plugin_fixtures(host_plugin, tmp_path):
    (tmp_path / "test_author.py").write_text(AUTHOR_TESTS.replace("{plugin}", str(host_plugin)))
    done = run_pytest(tmp_path, "--nylon-ring-plugin", str(host_plugin))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
    strict = run_pytest(tmp_path, "--nylon-ring-plugin", str(host_plugin), "--nylon-ring-strict")
    assert strict.returncode == 1
    assert "1 error" in strict.stdout and "after_terminal" in strict.stdout


def test_pytest_plugin_ini_and_missing_configuration(host_plugin, tmp_path):
    (tmp_path / "test_author.py").write_text(textwrap.dedent('''
        def test_fixture(nylon_ring_host):
            assert nylon_ring_host.call_raw("echo", b"ini").data == b"ini"
    '''))
    missing = run_pytest(tmp_path)
    assert missing.returncode == 1 and "no nylon-ring plugin configured" in missing.stdout
    (tmp_path / "pytest.ini").write_text(f"[pytest]\nnylon_ring_plugin = {host_plugin}\n")
    done = run_pytest(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
