//! nylon-ring plugin SDK for Zig, on top of the generated bindings in `nylon_ring.zig`.
//!
//! A plugin is a comptime description: a name, a version and a list of entries, each a
//! function that returns an error union. `Plugin(description)` turns it into the C ABI:
//! `callconv(.c)` functions for every vtable slot, the `NrPluginInfo` the host reads,
//! and `exportSymbols()`, which exports `nylon_ring_get_plugin_v1`,
//! `nylon_ring_set_host_ext_v1` and `nylon_ring_layout_probe_v1`.
//!
//! The SDK enforces the protocol so that handlers cannot break it:
//! - a unary `Reply` answers once; later answers are ignored; a handler that returns
//!   without answering answers Err;
//! - a `Stream` sends Ok frames and then exactly one terminal frame; nothing after it;
//!   a handler that returns without ending its stream ends it with Err;
//! - an error returned by a handler answers for it (see `statusOf`); when the handler
//!   ran on the host's thread and had sent nothing yet, the error is instead returned
//!   as the handle status (a rejection: nothing follows);
//! - NULL or malformed views from the host get Invalid, an unknown entry Unsupported,
//!   an unknown stream id Invalid;
//! - background handlers run on a thread pool; `shutdown` stops taking new work, waits
//!   for the work in flight and joins the threads, and after it returns every send is
//!   dropped, so nothing calls the host any more.
//!
//! Zig safety panics (overflow, out-of-bounds in Debug/ReleaseSafe) cannot be caught;
//! they abort the process. Return an error instead: that is what answers Err.

const std = @import("std");
const builtin = @import("builtin");

/// The generated ABI types, for handlers that need them.
pub const abi = @import("nylon_ring.zig");

/// A result status (`.ok`, `.err`, `.invalid`, `.unsupported`, `.stream_end`).
pub const Status = abi.NrStatus;

/// Memory for handlers and the SDK's own bookkeeping: libc's allocator. The library
/// links libc so that background threads are ordinary pthreads of the host process.
pub const allocator = std.heap.c_allocator;

// ---------------------------------------------------------------- status of errors

/// What an error returned by a handler answers: `error.Invalid` is Invalid,
/// `error.Unsupported` is Unsupported, every other error is Err.
pub fn statusOf(err: anyerror) Status {
    return switch (err) {
        error.Invalid => .invalid,
        error.Unsupported => .unsupported,
        else => .err,
    };
}

/// A terminal status for a stream: anything that is not already terminal becomes Err.
fn terminal(status: Status) Status {
    return switch (status) {
        .stream_end, .err, .invalid, .unsupported => status,
        else => .err,
    };
}

// ---------------------------------------------------------------- the host link

/// What init() stored: written before `live` is set, read only after `live` is seen.
const Link = struct {
    ctx: ?*anyopaque = null,
    send_result: ?abi.NrSendResultFn = null,
};

var link: Link = .{};
/// True between a successful init() and the end of shutdown(): every send checks it.
var live = std.atomic.Value(bool).init(false);
/// The state extension handed over by `nylon_ring_set_host_ext_v1`, or null.
var host_ext = std.atomic.Value(?*const abi.NrHostExt).init(null);

/// Sends one frame to the host, or drops it when the plugin is not live (before init,
/// after shutdown).
fn deliver(sid: u64, status: Status, data: []const u8) void {
    if (!live.load(.acquire)) return;
    const send = link.send_result orelse return;
    send(link.ctx, sid, status, abi.NrBytes.fromSlice(data));
}

/// Whether shutdown has begun: long-running background handlers should finish early.
pub fn stopping() bool {
    return background.stopping.load(.acquire) or !live.load(.acquire);
}

// ---------------------------------------------------------------- state extension

