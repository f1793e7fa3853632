//! What a handler is given: the call's borrowed inputs, checked once at the boundary.
//!
//! Everything borrows the host's memory for the duration of the call (no copies on
//! the fast path). A handler that answers later copies what it needs first
//! (`call.payload().to_vec()`).

use super::generation::CallExt;

/// One call: entry name, stream id, payload, and what the ABI generation adds (the
/// request metadata of ABI 1: `call.request()`).
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    entry: &'a str,
    sid: u64,
    payload: &'a [u8],
    // Read by ABI 1's `request()`; ABI 2 carries nothing here.
    #[allow(dead_code)]
    pub(crate) ext: CallExt<'a>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(entry: &'a str, sid: u64, payload: &'a [u8], ext: CallExt<'a>) -> Call<'a> {
        Call {
            entry,
            sid,
            payload,
            ext,
        }
    }

    /// The entry name the host called.
    pub fn entry(&self) -> &'a str {
        self.entry
    }

    /// The stream id.
    pub fn sid(&self) -> u64 {
        self.sid
    }

    /// The request body, borrowed for the call.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}
