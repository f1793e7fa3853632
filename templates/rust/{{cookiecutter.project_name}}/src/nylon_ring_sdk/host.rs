//! The connection to the host: the shutdown gate every host call passes.
//!
//! The generation layer (`abi1`/`abi2`) stores the host's callbacks and makes the
//! calls; this module decides whether a call may reach the host at all.
//!
//! "Nothing calls the host after shutdown" rests on one contract, the same the C++
//! SDK documents: **a host never calls `shutdown` while another call into the plugin
//! (`handle`, `stream_data`, `stream_close`, ...) is still in flight on another
//! thread.** Host calls then take one of three paths:
//!
//! - **In a call** ([`if_live_in_call`], writes no shared memory): answers of a
//!   responder bound to its call by a lifetime (`CallResponder`,
//!   `CallStreamResponder`, the bidi sessions). The call is in flight, so shutdown
//!   cannot overlap; a read-only check that the plugin is live (an Acquire load) is
//!   enough.
//! - **Shielded** (writes no shared memory): any other host call from a thread while
//!   it serves a `Responder`/`StreamResponder` handler or seed-era code (the handler
//!   runs inside `in_call`), or from a pool worker (shutdown joins workers before it
//!   closes the gate). A thread knows it is shielded from a thread-local depth
//!   (`SHIELD`) that only it writes.
//! - **Gated**: any other thread (a `Responder` moved to a thread the SDK did not
//!   start). It announces itself in `ACTIVE` before it checks `HOST.live`, and
//!   shutdown clears `HOST.live` before it waits for `ACTIVE` to drain. With
//!   sequentially consistent ordering on both sides, either the caller sees the gate
//!   closed, or shutdown sees the caller and waits.

use core::cell::Cell;
use core::ffi::c_void;
use core::ptr;
use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicUsize,
    Ordering::{Acquire, Relaxed, SeqCst},
};

/// What the host handed over. Read by every answer, written only by `init` and
/// `shutdown`: on cache lines of its own, so no data written while calls run (the
/// gate counter, other modules' statics) shares them.
#[repr(align(128))]
struct Connection {
    live: AtomicBool,
    ctx: AtomicPtr<c_void>,
}

static HOST: Connection = Connection {
    live: AtomicBool::new(false),
    ctx: AtomicPtr::new(ptr::null_mut()),
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

/// Shields the current thread for the rest of its life (a pool worker, which
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

/// Runs `f` (a call into the host, given the host's context) if the host may still
/// be called, from any thread; `None` when the plugin is not live (no host yet, or
/// shut down).
#[inline]
pub(crate) fn while_live<R>(f: impl FnOnce(*mut c_void) -> R) -> Option<R> {
    if is_shielded() {
        return if_live_in_call(f);
    }
    let _gate = Gate::enter()?;
    Some(f(HOST.ctx.load(Relaxed)))
}

/// Runs `f` (a call into the host) from inside a call the host is making, which
/// shutdown cannot overlap: only checks that the plugin is live.
#[inline(always)]
pub(crate) fn if_live_in_call<R>(f: impl FnOnce(*mut c_void) -> R) -> Option<R> {
    if HOST.live.load(Acquire) {
        Some(f(HOST.ctx.load(Relaxed)))
    } else {
        None
    }
}

/// Stores the host's context (at init, after the generation layer stored the
/// callbacks) and opens the gate.
pub(crate) fn connect(host_ctx: *mut c_void) {
    HOST.ctx.store(host_ctx, Relaxed);
    HOST.live.store(true, SeqCst);
}

/// Closes the gate, waits for gated host calls in flight, and forgets the host.
///
/// After it returns no SDK path calls the host: sends are dropped.
pub(crate) fn disconnect() {
    HOST.live.store(false, SeqCst);
    while ACTIVE.0.load(SeqCst) != 0 {
        std::thread::yield_now();
    }
    HOST.ctx.store(ptr::null_mut(), SeqCst);
}
