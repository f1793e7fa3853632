// Generated from schema/abi2.toml (schema sha256 e1a3a2de882d757b) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 2

//! Rust declarations of the nylon-ring ABI v2.
//!
//! nylon-ring ABI 2: an ABI-stable host/plugin interface for high-performance proxies, with
//! zero-copy answers.
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

#[cfg(not(target_pointer_width = "64"))]
compile_error!("nylon-ring ABI 2 requires a 64-bit target (sizeof(void *) == 8)");

/// The ABI version a plugin writes into NrPluginInfo.abi_version; a host requires exactly
/// this value.
pub const NR_ABI_VERSION: u32 = 2;
/// What resolve_entry returns for a name the plugin does not export (UINT32_MAX).
pub const NR_ENTRY_UNKNOWN: u32 = u32::MAX;
/// Version of the NrLayoutProbe table format.
pub const NR_LAYOUT_PROBE_VERSION: u32 = 1;

/// Outcome of a call or of one result frame; a plain u32 on the wire, so unknown values
/// stay defined. Values are never reused.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NrStatus {
    /// Success; for streams, one more frame follows (not terminal).
    Ok = 0,
    /// Runtime error (terminal).
    Err = 1,
    /// Bad input: malformed payload, unknown stream id, misused lease (terminal).
    Invalid = 2,
    /// The operation or entry is not implemented (terminal).
    Unsupported = 3,
    /// Normal end of a stream (terminal).
    StreamEnd = 4,
    /// A panic or exception contained at the boundary (terminal).
    Panic = 5,
    /// Not terminal: the host's bounded stream queue is full and this frame was not enqueued;
    /// the producer decides whether to retry.
    Backpressure = 6,
}

/// `NrStatus` as it crosses the ABI: any `u32`, checked by [`NrStatus::from_raw`].
pub type NrStatusRaw = u32;

impl NrStatus {
    /// Every value, in schema order.
    pub const ALL: [NrStatus; 7] = [
        NrStatus::Ok,
        NrStatus::Err,
        NrStatus::Invalid,
        NrStatus::Unsupported,
        NrStatus::StreamEnd,
        NrStatus::Panic,
        NrStatus::Backpressure,
    ];

    /// The enum for a raw value, or `None` when foreign code sent a value outside the enum.
    pub const fn from_raw(raw: NrStatusRaw) -> ::core::option::Option<Self> {
        match raw {
            0 => ::core::option::Option::Some(NrStatus::Ok),
            1 => ::core::option::Option::Some(NrStatus::Err),
            2 => ::core::option::Option::Some(NrStatus::Invalid),
            3 => ::core::option::Option::Some(NrStatus::Unsupported),
            4 => ::core::option::Option::Some(NrStatus::StreamEnd),
            5 => ::core::option::Option::Some(NrStatus::Panic),
            6 => ::core::option::Option::Some(NrStatus::Backpressure),
            _ => ::core::option::Option::None,
        }
    }

    /// The raw value to put on the ABI.
    pub const fn to_raw(self) -> NrStatusRaw {
        self as NrStatusRaw
    }
}

impl core::convert::TryFrom<u32> for NrStatus {
    type Error = u32;

    /// Checked conversion; the error is the out-of-range value.
    fn try_from(raw: u32) -> ::core::result::Result<Self, Self::Error> {
        Self::from_raw(raw).ok_or(raw)
    }
}

impl From<NrStatus> for u32 {
    fn from(value: NrStatus) -> Self {
        value.to_raw()
    }
}

/// Borrowed UTF-8 string view; valid only for the duration of the call that passes it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrStr {
    /// First byte; may be NULL when len is 0. Not NUL-terminated.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: u32,
    /// Fills the padding after len; producers write 0.
    pub reserved: u32,
}

/// Borrowed byte slice view; the receiver copies what it keeps beyond the call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrBytes {
    /// First byte; may be NULL when len is 0.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: u64,
}

