// Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --schema awkward.toml

//! Awkward names and layouts on purpose.
//!
//! Every type is an `extern struct` laid out as C lays it out; the `comptime` block at
//! the end checks each size, alignment and offset against nylon-ring's layout table.

const nr__std = @import("std");
const nr__builtin = @import("builtin");

/// Largest u64.
pub const MAX_RESULT: u64 = nr__std.math.maxInt(u64);

/// Smallest i32.
pub const MIN_TYPE: i32 = nr__std.math.minInt(i32);

/// An enum with keyword-ish value names and a non-u32 repr.
/// Non-exhaustive: a value outside the named ones (from foreign code) is legal, never UB.
pub const Kind = enum(u8) {
    /// Type.
    type = 0,
    /// Func.
    func = 1,
    /// Match.
    match = 7,
    /// None.
    none = 255,
    _,

    /// Whether the value is one of the named ones.
    pub fn isKnown(self: Kind) bool {
        return switch (self) {
            .type => true,
            .func => true,
            .match => true,
            .none => true,
            _ => false,
        };
    }
};

/// Every field forces padding.
pub const Padded = extern struct {
    /// A byte named type.
    type: u8,
    /// Eight bytes after seven of padding.
    result: u64,
    /// Another byte.
    func: u8,
    /// Go keyword.
    select: u16,
    /// Rust and Zig keyword, an odd array.
    @"fn": [3]u8,
    /// A one-byte enum.
    kind: Kind,
    /// Zig keyword.
    @"error": f64,
    /// Rust and Python keyword.
    async: bool,
};

/// Takes structs by value and by pointer.
pub const Visit = *const fn (@"type": ?*anyopaque, result: Padded, holder: ?*const Holder) callconv(.c) Kind;

/// Arrays of structs, nested structs, pointer to pointer, sized integers.
pub const Holder = extern struct {
    /// Array of padded structs.
    match: [2]Padded,
    /// C++ keyword.
    class: i8,
    /// Pointer to pointer.
    range: ?*const ?[*]u8,
    /// Pointer-sized.
    len: usize,
    /// Signed pointer-sized.
    diff: isize,
    /// A float.
    ratio: f32,
    /// Self-reference through a pointer.
    next: ?*Holder,
    /// Nullable function pointer.
    callback: ?Visit = null,
    /// Reserved.
    _reserved: [2]u32 = nr__std.mem.zeroes([2]u32),
};

/// Entry symbol signature.
pub const GetHolder = *const fn () callconv(.c) ?*const Holder;

// ---- exported symbols: each helper exports a function of the right type under its name

