"""The hostile-but-legal host (Host.load(hostile=True)) against corpus plugins with one slip each.

The same plugins pass under the kind host: these tests show what the hostile host adds
(guard pages, read-only inputs, poison after the call, late release), through the real
host and real compiled plugins.
"""

from __future__ import annotations

import subprocess
import sys
import time

from nylon_ring_sdk.host import Host, NrStatus, Request
from test_conformance_support import build

_RUN = """
import sys
from nylon_ring_sdk.host import Host
h = Host.load(sys.argv[1], hostile=sys.argv[2] == "hostile")
r = h.call_raw(sys.argv[3], sys.argv[4].encode())
print("answered", r.data)
"""


def _call_in_child(plugin, mode: str, entry: str, payload: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _RUN, str(plugin), mode, entry, payload], capture_output=True,
                          text=True, timeout=60)


def test_strlen_on_a_payload_dies_inside_the_call_with_the_input_named():
    plugin = build("strlen_payload")
    kind = _call_in_child(plugin, "kind", "echo", "hi")
    assert kind.returncode == 0 and "answered b'hi'" in kind.stdout  # the kind host's NUL hides it
    hostile = _call_in_child(plugin, "hostile", "echo", "hi")
    assert hostile.returncode == -11, hostile
    assert "SIGSEGV: the plugin read past the end of the 2-byte payload of handle_raw('echo', sid 1)" in hostile.stderr


def test_an_in_place_write_into_the_payload_is_named_as_a_write():
    hostile = _call_in_child(build("lower_in_place"), "hostile", "echo", "Hi")
    assert hostile.returncode == -11, hostile
    assert "wrote into the read-only 2-byte payload of handle_raw('echo', sid 1)" in hostile.stderr


def test_a_view_read_after_the_call_returned_reads_the_poison():
    with Host.load(build("keeps_view"), hostile=True) as h:
        assert h.call_raw("echo_async", b"0123456789").data == b"NRPOISONNR"
    with Host.load(build("keeps_view")) as h:
        assert h.call_raw("echo_async", b"0123456789").data == b"0123456789"


def test_a_view_written_after_the_call_returned_is_a_violation():
    with Host.load(build("scrubs_view"), hostile=True) as h:
        assert h.call_raw("echo_async", b"secret").data == b"secret"
        time.sleep(0.1)
        h.sweep()
        written = [v for v in h.violations if v.kind == "input_written"]
        assert len(written) == 1 and written[0].size == 6
        assert "6-byte payload changed after the call returned" in written[0].describe()


def test_a_correct_plugin_sees_exact_views_empty_ones_and_guarded_requests():
    with Host.load(build("reference"), hostile=True) as h:
        r = h.call("hello", b"world", Request(method="GET", path="/p", headers=[("k", "v")] * 200))
        assert (r.status, r.data) == (NrStatus.OK, b"GET /p world")
        assert h.call_raw("echo", b"").data == b""  # a zero-length view on a guard page
        assert h.call_raw("echo", None).data == b""  # NULL stays NULL
        assert h.call_raw("echo", b"x" * 70000).data == b"x" * 70000
        assert [f.data for f in h.stream_raw("count", b"2")] == [b"0", b"1", b""]
        h.sweep()
        assert h.violations == []


def test_a_status_returned_outside_the_enum_is_recorded():
    with Host.load(build("returns_404"), hostile=True) as h:
        r = h.call_raw("no-such-entry", b"x")
        assert r.rejected and r.status == 404
        assert [(v.kind, v.status, v.sid) for v in h.violations] == [("handle_status", 404, r.sid)]
