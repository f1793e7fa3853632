//! The nylon-ring plugin SDK: routing, responders, background work, on top of the
//! generated `nylon_ring_abi` module. Depends on nothing but `std`.
//!
//! The SDK enforces the ABI's rules so plugin code cannot break them:
//! - a unary call is answered exactly once ([`Responder`], [`CallResponder`] are
//!   consumed by their answer and answer `Err` if dropped unanswered); a stream sends
//!   frames, then exactly one terminal frame ([`StreamResponder`],
//!   [`CallStreamResponder`]); a rejected call sends nothing;
//! - a panic never crosses the ABI: every exported function and every worker runs
//!   behind `catch_unwind`, and a panicking handler answers the generation's panic
//!   status;
//! - `shutdown` drains and joins the worker pool ([`spawn`]), ends open bidirectional
//!   streams, and closes a gate after which nothing reaches the host;
//! - the synchronous path (a handler answering before it returns) allocates nothing,
//!   takes no lock and writes no memory another thread writes.
//!
//! The core (this folder's files) is the same for every ABI generation; the
//! generation layer (`{{ "abi2" if cookiecutter.abi == "2" else "abi1" }}/`) holds the exports, the vtable and the host callbacks.
//! Start with `define_plugin!` (see `macros.rs`).

mod {{ "abi2" if cookiecutter.abi == "2" else "abi1" }};
mod bytes;
mod call;
mod handler;
mod host;
mod macros;
mod manifest;
mod plugin;
mod respond;
mod session;
mod workers;

use {{ "abi2" if cookiecutter.abi == "2" else "abi1" }} as generation;

pub use crate::nylon_ring_abi::*;
pub use call::Call;
pub use generation::*;
#[doc(hidden)]
pub use handler::{serve_stream, serve_unary};
pub use handler::{StreamHandler, UnaryHandler};
pub use manifest::{manifest, manifest_len};
pub use plugin::{
    routes_are_unique, BidiFn, Handler, InitHook, Plugin, PluginSpec, Route, ServeFn, ShutdownHook,
};
pub use respond::{
    Anywhere, CallResponder, CallStreamResponder, InCall, Reach, Reply, Responder, StreamResponder,
    DROPPED, JOIN_ON_STACK, SEND_PATIENCE,
};
pub use session::{Flow, Session};
pub use workers::{is_shutting_down, spawn, try_spawn, MAX_WORKERS, QUEUE_LIMIT, SPIN_WINDOW};

pub(crate) use macros::define_plugin;
#[doc(hidden)]
pub(crate) use macros::{__nylon_ring_opt, __nylon_ring_route};
