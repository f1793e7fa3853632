// Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 1

//! Rust declarations of the nylon-ring ABI v1.
//!
//! nylon-ring: an ABI-stable host/plugin interface for high-performance proxies.
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

/// The ABI version a plugin writes into NrPluginInfo.abi_version and a host requires.
pub const NR_ABI_VERSION: u32 = 1;
/// Version of the NrLayoutProbe table format.
pub const NR_LAYOUT_PROBE_VERSION: u32 = 1;

/// Outcome of a call or of one result frame.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NrStatus {
    /// Success; for streams, one more frame follows.
    Ok = 0,
    /// Runtime error (also what a caught panic or exception becomes).
    Err = 1,
    /// Bad input: malformed request, NULL pointer, unknown stream id.
    Invalid = 2,
    /// The operation or entry is not implemented.
    Unsupported = 3,
    /// Normal end of a stream: the terminal frame.
    StreamEnd = 4,
}

/// `NrStatus` as it crosses the ABI: any `u32`, checked by [`NrStatus::from_raw`].
pub type NrStatusRaw = u32;

impl NrStatus {
    /// Every value, in schema order.
    pub const ALL: [NrStatus; 5] = [
        NrStatus::Ok,
        NrStatus::Err,
        NrStatus::Invalid,
        NrStatus::Unsupported,
        NrStatus::StreamEnd,
    ];

    /// The enum for a raw value, or `None` when foreign code sent a value outside the enum.
    pub const fn from_raw(raw: NrStatusRaw) -> ::core::option::Option<Self> {
        match raw {
            0 => ::core::option::Option::Some(NrStatus::Ok),
            1 => ::core::option::Option::Some(NrStatus::Err),
            2 => ::core::option::Option::Some(NrStatus::Invalid),
            3 => ::core::option::Option::Some(NrStatus::Unsupported),
            4 => ::core::option::Option::Some(NrStatus::StreamEnd),
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
    /// First byte; may be NULL when len is 0.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: u32,
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

/// One HTTP-style header: a key and a value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrHeader {
    /// Header name.
    pub key: NrStr,
    /// Header value.
    pub value: NrStr,
}

/// Request metadata passed to handle(); HTTP-centric but protocol-neutral.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrRequest {
    /// Request path, e.g. /api/v1/items.
    pub path: NrStr,
    /// Request method, e.g. GET.
    pub method: NrStr,
    /// Raw query string without the leading '?'.
    pub query: NrStr,
    /// Array of headers_len headers; may be NULL when headers_len is 0.
    pub headers: *const NrHeader,
    /// Number of headers.
    pub headers_len: u32,
    /// Reserved; zero.
    pub _reserved0: u32,
    /// Reserved; zero.
    pub _reserved1: u64,
}

/// Callbacks the host gives the plugin in init().
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrHostVTable {
    /// Sends a result frame; never NULL from a conforming host.
    pub send_result: ::core::option::Option<NrSendResultFn>,
}

/// Optional host extension: per-sid state, dropped by the host when the sid completes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrHostExt {
    /// Stores per-sid state.
    pub set_state: ::core::option::Option<NrSetStateFn>,
    /// Reads per-sid state.
    pub get_state: ::core::option::Option<NrGetStateFn>,
}

/// The plugin's entry points, in ABI order; every slot may be NULL except init and one of
/// handle/handle_raw.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrPluginVTable {
    /// Initialisation; required.
    pub init: ::core::option::Option<NrInitFn>,
    /// Request with metadata.
    pub handle: ::core::option::Option<NrHandleFn>,
    /// Request without metadata (the raw fast path).
    pub handle_raw: ::core::option::Option<NrHandleRawFn>,
    /// Shutdown.
    pub shutdown: ::core::option::Option<NrShutdownFn>,
    /// Inbound bidirectional frame.
    pub stream_data: ::core::option::Option<NrStreamDataFn>,
    /// Inbound half-close.
    pub stream_close: ::core::option::Option<NrStreamCloseFn>,
}

/// What nylon_ring_get_plugin_v1() returns: identity, context and vtable of the plugin.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrPluginInfo {
    /// NR_ABI_VERSION.
    pub abi_version: u32,
    /// sizeof(NrPluginInfo) as the plugin was compiled.
    pub struct_size: u32,
    /// Plugin name (UTF-8).
    pub name: NrStr,
    /// Plugin version (UTF-8).
    pub version: NrStr,
    /// Plugin-owned context passed back on every call.
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

