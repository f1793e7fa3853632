{% set extra = cookiecutter.extra_entries.split(",") | reject("equalto", "") | list -%}
//! The {{ cookiecutter.project_name }} plugin: its entries and its description.
//!
//! Write your own entries here. A handler answers through its `*nr.Reply` (once) or
//! `*nr.Stream` (frames, then one end); returning an error answers Err
//! (`error.Invalid` answers Invalid, `error.Unsupported` Unsupported).

const std = @import("std");
const nr = @import("nylon_ring_sdk.zig");

/// `hello` (unary, uses the request): "<method> <path> <payload>".
fn hello(reply: *nr.Reply, req: nr.Request, payload: []const u8) !void {
    const text = try std.fmt.allocPrint(nr.allocator, "{s} {s} {s}", .{ req.method, req.path, payload });
    defer nr.allocator.free(text);
    reply.ok(text);
}

/// `echo` (raw, answered on the host's thread) and `echo_async` (the same, answered
/// from a background thread): the payload unchanged.
fn echo(reply: *nr.Reply, payload: []const u8) !void {
    reply.ok(payload);
}

/// `count` (server stream): payload N gives frames "0".."N-1", then StreamEnd.
/// A payload that is not a number is rejected with Invalid before anything is sent.
fn count(stream: *nr.Stream, payload: []const u8) !void {
    const n = std.fmt.parseInt(u32, payload, 10) catch return error.Invalid;
    var buf: [16]u8 = undefined;
    for (0..n) |i| stream.frame(try std.fmt.bufPrint(&buf, "{d}", .{i}));
    stream.end();
}

/// `chat` (bidirectional): every inbound frame is echoed back; the host's close ends
/// the stream with StreamEnd.
fn chatData(stream: *nr.Stream, data: []const u8) !void {
    stream.frame(data);
}

/// `state`: stores the payload in the per-sid state and answers what reading it back
/// gives; Unsupported when the host offers no state extension.
fn state(reply: *nr.Reply, payload: []const u8) !void {
    const st = reply.state() orelse return reply.send(.unsupported, "");
    _ = st.set("k", payload);
    reply.ok(st.get("k"));
}

/// `panic` and `panic_async`: a handler that fails, for the panic-safety check.
fn panicProbe(reply: *nr.Reply, payload: []const u8) !void {
    _ = reply;
    _ = payload;
    return error.ProbeFailed;
}
{%- if extra %}

/// Entries added with `nylon-ring new --entries`: each echoes its payload until you
/// write it.
const custom = struct {
{%- for e in extra %}
    fn {{ e }}(reply: *nr.Reply, payload: []const u8) !void {
        reply.ok(payload);
    }
{%- endfor %}
};
{%- endif %}

pub const plugin = nr.Plugin(.{
    .name = "{{ cookiecutter.project_name }}",
    .version = "0.1.0",
    .entries = .{
        nr.unary("hello", hello),
        nr.raw("echo", echo),
        nr.raw("echo_async", echo).inBackground(),
        nr.streamRaw("count", count),
        nr.bidi("chat", .{ .data = chatData }),
        nr.raw("state", state),
        nr.raw("panic", panicProbe),
        nr.raw("panic_async", panicProbe).inBackground(),
{%- for e in extra %}
        nr.raw("{{ e }}", custom.{{ e }}),
{%- endfor %}
    },
});

comptime {
    plugin.exportSymbols();
}

test {
    std.testing.refAllDecls(@This());
}
