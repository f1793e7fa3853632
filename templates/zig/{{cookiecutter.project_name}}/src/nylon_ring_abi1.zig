//! The SDK's ABI 1 layer: `nylon_ring_get_plugin_v1`, the 6-slot vtable with its
//! `plugin_ctx` argument and request views, the state extension
//! (`nylon_ring_set_host_ext_v1`) and `send_result` with a borrowed `NrBytes`.
//! Everything else is the SDK's core (`nylon_ring_sdk.zig`).

const std = @import("std");
const core = @import("nylon_ring_sdk.zig");
const abi = core.abi;
const Status = abi.NrStatus;

/// ABI 1 has no Panic status: a contained failure answers Err.
pub const panic_status: Status = .err;
/// What handle returns for a background call the full queue refused: Err (ABI 1 has no Backpressure).
pub const busy_status: Status = .err;
/// ABI 1 probes run in every build (its conformance calls them without a switch).
pub const gate_probes = false;
/// A request header as the host passes it.
pub const Header = abi.NrHeader;

/// What init() stored: written before the core goes live, read only after.
const Link = struct {
    ctx: ?*anyopaque = null,
    send_result: ?abi.NrSendResultFn = null,
};

var link: Link = .{};
/// The state extension handed over by `nylon_ring_set_host_ext_v1`, or null.
var host_ext = std.atomic.Value(?*const abi.NrHostExt).init(null);

/// Sends one frame; the host copies it. ABI 1's send_result returns nothing: Ok.
pub fn send(sid: u64, status: Status, data: []const u8) Status {
    const f = link.send_result orelse return .invalid;
    f(link.ctx, sid, status, abi.NrBytes.fromSlice(data));
    return .ok;
}

/// The manifest's name for an entry mode: ABI 1 keeps all five.
pub fn modeName(comptime mode: core.Mode) []const u8 {
    return @tagName(mode);
}

/// Per-sid state kept by the host (the optional state extension).
pub const State = struct {
    sid: u64,
    ext: *const abi.NrHostExt,

    /// Stores `value` under `key` for this sid; returns the host's stored copy (empty
    /// when the host returned nothing usable or the key is too long for the ABI).
    pub fn set(self: State, key: []const u8, value: []const u8) []const u8 {
        const k = abi.NrStr.fromSlice(key) catch return "";
        const f = self.ext.set_state orelse return "";
        if (!core.isLive()) return "";
        return f(link.ctx, self.sid, k, abi.NrBytes.fromSlice(value)).slice() orelse "";
    }

    /// The value stored under `key` for this sid; empty when absent. The slice points
    /// into host storage: copy it to keep it beyond the current call.
    pub fn get(self: State, key: []const u8) []const u8 {
        const k = abi.NrStr.fromSlice(key) catch return "";
        const f = self.ext.get_state orelse return "";
        if (!core.isLive()) return "";
        return f(link.ctx, self.sid, k).slice() orelse "";
    }
};

/// The state of `sid`, or null when the host offered no state extension.
pub fn stateOf(sid: u64) ?State {
    const ext = host_ext.load(.acquire) orelse return null;
    if (ext.set_state == null or ext.get_state == null) return null;
    return .{ .sid = sid, .ext = ext };
}

/// Reads a request from the host; null when it is NULL or holds an invalid view.
fn requestFromAbi(ptr: ?*const abi.NrRequest) ?core.Request {
    const r = ptr orelse return null;
    const headers: []const abi.NrHeader = if (r.headers_len == 0)
        &.{}
    else
        (r.headers orelse return null)[0..r.headers_len];
    for (headers) |h| {
        _ = h.key.slice() orelse return null;
        _ = h.value.slice() orelse return null;
    }
    return .{
        .method = r.method.slice() orelse return null,
        .path = r.path.slice() orelse return null,
        .query = r.query.slice() orelse return null,
        .raw_headers = headers,
    };
}

