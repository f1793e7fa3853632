//! Responders: the only way a handler answers, shaped so the ABI's rules hold by type.
//!
//! - [`Responder`] (unary) is consumed by its one answer; dropping it unanswered
//!   (including while a panic unwinds) sends `Err` exactly once.
//! - [`StreamResponder`] sends `Ok` frames through `&self` and is consumed by its one
//!   terminal frame; dropping it without one sends an `Err` terminal frame.
//! - [`Reply`] is what a handler returns to the host: "accepted, answers follow" or a
//!   rejection. A rejection that never reaches the host (lost in a panic, or dropped
//!   on a background thread) sends `Err` instead, so every accepted call is answered.
//!
//! Each responder has a reach (its type parameter), which decides how its answers
//! pass the shutdown gate of `host.rs`:
//! - [`Anywhere`] (the default: `Responder`, `StreamResponder`): it may be moved to
//!   `spawn` or any thread and answer at any time, so each answer first asks which
//!   thread it is on (a thread-local read) and, off the plugin's own calls and
//!   workers, goes through the gate.
//! - [`InCall`] ([`CallResponder`], [`CallStreamResponder`]): bound to the call that
//!   created it by a lifetime, it cannot outlive the call (scoped threads end first),
//!   and a host never runs `shutdown` while a call is in flight. Its answers only
//!   check that the plugin is live: no thread-local read, no shared write. This is
//!   the fastest way to answer on the host's thread. `detach()` turns it into an
//!   `Anywhere` responder for work that answers later.
//!
//! None of them allocates: the synchronous path answers from the stack.

use core::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use super::{bytes, generation, host};
use crate::nylon_ring_abi::NrStatus;

mod sealed {
    pub trait Sealed {}
}

/// Where a responder may answer from: [`Anywhere`] or [`InCall`].
pub trait Reach: sealed::Sealed {
    /// Whether the responder is bound to its call (see [`InCall`]).
    #[doc(hidden)]
    const IN_CALL: bool;
}

/// The reach of a responder that may be moved anywhere (into `spawn`, to another
/// thread) and answer at any time.
#[derive(Debug)]
pub enum Anywhere {}

/// The reach of a responder bound to the call `'call`: it answers before the call
/// returns (on the host's thread, or a scoped thread the handler joins).
#[derive(Debug)]
pub struct InCall<'call>(PhantomData<&'call ()>);

impl sealed::Sealed for Anywhere {}
impl Reach for Anywhere {
    const IN_CALL: bool = false;
}
impl sealed::Sealed for InCall<'_> {}
impl Reach for InCall<'_> {
    const IN_CALL: bool = true;
}

/// A unary responder bound to its call: the synchronous fast path.
pub type CallResponder<'call> = Responder<InCall<'call>>;

/// A stream responder bound to its call: frames sent before the call returns.
pub type CallStreamResponder<'call> = StreamResponder<InCall<'call>>;

/// What a send reports when the SDK dropped the frame (no host, or shut down).
pub const DROPPED: NrStatus = NrStatus::Err;

/// Delivers one frame by the path the responder's reach allows: the host's answer
/// (`Ok`, or e.g. `Backpressure`/`Invalid` on ABI 2), or [`DROPPED`].
#[inline(always)]
pub(crate) fn deliver<R: Reach>(sid: u64, status: NrStatus, data: &[u8]) -> NrStatus {
    let send = |ctx| generation::send(ctx, sid, status, data);
    let sent = if R::IN_CALL {
        host::if_live_in_call(send)
    } else {
        host::while_live(send)
    };
    sent.unwrap_or(DROPPED)
}

/// [`deliver`], retried while the host answers `Backpressure` (for up to
/// [`SEND_PATIENCE`], with a pause that doubles from 1 µs to 5 ms).
pub(crate) fn deliver_patiently<R: Reach>(sid: u64, status: NrStatus, data: &[u8]) -> NrStatus {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_micros(1);
    loop {
        match deliver::<R>(sid, status, data) {
            answer
                if Some(answer) == generation::BACKPRESSURE
                    && started.elapsed() < SEND_PATIENCE =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(5));
            }
            answer => return answer,
        }
    }
}

