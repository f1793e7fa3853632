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
/// What handle returns for a background call the full queue refused: Backpressure.
pub const busy_status: Status = .backpressure;
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

// ---------------------------------------------------------------- tests

const testing = std.testing;

/// A host for tests: records every frame, counts releases, lends one lease per sid, and
/// answers Backpressure to every other stream frame while `squeeze` is set.
const TestHost = struct {
    lock: std.Thread.Mutex = .{},
    frames: std.ArrayList(Frame) = .empty,
    releases: std.atomic.Value(u32) = .init(0),
    lease_buf: [64]u8 = undefined,
    lease_out: bool = false,
    squeeze: bool = false,
    refused: u32 = 0,
    caller: std.Thread.Id = 0,

    const Frame = struct { sid: u64, status: Status, data: []u8, path: u8, same_thread: bool };

    fn self(ctx: ?*anyopaque) *TestHost {
        return @ptrCast(@alignCast(ctx.?));
    }

    fn record(h: *TestHost, sid: u64, status: Status, data: []const u8, path: u8) Status {
        h.lock.lock();
        defer h.lock.unlock();
        if (h.squeeze and status == .ok) {
            h.refused += 1;
            if (h.refused % 2 == 1) return .backpressure;
        }
        const copy = testing.allocator.dupe(u8, data) catch return .err;
        const same = std.Thread.getCurrentId() == h.caller;
        h.frames.append(testing.allocator, .{ .sid = sid, .status = status, .data = copy, .path = path, .same_thread = same }) catch {
            testing.allocator.free(copy);
            return .err;
        };
        return .ok;
    }

    fn sendResult(ctx: ?*anyopaque, sid: u64, status: Status, payload: abi.NrVecU8) callconv(.c) Status {
        const data: []const u8 = if (payload.len == 0) "" else payload.ptr.?[0..payload.len];
        return self(ctx).record(sid, status, data, 'c');
    }

    fn sendOwnedResult(ctx: ?*anyopaque, sid: u64, status: Status, payload: abi.NrOwnedBytes) callconv(.c) Status {
        const h = self(ctx);
        const data: []const u8 = if (payload.len == 0) "" else payload.ptr.?[0..@intCast(payload.len)];
        const got = h.record(sid, status, data, 'o');
        if (payload.release) |release| release(payload.owner_ctx, payload.ptr, payload.len);
        _ = h.releases.fetchAdd(1, .acq_rel);
        return got;
    }

    fn acquireBuffer(ctx: ?*anyopaque, _: u64, capacity: u64) callconv(.c) abi.NrBufferLease {
        const h = self(ctx);
        if (h.lease_out or capacity > h.lease_buf.len) return .{ .ptr = null, .cap = 0, .token = 0 };
        h.lease_out = true;
        return .{ .ptr = &h.lease_buf, .cap = h.lease_buf.len, .token = 42 };
    }

    fn commitBuffer(ctx: ?*anyopaque, sid: u64, status: Status, token: u64, len: u64) callconv(.c) Status {
        const h = self(ctx);
        if (!h.lease_out or token != 42 or len > h.lease_buf.len) return .invalid;
        h.lease_out = false;
        return h.record(sid, status, h.lease_buf[0..@intCast(len)], 'l');
    }

    fn deinit(h: *TestHost) void {
        for (h.frames.items) |f| testing.allocator.free(f.data);
        h.frames.deinit(testing.allocator);
    }

    /// The frames of `sid` as "status:data@path" strings joined by commas.
    fn trace(h: *TestHost, sid: u64, buf: []u8) []const u8 {
        h.lock.lock();
        defer h.lock.unlock();
        var w: std.Io.Writer = .fixed(buf);
        for (h.frames.items) |f| {
            if (f.sid != sid) continue;
            w.print("{s}:{s}@{c},", .{ @tagName(f.status), f.data, f.path }) catch break;
        }
        return w.buffered();
    }

    /// Whether the frame of `sid` was sent on the thread that called handle().
    fn sentOnCaller(h: *TestHost, sid: u64) ?bool {
        h.lock.lock();
        defer h.lock.unlock();
        for (h.frames.items) |f| if (f.sid == sid) return f.same_thread;
        return null;
    }
};

