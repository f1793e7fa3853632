//! ABI 2's answer paths beyond the copy: zero-copy answers (`send_result_owned`) and
//! host-leased result buffers (`acquire_result_buffer`/`commit_result_buffer`), as
//! methods of the core's `Responder`, so exactly-once still holds by type.

use core::ffi::c_void;
use core::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use super::super::host;
use super::super::respond::{deliver, Reach, Reply, Responder, DROPPED};
use super::connection;
use crate::nylon_ring_abi::{NrOwnedBytes, NrStatus};

/// Bytes an owned answer hands to the host without a copy: kept alive and unchanged
/// by the SDK until the host calls `release` (exactly once, from any thread).
#[derive(Debug)]
pub enum Owned {
    /// A vector the release frees.
    Vec(Vec<u8>),
    /// Static bytes: nothing to free.
    Static(&'static [u8]),
}

impl From<Vec<u8>> for Owned {
    fn from(data: Vec<u8>) -> Owned {
        Owned::Vec(data)
    }
}

impl From<&'static [u8]> for Owned {
    fn from(data: &'static [u8]) -> Owned {
        Owned::Static(data)
    }
}

impl From<String> for Owned {
    fn from(text: String) -> Owned {
        Owned::Vec(text.into_bytes())
    }
}

/// Frees a vector handed over by [`into_abi`]; its capacity rides in `owner_ctx`.
unsafe extern "C" fn release_vec(owner_ctx: *mut c_void, ptr: *const u8, len: u64) {
    let _ = catch_unwind(|| {
        // SAFETY: rebuilds exactly the vector taken apart in `into_abi`.
        drop(unsafe { Vec::from_raw_parts(ptr.cast_mut(), len as usize, owner_ctx as usize) });
    });
}

/// The ABI view of `owned`; from here on its memory belongs to whoever calls
/// `release` (the host, or [`give_back`]).
fn into_abi(owned: Owned) -> NrOwnedBytes {
    match owned {
        Owned::Vec(data) => {
            let mut data = core::mem::ManuallyDrop::new(data);
            NrOwnedBytes {
                ptr: data.as_mut_ptr(),
                len: data.len() as u64,
                owner_ctx: data.capacity() as *mut c_void,
                release: Some(release_vec),
            }
        }
        Owned::Static(data) => NrOwnedBytes {
            ptr: data.as_ptr(),
            len: data.len() as u64,
            owner_ctx: core::ptr::null_mut(),
            release: None,
        },
    }
}

/// Releases a payload that never reached the host.
fn give_back(payload: NrOwnedBytes) {
    if let Some(release) = payload.release {
        // SAFETY: our own release for our own buffer, called once.
        unsafe { release(payload.owner_ctx, payload.ptr, payload.len) };
    }
}

/// Hands `owned` to the host by the path reach `R` allows: the host's status, or
/// [`DROPPED`]. A host without `send_result_owned` gets a copy instead.
fn deliver_owned<R: Reach>(sid: u64, status: NrStatus, owned: Owned) -> NrStatus {
    if !connection::has_owned() {
        let data: &[u8] = match &owned {
            Owned::Vec(data) => data,
            Owned::Static(data) => data,
        };
        return deliver::<R>(sid, status, data);
    }
    let payload = into_abi(owned);
    let send = |ctx| connection::send_result_owned(ctx, sid, status.to_raw(), payload);
    let sent = if R::IN_CALL {
        host::if_live_in_call(send)
    } else {
        host::while_live(send)
    };
    match sent {
        Some(Some(answer)) => answer,
        _ => {
            give_back(payload);
            DROPPED
        }
    }
}

/// Writable room for an answer: a buffer the host leased, or the SDK's own when no
/// lease was granted. Only written bytes count; nothing is read before it is written.
pub struct Buffer<'a> {
    ptr: *mut u8,
    cap: usize,
    len: usize,
    life: PhantomData<&'a mut [u8]>,
}

impl Buffer<'_> {
    /// Appends `bytes`; `false` (nothing written) when they do not fit.
    pub fn put(&mut self, bytes: &[u8]) -> bool {
        if bytes.len() > self.cap - self.len {
            return false;
        }
        // SAFETY: `len + bytes.len() <= cap` writable bytes from `ptr`; `bytes` is
        // never inside the buffer (the buffer is not lent out as a slice).
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(self.len), bytes.len())
        };
        self.len += bytes.len();
        true
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most bytes the buffer takes.
    pub fn capacity(&self) -> usize {
        self.cap
    }
}

impl<R: Reach> Responder<R> {
    /// Answers with `data` without a copy (`send_result_owned`): the host keeps the
    /// bytes until it calls `release`, exactly once, from any thread; the SDK keeps
    /// them alive and unchanged until then. A host without that callback gets a copy.
    pub fn respond_owned(mut self, status: NrStatus, data: impl Into<Owned>) -> Reply {
        self.done = true;
        deliver_owned::<R>(self.sid(), status, data.into());
        Reply::accepted()
    }

    /// Answers by writing into a buffer the host leases (`acquire_result_buffer`,
    /// then `commit_result_buffer`): `fill` writes at most `capacity` bytes. When the
    /// host grants no lease (an unknown or streaming sid, a lease already out, no such
    /// callback), `fill` writes into the SDK's own buffer and the answer goes
    /// through `send_result`. A panic in `fill` answers Panic and goes on
    /// unwinding.
    pub fn respond_leased(
        mut self,
        status: NrStatus,
        capacity: usize,
        fill: impl FnOnce(&mut Buffer<'_>),
    ) -> Reply {
        self.done = true;
        let sid = self.sid();
        let acquire = |ctx| connection::acquire(ctx, sid, capacity as u64);
        let lease = if R::IN_CALL {
            host::if_live_in_call(acquire)
        } else {
            host::while_live(acquire)
        };
        let lease = lease.filter(|lease| !lease.ptr.is_null() && lease.cap >= capacity as u64);
        let Some(lease) = lease else {
            copied::<R>(sid, status, capacity, fill);
            return Reply::accepted();
        };
        let mut buffer = Buffer {
            ptr: lease.ptr,
            cap: capacity,
            len: 0,
            life: PhantomData,
        };
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| fill(&mut buffer))) {
            // Answering another way consumes the lease.
            deliver::<R>(sid, super::PANICKED, &[]);
            resume_unwind(panic);
        }
        let len = buffer.len as u64;
        let commit = |ctx| connection::commit(ctx, sid, status.to_raw(), lease.token, len);
        let committed = if R::IN_CALL {
            host::if_live_in_call(commit)
        } else {
            host::while_live(commit)
        };
        if committed.is_some_and(|answer| answer != NrStatus::Ok) {
            deliver::<R>(sid, NrStatus::Err, &[]);
        }
        Reply::accepted()
    }
}

/// The leased answer's fallback: `fill` writes into a vector sent through `send_result`.
fn copied<R: Reach>(
    sid: u64,
    status: NrStatus,
    capacity: usize,
    fill: impl FnOnce(&mut Buffer<'_>),
) {
    let mut data = Vec::<u8>::with_capacity(capacity);
    let mut buffer = Buffer {
        ptr: data.as_mut_ptr(),
        cap: capacity,
        len: 0,
        life: PhantomData,
    };
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| fill(&mut buffer))) {
        deliver::<R>(sid, super::PANICKED, &[]);
        resume_unwind(panic);
    }
    // SAFETY: `fill` wrote the first `buffer.len` bytes through `put`.
    unsafe { data.set_len(buffer.len) };
    deliver::<R>(sid, status, &data);
}
