//! Background answers: tracked worker threads that shutdown joins.
//!
//! Only the background path takes this module's lock; the synchronous path never
//! touches it. Shutdown joins every worker before it closes the host gate, so a
//! worker's answers take the shielded path of `host.rs` (no shared write).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::host;
use super::respond::Reply;

static WORKERS: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());
static CLOSING: AtomicBool = AtomicBool::new(false);

/// Locks a mutex, ignoring poisoning: SDK state stays consistent across a panic
/// because every critical section is a plain push, take or remove.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `work` on a background thread that shutdown waits for, and returns
/// "accepted" for the handler to hand back.
///
/// A panic in `work` is caught on that thread; a responder it owned answers `Err`
/// as it is dropped. When the plugin is shutting down (or no thread can be started)
/// `work` is dropped unrun, so its responders answer `Err` at once.
pub fn spawn<F, R>(work: F) -> Reply
where
    F: FnOnce() -> R + Send + 'static,
{
    let refused = {
        let mut workers = lock(&WORKERS);
        if CLOSING.load(SeqCst) {
            Some(work)
        } else {
            reap_finished(&mut workers);
            let job = move || {
                host::shield_worker_thread();
                let _ = catch_unwind(AssertUnwindSafe(move || drop(work())));
            };
            if let Ok(handle) = std::thread::Builder::new()
                .name("nylon-ring-worker".into())
                .spawn(job)
            {
                workers.push(handle);
            }
            None
        }
    };
    drop(refused);
    Reply::accepted()
}

/// Joins threads that already finished, so the list stays short.
fn reap_finished(workers: &mut Vec<JoinHandle<()>>) {
    let mut index = 0;
    while index < workers.len() {
        if workers[index].is_finished() {
            let _ = workers.swap_remove(index).join();
        } else {
            index += 1;
        }
    }
}

/// True once shutdown has begun: long-running background work should wind down.
pub fn is_shutting_down() -> bool {
    CLOSING.load(SeqCst)
}

/// Refuses new workers, then joins every worker in flight.
pub(crate) fn close_and_join() {
    {
        let _workers = lock(&WORKERS);
        CLOSING.store(true, SeqCst);
    }
    let me = std::thread::current().id();
    loop {
        let batch = std::mem::take(&mut *lock(&WORKERS));
        if batch.is_empty() {
            break;
        }
        for handle in batch.into_iter().filter(|h| h.thread().id() != me) {
            let _ = handle.join();
        }
    }
}

/// Accepts workers again (a host may load the library, shut it down and init it again).
pub(crate) fn reopen() {
    let _workers = lock(&WORKERS);
    CLOSING.store(false, SeqCst);
}
