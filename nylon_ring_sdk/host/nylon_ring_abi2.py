# Generated from schema/abi2.toml (schema sha256 5d7a30030f87fdfa) by nylon-ring-sdk; do not edit.
# Regenerate with: nylon-ring gen-bindings
"""ctypes declarations of the nylon-ring ABI v2.

nylon-ring ABI 2: an ABI-stable host/plugin interface for high-performance proxies,
with zero-copy answers.

Layouts are checked against the schema's layout table at import: a mismatch raises
ImportError instead of corrupting memory later.
"""

import ctypes
import enum
import platform

#: The ABI version a plugin writes into NrPluginInfo.abi_version; a host requires exactly this value.
NR_ABI_VERSION = 2
#: What resolve_entry returns for a name the plugin does not export (UINT32_MAX).
NR_ENTRY_UNKNOWN = 4294967295
#: Version of the NrLayoutProbe table format.
NR_LAYOUT_PROBE_VERSION = 1

#: Exported symbols: name -> (function type name, required).
EXPORTS = {
    "nylon_ring_get_plugin": ("NrGetPluginFn", True),
    "nylon_ring_layout_probe_v2": ("NrGetLayoutProbeFn", False),
    "nylon_ring_manifest": ("NrGetManifestFn", False),
}
ENTRY_SYMBOL = "nylon_ring_get_plugin"
LAYOUT_PROBE_SYMBOL = "nylon_ring_get_plugin"
SET_HOST_EXT_SYMBOL = "nylon_ring_get_plugin"


class NrStr(ctypes.Structure):
    """Borrowed UTF-8 string view; valid only for the duration of the call that passes it."""


class NrBytes(ctypes.Structure):
    """Borrowed byte slice view; the receiver copies what it keeps beyond the call."""


class NrVecU8(ctypes.Structure):
    """A byte buffer by value: owned (freed only through drop_fn) or borrowed (owned = 0,
    drop_fn NULL: the host copies it inside send_result)."""


class NrOwnedBytes(ctypes.Structure):
    """A producer-owned buffer the host consumes without copying: ptr..ptr+len stays valid
    and unchanged until release is called, exactly once."""


class NrBufferLease(ctypes.Structure):
    """A host-owned output buffer leased to the plugin for one sid; a NULL ptr means
    acquire failed and the plugin answers another way."""


class NrHostVTable(ctypes.Structure):
    """Callbacks the host gives the plugin in init()."""


class NrPluginVTable(ctypes.Structure):
    """The plugin's entry points, in ABI order; a NULL slot means not supported.
    resolve_entry and handle_by_id are both NULL or both set."""


class NrPluginInfo(ctypes.Structure):
    """What nylon_ring_get_plugin() returns. Append-only: a host accepts struct_size >= 56,
    and existing fields never move."""


class NrLayoutProbe(ctypes.Structure):
    """Sizes, alignments and field offsets as the plugin's own compiler laid them out: for
    each struct in schema order, its size, its alignment, then the offset of each field."""


class NrStatus(enum.IntEnum):
    """Outcome of a call or of one result frame; a plain u32 on the wire, so unknown values
    stay defined. Values are never reused."""

    OK = 0
    ERR = 1
    INVALID = 2
    UNSUPPORTED = 3
    STREAM_END = 4
    PANIC = 5
    BACKPRESSURE = 6


NrStr._fields_ = [
    ("ptr", ctypes.c_void_p),
    ("len", ctypes.c_uint32),
    ("reserved", ctypes.c_uint32),
]


NrBytes._fields_ = [
    ("ptr", ctypes.c_void_p),
    ("len", ctypes.c_uint64),
]


#: Frees an owned NrVecU8 with its producer's allocator.
NrVecU8DropFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t)


NrVecU8._fields_ = [
    ("ptr", ctypes.c_void_p),
    ("len", ctypes.c_size_t),
    ("cap", ctypes.c_size_t),
    ("owned", ctypes.c_uint8),
    ("reserved", (ctypes.c_uint8 * 7)),
    ("drop_fn", NrVecU8DropFn),
]


#: Gives an NrOwnedBytes buffer back to its producer; called exactly once, from any thread.
NrReleaseFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64)


NrOwnedBytes._fields_ = [
    ("ptr", ctypes.c_void_p),
    ("len", ctypes.c_uint64),
    ("owner_ctx", ctypes.c_void_p),
    ("release", NrReleaseFn),
]


NrBufferLease._fields_ = [
    ("ptr", ctypes.c_void_p),
    ("cap", ctypes.c_uint64),
    ("token", ctypes.c_uint64),
]


#: Delivers one result frame for a stream id; callable from any thread. A borrowed payload is copied before it returns. Returns Backpressure (not terminal) when a stream's queue is full, Invalid for an unknown sid.
NrSendResultFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, NrVecU8)


#: Delivers one result frame without a copy; the host calls payload.release exactly once when it is done with the bytes.
NrSendResultOwnedFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, NrOwnedBytes)


#: Leases a host buffer of at least capacity bytes for the answer of a unary sid; fails (NULL ptr) for an unknown or streaming sid or when a lease is already out.
NrAcquireResultBufferFn = ctypes.CFUNCTYPE(NrBufferLease, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)


