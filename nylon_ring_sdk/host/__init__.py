"""The nylon-ring reference host: load a plugin from Python and talk to it.

```python
from nylon_ring_sdk.host import Host, Request
with Host.load("/path/plugin.so") as h:              # validates, hands NrHostExt, calls init
    h.info.name, h.info.version
    r = h.call("entry", body=b"..", request=Request(method="GET", path="/x", query="a=1",
               headers=[("k", "v")]), timeout=5.0)   # Response(status, data, ...)
    r = h.call_raw("echo", b"hi", timeout=5.0)
    frames = list(h.stream("count", body=b"3"))      # Frame(status, data, ...) ..., last terminal
    frames = list(h.stream_raw("count", b"3"))
    with h.bidi("chat", body=b"", raw=False) as s:   # bidirectional session
        s.send(b"ping"); f = s.next_frame(timeout=5); s.close(); rest = list(s)
    h.violations                                     # forbidden callbacks, never raised
```

ABI 2 (a plugin exporting ``nylon_ring_get_plugin``; ``h.abi == 2``): no request
metadata, so ``call`` is ``call_raw``; integer dispatch with ``h.resolve(name)`` and
``h.call_by_id(id, body)`` (``stream_by_id``, ``bidi_by_id``); every Response and Frame
has ``.path`` ("copy", "owned" or "lease"); ``Host.load(path, stream_queue=N)`` bounds
each stream's unread frames (send_result answers Backpressure when full). A crates.io
``nylon-ring`` 0.1.x plugin (``_v1`` symbol, 5-slot vtable) raises CratesIo01Plugin.

asyncio: ``await h.acall(...)``, ``await h.acall_raw(...)``, ``async for f in h.astream(...)``,
``h.astream_raw(...)``. Load failures raise one
:class:`~nylon_ring_sdk.errors.PluginLoadError` subclass per broken rule; calls raise
:class:`~nylon_ring_sdk.errors.CallTimeout`, :class:`~nylon_ring_sdk.errors.MissingSlot`
or :class:`~nylon_ring_sdk.errors.HostClosed`. The native helper this needs
(``native/nrh_shim.c``) is compiled on first use with the system C compiler or ``zig cc``
and cached; it builds result objects through CPython's stable ABI, so the host needs
CPython (3.11+).
"""

from ..errors import (AbiVersionMismatch, CallTimeout, CratesIo01Plugin, HostClosed, HostError, InitFailed,
                      InvalidPluginName,
                      InvalidPluginVersion, InvalidSlot, MissingSlot, MissingSymbol, NullPluginInfo, NullVTable,
                      PluginLoadError, PluginNotFound, PluginOpenFailed, ShimBuildError, StructSizeMismatch)
from .host import DEFAULT_STREAM_QUEUE, DEFAULT_TIMEOUT, Host
from .nylon_ring_abi import NrStatus
from .streams import BidiSession, Stream
from .types import (NULL_REQUEST, PATHS, VIOLATION_KINDS, VIOLATION_KINDS_V2, Frame, PluginInfo, Request, Response,
                    Violation, as_status, status_name)

__all__ = [
    "Host", "Request", "Response", "Frame", "Stream", "BidiSession", "Violation", "PluginInfo", "NrStatus",
    "NULL_REQUEST", "DEFAULT_TIMEOUT", "DEFAULT_STREAM_QUEUE", "VIOLATION_KINDS", "VIOLATION_KINDS_V2", "PATHS",
    "as_status", "status_name", "CratesIo01Plugin",
    "HostError", "PluginLoadError", "PluginNotFound", "PluginOpenFailed", "MissingSymbol", "NullPluginInfo",
    "AbiVersionMismatch", "StructSizeMismatch", "NullVTable", "MissingSlot", "InvalidSlot", "InvalidPluginName",
    "InvalidPluginVersion", "InitFailed", "CallTimeout", "HostClosed", "ShimBuildError",
]