/// A byte buffer by value: owned (freed only through drop_fn) or borrowed (owned = 0,
/// drop_fn NULL: the host copies it inside send_result).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrVecU8 {
    /// First byte; may be NULL when len is 0.
    pub ptr: *mut u8,
    /// Initialised length in bytes.
    pub len: usize,
    /// Allocated capacity in bytes.
    pub cap: usize,
    /// 1: the consumer must free it through drop_fn; 0: borrowed.
    pub owned: u8,
    /// Reserved; zero.
    pub reserved: [u8; 7],
    /// The producer's free function; NULL for a borrowed buffer.
    pub drop_fn: ::core::option::Option<NrVecU8DropFn>,
}

/// A producer-owned buffer the host consumes without copying: ptr..ptr+len stays valid and
/// unchanged until release is called, exactly once.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrOwnedBytes {
    /// First byte; may be NULL when len is 0.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: u64,
    /// Passed back to release.
    pub owner_ctx: *mut c_void,
    /// Called exactly once when the host is done; NULL means nothing to free.
    pub release: ::core::option::Option<NrReleaseFn>,
}

/// A host-owned output buffer leased to the plugin for one sid; a NULL ptr means acquire
/// failed and the plugin answers another way.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrBufferLease {
    /// Writable buffer of cap bytes; NULL when acquire failed.
    pub ptr: *mut u8,
    /// Capacity in bytes.
    pub cap: u64,
    /// Passed back to commit_result_buffer.
    pub token: u64,
}

/// Callbacks the host gives the plugin in init().
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrHostVTable {
    /// Sends a result frame (copying a borrowed payload).
    pub send_result: ::core::option::Option<NrSendResultFn>,
    /// Sends a result frame without a copy.
    pub send_result_owned: ::core::option::Option<NrSendResultOwnedFn>,
    /// Leases a host output buffer.
    pub acquire_result_buffer: ::core::option::Option<NrAcquireResultBufferFn>,
    /// Answers with a leased buffer.
    pub commit_result_buffer: ::core::option::Option<NrCommitResultBufferFn>,
}

/// The plugin's entry points, in ABI order; a NULL slot means not supported. resolve_entry
/// and handle_by_id are both NULL or both set.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrPluginVTable {
    /// Initialisation.
    pub init: ::core::option::Option<NrInitFn>,
    /// Request by entry name.
    pub handle: ::core::option::Option<NrHandleFn>,
    /// Shutdown.
    pub shutdown: ::core::option::Option<NrShutdownFn>,
    /// Inbound bidirectional frame.
    pub stream_data: ::core::option::Option<NrStreamDataFn>,
    /// Inbound half-close.
    pub stream_close: ::core::option::Option<NrStreamCloseFn>,
    /// Integer dispatch: name to id.
    pub resolve_entry: ::core::option::Option<NrResolveEntryFn>,
    /// Integer dispatch: request by id.
    pub handle_by_id: ::core::option::Option<NrHandleByIdFn>,
}

/// What nylon_ring_get_plugin() returns. Append-only: a host accepts struct_size >= 56, and
/// existing fields never move.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrPluginInfo {
    /// NR_ABI_VERSION (exactly 2).
    pub abi_version: u32,
    /// sizeof(NrPluginInfo) as the plugin was compiled; at least 56.
    pub struct_size: u32,
    /// Plugin name (UTF-8).
    pub name: NrStr,
    /// Plugin version (UTF-8).
    pub version: NrStr,
    /// Plugin-owned context (the ABI 2 calls do not pass it back).
    pub plugin_ctx: *mut c_void,
    /// Entry points; never NULL.
    pub vtable: *const NrPluginVTable,
}

// SAFETY: a plugin hands this out from a `static` whose pointers refer to immutable
// static data (or to a context it synchronises itself), so sharing it is sound.
unsafe impl Send for NrPluginInfo {}
unsafe impl Sync for NrPluginInfo {}

/// Sizes, alignments and field offsets as the plugin's own compiler laid them out: for each
/// struct in schema order, its size, its alignment, then the offset of each field.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrLayoutProbe {
    /// NR_LAYOUT_PROBE_VERSION.
    pub probe_version: u32,
    /// Number of entries in values.
    pub count: u32,
    /// The table.
    pub values: *const u32,
}