/// Delivers one result frame for a stream id; callable from any thread. The payload is
/// borrowed for the call: the host copies it.
pub type NrSendResultFn =
    unsafe extern "C" fn(host_ctx: *mut c_void, sid: u64, status: NrStatusRaw, payload: NrBytes);

/// Stores a value under key in the per-sid state; returns a view of the stored copy.
pub type NrSetStateFn =
    unsafe extern "C" fn(host_ctx: *mut c_void, sid: u64, key: NrStr, value: NrBytes) -> NrBytes;

/// Reads the value stored under key for sid; an empty view when absent. The view points
/// into host storage.
pub type NrGetStateFn =
    unsafe extern "C" fn(host_ctx: *mut c_void, sid: u64, key: NrStr) -> NrBytes;

/// Initialises the plugin and stores the host callbacks; anything but Ok is a load error.
pub type NrInitFn = unsafe extern "C" fn(
    plugin_ctx: *mut c_void,
    host_ctx: *mut c_void,
    host_vtable: *const NrHostVTable,
) -> NrStatusRaw;

/// Starts a request; returns at once. Ok means results follow through send_result for sid;
/// anything else means nothing follows.
pub type NrHandleFn = unsafe extern "C" fn(
    plugin_ctx: *mut c_void,
    entry: NrStr,
    sid: u64,
    req: *const NrRequest,
    payload: NrBytes,
) -> NrStatusRaw;

/// Starts a request without request metadata (the raw fast path); same contract as handle.
pub type NrHandleRawFn = unsafe extern "C" fn(
    plugin_ctx: *mut c_void,
    entry: NrStr,
    sid: u64,
    payload: NrBytes,
) -> NrStatusRaw;

/// Stops the plugin; after it returns the plugin calls nothing on the host.
pub type NrShutdownFn = unsafe extern "C" fn(plugin_ctx: *mut c_void);

/// Delivers one inbound frame of a bidirectional stream; Invalid for an unknown sid.
pub type NrStreamDataFn =
    unsafe extern "C" fn(plugin_ctx: *mut c_void, sid: u64, data: NrBytes) -> NrStatusRaw;

/// Ends the inbound half of a bidirectional stream; the plugin still sends a terminal
/// frame. Invalid for an unknown sid.
pub type NrStreamCloseFn = unsafe extern "C" fn(plugin_ctx: *mut c_void, sid: u64) -> NrStatusRaw;

/// Signature of the entry symbol.
pub type NrGetPluginFn = unsafe extern "C" fn() -> *const NrPluginInfo;

/// Signature of the optional state-extension hand-over.
pub type NrSetHostExtFn = unsafe extern "C" fn(ext: *const NrHostExt);

/// Signature of the optional embedded manifest.
pub type NrGetManifestFn = unsafe extern "C" fn() -> *const u8;

/// Signature of the optional layout probe.
pub type NrGetLayoutProbeFn = unsafe extern "C" fn() -> *const NrLayoutProbe;

// ---- exported symbols: NUL-terminated names for dlsym/GetProcAddress ----

/// The one required export: returns the plugin's static NrPluginInfo (never NULL).
/// Type: [`NrGetPluginFn`].
pub const NYLON_RING_GET_PLUGIN_V1_SYMBOL: &[u8] = b"nylon_ring_get_plugin_v1\0";

/// Optional, additive: a host that offers the state extension calls it once, before init,
/// with a pointer valid until shutdown returns. Old hosts never call it (the plugin then
/// has no state); old plugins do not export it (the host skips it).
/// Type: [`NrSetHostExtFn`].
pub const NYLON_RING_SET_HOST_EXT_V1_SYMBOL: &[u8] = b"nylon_ring_set_host_ext_v1\0";

/// Optional, additive: reports the plugin's own layout table so a host can reject a plugin
/// built against drifted bindings.
/// Type: [`NrGetLayoutProbeFn`].
pub const NYLON_RING_LAYOUT_PROBE_V1_SYMBOL: &[u8] = b"nylon_ring_layout_probe_v1\0";

