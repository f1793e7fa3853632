// Generated from schema/abi2.toml (schema sha256 e1a3a2de882d757b) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 2

//! nylon-ring ABI 2: an ABI-stable host/plugin interface for high-performance proxies, with
//! zero-copy answers.
//!
//! Every type is an `extern struct` laid out as C lays it out; the `comptime` block at
//! the end checks each size, alignment and offset against nylon-ring's layout table.

const nr__std = @import("std");
const nr__builtin = @import("builtin");

/// The ABI version a plugin writes into NrPluginInfo.abi_version; a host requires exactly
/// this value.
pub const NR_ABI_VERSION: u32 = 2;

/// What resolve_entry returns for a name the plugin does not export (UINT32_MAX).
pub const NR_ENTRY_UNKNOWN: u32 = nr__std.math.maxInt(u32);

/// Version of the NrLayoutProbe table format.
pub const NR_LAYOUT_PROBE_VERSION: u32 = 1;

/// Outcome of a call or of one result frame; a plain u32 on the wire, so unknown values
/// stay defined. Values are never reused.
/// Non-exhaustive: a value outside the named ones (from foreign code) is legal, never UB.
pub const NrStatus = enum(u32) {
    /// Success; for streams, one more frame follows (not terminal).
    ok = 0,
    /// Runtime error (terminal).
    err = 1,
    /// Bad input: malformed payload, unknown stream id, misused lease (terminal).
    invalid = 2,
    /// The operation or entry is not implemented (terminal).
    unsupported = 3,
    /// Normal end of a stream (terminal).
    stream_end = 4,
    /// A panic or exception contained at the boundary (terminal).
    panic = 5,
    /// Not terminal: the host's bounded stream queue is full and this frame was not
    /// enqueued; the producer decides whether to retry.
    backpressure = 6,
    _,

    /// Whether the value is one of the named ones.
    pub fn isKnown(self: NrStatus) bool {
        return switch (self) {
            .ok => true,
            .err => true,
            .invalid => true,
            .unsupported => true,
            .stream_end => true,
            .panic => true,
            .backpressure => true,
            _ => false,
        };
    }
};