// SAFETY: a plugin hands this out from a `static` whose pointers refer to immutable
// static data (or to a context it synchronises itself), so sharing it is sound.
unsafe impl Send for NrLayoutProbe {}
unsafe impl Sync for NrLayoutProbe {}

/// Frees an owned NrVecU8 with its producer's allocator.
pub type NrVecU8DropFn = unsafe extern "C" fn(ptr: *mut u8, len: usize, cap: usize);

/// Gives an NrOwnedBytes buffer back to its producer; called exactly once, from any thread.
pub type NrReleaseFn = unsafe extern "C" fn(owner_ctx: *mut c_void, ptr: *const u8, len: u64);

/// Delivers one result frame for a stream id; callable from any thread. A borrowed payload
/// is copied before it returns. Returns Backpressure (not terminal) when a stream's queue
/// is full, Invalid for an unknown sid.
pub type NrSendResultFn = unsafe extern "C" fn(
    host_ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrVecU8,
) -> NrStatusRaw;

/// Delivers one result frame without a copy; the host calls payload.release exactly once
/// when it is done with the bytes.
pub type NrSendResultOwnedFn = unsafe extern "C" fn(
    host_ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrOwnedBytes,
) -> NrStatusRaw;

/// Leases a host buffer of at least capacity bytes for the answer of a unary sid; fails
/// (NULL ptr) for an unknown or streaming sid or when a lease is already out.
pub type NrAcquireResultBufferFn =
    unsafe extern "C" fn(host_ctx: *mut c_void, sid: u64, capacity: u64) -> NrBufferLease;

/// Answers sid with the first initialized_len bytes of its lease. A failed commit (bad
/// token, initialized_len > cap) keeps the lease; a consumed lease gives Invalid.
pub type NrCommitResultBufferFn = unsafe extern "C" fn(
    host_ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    token: u64,
    initialized_len: u64,
) -> NrStatusRaw;

/// Initialises the plugin and stores the host callbacks; anything but Ok is a load error.
pub type NrInitFn =
    unsafe extern "C" fn(host_ctx: *mut c_void, host_vtable: *const NrHostVTable) -> NrStatusRaw;

/// Starts a request; returns at once. Ok means results follow through the host vtable for
/// sid; anything else means nothing follows.
pub type NrHandleFn = unsafe extern "C" fn(entry: NrStr, sid: u64, payload: NrBytes) -> NrStatusRaw;

/// Stops the plugin; after it returns the plugin calls nothing on the host.
pub type NrShutdownFn = unsafe extern "C" fn();

/// Delivers one inbound frame of a bidirectional stream.
pub type NrStreamDataFn = unsafe extern "C" fn(sid: u64, data: NrBytes) -> NrStatusRaw;

/// Ends the inbound half of a bidirectional stream; the plugin still sends a terminal
/// frame.
pub type NrStreamCloseFn = unsafe extern "C" fn(sid: u64) -> NrStatusRaw;

/// Maps an entry name to an id that stays valid for the loaded instance; NR_ENTRY_UNKNOWN
/// for an unknown name.
pub type NrResolveEntryFn = unsafe extern "C" fn(entry: NrStr) -> u32;

/// Starts a request by entry id; behaves exactly like handle() with the name the id was
/// resolved from.
pub type NrHandleByIdFn = unsafe extern "C" fn(id: u32, sid: u64, payload: NrBytes) -> NrStatusRaw;

/// Signature of the entry symbol.
pub type NrGetPluginFn = unsafe extern "C" fn() -> *const NrPluginInfo;

/// Signature of the optional embedded manifest.
pub type NrGetManifestFn = unsafe extern "C" fn() -> *const u8;

/// Signature of the optional layout probe.
pub type NrGetLayoutProbeFn = unsafe extern "C" fn() -> *const NrLayoutProbe;

// ---- exported symbols: NUL-terminated names for dlsym/GetProcAddress ----

