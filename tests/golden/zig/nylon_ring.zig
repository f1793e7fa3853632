// Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 1

//! nylon-ring: an ABI-stable host/plugin interface for high-performance proxies.
//!
//! Every type is an `extern struct` laid out as C lays it out; the `comptime` block at
//! the end checks each size, alignment and offset against nylon-ring's layout table.

const nr__std = @import("std");
const nr__builtin = @import("builtin");

/// The ABI version a plugin writes into NrPluginInfo.abi_version and a host requires.
pub const NR_ABI_VERSION: u32 = 1;

/// Version of the NrLayoutProbe table format.
pub const NR_LAYOUT_PROBE_VERSION: u32 = 1;

/// Outcome of a call or of one result frame.
/// Non-exhaustive: a value outside the named ones (from foreign code) is legal, never UB.
pub const NrStatus = enum(u32) {
    /// Success; for streams, one more frame follows.
    ok = 0,
    /// Runtime error (also what a caught panic or exception becomes).
    err = 1,
    /// Bad input: malformed request, NULL pointer, unknown stream id.
    invalid = 2,
    /// The operation or entry is not implemented.
    unsupported = 3,
    /// Normal end of a stream: the terminal frame.
    stream_end = 4,
    _,

    /// Whether the value is one of the named ones.
    pub fn isKnown(self: NrStatus) bool {
        return switch (self) {
            .ok => true,
            .err => true,
            .invalid => true,
            .unsupported => true,
            .stream_end => true,
            _ => false,
        };
    }
};

/// Borrowed UTF-8 string view; valid only for the duration of the call that passes it.
pub const NrStr = extern struct {
    /// First byte; may be NULL when len is 0.
    ptr: ?[*]const u8,
    /// Length in bytes.
    len: u32,

    /// The empty view.
    pub const empty: NrStr = .{ .ptr = null, .len = 0 };

    /// A view of `s` (borrowed: `s` must outlive it); error.TooLong when `s` does not fit.
    pub fn fromSlice(s: []const u8) error{TooLong}!NrStr {
        const n = nr__std.math.cast(u32, s.len) orelse return error.TooLong;
        return .{ .ptr = if (n == 0) null else s.ptr, .len = n };
    }

    /// A view of a comptime-known string (a literal); too long is a compile error.
    pub fn lit(comptime s: []const u8) NrStr {
        if (s.len > nr__std.math.maxInt(u32)) @compileError("string too long for NrStr");
        return .{ .ptr = if (s.len == 0) null else s.ptr, .len = s.len };
    }

    /// The viewed bytes; null when the view is invalid (NULL with a non-zero length, or
    /// longer than this target can address). NULL with length 0 is the empty slice.
    pub fn slice(self: NrStr) ?[]const u8 {
        const n = nr__std.math.cast(usize, self.len) orelse return null;
        if (n == 0) return "";
        const p = self.ptr orelse return null;
        return p[0..n];
    }
};

/// Borrowed byte slice view; the receiver copies what it keeps beyond the call.
pub const NrBytes = extern struct {
    /// First byte; may be NULL when len is 0.
    ptr: ?[*]const u8,
    /// Length in bytes.
    len: u64,

    /// The empty view.
    pub const empty: NrBytes = .{ .ptr = null, .len = 0 };

    /// A view of `s` (borrowed: `s` must outlive it).
    pub fn fromSlice(s: []const u8) NrBytes {
        return .{ .ptr = if (s.len == 0) null else s.ptr, .len = s.len };
    }

    /// The viewed bytes; null when the view is invalid (NULL with a non-zero length, or
    /// longer than this target can address). NULL with length 0 is the empty slice.
    pub fn slice(self: NrBytes) ?[]const u8 {
        const n = nr__std.math.cast(usize, self.len) orelse return null;
        if (n == 0) return "";
        const p = self.ptr orelse return null;
        return p[0..n];
    }
};

/// One HTTP-style header: a key and a value.
pub const NrHeader = extern struct {
    /// Header name.
    key: NrStr,
    /// Header value.
    value: NrStr,
};

/// Request metadata passed to handle(); HTTP-centric but protocol-neutral.
pub const NrRequest = extern struct {
    /// Request path, e.g. /api/v1/items.
    path: NrStr,
    /// Request method, e.g. GET.
    method: NrStr,
    /// Raw query string without the leading '?'.
    query: NrStr,
    /// Array of headers_len headers; may be NULL when headers_len is 0.
    headers: ?[*]const NrHeader,
    /// Number of headers.
    headers_len: u32,
    /// Reserved; zero.
    _reserved0: u32 = 0,
    /// Reserved; zero.
    _reserved1: u64 = 0,
};