fn setHostExt(ext: ?*const abi.NrHostExt) callconv(.c) void {
    host_ext.store(ext, .release);
}

/// The C side of plugin `P` (a `core.Plugin(...)` type).
pub fn Exports(comptime P: type) type {
    return struct {
        /// What `nylon_ring_get_plugin_v1` returns.
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
            .handle_raw = &handleRaw,
            .shutdown = &shutdown,
            .stream_data = &streamData,
            .stream_close = &streamClose,
        };

        pub fn exportSymbols() void {
            abi.exportNylonRingGetPluginV1(&getPlugin);
            abi.exportNylonRingSetHostExtV1(&setHostExt);
            abi.exportLayoutProbe();
            @export(&manifest, .{ .name = "nylon_ring_manifest" });
        }

        fn manifest() callconv(.c) ?[*]const u8 {
            return P.manifest.ptr;
        }

        fn getPlugin() callconv(.c) ?*const abi.NrPluginInfo {
            return &info;
        }

        fn init(_: ?*anyopaque, host_ctx: ?*anyopaque, host_vtable: ?*const abi.NrHostVTable) callconv(.c) Status {
            const table = host_vtable orelse return .invalid;
            const send_fn = table.send_result orelse return .invalid;
            // A second init without shutdown (a host reloading the plugin): finish the
            // previous run first, so nothing of it reaches the new host.
            if (core.isLive()) shutdown(null);
            link = .{ .ctx = host_ctx, .send_result = send_fn };
            return P.open();
        }

        fn shutdown(_: ?*anyopaque) callconv(.c) void {
            if (!core.isLive()) return;
            P.close();
            host_ext.store(null, .release);
        }

        fn handle(_: ?*anyopaque, entry: abi.NrStr, sid: u64, req: ?*const abi.NrRequest, payload: abi.NrBytes) callconv(.c) Status {
            const request = requestFromAbi(req) orelse return .invalid;
            const name = entry.slice() orelse return .invalid;
            const body = payload.slice() orelse return .invalid;
            return P.dispatch(name, sid, request, body);
        }

        fn handleRaw(_: ?*anyopaque, entry: abi.NrStr, sid: u64, payload: abi.NrBytes) callconv(.c) Status {
            const name = entry.slice() orelse return .invalid;
            const body = payload.slice() orelse return .invalid;
            return P.dispatch(name, sid, .{}, body);
        }

        fn streamData(_: ?*anyopaque, sid: u64, data: abi.NrBytes) callconv(.c) Status {
            const bytes = data.slice() orelse return .invalid;
            return core.sessionData(sid, bytes);
        }

        fn streamClose(_: ?*anyopaque, sid: u64) callconv(.c) Status {
            return core.sessionClose(sid);
        }
    };
}

// ---------------------------------------------------------------- tests

const testing = std.testing;
const Reply = core.Reply;
const Stream = core.Stream;
const Plugin = core.Plugin;
const raw = core.raw;
const streamRaw = core.streamRaw;
const bidi = core.bidi;