/// The one required export: returns the plugin's static NrPluginInfo (never NULL).
/// Type: [`NrGetPluginFn`].
pub const NYLON_RING_GET_PLUGIN_SYMBOL: &[u8] = b"nylon_ring_get_plugin\0";

/// Optional, additive: reports the plugin's own layout table so a host can reject a plugin
/// built against drifted bindings. Released hosts ignore it.
/// Type: [`NrGetLayoutProbeFn`].
pub const NYLON_RING_LAYOUT_PROBE_V2_SYMBOL: &[u8] = b"nylon_ring_layout_probe_v2\0";

/// Optional, additive: a NUL-terminated UTF-8 TOML text in the nylon-ring.toml manifest
/// format, describing the plugin's entries, so a released library is self-describing for
/// conformance. Released hosts ignore it.
/// Type: [`NrGetManifestFn`].
pub const NYLON_RING_MANIFEST_SYMBOL: &[u8] = b"nylon_ring_manifest\0";

impl NrStr {
    /// The empty view: NULL pointer, length 0.
    pub const EMPTY: NrStr = NrStr {
        ptr: core::ptr::null(),
        len: 0,
        reserved: 0,
    };

    /// A view of `s`, or `None` when `s` is longer than `u32::MAX` bytes.
    pub const fn try_new(s: &str) -> Option<NrStr> {
        if s.len() > u32::MAX as usize {
            None
        } else {
            Some(NrStr {
                ptr: s.as_ptr(),
                len: s.len() as u32,
                reserved: 0,
            })
        }
    }

    /// A view of `s`. A string longer than `u32::MAX` bytes cannot cross the ABI whole;
    /// it is cut to the longest prefix ending on a character boundary, so the view
    /// stays valid UTF-8 (use [`NrStr::try_new`] to refuse instead).
    pub const fn new(s: &str) -> NrStr {
        let bytes = s.as_bytes();
        let mut len = bytes.len();
        if len > u32::MAX as usize {
            len = u32::MAX as usize;
            while len > 0 && (bytes[len] & 0xC0) == 0x80 {
                len -= 1;
            }
        }
        NrStr {
            ptr: bytes.as_ptr(),
            len: len as u32,
            reserved: 0,
        }
    }

    /// [`NrStr::new`] under the name seed-era plugins use.
    #[allow(clippy::should_implement_trait)]
    pub const fn from_str(s: &str) -> NrStr {
        NrStr::new(s)
    }

    /// The viewed bytes; `None` for a NULL pointer with a non-zero length.
    ///
    /// # Safety
    /// A non-NULL `ptr` must point to `len` readable bytes that stay valid and
    /// unchanged while the result is used (at most for the call that passed the view).
    pub unsafe fn try_as_bytes(&self) -> Option<&[u8]> {
        if self.len == 0 {
            return Some(&[]);
        }
        if self.ptr.is_null() {
            return None;
        }
        // SAFETY: non-NULL and `len` bytes readable, per this function's contract.
        Some(unsafe { core::slice::from_raw_parts(self.ptr, self.len as usize) })
    }

    /// The viewed string, checked: `None` when the bytes are not UTF-8 or the pointer
    /// is NULL with a non-zero length. Never assumes UTF-8.
    ///
    /// # Safety
    /// As for [`NrStr::try_as_bytes`].
    pub unsafe fn as_str(&self) -> Option<&str> {
        // SAFETY: forwarded contract.
        let bytes = unsafe { self.try_as_bytes() }?;
        core::str::from_utf8(bytes).ok()
    }
}

impl Default for NrStr {
    fn default() -> Self {
        NrStr::EMPTY
    }
}

impl NrBytes {
    /// The empty view: NULL pointer, length 0.
    pub const EMPTY: NrBytes = NrBytes {
        ptr: core::ptr::null(),
        len: 0,
    };

    /// A view of `data`.
    pub const fn from_slice(data: &[u8]) -> NrBytes {
        NrBytes {
            ptr: data.as_ptr(),
            len: data.len() as u64,
        }
    }

