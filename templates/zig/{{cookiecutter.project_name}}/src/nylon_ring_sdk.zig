//! nylon-ring plugin SDK for Zig, on top of the generated bindings in `nylon_ring.zig`.
//!
//! A plugin is a comptime description: a name, a version and a list of entries, each a
//! function that returns an error union. `Plugin(description)` turns it into the C ABI.
//! This file is the SDK's core, the same for every ABI generation; the generation's own
//! layer (`nylon_ring_abi1.zig` or `nylon_ring_abi2.zig`, picked by
//! `nylon_ring_generation.zig`) holds the `callconv(.c)` vtable, the exports and the
//! host calls. Every plugin also exports `nylon_ring_manifest`: its conformance manifest,
//! generated at compile time from the entry table.
//!
//! The SDK enforces the protocol so that handlers cannot break it:
//! - a unary `Reply` answers once; later answers are ignored; a handler that returns
//!   without answering answers Err;
//! - a `Stream` sends Ok frames and then exactly one terminal frame; nothing after it;
//!   a handler that returns without ending its stream ends it with Err; a frame the
//!   host refuses with Backpressure (ABI 2) is retried by `frame()`, reported by
//!   `tryFrame()`;
//! - an error returned by a handler answers for it (see `statusOf`); when the handler
//!   ran on the host's thread and had sent nothing yet, the error is instead returned
//!   as the handle status (a rejection: nothing follows);
//! - NULL or malformed views from the host get Invalid, an unknown entry Unsupported,
//!   an unknown stream id Invalid;
//! - background handlers run on a fixed thread pool fed by a bounded queue (never a
//!   thread per call); a call the full queue cannot take is refused: handle returns
//!   Backpressure (ABI 2) or Err (ABI 1) and nothing is sent; `shutdown` stops taking new
//!   work, waits for the work in flight and joins the threads, and after it returns
//!   every send is dropped, so nothing calls the host any more.
//!
//! Zig safety panics (overflow, out-of-bounds in Debug/ReleaseSafe) cannot be caught;
//! they abort the process. Return an error instead: `error.Panic` answers Panic on
//! ABI 2 (Err on ABI 1), other errors answer as `statusOf` says.

const std = @import("std");
const builtin = @import("builtin");

/// The generated ABI types, for handlers that need them.
pub const abi = @import("nylon_ring.zig");

/// The ABI generation's layer: the C vtable, the exports and the calls into the host.
const layer = @import("nylon_ring_generation.zig").layer;

/// The ABI generation this plugin is built for (1 or 2).
pub const abi_generation: u32 = abi.NR_ABI_VERSION;

/// A result status (`.ok`, `.err`, `.invalid`, `.unsupported`, `.stream_end`).
pub const Status = abi.NrStatus;

/// Memory for handlers and the SDK's own bookkeeping: libc's allocator. The library
/// links libc so that background threads are ordinary pthreads of the host process.
pub const allocator = std.heap.c_allocator;

// ---------------------------------------------------------------- status of errors

/// What an error returned by a handler answers: `error.Invalid` is Invalid,
/// `error.Unsupported` is Unsupported, `error.Panic` is Panic (Err on ABI 1, which has
/// no Panic status), every other error is Err.
pub fn statusOf(err: anyerror) Status {
    return switch (err) {
        error.Invalid => .invalid,
        error.Unsupported => .unsupported,
        error.Panic => layer.panic_status,
        else => .err,
    };
}

/// The data of a Panic answer.
const panic_text = "panic: a handler returned error.Panic";

/// Whether `err` is a contained panic that answers Panic (ABI 2 only).
fn isPanic(err: anyerror) bool {
    return abi_generation >= 2 and err == error.Panic;
}

/// A terminal status for a stream: anything that is not already terminal becomes Err.
fn terminal(status: Status) Status {
    if (status == layer.panic_status) return status;
    return switch (status) {
        .stream_end, .err, .invalid, .unsupported => status,
        else => .err,
    };
}

// ---------------------------------------------------------------- the host link

/// True between a successful init() and the end of shutdown(): every send checks it.
var live = std.atomic.Value(bool).init(false);

/// Whether the plugin is between init and the end of shutdown (sends reach the host).
pub fn isLive() bool {
    return live.load(.acquire);
}

