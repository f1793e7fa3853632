//! A plugin built only from the released `nylon-ring` 0.2.2 crate and its trait API,
//! the way an upstream user writes one. It serves the same entries as an SDK
//! scaffold for ABI 2, so one set of steps (and one benchmark) fits both:
//!
//! - `hello`: answers "hello, <payload>"
//! - `echo`: answers the payload inside `handle`
//! - `echo_async`: answers the payload from another thread after `handle` returned
//! - `echo_owned`: answers through `send_result_owned` (released by the host)
//! - `echo_lease`: answers through acquire/commit, else through `send_result`
//! - `count`: stream, payload "N" -> frames "0".."N-1", then an empty StreamEnd
//! - `chat`: bidi, each pushed message comes back as an Ok frame; close ends it
//! - `panic`: panics inside `handle` (the crate contains it as status Panic)

use std::collections::HashSet;
use std::sync::Mutex;

use nylon_ring::plugin::{acquire_result_buffer, commit_result_buffer, send_result, send_result_owned};
use nylon_ring::{export_plugin, NrOwnedBytes, NrStatus, NrVec, Plugin, Reply, Session};

/// Cross-call state: the sids of the open `chat` streams.
struct Released {
    chats: Mutex<HashSet<u64>>,
}

impl Plugin for Released {
    type Ctx = ();
    const ENTRIES: &'static [&'static str] =
        &["hello", "echo", "echo_async", "echo_owned", "echo_lease", "count", "chat", "panic"];

    fn new() -> Self {
        Released { chats: Mutex::new(HashSet::new()) }
    }

    fn new_ctx(&self) {}

    fn on_call(&self, session: &mut Session<'_>, _ctx: &mut ()) -> Reply {
        match session.entry() {
            "hello" => hello(session.payload()),
            "echo" => Reply::Bytes(session.payload().to_vec()),
            "echo_async" => answer_later(session.sid(), session.payload().to_vec()),
            "echo_owned" => owned(session.sid(), session.payload()),
            "echo_lease" => leased(session.sid(), session.payload()),
            "count" => count(session),
            "chat" => self.open_chat(session.sid()),
            "panic" => panic!("panic probe"),
            _ => Reply::Fail(NrStatus::Invalid),
        }
    }

    fn on_stream_data(&self, sid: u64, data: &[u8]) -> NrStatus {
        if !self.chats.lock().map(|open| open.contains(&sid)).unwrap_or(false) {
            return NrStatus::Invalid;
        }
        send_result(sid, NrStatus::Ok, NrVec::from_vec(data.to_vec()));
        NrStatus::Ok
    }

    fn on_stream_close(&self, sid: u64) -> NrStatus {
        if !self.chats.lock().map(|mut open| open.remove(&sid)).unwrap_or(false) {
            return NrStatus::Invalid;
        }
        send_result(sid, NrStatus::StreamEnd, NrVec::from_vec(Vec::new()));
        NrStatus::Ok
    }
}

impl Released {
    fn open_chat(&self, sid: u64) -> Reply {
        match self.chats.lock() {
            Ok(mut open) => {
                open.insert(sid);
                Reply::None
            }
            Err(_) => Reply::Fail(NrStatus::Err),
        }
    }
}

fn hello(payload: &[u8]) -> Reply {
    let mut text = b"hello, ".to_vec();
    text.extend_from_slice(payload);
    Reply::Bytes(text)
}

/// The answer leaves from a new thread, after `handle` has returned Ok.
fn answer_later(sid: u64, data: Vec<u8>) -> Reply {
    std::thread::spawn(move || send_result(sid, NrStatus::Ok, NrVec::from_vec(data)));
    Reply::None
}

fn owned(sid: u64, payload: &[u8]) -> Reply {
    match send_result_owned(sid, NrStatus::Ok, NrOwnedBytes::from_vec(payload.to_vec())) {
        NrStatus::Ok => Reply::None,
        status => Reply::Fail(status),
    }
}

/// The lease path when the host grants one; a refused lease or commit falls back to a copy.
fn leased(sid: u64, payload: &[u8]) -> Reply {
    let lease = acquire_result_buffer(sid, payload.len() as u64);
    if lease.is_failed() || (lease.cap as usize) < payload.len() {
        return Reply::Bytes(payload.to_vec());
    }
    // SAFETY: the host granted `cap` writable bytes at `ptr` for this sid.
    unsafe { std::ptr::copy_nonoverlapping(payload.as_ptr(), lease.ptr, payload.len()) };
    match commit_result_buffer(sid, NrStatus::Ok, lease.token, payload.len() as u64) {
        NrStatus::Ok => Reply::None,
        _ => Reply::Bytes(payload.to_vec()),
    }
}

fn count(session: &mut Session<'_>) -> Reply {
    let Some(n) = std::str::from_utf8(session.payload()).ok().and_then(|t| t.parse::<u32>().ok()) else {
        return Reply::Fail(NrStatus::Invalid);
    };
    for i in 0..n {
        session.send_frame(i.to_string().into_bytes());
    }
    session.end_stream(Vec::new());
    Reply::None
}

export_plugin!(Released);