/// Per-sid state kept by the host (the optional state extension).
pub const State = struct {
    sid: u64,
    ext: *const abi.NrHostExt,

    /// Stores `value` under `key` for this sid; returns the host's stored copy (empty
    /// when the host returned nothing usable or the key is too long for the ABI).
    pub fn set(self: State, key: []const u8, value: []const u8) []const u8 {
        const k = abi.NrStr.fromSlice(key) catch return "";
        const f = self.ext.set_state orelse return "";
        if (!live.load(.acquire)) return "";
        return f(link.ctx, self.sid, k, abi.NrBytes.fromSlice(value)).slice() orelse "";
    }

    /// The value stored under `key` for this sid; empty when absent. The slice points
    /// into host storage: copy it to keep it beyond the current call.
    pub fn get(self: State, key: []const u8) []const u8 {
        const k = abi.NrStr.fromSlice(key) catch return "";
        const f = self.ext.get_state orelse return "";
        if (!live.load(.acquire)) return "";
        return f(link.ctx, self.sid, k).slice() orelse "";
    }
};

/// The state of `sid`, or null when the host offered no state extension.
pub fn stateOf(sid: u64) ?State {
    if (!live.load(.acquire)) return null;
    const ext = host_ext.load(.acquire) orelse return null;
    if (ext.set_state == null or ext.get_state == null) return null;
    return .{ .sid = sid, .ext = ext };
}

// ---------------------------------------------------------------- request