/// Sends one copied frame to the host; Invalid without sending when the plugin is not
/// live (before init, after shutdown). Otherwise the host's answer: Ok, or (ABI 2)
/// Backpressure for a full stream queue, Invalid for a sid it does not know.
fn deliver(sid: u64, status: Status, data: []const u8) Status {
    if (!live.load(.acquire)) return .invalid;
    return layer.send(sid, status, data);
}

/// Whether the host refused a frame because its stream queue is full (ABI 2's
/// Backpressure, 6: not terminal, the frame was not taken). ABI 1 has no such status.
pub fn isBackpressure(status: Status) bool {
    return abi_generation >= 2 and @intFromEnum(status) == 6;
}

/// Whether shutdown has begun: long-running background handlers should finish early.
pub fn stopping() bool {
    return background.stopping.load(.acquire) or !live.load(.acquire);
}

/// Per-sid state kept by the host: the ABI 1 state extension (ABI 2 has none).
pub const State = layer.State;

/// The state of `sid`, or null when the host offered no state extension (ABI 1 only).
pub fn stateOf(sid: u64) ?State {
    if (!live.load(.acquire)) return null;
    return layer.stateOf(sid);
}

// ---------------------------------------------------------------- request

/// Request metadata (method, path, query, headers); every slice is valid UTF-8-or-not
/// bytes borrowed for the duration of the handler.
pub const Request = struct {
    method: []const u8 = "",
    path: []const u8 = "",
    query: []const u8 = "",
    /// The host's header views (ABI 1), checked valid when the request arrived.
    raw_headers: []const layer.Header = &.{},

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

    /// A deep copy in `a`, for work that outlives the host's call.
    fn clone(self: Request, a: std.mem.Allocator) !Request {
        const headers = try a.alloc(layer.Header, self.raw_headers.len);
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
    /// Answered from the background pool: an answer the host refuses with Backpressure
    /// (ABI 2) is sent again with a growing pause (on the host's thread it could not drain).
    background: bool = false,

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
        var pause: u64 = 1_000;
        while (isBackpressure(deliver(self.sid, status, data)) and self.background) {
            if (stopping()) return;
            std.Thread.sleep(pause);
            pause = @min(pause * 2, std.time.ns_per_ms);
        }
    }

    /// Answers with `buf` without copying it (ABI 2 send_result_owned). `buf` must come
    /// from `nr.allocator`; the SDK owns it from here on: it stays alive and unchanged
    /// until the host releases it, then the SDK frees it. When the call was already
    /// answered, the plugin is not live or the host has no owned path, the bytes are
    /// copied (or dropped) and freed at once.
    pub fn sendOwned(self: *Reply, status: Status, buf: []u8) void {
        if (self.done or !live.load(.acquire)) return allocator.free(buf);
        self.done = true;
        _ = layer.sendOwned(self.sid, status, buf);
    }

    /// Leases a host buffer of at least `capacity` bytes for this answer (ABI 2); null
    /// when the host lends none (unknown sid, a lease already out, no lease support,
    /// already answered): then answer with `send`/`ok` instead.
    pub fn lease(self: *Reply, capacity: usize) ?Lease {
        if (self.done or !live.load(.acquire)) return null;
        const got = layer.acquire(self.sid, capacity) orelse return null;
        return .{ .reply = self, .bytes = got.bytes, .token = got.token };
    }

    /// Whether an answer was given (or the call was settled by the SDK).
    pub fn answered(self: *const Reply) bool {
        return self.done;
    }

    /// The per-sid state of this call, or null when the host offers none (ABI 1).
    pub fn state(self: *const Reply) ?State {
        return stateOf(self.sid);
    }

    /// Marks the call settled without sending; true if it was not answered before.
    fn settle(self: *Reply) bool {
        defer self.done = true;
        return !self.done;
    }
};

/// A host buffer lent for one answer: write into `bytes`, then `commit`.
pub const Lease = struct {
    reply: *Reply,
    /// The writable buffer (at least the capacity asked for).
    bytes: []u8,
    token: u64,

    /// Answers the call with the first `len` bytes of the buffer. When the host refuses
    /// the commit, the same bytes go out through send_result instead, so the call is
    /// answered exactly once either way; a call answered meanwhile sends nothing.
    pub fn commit(self: Lease, status: Status, len: usize) void {
        const reply = self.reply;
        if (reply.done) return;
        reply.done = true;
        if (!live.load(.acquire)) return;
        const n = @min(len, self.bytes.len);
        if (layer.commit(reply.sid, status, self.token, n) != .ok) _ = deliver(reply.sid, status, self.bytes[0..n]);
    }
};