    /// The viewed bytes, checked: `None` for a NULL pointer with a non-zero length or
    /// a length this target cannot address. A NULL pointer with length 0 is empty.
    ///
    /// # Safety
    /// A non-NULL `ptr` must point to `len` readable bytes that stay valid and
    /// unchanged while the result is used (at most for the call that passed the view).
    pub unsafe fn try_as_slice(&self) -> Option<&[u8]> {
        if self.len == 0 {
            return Some(&[]);
        }
        if self.ptr.is_null() || self.len > isize::MAX as u64 {
            return None;
        }
        let len = usize::try_from(self.len).ok()?;
        // SAFETY: non-NULL and `len` bytes readable, per this function's contract.
        Some(unsafe { core::slice::from_raw_parts(self.ptr, len) })
    }

    /// The viewed bytes; empty when [`NrBytes::try_as_slice`] would say `None`.
    ///
    /// # Safety
    /// As for [`NrBytes::try_as_slice`].
    pub unsafe fn as_slice(&self) -> &[u8] {
        // SAFETY: forwarded contract.
        unsafe { self.try_as_slice() }.unwrap_or(&[])
    }
}

impl Default for NrBytes {
    fn default() -> Self {
        NrBytes::EMPTY
    }
}

// ---- layout checks: the numbers come from nylon-ring's layout engine ----

