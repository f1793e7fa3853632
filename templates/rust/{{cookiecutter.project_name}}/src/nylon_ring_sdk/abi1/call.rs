//! ABI 1's request metadata and per-sid state, reached from a `Call`.
//!
//! Everything borrows the host's memory for the duration of the call. A handler
//! that answers later copies what it needs first (`request.path().to_owned()`).

use super::super::call::Call;
use super::ascii as bytes;
use super::connection as host;
use crate::nylon_ring_abi::{NrHeader, NrRequest, NrStatus, NrStr};

impl<'a> Call<'a> {
    /// The request metadata; `None` on the raw path (`handle_raw`) or when the host
    /// passed none.
    pub fn request(&self) -> Option<&'a Request<'a>> {
        self.ext
    }

    /// The host's per-sid state, or `None` when the host offered no state extension.
    pub fn state(&self) -> Option<State> {
        state(self.sid())
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
        // SAFETY (all views): validity for 'a is this function's contract.
        let view = |view: &'a NrStr| unsafe { view.try_as_bytes() }.ok_or(NrStatus::Invalid);
        let headers = unsafe { raw.headers_slice() }.ok_or(NrStatus::Invalid)?;
        let (method, path, query) = (view(&raw.method)?, view(&raw.path)?, view(&raw.query)?);
        // One pass over every byte: all ASCII (the usual case) is all UTF-8.
        let mut bits = bytes::or_bits(method) | bytes::or_bits(path) | bytes::or_bits(query);
        for header in headers {
            bits |= bytes::or_bits(view(&header.key)?) | bytes::or_bits(view(&header.value)?);
        }
        if bits & bytes::NOT_ASCII == 0 {
            // SAFETY: ASCII is UTF-8.
            let ascii = |text: &'a [u8]| unsafe { core::str::from_utf8_unchecked(text) };
            return Ok(Request {
                method: ascii(method),
                path: ascii(path),
                query: ascii(query),
                headers,
            });
        }
        let text = |text: &'a [u8]| core::str::from_utf8(text).map_err(|_| NrStatus::Invalid);
        for header in headers {
            text(view(&header.key)?)?;
            text(view(&header.value)?)?;
        }
        Ok(Request {
            method: text(method)?,
            path: text(path)?,
            query: text(query)?,
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

/// The viewed string, or `None` for a NULL pointer with a length or bytes that are
/// not UTF-8. ASCII (nearly every method, path and header) is settled a word at a
/// time; only other bytes take the full UTF-8 check.
///
/// # Safety
/// As for [`NrStr::try_as_bytes`].
#[inline]
unsafe fn checked_str(view: &NrStr) -> Option<&str> {
    // SAFETY: forwarded contract.
    let text = unsafe { view.try_as_bytes() }?;
    if bytes::or_bits(text) & bytes::NOT_ASCII == 0 {
        // SAFETY: ASCII is UTF-8.
        return Some(unsafe { core::str::from_utf8_unchecked(text) });
    }
    core::str::from_utf8(text).ok()
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
            // SAFETY: checked readable in `Request::from_raw`, valid for 'a.
            let pair = unsafe { (checked_str(&header.key), checked_str(&header.value)) };
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
