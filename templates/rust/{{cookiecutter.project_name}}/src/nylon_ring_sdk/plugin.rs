//! The plugin description `define_plugin!` builds, shared by both ABI generations:
//! the route table, routing, hooks, probes, and what `init` and `shutdown` do
//! whatever the generation.
//!
//! Routing scans a `&'static [Route]` in place: no allocation, no lock. A route's
//! index in the table is also its id for integer dispatch (ABI 2).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use super::call::Call;
use super::generation::{
    self, LegacyCloseFn, LegacyDataFn, LegacyEntryFn, LegacyInitFn, LegacyRawFn, LegacyShutdownFn,
};
use super::handler::discard;
use super::respond::CallStreamResponder;
use super::session::{self, Session};
use super::{bytes, host, workers};
use crate::nylon_ring_abi::NrStatus;

/// How `define_plugin!` serves a `unary:` or `stream:` entry: a small function around
/// the handler (see `handler.rs`) that builds its responder, runs it behind
/// `catch_unwind`, and returns the status for `handle`.
pub type ServeFn = fn(Call<'_>) -> NrStatus;
/// A bidirectional opener: returns the session that receives the host's frames.
pub type BidiFn = fn(Call<'_>, &CallStreamResponder<'_>) -> Result<Box<dyn Session>, NrStatus>;
/// The safe `on_init` hook; an `Err` fails the load.
pub type InitHook = fn() -> Result<(), NrStatus>;
/// The safe `on_shutdown` hook, run after background work finished.
pub type ShutdownHook = fn();

/// How an entry is served.
#[derive(Clone, Copy)]
pub enum Handler {
    /// `unary: { "name" => f }` (and `panic_probes:`).
    Unary(ServeFn),
    /// `stream: { "name" => f }`.
    Stream(ServeFn),
    /// `bidi: { "name" => f }`.
    Bidi(BidiFn),
    /// Original-crate `entries: { "name" => f }`.
    Legacy(LegacyEntryFn),
    /// Seed-era `raw_entries: { "name" => f }`.
    LegacyRaw(LegacyRawFn),
}

impl Handler {
    /// The manifest mode of this kind of entry, in the generation's spelling.
    pub(crate) const fn mode(&self) -> &'static str {
        match self {
            Handler::Unary(_) | Handler::Legacy(_) | Handler::LegacyRaw(_) => {
                generation::MANIFEST_MODES[0]
            }
            Handler::Stream(_) => generation::MANIFEST_MODES[1],
            Handler::Bidi(_) => generation::MANIFEST_MODES[2],
        }
    }
}

/// One routing-table row.
#[derive(Clone, Copy)]
pub struct Route {
    pub(crate) name: &'static str,
    pub(crate) handler: Handler,
    pub(crate) enabled: bool,
    pub(crate) probe: bool,
    pub(crate) sample: &'static str,
}

impl Route {
    /// A route that is served.
    pub const fn new(name: &'static str, handler: Handler) -> Route {
        Route {
            name,
            handler,
            enabled: true,
            probe: false,
            sample: "",
        }
    }

    /// Keeps the route in the table but serves it only when `on` (a `#[cfg(...)]` on
    /// an entry becomes this, so the handler still type-checks in every build).
    pub const fn enabled(self, on: bool) -> Route {
        Route {
            enabled: on,
            ..self
        }
    }

    /// Marks a panic probe: listed under `[[panic_probes]]` in the embedded manifest
    /// and, on ABI 2, inert (`Unsupported`) unless `NYLON_RING_ENABLE_PROBES=1` was
    /// set when `init` ran.
    pub const fn probe(self) -> Route {
        Route {
            probe: true,
            ..self
        }
    }

    /// The manifest lines (`key = value`, TOML) that describe a sample call.
    pub const fn sample(self, lines: &'static str) -> Route {
        Route {
            sample: lines,
            ..self
        }
    }
}