/// A host for tests: records every frame it is sent.
const TestHost = struct {
    lock: std.Thread.Mutex = .{},
    frames: std.ArrayList(Frame) = .empty,
    ext: abi.NrHostExt = .{ .set_state = &setState, .get_state = &getState },
    stored: [64]u8 = undefined,
    stored_len: usize = 0,

    const Frame = struct { sid: u64, status: Status, data: []u8 };

    fn send(ctx: ?*anyopaque, sid: u64, status: Status, payload: abi.NrBytes) callconv(.c) void {
        const self: *TestHost = @ptrCast(@alignCast(ctx.?));
        self.lock.lock();
        defer self.lock.unlock();
        const data = testing.allocator.dupe(u8, payload.slice().?) catch return;
        self.frames.append(testing.allocator, .{ .sid = sid, .status = status, .data = data }) catch {
            testing.allocator.free(data);
        };
    }

    fn setState(ctx: ?*anyopaque, _: u64, _: abi.NrStr, value: abi.NrBytes) callconv(.c) abi.NrBytes {
        const self: *TestHost = @ptrCast(@alignCast(ctx.?));
        const v = value.slice().?;
        @memcpy(self.stored[0..v.len], v);
        self.stored_len = v.len;
        return abi.NrBytes.fromSlice(self.stored[0..v.len]);
    }

    fn getState(ctx: ?*anyopaque, _: u64, _: abi.NrStr) callconv(.c) abi.NrBytes {
        const self: *TestHost = @ptrCast(@alignCast(ctx.?));
        return abi.NrBytes.fromSlice(self.stored[0..self.stored_len]);
    }

    fn deinit(self: *TestHost) void {
        for (self.frames.items) |f| testing.allocator.free(f.data);
        self.frames.deinit(testing.allocator);
    }

    /// The frames of `sid` as "status:data" strings joined by commas.
    fn trace(self: *TestHost, sid: u64, buf: []u8) []const u8 {
        self.lock.lock();
        defer self.lock.unlock();
        var w: std.Io.Writer = .fixed(buf);
        for (self.frames.items) |f| {
            if (f.sid != sid) continue;
            w.print("{s}:{s},", .{ @tagName(f.status), f.data }) catch break;
        }
        return w.buffered();
    }
};

fn testEchoTwice(reply: *Reply, payload: []const u8) !void {
    reply.ok(payload);
    reply.ok("second answer");
}

fn testFail(_: *Reply, _: []const u8) !void {
    return error.Boom;
}

fn testFailAfterAnswer(reply: *Reply, payload: []const u8) !void {
    reply.ok(payload);
    return error.TooLate;
}

fn testSilent(_: *Reply, _: []const u8) !void {}

fn testSlow(reply: *Reply, payload: []const u8) !void {
    std.Thread.sleep(20 * std.time.ns_per_ms);
    reply.ok(payload);
}

fn testState(reply: *Reply, payload: []const u8) !void {
    const st = reply.state() orelse return error.Unsupported;
    _ = st.set("k", payload);
    reply.ok(st.get("k"));
}

fn testCount(s: *Stream, payload: []const u8) !void {
    const n = std.fmt.parseInt(u8, payload, 10) catch return error.Invalid;
    var buf: [4]u8 = undefined;
    for (0..n) |i| s.frame(try std.fmt.bufPrint(&buf, "{d}", .{i}));
    s.end();
    s.frame("after the end");
    s.fail("second terminal");
}

fn testStreamThenFail(s: *Stream, _: []const u8) !void {
    s.frame("x");
    return error.Invalid;
}

fn testStreamLeftOpen(s: *Stream, _: []const u8) !void {
    s.frame("x");
}

fn testUpper(s: *Stream, data: []const u8) !void {
    if (std.mem.eql(u8, data, "stop")) return error.Stopped;
    s.frame(data);
}

fn testGoodbye(s: *Stream) !void {
    s.frame("bye");
}

fn testGreet(s: *Stream, payload: []const u8) !void {
    if (payload.len == 0) return error.Invalid;
    s.frame(payload);
}

const TestPlugin = Plugin(.{
    .name = "sdk-test",
    .version = "0.0.0",
    .entries = .{
        raw("echo", testEchoTwice),
        raw("fail", testFail),
        raw("late", testFailAfterAnswer),
        raw("silent", testSilent),
        raw("state", testState),
        raw("slow_bg", testSlow).inBackground(),
        raw("fail_bg", testFail).inBackground(),
        raw("silent_bg", testSilent).inBackground(),
        streamRaw("count", testCount),
        streamRaw("count_bg", testCount).inBackground(),
        streamRaw("half", testStreamThenFail),
        streamRaw("open", testStreamLeftOpen),
        bidi("chat", .{ .data = testUpper, .close = testGoodbye }),
        bidi("greet", .{ .open = testGreet, .data = testUpper }),
    },
});

