//! Background answers: a bounded pool of worker threads that shutdown joins.
//!
//! `spawn` queues a job for the pool instead of starting a thread per call: at most
//! [`MAX_WORKERS`] threads (started on demand, never more than the machine's CPUs)
//! take jobs from one queue of at most [`QUEUE_LIMIT`] jobs. When the queue is full
//! the caller waits for room (backpressure reaches the host's thread); a worker that
//! spawns into a full queue runs the job itself instead, so the pool cannot wait on
//! itself. [`try_spawn`] never waits: it hands the job back.
//!
//! Waking a sleeping thread costs a futex call on each side and a trip through the
//! scheduler, more than most answers cost. So one idle worker at a time (the
//! spinner) keeps looking for work for up to [`SPIN_WINDOW`] before it sleeps: a
//! steady stream of calls is served with no wake-up at all. It polls a counter, not
//! the lock, so the host's thread takes the lock uncontended, and it yields its CPU
//! between polls, so on a machine with fewer free CPUs than runnable threads the
//! host's thread (which may share its CPU) still runs. Every other idle worker
//! sleeps; one is woken only when the queue holds more jobs than the spinner takes.
//!
//! Only the background path touches this module's lock; the synchronous path never
//! does. Shutdown runs every queued job, then joins the workers before it closes the
//! host gate, so a worker's answers take the shielded path of `host.rs` (no shared
//! write).

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{
    AtomicBool, AtomicUsize,
    Ordering::{Acquire, Release, SeqCst},
};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::host;
use super::respond::Reply;

/// Most worker threads the pool starts (fewer on a machine with fewer CPUs).
pub const MAX_WORKERS: usize = 8;
/// Most jobs waiting for a worker; `spawn` waits for room beyond it.
pub const QUEUE_LIMIT: usize = 4096;
/// How long the spinning worker looks for work before it sleeps.
pub const SPIN_WINDOW: std::time::Duration = std::time::Duration::from_micros(3);
/// Polls of the queue counter between two looks at the clock.
const POLLS_PER_CLOCK: u32 = 64;

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    queue: VecDeque<Job>,
    threads: Vec<JoinHandle<()>>,
    /// Workers asleep on `WORK`.
    sleeping: usize,
    /// Workers not running a job (spinning, asleep, or between the two).
    idle: usize,
    /// Workers looking for work without sleeping (at most one).
    spinning: usize,
    /// Callers asleep on `ROOM`.
    waiting_for_room: usize,
    closing: bool,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    queue: VecDeque::new(),
    threads: Vec::new(),
    sleeping: 0,
    idle: 0,
    spinning: 0,
    waiting_for_room: 0,
    closing: false,
});
static WORK: Condvar = Condvar::new();
static ROOM: Condvar = Condvar::new();
static CLOSING: AtomicBool = AtomicBool::new(false);
/// Jobs pushed, for the spinner to poll without the lock: it changes whenever the
/// queue gains a job, on a cache line of its own.
static PUSHED: Pushed = Pushed(AtomicUsize::new(0));

#[repr(align(128))]
struct Pushed(AtomicUsize);

thread_local! {
    /// Set on the pool's own threads.
    static IS_WORKER: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Locks a mutex, ignoring poisoning: SDK state stays consistent across a panic
/// because every critical section is a plain push, take or remove.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn is_worker() -> bool {
    IS_WORKER.try_with(|flag| flag.get()).unwrap_or(false)
}

fn worker_limit() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, MAX_WORKERS))
}

/// Runs `work` on the worker pool, which shutdown waits for, and returns "accepted"
/// for the handler to hand back. Waits for room while the queue is full.
///
/// A panic in `work` is caught on the worker; a responder it owned answers as it is
/// dropped. When the plugin is shutting down (or no worker can be started) `work` is
/// dropped unrun, so its responders answer `Err` at once.
pub fn spawn<F, R>(work: F) -> Reply
where
    F: FnOnce() -> R + Send + 'static,
{
    let mut pool = lock(&POOL);
    while !pool.closing && pool.queue.len() >= QUEUE_LIMIT {
        if is_worker() {
            // The pool's own thread: waiting could wait on itself, so run it here.
            drop(pool);
            run(Box::new(move || drop(work())));
            return Reply::accepted();
        }
        pool.waiting_for_room += 1;
        pool = ROOM.wait(pool).unwrap_or_else(PoisonError::into_inner);
        pool.waiting_for_room -= 1;
    }
    if pool.closing {
        drop(pool);
        drop(work);
        return Reply::accepted();
    }
    enqueue(pool, Box::new(move || drop(work())));
    Reply::accepted()
}

