# Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit.
# Regenerate with: nylon-ring gen-bindings --abi 1
"""ctypes declarations of the nylon-ring ABI v1.

nylon-ring: an ABI-stable host/plugin interface for high-performance proxies.

Layouts are checked against the schema's layout table at import: a mismatch raises
ImportError instead of corrupting memory later.
"""

import ctypes
import enum
import platform

#: The ABI version a plugin writes into NrPluginInfo.abi_version and a host requires.
NR_ABI_VERSION = 1
#: Version of the NrLayoutProbe table format.
NR_LAYOUT_PROBE_VERSION = 1

#: Exported symbols: name -> (function type name, required).
EXPORTS = {
    "nylon_ring_get_plugin_v1": ("NrGetPluginFn", True),
    "nylon_ring_set_host_ext_v1": ("NrSetHostExtFn", False),
    "nylon_ring_layout_probe_v1": ("NrGetLayoutProbeFn", False),
    "nylon_ring_manifest": ("NrGetManifestFn", False),
}
ENTRY_SYMBOL = "nylon_ring_get_plugin_v1"
#: Optional exports of this generation (None when it has no such export).
LAYOUT_PROBE_SYMBOL = "nylon_ring_layout_probe_v1"
SET_HOST_EXT_SYMBOL = "nylon_ring_set_host_ext_v1"
MANIFEST_SYMBOL = "nylon_ring_manifest"


class NrStr(ctypes.Structure):
    """Borrowed UTF-8 string view; valid only for the duration of the call that passes it."""


class NrBytes(ctypes.Structure):
    """Borrowed byte slice view; the receiver copies what it keeps beyond the call."""


class NrHeader(ctypes.Structure):
    """One HTTP-style header: a key and a value."""


class NrRequest(ctypes.Structure):
    """Request metadata passed to handle(); HTTP-centric but protocol-neutral."""


class NrHostVTable(ctypes.Structure):
    """Callbacks the host gives the plugin in init()."""


class NrHostExt(ctypes.Structure):
    """Optional host extension: per-sid state, dropped by the host when the sid completes."""


class NrPluginVTable(ctypes.Structure):
    """The plugin's entry points, in ABI order; every slot may be NULL except init and one
    of handle/handle_raw."""


class NrPluginInfo(ctypes.Structure):
    """What nylon_ring_get_plugin_v1() returns: identity, context and vtable of the plugin."""


class NrLayoutProbe(ctypes.Structure):
    """Sizes, alignments and field offsets as the plugin's own compiler laid them out: for
    each struct in schema order, its size, its alignment, then the offset of each field."""


class NrStatus(enum.IntEnum):
    """Outcome of a call or of one result frame."""

    OK = 0
    ERR = 1
    INVALID = 2
    UNSUPPORTED = 3
    STREAM_END = 4


NrStr._fields_ = [
    ("ptr", ctypes.c_void_p),
    ("len", ctypes.c_uint32),
]


NrBytes._fields_ = [
    ("ptr", ctypes.c_void_p),
    ("len", ctypes.c_uint64),
]


NrHeader._fields_ = [
    ("key", NrStr),
    ("value", NrStr),
]


NrRequest._fields_ = [
    ("path", NrStr),
    ("method", NrStr),
    ("query", NrStr),
    ("headers", ctypes.POINTER(NrHeader)),
    ("headers_len", ctypes.c_uint32),
    ("_reserved0", ctypes.c_uint32),
    ("_reserved1", ctypes.c_uint64),
]


#: Delivers one result frame for a stream id; callable from any thread. The payload is borrowed for the call: the host copies it.
NrSendResultFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, NrBytes)


NrHostVTable._fields_ = [
    ("send_result", NrSendResultFn),
]


#: Stores a value under key in the per-sid state; returns a view of the stored copy.
NrSetStateFn = ctypes.CFUNCTYPE(NrBytes, ctypes.c_void_p, ctypes.c_uint64, NrStr, NrBytes)


#: Reads the value stored under key for sid; an empty view when absent. The view points into host storage.
NrGetStateFn = ctypes.CFUNCTYPE(NrBytes, ctypes.c_void_p, ctypes.c_uint64, NrStr)


NrHostExt._fields_ = [
    ("set_state", NrSetStateFn),
    ("get_state", NrGetStateFn),
]


#: Initialises the plugin and stores the host callbacks; anything but Ok is a load error.
NrInitFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(NrHostVTable))


#: Starts a request; returns at once. Ok means results follow through send_result for sid; anything else means nothing follows.
NrHandleFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, NrStr, ctypes.c_uint64, ctypes.POINTER(NrRequest), NrBytes)


#: Starts a request without request metadata (the raw fast path); same contract as handle.
NrHandleRawFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, NrStr, ctypes.c_uint64, NrBytes)


#: Stops the plugin; after it returns the plugin calls nothing on the host.
NrShutdownFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


#: Delivers one inbound frame of a bidirectional stream; Invalid for an unknown sid.
NrStreamDataFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint64, NrBytes)


#: Ends the inbound half of a bidirectional stream; the plugin still sends a terminal frame. Invalid for an unknown sid.
NrStreamCloseFn = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint64)