/// Delivers one result frame for a stream id; callable from any thread. The payload is
/// borrowed for the call: the host copies it.
pub const NrSendResultFn = *const fn (host_ctx: ?*anyopaque, sid: u64, status: NrStatus, payload: NrBytes) callconv(.c) void;

/// Callbacks the host gives the plugin in init().
pub const NrHostVTable = extern struct {
    /// Sends a result frame; never NULL from a conforming host.
    send_result: ?NrSendResultFn = null,
};

/// Stores a value under key in the per-sid state; returns a view of the stored copy.
pub const NrSetStateFn = *const fn (host_ctx: ?*anyopaque, sid: u64, key: NrStr, value: NrBytes) callconv(.c) NrBytes;

/// Reads the value stored under key for sid; an empty view when absent. The view points
/// into host storage.
pub const NrGetStateFn = *const fn (host_ctx: ?*anyopaque, sid: u64, key: NrStr) callconv(.c) NrBytes;

/// Optional host extension: per-sid state, dropped by the host when the sid completes.
pub const NrHostExt = extern struct {
    /// Stores per-sid state.
    set_state: ?NrSetStateFn = null,
    /// Reads per-sid state.
    get_state: ?NrGetStateFn = null,
};

/// Initialises the plugin and stores the host callbacks; anything but Ok is a load error.
pub const NrInitFn = *const fn (plugin_ctx: ?*anyopaque, host_ctx: ?*anyopaque, host_vtable: ?*const NrHostVTable) callconv(.c) NrStatus;

/// Starts a request; returns at once. Ok means results follow through send_result for sid;
/// anything else means nothing follows.
pub const NrHandleFn = *const fn (plugin_ctx: ?*anyopaque, entry: NrStr, sid: u64, req: ?*const NrRequest, payload: NrBytes) callconv(.c) NrStatus;

/// Starts a request without request metadata (the raw fast path); same contract as handle.
pub const NrHandleRawFn = *const fn (plugin_ctx: ?*anyopaque, entry: NrStr, sid: u64, payload: NrBytes) callconv(.c) NrStatus;

/// Stops the plugin; after it returns the plugin calls nothing on the host.
pub const NrShutdownFn = *const fn (plugin_ctx: ?*anyopaque) callconv(.c) void;

/// Delivers one inbound frame of a bidirectional stream; Invalid for an unknown sid.
pub const NrStreamDataFn = *const fn (plugin_ctx: ?*anyopaque, sid: u64, data: NrBytes) callconv(.c) NrStatus;

/// Ends the inbound half of a bidirectional stream; the plugin still sends a terminal
/// frame. Invalid for an unknown sid.
pub const NrStreamCloseFn = *const fn (plugin_ctx: ?*anyopaque, sid: u64) callconv(.c) NrStatus;

/// The plugin's entry points, in ABI order; every slot may be NULL except init and one of
/// handle/handle_raw.
pub const NrPluginVTable = extern struct {
    /// Initialisation; required.
    init: ?NrInitFn = null,
    /// Request with metadata.
    handle: ?NrHandleFn = null,
    /// Request without metadata (the raw fast path).
    handle_raw: ?NrHandleRawFn = null,
    /// Shutdown.
    shutdown: ?NrShutdownFn = null,
    /// Inbound bidirectional frame.
    stream_data: ?NrStreamDataFn = null,
    /// Inbound half-close.
    stream_close: ?NrStreamCloseFn = null,
};

/// What nylon_ring_get_plugin_v1() returns: identity, context and vtable of the plugin.
pub const NrPluginInfo = extern struct {
    /// NR_ABI_VERSION.
    abi_version: u32,
    /// sizeof(NrPluginInfo) as the plugin was compiled.
    struct_size: u32,
    /// Plugin name (UTF-8).
    name: NrStr,
    /// Plugin version (UTF-8).
    version: NrStr,
    /// Plugin-owned context passed back on every call.
    plugin_ctx: ?*anyopaque,
    /// Entry points; never NULL.
    vtable: ?*const NrPluginVTable,
};

/// Sizes, alignments and field offsets as the plugin's own compiler laid them out: for each
/// struct in schema order, its size, its alignment, then the offset of each field.
pub const NrLayoutProbe = extern struct {
    /// NR_LAYOUT_PROBE_VERSION.
    probe_version: u32,
    /// Number of entries in values.
    count: u32,
    /// The table.
    values: ?[*]const u32,
};

