//! The connection to the host: its callbacks, the shutdown gate and the state extension.
//!
//! "Nothing calls the host after shutdown" rests on one contract, the same the C++
//! SDK documents: **a host never calls `shutdown` while another call into the plugin
//! (`handle`, `handle_raw`, `stream_data`, `stream_close`) is still in flight on
//! another thread.** Host calls then take one of three paths:
//!
//! - **In a call** (`send_in_call`, writes no shared memory): answers of a responder
//!   bound to its call by a lifetime (`CallResponder`, `CallStreamResponder`, the
//!   bidi sessions). The call is in flight, so shutdown cannot overlap; a read-only
//!   check that the plugin is live (an Acquire load) is enough.
//! - **Shielded** (writes no shared memory): any other send or state call from a
//!   thread while it serves a `Responder`/`StreamResponder` handler or seed-era code
//!   (the handler runs inside `in_call`), or from a worker started by `spawn`
//!   (shutdown joins workers before it closes the gate). A thread knows it is
//!   shielded from a thread-local depth (`SHIELD`) that only it writes.
//! - **Gated**: any other thread (a `Responder` moved to a thread the SDK did not
//!   start, a seed-era handler's own thread). It announces itself in `ACTIVE`
//!   before it checks `HOST.live`, and shutdown clears `HOST.live` before it waits
//!   for `ACTIVE` to drain. With sequentially consistent ordering on both sides,
//!   either the caller sees the gate closed, or shutdown sees the caller and waits.

use core::cell::Cell;
use core::ffi::c_void;
use core::ptr;
use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicUsize,
    Ordering::{Acquire, Relaxed, SeqCst},
};

use crate::nylon_ring_abi::{NrBytes, NrHostExt, NrSendResultFn, NrStatus, NrStatusRaw, NrStr};

/// What the host handed over. Read by every answer, written only by `init`,
/// `shutdown` and the extension hand-over: on cache lines of its own, so no data
/// written while calls run (the gate counter, other modules' statics) shares them.
#[repr(align(128))]
struct Connection {
    live: AtomicBool,
    send_result: AtomicPtr<()>,
    ctx: AtomicPtr<c_void>,
    ext: AtomicPtr<NrHostExt>,
}

static HOST: Connection = Connection {
    live: AtomicBool::new(false),
    send_result: AtomicPtr::new(ptr::null_mut()),
    ctx: AtomicPtr::new(ptr::null_mut()),
    ext: AtomicPtr::new(ptr::null_mut()),
};

/// Gated host calls in flight (see `Gate`), on cache lines of its own.
#[repr(align(128))]
struct Active(AtomicUsize);

static ACTIVE: Active = Active(AtomicUsize::new(0));

thread_local! {
    /// How many plugin calls this thread is inside; a `spawn` worker holds 1 for life.
    /// Non-zero: shutdown cannot overlap this thread's host calls.
    static SHIELD: Cell<u32> = const { Cell::new(0) };
}

/// Marks the current thread as inside a plugin call until dropped.
struct Shielded;

impl Shielded {
    fn enter() -> Shielded {
        // Cannot fail: the key is const-initialized and has no destructor.
        let _ = SHIELD.try_with(|depth| depth.set(depth.get().wrapping_add(1)));
        Shielded
    }
}

impl Drop for Shielded {
    fn drop(&mut self) {
        let _ = SHIELD.try_with(|depth| depth.set(depth.get().wrapping_sub(1)));
    }
}

/// Runs `f` (code serving a call from the host) with the current thread shielded.
#[inline]
pub(crate) fn in_call<R>(f: impl FnOnce() -> R) -> R {
    let _shielded = Shielded::enter();
    f()
}

/// Shields the current thread for the rest of its life (a `spawn` worker, which
/// shutdown joins before it closes the gate).
pub(crate) fn shield_worker_thread() {
    let _ = SHIELD.try_with(|depth| depth.set(1));
}

fn is_shielded() -> bool {
    SHIELD.try_with(|depth| depth.get() != 0).unwrap_or(false)
}

/// Proof that the gate was open when a host call started; shutdown waits for it.
struct Gate;

