// Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --schema awkward.toml

//! Rust declarations of the awkward ABI v3.
//!
//! Awkward names and layouts on purpose.
//!
//! Enums cross the ABI as their `*Raw` integer alias, never as the Rust enum: a value
//! from foreign code outside the enum's range is then an ordinary integer, turned into
//! the enum by the checked `from_raw` (or `TryFrom`), instead of undefined behaviour.
//! Struct layouts are checked at compile time against nylon-ring's layout engine.
//! The text is already `rustfmt`-formatted, so `cargo fmt` leaves it as generated (and
//! `nylon-ring gen-bindings --check` keeps passing).

#![allow(non_camel_case_types, non_snake_case, dead_code)]

use core::ffi::c_void;
use core::mem::{align_of, offset_of, size_of};

/// Largest u64.
pub const MAX_RESULT: u64 = u64::MAX;
/// Smallest i32.
pub const MIN_TYPE: i32 = i32::MIN;

/// An enum with keyword-ish value names and a non-u32 repr.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Type.
    Type = 0,
    /// Func.
    Func = 1,
    /// Match.
    Match = 7,
    /// None.
    None = 255,
}

/// `Kind` as it crosses the ABI: any `u8`, checked by [`Kind::from_raw`].
pub type KindRaw = u8;

impl Kind {
    /// Every value, in schema order.
    pub const ALL: [Kind; 4] = [Kind::Type, Kind::Func, Kind::Match, Kind::None];

    /// The enum for a raw value, or `None` when foreign code sent a value outside the enum.
    pub const fn from_raw(raw: KindRaw) -> ::core::option::Option<Self> {
        match raw {
            0 => ::core::option::Option::Some(Kind::Type),
            1 => ::core::option::Option::Some(Kind::Func),
            7 => ::core::option::Option::Some(Kind::Match),
            255 => ::core::option::Option::Some(Kind::None),
            _ => ::core::option::Option::None,
        }
    }

    /// The raw value to put on the ABI.
    pub const fn to_raw(self) -> KindRaw {
        self as KindRaw
    }
}

impl core::convert::TryFrom<u8> for Kind {
    type Error = u8;

    /// Checked conversion; the error is the out-of-range value.
    fn try_from(raw: u8) -> ::core::result::Result<Self, Self::Error> {
        Self::from_raw(raw).ok_or(raw)
    }
}

impl From<Kind> for u8 {
    fn from(value: Kind) -> Self {
        value.to_raw()
    }
}

/// Every field forces padding.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Padded {
    /// A byte named type.
    pub r#type: u8,
    /// Eight bytes after seven of padding.
    pub result: u64,
    /// Another byte.
    pub func: u8,
    /// Go keyword.
    pub select: u16,
    /// Rust and Zig keyword, an odd array.
    pub r#fn: [u8; 3],
    /// A one-byte enum.
    pub kind: KindRaw,
    /// Zig keyword.
    pub error: f64,
    /// Rust and Python keyword.
    pub r#async: bool,
}

/// Arrays of structs, nested structs, pointer to pointer, sized integers.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Holder {
    /// Array of padded structs.
    pub r#match: [Padded; 2],
    /// C++ keyword.
    pub class: i8,
    /// Pointer to pointer.
    pub range: *const *mut u8,
    /// Pointer-sized.
    pub len: usize,
    /// Signed pointer-sized.
    pub diff: isize,
    /// A float.
    pub ratio: f32,
    /// Self-reference through a pointer.
    pub next: *mut Holder,
    /// Nullable function pointer.
    pub callback: ::core::option::Option<Visit>,
    /// Reserved.
    pub _reserved: [u32; 2],
}

// SAFETY: a plugin hands this out from a `static` whose pointers refer to immutable
// static data (or to a context it synchronises itself), so sharing it is sound.
unsafe impl Send for Holder {}
unsafe impl Sync for Holder {}