/// Signature of the entry symbol.
pub const NrGetPluginFn = *const fn () callconv(.c) ?*const NrPluginInfo;

/// Signature of the optional state-extension hand-over.
pub const NrSetHostExtFn = *const fn (ext: ?*const NrHostExt) callconv(.c) void;

/// Signature of the optional embedded manifest.
pub const NrGetManifestFn = *const fn () callconv(.c) ?[*]const u8;

/// Signature of the optional layout probe.
pub const NrGetLayoutProbeFn = *const fn () callconv(.c) ?*const NrLayoutProbe;

// ---- exported symbols: each helper exports a function of the right type under its name

/// The one required export: returns the plugin's static NrPluginInfo (never NULL).
/// Call from a `comptime` block: `comptime { exportNylonRingGetPluginV1(&myFunction); }`.
pub fn exportNylonRingGetPluginV1(comptime f: NrGetPluginFn) void {
    @export(f, .{ .name = "nylon_ring_get_plugin_v1" });
}

/// Optional, additive: a host that offers the state extension calls it once, before init,
/// with a pointer valid until shutdown returns. Old hosts never call it (the plugin then
/// has no state); old plugins do not export it (the host skips it).
/// Call from a `comptime` block: `comptime { exportNylonRingSetHostExtV1(&myFunction); }`.
pub fn exportNylonRingSetHostExtV1(comptime f: NrSetHostExtFn) void {
    @export(f, .{ .name = "nylon_ring_set_host_ext_v1" });
}

/// Optional, additive: reports the plugin's own layout table so a host can reject a plugin
/// built against drifted bindings.
/// Call from a `comptime` block: `comptime { exportNylonRingLayoutProbeV1(&myFunction); }`.
pub fn exportNylonRingLayoutProbeV1(comptime f: NrGetLayoutProbeFn) void {
    @export(f, .{ .name = "nylon_ring_layout_probe_v1" });
}

/// Optional, additive: a NUL-terminated UTF-8 TOML text in the nylon-ring.toml manifest
/// format, describing the plugin's entries, so a released library is self-describing for
/// conformance. Hosts that do not know it ignore it.
/// Call from a `comptime` block: `comptime { exportNylonRingManifest(&myFunction); }`.
pub fn exportNylonRingManifest(comptime f: NrGetManifestFn) void {
    @export(f, .{ .name = "nylon_ring_manifest" });
}

// ---- layout probe

/// The layout table as this compiler laid it out: per struct in schema order its size,
/// its alignment, then each field offset.
pub const layout_probe_values = [_]u32{
    @sizeOf(NrStr),
    @alignOf(NrStr),
    @offsetOf(NrStr, "ptr"),
    @offsetOf(NrStr, "len"),
    @sizeOf(NrBytes),
    @alignOf(NrBytes),
    @offsetOf(NrBytes, "ptr"),
    @offsetOf(NrBytes, "len"),
    @sizeOf(NrHeader),
    @alignOf(NrHeader),
    @offsetOf(NrHeader, "key"),
    @offsetOf(NrHeader, "value"),
    @sizeOf(NrRequest),
    @alignOf(NrRequest),
    @offsetOf(NrRequest, "path"),
    @offsetOf(NrRequest, "method"),
    @offsetOf(NrRequest, "query"),
    @offsetOf(NrRequest, "headers"),
    @offsetOf(NrRequest, "headers_len"),
    @offsetOf(NrRequest, "_reserved0"),
    @offsetOf(NrRequest, "_reserved1"),
    @sizeOf(NrHostVTable),
    @alignOf(NrHostVTable),
    @offsetOf(NrHostVTable, "send_result"),
    @sizeOf(NrHostExt),
    @alignOf(NrHostExt),
    @offsetOf(NrHostExt, "set_state"),
    @offsetOf(NrHostExt, "get_state"),
    @sizeOf(NrPluginVTable),
    @alignOf(NrPluginVTable),
    @offsetOf(NrPluginVTable, "init"),
    @offsetOf(NrPluginVTable, "handle"),
    @offsetOf(NrPluginVTable, "handle_raw"),
    @offsetOf(NrPluginVTable, "shutdown"),
    @offsetOf(NrPluginVTable, "stream_data"),
    @offsetOf(NrPluginVTable, "stream_close"),
    @sizeOf(NrPluginInfo),
    @alignOf(NrPluginInfo),
    @offsetOf(NrPluginInfo, "abi_version"),
    @offsetOf(NrPluginInfo, "struct_size"),
    @offsetOf(NrPluginInfo, "name"),
    @offsetOf(NrPluginInfo, "version"),
    @offsetOf(NrPluginInfo, "plugin_ctx"),
    @offsetOf(NrPluginInfo, "vtable"),
    @sizeOf(NrLayoutProbe),
    @alignOf(NrLayoutProbe),
    @offsetOf(NrLayoutProbe, "probe_version"),
    @offsetOf(NrLayoutProbe, "count"),
    @offsetOf(NrLayoutProbe, "values"),
};

