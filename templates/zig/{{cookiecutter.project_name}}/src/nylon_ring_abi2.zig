//! The SDK's ABI 2 layer: `nylon_ring_get_plugin`, the 7-slot vtable (no `plugin_ctx`,
//! no request struct; integer dispatch through `resolve_entry`/`handle_by_id`), and the
//! host's four callbacks: `send_result` (a borrowed `NrVecU8`, copied by the host),
//! `send_result_owned` (zero-copy, released once by the host), and the
//! `acquire_result_buffer`/`commit_result_buffer` leases.
//! Everything else is the SDK's core (`nylon_ring_sdk.zig`).

const std = @import("std");
const core = @import("nylon_ring_sdk.zig");
const abi = core.abi;
const Status = abi.NrStatus;

/// A contained failure (a handler returning error.Panic) answers Panic.
pub const panic_status: Status = .panic;
/// Panic probes answer Unsupported unless NYLON_RING_ENABLE_PROBES=1 at init.
pub const gate_probes = true;
/// ABI 2 passes no request metadata: handlers always see an empty `Request`.
pub const Header = struct { key: abi.NrStr, value: abi.NrStr };

/// The host's callbacks, stored by init() before the core goes live.
var host_ctx: ?*anyopaque = null;
var host: abi.NrHostVTable = .{};

/// Sends one frame as a borrowed buffer (the host copies it before it returns).
pub fn send(sid: u64, status: Status, data: []const u8) Status {
    const f = host.send_result orelse return .invalid;
    const vec: abi.NrVecU8 = .{ .ptr = @constCast(data.ptr), .len = data.len, .cap = data.len, .owned = 0 };
    return f(host_ctx, sid, status, vec);
}

/// Gives an owned answer's bytes back to the SDK's allocator; the host calls it once.
fn releaseOwned(_: ?*anyopaque, ptr: ?[*]const u8, len: u64) callconv(.c) void {
    const p = ptr orelse return;
    core.allocator.free(@constCast(p)[0..@intCast(len)]);
}

/// Sends `buf` (from `core.allocator`) without a copy; the host releases it exactly once,
/// whatever it answers. Without an owned path the bytes are copied and freed here.
pub fn sendOwned(sid: u64, status: Status, buf: []u8) Status {
    const f = host.send_result_owned orelse {
        defer core.allocator.free(buf);
        return send(sid, status, buf);
    };
    if (buf.len == 0) return send(sid, status, buf); // nothing to keep alive
    return f(host_ctx, sid, status, .{ .ptr = buf.ptr, .len = buf.len, .owner_ctx = null, .release = &releaseOwned });
}

/// A lease as the core sees it.
pub const Leased = struct { bytes: []u8, token: u64 };

/// Leases a host buffer of at least `capacity` bytes for `sid`; null when the host lends
/// none or a shorter one (a short lease is consumed by the fallback answer).
pub fn acquire(sid: u64, capacity: usize) ?Leased {
    const f = host.acquire_result_buffer orelse return null;
    const got = f(host_ctx, sid, capacity);
    const ptr = got.ptr orelse return null;
    if (got.cap < capacity) return null;
    return .{ .bytes = ptr[0..capacity], .token = got.token };
}

/// Commits a lease: the host answers `sid` with its first `len` bytes.
pub fn commit(sid: u64, status: Status, token: u64, len: usize) Status {
    const f = host.commit_result_buffer orelse return .invalid;
    return f(host_ctx, sid, status, token, len);
}

/// The manifest's name for an entry mode: ABI 2 knows unary, stream and bidi.
pub fn modeName(comptime mode: core.Mode) []const u8 {
    return switch (mode) {
        .unary, .raw => "unary",
        .stream, .stream_raw => "stream",
        .bidi => "bidi",
    };
}

/// The C side of plugin `P` (a `core.Plugin(...)` type).
pub fn Exports(comptime P: type) type {
    return struct {
        /// What `nylon_ring_get_plugin` returns.
        pub const info: abi.NrPluginInfo = .{
            .abi_version = abi.NR_ABI_VERSION,
            .struct_size = @sizeOf(abi.NrPluginInfo),
            .name = abi.NrStr.lit(P.name),
            .version = abi.NrStr.lit(P.version),
            .plugin_ctx = null,
            .vtable = &vtable,
        };

        pub const vtable: abi.NrPluginVTable = .{
            .init = &init,
            .handle = &handle,
            .shutdown = &shutdown,
            .stream_data = &streamData,
            .stream_close = &streamClose,
            .resolve_entry = &resolveEntry,
            .handle_by_id = &handleById,
        };

        pub fn exportSymbols() void {
            abi.exportNylonRingGetPlugin(&getPlugin);
            abi.exportLayoutProbe();
            abi.exportNylonRingManifest(&manifest);
        }

        fn manifest() callconv(.c) ?[*]const u8 {
            return P.manifest.ptr;
        }

        fn getPlugin() callconv(.c) ?*const abi.NrPluginInfo {
            return &info;
        }

        fn init(ctx: ?*anyopaque, host_vtable: ?*const abi.NrHostVTable) callconv(.c) Status {
            const table = host_vtable orelse return .invalid;
            if (table.send_result == null) return .invalid;
            // A second init without shutdown (a host reloading the plugin): finish the
            // previous run first, so nothing of it reaches the new host.
            if (core.isLive()) P.close();
            host_ctx = ctx;
            host = table.*;
            return P.open();
        }

        fn shutdown() callconv(.c) void {
            P.close();
        }

        fn handle(entry: abi.NrStr, sid: u64, payload: abi.NrBytes) callconv(.c) Status {
            const name = entry.slice() orelse return .invalid;
            const body = payload.slice() orelse return .invalid;
            return P.dispatch(name, sid, .{}, body);
        }

        fn resolveEntry(entry: abi.NrStr) callconv(.c) u32 {
            const name = entry.slice() orelse return abi.NR_ENTRY_UNKNOWN;
            return P.resolve(name);
        }

        fn handleById(id: u32, sid: u64, payload: abi.NrBytes) callconv(.c) Status {
            const body = payload.slice() orelse return .invalid;
            return P.dispatchId(id, sid, body);
        }

        fn streamData(sid: u64, data: abi.NrBytes) callconv(.c) Status {
            const bytes = data.slice() orelse return .invalid;
            return core.sessionData(sid, bytes);
        }

        fn streamClose(sid: u64) callconv(.c) Status {
            return core.sessionClose(sid);
        }
    };
}
