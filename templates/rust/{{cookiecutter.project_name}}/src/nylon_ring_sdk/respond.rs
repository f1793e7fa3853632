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
//! None of them allocates: the synchronous path answers from the stack.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use super::host;
use crate::nylon_ring_abi::NrStatus;

/// What a handler returns: accepted (answers follow) or rejected (nothing follows).
#[derive(Debug)]
pub struct Reply {
    sid: u64,
    status: NrStatus,
    armed: bool,
}

impl Reply {
    /// Accepted: the answer was sent, or a responder was handed to other code that
    /// will answer (a dropped responder still answers `Err`).
    pub const fn accepted() -> Reply {
        Reply {
            sid: 0,
            status: NrStatus::Ok,
            armed: false,
        }
    }

    fn rejected(sid: u64, status: NrStatus) -> Reply {
        let status = if status == NrStatus::Ok {
            NrStatus::Err
        } else {
            status
        };
        Reply {
            sid,
            status,
            armed: true,
        }
    }

    /// Whether the host will be told "accepted".
    pub fn is_accepted(&self) -> bool {
        self.status == NrStatus::Ok
    }

    /// The status `handle` returns to the host; the rejection has reached it.
    pub(crate) fn into_status(mut self) -> NrStatus {
        self.armed = false;
        self.status
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if self.armed {
            // The rejection never reached the host, which was told "accepted".
            host::send(self.sid, NrStatus::Err, &[]);
        }
    }
}

/// Answers one unary call, exactly once.
#[derive(Debug)]
pub struct Responder {
    sid: u64,
    done: bool,
}

impl Responder {
    pub(crate) fn new(sid: u64) -> Responder {
        Responder { sid, done: false }
    }

    /// The stream id of the call (the key of the host's per-sid state).
    pub fn sid(&self) -> u64 {
        self.sid
    }

    /// Sends the one answer. The data is copied by the host during the call.
    pub fn respond(mut self, status: NrStatus, data: &[u8]) -> Reply {
        self.done = true;
        host::send(self.sid, status, data);
        Reply::accepted()
    }

    /// Refuses the call without an answer (only meaningful on the handler's own
    /// thread, before it returns): `handle` returns `status` (`Ok` becomes `Err`).
    pub fn reject(mut self, status: NrStatus) -> Reply {
        self.done = true;
        Reply::rejected(self.sid, status)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if !self.done {
            host::send(self.sid, NrStatus::Err, &[]);
        }
    }
}

/// Sends the frames of one stream, then exactly one terminal frame.
#[derive(Debug)]
pub struct StreamResponder {
    sid: u64,
    sent: AtomicBool,
    ended: bool,
}

impl StreamResponder {
    pub(crate) fn new(sid: u64) -> StreamResponder {
        StreamResponder {
            sid,
            sent: AtomicBool::new(false),
            ended: false,
        }
    }

    /// The stream id (the key of the host's per-sid state).
    pub fn sid(&self) -> u64 {
        self.sid
    }

    /// Sends one `Ok` frame; `false` when it was dropped because the plugin is
    /// shutting down or has no host (a loop producing frames should stop then).
    pub fn send(&self, data: &[u8]) -> bool {
        self.sent.store(true, Relaxed);
        host::send(self.sid, NrStatus::Ok, data)
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
        host::send(self.sid, status, &[]);
        Reply::accepted()
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

impl Drop for StreamResponder {
    fn drop(&mut self) {
        if !self.ended {
            host::send(self.sid, NrStatus::Err, &[]);
        }
    }
}