/// Entry symbol.
/// Call from a `comptime` block: `comptime { exportAwkwardGetHolder(&myFunction); }`.
pub fn exportAwkwardGetHolder(comptime f: GetHolder) void {
    @export(f, .{ .name = "awkward_get_holder" });
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
        nr__expect("Padded size (LP64/LLP64)", @sizeOf(Padded), 40);
        nr__expect("Padded align (LP64/LLP64)", @alignOf(Padded), 8);
        nr__expect("Padded.type offset (LP64/LLP64)", @offsetOf(Padded, "type"), 0);
        nr__expect("Padded.result offset (LP64/LLP64)", @offsetOf(Padded, "result"), 8);
        nr__expect("Padded.func offset (LP64/LLP64)", @offsetOf(Padded, "func"), 16);
        nr__expect("Padded.select offset (LP64/LLP64)", @offsetOf(Padded, "select"), 18);
        nr__expect("Padded.fn offset (LP64/LLP64)", @offsetOf(Padded, "fn"), 20);
        nr__expect("Padded.kind offset (LP64/LLP64)", @offsetOf(Padded, "kind"), 23);
        nr__expect("Padded.error offset (LP64/LLP64)", @offsetOf(Padded, "error"), 24);
        nr__expect("Padded.async offset (LP64/LLP64)", @offsetOf(Padded, "async"), 32);
        nr__expect("Holder size (LP64/LLP64)", @sizeOf(Holder), 144);
        nr__expect("Holder align (LP64/LLP64)", @alignOf(Holder), 8);
        nr__expect("Holder.match offset (LP64/LLP64)", @offsetOf(Holder, "match"), 0);
        nr__expect("Holder.class offset (LP64/LLP64)", @offsetOf(Holder, "class"), 80);
        nr__expect("Holder.range offset (LP64/LLP64)", @offsetOf(Holder, "range"), 88);
        nr__expect("Holder.len offset (LP64/LLP64)", @offsetOf(Holder, "len"), 96);
        nr__expect("Holder.diff offset (LP64/LLP64)", @offsetOf(Holder, "diff"), 104);
        nr__expect("Holder.ratio offset (LP64/LLP64)", @offsetOf(Holder, "ratio"), 112);
        nr__expect("Holder.next offset (LP64/LLP64)", @offsetOf(Holder, "next"), 120);
        nr__expect("Holder.callback offset (LP64/LLP64)", @offsetOf(Holder, "callback"), 128);
        nr__expect("Holder._reserved offset (LP64/LLP64)", @offsetOf(Holder, "_reserved"), 136);
    } else if (nr__builtin.cpu.arch == .x86 and nr__builtin.os.tag != .windows) {
        // ILP32-I386
        nr__expect("Padded size (ILP32-I386)", @sizeOf(Padded), 32);
        nr__expect("Padded align (ILP32-I386)", @alignOf(Padded), 4);
        nr__expect("Padded.type offset (ILP32-I386)", @offsetOf(Padded, "type"), 0);
        nr__expect("Padded.result offset (ILP32-I386)", @offsetOf(Padded, "result"), 4);
        nr__expect("Padded.func offset (ILP32-I386)", @offsetOf(Padded, "func"), 12);
        nr__expect("Padded.select offset (ILP32-I386)", @offsetOf(Padded, "select"), 14);
        nr__expect("Padded.fn offset (ILP32-I386)", @offsetOf(Padded, "fn"), 16);
        nr__expect("Padded.kind offset (ILP32-I386)", @offsetOf(Padded, "kind"), 19);
        nr__expect("Padded.error offset (ILP32-I386)", @offsetOf(Padded, "error"), 20);
        nr__expect("Padded.async offset (ILP32-I386)", @offsetOf(Padded, "async"), 28);
        nr__expect("Holder size (ILP32-I386)", @sizeOf(Holder), 100);
        nr__expect("Holder align (ILP32-I386)", @alignOf(Holder), 4);
        nr__expect("Holder.match offset (ILP32-I386)", @offsetOf(Holder, "match"), 0);
        nr__expect("Holder.class offset (ILP32-I386)", @offsetOf(Holder, "class"), 64);
        nr__expect("Holder.range offset (ILP32-I386)", @offsetOf(Holder, "range"), 68);
        nr__expect("Holder.len offset (ILP32-I386)", @offsetOf(Holder, "len"), 72);
        nr__expect("Holder.diff offset (ILP32-I386)", @offsetOf(Holder, "diff"), 76);
        nr__expect("Holder.ratio offset (ILP32-I386)", @offsetOf(Holder, "ratio"), 80);
        nr__expect("Holder.next offset (ILP32-I386)", @offsetOf(Holder, "next"), 84);
        nr__expect("Holder.callback offset (ILP32-I386)", @offsetOf(Holder, "callback"), 88);
        nr__expect("Holder._reserved offset (ILP32-I386)", @offsetOf(Holder, "_reserved"), 92);
    } else {
        // ILP32
        nr__expect("Padded size (ILP32)", @sizeOf(Padded), 40);
        nr__expect("Padded align (ILP32)", @alignOf(Padded), 8);
        nr__expect("Padded.type offset (ILP32)", @offsetOf(Padded, "type"), 0);
        nr__expect("Padded.result offset (ILP32)", @offsetOf(Padded, "result"), 8);
        nr__expect("Padded.func offset (ILP32)", @offsetOf(Padded, "func"), 16);
        nr__expect("Padded.select offset (ILP32)", @offsetOf(Padded, "select"), 18);
        nr__expect("Padded.fn offset (ILP32)", @offsetOf(Padded, "fn"), 20);
        nr__expect("Padded.kind offset (ILP32)", @offsetOf(Padded, "kind"), 23);
        nr__expect("Padded.error offset (ILP32)", @offsetOf(Padded, "error"), 24);
        nr__expect("Padded.async offset (ILP32)", @offsetOf(Padded, "async"), 32);
        nr__expect("Holder size (ILP32)", @sizeOf(Holder), 120);
        nr__expect("Holder align (ILP32)", @alignOf(Holder), 8);
        nr__expect("Holder.match offset (ILP32)", @offsetOf(Holder, "match"), 0);
        nr__expect("Holder.class offset (ILP32)", @offsetOf(Holder, "class"), 80);
        nr__expect("Holder.range offset (ILP32)", @offsetOf(Holder, "range"), 84);
        nr__expect("Holder.len offset (ILP32)", @offsetOf(Holder, "len"), 88);
        nr__expect("Holder.diff offset (ILP32)", @offsetOf(Holder, "diff"), 92);
        nr__expect("Holder.ratio offset (ILP32)", @offsetOf(Holder, "ratio"), 96);
        nr__expect("Holder.next offset (ILP32)", @offsetOf(Holder, "next"), 100);
        nr__expect("Holder.callback offset (ILP32)", @offsetOf(Holder, "callback"), 104);
        nr__expect("Holder._reserved offset (ILP32)", @offsetOf(Holder, "_reserved"), 108);
    }
}

// ---- tests: `zig test nylon_ring.zig`

test "every declaration compiles" {
    nr__std.testing.refAllDecls(@This());
}

test "Kind: every value round-trips through its integer" {
    try nr__std.testing.expectEqual(0, @intFromEnum(Kind.type));
    try nr__std.testing.expectEqual(Kind.type, @as(Kind, @enumFromInt(0)));
    try nr__std.testing.expectEqual(1, @intFromEnum(Kind.func));
    try nr__std.testing.expectEqual(Kind.func, @as(Kind, @enumFromInt(1)));
    try nr__std.testing.expectEqual(7, @intFromEnum(Kind.match));
    try nr__std.testing.expectEqual(Kind.match, @as(Kind, @enumFromInt(7)));
    try nr__std.testing.expectEqual(255, @intFromEnum(Kind.none));
    try nr__std.testing.expectEqual(Kind.none, @as(Kind, @enumFromInt(255)));
    const unknown: Kind = @enumFromInt(2);
    try nr__std.testing.expect(!unknown.isKnown());
    try nr__std.testing.expectEqual(2, @intFromEnum(unknown));
}
