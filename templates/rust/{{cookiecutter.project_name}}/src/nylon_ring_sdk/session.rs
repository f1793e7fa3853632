//! Bidirectional streams: per-sid sessions fed by `stream_data` and `stream_close`.
//!
//! The registry is split into shards by sid, each with its own lock on its own cache
//! lines, so host threads serving different streams rarely touch the same memory. A
//! shard's lock is held only to find, add or remove a session, never while plugin
//! code runs. Each session carries a claim flag: the thread that sets it (under the
//! shard lock) has the session to itself until it clears it, and a session is only
//! freed by a thread that holds its claim and took it out of its shard. So two
//! streams never wait on each other, and a frame costs three atomic operations
//! (shard lock, claim, shard unlock; the release is a plain store). A shard keeps its
//! first sessions in its own cache line, so opening a stream allocates only the session.

use core::cell::UnsafeCell;
use core::ptr::NonNull;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{
    AtomicBool,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::Mutex;

use super::respond::CallStreamResponder;
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
///
/// Its responder is bound to each call from the host (`stream_data`, `stream_close`):
/// frames sent there take the SDK's fastest path. To send later, `detach()` the one
/// `on_close` receives and move it into `spawn`.
pub trait Session: Send + 'static {
    /// One inbound frame from the host; answer through `out` (any number of frames).
    fn on_data(&mut self, data: &[u8], out: &CallStreamResponder<'_>) -> Flow;

    /// The host closed its half. The stream ends with the terminal frame sent here;
    /// by default `StreamEnd` (dropping `out` unanswered sends `Err`).
    fn on_close(self: Box<Self>, out: CallStreamResponder<'_>) {
        let _ = out.end(NrStatus::StreamEnd);
    }
}

/// A session and its responder. The responder is only used while the host is inside
/// a call for this sid (or by `shutdown`, before it disconnects), which is what its
/// `InCall` reach requires; the registry never hands it out by value otherwise.
struct Slot {
    session: Box<dyn Session>,
    out: CallStreamResponder<'static>,
}

/// One open session and its claim flag.
struct Entry {
    busy: AtomicBool,
    slot: UnsafeCell<Slot>,
}

// SAFETY: `slot` is only touched by the thread holding the claim (`busy`), which is
// taken with Acquire and given back with Release, so accesses never overlap.
unsafe impl Sync for Entry {}

/// The open sessions of one shard. The first two sit inline, in the shard's own cache
/// line, so a stream's open, frames and close touch one shared line; more spill into
/// a `Vec` (sids spread over all shards, so lists stay short).
struct List {
    inline: [Option<(u64, Box<Entry>)>; 2],
    more: Vec<(u64, Box<Entry>)>,
}

impl List {
    const fn new() -> List {
        List {
            inline: [None, None],
            more: Vec::new(),
        }
    }

    /// The entry of `sid`.
    fn get(&self, sid: u64) -> Option<&Entry> {
        self.inline
            .iter()
            .flatten()
            .chain(&self.more)
            .find(|(key, _)| *key == sid)
            .map(|(_, entry)| &**entry)
    }

    fn push(&mut self, sid: u64, entry: Box<Entry>) {
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(free) => *free = Some((sid, entry)),
            None => self.more.push((sid, entry)),
        }
    }

    /// Takes out the first entry `pick` accepts.
    fn take_first(&mut self, mut pick: impl FnMut(u64, &Entry) -> bool) -> Option<Box<Entry>> {
        for slot in &mut self.inline {
            if slot.as_ref().is_some_and(|(key, entry)| pick(*key, entry)) {
                return slot.take().map(|(_, entry)| entry);
            }
        }
        let at = self
            .more
            .iter()
            .position(|(key, entry)| pick(*key, entry))?;
        Some(self.more.swap_remove(at).1)
    }
}

/// One shard: its lock and list fill one cache line (the alignment keeps neighbours
/// off the adjacent line too).
#[repr(align(128))]
struct Shard(Mutex<List>);

const SHARD_BITS: u32 = 6;

static SHARDS: [Shard; 1 << SHARD_BITS] =
    [const { Shard(Mutex::new(List::new())) }; 1 << SHARD_BITS];

/// The shard of `sid`. Hosts often number streams per thread in the high bits and
/// count in the low ones, so every bit is mixed in (Fibonacci hashing).
fn shard(sid: u64) -> &'static Mutex<List> {
    let mixed = (sid ^ (sid >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SHARD_BITS);
    &SHARDS[mixed as usize % SHARDS.len()].0
}