fn testStart(host: *TestHost) !void {
    TestPlugin.vtable.shutdown.?(null);
    const vt: abi.NrHostVTable = .{ .send_result = &TestHost.send };
    try testing.expectEqual(Status.ok, TestPlugin.vtable.init.?(null, host, &vt));
}

fn testRaw(entry: []const u8, sid: u64, payload: []const u8) Status {
    return TestPlugin.vtable.handle_raw.?(null, abi.NrStr.fromSlice(entry) catch unreachable, sid, abi.NrBytes.fromSlice(payload));
}

test "a unary reply answers once; an error before answering rejects the call" {
    var host: TestHost = .{};
    defer host.deinit();
    try testStart(&host);
    defer TestPlugin.vtable.shutdown.?(null);
    var buf: [256]u8 = undefined;
    try testing.expectEqual(Status.ok, testRaw("echo", 1, "hi"));
    try testing.expectEqualStrings("ok:hi,", host.trace(1, &buf));
    try testing.expectEqual(Status.err, testRaw("fail", 2, ""));
    try testing.expectEqualStrings("", host.trace(2, &buf));
    try testing.expectEqual(Status.ok, testRaw("late", 3, "kept"));
    try testing.expectEqualStrings("ok:kept,", host.trace(3, &buf));
    try testing.expectEqual(Status.ok, testRaw("silent", 4, ""));
    try testing.expectEqualStrings("err:,", host.trace(4, &buf));
}

test "unknown entries are Unsupported; NULL and invalid views are Invalid" {
    var host: TestHost = .{};
    defer host.deinit();
    try testing.expectEqual(Status.invalid, testRaw("echo", 1, "before init"));
    try testStart(&host);
    defer TestPlugin.vtable.shutdown.?(null);
    try testing.expectEqual(Status.unsupported, testRaw("nope", 2, ""));
    const bad_entry: abi.NrStr = .{ .ptr = null, .len = 4 };
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.handle_raw.?(null, bad_entry, 3, .empty));
    const bad_payload: abi.NrBytes = .{ .ptr = null, .len = 4 };
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.handle_raw.?(null, abi.NrStr.lit("echo"), 4, bad_payload));
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.handle.?(null, abi.NrStr.lit("echo"), 5, null, .empty));
    const bad_headers: abi.NrRequest = .{ .path = .empty, .method = .empty, .query = .empty, .headers = null, .headers_len = 2 };
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.handle.?(null, abi.NrStr.lit("echo"), 6, &bad_headers, .empty));
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.stream_data.?(null, 77, .empty));
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.stream_close.?(null, 77));
    const no_send: abi.NrHostVTable = .{};
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.init.?(null, null, &no_send));
    try testing.expectEqual(Status.invalid, TestPlugin.vtable.init.?(null, null, null));
}

test "a stream sends its frames, then exactly one terminal frame" {
    var host: TestHost = .{};
    defer host.deinit();
    try testStart(&host);
    defer TestPlugin.vtable.shutdown.?(null);
    var buf: [256]u8 = undefined;
    try testing.expectEqual(Status.ok, testRaw("count", 1, "3"));
    try testing.expectEqualStrings("ok:0,ok:1,ok:2,stream_end:,", host.trace(1, &buf));
    try testing.expectEqual(Status.invalid, testRaw("count", 2, "x"));
    try testing.expectEqualStrings("", host.trace(2, &buf));
    try testing.expectEqual(Status.ok, testRaw("half", 3, ""));
    try testing.expectEqualStrings("ok:x,invalid:,", host.trace(3, &buf));
    try testing.expectEqual(Status.ok, testRaw("open", 4, ""));
    try testing.expectEqualStrings("ok:x,err:,", host.trace(4, &buf));
}