/// Optional, additive: a NUL-terminated UTF-8 TOML text in the nylon-ring.toml manifest
/// format, describing the plugin's entries, so a released library is self-describing for
/// conformance. Hosts that do not know it ignore it.
/// Type: [`NrGetManifestFn`].
pub const NYLON_RING_MANIFEST_SYMBOL: &[u8] = b"nylon_ring_manifest\0";

impl NrStr {
    /// The empty view: NULL pointer, length 0.
    pub const EMPTY: NrStr = NrStr {
        ptr: core::ptr::null(),
        len: 0,
    };

    /// A view of `s`, or `None` when `s` is longer than `u32::MAX` bytes.
    pub const fn try_new(s: &str) -> Option<NrStr> {
        if s.len() > u32::MAX as usize {
            None
        } else {
            Some(NrStr {
                ptr: s.as_ptr(),
                len: s.len() as u32,
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

impl NrHeader {
    /// A header viewing `key` and `value`.
    pub const fn new(key: &str, value: &str) -> NrHeader {
        NrHeader {
            key: NrStr::new(key),
            value: NrStr::new(value),
        }
    }
}

impl NrRequest {
    /// A request viewing borrowed parts, reserved fields zero. More than `u32::MAX`
    /// headers cannot cross the ABI; the view then holds the first `u32::MAX`.
    pub const fn build(method: &str, path: &str, query: &str, headers: &[NrHeader]) -> NrRequest {
        let count = if headers.len() > u32::MAX as usize {
            u32::MAX
        } else {
            headers.len() as u32
        };
        NrRequest {
            path: NrStr::new(path),
            method: NrStr::new(method),
            query: NrStr::new(query),
            headers: if count == 0 {
                core::ptr::null()
            } else {
                headers.as_ptr()
            },
            headers_len: count,
            _reserved0: 0,
            _reserved1: 0,
        }
    }

    /// The headers, checked: `None` for a NULL pointer with a non-zero count.
    ///
    /// # Safety
    /// A non-NULL `headers` must point to `headers_len` readable headers that stay
    /// valid while the result is used (at most for the call that passed the request).
    pub unsafe fn headers_slice(&self) -> Option<&[NrHeader]> {
        if self.headers_len == 0 {
            return Some(&[]);
        }
        if self.headers.is_null() {
            return None;
        }
        // SAFETY: non-NULL and `headers_len` headers readable, per this function's contract.
        Some(unsafe { core::slice::from_raw_parts(self.headers, self.headers_len as usize) })
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
    assert!(size_of::<NrBytes>() == 16, "NrBytes size");
    assert!(align_of::<NrBytes>() == 8, "NrBytes align");
    assert!(offset_of!(NrBytes, ptr) == 0, "NrBytes.ptr offset");
    assert!(offset_of!(NrBytes, len) == 8, "NrBytes.len offset");
    assert!(size_of::<NrHeader>() == 32, "NrHeader size");
    assert!(align_of::<NrHeader>() == 8, "NrHeader align");
    assert!(offset_of!(NrHeader, key) == 0, "NrHeader.key offset");
    assert!(offset_of!(NrHeader, value) == 16, "NrHeader.value offset");
    assert!(size_of::<NrRequest>() == 72, "NrRequest size");
    assert!(align_of::<NrRequest>() == 8, "NrRequest align");
    assert!(offset_of!(NrRequest, path) == 0, "NrRequest.path offset");
    assert!(
        offset_of!(NrRequest, method) == 16,
        "NrRequest.method offset"
    );
    assert!(offset_of!(NrRequest, query) == 32, "NrRequest.query offset");
    assert!(
        offset_of!(NrRequest, headers) == 48,
        "NrRequest.headers offset"
    );
    assert!(
        offset_of!(NrRequest, headers_len) == 56,
        "NrRequest.headers_len offset"
    );
    assert!(
        offset_of!(NrRequest, _reserved0) == 60,
        "NrRequest._reserved0 offset"
    );
    assert!(
        offset_of!(NrRequest, _reserved1) == 64,
        "NrRequest._reserved1 offset"
    );
    assert!(size_of::<NrHostVTable>() == 8, "NrHostVTable size");
    assert!(align_of::<NrHostVTable>() == 8, "NrHostVTable align");
    assert!(
        offset_of!(NrHostVTable, send_result) == 0,
        "NrHostVTable.send_result offset"
    );
    assert!(size_of::<NrHostExt>() == 16, "NrHostExt size");
    assert!(align_of::<NrHostExt>() == 8, "NrHostExt align");
    assert!(
        offset_of!(NrHostExt, set_state) == 0,
        "NrHostExt.set_state offset"
    );
    assert!(
        offset_of!(NrHostExt, get_state) == 8,
        "NrHostExt.get_state offset"
    );
    assert!(size_of::<NrPluginVTable>() == 48, "NrPluginVTable size");
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
        offset_of!(NrPluginVTable, handle_raw) == 16,
        "NrPluginVTable.handle_raw offset"
    );
    assert!(
        offset_of!(NrPluginVTable, shutdown) == 24,
        "NrPluginVTable.shutdown offset"
    );
    assert!(
        offset_of!(NrPluginVTable, stream_data) == 32,
        "NrPluginVTable.stream_data offset"
    );
    assert!(
        offset_of!(NrPluginVTable, stream_close) == 40,
        "NrPluginVTable.stream_close offset"
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

// ILP32-I386
#[cfg(all(target_pointer_width = "32", target_arch = "x86", not(windows)))]
const _: () = {
    assert!(size_of::<NrStr>() == 8, "NrStr size");
    assert!(align_of::<NrStr>() == 4, "NrStr align");
    assert!(offset_of!(NrStr, ptr) == 0, "NrStr.ptr offset");
    assert!(offset_of!(NrStr, len) == 4, "NrStr.len offset");
    assert!(size_of::<NrBytes>() == 12, "NrBytes size");
    assert!(align_of::<NrBytes>() == 4, "NrBytes align");
    assert!(offset_of!(NrBytes, ptr) == 0, "NrBytes.ptr offset");
    assert!(offset_of!(NrBytes, len) == 4, "NrBytes.len offset");
    assert!(size_of::<NrHeader>() == 16, "NrHeader size");
    assert!(align_of::<NrHeader>() == 4, "NrHeader align");
    assert!(offset_of!(NrHeader, key) == 0, "NrHeader.key offset");
    assert!(offset_of!(NrHeader, value) == 8, "NrHeader.value offset");
    assert!(size_of::<NrRequest>() == 44, "NrRequest size");
    assert!(align_of::<NrRequest>() == 4, "NrRequest align");
    assert!(offset_of!(NrRequest, path) == 0, "NrRequest.path offset");
    assert!(
        offset_of!(NrRequest, method) == 8,
        "NrRequest.method offset"
    );
    assert!(offset_of!(NrRequest, query) == 16, "NrRequest.query offset");
    assert!(
        offset_of!(NrRequest, headers) == 24,
        "NrRequest.headers offset"
    );
    assert!(
        offset_of!(NrRequest, headers_len) == 28,
        "NrRequest.headers_len offset"
    );
    assert!(
        offset_of!(NrRequest, _reserved0) == 32,
        "NrRequest._reserved0 offset"
    );
    assert!(
        offset_of!(NrRequest, _reserved1) == 36,
        "NrRequest._reserved1 offset"
    );
    assert!(size_of::<NrHostVTable>() == 4, "NrHostVTable size");
    assert!(align_of::<NrHostVTable>() == 4, "NrHostVTable align");
    assert!(
        offset_of!(NrHostVTable, send_result) == 0,
        "NrHostVTable.send_result offset"
    );
    assert!(size_of::<NrHostExt>() == 8, "NrHostExt size");
    assert!(align_of::<NrHostExt>() == 4, "NrHostExt align");
    assert!(
        offset_of!(NrHostExt, set_state) == 0,
        "NrHostExt.set_state offset"
    );
    assert!(
        offset_of!(NrHostExt, get_state) == 4,
        "NrHostExt.get_state offset"
    );
    assert!(size_of::<NrPluginVTable>() == 24, "NrPluginVTable size");
    assert!(align_of::<NrPluginVTable>() == 4, "NrPluginVTable align");
    assert!(
        offset_of!(NrPluginVTable, init) == 0,
        "NrPluginVTable.init offset"
    );
    assert!(
        offset_of!(NrPluginVTable, handle) == 4,
        "NrPluginVTable.handle offset"
    );
    assert!(
        offset_of!(NrPluginVTable, handle_raw) == 8,
        "NrPluginVTable.handle_raw offset"
    );
    assert!(
        offset_of!(NrPluginVTable, shutdown) == 12,
        "NrPluginVTable.shutdown offset"
    );
    assert!(
        offset_of!(NrPluginVTable, stream_data) == 16,
        "NrPluginVTable.stream_data offset"
    );
    assert!(
        offset_of!(NrPluginVTable, stream_close) == 20,
        "NrPluginVTable.stream_close offset"
    );
    assert!(size_of::<NrPluginInfo>() == 32, "NrPluginInfo size");
    assert!(align_of::<NrPluginInfo>() == 4, "NrPluginInfo align");
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
        offset_of!(NrPluginInfo, version) == 16,
        "NrPluginInfo.version offset"
    );
    assert!(
        offset_of!(NrPluginInfo, plugin_ctx) == 24,
        "NrPluginInfo.plugin_ctx offset"
    );
    assert!(
        offset_of!(NrPluginInfo, vtable) == 28,
        "NrPluginInfo.vtable offset"
    );
    assert!(size_of::<NrLayoutProbe>() == 12, "NrLayoutProbe size");
    assert!(align_of::<NrLayoutProbe>() == 4, "NrLayoutProbe align");
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

// ILP32
#[cfg(all(
    target_pointer_width = "32",
    not(all(target_arch = "x86", not(windows)))
))]
const _: () = {
    assert!(size_of::<NrStr>() == 8, "NrStr size");
    assert!(align_of::<NrStr>() == 4, "NrStr align");
    assert!(offset_of!(NrStr, ptr) == 0, "NrStr.ptr offset");
    assert!(offset_of!(NrStr, len) == 4, "NrStr.len offset");
    assert!(size_of::<NrBytes>() == 16, "NrBytes size");
    assert!(align_of::<NrBytes>() == 8, "NrBytes align");
    assert!(offset_of!(NrBytes, ptr) == 0, "NrBytes.ptr offset");
    assert!(offset_of!(NrBytes, len) == 8, "NrBytes.len offset");
    assert!(size_of::<NrHeader>() == 16, "NrHeader size");
    assert!(align_of::<NrHeader>() == 4, "NrHeader align");
    assert!(offset_of!(NrHeader, key) == 0, "NrHeader.key offset");
    assert!(offset_of!(NrHeader, value) == 8, "NrHeader.value offset");
    assert!(size_of::<NrRequest>() == 48, "NrRequest size");
    assert!(align_of::<NrRequest>() == 8, "NrRequest align");
    assert!(offset_of!(NrRequest, path) == 0, "NrRequest.path offset");
    assert!(
        offset_of!(NrRequest, method) == 8,
        "NrRequest.method offset"
    );
    assert!(offset_of!(NrRequest, query) == 16, "NrRequest.query offset");
    assert!(
        offset_of!(NrRequest, headers) == 24,
        "NrRequest.headers offset"
    );
    assert!(
        offset_of!(NrRequest, headers_len) == 28,
        "NrRequest.headers_len offset"
    );
    assert!(
        offset_of!(NrRequest, _reserved0) == 32,
        "NrRequest._reserved0 offset"
    );
    assert!(
        offset_of!(NrRequest, _reserved1) == 40,
        "NrRequest._reserved1 offset"
    );
    assert!(size_of::<NrHostVTable>() == 4, "NrHostVTable size");
    assert!(align_of::<NrHostVTable>() == 4, "NrHostVTable align");
    assert!(
        offset_of!(NrHostVTable, send_result) == 0,
        "NrHostVTable.send_result offset"
    );
    assert!(size_of::<NrHostExt>() == 8, "NrHostExt size");
    assert!(align_of::<NrHostExt>() == 4, "NrHostExt align");
    assert!(
        offset_of!(NrHostExt, set_state) == 0,
        "NrHostExt.set_state offset"
    );
    assert!(
        offset_of!(NrHostExt, get_state) == 4,
        "NrHostExt.get_state offset"
    );
    assert!(size_of::<NrPluginVTable>() == 24, "NrPluginVTable size");
    assert!(align_of::<NrPluginVTable>() == 4, "NrPluginVTable align");
    assert!(
        offset_of!(NrPluginVTable, init) == 0,
        "NrPluginVTable.init offset"
    );
    assert!(
        offset_of!(NrPluginVTable, handle) == 4,
        "NrPluginVTable.handle offset"
    );
    assert!(
        offset_of!(NrPluginVTable, handle_raw) == 8,
        "NrPluginVTable.handle_raw offset"
    );
    assert!(
        offset_of!(NrPluginVTable, shutdown) == 12,
        "NrPluginVTable.shutdown offset"
    );
    assert!(
        offset_of!(NrPluginVTable, stream_data) == 16,
        "NrPluginVTable.stream_data offset"
    );
    assert!(
        offset_of!(NrPluginVTable, stream_close) == 20,
        "NrPluginVTable.stream_close offset"
    );
    assert!(size_of::<NrPluginInfo>() == 32, "NrPluginInfo size");
    assert!(align_of::<NrPluginInfo>() == 4, "NrPluginInfo align");
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
        offset_of!(NrPluginInfo, version) == 16,
        "NrPluginInfo.version offset"
    );
    assert!(
        offset_of!(NrPluginInfo, plugin_ctx) == 24,
        "NrPluginInfo.plugin_ctx offset"
    );
    assert!(
        offset_of!(NrPluginInfo, vtable) == 28,
        "NrPluginInfo.vtable offset"
    );
    assert!(size_of::<NrLayoutProbe>() == 12, "NrLayoutProbe size");
    assert!(align_of::<NrLayoutProbe>() == 4, "NrLayoutProbe align");
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
pub static NR_LAYOUT_PROBE_VALUES: [u32; 49] = [
    size_of::<NrStr>() as u32,
    align_of::<NrStr>() as u32,
    offset_of!(NrStr, ptr) as u32,
    offset_of!(NrStr, len) as u32,
    size_of::<NrBytes>() as u32,
    align_of::<NrBytes>() as u32,
    offset_of!(NrBytes, ptr) as u32,
    offset_of!(NrBytes, len) as u32,
    size_of::<NrHeader>() as u32,
    align_of::<NrHeader>() as u32,
    offset_of!(NrHeader, key) as u32,
    offset_of!(NrHeader, value) as u32,
    size_of::<NrRequest>() as u32,
    align_of::<NrRequest>() as u32,
    offset_of!(NrRequest, path) as u32,
    offset_of!(NrRequest, method) as u32,
    offset_of!(NrRequest, query) as u32,
    offset_of!(NrRequest, headers) as u32,
    offset_of!(NrRequest, headers_len) as u32,
    offset_of!(NrRequest, _reserved0) as u32,
    offset_of!(NrRequest, _reserved1) as u32,
    size_of::<NrHostVTable>() as u32,
    align_of::<NrHostVTable>() as u32,
    offset_of!(NrHostVTable, send_result) as u32,
    size_of::<NrHostExt>() as u32,
    align_of::<NrHostExt>() as u32,
    offset_of!(NrHostExt, set_state) as u32,
    offset_of!(NrHostExt, get_state) as u32,
    size_of::<NrPluginVTable>() as u32,
    align_of::<NrPluginVTable>() as u32,
    offset_of!(NrPluginVTable, init) as u32,
    offset_of!(NrPluginVTable, handle) as u32,
    offset_of!(NrPluginVTable, handle_raw) as u32,
    offset_of!(NrPluginVTable, shutdown) as u32,
    offset_of!(NrPluginVTable, stream_data) as u32,
    offset_of!(NrPluginVTable, stream_close) as u32,
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

/// What `nylon_ring_layout_probe_v1` returns.
pub static NR_LAYOUT_PROBE: NrLayoutProbe = NrLayoutProbe {
    probe_version: NR_LAYOUT_PROBE_VERSION,
    count: NR_LAYOUT_PROBE_VALUES.len() as u32,
    values: NR_LAYOUT_PROBE_VALUES.as_ptr(),
};

/// Optional, additive: reports the plugin's own layout table so a host can reject a plugin
/// built against drifted bindings.
///
/// Defines that export; invoke it once in a plugin crate with the path of this module,
/// e.g. `nr_define_layout_probe!(crate::nylon_ring_abi);`.
#[macro_export]
macro_rules! nr_define_layout_probe {
    ($($abi:ident)::+) => {
        /// The plugin's own layout table (optional nylon-ring export).
        #[unsafe(no_mangle)]
        pub extern "C" fn nylon_ring_layout_probe_v1() -> *const $($abi)::+::NrLayoutProbe {
            &$($abi)::+::NR_LAYOUT_PROBE
        }
    };
}
