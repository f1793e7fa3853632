//! ABI 2's host callbacks: `send_result`, `send_result_owned` and the result-buffer
//! lease, stored at init and called behind the shutdown gate of `host.rs`.

use core::ffi::c_void;
use core::ptr;
use std::sync::atomic::{AtomicPtr, Ordering::Relaxed};

use super::super::host;
use crate::nylon_ring_abi::{
    NrAcquireResultBufferFn, NrBufferLease, NrCommitResultBufferFn, NrHostVTable, NrOwnedBytes,
    NrSendResultFn, NrSendResultOwnedFn, NrStatus, NrStatusRaw, NrVecU8,
};

/// The host's callbacks (written at init, before the gate opens), on a cache line
/// of their own.
#[repr(align(128))]
struct Callbacks {
    send_result: AtomicPtr<()>,
    send_result_owned: AtomicPtr<()>,
    acquire: AtomicPtr<()>,
    commit: AtomicPtr<()>,
}

static CALLBACKS: Callbacks = Callbacks {
    send_result: AtomicPtr::new(ptr::null_mut()),
    send_result_owned: AtomicPtr::new(ptr::null_mut()),
    acquire: AtomicPtr::new(ptr::null_mut()),
    commit: AtomicPtr::new(ptr::null_mut()),
};

fn erase<F: Copy>(f: Option<F>) -> *mut () {
    match f {
        // SAFETY: `F` is one of the host's function pointer types (pointer-sized).
        Some(f) => unsafe { core::mem::transmute_copy::<F, *mut ()>(&f) },
        None => ptr::null_mut(),
    }
}

/// Reads back a callback stored by [`store`].
///
/// # Safety
/// `F` must be the type the slot was stored with.
unsafe fn load<F: Copy>(slot: &AtomicPtr<()>) -> Option<F> {
    let raw = slot.load(Relaxed);
    if raw.is_null() {
        return None;
    }
    // SAFETY: the only non-NULL value ever stored in `slot` is an `F` (see `store`).
    Some(unsafe { core::mem::transmute_copy::<*mut (), F>(&raw) })
}

/// Stores the host's callbacks; `false` when `send_result` is missing (the one
/// callback every answer may fall back on).
pub(crate) fn store(vtable: &NrHostVTable) -> bool {
    CALLBACKS
        .send_result
        .store(erase(vtable.send_result), Relaxed);
    CALLBACKS
        .send_result_owned
        .store(erase(vtable.send_result_owned), Relaxed);
    CALLBACKS
        .acquire
        .store(erase(vtable.acquire_result_buffer), Relaxed);
    CALLBACKS
        .commit
        .store(erase(vtable.commit_result_buffer), Relaxed);
    vtable.send_result.is_some()
}

/// The host's answer as a status: an out-of-range value is `Err`.
fn status_of(raw: NrStatusRaw) -> NrStatus {
    NrStatus::from_raw(raw).unwrap_or(NrStatus::Err)
}

/// A borrowed `NrVecU8` view of `data`: the host copies it inside `send_result`.
pub(crate) fn borrowed(data: &[u8]) -> NrVecU8 {
    NrVecU8 {
        ptr: data.as_ptr().cast_mut(),
        len: data.len(),
        cap: data.len(),
        owned: 0,
        reserved: [0; 7],
        drop_fn: None,
    }
}

/// Calls `send_result` (the caller passed the gate).
#[inline(always)]
pub(crate) fn send_result(
    ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrVecU8,
) -> NrStatus {
    // SAFETY: stored from the host's vtable as this type.
    let Some(send) = (unsafe { load::<NrSendResultFn>(&CALLBACKS.send_result) }) else {
        return NrStatus::Err;
    };
    // SAFETY: the host's callback, valid while the plugin is live.
    status_of(unsafe { send(ctx, sid, status, payload) })
}

/// Whether the host offers `send_result_owned`.
pub(crate) fn has_owned() -> bool {
    !CALLBACKS.send_result_owned.load(Relaxed).is_null()
}