/// A stream of frames: any number of Ok frames, then exactly one terminal frame.
/// Safe to use from several threads; after the terminal frame every send is ignored.
pub const Stream = struct {
    sid: u64,
    lock: std.Thread.Mutex = .{},
    ended: bool = false,
    sent: bool = false,

    /// Sends one Ok frame. A frame the host refuses with Backpressure (its stream queue
    /// is full) is retried until the host takes it, the stream ends or the plugin shuts
    /// down; frames keep their order. For a non-blocking send use `tryFrame`.
    pub fn frame(self: *Stream, data: []const u8) void {
        var pause: u64 = 1_000;
        while (isBackpressure(self.tryFrame(data))) {
            if (stopping()) return;
            std.Thread.sleep(pause);
            pause = @min(pause * 2, std.time.ns_per_ms);
        }
    }

    /// Sends one Ok frame once: the host's status (Ok; Backpressure when its queue is
    /// full and the frame was not taken: not terminal, retry or give up), or Invalid
    /// when the stream has ended or the plugin is not live.
    pub fn tryFrame(self: *Stream, data: []const u8) Status {
        self.lock.lock();
        defer self.lock.unlock();
        if (self.ended) return .invalid;
        self.sent = true;
        return deliver(self.sid, .ok, data);
    }

    /// Ends the stream normally (StreamEnd).
    pub fn end(self: *Stream) void {
        self.finish(.stream_end, "");
    }

    /// Ends the stream with Err and `data`.
    pub fn fail(self: *Stream, data: []const u8) void {
        self.finish(.err, data);
    }

    /// Ends the stream with a terminal status (StreamEnd, Err, Invalid, Unsupported,
    /// Panic; anything else is sent as Err). A terminal frame refused with Backpressure
    /// is retried like `frame` does.
    pub fn finish(self: *Stream, status: Status, data: []const u8) void {
        self.lock.lock();
        defer self.lock.unlock();
        if (self.ended) return;
        self.ended = true;
        self.sent = true;
        var pause: u64 = 1_000;
        while (isBackpressure(deliver(self.sid, terminal(status), data))) {
            if (stopping()) return;
            std.Thread.sleep(pause);
            pause = @min(pause * 2, std.time.ns_per_ms);
        }
    }

    /// Whether the terminal frame was sent.
    pub fn isEnded(self: *Stream) bool {
        self.lock.lock();
        defer self.lock.unlock();
        return self.ended;
    }

    /// The per-sid state of this stream, or null when the host offers none (ABI 1).
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
    /// A panic probe: listed under [[panic_probes]] in the embedded manifest; on ABI 2
    /// it answers Unsupported unless NYLON_RING_ENABLE_PROBES=1 was set at init.
    probe: bool = false,
    /// The embedded manifest's lines for this entry after `name` and `mode` (TOML:
    /// payload, expectations); empty: only `payload = ""`.
    sample: []const u8 = "",

    /// The same entry, marked as a panic probe (see `probe`).
    pub fn asProbe(comptime self: Entry) Entry {
        var copy = self;
        copy.probe = true;
        return copy;
    }

    /// The same entry with its manifest lines (TOML keys, one per line).
    pub fn withSample(comptime self: Entry, comptime toml: []const u8) Entry {
        var copy = self;
        copy.sample = toml;
        return copy;
    }

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
        // A contained panic (ABI 2) is an answer: Panic, after whatever was not sent.
        if (isPanic(err)) {
            reply.send(layer.panic_status, panic_text);
            return .ok;
        }
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
        if (isPanic(err)) {
            s.finish(layer.panic_status, panic_text);
            return .ok;
        }
        if (s.withdraw()) return statusOf(err);
        s.finish(statusOf(err), "");
        return .ok;
    };
    s.fail(""); // the handler forgot to end its stream
    return .ok;
}

/// Runs a unary/raw handler off the host's thread: every outcome is a sent frame.
fn runReplyAsync(comptime e: Entry, sid: u64, req: Request, body: []const u8) void {
    var reply: Reply = .{ .sid = sid, .background = true };
    const result = if (e.mode == .unary) e.unary.?(&reply, req, body) else e.raw.?(&reply, body);
    result catch |err| return reply.send(statusOf(err), if (isPanic(err)) panic_text else "");
    reply.send(.err, "");
}

