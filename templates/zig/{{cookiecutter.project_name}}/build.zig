//! Builds the plugin as a shared library: `zig build` (add -Doptimize=ReleaseFast for
//! a release build, -Dtarget=aarch64-linux-gnu to cross-compile); `zig build test`
//! runs the unit tests.

const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});

    const root = b.createModule(.{
        .root_source_file = b.path("src/plugin.zig"),
        .target = target,
        .optimize = optimize,
        // Background handlers run on pthreads, which the host process expects.
        .link_libc = true,
    });

    const lib = b.addLibrary(.{
        .name = "{{ cookiecutter.lib_name }}",
        .linkage = .dynamic,
        .root_module = root,
        // Zig 0.15's self-hosted x86_64 backend (the Debug default) miscompiles thread
        // code in shared libraries: a std.Thread.Pool worker crashes. LLVM does not.
        .use_llvm = true,
    });
    b.installArtifact(lib);

    const tests = b.addTest(.{ .root_module = root });
    const run_tests = b.addRunArtifact(tests);
    const test_step = b.step("test", "Run the plugin and SDK unit tests");
    test_step.dependOn(&run_tests.step);
}
