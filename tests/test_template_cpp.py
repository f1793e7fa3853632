"""The C++ project template: `nylon-ring new --lang cpp`, built with make (c++, zig c++,
C++17 and C++20) and CMake, run under the reference host, the conformance suite and a
sanitized strict host.

The checks themselves are shared with the C template (tests/native_templates.py)
and, for the example entries, with every language (tests/test_template_matrix.py);
this module says how C++ builds, and adds what is C++'s own: exceptions at every
boundary and the Responder moved into spawn().
"""

from __future__ import annotations

from conftest import need_tool
from native_sdk import *  # noqa: F401,F403  (routing and background pool checks, collected here for C++)
from native_sdk import POOL_THREADS, SMALL_QUEUE, PoolPlugin
from native_templates import *  # noqa: F401,F403  (the shared fixtures and tests, collected here for C++)
from native_templates import Native, run
from template_matrix import keep_copy

NATIVE = Native(lang="cpp", sources=("src/plugin.cpp",), compiler="g++", flags=("-std=c++17",), cc_var="CXX",
                flags_var="CXXFLAGS", zig_sub="c++",
                stub=r"Status entry_{name}\(const nr::Request &, nr::Responder &res\)",
                to_stream=('plugin.unary("{name}"', 'plugin.stream("{name}"'))
POOL = PoolPlugin(
    prelude="#include <chrono>\n#include <sstream>\n#include <thread>\n",
    body=("    std::this_thread::sleep_for(std::chrono::milliseconds(20));\n    std::ostringstream id;\n"
          "    id << std::this_thread::get_id();\n    res.ok(id.str());\n    return Status::Ok;"),
    rewrites=(('plugin.unary("slow", entry_slow)',
               f'plugin.unary("slow", entry_slow, nr::Run::Background).background_threads({POOL_THREADS})'),),
    small_queue=(f".background_threads({POOL_THREADS})", f".background_threads(1).background_queue({SMALL_QUEUE})"),
)


def test_cxx20_build_with_warnings_as_errors(project):
    need_tool("g++")
    lib = project / "build" / "cxx20" / "libdemo_cpp.so"
    proc = run(["make", "-B", f"LIB={lib}", "CXX=g++", "CXXFLAGS=-std=c++20 -Werror"], cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from nylon_ring_sdk.host import Host

    with Host.load(keep_copy(project, lib, "cxx20")) as h:
        assert h.call_raw("echo", b"span").data == b"span"
        assert h.violations == []


def test_exceptions_and_spawned_answers(tmp_path_factory):
    """A throw anywhere (sync, background, bidi data) is an Err answer; a Responder moved
    into spawn() answers from a tracked thread; a handler that throws after answering
    does not answer twice."""
    need_tool("make")
    from nylon_ring_sdk.host import Host, NrStatus
    from nylon_ring_sdk.scaffold import build_project, new_project

    project = new_project("cpp", "throwing", tmp_path_factory.mktemp("cpp-throwing"), abi=1)
    source = project / "src" / "plugin.cpp"
    extra = '''
namespace {
Status spawned(const nr::Request &req, nr::Responder &res) {
    std::string copy(req.text());
    nr::spawn([r = std::move(res), copy]() mutable { r.ok("spawned " + copy); });
    return Status::Ok;
}
Status answer_then_throw(const nr::Request &, nr::Responder &res) {
    res.ok("answered");
    throw 42;  // not even a std::exception
}
Status bad_data(nr::Session &, ByteView) { throw std::logic_error("bad frame"); }
}  // namespace
'''
    text = source.read_text().replace("}  // namespace\n", "}  // namespace\n" + extra, 1)
    text = text.replace('.probe("panic", panic_probe)', '.probe("panic", panic_probe)\n'
                        '        .unary("spawned", spawned)\n'
                        '        .unary("answer_then_throw", answer_then_throw)\n'
                        '        .bidi("bad_chat", chat_open, bad_data)', 1)
    source.write_text(text)
    with Host.load(keep_copy(project, build_project(project), "throwing")) as h:
        r = h.call_raw("spawned", b"work")
        assert (r.status, r.data) == (NrStatus.OK, b"spawned work")
        r = h.call_raw("answer_then_throw", b"")
        assert (r.status, r.data) == (NrStatus.OK, b"answered")
        with h.bidi("bad_chat", raw=True) as s:
            assert s.send(b"x") == NrStatus.ERR
            assert [(f.status, f.data) for f in s] == [(NrStatus.ERR, b"bad frame")]
        assert h.violations == []