fn testEcho(reply: *core.Reply, payload: []const u8) !void {
    reply.ok(payload);
    reply.ok("second answer");
}

fn testOwned(reply: *core.Reply, payload: []const u8) !void {
    reply.sendOwned(.ok, try core.allocator.dupe(u8, payload));
    reply.sendOwned(.ok, try core.allocator.dupe(u8, "second answer")); // freed, not sent
}

fn testLease(reply: *core.Reply, payload: []const u8) !void {
    const lease = reply.lease(payload.len) orelse return reply.ok(payload);
    @memcpy(lease.bytes[0..payload.len], payload);
    lease.commit(.ok, payload.len);
    lease.commit(.ok, payload.len); // already answered: nothing
}

fn testPanic(_: *core.Reply, _: []const u8) !void {
    return error.Panic;
}

fn testCount(s: *core.Stream, payload: []const u8) !void {
    const n = std.fmt.parseInt(u8, payload, 10) catch return error.Invalid;
    var buf: [4]u8 = undefined;
    for (0..n) |i| s.frame(try std.fmt.bufPrint(&buf, "{d}", .{i}));
    s.end();
    s.frame("after the end");
}

const TestPlugin = core.Plugin(.{
    .name = "sdk-test2",
    .version = "0.0.0",
    .entries = .{
        core.raw("echo", testEcho),
        core.raw("echo_async", testEcho).inBackground(),
        core.raw("owned", testOwned),
        core.raw("lease", testLease),
        core.raw("panic", testPanic).asProbe(),
        core.raw("panic_bg", testPanic).inBackground().asProbe(),
        core.streamRaw("count", testCount),
    },
});

const full_vtable: abi.NrHostVTable = .{
    .send_result = &TestHost.sendResult,
    .send_result_owned = &TestHost.sendOwnedResult,
    .acquire_result_buffer = &TestHost.acquireBuffer,
    .commit_result_buffer = &TestHost.commitBuffer,
};

fn testStart(h: *TestHost, vt: *const abi.NrHostVTable) !void {
    TestPlugin.vtable.shutdown.?();
    h.caller = std.Thread.getCurrentId();
    try testing.expectEqual(Status.ok, TestPlugin.vtable.init.?(h, vt));
}

fn call(entry: []const u8, sid: u64, payload: []const u8) Status {
    return TestPlugin.vtable.handle.?(abi.NrStr.fromSlice(entry) catch unreachable, sid, abi.NrBytes.fromSlice(payload));
}

test "ABI 2: each answer path answers once; owned bytes are released exactly once" {
    var h: TestHost = .{};
    defer h.deinit();
    try testStart(&h, &full_vtable);
    var buf: [256]u8 = undefined;
    try testing.expectEqual(Status.ok, call("echo", 1, "hi"));
    try testing.expectEqualStrings("ok:hi@c,", h.trace(1, &buf));
    try testing.expectEqual(Status.ok, call("owned", 2, "mine"));
    try testing.expectEqualStrings("ok:mine@o,", h.trace(2, &buf));
    try testing.expectEqual(@as(u32, 1), h.releases.load(.acquire));
    try testing.expectEqual(Status.ok, call("lease", 3, "lent"));
    try testing.expectEqualStrings("ok:lent@l,", h.trace(3, &buf));
    h.lease_out = true; // acquire fails: the plain answer instead
    try testing.expectEqual(Status.ok, call("lease", 4, "fallback"));
    try testing.expectEqualStrings("ok:fallback@c,", h.trace(4, &buf));
    TestPlugin.vtable.shutdown.?();
    try testing.expectEqual(Status.invalid, call("echo", 5, "after shutdown"));
    try testing.expectEqualStrings("", h.trace(5, &buf));
}

test "ABI 2: without owned and lease slots the SDK answers through send_result" {
    var h: TestHost = .{};
    defer h.deinit();
    try testStart(&h, &.{ .send_result = &TestHost.sendResult });
    defer TestPlugin.vtable.shutdown.?();
    var buf: [256]u8 = undefined;
    try testing.expectEqual(Status.ok, call("owned", 1, "copied"));
    try testing.expectEqual(Status.ok, call("lease", 2, "copied too"));
    try testing.expectEqualStrings("ok:copied@c,", h.trace(1, &buf));
    try testing.expectEqualStrings("ok:copied too@c,", h.trace(2, &buf));
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.init.?(null, &.{}));
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.init.?(null, null));
}

