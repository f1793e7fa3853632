//! Original-crate plugin code (`nylon-ring` 0.2.x): its handler signatures and its
//! host-call helpers, behind the SDK's shutdown gate.
//!
//! Such handlers call the host themselves, so the SDK cannot know whether a sid is
//! unary or a stream. What it does enforce: their `init` receives a host vtable whose
//! callbacks go through the SDK's shutdown gate (nothing reaches the host after
//! shutdown), and every handler runs behind `catch_unwind` (a panic answers Panic).
//! Per-sid rules (exactly one answer, one terminal frame) are enforced only on the
//! `Responder` API.

use core::ffi::c_void;

use super::super::host;
use super::connection;
use crate::nylon_ring_abi::{
    NrBufferLease, NrBytes, NrHostVTable, NrOwnedBytes, NrStatus, NrVecU8,
};

/// `entries` handler: `(sid, payload) -> status`.
pub type LegacyEntryFn = unsafe fn(u64, NrBytes) -> NrStatus;
/// `raw_entries` handler: the same shape (ABI 2 has no request struct).
pub type LegacyRawFn = LegacyEntryFn;
/// `init`: `(host_ctx, host_vtable) -> status`.
pub type LegacyInitFn = unsafe fn(*mut c_void, *const NrHostVTable) -> NrStatus;
/// `shutdown`.
pub type LegacyShutdownFn = fn();
/// `stream_handlers.data`: `(sid, data) -> status`.
pub type LegacyDataFn = unsafe fn(u64, NrBytes) -> NrStatus;
/// `stream_handlers.close`: `(sid) -> status`.
pub type LegacyCloseFn = unsafe fn(u64) -> NrStatus;

const NO_LEASE: NrBufferLease = NrBufferLease {
    ptr: core::ptr::null_mut(),
    cap: 0,
    token: 0,
};

/// Sends a frame for `sid` through the host's `send_result`; `Err` after shutdown
/// (an owned payload is then freed through its `drop_fn`).
pub fn send_result(sid: u64, status: NrStatus, data: NrVecU8) -> NrStatus {
    match host::while_live(|ctx| connection::send_result(ctx, sid, status.to_raw(), data)) {
        Some(answer) => answer,
        None => {
            if data.owned != 0 {
                if let Some(drop_fn) = data.drop_fn {
                    // SAFETY: the producer's own free function for its own buffer.
                    unsafe { drop_fn(data.ptr, data.len, data.cap) };
                }
            }
            NrStatus::Err
        }
    }
}

/// Sends a frame without a copy; the payload's `release` is called exactly once,
/// by the host or (when it never reached one) here.
pub fn send_result_owned(sid: u64, status: NrStatus, data: NrOwnedBytes) -> NrStatus {
    let sent =
        host::while_live(|ctx| connection::send_result_owned(ctx, sid, status.to_raw(), data));
    match sent {
        Some(Some(answer)) => answer,
        _ => {
            if let Some(release) = data.release {
                // SAFETY: the producer's release for its own buffer, called once.
                unsafe { release(data.owner_ctx, data.ptr, data.len) };
            }
            NrStatus::Err
        }
    }
}

/// Leases a host buffer for the answer of `sid`; a NULL `ptr` means answer another way.
pub fn acquire_result_buffer(sid: u64, capacity: u64) -> NrBufferLease {
    host::while_live(|ctx| connection::acquire(ctx, sid, capacity)).unwrap_or(NO_LEASE)
}

/// Commits a leased buffer as the answer of `sid`.
pub fn commit_result_buffer(
    sid: u64,
    status: NrStatus,
    token: u64,
    initialized_len: u64,
) -> NrStatus {
    host::while_live(|ctx| connection::commit(ctx, sid, status.to_raw(), token, initialized_len))
        .unwrap_or(NrStatus::Err)
}