/// Like [`spawn`], but never waits: `Err(work)` when the queue is full or the plugin
/// is shutting down, so the caller decides (answer `Err`, run it inline, retry).
pub fn try_spawn<F, R>(work: F) -> Result<Reply, F>
where
    F: FnOnce() -> R + Send + 'static,
{
    let pool = lock(&POOL);
    if pool.closing || pool.queue.len() >= QUEUE_LIMIT {
        return Err(work);
    }
    enqueue(pool, Box::new(move || drop(work())));
    Ok(Reply::accepted())
}

/// Queues `job` (the caller checked there is room) and makes sure a worker will
/// take it: one that spins finds it, else a sleeping one is woken, else a new one
/// is started (up to the limit; at the limit a busy one takes it next).
fn enqueue(mut pool: MutexGuard<'_, Pool>, job: Job) {
    pool.queue.push_back(job);
    PUSHED.0.fetch_add(1, Release);
    if pool.idle > pool.sleeping && pool.queue.len() <= pool.idle - pool.sleeping {
        // Enough workers awake and idle (the spinner, or one about to look again).
        return;
    }
    if pool.sleeping > 0 {
        drop(pool);
        WORK.notify_one();
        return;
    }
    if pool.threads.len() < worker_limit() {
        let started = std::thread::Builder::new()
            .name("nylon-ring-worker".into())
            .spawn(worker_main);
        if let Ok(handle) = started {
            pool.threads.push(handle);
            pool.idle += 1;
        } else if pool.threads.is_empty() {
            // No worker and none can be started: the job is dropped, its responders
            // answer `Err`.
            let job = pool.queue.pop_back();
            drop(pool);
            drop(job);
        }
    }
}

/// Runs one job behind `catch_unwind`.
fn run(job: Job) {
    let _ = catch_unwind(AssertUnwindSafe(job));
}

/// A worker: takes jobs until the pool closes and the queue is empty.
fn worker_main() {
    host::shield_worker_thread();
    let _ = IS_WORKER.try_with(|flag| flag.set(true));
    let mut pool = lock(&POOL);
    loop {
        if let Some(job) = pool.queue.pop_front() {
            pool.idle -= 1;
            let wake_caller = pool.waiting_for_room > 0;
            drop(pool);
            if wake_caller {
                ROOM.notify_one();
            }
            run(job);
            pool = lock(&POOL);
            pool.idle += 1;
            continue;
        }
        if pool.closing {
            pool.idle -= 1;
            return;
        }
        if pool.spinning == 0 {
            pool.spinning = 1;
            let seen = PUSHED.0.load(Acquire);
            drop(pool);
            spin_for_work(seen);
            pool = lock(&POOL);
            pool.spinning = 0;
            if !pool.queue.is_empty() || pool.closing {
                continue;
            }
        }
        pool.sleeping += 1;
        pool = WORK.wait(pool).unwrap_or_else(PoisonError::into_inner);
        pool.sleeping -= 1;
    }
}

/// Waits without sleeping, for at most [`SPIN_WINDOW`], until a job was pushed after
/// `seen` or the pool closes.
fn spin_for_work(seen: usize) {
    let started = std::time::Instant::now();
    loop {
        for _ in 0..POLLS_PER_CLOCK {
            if PUSHED.0.load(Acquire) != seen || CLOSING.load(Acquire) {
                return;
            }
            std::hint::spin_loop();
        }
        if started.elapsed() >= SPIN_WINDOW {
            return;
        }
    }
}

/// True once shutdown has begun: long-running background work should wind down.
pub fn is_shutting_down() -> bool {
    CLOSING.load(SeqCst)
}

/// Refuses new jobs, lets the workers finish every queued one, and joins them.
pub(crate) fn close_and_join() {
    let threads = {
        let mut pool = lock(&POOL);
        pool.closing = true;
        CLOSING.store(true, SeqCst);
        std::mem::take(&mut pool.threads)
    };
    WORK.notify_all();
    ROOM.notify_all();
    let me = std::thread::current().id();
    for handle in threads.into_iter().filter(|h| h.thread().id() != me) {
        let _ = handle.join();
    }
}

/// Accepts jobs again (a host may load the library, shut it down and init it again).
pub(crate) fn reopen() {
    let mut pool = lock(&POOL);
    pool.closing = false;
    CLOSING.store(false, SeqCst);
}