test "ABI 2: integer dispatch matches handle; unknown names and ids; NULL views are Invalid" {
    var h: TestHost = .{};
    defer h.deinit();
    try testStart(&h, &full_vtable);
    defer TestPlugin.vtable.shutdown.?();
    var buf: [256]u8 = undefined;
    const vt = TestPlugin.vtable;
    const id = vt.resolve_entry.?(abi.NrStr.lit("echo"));
    try testing.expectEqual(@as(u32, 0), id);
    try testing.expectEqual(Status.ok, vt.handle_by_id.?(id, 1, abi.NrBytes.fromSlice("by id")));
    try testing.expectEqualStrings("ok:by id@c,", h.trace(1, &buf));
    try testing.expectEqual(abi.NR_ENTRY_UNKNOWN, vt.resolve_entry.?(abi.NrStr.lit("nope")));
    try testing.expectEqual(abi.NR_ENTRY_UNKNOWN, vt.resolve_entry.?(.{ .ptr = null, .len = 3 }));
    try testing.expectEqual(Status.unsupported, vt.handle_by_id.?(999, 2, .empty));
    try testing.expectEqual(Status.unsupported, call("nope", 3, ""));
    try testing.expectEqual(Status.invalid, vt.handle.?(.{ .ptr = null, .len = 4 }, 4, .empty));
    try testing.expectEqual(Status.invalid, vt.handle.?(abi.NrStr.lit("echo"), 5, .{ .ptr = null, .len = 4 }));
    try testing.expectEqual(Status.invalid, vt.handle_by_id.?(id, 6, .{ .ptr = null, .len = 4 }));
    try testing.expectEqual(Status.invalid, vt.stream_data.?(77, .empty));
    try testing.expectEqual(Status.invalid, vt.stream_close.?(77));
}

test "ABI 2: a background answer comes from another thread, before shutdown returns" {
    var h: TestHost = .{};
    defer h.deinit();
    try testStart(&h, &full_vtable);
    var buf: [256]u8 = undefined;
    try testing.expectEqual(Status.ok, call("echo_async", 1, "later"));
    TestPlugin.vtable.shutdown.?();
    try testing.expectEqualStrings("ok:later@c,", h.trace(1, &buf));
    try testing.expectEqual(@as(?bool, false), h.sentOnCaller(1));
}

test "ABI 2: frames refused with Backpressure are retried in order; one terminal frame" {
    var h: TestHost = .{ .squeeze = true };
    defer h.deinit();
    try testStart(&h, &full_vtable);
    defer TestPlugin.vtable.shutdown.?();
    var buf: [256]u8 = undefined;
    try testing.expectEqual(Status.ok, call("count", 1, "3"));
    try testing.expectEqualStrings("ok:0@c,ok:1@c,ok:2@c,stream_end:@c,", h.trace(1, &buf));
    try testing.expect(h.refused >= 3);
}

test "ABI 2: probes answer Unsupported unless enabled, then Panic" {
    var h: TestHost = .{};
    defer h.deinit();
    try testStart(&h, &full_vtable);
    var buf: [256]u8 = undefined;
    if (std.posix.getenv("NYLON_RING_ENABLE_PROBES") == null) {
        try testing.expectEqual(Status.unsupported, call("panic", 1, ""));
        try testing.expectEqualStrings("", h.trace(1, &buf));
    }
    probesForTests(true);
    try testing.expectEqual(Status.ok, call("panic", 2, ""));
    try testing.expectEqual(Status.ok, call("panic_bg", 3, ""));
    TestPlugin.vtable.shutdown.?();
    try testing.expectEqualStrings("panic:panic: a handler returned error.Panic@c,", h.trace(2, &buf));
    try testing.expectEqualStrings("panic:panic: a handler returned error.Panic@c,", h.trace(3, &buf));
}

/// Switches the probes on as NYLON_RING_ENABLE_PROBES=1 at init would (tests only).
fn probesForTests(on: bool) void {
    core.enableProbesForTests(on);
}