/// Takes structs by value and by pointer.
pub type Visit =
    unsafe extern "C" fn(r#type: *mut c_void, result: Padded, holder: *const Holder) -> KindRaw;

/// Entry symbol signature.
pub type GetHolder = unsafe extern "C" fn() -> *const Holder;

// ---- exported symbols: NUL-terminated names for dlsym/GetProcAddress ----

/// Entry symbol.
/// Type: [`GetHolder`].
pub const AWKWARD_GET_HOLDER_SYMBOL: &[u8] = b"awkward_get_holder\0";

// ---- layout checks: the numbers come from nylon-ring's layout engine ----

// LP64/LLP64
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<Padded>() == 40, "Padded size");
    assert!(align_of::<Padded>() == 8, "Padded align");
    assert!(offset_of!(Padded, r#type) == 0, "Padded.type offset");
    assert!(offset_of!(Padded, result) == 8, "Padded.result offset");
    assert!(offset_of!(Padded, func) == 16, "Padded.func offset");
    assert!(offset_of!(Padded, select) == 18, "Padded.select offset");
    assert!(offset_of!(Padded, r#fn) == 20, "Padded.fn offset");
    assert!(offset_of!(Padded, kind) == 23, "Padded.kind offset");
    assert!(offset_of!(Padded, error) == 24, "Padded.error offset");
    assert!(offset_of!(Padded, r#async) == 32, "Padded.async offset");
    assert!(size_of::<Holder>() == 144, "Holder size");
    assert!(align_of::<Holder>() == 8, "Holder align");
    assert!(offset_of!(Holder, r#match) == 0, "Holder.match offset");
    assert!(offset_of!(Holder, class) == 80, "Holder.class offset");
    assert!(offset_of!(Holder, range) == 88, "Holder.range offset");
    assert!(offset_of!(Holder, len) == 96, "Holder.len offset");
    assert!(offset_of!(Holder, diff) == 104, "Holder.diff offset");
    assert!(offset_of!(Holder, ratio) == 112, "Holder.ratio offset");
    assert!(offset_of!(Holder, next) == 120, "Holder.next offset");
    assert!(
        offset_of!(Holder, callback) == 128,
        "Holder.callback offset"
    );
    assert!(
        offset_of!(Holder, _reserved) == 136,
        "Holder._reserved offset"
    );
};

// ILP32-I386
#[cfg(all(target_pointer_width = "32", target_arch = "x86", not(windows)))]
const _: () = {
    assert!(size_of::<Padded>() == 32, "Padded size");
    assert!(align_of::<Padded>() == 4, "Padded align");
    assert!(offset_of!(Padded, r#type) == 0, "Padded.type offset");
    assert!(offset_of!(Padded, result) == 4, "Padded.result offset");
    assert!(offset_of!(Padded, func) == 12, "Padded.func offset");
    assert!(offset_of!(Padded, select) == 14, "Padded.select offset");
    assert!(offset_of!(Padded, r#fn) == 16, "Padded.fn offset");
    assert!(offset_of!(Padded, kind) == 19, "Padded.kind offset");
    assert!(offset_of!(Padded, error) == 20, "Padded.error offset");
    assert!(offset_of!(Padded, r#async) == 28, "Padded.async offset");
    assert!(size_of::<Holder>() == 100, "Holder size");
    assert!(align_of::<Holder>() == 4, "Holder align");
    assert!(offset_of!(Holder, r#match) == 0, "Holder.match offset");
    assert!(offset_of!(Holder, class) == 64, "Holder.class offset");
    assert!(offset_of!(Holder, range) == 68, "Holder.range offset");
    assert!(offset_of!(Holder, len) == 72, "Holder.len offset");
    assert!(offset_of!(Holder, diff) == 76, "Holder.diff offset");
    assert!(offset_of!(Holder, ratio) == 80, "Holder.ratio offset");
    assert!(offset_of!(Holder, next) == 84, "Holder.next offset");
    assert!(offset_of!(Holder, callback) == 88, "Holder.callback offset");
    assert!(
        offset_of!(Holder, _reserved) == 92,
        "Holder._reserved offset"
    );
};

// ILP32
#[cfg(all(
    target_pointer_width = "32",
    not(all(target_arch = "x86", not(windows)))
))]
const _: () = {
    assert!(size_of::<Padded>() == 40, "Padded size");
    assert!(align_of::<Padded>() == 8, "Padded align");
    assert!(offset_of!(Padded, r#type) == 0, "Padded.type offset");
    assert!(offset_of!(Padded, result) == 8, "Padded.result offset");
    assert!(offset_of!(Padded, func) == 16, "Padded.func offset");
    assert!(offset_of!(Padded, select) == 18, "Padded.select offset");
    assert!(offset_of!(Padded, r#fn) == 20, "Padded.fn offset");
    assert!(offset_of!(Padded, kind) == 23, "Padded.kind offset");
    assert!(offset_of!(Padded, error) == 24, "Padded.error offset");
    assert!(offset_of!(Padded, r#async) == 32, "Padded.async offset");
    assert!(size_of::<Holder>() == 120, "Holder size");
    assert!(align_of::<Holder>() == 8, "Holder align");
    assert!(offset_of!(Holder, r#match) == 0, "Holder.match offset");
    assert!(offset_of!(Holder, class) == 80, "Holder.class offset");
    assert!(offset_of!(Holder, range) == 84, "Holder.range offset");
    assert!(offset_of!(Holder, len) == 88, "Holder.len offset");
    assert!(offset_of!(Holder, diff) == 92, "Holder.diff offset");
    assert!(offset_of!(Holder, ratio) == 96, "Holder.ratio offset");
    assert!(offset_of!(Holder, next) == 100, "Holder.next offset");
    assert!(
        offset_of!(Holder, callback) == 104,
        "Holder.callback offset"
    );
    assert!(
        offset_of!(Holder, _reserved) == 108,
        "Holder._reserved offset"
    );
};
