"""Building and loading the host's native helper (``native/nrh_shim.c``).

The helper is compiled on first use with the system C compiler (or ``zig cc``) and
cached in :func:`nylon_ring_sdk.cache.cache_dir`, keyed by a hash of its source,
of the generated C header (so a schema change rebuilds it), of the compiler and
of the platform. It is compiled to a temporary name and renamed into place, so two
processes racing to build it both end up loading a complete file.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
import threading
from pathlib import Path

from ..errors import ShimBuildError, ToolchainMissing
from ..cache import cache_dir, content_key
from ..toolchain import c_compiler, compile_cached, generated_c_header, shared_library_suffix
from .types import PATHS, Frame, Response, status_enum

SOURCE = Path(__file__).parent / "native" / "nrh_shim.c"
#: Included by SOURCE (the hostile host's buffers): part of the cache key.
INCLUDED = (Path(__file__).parent / "native" / "nrh_hostile.c",)
CFLAGS = ["-O2", "-shared", "-fPIC", "-pthread", "-fvisibility=hidden", "-std=c11"]
if sys.platform == "darwin":
    # CPython's stable-ABI functions resolve against the running interpreter, as for extensions.
    CFLAGS.append("-Wl,-undefined,dynamic_lookup")

#: Return codes of nrh_call / nrh_next (mirrors the NRH_* defines of the shim).
FRAME, PENDING, REJECTED, TIMEOUT, GONE, CLOSED, NO_SLOT = range(7)
#: Session mode bits.
MODE_UNARY, MODE_NOTIFY = 1, 2
#: What nrh_stream_data/nrh_stream_close return when the slot is NULL.
NO_SLOT_STATUS = 0xFFFFFFFF

NotifyFn = ctypes.CFUNCTYPE(None, ctypes.c_uint64)

_lock = threading.Lock()
#: ABI generation -> (the helper, the same library with the GIL held).
_libs: dict[int, tuple[ctypes.CDLL, ctypes.PyDLL]] = {}


def _compilers() -> list[list[str]]:
    """The system compiler first, then zig cc as a fallback."""
    found: list[list[str]] = []
    for prefer_zig in (False, True):
        try:
            cc = c_compiler(prefer_zig=prefer_zig)
        except ToolchainMissing:
            continue
        if cc not in found:
            found.append(cc)
    if not found:
        raise ToolchainMissing("the reference host needs a C compiler to build its native helper "
                               "(expected cc/gcc/clang on PATH or the `ziglang` package)")
    return found


#: Set to ``thread`` (by ``conformance --sanitize thread``) to load the helper built with
#: ``-fsanitize=thread``: its locks and hand-offs between the plugin's threads and the
#: host's are then visible to TSan, which would otherwise report the plugin's correctly
#: synchronised accesses as races.
SANITIZE_VARIABLE = "NYLON_RING_SHIM_SANITIZE"
_SANITIZE_FLAGS = {"thread": ["-fsanitize=thread", "-g"]}


def _sanitize_mode(sanitize: str | None) -> str | None:
    mode = sanitize if sanitize is not None else os.environ.get(SANITIZE_VARIABLE) or None
    return mode if mode in _SANITIZE_FLAGS else None


def shim_path(abi: int = 1, sanitize: str | None = None) -> Path:
    """Path of the compiled helper for an ABI generation, building it when the cache has none.

    One source serves both generations: it is compiled with ``-DNRH_ABI=<abi>``
    against that generation's generated header. `sanitize` (default: the
    ``NYLON_RING_SHIM_SANITIZE`` variable) picks an instrumented build; the flags are
    part of the cache key, so each mode has its own file.
    """
    header = generated_c_header(abi)
    mode = _sanitize_mode(sanitize)
    flags = [*CFLAGS, f"-DNRH_ABI={abi}", *_SANITIZE_FLAGS.get(mode or "", [])]
    errors: list[str] = []
    for cc in _compilers():
        key = content_key(SOURCE.read_bytes(), *(p.read_bytes() for p in INCLUDED), header, " ".join(cc + flags), f"{sys.platform}-{platform.machine()}")
        target = cache_dir() / f"nrh_shim{abi}-{key}{shared_library_suffix()}"
        try:
            return compile_cached(SOURCE, cc, flags, [], target=target, header=header,
                                  what="the reference host's native helper", error=ShimBuildError)
        except ShimBuildError as exc:
            errors.append(str(exc))
    raise ShimBuildError("; ".join(errors))


def _declare(lib: ctypes.CDLL) -> None:
    """Prototypes of the shim's exports (pointers travel as plain integers)."""
    p, u32, u64 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64
    table = {
        "nrh_host_new": (p, [ctypes.c_int]),
        "nrh_host_vtable": (p, [p]),
        "nrh_host_ext": (p, [p]),
        "nrh_bind": (None, [p, p, p]),
        "nrh_set_next_sid": (None, [p, u64]),
        "nrh_set_notify": (None, [p, NotifyFn]),
        "nrh_init": (u32, [p]),
        "nrh_shutdown": (None, [p]),
        "nrh_call": (u32, [p, u32, u32, ctypes.c_char_p, u32, p, ctypes.c_char_p, u64, p]),
        "nrh_call_id": (u32, [p, u32, u32, ctypes.c_char_p, u64, p]),
        "nrh_resolve": (u32, [p, ctypes.c_char_p, u32]),
        "nrh_set_stream_queue": (None, [p, u64]),
        "nrh_counters": (None, [p, ctypes.POINTER(u64), ctypes.POINTER(u64), ctypes.POINTER(u64)]),
        "nrh_next": (u32, [p, u64, u64, p]),
        "nrh_detach": (None, [p, u64]),
        "nrh_drop_sid_state": (None, [p, u64]),
        "nrh_stream_data": (u32, [p, u64, ctypes.c_char_p, u64]),
        "nrh_stream_close": (u32, [p, u64]),
        "nrh_out_release": (None, [p]),
        "nrh_out_size": (u64, []),
        "nrh_out_inline_offset": (u64, []),
        "nrh_violation_size": (u64, []),
        "nrh_host_ctx_size": (u64, []),
        "nrh_take_violations": (u64, [p, p, u64]),
        "nrh_stats": (None, [p, ctypes.POINTER(u64), ctypes.POINTER(u64), ctypes.POINTER(u64)]),
        "nrh_set_hostile": (u32, [p]),
        "nrh_hostile_sweep": (None, [p]),
    }
    for name, (restype, argtypes) in table.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def _declare_python(py: ctypes.PyDLL, abi: int) -> None:
    """The helper's result builders, called with the GIL held (see nrh_shim.c)."""
    obj = ctypes.py_object
    py.nrh_py_setup.argtypes = [obj] * 6
    py.nrh_py_setup.restype = None
    py.nrh_py_setup(Response, Frame, tuple(status_enum(abi)), True, False, PATHS)
    for name in ("nrh_py_response", "nrh_py_frame"):
        getattr(py, name).restype = obj
    # Deliberately without argtypes: ctypes' per-argument conversion would double the
    # cost of a raw call. Callers pass the host as a ctypes.c_void_p, bytes (or None)
    # and Python ints below 2**31, which ctypes passes as pointers and C ints.
    py.nrh_py_call_raw.restype = obj


def shim(abi: int = 1) -> ctypes.CDLL:
    """The loaded helper library of an ABI generation (built on first use; loaded once per
    process, never unloaded).

    Its functions release the GIL while they run; :func:`python_api` gives the same
    library's functions that build Python objects and must hold it.
    """
    with _lock:
        if abi not in _libs:
            path = str(shim_path(abi))
            lib = ctypes.CDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
            py = ctypes.PyDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
            _declare(lib)
            _declare_python(py, abi)
            _libs[abi] = (lib, py)
        return _libs[abi][0]


def python_api(abi: int = 1) -> ctypes.PyDLL:
    """The helper's GIL-holding functions (nrh_py_*), set up with the host's result types."""
    shim(abi)
    return _libs[abi][1]