test "background answers arrive before shutdown returns; later sends are dropped" {
    var host: TestHost = .{};
    defer host.deinit();
    try testStart(&host);
    var buf: [256]u8 = undefined;
    try testing.expectEqual(Status.ok, testRaw("slow_bg", 1, "later"));
    try testing.expectEqual(Status.ok, testRaw("fail_bg", 2, ""));
    try testing.expectEqual(Status.ok, testRaw("silent_bg", 3, ""));
    try testing.expectEqual(Status.ok, testRaw("count_bg", 4, "x"));
    var kept: Reply = .{ .sid = 5 };
    TestPlugin.vtable.shutdown.?(null);
    try testing.expectEqualStrings("ok:later,", host.trace(1, &buf));
    try testing.expectEqualStrings("err:,", host.trace(2, &buf));
    try testing.expectEqualStrings("err:,", host.trace(3, &buf));
    try testing.expectEqualStrings("invalid:,", host.trace(4, &buf));
    kept.ok("after shutdown");
    try testing.expectEqualStrings("", host.trace(5, &buf));
    try testing.expectEqual(Status.invalid, testRaw("slow_bg", 6, "after shutdown"));
}

test "bidi: frames echo, an error ends the stream, close ends it once, unknown sids are Invalid" {
    var host: TestHost = .{};
    defer host.deinit();
    try testStart(&host);
    defer TestPlugin.vtable.shutdown.?(null);
    var buf: [256]u8 = undefined;
    const vt = TestPlugin.vtable;
    try testing.expectEqual(Status.ok, testRaw("chat", 1, ""));
    try testing.expectEqual(Status.invalid, testRaw("chat", 1, ""));
    try testing.expectEqual(Status.ok, vt.stream_data.?(null, 1, abi.NrBytes.fromSlice("a")));
    try testing.expectEqual(Status.ok, vt.stream_close.?(null, 1));
    try testing.expectEqual(Status.invalid, vt.stream_close.?(null, 1));
    try testing.expectEqual(Status.invalid, vt.stream_data.?(null, 1, abi.NrBytes.fromSlice("b")));
    try testing.expectEqualStrings("ok:a,ok:bye,stream_end:,", host.trace(1, &buf));
    try testing.expectEqual(Status.ok, testRaw("chat", 2, ""));
    try testing.expectEqual(Status.ok, vt.stream_data.?(null, 2, abi.NrBytes.fromSlice("stop")));
    try testing.expectEqual(Status.invalid, vt.stream_close.?(null, 2));
    try testing.expectEqualStrings("err:,", host.trace(2, &buf));
    try testing.expectEqual(Status.invalid, testRaw("greet", 4, ""));
    try testing.expectEqual(Status.invalid, vt.stream_data.?(null, 4, abi.NrBytes.fromSlice("a")));
    try testing.expectEqualStrings("", host.trace(4, &buf));
    try testing.expectEqual(Status.ok, testRaw("greet", 5, "hello"));
    try testing.expectEqual(Status.ok, vt.stream_close.?(null, 5));
    try testing.expectEqualStrings("ok:hello,stream_end:,", host.trace(5, &buf));
    try testing.expectEqual(Status.ok, testRaw("chat", 3, ""));
    vt.shutdown.?(null);
    try testing.expectEqualStrings("err:plugin shutting down,", host.trace(3, &buf));
}

test "state goes through the host extension, and is unavailable without one" {
    var host: TestHost = .{};
    defer host.deinit();
    setHostExt(null);
    try testStart(&host);
    var buf: [256]u8 = undefined;
    try testing.expectEqual(Status.unsupported, testRaw("state", 1, "v"));
    TestPlugin.vtable.shutdown.?(null);
    setHostExt(&host.ext);
    try testStart(&host);
    defer TestPlugin.vtable.shutdown.?(null);
    try testing.expectEqual(Status.ok, testRaw("state", 2, "v2"));
    try testing.expectEqualStrings("ok:v2,", host.trace(2, &buf));
}