#: Answers sid with the first initialized_len bytes of its lease. A failed commit (bad token, initialized_len > cap) keeps the lease; a consumed lease gives Invalid.
NrCommitResultBufferFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_uint64)


NrHostVTable._fields_ = [
    ("send_result", NrSendResultFn),
    ("send_result_owned", NrSendResultOwnedFn),
    ("acquire_result_buffer", NrAcquireResultBufferFn),
    ("commit_result_buffer", NrCommitResultBufferFn),
]


#: Initialises the plugin and stores the host callbacks; anything but Ok is a load error.
NrInitFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.POINTER(NrHostVTable))


#: Starts a request; returns at once. Ok means results follow through the host vtable for sid; anything else means nothing follows.
NrHandleFn = ctypes.CFUNCTYPE(ctypes.c_uint32, NrStr, ctypes.c_uint64, NrBytes)


#: Stops the plugin; after it returns the plugin calls nothing on the host.
NrShutdownFn = ctypes.CFUNCTYPE(None)


#: Delivers one inbound frame of a bidirectional stream.
NrStreamDataFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_uint64, NrBytes)


#: Ends the inbound half of a bidirectional stream; the plugin still sends a terminal frame.
NrStreamCloseFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_uint64)


#: Maps an entry name to an id that stays valid for the loaded instance; NR_ENTRY_UNKNOWN for an unknown name.
NrResolveEntryFn = ctypes.CFUNCTYPE(ctypes.c_uint32, NrStr)


#: Starts a request by entry id; behaves exactly like handle() with the name the id was resolved from.
NrHandleByIdFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint64, NrBytes)


NrPluginVTable._fields_ = [
    ("init", NrInitFn),
    ("handle", NrHandleFn),
    ("shutdown", NrShutdownFn),
    ("stream_data", NrStreamDataFn),
    ("stream_close", NrStreamCloseFn),
    ("resolve_entry", NrResolveEntryFn),
    ("handle_by_id", NrHandleByIdFn),
]


NrPluginInfo._fields_ = [
    ("abi_version", ctypes.c_uint32),
    ("struct_size", ctypes.c_uint32),
    ("name", NrStr),
    ("version", NrStr),
    ("plugin_ctx", ctypes.c_void_p),
    ("vtable", ctypes.POINTER(NrPluginVTable)),
]


NrLayoutProbe._fields_ = [
    ("probe_version", ctypes.c_uint32),
    ("count", ctypes.c_uint32),
    ("values", ctypes.c_void_p),
]


#: Signature of the entry symbol.
NrGetPluginFn = ctypes.CFUNCTYPE(ctypes.POINTER(NrPluginInfo))


#: Signature of the optional embedded manifest.
NrGetManifestFn = ctypes.CFUNCTYPE(ctypes.c_void_p)


#: Signature of the optional layout probe.
NrGetLayoutProbeFn = ctypes.CFUNCTYPE(ctypes.POINTER(NrLayoutProbe))


