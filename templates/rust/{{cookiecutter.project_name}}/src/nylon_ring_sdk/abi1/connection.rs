//! ABI 1's host callbacks: `send_result` and the optional state extension, called
//! behind the shutdown gate of `host.rs`.

use core::ffi::c_void;
use core::ptr;
use std::sync::atomic::{
    AtomicPtr,
    Ordering::{Relaxed, SeqCst},
};

use super::super::host;
use crate::nylon_ring_abi::{NrBytes, NrHostExt, NrSendResultFn, NrStatus, NrStatusRaw, NrStr};

/// The host's `send_result` (written at init) and state extension (written by the
/// hand-over before init), on a cache line of their own.
#[repr(align(128))]
struct Callbacks {
    send_result: AtomicPtr<()>,
    ext: AtomicPtr<NrHostExt>,
}

static CALLBACKS: Callbacks = Callbacks {
    send_result: AtomicPtr::new(ptr::null_mut()),
    ext: AtomicPtr::new(ptr::null_mut()),
};

/// Stores the host's `send_result` (at init, before the gate opens).
pub(crate) fn store(send_result: NrSendResultFn) {
    CALLBACKS.send_result.store(send_result as *mut (), Relaxed);
}

/// Forgets the state extension (at shutdown, after the gate closed).
pub(crate) fn forget() {
    CALLBACKS.ext.store(ptr::null_mut(), SeqCst);
}

/// Remembers the state extension the host handed over (NULL withdraws it).
pub(crate) fn set_host_ext(ext: *const NrHostExt) {
    CALLBACKS.ext.store(ext.cast_mut(), SeqCst);
}

fn send_result_fn() -> Option<NrSendResultFn> {
    let raw = CALLBACKS.send_result.load(Relaxed);
    if raw.is_null() {
        return None;
    }
    // SAFETY: the only non-NULL value ever stored is an `NrSendResultFn` (see `store`).
    Some(unsafe { core::mem::transmute::<*mut (), NrSendResultFn>(raw) })
}

/// Calls the host's `send_result` (the caller passed the gate). ABI 1's callback
/// returns nothing, so a delivered frame is `Ok`.
#[inline(always)]
pub(crate) fn deliver(
    host_ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrBytes,
) -> NrStatus {
    let Some(send_result) = send_result_fn() else {
        return NrStatus::Err;
    };
    // SAFETY: the host's callback, valid while the plugin is live; the payload is
    // borrowed for the call, as the ABI says.
    unsafe { send_result(host_ctx, sid, status, payload) };
    NrStatus::Ok
}

/// Delivers a frame with a caller-chosen host context (the seed-era call shape).
pub(crate) fn forward(
    host_ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrBytes,
) -> bool {
    host::while_live(|_| deliver(host_ctx, sid, status, payload)).is_some()
}

fn host_ext() -> Option<NrHostExt> {
    let ext = CALLBACKS.ext.load(SeqCst);
    // SAFETY: the host keeps the extension valid from hand-over until shutdown returns.
    unsafe { ext.as_ref() }.copied()
}

/// Whether the host offered a usable state extension.
pub(crate) fn has_state() -> bool {
    host_ext().is_some_and(|ext| ext.set_state.is_some() && ext.get_state.is_some())
}

/// Stores `value` under `key` for `sid` in the host's per-sid state.
pub(crate) fn set_state(sid: u64, key: &str, value: &[u8]) -> Result<(), NrStatus> {
    let key = NrStr::try_new(key).ok_or(NrStatus::Invalid)?;
    host::while_live(|ctx| {
        let set = host_ext()
            .and_then(|ext| ext.set_state)
            .ok_or(NrStatus::Unsupported)?;
        // SAFETY: the host's callback, valid while the plugin is live.
        unsafe { set(ctx, sid, key, NrBytes::from_slice(value)) };
        Ok(())
    })
    .unwrap_or(Err(NrStatus::Err))
}

/// A copy of the value stored under `key` for `sid` (empty when absent).
pub(crate) fn get_state(sid: u64, key: &str) -> Result<Vec<u8>, NrStatus> {
    let key = NrStr::try_new(key).ok_or(NrStatus::Invalid)?;
    host::while_live(|ctx| {
        let get = host_ext()
            .and_then(|ext| ext.get_state)
            .ok_or(NrStatus::Unsupported)?;
        // SAFETY: the host's callback, valid while the plugin is live; the view it
        // returns points into host storage and is copied before anything else runs.
        let view = unsafe { get(ctx, sid, key) };
        let bytes = unsafe { view.try_as_slice() }.ok_or(NrStatus::Invalid)?;
        Ok(bytes.to_vec())
    })
    .unwrap_or(Err(NrStatus::Err))
}