/// Request metadata (method, path, query, headers); every slice is valid UTF-8-or-not
/// bytes borrowed for the duration of the handler.
pub const Request = struct {
    method: []const u8 = "",
    path: []const u8 = "",
    query: []const u8 = "",
    /// The host's header views, checked valid when the request arrived.
    raw_headers: []const abi.NrHeader = &.{},

    pub const Header = struct { name: []const u8, value: []const u8 };

    /// Number of headers.
    pub fn headerCount(self: Request) usize {
        return self.raw_headers.len;
    }

    /// Header `i` (0-based, below headerCount()).
    pub fn headerAt(self: Request, i: usize) Header {
        const h = self.raw_headers[i];
        return .{ .name = h.key.slice() orelse "", .value = h.value.slice() orelse "" };
    }

    /// The first header named `name` (ASCII case-insensitive), or null.
    pub fn header(self: Request, name: []const u8) ?[]const u8 {
        for (0..self.headerCount()) |i| {
            const h = self.headerAt(i);
            if (std.ascii.eqlIgnoreCase(h.name, name)) return h.value;
        }
        return null;
    }

    /// Reads a request from the host; null when it is NULL or holds an invalid view.
    fn fromAbi(ptr: ?*const abi.NrRequest) ?Request {
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

    /// A deep copy in `a`, for work that outlives the host's call.
    fn clone(self: Request, a: std.mem.Allocator) !Request {
        const headers = try a.alloc(abi.NrHeader, self.raw_headers.len);
        for (headers, 0..) |*h, i| {
            const src = self.headerAt(i);
            h.* = .{ .key = try abi.NrStr.fromSlice(try a.dupe(u8, src.name)), .value = try abi.NrStr.fromSlice(try a.dupe(u8, src.value)) };
        }
        return .{
            .method = try a.dupe(u8, self.method),
            .path = try a.dupe(u8, self.path),
            .query = try a.dupe(u8, self.query),
            .raw_headers = headers,
        };
    }
};

// ---------------------------------------------------------------- responders

/// The answer to a unary call: exactly one frame. Only the first answer is sent.
/// A Reply lives as long as its handler runs (the SDK settles it when the handler
/// returns), so it belongs to the handler's thread and needs no atomics.
pub const Reply = struct {
    sid: u64,
    done: bool = false,

    /// Answers Ok with `data` (the host copies it during the call).
    pub fn ok(self: *Reply, data: []const u8) void {
        self.send(.ok, data);
    }

    /// Answers Err with `data` (for example an error message).
    pub fn fail(self: *Reply, data: []const u8) void {
        self.send(.err, data);
    }

    /// Answers with any status; ignored when the call was already answered.
    pub fn send(self: *Reply, status: Status, data: []const u8) void {
        if (self.done) return;
        self.done = true;
        deliver(self.sid, status, data);
    }

    /// Whether an answer was given (or the call was settled by the SDK).
    pub fn answered(self: *const Reply) bool {
        return self.done;
    }

    /// The per-sid state of this call, or null when the host offers none.
    pub fn state(self: *const Reply) ?State {
        return stateOf(self.sid);
    }

    /// Marks the call settled without sending; true if it was not answered before.
    fn settle(self: *Reply) bool {
        defer self.done = true;
        return !self.done;
    }
};

/// A stream of frames: any number of Ok frames, then exactly one terminal frame.
/// Safe to use from several threads; after the terminal frame every send is ignored.
pub const Stream = struct {
    sid: u64,
    lock: std.Thread.Mutex = .{},
    ended: bool = false,
    sent: bool = false,

    /// Sends one Ok frame.
    pub fn frame(self: *Stream, data: []const u8) void {
        self.lock.lock();
        defer self.lock.unlock();
        if (self.ended) return;
        self.sent = true;
        deliver(self.sid, .ok, data);
    }

    /// Ends the stream normally (StreamEnd).
    pub fn end(self: *Stream) void {
        self.finish(.stream_end, "");
    }

    /// Ends the stream with Err and `data`.
    pub fn fail(self: *Stream, data: []const u8) void {
        self.finish(.err, data);
    }

    /// Ends the stream with a terminal status (StreamEnd, Err, Invalid, Unsupported;
    /// anything else is sent as Err).
    pub fn finish(self: *Stream, status: Status, data: []const u8) void {
        self.lock.lock();
        defer self.lock.unlock();
        if (self.ended) return;
        self.ended = true;
        self.sent = true;
        deliver(self.sid, terminal(status), data);
    }

    /// Whether the terminal frame was sent.
    pub fn isEnded(self: *Stream) bool {
        self.lock.lock();
        defer self.lock.unlock();
        return self.ended;
    }

    /// The per-sid state of this stream, or null when the host offers none.
    pub fn state(self: *const Stream) ?State {
        return stateOf(self.sid);
    }

    /// Ends the stream without sending if nothing was sent yet; true when it did.
    fn withdraw(self: *Stream) bool {
        self.lock.lock();
        defer self.lock.unlock();
        if (self.sent) return false;
        self.ended = true;
        return true;
    }
};

// ---------------------------------------------------------------- entries

/// How an entry is called and answers.
pub const Mode = enum {
    /// `fn (*Reply, Request, []const u8) !void`: one answer, with request metadata.
    unary,
    /// `fn (*Reply, []const u8) !void`: one answer, payload only (the fast path).
    raw,
    /// `fn (*Stream, Request, []const u8) !void`: a server stream with metadata.
    stream,
    /// `fn (*Stream, []const u8) !void`: a server stream, payload only.
    stream_raw,
    /// Bidirectional: `.open`, `.data` and `.close` handlers over one `Stream`.
    bidi,
};

pub const UnaryFn = *const fn (*Reply, Request, []const u8) anyerror!void;
pub const RawFn = *const fn (*Reply, []const u8) anyerror!void;
pub const StreamFn = *const fn (*Stream, Request, []const u8) anyerror!void;
pub const StreamRawFn = *const fn (*Stream, []const u8) anyerror!void;
pub const CloseFn = *const fn (*Stream) anyerror!void;

/// One entry of a plugin description; build it with `unary`, `raw`, `stream`,
/// `streamRaw` or `bidi`.
pub const Entry = struct {
    name: []const u8,
    mode: Mode,
    background: bool = false,
    unary: ?UnaryFn = null,
    raw: ?RawFn = null,
    stream: ?StreamFn = null,
    stream_raw: ?StreamRawFn = null,
    /// Bidi: the opening call (gets the opening payload).
    open: ?StreamRawFn = null,
    /// Bidi: each inbound frame.
    data: ?StreamRawFn = null,
    /// Bidi: the inbound half-close (the stream ends with StreamEnd after it).
    close: ?CloseFn = null,

    /// The same entry, run on a background thread: handle() returns Ok at once and the
    /// answer follows from the pool. Not for bidi entries.
    pub fn inBackground(comptime self: Entry) Entry {
        if (self.mode == .bidi) @compileError("entry '" ++ self.name ++ "': bidi entries run on the host's thread");
        var copy = self;
        copy.background = true;
        return copy;
    }
};

fn checkHandler(comptime name: []const u8, comptime f: anytype, comptime params: []const type, comptime shape: []const u8) void {
    const info = @typeInfo(@TypeOf(f));
    const bad = "entry '" ++ name ++ "': the handler must be " ++ shape;
    if (info != .@"fn" or info.@"fn".params.len != params.len) @compileError(bad);
    inline for (info.@"fn".params, params) |p, want| {
        if (p.type != want) @compileError(bad);
    }
}

/// A unary entry with request metadata: `fn (*nr.Reply, nr.Request, []const u8) !void`.
pub fn unary(comptime name: []const u8, comptime f: anytype) Entry {
    checkHandler(name, f, &.{ *Reply, Request, []const u8 }, "fn (*nr.Reply, nr.Request, []const u8) !void");
    const W = struct {
        fn call(r: *Reply, q: Request, p: []const u8) anyerror!void {
            return f(r, q, p);
        }
    };
    return .{ .name = name, .mode = .unary, .unary = &W.call };
}

/// A raw entry (payload only): `fn (*nr.Reply, []const u8) !void`.
pub fn raw(comptime name: []const u8, comptime f: anytype) Entry {
    checkHandler(name, f, &.{ *Reply, []const u8 }, "fn (*nr.Reply, []const u8) !void");
    const W = struct {
        fn call(r: *Reply, p: []const u8) anyerror!void {
            return f(r, p);
        }
    };
    return .{ .name = name, .mode = .raw, .raw = &W.call };
}

/// A server stream with request metadata: `fn (*nr.Stream, nr.Request, []const u8) !void`.
/// End it with `stream.end()`; returning without ending it ends it with Err.
pub fn stream(comptime name: []const u8, comptime f: anytype) Entry {
    checkHandler(name, f, &.{ *Stream, Request, []const u8 }, "fn (*nr.Stream, nr.Request, []const u8) !void");
    const W = struct {
        fn call(s: *Stream, q: Request, p: []const u8) anyerror!void {
            return f(s, q, p);
        }
    };
    return .{ .name = name, .mode = .stream, .stream = &W.call };
}

/// A server stream, payload only: `fn (*nr.Stream, []const u8) !void`.
/// End it with `stream.end()`; returning without ending it ends it with Err.
pub fn streamRaw(comptime name: []const u8, comptime f: anytype) Entry {
    checkHandler(name, f, &.{ *Stream, []const u8 }, "fn (*nr.Stream, []const u8) !void");
    return .{ .name = name, .mode = .stream_raw, .stream_raw = streamFn(f) };
}

/// A bidirectional entry: `handlers` has `.data = fn (*nr.Stream, []const u8) !void`
/// and optionally `.open` (same shape, gets the opening payload) and
/// `.close = fn (*nr.Stream) !void`. After `.close` returns the stream ends with
/// StreamEnd unless a handler ended it already.
pub fn bidi(comptime name: []const u8, comptime handlers: anytype) Entry {
    const H = @TypeOf(handlers);
    if (!@hasField(H, "data")) @compileError("entry '" ++ name ++ "': bidi needs a .data handler");
    checkHandler(name, handlers.data, &.{ *Stream, []const u8 }, ".data = fn (*nr.Stream, []const u8) !void");
    var entry: Entry = .{ .name = name, .mode = .bidi, .data = streamFn(handlers.data) };
    if (@hasField(H, "open")) {
        checkHandler(name, handlers.open, &.{ *Stream, []const u8 }, ".open = fn (*nr.Stream, []const u8) !void");
        entry.open = streamFn(handlers.open);
    }
    if (@hasField(H, "close")) {
        checkHandler(name, handlers.close, &.{*Stream}, ".close = fn (*nr.Stream) !void");
        const W = struct {
            fn call(s: *Stream) anyerror!void {
                return handlers.close(s);
            }
        };
        entry.close = &W.call;
    }
    return entry;
}

fn streamFn(comptime f: anytype) StreamRawFn {
    const W = struct {
        fn call(s: *Stream, p: []const u8) anyerror!void {
            return f(s, p);
        }
    };
    return &W.call;
}

// ---------------------------------------------------------------- running an entry

/// Runs a unary or raw handler on the host's thread; returns the handle status.
fn runReplySync(comptime e: Entry, sid: u64, req: Request, body: []const u8) Status {
    var reply: Reply = .{ .sid = sid };
    const result = if (e.mode == .unary) e.unary.?(&reply, req, body) else e.raw.?(&reply, body);
    result catch |err| {
        // Not answered yet: reject (nothing will follow) with the error's status.
        return if (reply.settle()) statusOf(err) else .ok;
    };
    reply.send(.err, ""); // the handler forgot to answer
    return .ok;
}

/// Runs a server-stream handler on the host's thread; returns the handle status.
fn runStreamSync(comptime e: Entry, sid: u64, req: Request, body: []const u8) Status {
    var s: Stream = .{ .sid = sid };
    const result = if (e.mode == .stream) e.stream.?(&s, req, body) else e.stream_raw.?(&s, body);
    result catch |err| {
        if (s.withdraw()) return statusOf(err);
        s.finish(statusOf(err), "");
        return .ok;
    };
    s.fail(""); // the handler forgot to end its stream
    return .ok;
}

/// Runs a unary/raw handler off the host's thread: every outcome is a sent frame.
fn runReplyAsync(comptime e: Entry, sid: u64, req: Request, body: []const u8) void {
    var reply: Reply = .{ .sid = sid };
    const result = if (e.mode == .unary) e.unary.?(&reply, req, body) else e.raw.?(&reply, body);
    result catch |err| return reply.send(statusOf(err), "");
    reply.send(.err, "");
}

/// Runs a server-stream handler off the host's thread: every outcome is a sent frame.
fn runStreamAsync(comptime e: Entry, sid: u64, req: Request, body: []const u8) void {
    var s: Stream = .{ .sid = sid };
    const result = if (e.mode == .stream) e.stream.?(&s, req, body) else e.stream_raw.?(&s, body);
    result catch |err| return s.finish(statusOf(err), "");
    s.fail(""); // the handler forgot to end its stream
}

// ---------------------------------------------------------------- background work

/// A call that outlives handle(): owns copies of the request and payload.
const Job = struct {
    arena: std.heap.ArenaAllocator,
    sid: u64,
    request: Request,
    payload: []const u8,

    fn create(sid: u64, req: Request, payload: []const u8) !*Job {
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        const job = try a.create(Job);
        const request = try req.clone(a);
        const body = try a.dupe(u8, payload);
        job.* = .{ .arena = arena, .sid = sid, .request = request, .payload = body };
        return job;
    }

    fn destroy(job: *Job) void {
        var arena = job.arena;
        arena.deinit();
    }
};

/// The pool background handlers run on, and what shutdown waits for.
const Background = struct {
    lock: std.Thread.Mutex = .{},
    pool: std.Thread.Pool = undefined,
    started: bool = false,
    stopping: std.atomic.Value(bool) = .init(false),
    in_flight: std.Thread.WaitGroup = .{},
    threads: usize = 0,

    /// Queues `func(job)`; false when shutting down or out of memory.
    fn spawn(self: *Background, comptime func: fn (*Job) void, job: *Job) bool {
        self.lock.lock();
        defer self.lock.unlock();
        if (self.stopping.load(.acquire)) return false;
        if (!self.started) {
            const n = if (self.threads > 0) self.threads else @max(2, std.Thread.getCpuCount() catch 2);
            self.pool.init(.{ .allocator = allocator, .n_jobs = n }) catch return false;
            self.started = true;
        }
        self.in_flight.start();
        self.pool.spawn(func, .{job}) catch {
            self.in_flight.finish();
            return false;
        };
        return true;
    }

    /// Allows background work again (init after a shutdown).
    fn open(self: *Background, threads: usize) void {
        self.lock.lock();
        defer self.lock.unlock();
        self.threads = threads;
        self.stopping.store(false, .release);
    }

    /// Refuses new work, waits for the work in flight, joins the pool's threads.
    fn stop(self: *Background) void {
        self.lock.lock();
        self.stopping.store(true, .release);
        const started = self.started;
        self.lock.unlock();
        if (!started) return;
        self.in_flight.wait();
        self.pool.deinit();
        self.in_flight.reset();
        self.lock.lock();
        self.started = false;
        self.lock.unlock();
    }
};

var background: Background = .{};

/// Copies the call and queues it; the handle status (Ok, or Err when it could not be).
fn startBackground(comptime e: Entry, sid: u64, req: Request, body: []const u8) Status {
    const W = struct {
        fn run(job: *Job) void {
            defer background.in_flight.finish();
            defer job.destroy();
            switch (e.mode) {
                .unary, .raw => runReplyAsync(e, job.sid, job.request, job.payload),
                .stream, .stream_raw => runStreamAsync(e, job.sid, job.request, job.payload),
                .bidi => @compileError("entry '" ++ e.name ++ "': bidi entries run on the host's thread"),
            }
        }
    };
    const job = Job.create(sid, req, body) catch return .err;
    if (!background.spawn(W.run, job)) {
        job.destroy();
        return .err;
    }
    return .ok;
}

// ---------------------------------------------------------------- bidirectional sessions

/// An open bidirectional stream: its responder and its handlers.
const Session = struct {
    stream: Stream,
    refs: std.atomic.Value(u32) = .init(1),
    data: StreamRawFn,
    close: ?CloseFn,

    fn release(self: *Session) void {
        if (self.refs.fetchSub(1, .acq_rel) == 1) allocator.destroy(self);
    }
};

/// Open sessions by sid. The map holds one reference to each session; a call working
/// on a session holds another, so a concurrent close never frees it under the call.
const Sessions = struct {
    lock: std.Thread.Mutex = .{},
    map: std.AutoHashMapUnmanaged(u64, *Session) = .empty,

    /// Registers a session under `sid`.
    fn add(self: *Sessions, sid: u64, session: *Session) error{ SidInUse, OutOfMemory }!void {
        self.lock.lock();
        defer self.lock.unlock();
        const slot = try self.map.getOrPut(allocator, sid);
        if (slot.found_existing) return error.SidInUse;
        slot.value_ptr.* = session;
    }

    /// The session of `sid` with an extra reference, or null.
    fn acquire(self: *Sessions, sid: u64) ?*Session {
        self.lock.lock();
        defer self.lock.unlock();
        const session = self.map.get(sid) orelse return null;
        _ = session.refs.fetchAdd(1, .acq_rel);
        return session;
    }

    /// Removes `sid` and hands over the map's reference, or null.
    fn take(self: *Sessions, sid: u64) ?*Session {
        self.lock.lock();
        defer self.lock.unlock();
        const kv = self.map.fetchRemove(sid) orelse return null;
        return kv.value;
    }

    /// Drops `sid` if it is still registered.
    fn drop(self: *Sessions, sid: u64) void {
        if (self.take(sid)) |session| session.release();
    }

    /// Ends every open session with Err (the plugin is shutting down) and frees the map.
    fn closeAll(self: *Sessions) void {
        self.lock.lock();
        var map = self.map;
        self.map = .empty;
        self.lock.unlock();
        var it = map.valueIterator();
        while (it.next()) |session| {
            session.*.stream.finish(.err, "plugin shutting down");
            session.*.release();
        }
        map.deinit(allocator);
    }
};

var sessions: Sessions = .{};

/// Opens a bidirectional stream for `sid`; returns the handle status.
fn openSession(comptime e: Entry, sid: u64, body: []const u8) Status {
    const session = allocator.create(Session) catch return .err;
    session.* = .{ .stream = .{ .sid = sid }, .data = e.data.?, .close = e.close };
    sessions.add(sid, session) catch |err| {
        allocator.destroy(session);
        return if (err == error.SidInUse) .invalid else .err;
    };
    const open = e.open orelse return .ok;
    _ = session.refs.fetchAdd(1, .acq_rel);
    defer session.release();
    open(&session.stream, body) catch |err| {
        if (session.stream.withdraw()) {
            sessions.drop(sid);
            return statusOf(err);
        }
        session.stream.finish(statusOf(err), "");
    };
    if (session.stream.isEnded()) sessions.drop(sid);
    return .ok;
}

fn streamData(_: ?*anyopaque, sid: u64, data: abi.NrBytes) callconv(.c) Status {
    const bytes = data.slice() orelse return .invalid;
    if (!live.load(.acquire)) return .invalid;
    const session = sessions.acquire(sid) orelse return .invalid;
    defer session.release();
    session.data(&session.stream, bytes) catch |err| session.stream.finish(statusOf(err), "");
    if (session.stream.isEnded()) sessions.drop(sid);
    return .ok;
}

fn streamClose(_: ?*anyopaque, sid: u64) callconv(.c) Status {
    if (!live.load(.acquire)) return .invalid;
    const session = sessions.take(sid) orelse return .invalid;
    defer session.release();
    if (session.close) |close| {
        close(&session.stream) catch |err| session.stream.finish(statusOf(err), "");
    }
    session.stream.end();
    return .ok;
}

fn setHostExt(ext: ?*const abi.NrHostExt) callconv(.c) void {
    host_ext.store(ext, .release);
}

// ---------------------------------------------------------------- the plugin

/// Turns a comptime description into the plugin's C ABI:
///
/// ```zig
/// pub const plugin = nr.Plugin(.{
///     .name = "my-plugin",
///     .version = "0.1.0",
///     .entries = .{ nr.raw("echo", echo), nr.raw("echo_async", echo).inBackground() },
///     .on_init = onInit,          // optional: fn () !void; an error fails init
///     .on_shutdown = onShutdown,  // optional: fn () void, after background work stopped
///     .background_threads = 4,    // optional: pool size (default: CPU count, at least 2)
/// });
/// comptime {
///     plugin.exportSymbols();
/// }
/// ```
pub fn Plugin(comptime description: anytype) type {
    const D = @TypeOf(description);
    const entries = entryList(description.entries);
    const threads: usize = if (@hasField(D, "background_threads")) description.background_threads else 0;

    return struct {
        /// What `nylon_ring_get_plugin_v1` returns.
        pub const info: abi.NrPluginInfo = .{
            .abi_version = abi.NR_ABI_VERSION,
            .struct_size = @sizeOf(abi.NrPluginInfo),
            .name = abi.NrStr.lit(description.name),
            .version = abi.NrStr.lit(description.version),
            .plugin_ctx = null,
            .vtable = &vtable,
        };

        /// Every slot of the plugin vtable.
        pub const vtable: abi.NrPluginVTable = .{
            .init = &init,
            .handle = &handle,
            .handle_raw = &handleRaw,
            .shutdown = &shutdown,
            .stream_data = &streamData,
            .stream_close = &streamClose,
        };

        /// Exports the plugin's symbols; call once from a `comptime` block.
        pub fn exportSymbols() void {
            abi.exportNylonRingGetPluginV1(&getPlugin);
            abi.exportNylonRingSetHostExtV1(&setHostExt);
            abi.exportLayoutProbe();
        }

        fn getPlugin() callconv(.c) ?*const abi.NrPluginInfo {
            return &info;
        }

        fn init(_: ?*anyopaque, host_ctx: ?*anyopaque, host_vtable: ?*const abi.NrHostVTable) callconv(.c) Status {
            const table = host_vtable orelse return .invalid;
            const send = table.send_result orelse return .invalid;
            // A second init without shutdown (a host reloading the plugin): finish the
            // previous run first, so nothing of it reaches the new host.
            if (live.load(.acquire)) shutdown(null);
            link = .{ .ctx = host_ctx, .send_result = send };
            background.open(threads);
            if (@hasField(D, "on_init")) {
                const result = description.on_init();
                if (@typeInfo(@TypeOf(result)) == .error_union) result catch return .err;
            }
            live.store(true, .release);
            return .ok;
        }

        fn shutdown(_: ?*anyopaque) callconv(.c) void {
            if (!live.load(.acquire)) return;
            background.stop();
            sessions.closeAll();
            if (@hasField(D, "on_shutdown")) description.on_shutdown();
            live.store(false, .release);
            host_ext.store(null, .release);
        }

        fn handle(_: ?*anyopaque, entry: abi.NrStr, sid: u64, req: ?*const abi.NrRequest, payload: abi.NrBytes) callconv(.c) Status {
            const request = Request.fromAbi(req) orelse return .invalid;
            return dispatch(entry, sid, request, payload);
        }

        fn handleRaw(_: ?*anyopaque, entry: abi.NrStr, sid: u64, payload: abi.NrBytes) callconv(.c) Status {
            return dispatch(entry, sid, .{}, payload);
        }

        /// Routes by entry name; the fast path: no allocation, no lock. The comparisons
        /// are unrolled at comptime (length first, then the bytes of one known name), and
        /// each entry's handler is called directly.
        inline fn dispatch(entry: abi.NrStr, sid: u64, req: Request, payload: abi.NrBytes) Status {
            const name = entry.slice() orelse return .invalid;
            const body = payload.slice() orelse return .invalid;
            if (!live.load(.acquire)) return .invalid;
            inline for (entries) |e| {
                if (name.len == e.name.len and std.mem.eql(u8, name, e.name)) return start(e, sid, req, body);
            }
            return .unsupported;
        }

        fn start(comptime e: Entry, sid: u64, req: Request, body: []const u8) Status {
            if (e.background) return startBackground(e, sid, req, body);
            return switch (e.mode) {
                .unary, .raw => runReplySync(e, sid, req, body),
                .stream, .stream_raw => runStreamSync(e, sid, req, body),
                .bidi => openSession(e, sid, body),
            };
        }
    };
}

/// The description's entries as an array, checked: at least one, names unique and
/// non-empty.
fn entryList(comptime list: anytype) [list.len]Entry {
    if (list.len == 0) @compileError("a plugin needs at least one entry");
    var out: [list.len]Entry = undefined;
    inline for (list, 0..) |e, i| {
        const entry: Entry = e;
        if (entry.name.len == 0) @compileError("an entry name is empty");
        for (out[0..i]) |prev| {
            if (std.mem.eql(u8, prev.name, entry.name)) @compileError("entry '" ++ entry.name ++ "' is declared twice");
        }
        out[i] = entry;
    }
    return out;
}

// ---------------------------------------------------------------- tests

const testing = std.testing;

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