NrPluginVTable._fields_ = [
    ("init", NrInitFn),
    ("handle", NrHandleFn),
    ("handle_raw", NrHandleRawFn),
    ("shutdown", NrShutdownFn),
    ("stream_data", NrStreamDataFn),
    ("stream_close", NrStreamCloseFn),
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


#: Signature of the optional state-extension hand-over.
NrSetHostExtFn = ctypes.CFUNCTYPE(None, ctypes.POINTER(NrHostExt))


#: Signature of the optional embedded manifest.
NrGetManifestFn = ctypes.CFUNCTYPE(ctypes.c_void_p)


#: Signature of the optional layout probe.
NrGetLayoutProbeFn = ctypes.CFUNCTYPE(ctypes.POINTER(NrLayoutProbe))


#: The layout table per data model, from nylon-ring's layout engine:
#: struct -> (size, align, {field: offset}).
LAYOUTS = {
    "lp64": {
        "NrStr": (16, 8, {"ptr": 0, "len": 8}),
        "NrBytes": (16, 8, {"ptr": 0, "len": 8}),
        "NrHeader": (32, 8, {"key": 0, "value": 16}),
        "NrRequest": (72, 8, {"path": 0, "method": 16, "query": 32, "headers": 48, "headers_len": 56, "_reserved0": 60, "_reserved1": 64}),
        "NrHostVTable": (8, 8, {"send_result": 0}),
        "NrHostExt": (16, 8, {"set_state": 0, "get_state": 8}),
        "NrPluginVTable": (48, 8, {"init": 0, "handle": 8, "handle_raw": 16, "shutdown": 24, "stream_data": 32, "stream_close": 40}),
        "NrPluginInfo": (56, 8, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 24, "plugin_ctx": 40, "vtable": 48}),
        "NrLayoutProbe": (16, 8, {"probe_version": 0, "count": 4, "values": 8}),
    },
    "llp64": {
        "NrStr": (16, 8, {"ptr": 0, "len": 8}),
        "NrBytes": (16, 8, {"ptr": 0, "len": 8}),
        "NrHeader": (32, 8, {"key": 0, "value": 16}),
        "NrRequest": (72, 8, {"path": 0, "method": 16, "query": 32, "headers": 48, "headers_len": 56, "_reserved0": 60, "_reserved1": 64}),
        "NrHostVTable": (8, 8, {"send_result": 0}),
        "NrHostExt": (16, 8, {"set_state": 0, "get_state": 8}),
        "NrPluginVTable": (48, 8, {"init": 0, "handle": 8, "handle_raw": 16, "shutdown": 24, "stream_data": 32, "stream_close": 40}),
        "NrPluginInfo": (56, 8, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 24, "plugin_ctx": 40, "vtable": 48}),
        "NrLayoutProbe": (16, 8, {"probe_version": 0, "count": 4, "values": 8}),
    },
    "ilp32-i386": {
        "NrStr": (8, 4, {"ptr": 0, "len": 4}),
        "NrBytes": (12, 4, {"ptr": 0, "len": 4}),
        "NrHeader": (16, 4, {"key": 0, "value": 8}),
        "NrRequest": (44, 4, {"path": 0, "method": 8, "query": 16, "headers": 24, "headers_len": 28, "_reserved0": 32, "_reserved1": 36}),
        "NrHostVTable": (4, 4, {"send_result": 0}),
        "NrHostExt": (8, 4, {"set_state": 0, "get_state": 4}),
        "NrPluginVTable": (24, 4, {"init": 0, "handle": 4, "handle_raw": 8, "shutdown": 12, "stream_data": 16, "stream_close": 20}),
        "NrPluginInfo": (32, 4, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 16, "plugin_ctx": 24, "vtable": 28}),
        "NrLayoutProbe": (12, 4, {"probe_version": 0, "count": 4, "values": 8}),
    },
    "ilp32": {
        "NrStr": (8, 4, {"ptr": 0, "len": 4}),
        "NrBytes": (16, 8, {"ptr": 0, "len": 8}),
        "NrHeader": (16, 4, {"key": 0, "value": 8}),
        "NrRequest": (48, 8, {"path": 0, "method": 8, "query": 16, "headers": 24, "headers_len": 28, "_reserved0": 32, "_reserved1": 40}),
        "NrHostVTable": (4, 4, {"send_result": 0}),
        "NrHostExt": (8, 4, {"set_state": 0, "get_state": 4}),
        "NrPluginVTable": (24, 4, {"init": 0, "handle": 4, "handle_raw": 8, "shutdown": 12, "stream_data": 16, "stream_close": 20}),
        "NrPluginInfo": (32, 4, {"abi_version": 0, "struct_size": 4, "name": 8, "version": 16, "plugin_ctx": 24, "vtable": 28}),
        "NrLayoutProbe": (12, 4, {"probe_version": 0, "count": 4, "values": 8}),
    },
}

#: Struct order of the layout probe table.
PROBE_ORDER = [
    (NrStr, ["ptr", "len"]),
    (NrBytes, ["ptr", "len"]),
    (NrHeader, ["key", "value"]),
    (NrRequest, ["path", "method", "query", "headers", "headers_len", "_reserved0", "_reserved1"]),
    (NrHostVTable, ["send_result"]),
    (NrHostExt, ["set_state", "get_state"]),
    (NrPluginVTable, ["init", "handle", "handle_raw", "shutdown", "stream_data", "stream_close"]),
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
    expected = LAYOUTS.get(current_data_model())
    if expected is None:
        raise ImportError("nylon_ring_abi: no layout table for this data model "
                          f"(this interpreter's data model is {current_data_model()})")
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
