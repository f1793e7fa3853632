//! What a handler is given: the call's borrowed inputs, checked once at the boundary.
//!
//! Everything borrows the host's memory for the duration of the call (no copies on
//! the fast path). A handler that answers later copies what it needs first
//! (`call.payload().to_vec()`, `request.path().to_owned()`).

use super::host;
use crate::nylon_ring_abi::{NrHeader, NrRequest, NrStatus};

/// One call: entry name, stream id, payload and, through `handle`, the request.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    entry: &'a str,
    sid: u64,
    payload: &'a [u8],
    request: Option<Request<'a>>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(
        entry: &'a str,
        sid: u64,
        payload: &'a [u8],
        request: Option<Request<'a>>,
    ) -> Call<'a> {
        Call {
            entry,
            sid,
            payload,
            request,
        }
    }

    /// The entry name the host called.
    pub fn entry(&self) -> &'a str {
        self.entry
    }

    /// The stream id (also the key of the per-sid state).
    pub fn sid(&self) -> u64 {
        self.sid
    }

    /// The request body, borrowed for the call.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The request metadata; `None` on the raw path (`handle_raw`) or when the host
    /// passed none.
    pub fn request(&self) -> Option<&Request<'a>> {
        self.request.as_ref()
    }

    /// The host's per-sid state, or `None` when the host offered no state extension.
    pub fn state(&self) -> Option<State> {
        state(self.sid)
    }
}

/// Request metadata with every string checked as UTF-8 at the boundary.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [NrHeader],
}

impl<'a> Request<'a> {
    /// Checks a host request: `Err(Invalid)` for a NULL view with a length or a
    /// string that is not UTF-8 (headers included).
    ///
    /// # Safety
    /// `raw` and everything it points to must stay valid for `'a`.
    pub(crate) unsafe fn from_raw(raw: &'a NrRequest) -> Result<Request<'a>, NrStatus> {
        // SAFETY: validity for 'a is this function's contract.
        let text = |view: &'a crate::nylon_ring_abi::NrStr| {
            unsafe { view.as_str() }.ok_or(NrStatus::Invalid)
        };
        let headers = unsafe { raw.headers_slice() }.ok_or(NrStatus::Invalid)?;
        for header in headers {
            text(&header.key)?;
            text(&header.value)?;
        }
        Ok(Request {
            method: text(&raw.method)?,
            path: text(&raw.path)?,
            query: text(&raw.query)?,
            headers,
        })
    }

    /// The method, e.g. `GET`.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The path, e.g. `/hello`.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The raw query string, without `?`.
    pub fn query(&self) -> &'a str {
        self.query
    }

    /// The headers in the order the host sent them.
    pub fn headers(&self) -> Headers<'a> {
        Headers {
            inner: self.headers.iter(),
        }
    }

    /// The first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }
}

/// Iterator over a request's headers as `(name, value)`.
#[derive(Clone, Debug)]
pub struct Headers<'a> {
    inner: core::slice::Iter<'a, NrHeader>,
}

impl<'a> Iterator for Headers<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        for header in self.inner.by_ref() {
            // SAFETY: checked readable and UTF-8 in `Request::from_raw`, valid for 'a.
            let pair = unsafe { (header.key.as_str(), header.value.as_str()) };
            if let (Some(key), Some(value)) = pair {
                return Some((key, value));
            }
        }
        None
    }
}

/// The host's per-sid state (the optional `NrHostExt` extension) for one stream id.
#[derive(Clone, Copy, Debug)]
pub struct State {
    sid: u64,
}

/// State access for `sid`, or `None` when the host offered no state extension.
/// Usable from background threads while the call is in flight.
pub fn state(sid: u64) -> Option<State> {
    host::has_state().then_some(State { sid })
}

impl State {
    /// Stores a copy of `value` under `key`.
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), NrStatus> {
        host::set_state(self.sid, key, value)
    }

    /// A copy of the value under `key`; empty when absent.
    pub fn get(&self, key: &str) -> Result<Vec<u8>, NrStatus> {
        host::get_state(self.sid, key)
    }
}