#: The layout table per data model, from nylon-ring's layout engine:
#: struct -> (size, align, {field: offset}).
LAYOUTS = {
    "lp64": {
        "NrStr": (16, 8, {"ptr": 0, "len": 8, "reserved": 12}),
        "NrBytes": (16, 8, {"ptr": 0, "len": 8}),
        "NrVecU8": (40, 8, {"ptr": 0, "len": 8, "cap": 16, "owned": 24, "reserved": 25, "drop_fn": 32}),
        "NrOwnedBytes": (32, 8, {"ptr": 0, "len": 8, "owner_ctx": 16, "release": 24}),
        "NrBufferLease": (24, 8, {"ptr": 0, "cap": 8, "token": 16}),
        "NrHostVTable": (32, 8, {"send_result": 0, "send_result_owned": 8, "acquire_result_buffer": 16, "commit_result_buffer": 24}),
        "NrPluginVTable": (56, 8, {"init": 0, "handle": 8, "shutdown": 16, "stream_data": 24, "stream_close": 32, "resolve_entry": 40, "handle_by_id": 48}),
        "NrPluginInfo": (56, 8, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 24, "plugin_ctx": 40, "vtable": 48}),
        "NrLayoutProbe": (16, 8, {"probe_version": 0, "count": 4, "values": 8}),
    },
    "llp64": {
        "NrStr": (16, 8, {"ptr": 0, "len": 8, "reserved": 12}),
        "NrBytes": (16, 8, {"ptr": 0, "len": 8}),
        "NrVecU8": (40, 8, {"ptr": 0, "len": 8, "cap": 16, "owned": 24, "reserved": 25, "drop_fn": 32}),
        "NrOwnedBytes": (32, 8, {"ptr": 0, "len": 8, "owner_ctx": 16, "release": 24}),
        "NrBufferLease": (24, 8, {"ptr": 0, "cap": 8, "token": 16}),
        "NrHostVTable": (32, 8, {"send_result": 0, "send_result_owned": 8, "acquire_result_buffer": 16, "commit_result_buffer": 24}),
        "NrPluginVTable": (56, 8, {"init": 0, "handle": 8, "shutdown": 16, "stream_data": 24, "stream_close": 32, "resolve_entry": 40, "handle_by_id": 48}),
        "NrPluginInfo": (56, 8, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 24, "plugin_ctx": 40, "vtable": 48}),
        "NrLayoutProbe": (16, 8, {"probe_version": 0, "count": 4, "values": 8}),
    },
    "ilp32-i386": {
        "NrStr": (12, 4, {"ptr": 0, "len": 4, "reserved": 8}),
        "NrBytes": (12, 4, {"ptr": 0, "len": 4}),
        "NrVecU8": (24, 4, {"ptr": 0, "len": 4, "cap": 8, "owned": 12, "reserved": 13, "drop_fn": 20}),
        "NrOwnedBytes": (20, 4, {"ptr": 0, "len": 4, "owner_ctx": 12, "release": 16}),
        "NrBufferLease": (20, 4, {"ptr": 0, "cap": 4, "token": 12}),
        "NrHostVTable": (16, 4, {"send_result": 0, "send_result_owned": 4, "acquire_result_buffer": 8, "commit_result_buffer": 12}),
        "NrPluginVTable": (28, 4, {"init": 0, "handle": 4, "shutdown": 8, "stream_data": 12, "stream_close": 16, "resolve_entry": 20, "handle_by_id": 24}),
        "NrPluginInfo": (40, 4, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 20, "plugin_ctx": 32, "vtable": 36}),
        "NrLayoutProbe": (12, 4, {"probe_version": 0, "count": 4, "values": 8}),
    },
    "ilp32": {
        "NrStr": (12, 4, {"ptr": 0, "len": 4, "reserved": 8}),
        "NrBytes": (16, 8, {"ptr": 0, "len": 8}),
        "NrVecU8": (24, 4, {"ptr": 0, "len": 4, "cap": 8, "owned": 12, "reserved": 13, "drop_fn": 20}),
        "NrOwnedBytes": (24, 8, {"ptr": 0, "len": 8, "owner_ctx": 16, "release": 20}),
        "NrBufferLease": (24, 8, {"ptr": 0, "cap": 8, "token": 16}),
        "NrHostVTable": (16, 4, {"send_result": 0, "send_result_owned": 4, "acquire_result_buffer": 8, "commit_result_buffer": 12}),
        "NrPluginVTable": (28, 4, {"init": 0, "handle": 4, "shutdown": 8, "stream_data": 12, "stream_close": 16, "resolve_entry": 20, "handle_by_id": 24}),
        "NrPluginInfo": (40, 4, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 20, "plugin_ctx": 32, "vtable": 36}),
        "NrLayoutProbe": (12, 4, {"probe_version": 0, "count": 4, "values": 8}),
    },
}

#: Struct order of the layout probe table.
PROBE_ORDER = [
    (NrStr, ["ptr", "len", "reserved"]),
    (NrBytes, ["ptr", "len"]),
    (NrVecU8, ["ptr", "len", "cap", "owned", "reserved", "drop_fn"]),
    (NrOwnedBytes, ["ptr", "len", "owner_ctx", "release"]),
    (NrBufferLease, ["ptr", "cap", "token"]),
    (NrHostVTable, ["send_result", "send_result_owned", "acquire_result_buffer", "commit_result_buffer"]),
    (NrPluginVTable, ["init", "handle", "shutdown", "stream_data", "stream_close", "resolve_entry", "handle_by_id"]),
    (NrPluginInfo, ["abi_version", "struct_size", "name", "version", "plugin_ctx", "vtable"]),
    (NrLayoutProbe, ["probe_version", "count", "values"]),
]


def current_data_model():
    """The data model of this interpreter's platform."""
    if ctypes.sizeof(ctypes.c_void_p) == 8:
        return "llp64" if platform.system() == "Windows" else "lp64"
    machine = platform.machine().lower()
    if platform.system() != "Windows" and machine in ("i386", "i486", "i586", "i686", "x86"):
        return "ilp32-i386"
    return "ilp32"


def layout_probe_values():
    """The layout probe table as ctypes lays the structs out here."""
    values = []
    for struct, fields in PROBE_ORDER:
        values.append(ctypes.sizeof(struct))
        values.append(ctypes.alignment(struct))
        values.extend(getattr(struct, name).offset for name in fields)
    return values


def _check_layout():
    expected = LAYOUTS[current_data_model()]
    for struct, fields in PROBE_ORDER:
        size, align, offsets = expected[struct.__name__]
        if ctypes.sizeof(struct) != size or ctypes.alignment(struct) != align:
            raise ImportError(
                f"nylon_ring_abi: {struct.__name__} is {ctypes.sizeof(struct)} bytes, align "
                f"{ctypes.alignment(struct)}; the schema says {size}, align {align}")
        for name in fields:
            if getattr(struct, name).offset != offsets[name]:
                raise ImportError(
                    f"nylon_ring_abi: {struct.__name__}.{name} at offset {getattr(struct, name).offset}; "
                    f"the schema says {offsets[name]}")


_check_layout()
