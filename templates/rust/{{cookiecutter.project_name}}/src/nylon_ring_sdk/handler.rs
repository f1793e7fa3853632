//! Handler shapes: the responder a `unary:` or `stream:` handler takes decides how it
//! is served, so both shapes sit in the same `define_plugin!` section.
//!
//! - `fn(Call<'_>, CallResponder<'_>) -> Reply` (or `CallStreamResponder<'_>`): the
//!   answer is bound to the call; nothing but the handler runs around it.
//! - `fn(Call<'_>, Responder) -> Reply` (or `StreamResponder`): the responder may go
//!   anywhere, so the handler runs with its thread marked as inside a call, and its
//!   answers on this thread skip the shutdown gate (see `host.rs`).
//!
//! `define_plugin!` wraps each handler in a small `fn(Call<'_>) -> NrStatus` that calls
//! [`serve_unary`] or [`serve_stream`]; the marker type parameter picks the shape
//! from the handler's signature (one impl per shape, so the choice is unambiguous).

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::call::Call;
use super::host;
use super::respond::{
    Anywhere, CallResponder, CallStreamResponder, InCall, Reply, Responder, StreamResponder,
};
use crate::nylon_ring_abi::NrStatus;

/// A `unary:` handler, in either shape (the `Marker` names the shape).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a unary handler",
    label = "expected `fn(Call<'_>, CallResponder<'_>) -> Reply` or `fn(Call<'_>, Responder) -> Reply`"
)]
pub trait UnaryHandler<Marker> {
    /// Runs the handler for `call` behind `catch_unwind`: the status for `handle`.
    fn serve(self, call: Call<'_>) -> NrStatus;
}

/// A `stream:` handler, in either shape (the `Marker` names the shape).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a stream handler",
    label = "expected `fn(Call<'_>, CallStreamResponder<'_>) -> Reply` or `fn(Call<'_>, StreamResponder) -> Reply`"
)]
pub trait StreamHandler<Marker> {
    /// Runs the handler for `call` behind `catch_unwind`: the status for `handle`.
    fn serve(self, call: Call<'_>) -> NrStatus;
}

impl<F> UnaryHandler<InCall<'static>> for F
where
    F: Fn(Call<'_>, CallResponder<'_>) -> Reply,
{
    #[inline(always)]
    fn serve(self, call: Call<'_>) -> NrStatus {
        run(|| self(call, CallResponder::new(call.sid())))
    }
}

impl<F> UnaryHandler<Anywhere> for F
where
    F: Fn(Call<'_>, Responder) -> Reply,
{
    #[inline(always)]
    fn serve(self, call: Call<'_>) -> NrStatus {
        host::in_call(|| run(|| self(call, Responder::new(call.sid()))))
    }
}

impl<F> StreamHandler<InCall<'static>> for F
where
    F: Fn(Call<'_>, CallStreamResponder<'_>) -> Reply,
{
    #[inline(always)]
    fn serve(self, call: Call<'_>) -> NrStatus {
        run(|| self(call, CallStreamResponder::new(call.sid())))
    }
}

impl<F> StreamHandler<Anywhere> for F
where
    F: Fn(Call<'_>, StreamResponder) -> Reply,
{
    #[inline(always)]
    fn serve(self, call: Call<'_>) -> NrStatus {
        host::in_call(|| run(|| self(call, StreamResponder::new(call.sid()))))
    }
}

/// Serves a `unary:` entry (called by the glue `define_plugin!` writes).
#[doc(hidden)]
#[inline(always)]
pub fn serve_unary<Marker, F: UnaryHandler<Marker>>(handler: F, call: Call<'_>) -> NrStatus {
    handler.serve(call)
}

/// Serves a `stream:` entry (called by the glue `define_plugin!` writes).
#[doc(hidden)]
#[inline(always)]
pub fn serve_stream<Marker, F: StreamHandler<Marker>>(handler: F, call: Call<'_>) -> NrStatus {
    handler.serve(call)
}

/// Runs a responder-based handler behind `catch_unwind`: the status for `handle`.
/// After a panic the responder (or an unreturned rejection) answered `Err` while
/// unwinding, so the call was accepted.
#[inline(always)]
fn run(handler: impl FnOnce() -> Reply) -> NrStatus {
    match catch_unwind(AssertUnwindSafe(handler)) {
        Ok(reply) => reply.into_status(),
        Err(payload) => {
            discard(payload);
            NrStatus::Ok
        }
    }
}

/// Drops a panic payload behind its own guard: a payload that panics when dropped
/// cannot escape either.
#[inline(never)]
pub(crate) fn discard(payload: Box<dyn std::any::Any + Send>) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
}