/// The status a responder dropped unanswered sends: the generation's panic status
/// while a panic unwinds through it, `Err` otherwise.
fn unanswered() -> NrStatus {
    if std::thread::panicking() {
        generation::PANICKED
    } else {
        NrStatus::Err
    }
}

/// What a handler returns: accepted (answers follow) or rejected (nothing follows).
///
/// Two words (returned in registers): a rejection is any status but `Ok`, and it is
/// armed until `handle` hands it to the host.
#[derive(Debug)]
pub struct Reply {
    sid: u64,
    status: NrStatus,
}

impl Reply {
    /// Accepted: the answer was sent, or a responder was handed to other code that
    /// will answer (a dropped responder still answers `Err`).
    pub const fn accepted() -> Reply {
        Reply {
            sid: 0,
            status: NrStatus::Ok,
        }
    }

    fn rejected(sid: u64, status: NrStatus) -> Reply {
        let status = if status == NrStatus::Ok {
            NrStatus::Err
        } else {
            status
        };
        Reply { sid, status }
    }

    /// Whether the host will be told "accepted".
    pub fn is_accepted(&self) -> bool {
        self.status == NrStatus::Ok
    }

    /// The status `handle` returns to the host; the rejection has reached it.
    pub(crate) fn into_status(self) -> NrStatus {
        let status = self.status;
        core::mem::forget(self);
        status
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if self.status != NrStatus::Ok {
            // The rejection never reached the host, which was told "accepted".
            deliver::<Anywhere>(self.sid, unanswered(), &[]);
        }
    }
}

/// Answers one unary call, exactly once. `Responder` may go anywhere;
/// [`CallResponder`] is bound to its call.
#[derive(Debug)]
pub struct Responder<R: Reach = Anywhere> {
    sid: u64,
    pub(crate) done: bool,
    reach: PhantomData<R>,
}

impl<R: Reach> Responder<R> {
    pub(crate) fn new(sid: u64) -> Responder<R> {
        Responder {
            sid,
            done: false,
            reach: PhantomData,
        }
    }

    /// The stream id of the call (the key of the host's per-sid state).
    pub fn sid(&self) -> u64 {
        self.sid
    }

    /// Sends the one answer. The data is copied by the host during the call.
    pub fn respond(mut self, status: NrStatus, data: &[u8]) -> Reply {
        self.done = true;
        deliver::<R>(self.sid, status, data);
        Reply::accepted()
    }

    /// Sends the one answer made of `parts` joined end to end. Up to
    /// [`JOIN_ON_STACK`] bytes are joined on the stack (no allocation); a longer
    /// answer is joined on the heap.
    pub fn respond_parts(self, status: NrStatus, parts: &[&[u8]]) -> Reply {
        bytes::joined::<JOIN_ON_STACK, _>(parts, |data| self.respond(status, data))
    }

    /// Refuses the call without an answer (only meaningful on the handler's own
    /// thread, before it returns): `handle` returns `status` (`Ok` becomes `Err`).
    pub fn reject(mut self, status: NrStatus) -> Reply {
        self.done = true;
        Reply::rejected(self.sid, status)
    }
}

impl CallResponder<'_> {
    /// A responder for the same call that may leave it: move it into `spawn` to
    /// answer later (its answer then passes the shutdown gate).
    pub fn detach(mut self) -> Responder {
        self.done = true;
        Responder::new(self.sid)
    }
}

impl<R: Reach> Drop for Responder<R> {
    fn drop(&mut self) {
        if !self.done {
            deliver::<R>(self.sid, unanswered(), &[]);
        }
    }
}

/// How long [`StreamResponder::send`] keeps retrying a frame the host answers
/// `Backpressure`.
pub const SEND_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// The longest answer [`Responder::respond_parts`] joins without allocating.
pub const JOIN_ON_STACK: usize = 256;

