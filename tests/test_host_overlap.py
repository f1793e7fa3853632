"""The reference host with sessions that overlap: every frame reaches its own sid's consumer.

Run against the conformance corpus's reference plugins of both generations (their
chat and count entries), through the real native helper.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from nylon_ring_sdk.errors import CallTimeout, HostError
from nylon_ring_sdk.host import Host
from test_host_support import build_c, build_c2, c_header_dir, c_header_dir_v2  # noqa: F401

PLUGINS = Path(__file__).resolve().parent.parent / "conformance" / "plugins"


@pytest.fixture(scope="module", params=[1, 2], ids=["abi1", "abi2"])
def reference(request, build_c, build_c2) -> Path:
    if request.param == 1:
        return build_c(PLUGINS / "reference" / "plugin.c", "overlap_reference")
    return build_c2(PLUGINS / "abi2" / "reference" / "plugin.c", "overlap_reference2")


def _count(host: Host, n: int):
    return host.stream_raw("count", str(n).encode()) if host.abi == 1 else host.stream("count", str(n).encode())


def test_a_session_retired_under_its_waiter_does_not_hand_it_the_next_sids_frames(reference):
    """One thread waits on a bidi session; another detaches it and the plugin ends it, so the
    host retires it. The next session reuses the retired one's storage: its frames must stay
    its own, and the waiter learns that its sid is gone."""
    with Host.load(reference) as h:
        session = h.bidi("chat", b"", raw=h.abi == 1)
        seen: dict[str, object] = {}

        def wait_on_session() -> None:
            try:
                seen["frame"] = session.next_frame(timeout=2)
            except (HostError, CallTimeout) as exc:
                seen["error"] = exc

        waiter = threading.Thread(target=wait_on_session)
        waiter.start()
        time.sleep(0.2)  # the waiter sleeps inside the helper now
        session.abandon()
        h.stream_close(session.sid)  # StreamEnd on a detached session: the host retires it
        other = _count(h, 3)
        waiter.join(5)
        assert [f.data for f in other] == [b"0", b"1", b"2", b""], f"sid {other.sid} lost frames to sid {session.sid}"
        assert "frame" not in seen, f"sid {session.sid}'s waiter got {seen.get('frame')!r}"
        assert "no longer tracked" in str(seen["error"])


def test_overlapping_streams_sessions_and_calls_with_distinct_inputs(reference):
    """Unary calls, streams and bidi sessions from 8 threads at once, each with its own input."""
    wrong: list[str] = []

    def work(h: Host, t: int) -> None:
        for i in range(40):
            tag = f"{t}.{i}".encode()
            kind = (t + i) % 3
            if kind == 0:
                r = h.call_raw("echo_async", tag) if h.abi == 1 else h.call("echo_async", tag)
                if r.data != tag:
                    wrong.append(f"echo_async {tag!r} sid {r.sid}: {r.data!r}")
            elif kind == 1:
                n = 1 + (t * 7 + i) % 9
                s = _count(h, n)
                frames = [f.data for f in s]
                if frames != [str(k).encode() for k in range(n)] + [b""]:
                    wrong.append(f"count {n} sid {s.sid}: {frames}")
            else:
                with h.bidi("chat", b"", raw=h.abi == 1, timeout=10) as s:
                    for k in range(3):
                        s.send(tag + b"/%d" % k)
                        frame = s.next_frame(timeout=10)
                        if frame.data != tag + b"/%d" % k:
                            wrong.append(f"chat sid {s.sid} sent {tag!r}/{k}: {frame.data!r}")
                    s.close()
                    if not s.next_frame(timeout=10).terminal:
                        wrong.append(f"chat sid {s.sid}: no terminal frame")

    with Host.load(reference) as h:
        threads = [threading.Thread(target=work, args=(h, t)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not wrong, wrong[:5]
        assert h.violations == []
