//! The ABI 1 layer: the seed ABI's exports, vtable and host callbacks, on top of the
//! generation-independent SDK core (routing, responders, sessions, the worker pool).
//!
//! What the core asks of a generation, ABI 1 answers here: how a frame reaches the
//! host (`send`), what a contained panic answers (`Err`: ABI 1 has no Panic status),
//! that panic probes are served whenever they are compiled in, and the manifest's
//! mode names.

mod ascii;
mod boundary;
mod call;
mod connection;
mod exports;
mod legacy;

use core::ffi::c_void;

use crate::nylon_ring_abi::{NrBytes, NrStatus};

pub use boundary::{plugin_info, set_host_ext, vtable, MANIFEST_MODES};
pub use call::{state, Headers, Request, State};
pub(crate) use exports::__nylon_ring_exports;
pub use legacy::{
    send_result, LegacyCloseFn, LegacyDataFn, LegacyEntryFn, LegacyInitFn, LegacyRawFn,
    LegacyShutdownFn,
};

/// What a `Call` carries besides entry, sid and payload: the checked request of
/// `handle` (`None` through `handle_raw`).
pub(crate) type CallExt<'a> = Option<&'a Request<'a>>;

/// The status a contained panic answers with.
pub(crate) const PANICKED: NrStatus = NrStatus::Err;

/// ABI 1 serves the panic probes whenever they are compiled in (the example gates
/// them with `#[cfg]`), so its debug builds keep answering them as before.
pub(crate) const PROBES_NEED_ENV: bool = false;

/// The host's "queue full, retry later" answer to a frame, where the ABI has one.
pub(crate) const BACKPRESSURE: Option<NrStatus> = None;

/// Delivers one frame through the host's `send_result` (the caller passed the gate).
#[inline(always)]
pub(crate) fn send(host_ctx: *mut c_void, sid: u64, status: NrStatus, data: &[u8]) -> NrStatus {
    connection::deliver(host_ctx, sid, status.to_raw(), NrBytes::from_slice(data))
}