/// Sends the frames of one stream, then exactly one terminal frame.
/// `StreamResponder` may go anywhere; [`CallStreamResponder`] is bound to its call.
#[derive(Debug)]
pub struct StreamResponder<R: Reach = Anywhere> {
    sid: u64,
    sent: AtomicBool,
    ended: bool,
    reach: PhantomData<R>,
}

impl<R: Reach> StreamResponder<R> {
    pub(crate) fn new(sid: u64) -> StreamResponder<R> {
        StreamResponder {
            sid,
            sent: AtomicBool::new(false),
            ended: false,
            reach: PhantomData,
        }
    }

    /// The stream id (the key of the host's per-sid state).
    pub fn sid(&self) -> u64 {
        self.sid
    }

    /// Sends one `Ok` frame and waits while the host answers `Backpressure` (its
    /// stream queue is full), retrying with a growing pause for up to
    /// [`SEND_PATIENCE`]. `false` when the frame was not taken: the plugin is shutting
    /// down, the host refused it, or the queue stayed full (a loop producing frames
    /// should stop then). On the host's own thread, inside `handle`, the host may not
    /// drain its queue until `handle` returns: send long streams from `spawn`, or use
    /// [`StreamResponder::try_send`].
    pub fn send(&self, data: &[u8]) -> bool {
        self.sent.store(true, Relaxed);
        deliver_patiently::<R>(self.sid, NrStatus::Ok, data) == NrStatus::Ok
    }

    /// Sends one `Ok` frame without waiting: the host's answer. `Ok`: taken;
    /// `Backpressure` (ABI 2, not terminal): the host's queue is full and the frame was
    /// not taken, retry later; anything else: the frame was refused or dropped
    /// (the plugin is shutting down).
    pub fn try_send(&self, data: &[u8]) -> NrStatus {
        self.sent.store(true, Relaxed);
        deliver::<R>(self.sid, NrStatus::Ok, data)
    }

    /// Ends the stream with its terminal frame: `StreamEnd` for a normal end, or
    /// `Err`/`Invalid`/`Unsupported`. `Ok` is not terminal and becomes `StreamEnd`.
    pub fn end(mut self, status: NrStatus) -> Reply {
        self.ended = true;
        let status = if status == NrStatus::Ok {
            NrStatus::StreamEnd
        } else {
            status
        };
        deliver_patiently::<R>(self.sid, status, &[]);
        Reply::accepted()
    }

    /// [`StreamResponder::end`] without waiting: `Err(self)`, the stream as it was,
    /// when the host answered `Backpressure` (ABI 2: its queue for the stream is
    /// full), so the caller can end it later, e.g. from `spawn` after `detach`.
    pub fn try_end(mut self, status: NrStatus) -> Result<Reply, Self> {
        let status = if status == NrStatus::Ok {
            NrStatus::StreamEnd
        } else {
            status
        };
        if Some(deliver::<R>(self.sid, status, &[])) == generation::BACKPRESSURE {
            return Err(self);
        }
        self.ended = true;
        Ok(Reply::accepted())
    }

    /// Refuses the stream: `handle` returns `status`, nothing is sent. Once a frame
    /// went out the stream cannot be refused any more; it ends with `status` instead.
    pub fn reject(mut self, status: NrStatus) -> Reply {
        if self.sent.load(Relaxed) {
            let status = if status == NrStatus::Ok {
                NrStatus::Err
            } else {
                status
            };
            return self.end(status);
        }
        self.ended = true;
        Reply::rejected(self.sid, status)
    }
}

impl CallStreamResponder<'_> {
    /// A responder for the same stream that may leave the call: move it into
    /// `spawn` to send frames later (they then pass the shutdown gate).
    pub fn detach(mut self) -> StreamResponder {
        self.ended = true;
        let out = StreamResponder::new(self.sid);
        out.sent.store(self.sent.load(Relaxed), Relaxed);
        out
    }
}

impl<R: Reach> Drop for StreamResponder<R> {
    fn drop(&mut self) {
        if !self.ended {
            deliver_patiently::<R>(self.sid, unanswered(), &[]);
        }
    }
}