/// What `nylon_ring_layout_probe_v1` returns.
pub const layout_probe: NrLayoutProbe = .{
    .probe_version = NR_LAYOUT_PROBE_VERSION,
    .count = layout_probe_values.len,
    .values = &layout_probe_values,
};

fn nr__layoutProbe() callconv(.c) ?*const NrLayoutProbe {
    return &layout_probe;
}

/// Exports the optional `nylon_ring_layout_probe_v1` symbol. Call it once from a
/// `comptime` block of the plugin: `comptime { nylon_ring.exportLayoutProbe(); }`.
/// Inline, so that merely referencing it (`std.testing.refAllDecls`) exports nothing.
pub inline fn exportLayoutProbe() void {
    exportNylonRingLayoutProbeV1(&nr__layoutProbe);
}

// ---- layout checks: the numbers come from nylon-ring's layout engine

fn nr__expect(comptime what: []const u8, comptime actual: usize, comptime expected: usize) void {
    if (actual != expected) {
        @compileError(nr__std.fmt.comptimePrint("nylon-ring layout: {s} is {d}, expected {d}", .{ what, actual, expected }));
    }
}

comptime {
    if (@sizeOf(usize) == 8) {
        // LP64/LLP64
        nr__expect("NrStr size (LP64/LLP64)", @sizeOf(NrStr), 16);
        nr__expect("NrStr align (LP64/LLP64)", @alignOf(NrStr), 8);
        nr__expect("NrStr.ptr offset (LP64/LLP64)", @offsetOf(NrStr, "ptr"), 0);
        nr__expect("NrStr.len offset (LP64/LLP64)", @offsetOf(NrStr, "len"), 8);
        nr__expect("NrBytes size (LP64/LLP64)", @sizeOf(NrBytes), 16);
        nr__expect("NrBytes align (LP64/LLP64)", @alignOf(NrBytes), 8);
        nr__expect("NrBytes.ptr offset (LP64/LLP64)", @offsetOf(NrBytes, "ptr"), 0);
        nr__expect("NrBytes.len offset (LP64/LLP64)", @offsetOf(NrBytes, "len"), 8);
        nr__expect("NrHeader size (LP64/LLP64)", @sizeOf(NrHeader), 32);
        nr__expect("NrHeader align (LP64/LLP64)", @alignOf(NrHeader), 8);
        nr__expect("NrHeader.key offset (LP64/LLP64)", @offsetOf(NrHeader, "key"), 0);
        nr__expect("NrHeader.value offset (LP64/LLP64)", @offsetOf(NrHeader, "value"), 16);
        nr__expect("NrRequest size (LP64/LLP64)", @sizeOf(NrRequest), 72);
        nr__expect("NrRequest align (LP64/LLP64)", @alignOf(NrRequest), 8);
        nr__expect("NrRequest.path offset (LP64/LLP64)", @offsetOf(NrRequest, "path"), 0);
        nr__expect("NrRequest.method offset (LP64/LLP64)", @offsetOf(NrRequest, "method"), 16);
        nr__expect("NrRequest.query offset (LP64/LLP64)", @offsetOf(NrRequest, "query"), 32);
        nr__expect("NrRequest.headers offset (LP64/LLP64)", @offsetOf(NrRequest, "headers"), 48);
        nr__expect("NrRequest.headers_len offset (LP64/LLP64)", @offsetOf(NrRequest, "headers_len"), 56);
        nr__expect("NrRequest._reserved0 offset (LP64/LLP64)", @offsetOf(NrRequest, "_reserved0"), 60);
        nr__expect("NrRequest._reserved1 offset (LP64/LLP64)", @offsetOf(NrRequest, "_reserved1"), 64);
        nr__expect("NrHostVTable size (LP64/LLP64)", @sizeOf(NrHostVTable), 8);
        nr__expect("NrHostVTable align (LP64/LLP64)", @alignOf(NrHostVTable), 8);
        nr__expect("NrHostVTable.send_result offset (LP64/LLP64)", @offsetOf(NrHostVTable, "send_result"), 0);
        nr__expect("NrHostExt size (LP64/LLP64)", @sizeOf(NrHostExt), 16);
        nr__expect("NrHostExt align (LP64/LLP64)", @alignOf(NrHostExt), 8);
        nr__expect("NrHostExt.set_state offset (LP64/LLP64)", @offsetOf(NrHostExt, "set_state"), 0);
        nr__expect("NrHostExt.get_state offset (LP64/LLP64)", @offsetOf(NrHostExt, "get_state"), 8);
        nr__expect("NrPluginVTable size (LP64/LLP64)", @sizeOf(NrPluginVTable), 48);
        nr__expect("NrPluginVTable align (LP64/LLP64)", @alignOf(NrPluginVTable), 8);
        nr__expect("NrPluginVTable.init offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "init"), 0);
        nr__expect("NrPluginVTable.handle offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "handle"), 8);
        nr__expect("NrPluginVTable.handle_raw offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "handle_raw"), 16);
        nr__expect("NrPluginVTable.shutdown offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "shutdown"), 24);
        nr__expect("NrPluginVTable.stream_data offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "stream_data"), 32);
        nr__expect("NrPluginVTable.stream_close offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "stream_close"), 40);
        nr__expect("NrPluginInfo size (LP64/LLP64)", @sizeOf(NrPluginInfo), 56);
        nr__expect("NrPluginInfo align (LP64/LLP64)", @alignOf(NrPluginInfo), 8);
        nr__expect("NrPluginInfo.abi_version offset (LP64/LLP64)", @offsetOf(NrPluginInfo, "abi_version"), 0);
        nr__expect("NrPluginInfo.struct_size offset (LP64/LLP64)", @offsetOf(NrPluginInfo, "struct_size"), 4);
        nr__expect("NrPluginInfo.name offset (LP64/LLP64)", @offsetOf(NrPluginInfo, "name"), 8);
        nr__expect("NrPluginInfo.version offset (LP64/LLP64)", @offsetOf(NrPluginInfo, "version"), 24);
        nr__expect("NrPluginInfo.plugin_ctx offset (LP64/LLP64)", @offsetOf(NrPluginInfo, "plugin_ctx"), 40);
        nr__expect("NrPluginInfo.vtable offset (LP64/LLP64)", @offsetOf(NrPluginInfo, "vtable"), 48);
        nr__expect("NrLayoutProbe size (LP64/LLP64)", @sizeOf(NrLayoutProbe), 16);
        nr__expect("NrLayoutProbe align (LP64/LLP64)", @alignOf(NrLayoutProbe), 8);
        nr__expect("NrLayoutProbe.probe_version offset (LP64/LLP64)", @offsetOf(NrLayoutProbe, "probe_version"), 0);
        nr__expect("NrLayoutProbe.count offset (LP64/LLP64)", @offsetOf(NrLayoutProbe, "count"), 4);
        nr__expect("NrLayoutProbe.values offset (LP64/LLP64)", @offsetOf(NrLayoutProbe, "values"), 8);
    } else if (nr__builtin.cpu.arch == .x86 and nr__builtin.os.tag != .windows) {
        // ILP32-I386
        nr__expect("NrStr size (ILP32-I386)", @sizeOf(NrStr), 8);
        nr__expect("NrStr align (ILP32-I386)", @alignOf(NrStr), 4);
        nr__expect("NrStr.ptr offset (ILP32-I386)", @offsetOf(NrStr, "ptr"), 0);
        nr__expect("NrStr.len offset (ILP32-I386)", @offsetOf(NrStr, "len"), 4);
        nr__expect("NrBytes size (ILP32-I386)", @sizeOf(NrBytes), 12);
        nr__expect("NrBytes align (ILP32-I386)", @alignOf(NrBytes), 4);
        nr__expect("NrBytes.ptr offset (ILP32-I386)", @offsetOf(NrBytes, "ptr"), 0);
        nr__expect("NrBytes.len offset (ILP32-I386)", @offsetOf(NrBytes, "len"), 4);
        nr__expect("NrHeader size (ILP32-I386)", @sizeOf(NrHeader), 16);
        nr__expect("NrHeader align (ILP32-I386)", @alignOf(NrHeader), 4);
        nr__expect("NrHeader.key offset (ILP32-I386)", @offsetOf(NrHeader, "key"), 0);
        nr__expect("NrHeader.value offset (ILP32-I386)", @offsetOf(NrHeader, "value"), 8);
        nr__expect("NrRequest size (ILP32-I386)", @sizeOf(NrRequest), 44);
        nr__expect("NrRequest align (ILP32-I386)", @alignOf(NrRequest), 4);
        nr__expect("NrRequest.path offset (ILP32-I386)", @offsetOf(NrRequest, "path"), 0);
        nr__expect("NrRequest.method offset (ILP32-I386)", @offsetOf(NrRequest, "method"), 8);
        nr__expect("NrRequest.query offset (ILP32-I386)", @offsetOf(NrRequest, "query"), 16);
        nr__expect("NrRequest.headers offset (ILP32-I386)", @offsetOf(NrRequest, "headers"), 24);
        nr__expect("NrRequest.headers_len offset (ILP32-I386)", @offsetOf(NrRequest, "headers_len"), 28);
        nr__expect("NrRequest._reserved0 offset (ILP32-I386)", @offsetOf(NrRequest, "_reserved0"), 32);
        nr__expect("NrRequest._reserved1 offset (ILP32-I386)", @offsetOf(NrRequest, "_reserved1"), 36);
        nr__expect("NrHostVTable size (ILP32-I386)", @sizeOf(NrHostVTable), 4);
        nr__expect("NrHostVTable align (ILP32-I386)", @alignOf(NrHostVTable), 4);
        nr__expect("NrHostVTable.send_result offset (ILP32-I386)", @offsetOf(NrHostVTable, "send_result"), 0);
        nr__expect("NrHostExt size (ILP32-I386)", @sizeOf(NrHostExt), 8);
        nr__expect("NrHostExt align (ILP32-I386)", @alignOf(NrHostExt), 4);
        nr__expect("NrHostExt.set_state offset (ILP32-I386)", @offsetOf(NrHostExt, "set_state"), 0);
        nr__expect("NrHostExt.get_state offset (ILP32-I386)", @offsetOf(NrHostExt, "get_state"), 4);
        nr__expect("NrPluginVTable size (ILP32-I386)", @sizeOf(NrPluginVTable), 24);
        nr__expect("NrPluginVTable align (ILP32-I386)", @alignOf(NrPluginVTable), 4);
        nr__expect("NrPluginVTable.init offset (ILP32-I386)", @offsetOf(NrPluginVTable, "init"), 0);
        nr__expect("NrPluginVTable.handle offset (ILP32-I386)", @offsetOf(NrPluginVTable, "handle"), 4);
        nr__expect("NrPluginVTable.handle_raw offset (ILP32-I386)", @offsetOf(NrPluginVTable, "handle_raw"), 8);
        nr__expect("NrPluginVTable.shutdown offset (ILP32-I386)", @offsetOf(NrPluginVTable, "shutdown"), 12);
        nr__expect("NrPluginVTable.stream_data offset (ILP32-I386)", @offsetOf(NrPluginVTable, "stream_data"), 16);
        nr__expect("NrPluginVTable.stream_close offset (ILP32-I386)", @offsetOf(NrPluginVTable, "stream_close"), 20);
        nr__expect("NrPluginInfo size (ILP32-I386)", @sizeOf(NrPluginInfo), 32);
        nr__expect("NrPluginInfo align (ILP32-I386)", @alignOf(NrPluginInfo), 4);
        nr__expect("NrPluginInfo.abi_version offset (ILP32-I386)", @offsetOf(NrPluginInfo, "abi_version"), 0);
        nr__expect("NrPluginInfo.struct_size offset (ILP32-I386)", @offsetOf(NrPluginInfo, "struct_size"), 4);
        nr__expect("NrPluginInfo.name offset (ILP32-I386)", @offsetOf(NrPluginInfo, "name"), 8);
        nr__expect("NrPluginInfo.version offset (ILP32-I386)", @offsetOf(NrPluginInfo, "version"), 16);
        nr__expect("NrPluginInfo.plugin_ctx offset (ILP32-I386)", @offsetOf(NrPluginInfo, "plugin_ctx"), 24);
        nr__expect("NrPluginInfo.vtable offset (ILP32-I386)", @offsetOf(NrPluginInfo, "vtable"), 28);
        nr__expect("NrLayoutProbe size (ILP32-I386)", @sizeOf(NrLayoutProbe), 12);
        nr__expect("NrLayoutProbe align (ILP32-I386)", @alignOf(NrLayoutProbe), 4);
        nr__expect("NrLayoutProbe.probe_version offset (ILP32-I386)", @offsetOf(NrLayoutProbe, "probe_version"), 0);
        nr__expect("NrLayoutProbe.count offset (ILP32-I386)", @offsetOf(NrLayoutProbe, "count"), 4);
        nr__expect("NrLayoutProbe.values offset (ILP32-I386)", @offsetOf(NrLayoutProbe, "values"), 8);
    } else {
        // ILP32
        nr__expect("NrStr size (ILP32)", @sizeOf(NrStr), 8);
        nr__expect("NrStr align (ILP32)", @alignOf(NrStr), 4);
        nr__expect("NrStr.ptr offset (ILP32)", @offsetOf(NrStr, "ptr"), 0);
        nr__expect("NrStr.len offset (ILP32)", @offsetOf(NrStr, "len"), 4);
        nr__expect("NrBytes size (ILP32)", @sizeOf(NrBytes), 16);
        nr__expect("NrBytes align (ILP32)", @alignOf(NrBytes), 8);
        nr__expect("NrBytes.ptr offset (ILP32)", @offsetOf(NrBytes, "ptr"), 0);
        nr__expect("NrBytes.len offset (ILP32)", @offsetOf(NrBytes, "len"), 8);
        nr__expect("NrHeader size (ILP32)", @sizeOf(NrHeader), 16);
        nr__expect("NrHeader align (ILP32)", @alignOf(NrHeader), 4);
        nr__expect("NrHeader.key offset (ILP32)", @offsetOf(NrHeader, "key"), 0);
        nr__expect("NrHeader.value offset (ILP32)", @offsetOf(NrHeader, "value"), 8);
        nr__expect("NrRequest size (ILP32)", @sizeOf(NrRequest), 48);
        nr__expect("NrRequest align (ILP32)", @alignOf(NrRequest), 8);
        nr__expect("NrRequest.path offset (ILP32)", @offsetOf(NrRequest, "path"), 0);
        nr__expect("NrRequest.method offset (ILP32)", @offsetOf(NrRequest, "method"), 8);
        nr__expect("NrRequest.query offset (ILP32)", @offsetOf(NrRequest, "query"), 16);
        nr__expect("NrRequest.headers offset (ILP32)", @offsetOf(NrRequest, "headers"), 24);
        nr__expect("NrRequest.headers_len offset (ILP32)", @offsetOf(NrRequest, "headers_len"), 28);
        nr__expect("NrRequest._reserved0 offset (ILP32)", @offsetOf(NrRequest, "_reserved0"), 32);
        nr__expect("NrRequest._reserved1 offset (ILP32)", @offsetOf(NrRequest, "_reserved1"), 40);
        nr__expect("NrHostVTable size (ILP32)", @sizeOf(NrHostVTable), 4);
        nr__expect("NrHostVTable align (ILP32)", @alignOf(NrHostVTable), 4);
        nr__expect("NrHostVTable.send_result offset (ILP32)", @offsetOf(NrHostVTable, "send_result"), 0);
        nr__expect("NrHostExt size (ILP32)", @sizeOf(NrHostExt), 8);
        nr__expect("NrHostExt align (ILP32)", @alignOf(NrHostExt), 4);
        nr__expect("NrHostExt.set_state offset (ILP32)", @offsetOf(NrHostExt, "set_state"), 0);
        nr__expect("NrHostExt.get_state offset (ILP32)", @offsetOf(NrHostExt, "get_state"), 4);
        nr__expect("NrPluginVTable size (ILP32)", @sizeOf(NrPluginVTable), 24);
        nr__expect("NrPluginVTable align (ILP32)", @alignOf(NrPluginVTable), 4);
        nr__expect("NrPluginVTable.init offset (ILP32)", @offsetOf(NrPluginVTable, "init"), 0);
        nr__expect("NrPluginVTable.handle offset (ILP32)", @offsetOf(NrPluginVTable, "handle"), 4);
        nr__expect("NrPluginVTable.handle_raw offset (ILP32)", @offsetOf(NrPluginVTable, "handle_raw"), 8);
        nr__expect("NrPluginVTable.shutdown offset (ILP32)", @offsetOf(NrPluginVTable, "shutdown"), 12);
        nr__expect("NrPluginVTable.stream_data offset (ILP32)", @offsetOf(NrPluginVTable, "stream_data"), 16);
        nr__expect("NrPluginVTable.stream_close offset (ILP32)", @offsetOf(NrPluginVTable, "stream_close"), 20);
        nr__expect("NrPluginInfo size (ILP32)", @sizeOf(NrPluginInfo), 32);
        nr__expect("NrPluginInfo align (ILP32)", @alignOf(NrPluginInfo), 4);
        nr__expect("NrPluginInfo.abi_version offset (ILP32)", @offsetOf(NrPluginInfo, "abi_version"), 0);
        nr__expect("NrPluginInfo.struct_size offset (ILP32)", @offsetOf(NrPluginInfo, "struct_size"), 4);
        nr__expect("NrPluginInfo.name offset (ILP32)", @offsetOf(NrPluginInfo, "name"), 8);
        nr__expect("NrPluginInfo.version offset (ILP32)", @offsetOf(NrPluginInfo, "version"), 16);
        nr__expect("NrPluginInfo.plugin_ctx offset (ILP32)", @offsetOf(NrPluginInfo, "plugin_ctx"), 24);
        nr__expect("NrPluginInfo.vtable offset (ILP32)", @offsetOf(NrPluginInfo, "vtable"), 28);
        nr__expect("NrLayoutProbe size (ILP32)", @sizeOf(NrLayoutProbe), 12);
        nr__expect("NrLayoutProbe align (ILP32)", @alignOf(NrLayoutProbe), 4);
        nr__expect("NrLayoutProbe.probe_version offset (ILP32)", @offsetOf(NrLayoutProbe, "probe_version"), 0);
        nr__expect("NrLayoutProbe.count offset (ILP32)", @offsetOf(NrLayoutProbe, "count"), 4);
        nr__expect("NrLayoutProbe.values offset (ILP32)", @offsetOf(NrLayoutProbe, "values"), 8);
    }
}

// ---- tests: `zig test nylon_ring.zig`

test "every declaration compiles" {
    nr__std.testing.refAllDecls(@This());
}

test "NrStatus: every value round-trips through its integer" {
    try nr__std.testing.expectEqual(0, @intFromEnum(NrStatus.ok));
    try nr__std.testing.expectEqual(NrStatus.ok, @as(NrStatus, @enumFromInt(0)));
    try nr__std.testing.expectEqual(1, @intFromEnum(NrStatus.err));
    try nr__std.testing.expectEqual(NrStatus.err, @as(NrStatus, @enumFromInt(1)));
    try nr__std.testing.expectEqual(2, @intFromEnum(NrStatus.invalid));
    try nr__std.testing.expectEqual(NrStatus.invalid, @as(NrStatus, @enumFromInt(2)));
    try nr__std.testing.expectEqual(3, @intFromEnum(NrStatus.unsupported));
    try nr__std.testing.expectEqual(NrStatus.unsupported, @as(NrStatus, @enumFromInt(3)));
    try nr__std.testing.expectEqual(4, @intFromEnum(NrStatus.stream_end));
    try nr__std.testing.expectEqual(NrStatus.stream_end, @as(NrStatus, @enumFromInt(4)));
    const unknown: NrStatus = @enumFromInt(5);
    try nr__std.testing.expect(!unknown.isKnown());
    try nr__std.testing.expectEqual(5, @intFromEnum(unknown));
}

test "NrStr: a slice round-trips through the view" {
    const text = "nylon-ring";
    const view = try NrStr.fromSlice(text);
    try nr__std.testing.expectEqualStrings(text, view.slice().?);
    const none = try NrStr.fromSlice("");
    try nr__std.testing.expect(none.ptr == null);
    try nr__std.testing.expectEqualStrings("", none.slice().?);
    const invalid: NrStr = .{ .ptr = null, .len = 3 };
    try nr__std.testing.expect(invalid.slice() == null);
}

test "NrBytes: a slice round-trips through the view" {
    const text = "nylon-ring";
    const view = NrBytes.fromSlice(text);
    try nr__std.testing.expectEqualStrings(text, view.slice().?);
    const none = NrBytes.fromSlice("");
    try nr__std.testing.expect(none.ptr == null);
    try nr__std.testing.expectEqualStrings("", none.slice().?);
    const invalid: NrBytes = .{ .ptr = null, .len = 3 };
    try nr__std.testing.expect(invalid.slice() == null);
}

test "layout probe: the table matches this compiler's layout" {
    try nr__std.testing.expectEqual(49, layout_probe.count);
    const values = layout_probe.values.?[0..layout_probe.count];
    try nr__std.testing.expectEqual(@as(u32, @sizeOf(NrStr)), values[0]);
    try nr__std.testing.expectEqual(@as(u32, @alignOf(NrStr)), values[1]);
    try nr__std.testing.expectEqual(&layout_probe, nr__layoutProbe().?);
}