/// Borrowed UTF-8 string view; valid only for the duration of the call that passes it.
pub const NrStr = extern struct {
    /// First byte; may be NULL when len is 0. Not NUL-terminated.
    ptr: ?[*]const u8,
    /// Length in bytes.
    len: u32,
    /// Fills the padding after len; producers write 0.
    reserved: u32 = 0,

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

/// Frees an owned NrVecU8 with its producer's allocator.
pub const NrVecU8DropFn = *const fn (ptr: ?[*]u8, len: usize, cap: usize) callconv(.c) void;

/// A byte buffer by value: owned (freed only through drop_fn) or borrowed (owned = 0,
/// drop_fn NULL: the host copies it inside send_result).
pub const NrVecU8 = extern struct {
    /// First byte; may be NULL when len is 0.
    ptr: ?[*]u8,
    /// Initialised length in bytes.
    len: usize,
    /// Allocated capacity in bytes.
    cap: usize,
    /// 1: the consumer must free it through drop_fn; 0: borrowed.
    owned: u8,
    /// Reserved; zero.
    reserved: [7]u8 = nr__std.mem.zeroes([7]u8),
    /// The producer's free function; NULL for a borrowed buffer.
    drop_fn: ?NrVecU8DropFn = null,
};

/// Gives an NrOwnedBytes buffer back to its producer; called exactly once, from any thread.
pub const NrReleaseFn = *const fn (owner_ctx: ?*anyopaque, ptr: ?[*]const u8, len: u64) callconv(.c) void;

/// A producer-owned buffer the host consumes without copying: ptr..ptr+len stays valid and
/// unchanged until release is called, exactly once.
pub const NrOwnedBytes = extern struct {
    /// First byte; may be NULL when len is 0.
    ptr: ?[*]const u8,
    /// Length in bytes.
    len: u64,
    /// Passed back to release.
    owner_ctx: ?*anyopaque,
    /// Called exactly once when the host is done; NULL means nothing to free.
    release: ?NrReleaseFn = null,
};

/// A host-owned output buffer leased to the plugin for one sid; a NULL ptr means acquire
/// failed and the plugin answers another way.
pub const NrBufferLease = extern struct {
    /// Writable buffer of cap bytes; NULL when acquire failed.
    ptr: ?[*]u8,
    /// Capacity in bytes.
    cap: u64,
    /// Passed back to commit_result_buffer.
    token: u64,
};

/// Delivers one result frame for a stream id; callable from any thread. A borrowed payload
/// is copied before it returns. Returns Backpressure (not terminal) when a stream's queue
/// is full, Invalid for an unknown sid.
pub const NrSendResultFn = *const fn (host_ctx: ?*anyopaque, sid: u64, status: NrStatus, payload: NrVecU8) callconv(.c) NrStatus;

/// Delivers one result frame without a copy; the host calls payload.release exactly once
/// when it is done with the bytes.
pub const NrSendResultOwnedFn = *const fn (host_ctx: ?*anyopaque, sid: u64, status: NrStatus, payload: NrOwnedBytes) callconv(.c) NrStatus;

/// Leases a host buffer of at least capacity bytes for the answer of a unary sid; fails
/// (NULL ptr) for an unknown or streaming sid or when a lease is already out.
pub const NrAcquireResultBufferFn = *const fn (host_ctx: ?*anyopaque, sid: u64, capacity: u64) callconv(.c) NrBufferLease;

/// Answers sid with the first initialized_len bytes of its lease. A failed commit (bad
/// token, initialized_len > cap) keeps the lease; a consumed lease gives Invalid.
pub const NrCommitResultBufferFn = *const fn (host_ctx: ?*anyopaque, sid: u64, status: NrStatus, token: u64, initialized_len: u64) callconv(.c) NrStatus;

/// Callbacks the host gives the plugin in init().
pub const NrHostVTable = extern struct {
    /// Sends a result frame (copying a borrowed payload).
    send_result: ?NrSendResultFn = null,
    /// Sends a result frame without a copy.
    send_result_owned: ?NrSendResultOwnedFn = null,
    /// Leases a host output buffer.
    acquire_result_buffer: ?NrAcquireResultBufferFn = null,
    /// Answers with a leased buffer.
    commit_result_buffer: ?NrCommitResultBufferFn = null,
};

/// Initialises the plugin and stores the host callbacks; anything but Ok is a load error.
pub const NrInitFn = *const fn (host_ctx: ?*anyopaque, host_vtable: ?*const NrHostVTable) callconv(.c) NrStatus;

/// Starts a request; returns at once. Ok means results follow through the host vtable for
/// sid; anything else means nothing follows.
pub const NrHandleFn = *const fn (entry: NrStr, sid: u64, payload: NrBytes) callconv(.c) NrStatus;

/// Stops the plugin; after it returns the plugin calls nothing on the host.
pub const NrShutdownFn = *const fn () callconv(.c) void;

/// Delivers one inbound frame of a bidirectional stream.
pub const NrStreamDataFn = *const fn (sid: u64, data: NrBytes) callconv(.c) NrStatus;

/// Ends the inbound half of a bidirectional stream; the plugin still sends a terminal
/// frame.
pub const NrStreamCloseFn = *const fn (sid: u64) callconv(.c) NrStatus;

/// Maps an entry name to an id that stays valid for the loaded instance; NR_ENTRY_UNKNOWN
/// for an unknown name.
pub const NrResolveEntryFn = *const fn (entry: NrStr) callconv(.c) u32;

/// Starts a request by entry id; behaves exactly like handle() with the name the id was
/// resolved from.
pub const NrHandleByIdFn = *const fn (id: u32, sid: u64, payload: NrBytes) callconv(.c) NrStatus;

/// The plugin's entry points, in ABI order; a NULL slot means not supported. resolve_entry
/// and handle_by_id are both NULL or both set.
pub const NrPluginVTable = extern struct {
    /// Initialisation.
    init: ?NrInitFn = null,
    /// Request by entry name.
    handle: ?NrHandleFn = null,
    /// Shutdown.
    shutdown: ?NrShutdownFn = null,
    /// Inbound bidirectional frame.
    stream_data: ?NrStreamDataFn = null,
    /// Inbound half-close.
    stream_close: ?NrStreamCloseFn = null,
    /// Integer dispatch: name to id.
    resolve_entry: ?NrResolveEntryFn = null,
    /// Integer dispatch: request by id.
    handle_by_id: ?NrHandleByIdFn = null,
};

/// What nylon_ring_get_plugin() returns. Append-only: a host accepts struct_size >= 56, and
/// existing fields never move.
pub const NrPluginInfo = extern struct {
    /// NR_ABI_VERSION (exactly 2).
    abi_version: u32,
    /// sizeof(NrPluginInfo) as the plugin was compiled; at least 56.
    struct_size: u32,
    /// Plugin name (UTF-8).
    name: NrStr,
    /// Plugin version (UTF-8).
    version: NrStr,
    /// Plugin-owned context (the ABI 2 calls do not pass it back).
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

/// Signature of the optional embedded manifest.
pub const NrGetManifestFn = *const fn () callconv(.c) ?[*]const u8;

/// Signature of the optional layout probe.
pub const NrGetLayoutProbeFn = *const fn () callconv(.c) ?*const NrLayoutProbe;

// ---- exported symbols: each helper exports a function of the right type under its name

/// The one required export: returns the plugin's static NrPluginInfo (never NULL).
/// Call from a `comptime` block: `comptime { exportNylonRingGetPlugin(&myFunction); }`.
pub fn exportNylonRingGetPlugin(comptime f: NrGetPluginFn) void {
    @export(f, .{ .name = "nylon_ring_get_plugin" });
}

/// Optional, additive: reports the plugin's own layout table so a host can reject a plugin
/// built against drifted bindings. Released hosts ignore it.
/// Call from a `comptime` block: `comptime { exportNylonRingLayoutProbeV2(&myFunction); }`.
pub fn exportNylonRingLayoutProbeV2(comptime f: NrGetLayoutProbeFn) void {
    @export(f, .{ .name = "nylon_ring_layout_probe_v2" });
}

/// Optional, additive: a NUL-terminated UTF-8 TOML text in the nylon-ring.toml manifest
/// format, describing the plugin's entries, so a released library is self-describing for
/// conformance. Released hosts ignore it.
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
    @offsetOf(NrStr, "reserved"),
    @sizeOf(NrBytes),
    @alignOf(NrBytes),
    @offsetOf(NrBytes, "ptr"),
    @offsetOf(NrBytes, "len"),
    @sizeOf(NrVecU8),
    @alignOf(NrVecU8),
    @offsetOf(NrVecU8, "ptr"),
    @offsetOf(NrVecU8, "len"),
    @offsetOf(NrVecU8, "cap"),
    @offsetOf(NrVecU8, "owned"),
    @offsetOf(NrVecU8, "reserved"),
    @offsetOf(NrVecU8, "drop_fn"),
    @sizeOf(NrOwnedBytes),
    @alignOf(NrOwnedBytes),
    @offsetOf(NrOwnedBytes, "ptr"),
    @offsetOf(NrOwnedBytes, "len"),
    @offsetOf(NrOwnedBytes, "owner_ctx"),
    @offsetOf(NrOwnedBytes, "release"),
    @sizeOf(NrBufferLease),
    @alignOf(NrBufferLease),
    @offsetOf(NrBufferLease, "ptr"),
    @offsetOf(NrBufferLease, "cap"),
    @offsetOf(NrBufferLease, "token"),
    @sizeOf(NrHostVTable),
    @alignOf(NrHostVTable),
    @offsetOf(NrHostVTable, "send_result"),
    @offsetOf(NrHostVTable, "send_result_owned"),
    @offsetOf(NrHostVTable, "acquire_result_buffer"),
    @offsetOf(NrHostVTable, "commit_result_buffer"),
    @sizeOf(NrPluginVTable),
    @alignOf(NrPluginVTable),
    @offsetOf(NrPluginVTable, "init"),
    @offsetOf(NrPluginVTable, "handle"),
    @offsetOf(NrPluginVTable, "shutdown"),
    @offsetOf(NrPluginVTable, "stream_data"),
    @offsetOf(NrPluginVTable, "stream_close"),
    @offsetOf(NrPluginVTable, "resolve_entry"),
    @offsetOf(NrPluginVTable, "handle_by_id"),
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

/// What `nylon_ring_layout_probe_v2` returns.
pub const layout_probe: NrLayoutProbe = .{
    .probe_version = NR_LAYOUT_PROBE_VERSION,
    .count = layout_probe_values.len,
    .values = &layout_probe_values,
};

fn nr__layoutProbe() callconv(.c) ?*const NrLayoutProbe {
    return &layout_probe;
}

/// Exports the optional `nylon_ring_layout_probe_v2` symbol. Call it once from a
/// `comptime` block of the plugin: `comptime { nylon_ring.exportLayoutProbe(); }`.
/// Inline, so that merely referencing it (`std.testing.refAllDecls`) exports nothing.
pub inline fn exportLayoutProbe() void {
    exportNylonRingLayoutProbeV2(&nr__layoutProbe);
}

// ---- layout checks: the numbers come from nylon-ring's layout engine

fn nr__expect(comptime what: []const u8, comptime actual: usize, comptime expected: usize) void {
    if (actual != expected) {
        @compileError(nr__std.fmt.comptimePrint("nylon-ring layout: {s} is {d}, expected {d}", .{ what, actual, expected }));
    }
}

comptime {
    if (@sizeOf(usize) != 8) @compileError("nylon-ring ABI 2 requires a 64-bit target (sizeof(void *) == 8)");
    {
        // LP64/LLP64
        nr__expect("NrStr size (LP64/LLP64)", @sizeOf(NrStr), 16);
        nr__expect("NrStr align (LP64/LLP64)", @alignOf(NrStr), 8);
        nr__expect("NrStr.ptr offset (LP64/LLP64)", @offsetOf(NrStr, "ptr"), 0);
        nr__expect("NrStr.len offset (LP64/LLP64)", @offsetOf(NrStr, "len"), 8);
        nr__expect("NrStr.reserved offset (LP64/LLP64)", @offsetOf(NrStr, "reserved"), 12);
        nr__expect("NrBytes size (LP64/LLP64)", @sizeOf(NrBytes), 16);
        nr__expect("NrBytes align (LP64/LLP64)", @alignOf(NrBytes), 8);
        nr__expect("NrBytes.ptr offset (LP64/LLP64)", @offsetOf(NrBytes, "ptr"), 0);
        nr__expect("NrBytes.len offset (LP64/LLP64)", @offsetOf(NrBytes, "len"), 8);
        nr__expect("NrVecU8 size (LP64/LLP64)", @sizeOf(NrVecU8), 40);
        nr__expect("NrVecU8 align (LP64/LLP64)", @alignOf(NrVecU8), 8);
        nr__expect("NrVecU8.ptr offset (LP64/LLP64)", @offsetOf(NrVecU8, "ptr"), 0);
        nr__expect("NrVecU8.len offset (LP64/LLP64)", @offsetOf(NrVecU8, "len"), 8);
        nr__expect("NrVecU8.cap offset (LP64/LLP64)", @offsetOf(NrVecU8, "cap"), 16);
        nr__expect("NrVecU8.owned offset (LP64/LLP64)", @offsetOf(NrVecU8, "owned"), 24);
        nr__expect("NrVecU8.reserved offset (LP64/LLP64)", @offsetOf(NrVecU8, "reserved"), 25);
        nr__expect("NrVecU8.drop_fn offset (LP64/LLP64)", @offsetOf(NrVecU8, "drop_fn"), 32);
        nr__expect("NrOwnedBytes size (LP64/LLP64)", @sizeOf(NrOwnedBytes), 32);
        nr__expect("NrOwnedBytes align (LP64/LLP64)", @alignOf(NrOwnedBytes), 8);
        nr__expect("NrOwnedBytes.ptr offset (LP64/LLP64)", @offsetOf(NrOwnedBytes, "ptr"), 0);
        nr__expect("NrOwnedBytes.len offset (LP64/LLP64)", @offsetOf(NrOwnedBytes, "len"), 8);
        nr__expect("NrOwnedBytes.owner_ctx offset (LP64/LLP64)", @offsetOf(NrOwnedBytes, "owner_ctx"), 16);
        nr__expect("NrOwnedBytes.release offset (LP64/LLP64)", @offsetOf(NrOwnedBytes, "release"), 24);
        nr__expect("NrBufferLease size (LP64/LLP64)", @sizeOf(NrBufferLease), 24);
        nr__expect("NrBufferLease align (LP64/LLP64)", @alignOf(NrBufferLease), 8);
        nr__expect("NrBufferLease.ptr offset (LP64/LLP64)", @offsetOf(NrBufferLease, "ptr"), 0);
        nr__expect("NrBufferLease.cap offset (LP64/LLP64)", @offsetOf(NrBufferLease, "cap"), 8);
        nr__expect("NrBufferLease.token offset (LP64/LLP64)", @offsetOf(NrBufferLease, "token"), 16);
        nr__expect("NrHostVTable size (LP64/LLP64)", @sizeOf(NrHostVTable), 32);
        nr__expect("NrHostVTable align (LP64/LLP64)", @alignOf(NrHostVTable), 8);
        nr__expect("NrHostVTable.send_result offset (LP64/LLP64)", @offsetOf(NrHostVTable, "send_result"), 0);
        nr__expect("NrHostVTable.send_result_owned offset (LP64/LLP64)", @offsetOf(NrHostVTable, "send_result_owned"), 8);
        nr__expect("NrHostVTable.acquire_result_buffer offset (LP64/LLP64)", @offsetOf(NrHostVTable, "acquire_result_buffer"), 16);
        nr__expect("NrHostVTable.commit_result_buffer offset (LP64/LLP64)", @offsetOf(NrHostVTable, "commit_result_buffer"), 24);
        nr__expect("NrPluginVTable size (LP64/LLP64)", @sizeOf(NrPluginVTable), 56);
        nr__expect("NrPluginVTable align (LP64/LLP64)", @alignOf(NrPluginVTable), 8);
        nr__expect("NrPluginVTable.init offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "init"), 0);
        nr__expect("NrPluginVTable.handle offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "handle"), 8);
        nr__expect("NrPluginVTable.shutdown offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "shutdown"), 16);
        nr__expect("NrPluginVTable.stream_data offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "stream_data"), 24);
        nr__expect("NrPluginVTable.stream_close offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "stream_close"), 32);
        nr__expect("NrPluginVTable.resolve_entry offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "resolve_entry"), 40);
        nr__expect("NrPluginVTable.handle_by_id offset (LP64/LLP64)", @offsetOf(NrPluginVTable, "handle_by_id"), 48);
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
    try nr__std.testing.expectEqual(5, @intFromEnum(NrStatus.panic));
    try nr__std.testing.expectEqual(NrStatus.panic, @as(NrStatus, @enumFromInt(5)));
    try nr__std.testing.expectEqual(6, @intFromEnum(NrStatus.backpressure));
    try nr__std.testing.expectEqual(NrStatus.backpressure, @as(NrStatus, @enumFromInt(6)));
    const unknown: NrStatus = @enumFromInt(7);
    try nr__std.testing.expect(!unknown.isKnown());
    try nr__std.testing.expectEqual(7, @intFromEnum(unknown));
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
    try nr__std.testing.expectEqual(56, layout_probe.count);
    const values = layout_probe.values.?[0..layout_probe.count];
    try nr__std.testing.expectEqual(@as(u32, @sizeOf(NrStr)), values[0]);
    try nr__std.testing.expectEqual(@as(u32, @alignOf(NrStr)), values[1]);
    try nr__std.testing.expectEqual(&layout_probe, nr__layoutProbe().?);
}