/// Runs a server-stream handler off the host's thread: every outcome is a sent frame.
fn runStreamAsync(comptime e: Entry, sid: u64, req: Request, body: []const u8) void {
    var s: Stream = .{ .sid = sid };
    const result = if (e.mode == .stream) e.stream.?(&s, req, body) else e.stream_raw.?(&s, body);
    result catch |err| return s.finish(statusOf(err), if (isPanic(err)) panic_text else "");
    s.fail(""); // the handler forgot to end its stream
}

// ---------------------------------------------------------------- background work

/// A call that outlives handle(): owns copies of the request and payload, and is a
/// link of the pool's queue.
const Job = struct {
    arena: std.heap.ArenaAllocator,
    sid: u64,
    request: Request,
    payload: []const u8,
    run: *const fn (*Job) void = undefined,
    next: ?*Job = null,

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

/// The most worker threads a pool may have.
const pool_max = 64;
/// Jobs the queue holds by default (`.background_queue`).
const pool_queue = 4096;
/// Jobs queued per busy worker before another worker is woken to help.
const pool_backlog = 16;
/// How long the last idle worker polls the queue before it sleeps.
const poll_ns: u64 = 50 * std.time.ns_per_us;
/// A gap this long between two looks of a poll means the poller lost its CPU; polling then pauses this long.
const poll_lost_ns: u64 = 20 * std.time.ns_per_us;
const poll_backoff_ns: u64 = 20 * std.time.ns_per_ms;
/// How often the watching worker looks for a blocked pool, and after how many looks at an empty queue it stops.
const watch_ns: u64 = std.time.ns_per_ms;
const watch_idle = 20;

fn nowNs() u64 {
    return @intCast(@max(std.time.nanoTimestamp(), 0));
}

/// Why a job was not queued.
const Push = enum { pushed, full, stopped };

/// The pool background handlers run on: a fixed number of worker threads (at most
/// `.background_threads`, by default one per CPU and at least 2), started on demand and
/// fed from a bounded queue (`.background_queue` jobs, by default 4096); never a thread
/// per call. A full queue refuses the call: handle returns Backpressure (ABI 2) or Err
/// (ABI 1) and nothing is sent.
///
/// Waking a sleeping thread is what an answer from another thread costs most, so
/// wake-ups are rare: a worker that finishes a job takes the next one without sleeping;
/// the last idle worker polls the queue for 50 us before it sleeps (so calls that come
/// back to back find it awake; paused for a while when a poll shows the machine busy);
/// a call queued while a worker polls, or while the busy workers have fewer than
/// `pool_backlog` jobs each, wakes nobody. So that a handler which blocks does not hold
/// up the queue, one idle worker keeps watch while others are busy: every millisecond it
/// looks, and when jobs wait and none finished since its last look, it takes one.
/// Shutdown refuses new work, waits until the queue is empty and every handler has
/// returned, then joins the workers.
const Background = struct {
    mutex: std.Thread.Mutex = .{},
    /// A job was queued for a sleeping worker, or shutdown ended the workers' generation.
    work: std.Thread.Condition = .{},
    /// The watching worker's timed wait.
    watch: std.Thread.Condition = .{},
    /// A job finished while shutdown waits for the last one.
    quiet: std.Thread.Condition = .{},
    head: ?*Job = null,
    tail: ?*Job = null,
    count: usize = 0,
    /// `count`, for the polling worker, which looks without the lock.
    queued: std.atomic.Value(usize) = .init(0),
    polling: std.atomic.Value(u32) = .init(0),
    poll_resume: std.atomic.Value(u64) = .init(0),
    stopping: std.atomic.Value(bool) = .init(false),
    generation: u32 = 0,
    threads: [pool_max]std.Thread = undefined,
    ids: [pool_max]std.Thread.Id = undefined,
    nthreads: usize = 0,
    size: usize = 0,
    capacity: usize = pool_queue,
    sleeping: usize = 0,
    /// Signals sent (and threads started) that no worker has taken up yet.
    wakes: usize = 0,
    running: usize = 0,
    finished: u64 = 0,
    watching: bool = false,
    watch_wanted: bool = false,
    draining: bool = false,

    /// Which condition a push signals once it has let go of the lock (so the worker it
    /// wakes does not wait for it).
    const Signal = enum { none, work, watch };

    /// Queues `job` (its `run` set); the job is the pool's once pushed.
    fn push(self: *Background, job: *Job) Push {
        var signal: Signal = .none;
        const result = self.pushLocked(job, &signal);
        switch (signal) {
            .none => {},
            .work => self.work.signal(),
            .watch => self.watch.signal(),
        }
        return result;
    }

    fn pushLocked(self: *Background, job: *Job, signal: *Signal) Push {
        self.mutex.lock();
        defer self.mutex.unlock();
        if (self.stopping.load(.acquire)) return .stopped;
        if (self.count >= self.capacity) return .full;
        job.next = null;
        if (self.tail) |t| t.next = job else self.head = job;
        self.tail = job;
        self.count += 1;
        self.queued.store(self.count, .release);
        if (!self.placeLocked(signal)) { // no thread could start: take it back
            self.head = null;
            self.tail = null;
            self.count = 0;
            self.queued.store(0, .release);
            return .stopped;
        }
        return .pushed;
    }

    /// Who takes a job just queued: a polling worker, or one woken or started for an
    /// earlier job, needs no signal; with no worker busy one is woken; while workers are
    /// busy another is woken only for a backlog, otherwise one keeps watch. False when no
    /// worker exists at all.
    fn placeLocked(self: *Background, signal: *Signal) bool {
        if (self.polling.load(.monotonic) != 0 or self.wakes > 0) return true;
        if (self.running == 0) {
            if (self.watching) {
                signal.* = .watch;
                return true;
            }
            return self.addWorkerLocked(signal) or self.nthreads > 0;
        }
        if (self.count > pool_backlog * self.running) {
            _ = self.addWorkerLocked(signal);
        } else if (!self.watching and !self.watch_wanted and self.addWorkerLocked(signal)) {
            self.watch_wanted = true;
        }
        return true;
    }

    /// Wakes a sleeping worker, or starts one when none sleeps and the pool has room.
    fn addWorkerLocked(self: *Background, signal: *Signal) bool {
        if (self.sleeping > self.wakes) {
            self.wakes += 1;
            signal.* = .work;
            return true;
        }
        if (self.nthreads >= self.size) return false;
        self.ids[self.nthreads] = 0; // until the worker writes its own
        const thread = std.Thread.spawn(.{}, workerMain, .{ self, self.generation, self.nthreads }) catch return false;
        self.threads[self.nthreads] = thread;
        self.nthreads += 1;
        self.wakes += 1;
        return true;
    }

    fn popLocked(self: *Background) *Job {
        const job = self.head.?;
        self.head = job.next;
        if (self.head == null) self.tail = null;
        self.count -= 1;
        self.queued.store(self.count, .monotonic);
        self.running += 1;
        return job;
    }

    /// Runs a job with the lock released.
    fn runLocked(self: *Background, job: *Job) void {
        self.mutex.unlock();
        job.run(job);
        self.mutex.lock();
        self.running -= 1;
        self.finished += 1;
        if (self.draining) self.quiet.broadcast();
    }

    /// Polls the queue without the lock for `poll_ns`; true when work came.
    fn pollForWork(self: *Background) bool {
        var last = nowNs();
        const until = last + poll_ns;
        var i: u32 = 1;
        while (true) : (i +%= 1) {
            if (self.queued.load(.acquire) != 0) return true;
            std.atomic.spinLoopHint();
            if (i & 63 != 0) continue;
            const now = nowNs();
            if (now -% last > poll_lost_ns) {
                self.poll_resume.store(now + poll_backoff_ns, .monotonic);
                return false;
            }
            if (now >= until) return false;
            last = now;
        }
    }

    /// Polls when no other worker polls or runs a job; true when work came.
    fn tryPollingLocked(self: *Background) bool {
        if (self.running != 0) return false;
        const resume_at = self.poll_resume.load(.monotonic);
        if (resume_at != 0 and nowNs() < resume_at) return false;
        if (self.polling.fetchAdd(1, .acq_rel) >= 1) {
            _ = self.polling.fetchSub(1, .acq_rel);
            return false;
        }
        self.mutex.unlock();
        const found = self.pollForWork();
        _ = self.polling.fetchSub(1, .acq_rel);
        self.mutex.lock();
        return found;
    }

    /// Keeps watch while others are busy; returns to take a job (jobs wait and none
    /// finished since the last look, or nobody else runs one) or to stop watching.
    fn keepWatchLocked(self: *Background, generation: u32) void {
        self.watching = true;
        defer self.watching = false;
        var idle: u32 = 0;
        while (self.generation == generation and idle < watch_idle) {
            const seen = self.finished;
            self.watch.timedWait(&self.mutex, watch_ns) catch {};
            if (self.head != null and (self.running == 0 or self.finished == seen)) return;
            idle = if (self.head == null) idle + 1 else 0;
        }
    }

    fn workerMain(self: *Background, generation: u32, index: usize) void {
        self.mutex.lock();
        defer self.mutex.unlock();
        self.ids[index] = std.Thread.getCurrentId();
        if (self.wakes > 0) self.wakes -= 1;
        while (self.generation == generation) {
            if (self.watch_wanted and !self.watching) {
                self.watch_wanted = false;
                self.keepWatchLocked(generation);
                if (self.head != null and self.generation == generation) self.runLocked(self.popLocked());
                continue;
            }
            if (self.head != null) {
                self.runLocked(self.popLocked());
                continue;
            }
            if (self.tryPollingLocked() or self.head != null or self.generation != generation) continue;
            if (self.running != 0 and !self.watching) {
                self.keepWatchLocked(generation);
                continue;
            }
            self.sleeping += 1;
            self.work.wait(&self.mutex);
            self.sleeping -= 1;
            if (self.wakes > 0) self.wakes -= 1;
        }
    }

    /// Allows background work again (init after a shutdown) with the plugin's sizes.
    fn open(self: *Background, threads: usize, queue: usize) void {
        self.mutex.lock();
        defer self.mutex.unlock();
        const cpus = std.Thread.getCpuCount() catch 2;
        self.size = @min(if (threads > 0) threads else @max(2, cpus), pool_max);
        self.capacity = if (queue > 0) queue else pool_queue;
        self.stopping.store(false, .release);
    }

    /// Refuses new work, runs what is queued, waits for every handler, joins the workers.
    /// Called from a worker (the host shut the plugin down from inside send_result), that
    /// worker helps drain the queue and is detached.
    fn stop(self: *Background) void {
        self.mutex.lock();
        self.stopping.store(true, .release);
        const me = std.Thread.getCurrentId();
        var mine: ?usize = null;
        for (self.ids[0..self.nthreads], 0..) |id, i| {
            if (id == me) mine = i;
        }
        self.draining = true;
        while (self.head != null or self.running > @intFromBool(mine != null)) {
            if (mine != null and self.head != null) self.runLocked(self.popLocked()) else self.quiet.wait(&self.mutex);
        }
        const n = self.nthreads;
        const threads = self.threads;
        self.nthreads = 0;
        self.wakes = 0;
        self.watch_wanted = false;
        self.draining = false;
        self.generation +%= 1;
        self.work.broadcast();
        self.watch.broadcast();
        self.mutex.unlock();
        for (threads[0..n], 0..) |t, i| {
            if (mine == i) t.detach() else t.join();
        }
    }
};

var background: Background = .{};

/// Copies the call and queues it; the handle status (Ok; Backpressure on ABI 2 and Err
/// on ABI 1 when the queue is full; Err when it could not be queued).
fn startBackground(comptime e: Entry, sid: u64, req: Request, body: []const u8) Status {
    const W = struct {
        fn run(job: *Job) void {
            defer job.destroy();
            switch (e.mode) {
                .unary, .raw => runReplyAsync(e, job.sid, job.request, job.payload),
                .stream, .stream_raw => runStreamAsync(e, job.sid, job.request, job.payload),
                .bidi => @compileError("entry '" ++ e.name ++ "': bidi entries run on the host's thread"),
            }
        }
    };
    const job = Job.create(sid, req, body) catch return .err;
    job.run = &W.run;
    switch (background.push(job)) {
        .pushed => return .ok,
        .full => {
            job.destroy();
            return layer.busy_status;
        },
        .stopped => {
            job.destroy();
            return .err;
        },
    }
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

/// A lock for the short critical sections of the session table: two atomic operations
/// when free. A futex mutex shared by every host thread made two threads slower than one.
const SpinLock = struct {
    held: std.atomic.Value(bool) = .init(false),

    fn lock(self: *SpinLock) void {
        while (self.held.swap(true, .acquire)) {
            var i: u32 = 0;
            while (self.held.load(.monotonic)) : (i += 1) {
                if (i >= 64) std.Thread.yield() catch {} else std.atomic.spinLoopHint();
            }
        }
    }

    fn unlock(self: *SpinLock) void {
        self.held.store(false, .release);
    }
};

/// Open sessions by sid, in 64 buckets with a lock each on its own cache line, so host
/// threads working on different streams do not share a lock. The table holds one
/// reference to each session; a call working on a session holds another, so a
/// concurrent close never frees it under the call.
const Sessions = struct {
    const bucket_count = 64;
    const Bucket = struct {
        lock: SpinLock align(std.atomic.cache_line) = .{},
        map: std.AutoHashMapUnmanaged(u64, *Session) = .empty,
    };

    buckets: [bucket_count]Bucket = [_]Bucket{.{}} ** bucket_count,

    fn bucketOf(self: *Sessions, sid: u64) *Bucket {
        return &self.buckets[@intCast((sid *% 0x9E3779B97F4A7C15) >> 58)];
    }

    /// Registers a session under `sid`.
    fn add(self: *Sessions, sid: u64, session: *Session) error{ SidInUse, OutOfMemory }!void {
        const b = self.bucketOf(sid);
        b.lock.lock();
        defer b.lock.unlock();
        const slot = try b.map.getOrPut(allocator, sid);
        if (slot.found_existing) return error.SidInUse;
        slot.value_ptr.* = session;
    }

    /// The session of `sid` with an extra reference, or null.
    fn acquire(self: *Sessions, sid: u64) ?*Session {
        const b = self.bucketOf(sid);
        b.lock.lock();
        defer b.lock.unlock();
        const session = b.map.get(sid) orelse return null;
        _ = session.refs.fetchAdd(1, .acq_rel);
        return session;
    }

    /// Removes `sid` and hands over the table's reference, or null.
    fn take(self: *Sessions, sid: u64) ?*Session {
        const b = self.bucketOf(sid);
        b.lock.lock();
        defer b.lock.unlock();
        const kv = b.map.fetchRemove(sid) orelse return null;
        return kv.value;
    }

    /// Drops `sid` if it is still registered.
    fn drop(self: *Sessions, sid: u64) void {
        if (self.take(sid)) |session| session.release();
    }

    /// Ends every open session with Err (the plugin is shutting down) and frees the table.
    fn closeAll(self: *Sessions) void {
        for (&self.buckets) |*b| {
            b.lock.lock();
            var map = b.map;
            b.map = .empty;
            b.lock.unlock();
            var it = map.valueIterator();
            while (it.next()) |session| {
                session.*.stream.finish(.err, "plugin shutting down");
                session.*.release();
            }
            map.deinit(allocator);
        }
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

/// One inbound frame of a bidirectional stream (the layer has checked the view).
pub fn sessionData(sid: u64, bytes: []const u8) Status {
    if (!live.load(.acquire)) return .invalid;
    const session = sessions.acquire(sid) orelse return .invalid;
    defer session.release();
    session.data(&session.stream, bytes) catch |err| session.stream.finish(statusOf(err), "");
    if (session.stream.isEnded()) sessions.drop(sid);
    return .ok;
}

/// The inbound half-close of a bidirectional stream: its close handler, then StreamEnd.
pub fn sessionClose(sid: u64) Status {
    if (!live.load(.acquire)) return .invalid;
    const session = sessions.take(sid) orelse return .invalid;
    defer session.release();
    if (session.close) |close| {
        close(&session.stream) catch |err| session.stream.finish(statusOf(err), "");
    }
    session.stream.end();
    return .ok;
}

/// Whether panic probes run: on ABI 2 only when NYLON_RING_ENABLE_PROBES=1 at init.
var probes_enabled = std.atomic.Value(bool).init(false);

/// Switches the probes on or off for the SDK's own tests, as the variable would at init.
pub fn enableProbesForTests(on: bool) void {
    if (!@import("builtin").is_test) @compileError("for tests only");
    probes_enabled.store(on, .release);
}

/// Reads NYLON_RING_ENABLE_PROBES (the same in debug and release builds).
fn probesRequested() bool {
    if (!layer.gate_probes) return true;
    const value = std.posix.getenv("NYLON_RING_ENABLE_PROBES") orelse return false;
    return std.mem.eql(u8, value, "1");
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
///     .background_queue = 1024,   // optional: calls queued before handle refuses more (default 4096)
/// });
/// comptime {
///     plugin.exportSymbols();
/// }
/// ```
pub fn Plugin(comptime description: anytype) type {
    const D = @TypeOf(description);
    const list = entryList(description.entries);
    const threads: usize = if (@hasField(D, "background_threads")) description.background_threads else 0;
    const queue: usize = if (@hasField(D, "background_queue")) description.background_queue else 0;

    return struct {
        const Self = @This();

        /// The plugin's name and version, as the host reads them.
        pub const name: []const u8 = description.name;
        pub const version: []const u8 = description.version;
        /// The route table: an entry's id (integer dispatch) is its index here.
        pub const entries = list;
        /// The embedded manifest (`nylon_ring_manifest()`), generated from `entries`.
        pub const manifest: [:0]const u8 = manifestText(description.name, &list);

        /// The generation's C side: info, vtable and the exported functions.
        const exports = layer.Exports(Self);
        /// What the host's entry symbol returns.
        pub const info = exports.info;
        /// Every slot of the plugin vtable.
        pub const vtable = exports.vtable;

        /// Exports the plugin's symbols; call once from a `comptime` block.
        pub fn exportSymbols() void {
            exports.exportSymbols();
        }

        /// Starts the plugin once the layer has stored the host's callbacks; an error of
        /// `on_init` fails init (Err).
        pub fn open() Status {
            background.open(threads, queue);
            probes_enabled.store(probesRequested(), .release);
            if (@hasField(D, "on_init")) {
                const result = description.on_init();
                if (@typeInfo(@TypeOf(result)) == .error_union) result catch return .err;
            }
            live.store(true, .release);
            return .ok;
        }

        /// Stops the plugin: background work finishes, sessions end, nothing is sent
        /// after it returns.
        pub fn close() void {
            if (!live.load(.acquire)) return;
            background.stop();
            sessions.closeAll();
            if (@hasField(D, "on_shutdown")) description.on_shutdown();
            live.store(false, .release);
        }

        /// Routes by entry name; the fast path: no allocation, no lock. The comparisons
        /// are unrolled at comptime (length first, then the bytes of one known name), and
        /// each entry's handler is called directly.
        pub inline fn dispatch(entry: []const u8, sid: u64, req: Request, body: []const u8) Status {
            if (!live.load(.acquire)) return .invalid;
            inline for (list) |e| {
                if (entry.len == e.name.len and std.mem.eql(u8, entry, e.name)) return start(e, sid, req, body);
            }
            return .unsupported;
        }

        /// The id of entry `entry` (its index in the route table), or NR_ENTRY_UNKNOWN.
        pub fn resolve(entry: []const u8) u32 {
            inline for (list, 0..) |e, i| {
                if (entry.len == e.name.len and std.mem.eql(u8, entry, e.name)) return i;
            }
            return std.math.maxInt(u32);
        }

        /// Routes by id: exactly what `dispatch` does with the name the id stands for;
        /// an id that names no entry is Unsupported, like an unknown name.
        pub fn dispatchId(id: u32, sid: u64, body: []const u8) Status {
            if (!live.load(.acquire)) return .invalid;
            inline for (list, 0..) |e, i| {
                if (id == i) return start(e, sid, .{}, body);
            }
            return .unsupported;
        }

        fn start(comptime e: Entry, sid: u64, req: Request, body: []const u8) Status {
            if (e.probe and !probes_enabled.load(.acquire)) return .unsupported;
            if (e.background) return startBackground(e, sid, req, body);
            return switch (e.mode) {
                .unary, .raw => runReplySync(e, sid, req, body),
                .stream, .stream_raw => runStreamSync(e, sid, req, body),
                .bidi => openSession(e, sid, body),
            };
        }
    };
}

/// The manifest text for `entries`: [plugin], then one [[entries]] (or
/// [[panic_probes]]) table per entry in route-table order, NUL-terminated.
fn manifestText(comptime plugin_name: []const u8, comptime entries: []const Entry) [:0]const u8 {
    comptime {
        @setEvalBranchQuota(100_000);
        var text: []const u8 = "# The manifest of this plugin, generated by its SDK from the entry table.\n" ++
            "[plugin]\nname = \"" ++ plugin_name ++ "\"\nunknown_entry = \"unsupported\"\n";
        for (entries) |e| {
            text = text ++ (if (e.probe) "\n[[panic_probes]]\n" else "\n[[entries]]\n") ++
                "name = \"" ++ e.name ++ "\"\nmode = \"" ++ layer.modeName(e.mode) ++ "\"\n" ++
                (if (e.sample.len == 0) "payload = \"\"\n" else e.sample ++ "\n");
        }
        const final = text ++ "\x00";
        return final[0..text.len :0];
    }
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

test {
    // The generation layer's own tests (it drives the C vtable like a host does).
    _ = layer;
}