// LP64/LLP64
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<NrStr>() == 16, "NrStr size");
    assert!(align_of::<NrStr>() == 8, "NrStr align");
    assert!(offset_of!(NrStr, ptr) == 0, "NrStr.ptr offset");
    assert!(offset_of!(NrStr, len) == 8, "NrStr.len offset");
    assert!(offset_of!(NrStr, reserved) == 12, "NrStr.reserved offset");
    assert!(size_of::<NrBytes>() == 16, "NrBytes size");
    assert!(align_of::<NrBytes>() == 8, "NrBytes align");
    assert!(offset_of!(NrBytes, ptr) == 0, "NrBytes.ptr offset");
    assert!(offset_of!(NrBytes, len) == 8, "NrBytes.len offset");
    assert!(size_of::<NrVecU8>() == 40, "NrVecU8 size");
    assert!(align_of::<NrVecU8>() == 8, "NrVecU8 align");
    assert!(offset_of!(NrVecU8, ptr) == 0, "NrVecU8.ptr offset");
    assert!(offset_of!(NrVecU8, len) == 8, "NrVecU8.len offset");
    assert!(offset_of!(NrVecU8, cap) == 16, "NrVecU8.cap offset");
    assert!(offset_of!(NrVecU8, owned) == 24, "NrVecU8.owned offset");
    assert!(
        offset_of!(NrVecU8, reserved) == 25,
        "NrVecU8.reserved offset"
    );
    assert!(offset_of!(NrVecU8, drop_fn) == 32, "NrVecU8.drop_fn offset");
    assert!(size_of::<NrOwnedBytes>() == 32, "NrOwnedBytes size");
    assert!(align_of::<NrOwnedBytes>() == 8, "NrOwnedBytes align");
    assert!(
        offset_of!(NrOwnedBytes, ptr) == 0,
        "NrOwnedBytes.ptr offset"
    );
    assert!(
        offset_of!(NrOwnedBytes, len) == 8,
        "NrOwnedBytes.len offset"
    );
    assert!(
        offset_of!(NrOwnedBytes, owner_ctx) == 16,
        "NrOwnedBytes.owner_ctx offset"
    );
    assert!(
        offset_of!(NrOwnedBytes, release) == 24,
        "NrOwnedBytes.release offset"
    );
    assert!(size_of::<NrBufferLease>() == 24, "NrBufferLease size");
    assert!(align_of::<NrBufferLease>() == 8, "NrBufferLease align");
    assert!(
        offset_of!(NrBufferLease, ptr) == 0,
        "NrBufferLease.ptr offset"
    );
    assert!(
        offset_of!(NrBufferLease, cap) == 8,
        "NrBufferLease.cap offset"
    );
    assert!(
        offset_of!(NrBufferLease, token) == 16,
        "NrBufferLease.token offset"
    );
    assert!(size_of::<NrHostVTable>() == 32, "NrHostVTable size");
    assert!(align_of::<NrHostVTable>() == 8, "NrHostVTable align");
    assert!(
        offset_of!(NrHostVTable, send_result) == 0,
        "NrHostVTable.send_result offset"
    );
    assert!(
        offset_of!(NrHostVTable, send_result_owned) == 8,
        "NrHostVTable.send_result_owned offset"
    );
    assert!(
        offset_of!(NrHostVTable, acquire_result_buffer) == 16,
        "NrHostVTable.acquire_result_buffer offset"
    );
    assert!(
        offset_of!(NrHostVTable, commit_result_buffer) == 24,
        "NrHostVTable.commit_result_buffer offset"
    );
    assert!(size_of::<NrPluginVTable>() == 56, "NrPluginVTable size");
    assert!(align_of::<NrPluginVTable>() == 8, "NrPluginVTable align");
    assert!(
        offset_of!(NrPluginVTable, init) == 0,
        "NrPluginVTable.init offset"
    );
    assert!(
        offset_of!(NrPluginVTable, handle) == 8,
        "NrPluginVTable.handle offset"
    );
    assert!(
        offset_of!(NrPluginVTable, shutdown) == 16,
        "NrPluginVTable.shutdown offset"
    );
    assert!(
        offset_of!(NrPluginVTable, stream_data) == 24,
        "NrPluginVTable.stream_data offset"
    );
    assert!(
        offset_of!(NrPluginVTable, stream_close) == 32,
        "NrPluginVTable.stream_close offset"
    );
    assert!(
        offset_of!(NrPluginVTable, resolve_entry) == 40,
        "NrPluginVTable.resolve_entry offset"
    );
    assert!(
        offset_of!(NrPluginVTable, handle_by_id) == 48,
        "NrPluginVTable.handle_by_id offset"
    );
    assert!(size_of::<NrPluginInfo>() == 56, "NrPluginInfo size");
    assert!(align_of::<NrPluginInfo>() == 8, "NrPluginInfo align");
    assert!(
        offset_of!(NrPluginInfo, abi_version) == 0,
        "NrPluginInfo.abi_version offset"
    );
    assert!(
        offset_of!(NrPluginInfo, struct_size) == 4,
        "NrPluginInfo.struct_size offset"
    );
    assert!(
        offset_of!(NrPluginInfo, name) == 8,
        "NrPluginInfo.name offset"
    );
    assert!(
        offset_of!(NrPluginInfo, version) == 24,
        "NrPluginInfo.version offset"
    );
    assert!(
        offset_of!(NrPluginInfo, plugin_ctx) == 40,
        "NrPluginInfo.plugin_ctx offset"
    );
    assert!(
        offset_of!(NrPluginInfo, vtable) == 48,
        "NrPluginInfo.vtable offset"
    );
    assert!(size_of::<NrLayoutProbe>() == 16, "NrLayoutProbe size");
    assert!(align_of::<NrLayoutProbe>() == 8, "NrLayoutProbe align");
    assert!(
        offset_of!(NrLayoutProbe, probe_version) == 0,
        "NrLayoutProbe.probe_version offset"
    );
    assert!(
        offset_of!(NrLayoutProbe, count) == 4,
        "NrLayoutProbe.count offset"
    );
    assert!(
        offset_of!(NrLayoutProbe, values) == 8,
        "NrLayoutProbe.values offset"
    );
};

// ---- layout probe ----

