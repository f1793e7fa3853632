//! Seed-era plugin code: the original handler signatures and a guarded `send_result`.
//!
//! Seed-era handlers call the host themselves, so the SDK cannot know whether a sid
//! is unary or a stream. What it does enforce: their `init` receives a host vtable
//! whose `send_result` goes through the SDK's shutdown gate (nothing reaches the host
//! after shutdown), and every handler runs behind `catch_unwind`. Per-sid rules
//! (exactly one answer, one terminal frame) are enforced only on the `Responder` API.

use core::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::connection;
use crate::nylon_ring_abi::{NrBytes, NrHostVTable, NrRequest, NrStatus, NrStatusRaw};

/// `entries` handler: `(plugin_ctx, sid, request, payload) -> status`.
pub type LegacyEntryFn = unsafe fn(*mut c_void, u64, *const NrRequest, NrBytes) -> NrStatus;
/// `raw_entries` handler: `(plugin_ctx, sid, payload) -> status`.
pub type LegacyRawFn = unsafe fn(*mut c_void, u64, NrBytes) -> NrStatus;
/// `init`: `(plugin_ctx, host_ctx, host_vtable) -> status`.
pub type LegacyInitFn = unsafe fn(*mut c_void, *mut c_void, *const NrHostVTable) -> NrStatus;
/// `shutdown`: `(plugin_ctx)`.
pub type LegacyShutdownFn = unsafe fn(*mut c_void);
/// `stream_handlers.data`: `(plugin_ctx, sid, data) -> status`.
pub type LegacyDataFn = unsafe fn(*mut c_void, u64, NrBytes) -> NrStatus;
/// `stream_handlers.close`: `(plugin_ctx, sid) -> status`.
pub type LegacyCloseFn = unsafe fn(*mut c_void, u64) -> NrStatus;

/// The host vtable seed-era `init` functions receive: the host's `send_result`
/// behind the SDK's shutdown gate.
pub(crate) static GUARDED_VTABLE: NrHostVTable = NrHostVTable {
    send_result: Some(guarded_send_result),
};

unsafe extern "C" fn guarded_send_result(
    host_ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrBytes,
) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        connection::forward(host_ctx, sid, status, payload)
    }));
}

/// The host's `send_result` with the seed-era signature, behind the shutdown gate.
///
/// Seed code that did `let send_result = (*host.vtable).send_result;` ports with
/// `let send_result = nylon_ring_sdk::send_result;`.
///
/// # Safety
/// `payload` must view readable memory for the duration of the call.
pub unsafe fn send_result(host_ctx: *mut c_void, sid: u64, status: NrStatus, payload: NrBytes) {
    connection::forward(host_ctx, sid, status.to_raw(), payload);
}
