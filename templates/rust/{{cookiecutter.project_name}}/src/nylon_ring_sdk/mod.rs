//! The nylon-ring plugin SDK: routing, responders, background work and state, on top
//! of the generated `nylon_ring_abi` module. Depends on nothing but `std`.
//!
//! The SDK enforces the ABI's rules so plugin code cannot break them:
//! - a unary call is answered exactly once ([`Responder`], [`CallResponder`] are
//!   consumed by their answer and answer `Err` if dropped unanswered); a stream sends
//!   frames, then exactly one terminal frame ([`StreamResponder`],
//!   [`CallStreamResponder`]); a rejected call sends nothing;
//! - a panic never crosses the ABI: every exported function and every worker runs
//!   behind `catch_unwind`, and a panicking handler answers `Err`;
//! - `shutdown` joins background workers ([`spawn`]), ends open bidirectional streams,
//!   and closes a gate after which nothing reaches the host (later sends are dropped);
//! - the synchronous path (a handler answering before it returns) allocates nothing,
//!   takes no lock and writes no memory another thread writes: routing scans a static
//!   table, and a [`CallResponder`] (bound to its call) answers straight to the host.
//!
//! The shutdown guarantee rests on one host contract, documented in `host.rs`: a host
//! never calls `shutdown` while another call into the plugin is in flight on another
//! thread.
//!
//! Start with `define_plugin!` (see `macros.rs`).

mod bytes;
mod call;
mod handler;
mod host;
mod legacy;
mod macros;
mod plugin;
mod respond;
mod session;
mod workers;

pub use crate::nylon_ring_abi::*;
pub use call::{state, Call, Headers, Request, State};
#[doc(hidden)]
pub use handler::{serve_stream, serve_unary};
pub use handler::{StreamHandler, UnaryHandler};
pub use legacy::{
    send_result, LegacyCloseFn, LegacyDataFn, LegacyEntryFn, LegacyInitFn, LegacyRawFn,
    LegacyShutdownFn,
};
pub use plugin::{
    plugin_info, routes_are_unique, set_host_ext, vtable, BidiFn, Handler, InitHook, Plugin,
    PluginSpec, Route, ServeFn, ShutdownHook,
};
pub use respond::{
    Anywhere, CallResponder, CallStreamResponder, InCall, Reach, Reply, Responder, StreamResponder,
    JOIN_ON_STACK,
};
pub use session::{Flow, Session};
pub use workers::{is_shutting_down, spawn};

pub(crate) use macros::define_plugin;
#[doc(hidden)]
pub(crate) use macros::{__nylon_ring_opt, __nylon_ring_route};