impl Gate {
    fn enter() -> Option<Gate> {
        ACTIVE.0.fetch_add(1, SeqCst);
        let gate = Gate;
        if HOST.live.load(SeqCst) {
            Some(gate)
        } else {
            None
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        ACTIVE.0.fetch_sub(1, SeqCst);
    }
}

/// Runs `f` (a call into the host) if the host may still be called; `None` when the
/// plugin is not live (no host yet, or shut down).
#[inline]
fn while_live<R>(f: impl FnOnce() -> R) -> Option<R> {
    if is_shielded() {
        return HOST.live.load(Acquire).then(f);
    }
    let _gate = Gate::enter()?;
    Some(f())
}

/// Stores the host's callbacks (at init) and opens the gate.
pub(crate) fn connect(host_ctx: *mut c_void, send_result: NrSendResultFn) {
    HOST.ctx.store(host_ctx, Relaxed);
    HOST.send_result.store(send_result as *mut (), Relaxed);
    HOST.live.store(true, SeqCst);
}

/// Closes the gate, waits for gated host calls in flight, and forgets the host.
///
/// After it returns no SDK path calls the host: sends and state calls are dropped.
pub(crate) fn disconnect() {
    HOST.live.store(false, SeqCst);
    while ACTIVE.0.load(SeqCst) != 0 {
        std::thread::yield_now();
    }
    HOST.send_result.store(ptr::null_mut(), SeqCst);
    HOST.ctx.store(ptr::null_mut(), SeqCst);
    HOST.ext.store(ptr::null_mut(), SeqCst);
}

/// Remembers the state extension the host handed over (NULL withdraws it).
pub(crate) fn set_host_ext(ext: *const NrHostExt) {
    HOST.ext.store(ext.cast_mut(), SeqCst);
}

fn send_result_fn() -> Option<NrSendResultFn> {
    let raw = HOST.send_result.load(Relaxed);
    if raw.is_null() {
        return None;
    }
    // SAFETY: the only non-NULL value ever stored is an `NrSendResultFn` (see `connect`).
    Some(unsafe { core::mem::transmute::<*mut (), NrSendResultFn>(raw) })
}

/// Calls the host's `send_result` (the caller has checked that the plugin is live);
/// `false` when there is no host.
#[inline(always)]
fn deliver(host_ctx: *mut c_void, sid: u64, status: NrStatusRaw, payload: NrBytes) -> bool {
    let Some(send_result) = send_result_fn() else {
        return false;
    };
    // SAFETY: the host's callback, valid while the plugin is live; the payload is
    // borrowed for the call, as the ABI says.
    unsafe { send_result(host_ctx, sid, status, payload) };
    true
}

/// Delivers one frame to the host; `false` when it was dropped (no host, or shut down).
#[inline]
pub(crate) fn send(sid: u64, status: NrStatus, data: &[u8]) -> bool {
    let payload = NrBytes::from_slice(data);
    while_live(|| deliver(HOST.ctx.load(Relaxed), sid, status.to_raw(), payload)).unwrap_or(false)
}

/// Delivers one frame from a responder bound to its call (`InCall`), or from the
/// session registry inside `stream_data`/`stream_close`/`shutdown`: shutdown cannot
/// overlap it, so it only checks that the plugin is live (no thread-local read, no
/// shared write).
#[inline]
pub(crate) fn send_in_call(sid: u64, status: NrStatus, data: &[u8]) -> bool {
    let payload = NrBytes::from_slice(data);
    HOST.live.load(Acquire) && deliver(HOST.ctx.load(Relaxed), sid, status.to_raw(), payload)
}

/// Delivers a frame with a caller-chosen host context (the seed-era call shape).
pub(crate) fn forward(
    host_ctx: *mut c_void,
    sid: u64,
    status: NrStatusRaw,
    payload: NrBytes,
) -> bool {
    while_live(|| deliver(host_ctx, sid, status, payload)).unwrap_or(false)
}

fn host_ext() -> Option<NrHostExt> {
    let ext = HOST.ext.load(SeqCst);
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
    while_live(|| {
        let set = host_ext()
            .and_then(|ext| ext.set_state)
            .ok_or(NrStatus::Unsupported)?;
        // SAFETY: the host's callback, valid while the plugin is live.
        unsafe { set(HOST.ctx.load(Relaxed), sid, key, NrBytes::from_slice(value)) };
        Ok(())
    })
    .unwrap_or(Err(NrStatus::Err))
}

/// A copy of the value stored under `key` for `sid` (empty when absent).
pub(crate) fn get_state(sid: u64, key: &str) -> Result<Vec<u8>, NrStatus> {
    let key = NrStr::try_new(key).ok_or(NrStatus::Invalid)?;
    while_live(|| {
        let get = host_ext()
            .and_then(|ext| ext.get_state)
            .ok_or(NrStatus::Unsupported)?;
        // SAFETY: the host's callback, valid while the plugin is live; the view it
        // returns points into host storage and is copied before anything else runs.
        let view = unsafe { get(HOST.ctx.load(Relaxed), sid, key) };
        let bytes = unsafe { view.try_as_slice() }.ok_or(NrStatus::Invalid)?;
        Ok(bytes.to_vec())
    })
    .unwrap_or(Err(NrStatus::Err))
}
