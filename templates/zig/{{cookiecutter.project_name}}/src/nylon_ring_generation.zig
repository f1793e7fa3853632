//! The ABI generation this project was made for (`nylon-ring new --abi {{ cookiecutter.abi }}`):
//! the SDK core (`nylon_ring_sdk.zig`) reaches the host through this layer.
pub const layer = @import("nylon_ring_abi{{ cookiecutter.abi }}.zig");