/// Whether every route name is distinct (checked at compile time by the macro).
pub const fn routes_are_unique(routes: &[Route]) -> bool {
    let mut i = 0;
    while i < routes.len() {
        let mut j = i + 1;
        while j < routes.len() {
            if same_name(routes[i].name.as_bytes(), routes[j].name.as_bytes()) {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

const fn same_name(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Everything `define_plugin!` was given.
pub struct PluginSpec {
    /// The routing table.
    pub routes: &'static [Route],
    /// Original-crate / seed-era `init`.
    pub init: Option<LegacyInitFn>,
    /// Original-crate / seed-era `shutdown`.
    pub shutdown: Option<LegacyShutdownFn>,
    /// Safe init hook.
    pub on_init: Option<InitHook>,
    /// Safe shutdown hook.
    pub on_shutdown: Option<ShutdownHook>,
    /// `stream_handlers.data`, for sids no `bidi` session owns.
    pub stream_data: Option<LegacyDataFn>,
    /// `stream_handlers.close`, for sids no `bidi` session owns.
    pub stream_close: Option<LegacyCloseFn>,
}

/// Ties the exported functions to one `PluginSpec` (implemented by `define_plugin!`).
pub trait Plugin {
    /// The plugin's description.
    fn spec() -> &'static PluginSpec;
}

/// Runs `f`, turning a panic into `status_on_panic`.
pub(crate) fn guarded(status_on_panic: NrStatus, f: impl FnOnce() -> NrStatus) -> NrStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(status) => status,
        Err(payload) => {
            discard(payload);
            status_on_panic
        }
    }
}

/// Whether probes answer (set by `init` from `NYLON_RING_ENABLE_PROBES`).
static PROBES_ON: AtomicBool = AtomicBool::new(false);

/// Reads `NYLON_RING_ENABLE_PROBES` (at init): probes answer only when it is `1`.
fn read_probe_switch() {
    let on = std::env::var_os("NYLON_RING_ENABLE_PROBES").is_some_and(|value| value == "1");
    PROBES_ON.store(on, Relaxed);
}

/// The route named `name` and its index, scanning the static table in place. A
/// plain loop (not `Iterator::position`, which stays a call) inlines, so the
/// compiler unrolls the constant table into a few word compares.
#[inline(always)]
pub(crate) fn find_route<'r>(routes: &'r [Route], name: &[u8]) -> Option<(u32, &'r Route)> {
    let mut index = 0;
    while index < routes.len() {
        let route = &routes[index];
        if bytes::same(route.name.as_bytes(), name) && route.enabled {
            return Some((index as u32, route));
        }
        index += 1;
    }
    None
}

/// Whether a route may run now: a probe on ABI 2 needs the switch set at init.
#[inline(always)]
pub(crate) fn may_serve(route: &Route) -> bool {
    !(route.probe && generation::PROBES_NEED_ENV && !PROBES_ON.load(Relaxed))
}

/// What `init` does whatever the generation, once the host's callbacks are stored:
/// opens the worker pool and the gate, runs the seed `init` (through `legacy_init`)
/// and the `on_init` hook; a failure closes the gate again.
pub(crate) fn start(
    spec: &PluginSpec,
    host_ctx: *mut core::ffi::c_void,
    legacy_init: impl FnOnce(LegacyInitFn) -> NrStatus,
) -> NrStatus {
    read_probe_switch();
    workers::reopen();
    host::connect(host_ctx);
    let mut status = match spec.init {
        Some(f) => guarded(generation::PANICKED, || legacy_init(f)),
        None => NrStatus::Ok,
    };
    if let (NrStatus::Ok, Some(hook)) = (status, spec.on_init) {
        status = guarded(generation::PANICKED, || match hook() {
            Ok(()) => NrStatus::Ok,
            Err(NrStatus::Ok) => NrStatus::Err,
            Err(status) => status,
        });
    }
    if status != NrStatus::Ok {
        workers::close_and_join();
        host::disconnect();
    }
    status
}

/// What `shutdown` does: joins background work, ends open sessions, runs the seed
/// `shutdown` (through `legacy_shutdown`) and the `on_shutdown` hook, then closes
/// the gate, after which nothing reaches the host.
pub(crate) fn stop(spec: &PluginSpec, legacy_shutdown: impl FnOnce(LegacyShutdownFn)) {
    workers::close_and_join();
    session::abort_all();
    if let Some(f) = spec.shutdown {
        guarded(NrStatus::Err, || {
            legacy_shutdown(f);
            NrStatus::Ok
        });
    }
    if let Some(hook) = spec.on_shutdown {
        guarded(NrStatus::Err, || {
            hook();
            NrStatus::Ok
        });
    }
    host::disconnect();
}

/// Opens a bidirectional stream: the opener's session is registered under the sid.
#[inline(never)]
pub(crate) fn open_bidi(open: BidiFn, call: Call<'_>) -> NrStatus {
    let out = CallStreamResponder::new(call.sid());
    let opened = catch_unwind(AssertUnwindSafe(|| open(call, &out)));
    match opened {
        Ok(Ok(session)) => match session::insert(call.sid(), session, out) {
            Ok(()) => NrStatus::Ok,
            Err((session, out)) => {
                drop(session);
                out.reject(NrStatus::Invalid).into_status()
            }
        },
        Ok(Err(status)) => out.reject(status).into_status(),
        Err(payload) => {
            discard(payload);
            out.reject(generation::PANICKED).into_status()
        }
    }
}

/// The bidi part of `stream_data`: `None` when no session has this sid.
pub(crate) fn session_data(sid: u64, data: &[u8]) -> Option<NrStatus> {
    session::data(sid, data)
}

/// The bidi part of `stream_close`: `None` when no session has this sid.
pub(crate) fn session_close(sid: u64) -> Option<NrStatus> {
    session::close(sid)
}