/// The layout probe table as this compiler laid the structs out: for each struct in
/// schema order its size, its alignment, then the offset of each field.
pub static NR_LAYOUT_PROBE_VALUES: [u32; 56] = [
    size_of::<NrStr>() as u32,
    align_of::<NrStr>() as u32,
    offset_of!(NrStr, ptr) as u32,
    offset_of!(NrStr, len) as u32,
    offset_of!(NrStr, reserved) as u32,
    size_of::<NrBytes>() as u32,
    align_of::<NrBytes>() as u32,
    offset_of!(NrBytes, ptr) as u32,
    offset_of!(NrBytes, len) as u32,
    size_of::<NrVecU8>() as u32,
    align_of::<NrVecU8>() as u32,
    offset_of!(NrVecU8, ptr) as u32,
    offset_of!(NrVecU8, len) as u32,
    offset_of!(NrVecU8, cap) as u32,
    offset_of!(NrVecU8, owned) as u32,
    offset_of!(NrVecU8, reserved) as u32,
    offset_of!(NrVecU8, drop_fn) as u32,
    size_of::<NrOwnedBytes>() as u32,
    align_of::<NrOwnedBytes>() as u32,
    offset_of!(NrOwnedBytes, ptr) as u32,
    offset_of!(NrOwnedBytes, len) as u32,
    offset_of!(NrOwnedBytes, owner_ctx) as u32,
    offset_of!(NrOwnedBytes, release) as u32,
    size_of::<NrBufferLease>() as u32,
    align_of::<NrBufferLease>() as u32,
    offset_of!(NrBufferLease, ptr) as u32,
    offset_of!(NrBufferLease, cap) as u32,
    offset_of!(NrBufferLease, token) as u32,
    size_of::<NrHostVTable>() as u32,
    align_of::<NrHostVTable>() as u32,
    offset_of!(NrHostVTable, send_result) as u32,
    offset_of!(NrHostVTable, send_result_owned) as u32,
    offset_of!(NrHostVTable, acquire_result_buffer) as u32,
    offset_of!(NrHostVTable, commit_result_buffer) as u32,
    size_of::<NrPluginVTable>() as u32,
    align_of::<NrPluginVTable>() as u32,
    offset_of!(NrPluginVTable, init) as u32,
    offset_of!(NrPluginVTable, handle) as u32,
    offset_of!(NrPluginVTable, shutdown) as u32,
    offset_of!(NrPluginVTable, stream_data) as u32,
    offset_of!(NrPluginVTable, stream_close) as u32,
    offset_of!(NrPluginVTable, resolve_entry) as u32,
    offset_of!(NrPluginVTable, handle_by_id) as u32,
    size_of::<NrPluginInfo>() as u32,
    align_of::<NrPluginInfo>() as u32,
    offset_of!(NrPluginInfo, abi_version) as u32,
    offset_of!(NrPluginInfo, struct_size) as u32,
    offset_of!(NrPluginInfo, name) as u32,
    offset_of!(NrPluginInfo, version) as u32,
    offset_of!(NrPluginInfo, plugin_ctx) as u32,
    offset_of!(NrPluginInfo, vtable) as u32,
    size_of::<NrLayoutProbe>() as u32,
    align_of::<NrLayoutProbe>() as u32,
    offset_of!(NrLayoutProbe, probe_version) as u32,
    offset_of!(NrLayoutProbe, count) as u32,
    offset_of!(NrLayoutProbe, values) as u32,
];

/// What `nylon_ring_layout_probe_v2` returns.
pub static NR_LAYOUT_PROBE: NrLayoutProbe = NrLayoutProbe {
    probe_version: NR_LAYOUT_PROBE_VERSION,
    count: NR_LAYOUT_PROBE_VALUES.len() as u32,
    values: NR_LAYOUT_PROBE_VALUES.as_ptr(),
};

/// Optional, additive: reports the plugin's own layout table so a host can reject a plugin
/// built against drifted bindings. Released hosts ignore it.
///
/// Defines that export; invoke it once in a plugin crate with the path of this module,
/// e.g. `nr_define_layout_probe!(crate::nylon_ring_abi);`.
#[macro_export]
macro_rules! nr_define_layout_probe {
    ($($abi:ident)::+) => {
        /// The plugin's own layout table (optional nylon-ring export).
        #[unsafe(no_mangle)]
        pub extern "C" fn nylon_ring_layout_probe_v2() -> *const $($abi)::+::NrLayoutProbe {
            &$($abi)::+::NR_LAYOUT_PROBE
        }
    };
}
