//! The connection to the host: its callbacks, the shutdown gate and the state extension.
//!
//! Everything here is lock-free so the synchronous fast path pays only a few atomic
//! operations per answer. The gate makes "nothing calls the host after shutdown"
//! hold without a lock: a caller announces itself in `ACTIVE` before it checks
//! `OPEN`, and shutdown clears `OPEN` before it waits for `ACTIVE` to drain. With
//! sequentially consistent ordering on both sides, either the caller sees the gate
//! closed, or shutdown sees the caller and waits for it.

use core::ffi::c_void;
use core::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::SeqCst};

use crate::nylon_ring_abi::{NrBytes, NrHostExt, NrSendResultFn, NrStatus, NrStatusRaw, NrStr};

static HOST_CTX: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());
static SEND_RESULT: AtomicPtr<()> = AtomicPtr::new(ptr::null_mut());
static HOST_EXT: AtomicPtr<NrHostExt> = AtomicPtr::new(ptr::null_mut());
static OPEN: AtomicBool = AtomicBool::new(false);
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Proof that the gate was open when a host call started; shutdown waits for it.
struct Gate;

impl Gate {
    fn enter() -> Option<Gate> {
        ACTIVE.fetch_add(1, SeqCst);
        let gate = Gate;
        if OPEN.load(SeqCst) {
            Some(gate)
        } else {
            None
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        ACTIVE.fetch_sub(1, SeqCst);
    }
}

/// Stores the host's callbacks (at init) and opens the gate.
pub(crate) fn connect(host_ctx: *mut c_void, send_result: NrSendResultFn) {
    HOST_CTX.store(host_ctx, SeqCst);
    SEND_RESULT.store(send_result as *mut (), SeqCst);
    OPEN.store(true, SeqCst);
}

/// Closes the gate, waits for host calls in flight, and forgets the host.
///
/// After it returns no SDK path calls the host: sends and state calls are dropped.
pub(crate) fn disconnect() {
    OPEN.store(false, SeqCst);
    while ACTIVE.load(SeqCst) != 0 {
        std::thread::yield_now();
    }
    SEND_RESULT.store(ptr::null_mut(), SeqCst);
    HOST_CTX.store(ptr::null_mut(), SeqCst);
    HOST_EXT.store(ptr::null_mut(), SeqCst);
}

/// Remembers the state extension the host handed over (NULL withdraws it).
pub(crate) fn set_host_ext(ext: *const NrHostExt) {
    HOST_EXT.store(ext.cast_mut(), SeqCst);
}

fn send_result_fn() -> Option<NrSendResultFn> {
    let raw = SEND_RESULT.load(SeqCst);
    if raw.is_null() {
        return None;
    }
    // SAFETY: the only non-NULL value ever stored is an `NrSendResultFn` (see `connect`).
    Some(unsafe { core::mem::transmute::<*mut (), NrSendResultFn>(raw) })
}

/// Delivers one frame to the host; `false` when it was dropped (no host, or shut down).
pub(crate) fn send(sid: u64, status: NrStatus, data: &[u8]) -> bool {
    forward(
        HOST_CTX.load(SeqCst),
        sid,
        status.to_raw(),
        NrBytes::from_slice(data),
    )
}

/// Delivers a frame with a caller-chosen host context (the seed-era call shape).
pub(crate) fn forward(
    host_ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrBytes,
) -> bool {
    let Some(_gate) = Gate::enter() else {
        return false;
    };
    let Some(send_result) = send_result_fn() else {
        return false;
    };
    // SAFETY: the host's callback, valid while the gate is open; the payload is
    // borrowed for the call, as the ABI says.
    unsafe { send_result(host_ctx, sid, status, payload) };
    true
}

fn host_ext() -> Option<NrHostExt> {
    let ext = HOST_EXT.load(SeqCst);
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
    let _gate = Gate::enter().ok_or(NrStatus::Err)?;
    let set = host_ext()
        .and_then(|ext| ext.set_state)
        .ok_or(NrStatus::Unsupported)?;
    // SAFETY: the host's callback, valid while the gate is open.
    unsafe { set(HOST_CTX.load(SeqCst), sid, key, NrBytes::from_slice(value)) };
    Ok(())
}

/// A copy of the value stored under `key` for `sid` (empty when absent).
pub(crate) fn get_state(sid: u64, key: &str) -> Result<Vec<u8>, NrStatus> {
    let key = NrStr::try_new(key).ok_or(NrStatus::Invalid)?;
    let _gate = Gate::enter().ok_or(NrStatus::Err)?;
    let get = host_ext()
        .and_then(|ext| ext.get_state)
        .ok_or(NrStatus::Unsupported)?;
    // SAFETY: the host's callback, valid while the gate is open; the view it returns
    // points into host storage and is copied before anything else runs.
    let view = unsafe { get(HOST_CTX.load(SeqCst), sid, key) };
    let bytes = unsafe { view.try_as_slice() }.ok_or(NrStatus::Invalid)?;
    Ok(bytes.to_vec())
}
