"""The C project template: `nylon-ring new --lang c`, built with make (cc, zig cc) and
CMake, run under the reference host, the conformance suite and a sanitized strict host.

The checks themselves are shared with the C++ template (tests/native_templates.py);
this module says how C builds and how its guard entries misbehave. C has no
exceptions: the panic probes call nrp_panic(), which unwinds to the SDK boundary.
"""

from __future__ import annotations

import pytest

from native_templates import *  # noqa: F401,F403  (the shared fixtures and tests, collected here for C)
from native_templates import Native

GUARD_BODIES = {
    "forget": "    return NR_STATUS_OK;",
    "twice": ('    nrp_reply_str(call, NR_STATUS_OK, "first");\n'
              '    return nrp_reply_str(call, NR_STATUS_OK, "second") == NRP_ENDED ? NR_STATUS_OK : NR_STATUS_ERR;'),
    "late_frame": ('    nrp_frame(call, "a", 1);\n    nrp_end(call);\n'
                   '    return nrp_frame(call, "b", 1) == NRP_ENDED ? NR_STATUS_OK : NR_STATUS_ERR;'),
    "open_stream": '    nrp_frame(call, "a", 1);\n    return NR_STATUS_OK;',
    "reject_after_reply": '    nrp_reply_str(call, NR_STATUS_OK, "x");\n    return NR_STATUS_INVALID;',
}


@pytest.fixture(scope="module")
def native() -> Native:
    return Native(
        lang="c", name="demo-c", sources=("src/plugin.c", "sdk/nr_plugin.c"), compiler="gcc",
        flags=("-std=c11",), cc_var="CC", flags_var="CFLAGS", zig_sub="cc",
        stub=r"static NrStatus entry_{name}\(NrpCall \*call\)",
        to_stream=('{{.name = "{name}", .kind = NRP_UNARY', '{{.name = "{name}", .kind = NRP_STREAM'),
        guard_bodies=GUARD_BODIES,
    )


def test_readme_explains_the_panic_probe_choice(project):
    readme = (project / "README.md").read_text()
    assert "nrp_panic" in readme and "C has no exceptions" in readme
