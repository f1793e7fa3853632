{% set extra = cookiecutter.extra_entries.split(",") | reject("equalto", "") | list -%}
//! The {{ cookiecutter.project_name }} plugin: its entries and its description.
//!
//! Write your own entries here. A handler answers through its `*nr.Reply` (once) or
//! `*nr.Stream` (frames, then one end); returning an error answers Err
//! (`error.Invalid` answers Invalid, `error.Unsupported` Unsupported{% if cookiecutter.abi == "2" %},
//! `error.Panic` Panic{% endif %}). Each entry's `.withSample(...)` lines go into the
//! manifest the library embeds (`nylon_ring_manifest()`), which conformance reads.

const std = @import("std");
const nr = @import("nylon_ring_sdk.zig");

{% if cookiecutter.abi == "2" -%}
/// `hello` (unary): "hello, <payload>".
fn hello(reply: *nr.Reply, payload: []const u8) !void {
    const text = try std.fmt.allocPrint(nr.allocator, "hello, {s}", .{payload});
    defer nr.allocator.free(text);
    reply.ok(text);
}
{%- else -%}
/// `hello` (unary, uses the request): "<method> <path> <payload>".
fn hello(reply: *nr.Reply, req: nr.Request, payload: []const u8) !void {
    const text = try std.fmt.allocPrint(nr.allocator, "{s} {s} {s}", .{ req.method, req.path, payload });
    defer nr.allocator.free(text);
    reply.ok(text);
}
{%- endif %}

/// `echo` (raw, answered on the host's thread) and `echo_async` (the same, answered
/// from a background thread): the payload unchanged.
fn echo(reply: *nr.Reply, payload: []const u8) !void {
    reply.ok(payload);
}
{%- if cookiecutter.abi == "2" %}

/// `echo_owned`: the payload back without a copy on the way out (send_result_owned):
/// the SDK keeps the buffer alive until the host releases it, then frees it.
fn echoOwned(reply: *nr.Reply, payload: []const u8) !void {
    reply.sendOwned(.ok, try nr.allocator.dupe(u8, payload));
}

/// `echo_lease`: the payload written straight into a buffer the host lends
/// (acquire/commit); without a lease, a plain answer.
fn echoLease(reply: *nr.Reply, payload: []const u8) !void {
    const lease = reply.lease(payload.len) orelse return reply.ok(payload);
    @memcpy(lease.bytes[0..payload.len], payload);
    lease.commit(.ok, payload.len);
}
{%- endif %}

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
{%- if cookiecutter.abi != "2" %}

/// `state`: stores the payload in the per-sid state and answers what reading it back
/// gives; Unsupported when the host offers no state extension.
fn state(reply: *nr.Reply, payload: []const u8) !void {
    const st = reply.state() orelse return reply.send(.unsupported, "");
    _ = st.set("k", payload);
    reply.ok(st.get("k"));
}
{%- endif %}

{% if cookiecutter.abi == "2" -%}
/// `panic` and `panic_async`: the panic-safety probes. Zig cannot catch a safety panic,
/// so a contained failure is an error: error.Panic answers Panic. Both are marked as
/// probes: they answer Unsupported unless NYLON_RING_ENABLE_PROBES=1 at init.
fn panicProbe(reply: *nr.Reply, payload: []const u8) !void {
    _ = reply;
    _ = payload;
    return error.Panic;
}
{%- else -%}
/// `panic` and `panic_async`: a handler that fails, for the panic-safety check.
fn panicProbe(reply: *nr.Reply, payload: []const u8) !void {
    _ = reply;
    _ = payload;
    return error.ProbeFailed;
}
{%- endif %}
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
{%- if cookiecutter.abi == "2" %}
        nr.raw("hello", hello).withSample("payload = \"world\"\nexpect_status = \"Ok\"\nexpect = \"hello, world\""),
        nr.raw("echo", echo).withSample("payload = \"hi\"\nexpect_status = \"Ok\"\nexpect = \"hi\""),
        nr.raw("echo_async", echo).inBackground()
            .withSample("payload_hex = \"00ff10\"\nexpect_status = \"Ok\"\nexpect_hex = \"00ff10\""),
        nr.raw("echo_owned", echoOwned).withSample("payload = \"owned\"\nexpect_status = \"Ok\"\nexpect = \"owned\""),
        nr.raw("echo_lease", echoLease).withSample("payload = \"leased\"\nexpect_status = \"Ok\"\nexpect = \"leased\""),
        // In the background, so that frames the host refuses with Backpressure can wait.
        nr.streamRaw("count", count).inBackground()
            .withSample("payload = \"3\"\nexpect_frames = [\"0\", \"1\", \"2\"]\nexpect_terminal = \"StreamEnd\""),
        nr.bidi("chat", .{ .data = chatData })
            .withSample("payload = \"\"\nsend = [\"a\", \"b\"]\nexpect_frames = [\"a\", \"b\"]\nexpect_terminal = \"StreamEnd\""),
        nr.raw("panic", panicProbe).asProbe(),
        nr.raw("panic_async", panicProbe).inBackground().asProbe(),
{%- for e in extra %}
        nr.raw("{{ e }}", custom.{{ e }}).withSample("payload = \"ping\"\nexpect_status = \"Ok\"\nexpect = \"ping\""),
{%- endfor %}
{%- else %}
        nr.unary("hello", hello).withSample("payload = \"world\"\n" ++
            "request = { method = \"GET\", path = \"/hello\", query = \"\", headers = { x-test = \"1\" } }\n" ++
            "expect_status = \"Ok\"\nexpect = \"GET /hello world\""),
        nr.raw("echo", echo).withSample("payload = \"hi\"\nexpect_status = \"Ok\"\nexpect = \"hi\""),
        nr.raw("echo_async", echo).inBackground()
            .withSample("payload = \"hi from the background\"\nexpect_status = \"Ok\"\nexpect = \"hi from the background\""),
        nr.streamRaw("count", count)
            .withSample("payload = \"3\"\nexpect_frames = [\"0\", \"1\", \"2\"]\nexpect_terminal = \"StreamEnd\""),
        nr.bidi("chat", .{ .data = chatData })
            .withSample("payload = \"\"\nsend = [\"a\", \"b\"]\nexpect_frames = [\"a\", \"b\"]\nexpect_terminal = \"StreamEnd\""),
        nr.raw("state", state).withSample("payload = \"kept\"\nexpect_status = \"Ok\"\nexpect = \"kept\""),
        nr.raw("panic", panicProbe).asProbe(),
        nr.raw("panic_async", panicProbe).inBackground().asProbe(),
{%- for e in extra %}
        nr.raw("{{ e }}", custom.{{ e }}).withSample("payload = \"ping\"\nexpect_status = \"Ok\"\nexpect = \"ping\""),
{%- endfor %}
{%- endif %}
    },
});

comptime {
    plugin.exportSymbols();
}

test {
    std.testing.refAllDecls(@This());
}