/// Sets the claim of an entry (under its shard's lock); `false` when it is held.
fn try_claim(entry: &Entry) -> bool {
    entry
        .busy
        .compare_exchange(false, true, Acquire, Relaxed)
        .is_ok()
}

/// The claim on one session: exclusive use of its slot; released when dropped.
struct Claimed(NonNull<Entry>);

impl Claimed {
    /// The session's slot.
    fn slot(&mut self) -> &mut Slot {
        // SAFETY: the claim gives this thread sole use of the slot, and the entry is
        // not freed while claimed (only a claim holder may free it).
        unsafe { &mut *self.0.as_ref().slot.get() }
    }

    /// Takes the claimed session out of the registry.
    fn remove(self, sid: u64) -> Option<Box<Entry>> {
        let target = self.0.as_ptr().cast_const();
        let taken = lock(shard(sid)).take_first(|_, entry| core::ptr::eq(entry, target));
        // Taken: this thread owns the entry now. Not listed (cannot happen while
        // claimed): the claim stays set.
        core::mem::forget(self);
        taken
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        // SAFETY: the entry lives while claimed; this store ends the claim (and this
        // thread's last touch of the entry).
        unsafe { self.0.as_ref() }.busy.store(false, Release);
    }
}

/// Claims the session of `sid`, waiting while another thread holds it; `None` when
/// no session has this sid.
fn claim(sid: u64) -> Option<Claimed> {
    loop {
        let list = lock(shard(sid));
        let entry = list.get(sid)?;
        if try_claim(entry) {
            return Some(Claimed(NonNull::from(entry)));
        }
        drop(list);
        std::thread::yield_now();
    }
}

/// Claims the session of `sid` and takes it out of the registry in one step.
fn take(sid: u64) -> Option<Box<Entry>> {
    loop {
        let mut list = lock(shard(sid));
        list.get(sid)?;
        if let Some(entry) = list.take_first(|key, entry| key == sid && try_claim(entry)) {
            return Some(entry);
        }
        drop(list);
        std::thread::yield_now();
    }
}

/// Registers an opened session; gives it back when the sid is already in use.
pub(crate) fn insert(
    sid: u64,
    session: Box<dyn Session>,
    out: CallStreamResponder<'static>,
) -> Result<(), (Box<dyn Session>, CallStreamResponder<'static>)> {
    let mut list = lock(shard(sid));
    if list.get(sid).is_some() {
        return Err((session, out));
    }
    let entry = Box::new(Entry {
        busy: AtomicBool::new(false),
        slot: UnsafeCell::new(Slot { session, out }),
    });
    list.push(sid, entry);
    Ok(())
}

/// Feeds one inbound frame; `None` when no session has this sid.
pub(crate) fn data(sid: u64, bytes: &[u8]) -> Option<NrStatus> {
    let mut claimed = claim(sid)?;
    let slot = claimed.slot();
    let flow = catch_unwind(AssertUnwindSafe(|| slot.session.on_data(bytes, &slot.out)));
    let (end, status) = match flow {
        Ok(Flow::Continue) => return Some(NrStatus::Ok),
        Ok(Flow::End(status)) => (status, NrStatus::Ok),
        Err(_) => (NrStatus::Err, NrStatus::Err),
    };
    if let Some(entry) = claimed.remove(sid) {
        let Slot { session, out } = entry.slot.into_inner();
        drop(session);
        let _ = out.end(end);
    }
    Some(status)
}

/// Closes the inbound half; `None` when no session has this sid.
pub(crate) fn close(sid: u64) -> Option<NrStatus> {
    let Slot { session, out } = take(sid)?.slot.into_inner();
    match catch_unwind(AssertUnwindSafe(move || session.on_close(out))) {
        Ok(()) => Some(NrStatus::Ok),
        Err(_) => Some(NrStatus::Err),
    }
}

/// Ends every open session with an `Err` terminal frame (at shutdown). A session
/// still claimed (a host that shuts down from inside one of its frames) is left to
/// the call that holds it.
pub(crate) fn abort_all() {
    for shard in &SHARDS {
        let mut ended = Vec::new();
        {
            let mut list = lock(&shard.0);
            while let Some(entry) = list.take_first(|_, entry| try_claim(entry)) {
                ended.push(entry);
            }
        }
        drop(ended);
    }
}
