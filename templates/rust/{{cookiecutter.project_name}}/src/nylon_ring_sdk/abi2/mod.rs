//! The ABI 2 layer (what the released `nylon-ring` 0.2.x crates speak): the exports,
//! the seven-slot vtable with integer dispatch, and the host callbacks, including
//! the zero-copy and leased answer paths, on top of the generation-independent SDK
//! core (routing, responders, sessions, the worker pool).
//!
//! What the core asks of a generation, ABI 2 answers here: how a frame reaches the
//! host (`send`: a borrowed `NrVecU8` the host copies; its answer may be
//! `Backpressure`), what a contained panic answers (`Panic`), that panic probes
//! answer only when `NYLON_RING_ENABLE_PROBES=1` was set at init, and the manifest's
//! mode names.

mod answer;
mod boundary;
mod connection;
mod exports;
mod legacy;

use core::ffi::c_void;

use crate::nylon_ring_abi::NrStatus;

pub use answer::{Buffer, Owned};
pub use boundary::{plugin_info, vtable, MANIFEST_MODES};
pub(crate) use exports::__nylon_ring_exports;
pub use legacy::{
    acquire_result_buffer, commit_result_buffer, send_result, send_result_owned, LegacyCloseFn,
    LegacyDataFn, LegacyEntryFn, LegacyInitFn, LegacyRawFn, LegacyShutdownFn,
};

/// What a `Call` carries besides entry, sid and payload: nothing (ABI 2 passes no
/// request metadata).
pub(crate) type CallExt<'a> = ();

/// The status a contained panic answers with.
pub(crate) const PANICKED: NrStatus = NrStatus::Panic;

/// Panic probes answer only when `NYLON_RING_ENABLE_PROBES=1` was set at init, in
/// debug and release builds alike.
pub(crate) const PROBES_NEED_ENV: bool = true;

/// The host's "queue full, retry later" answer to a frame, where the ABI has one.
pub(crate) const BACKPRESSURE: Option<NrStatus> = Some(NrStatus::Backpressure);

/// Delivers one frame through the host's `send_result` (the caller passed the gate):
/// the host's answer (`Backpressure` when a stream's queue is full).
#[inline(always)]
pub(crate) fn send(host_ctx: *mut c_void, sid: u64, status: NrStatus, data: &[u8]) -> NrStatus {
    connection::send_result(host_ctx, sid, status.to_raw(), connection::borrowed(data))
}