/// Calls `send_result_owned` (the caller passed the gate); `None` when the host
/// has no such callback (the payload was not handed over).
pub(crate) fn send_result_owned(
    ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrOwnedBytes,
) -> Option<NrStatus> {
    // SAFETY: stored from the host's vtable as this type.
    let send = unsafe { load::<NrSendResultOwnedFn>(&CALLBACKS.send_result_owned) }?;
    // SAFETY: the host's callback; from here on the host calls `release` once.
    Some(status_of(unsafe { send(ctx, sid, status, payload) }))
}

/// Calls `acquire_result_buffer` (the caller passed the gate); a failed lease
/// (NULL `ptr`) when the host has no such callback.
pub(crate) fn acquire(ctx: *mut c_void, sid: u64, capacity: u64) -> NrBufferLease {
    // SAFETY: stored from the host's vtable as this type.
    match unsafe { load::<NrAcquireResultBufferFn>(&CALLBACKS.acquire) } {
        // SAFETY: the host's callback, valid while the plugin is live.
        Some(acquire) => unsafe { acquire(ctx, sid, capacity) },
        None => NrBufferLease {
            ptr: ptr::null_mut(),
            cap: 0,
            token: 0,
        },
    }
}

/// Calls `commit_result_buffer` (the caller passed the gate).
pub(crate) fn commit(
    ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    token: u64,
    len: u64,
) -> NrStatus {
    // SAFETY: stored from the host's vtable as this type.
    match unsafe { load::<NrCommitResultBufferFn>(&CALLBACKS.commit) } {
        // SAFETY: the host's callback, valid while the plugin is live.
        Some(commit) => status_of(unsafe { commit(ctx, sid, status, token, len) }),
        None => NrStatus::Unsupported,
    }
}

// ---- the host vtable original-crate `init` functions receive: every callback
// ---- behind the SDK's shutdown gate, whichever thread calls it.

/// The gated host vtable handed to an original-crate `init`.
pub(crate) static GUARDED_VTABLE: NrHostVTable = NrHostVTable {
    send_result: Some(gated_send_result),
    send_result_owned: Some(gated_send_result_owned),
    acquire_result_buffer: Some(gated_acquire),
    commit_result_buffer: Some(gated_commit),
};

/// Frees an owned `NrVecU8` that never reached the host (the gate was closed).
fn drop_unsent(payload: NrVecU8) {
    if payload.owned != 0 {
        if let Some(drop_fn) = payload.drop_fn {
            // SAFETY: the producer's own free function for its own buffer.
            unsafe { drop_fn(payload.ptr, payload.len, payload.cap) };
        }
    }
}

unsafe extern "C" fn gated_send_result(
    _ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrVecU8,
) -> NrStatusRaw {
    match host::while_live(|ctx| send_result(ctx, sid, status, payload)) {
        Some(answer) => answer.to_raw(),
        None => {
            drop_unsent(payload);
            NrStatus::Err.to_raw()
        }
    }
}

unsafe extern "C" fn gated_send_result_owned(
    _ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrOwnedBytes,
) -> NrStatusRaw {
    let sent = host::while_live(|ctx| send_result_owned(ctx, sid, status, payload));
    match sent {
        Some(Some(answer)) => answer.to_raw(),
        _ => {
            // Not handed over: give the buffer back to its producer now.
            if let Some(release) = payload.release {
                // SAFETY: the producer's release for its own buffer, called once.
                unsafe { release(payload.owner_ctx, payload.ptr, payload.len) };
            }
            NrStatus::Err.to_raw()
        }
    }
}

unsafe extern "C" fn gated_acquire(_ctx: *mut c_void, sid: u64, capacity: u64) -> NrBufferLease {
    host::while_live(|ctx| acquire(ctx, sid, capacity)).unwrap_or(NrBufferLease {
        ptr: ptr::null_mut(),
        cap: 0,
        token: 0,
    })
}

unsafe extern "C" fn gated_commit(
    _ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    token: u64,
    len: u64,
) -> NrStatusRaw {
    host::while_live(|ctx| commit(ctx, sid, status, token, len))
        .unwrap_or(NrStatus::Err)
        .to_raw()
}
