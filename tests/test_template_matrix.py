"""Every project template's example project, checked the same way in every language.

Each language's example project (`nylon-ring new --lang L --entries extra_one`) is
built once a session (tests/template_matrix.py). Its files hold no template syntax
and its manifest declares every example; loaded by the real reference host, every
entry's exact answer is checked, bad input, panic safety on the host's thread and
on a background thread, many threads at once, shutdown, and the conformance suite.
Where an SDK answers differently on purpose, the expected answer comes from its row
in TEMPLATES.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading

import pytest

from nylon_ring_sdk.host import NULL_REQUEST, Host, NrStatus, Request
from template_matrix import ANSWERED, EXTRA, LANGS, TEMPLATES, Panic, Template, assert_conformance

HELLO = Request(method="GET", path="/hello", query="a=1", headers=[("x-test", "1")])
HELLO_NO_QUERY = Request(method="GET", path="/hello", query="", headers=[("x-test", "1")])
# (body, request, the answer when the SDK passes request bytes to the handler as they are)
ODD_REQUESTS = [
    (b"\xff", Request(method=b"P\xc3", path=b"/\xfe"), b"P\xc3 /\xfe \xff"),
    (b"w", Request(method="GET", path="/hello", headers=[("x", b"\xff\xfe")]), b"GET /hello w"),
    (b"w", Request(method=b"\xc3", path="/"), b"\xc3 / w"),
]
BIG = bytes(range(256)) * 4096
# The module-scoped fixtures are one per language: each language's tests may run in their own
# pytest-xdist worker, beside that language's own test file (tests/scheduling.py).
XDIST_SPLIT_BY = "template"


@pytest.fixture(scope="module", params=LANGS)
def template(request) -> Template:
    return TEMPLATES[request.param]


@pytest.fixture(scope="module")
def built(template, template_builds):
    return template_builds.get(template.lang)


@pytest.fixture(scope="module")
def library(built):
    return built.library


@pytest.fixture
def host(library):
    with Host.load(library) as h:
        yield h
        assert h.violations == []


def on_host_thread(thread_id: int) -> bool:
    return thread_id == threading.get_native_id()


# ---------------------------------------------------------------- the project and the library


def test_no_template_syntax_left(template, built):
    """Nothing unrendered in a name or a file, CI workflows included; build output is passed over."""
    leftovers = []
    for path in built.project.rglob("*"):
        rel = path.relative_to(built.project)
        if template.is_build_output(rel):
            continue
        if "{{" in path.name or "{%" in path.name:
            leftovers.append(str(rel))
        if path.is_file():
            text = path.read_text(errors="replace")
            if "{{" in text or "{%" in text or "cookiecutter" in text:
                leftovers.append(str(rel))
    assert leftovers == []


def test_manifest_declares_every_example(built):
    from nylon_ring_sdk.conformance.manifest import load_manifest

    manifest = load_manifest(built.project / "nylon-ring.toml")
    assert manifest.name == built.project.name
    modes = {e.name: e.mode for e in manifest.entries}
    assert modes == {"hello": "unary", "echo": "raw", "echo_async": "raw", "count": "stream_raw", "chat": "bidi",
                     "state": "raw", EXTRA: "raw"}
    assert [(p.name, p.mode) for p in manifest.panic_probes] == [("panic", "raw"), ("panic_async", "raw")]


def test_identity_exports_and_layout_probe(template, host, library, schema):
    from nylon_ring_sdk.layout import compute_layout

    assert (host.info.name, host.info.version, host.info.struct_size) == (template.name, "0.1.0", 56)
    lib = ctypes.CDLL(str(library))
    for symbol in ("nylon_ring_get_plugin_v1", "nylon_ring_set_host_ext_v1", "nylon_ring_layout_probe_v1"):
        assert hasattr(lib, symbol), symbol
    model = "lp64" if ctypes.sizeof(ctypes.c_void_p) == 8 else "ilp32"
    assert host.layout_probe() == (1, compute_layout(schema, model).probe_values())


# ---------------------------------------------------------------- every example entry


def test_hello_uses_the_request(host):
    for request in (HELLO, HELLO_NO_QUERY):
        r = host.call("hello", body=b"world", request=request)
        assert (r.status, r.data) == (NrStatus.OK, b"GET /hello world")
    r = host.call("hello", body=b"x", request=Request(method="POST", path="/p"))
    assert (r.status, r.data) == (NrStatus.OK, b"POST /p x")


def test_hello_with_request_bytes_that_are_not_utf8(template, host):
    """Bytes are data to some SDKs and Invalid to others (TEMPLATES); a crash to none."""
    for body, request, as_data in ODD_REQUESTS:
        r = host.call("hello", body=body, request=request)
        expected = (NrStatus.OK, as_data) if template.request_bytes_are_data else (NrStatus.INVALID, b"")
        assert (r.status, r.data) == expected, request


def test_hello_without_a_request(template, host):
    assert host.call("hello", body=b"x", request=NULL_REQUEST).status == NrStatus.INVALID
    r = host.call_raw("hello", b"x")  # handle_raw: no request at all
    assert (r.status, r.data) == template.hello_raw


def test_echo_on_the_host_thread_and_in_the_background(host):
    for body in (b"hi\x00there", b"ping"):
        sync = host.call_raw("echo", body)
        assert (sync.status, sync.handle_status, sync.data) == (NrStatus.OK, NrStatus.OK, body)
        assert on_host_thread(sync.thread_id)
    for body in (b"later", b"pong"):
        background = host.call_raw("echo_async", body)
        assert (background.status, background.handle_status, background.data) == (NrStatus.OK, NrStatus.OK, body)
        assert not on_host_thread(background.thread_id)
    assert host.call_raw("echo", BIG).data == BIG
    assert host.call_raw("echo_async", BIG).data == BIG


def test_count_streams_frames_then_one_end(host):
    frames = list(host.stream_raw("count", b"3"))
    assert [(f.status, f.data) for f in frames] == [
        (NrStatus.OK, b"0"), (NrStatus.OK, b"1"), (NrStatus.OK, b"2"), (NrStatus.STREAM_END, b"")]
    assert [(f.status, f.data) for f in host.stream_raw("count", b"0")] == [(NrStatus.STREAM_END, b"")]


def test_count_rejects_what_is_not_a_count(template, host):
    """Rejected with Invalid by handle itself: nothing sent (the frame is the host's synthetic one, seq 0)."""
    got = {}
    for payload in template.count_rejects:
        s = host.stream_raw("count", payload)
        got[payload] = (s.rejected, s.handle_status, [(f.status, f.data, f.seq) for f in s])
    assert got == {p: (True, NrStatus.INVALID, [(NrStatus.INVALID, b"", 0)]) for p in template.count_rejects}
    assert b"three" in template.count_rejects and b"-1" in template.count_rejects


@pytest.mark.parametrize("raw", [True, False], ids=["handle_raw", "handle"])
def test_chat_echoes_each_frame_and_ends_on_close(host, raw):
    with host.bidi("chat", body=b"", raw=raw) as s:
        for text in (b"ping", b"", b"pong", b"a", b"bb"):
            assert s.send(text) == NrStatus.OK
            frame = s.next_frame(timeout=10)
            assert (frame.status, frame.data) == (NrStatus.OK, text)
        s.close()
        rest = list(s)
    assert [(f.status, f.data) for f in rest] == [(NrStatus.STREAM_END, b"")]
    assert host.stream_data(s.sid, b"late") == NrStatus.INVALID
    assert host.stream_close(s.sid) == NrStatus.INVALID
    assert host.stream_data(2**63 + 5, b"?") == NrStatus.INVALID  # never opened


def test_state_round_trip_and_without_the_extension(host, library):
    for value in (b"kept value", b"remembered"):
        r = host.call_raw("state", value)
        assert (r.status, r.data) == (NrStatus.OK, value)
    host.close()
    with Host.load(library, state=False) as bare:
        assert bare.call_raw("state", b"kept value").status == NrStatus.UNSUPPORTED
        assert bare.violations == []


def test_extra_entry_from_new_entries(template, host):
    for payload in (b"", b"sample", b"ping"):
        r = host.call_raw(EXTRA, payload)
        assert (r.status, r.data) == (NrStatus.OK, payload if template.extra_echoes else EXTRA.encode())


def test_unknown_and_odd_entry_names(template, host):
    names = ["no_such_entry", "nope", "", "e" * 65536, "echo\x00"]  # "echo\x00": lengths count, not NULs
    assert [host.call_raw(name, b"").status for name in names] == [NrStatus.UNSUPPORTED] * len(names)
    assert host.call("nope", request=HELLO).status == NrStatus.UNSUPPORTED
    assert [f.status for f in host.stream_raw("nope", b"")] == [NrStatus.UNSUPPORTED]
    assert host.call_raw(b"\xff\xfe", b"").status == template.non_utf8_entry


def test_bad_input_is_invalid_not_a_crash(host):
    """NULL payloads and sids never opened (a NULL request: test_hello_without_a_request)."""
    assert host.call_raw("echo", None).data == b""  # a NULL payload of length 0 is empty
    assert host.call_raw("echo_async", None).data == b""
    assert host.stream_data(987654, b"x") == NrStatus.INVALID
    assert host.stream_close(987654) == NrStatus.INVALID


# ---------------------------------------------------------------- panics, threads, shutdown


def assert_panic_answer(r, expected: Panic, host_thread: bool) -> None:
    if expected.how == ANSWERED:
        assert (r.handle_status, r.status, r.data) == (NrStatus.OK, NrStatus.ERR, expected.text)
        assert on_host_thread(r.thread_id) is host_thread
    else:
        assert (r.handle_status, r.status, r.data, r.frames) == (NrStatus.ERR, NrStatus.ERR, b"", ())


def test_panic_on_the_host_thread_answers_err_and_the_host_lives(template, probes_on, host):
    assert_panic_answer(host.call_raw("panic", b""), template.panic, host_thread=True)
    assert host.call_raw("echo", b"still here").data == b"still here"


def test_panic_on_a_background_thread_answers_err_and_the_host_lives(template, probes_on, host):
    assert_panic_answer(host.call_raw("panic_async", b""), template.panic_async, host_thread=False)
    assert host.call_raw("echo_async", b"still here").data == b"still here"


def test_many_threads_each_get_their_own_answer(host):
    """Host threads and background work at once: every answer reaches its own sid."""
    failures: list[str] = []

    def worker(n: int) -> None:
        for i in range(50):
            entry = "echo_async" if i % 2 else "echo"
            body = f"{n}:{i}".encode()
            r = host.call_raw(entry, body)
            if (r.status, r.data) != (NrStatus.OK, body):
                failures.append(f"{entry} {body!r} -> {r.status!r} {r.data!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_shutdown_waits_for_background_work_and_ends_open_streams(template, library):
    """Every accepted background call is answered before shutdown returns; an open bidi
    stream ends with Err; nothing reaches the host after it."""

    async def main() -> None:
        h = Host.load(library)
        chat = h.bidi("chat", raw=True)
        calls = [asyncio.ensure_future(h.acall_raw("echo_async", b"x" * 1024, timeout=30)) for _ in range(200)]
        await asyncio.sleep(0)
        h.close()
        answers = await asyncio.gather(*calls, return_exceptions=True)
        assert all(getattr(a, "data", None) == b"x" * 1024 for a in answers), answers[:3]
        assert [(f.status, f.data) for f in chat] == [(NrStatus.ERR, template.shutdown_text)]
        assert h.violations == []

    asyncio.run(main())


# ---------------------------------------------------------------- conformance


def test_conformance_has_no_must_failures(template, library, tmp_path):
    assert_conformance(library, template.name, tmp_path)
