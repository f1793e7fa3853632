//! Bidirectional streams: per-sid sessions fed by `stream_data` and `stream_close`.
//!
//! The registry lock is held only to find or remove a session, never while plugin
//! code runs; each session has its own lock, so two streams never wait on each other.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use super::respond::StreamResponder;
use super::workers::lock;
use crate::nylon_ring_abi::NrStatus;

/// What a session wants after an inbound frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep the stream open.
    Continue,
    /// End the stream now with this terminal status (`StreamEnd` for a normal end).
    End(NrStatus),
}

/// One open bidirectional stream, created by a `bidi` entry's opener.
pub trait Session: Send + 'static {
    /// One inbound frame from the host; answer through `out` (any number of frames).
    fn on_data(&mut self, data: &[u8], out: &StreamResponder) -> Flow;

    /// The host closed its half. The stream ends with the terminal frame sent here;
    /// by default `StreamEnd` (dropping `out` unanswered sends `Err`).
    fn on_close(self: Box<Self>, out: StreamResponder) {
        let _ = out.end(NrStatus::StreamEnd);
    }
}

struct Slot {
    session: Box<dyn Session>,
    out: StreamResponder,
}

type Shared = Arc<Mutex<Option<Slot>>>;

static SESSIONS: Mutex<BTreeMap<u64, Shared>> = Mutex::new(BTreeMap::new());

/// Registers an opened session; gives it back when the sid is already in use.
pub(crate) fn insert(
    sid: u64,
    session: Box<dyn Session>,
    out: StreamResponder,
) -> Result<(), (Box<dyn Session>, StreamResponder)> {
    let mut sessions = lock(&SESSIONS);
    if sessions.contains_key(&sid) {
        return Err((session, out));
    }
    sessions.insert(sid, Arc::new(Mutex::new(Some(Slot { session, out }))));
    Ok(())
}

/// Feeds one inbound frame; `None` when no session has this sid.
pub(crate) fn data(sid: u64, bytes: &[u8]) -> Option<NrStatus> {
    let shared = lock(&SESSIONS).get(&sid).cloned()?;
    let mut guard = lock(&shared);
    let slot = guard.as_mut()?;
    let flow = catch_unwind(AssertUnwindSafe(|| slot.session.on_data(bytes, &slot.out)));
    let (end, status) = match flow {
        Ok(Flow::Continue) => return Some(NrStatus::Ok),
        Ok(Flow::End(status)) => (status, NrStatus::Ok),
        Err(_) => (NrStatus::Err, NrStatus::Err),
    };
    let taken = guard.take();
    drop(guard);
    forget(sid, &shared);
    if let Some(slot) = taken {
        drop(slot.session);
        let _ = slot.out.end(end);
    }
    Some(status)
}

/// Closes the inbound half; `None` when no session has this sid.
pub(crate) fn close(sid: u64) -> Option<NrStatus> {
    let shared = lock(&SESSIONS).remove(&sid)?;
    let Slot { session, out } = lock(&shared).take()?;
    match catch_unwind(AssertUnwindSafe(move || session.on_close(out))) {
        Ok(()) => Some(NrStatus::Ok),
        Err(_) => Some(NrStatus::Err),
    }
}

/// Ends every open session with an `Err` terminal frame (at shutdown).
pub(crate) fn abort_all() {
    let all = std::mem::take(&mut *lock(&SESSIONS));
    for shared in all.into_values() {
        let taken = lock(&shared).take();
        drop(taken);
    }
}

fn forget(sid: u64, shared: &Shared) {
    let mut sessions = lock(&SESSIONS);
    if sessions
        .get(&sid)
        .is_some_and(|current| Arc::ptr_eq(current, shared))
    {
        sessions.remove(&sid);
    }
}
