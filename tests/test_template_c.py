"""The C project template: `nylon-ring new --lang c`, built with make (cc, zig cc) and
CMake, run under the reference host, the conformance suite and a sanitized strict host.

The checks themselves are shared with the C++ template (tests/native_templates.py)
and, for the example entries, with every language (tests/test_template_matrix.py);
this module says how C builds. C has no exceptions: the panic probes call
nrp_panic(), which unwinds to the SDK boundary.
"""

from __future__ import annotations

from native_sdk import *  # noqa: F401,F403  (routing and background pool checks, collected here for C)
from native_sdk import POOL_THREADS, SMALL_QUEUE, PoolPlugin
from native_templates import *  # noqa: F401,F403  (the shared fixtures and tests, collected here for C)
from native_templates import Native, run
from template_matrix import keep_copy

NATIVE = Native(lang="c", sources=("src/plugin.c", "sdk/nr_plugin.c"), compiler="gcc", flags=("-std=c11",),
                cc_var="CC", flags_var="CFLAGS", zig_sub="cc", stub=r"static NrStatus entry_{name}\(NrpCall \*call\)",
                to_stream=('{{.name = "{name}", .kind = NRP_UNARY', '{{.name = "{name}", .kind = NRP_STREAM'))
POOL = PoolPlugin(
    prelude="#define _POSIX_C_SOURCE 200809L\n#include <pthread.h>\n#include <stdio.h>\n#include <time.h>\n",
    body=("    struct timespec hold = {0, 20 * 1000 * 1000};\n    char id[32];\n    nanosleep(&hold, NULL);\n"
          "    snprintf(id, sizeof(id), \"%lx\", (unsigned long)pthread_self());\n"
          "    nrp_reply_str(call, NR_STATUS_OK, id);\n    return NR_STATUS_OK;"),
    rewrites=(('{.name = "slow", .kind = NRP_UNARY,', '{.name = "slow", .kind = NRP_UNARY, .run = NRP_BACKGROUND,'),
              (".entry_count = NRP_COUNT(entries),",
               f".entry_count = NRP_COUNT(entries),\n    .background_threads = {POOL_THREADS},")),
    small_queue=(f".background_threads = {POOL_THREADS},",
                 f".background_threads = 1,\n    .background_queue = {SMALL_QUEUE},"),
)


def test_readme_explains_the_panic_probe_choice(project):
    readme = (project / "README.md").read_text()
    assert "nrp_panic" in readme and "C has no exceptions" in readme


def test_zig_build_panics_on_the_host_thread(project, tmp_path):
    """zig cc (clang) takes the compiler's own jump buffer on x86 and sigsetjmp elsewhere: the
    synchronous probe unwinds to the boundary and answers Err, and the host thread lives on."""
    from conftest import need_zig
    from nylon_ring_sdk.host import Host, NrStatus

    zig = need_zig()
    lib = project / "build" / "zig-panic" / "libdemo_c.so"
    proc = run(["make", "-B", f"BUILD={lib.parent}", f"CC={' '.join(zig)} cc", "RELEASE=1", "CFLAGS=-Werror"],
               cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with Host.load(keep_copy(project, lib, "zig-panic")) as h:
        for _ in range(3):
            r = h.call_raw("panic", b"")
            assert (r.status, r.data) == (NrStatus.ERR, b"panic probe: the handler failed on purpose")
            assert h.call_raw("echo", b"alive").data == b"alive"
        assert h.violations == []

