//! The plugin description `define_plugin!` builds, and the `extern "C"` boundary.
//!
//! Every exported function runs behind `catch_unwind` (a panic answers `Err`), checks
//! its pointers and views (bad input answers `Invalid`), and routes by entry name
//! through a `&'static [Route]` scanned in place: no allocation, no lock.

use core::ffi::c_void;
use core::ptr;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::call::{Call, Request};
use super::handler::discard;
use super::legacy::{
    self, LegacyCloseFn, LegacyDataFn, LegacyEntryFn, LegacyInitFn, LegacyRawFn, LegacyShutdownFn,
};
use super::respond::CallStreamResponder;
use super::session::{self, Session};
use super::{bytes, host, workers};
use crate::nylon_ring_abi::{
    NrBytes, NrHostExt, NrHostVTable, NrPluginInfo, NrPluginVTable, NrRequest, NrStatus,
    NrStatusRaw, NrStr, NR_ABI_VERSION,
};

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
    /// `unary: { "name" => f }`.
    Unary(ServeFn),
    /// `stream: { "name" => f }`.
    Stream(ServeFn),
    /// `bidi: { "name" => f }`.
    Bidi(BidiFn),
    /// Seed-era `entries: { "name" => f }`.
    Legacy(LegacyEntryFn),
    /// Seed-era `raw_entries: { "name" => f }`.
    LegacyRaw(LegacyRawFn),
}

/// One routing-table row.
#[derive(Clone, Copy)]
pub struct Route {
    name: &'static str,
    handler: Handler,
    enabled: bool,
}

impl Route {
    /// A route that is served.
    pub const fn new(name: &'static str, handler: Handler) -> Route {
        Route {
            name,
            handler,
            enabled: true,
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
    /// Seed-era `init`.
    pub init: Option<LegacyInitFn>,
    /// Seed-era `shutdown`.
    pub shutdown: Option<LegacyShutdownFn>,
    /// Safe init hook.
    pub on_init: Option<InitHook>,
    /// Safe shutdown hook.
    pub on_shutdown: Option<ShutdownHook>,
    /// Seed-era `stream_handlers.data`, for sids no `bidi` session owns.
    pub stream_data: Option<LegacyDataFn>,
    /// Seed-era `stream_handlers.close`, for sids no `bidi` session owns.
    pub stream_close: Option<LegacyCloseFn>,
}

/// Ties the exported functions to one `PluginSpec` (implemented by `define_plugin!`).
pub trait Plugin {
    /// The plugin's description.
    fn spec() -> &'static PluginSpec;
}

/// The vtable of plugin `P`: every slot filled.
pub const fn vtable<P: Plugin>() -> NrPluginVTable {
    NrPluginVTable {
        init: Some(init::<P>),
        handle: Some(handle::<P>),
        handle_raw: Some(handle_raw::<P>),
        shutdown: Some(shutdown::<P>),
        stream_data: Some(stream_data::<P>),
        stream_close: Some(stream_close::<P>),
    }
}

/// The `NrPluginInfo` a plugin exports.
pub const fn plugin_info(
    name: &'static str,
    version: &'static str,
    vtable: &'static NrPluginVTable,
) -> NrPluginInfo {
    NrPluginInfo {
        abi_version: NR_ABI_VERSION,
        struct_size: core::mem::size_of::<NrPluginInfo>() as u32,
        name: NrStr::new(name),
        version: NrStr::new(version),
        plugin_ctx: ptr::null_mut(),
        vtable,
    }
}

/// Runs `f`, turning a panic into `status_on_panic`.
fn guarded(status_on_panic: NrStatus, f: impl FnOnce() -> NrStatus) -> NrStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(status) => status,
        Err(payload) => {
            discard(payload);
            status_on_panic
        }
    }
}

fn boundary(f: impl FnOnce() -> NrStatus) -> NrStatusRaw {
    guarded(NrStatus::Err, f).to_raw()
}

unsafe extern "C" fn init<P: Plugin>(
    plugin_ctx: *mut c_void,
    host_ctx: *mut c_void,
    host_vtable: *const NrHostVTable,
) -> NrStatusRaw {
    boundary(|| unsafe { start(P::spec(), plugin_ctx, host_ctx, host_vtable) })
}

unsafe extern "C" fn handle<P: Plugin>(
    plugin_ctx: *mut c_void,
    entry: NrStr,
    sid: u64,
    req: *const NrRequest,
    payload: NrBytes,
) -> NrStatusRaw {
    boundary(|| unsafe { dispatch(P::spec(), plugin_ctx, entry, sid, Some(req), payload) })
}

unsafe extern "C" fn handle_raw<P: Plugin>(
    plugin_ctx: *mut c_void,
    entry: NrStr,
    sid: u64,
    payload: NrBytes,
) -> NrStatusRaw {
    boundary(|| unsafe { dispatch(P::spec(), plugin_ctx, entry, sid, None, payload) })
}

unsafe extern "C" fn shutdown<P: Plugin>(plugin_ctx: *mut c_void) {
    let _ = boundary(|| {
        stop(P::spec(), plugin_ctx);
        NrStatus::Ok
    });
}

unsafe extern "C" fn stream_data<P: Plugin>(
    plugin_ctx: *mut c_void,
    sid: u64,
    data: NrBytes,
) -> NrStatusRaw {
    boundary(|| {
        // SAFETY: the host's view, valid for this call.
        let Some(bytes) = (unsafe { data.try_as_slice() }) else {
            return NrStatus::Invalid;
        };
        if let Some(status) = session::data(sid, bytes) {
            return status;
        }
        match P::spec().stream_data {
            Some(f) => {
                host::in_call(|| guarded(NrStatus::Err, || unsafe { f(plugin_ctx, sid, data) }))
            }
            None => NrStatus::Invalid,
        }
    })
}

unsafe extern "C" fn stream_close<P: Plugin>(plugin_ctx: *mut c_void, sid: u64) -> NrStatusRaw {
    boundary(|| {
        if let Some(status) = session::close(sid) {
            return status;
        }
        match P::spec().stream_close {
            Some(f) => host::in_call(|| guarded(NrStatus::Err, || unsafe { f(plugin_ctx, sid) })),
            None => NrStatus::Invalid,
        }
    })
}

/// Stores the state extension a host hands over before `init` (see `define_plugin!`).
///
/// # Safety
/// `ext` is NULL or points to an `NrHostExt` valid until `shutdown` returns.
pub unsafe fn set_host_ext(ext: *const NrHostExt) {
    let _ = catch_unwind(|| host::set_host_ext(ext));
}

unsafe fn start(
    spec: &PluginSpec,
    plugin_ctx: *mut c_void,
    host_ctx: *mut c_void,
    host_vtable: *const NrHostVTable,
) -> NrStatus {
    // SAFETY: NULL or the host's vtable, valid for the call.
    let Some(send_result) = (unsafe { host_vtable.as_ref() }).and_then(|vt| vt.send_result) else {
        return NrStatus::Invalid;
    };
    workers::reopen();
    host::connect(host_ctx, send_result);
    let mut status = match spec.init {
        Some(f) => guarded(NrStatus::Err, || unsafe {
            f(plugin_ctx, host_ctx, &legacy::GUARDED_VTABLE)
        }),
        None => NrStatus::Ok,
    };
    if let (NrStatus::Ok, Some(hook)) = (status, spec.on_init) {
        status = guarded(NrStatus::Err, || match hook() {
            Ok(()) => NrStatus::Ok,
            Err(NrStatus::Ok) => NrStatus::Err,
            Err(status) => status,
        });
    }
    if status != NrStatus::Ok {
        host::disconnect();
    }
    status
}

fn stop(spec: &PluginSpec, plugin_ctx: *mut c_void) {
    workers::close_and_join();
    session::abort_all();
    if let Some(f) = spec.shutdown {
        guarded(NrStatus::Err, || {
            unsafe { f(plugin_ctx) };
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

/// Routes one call. `req` is `Some` on the `handle` path (possibly NULL).
///
/// Inlined into `handle` and `handle_raw`, so the raw path carries no request code.
/// The request is checked here, once, and lent to the handler from this frame.
#[inline(always)]
unsafe fn dispatch(
    spec: &PluginSpec,
    plugin_ctx: *mut c_void,
    entry: NrStr,
    sid: u64,
    req: Option<*const NrRequest>,
    payload: NrBytes,
) -> NrStatus {
    // SAFETY (all views below): the host's memory, valid for this call.
    let Some(name) = (unsafe { entry.try_as_bytes() }) else {
        return NrStatus::Invalid;
    };
    let Some(route) = find_route(spec.routes, name) else {
        return NrStatus::Unsupported;
    };
    let Some(body) = (unsafe { payload.try_as_slice() }) else {
        return NrStatus::Invalid;
    };
    let raw_req = req.unwrap_or(ptr::null());
    let checked;
    let request = match unsafe { raw_req.as_ref() } {
        None => None,
        Some(raw) => match unsafe { Request::from_raw(raw) } {
            Ok(request) => {
                checked = request;
                Some(&checked)
            }
            Err(status) => return status,
        },
    };
    let call = Call::new(route.name, sid, body, request);
    match route.handler {
        Handler::Unary(serve) | Handler::Stream(serve) => serve(call),
        Handler::Bidi(f) => open_bidi(f, call),
        Handler::Legacy(f) => unsafe { legacy_entry(f, plugin_ctx, sid, raw_req, payload) },
        Handler::LegacyRaw(f) => {
            host::in_call(|| guarded(NrStatus::Err, || unsafe { f(plugin_ctx, sid, payload) }))
        }
    }
}

/// The route named `name`, scanning the static table in place. A plain loop (not
/// `Iterator::find`, which stays a call) inlines, so the compiler unrolls the constant
/// table into a few word compares.
#[inline(always)]
#[allow(clippy::manual_find)]
fn find_route<'r>(routes: &'r [Route], name: &[u8]) -> Option<&'r Route> {
    for route in routes {
        if bytes::same(route.name.as_bytes(), name) && route.enabled {
            return Some(route);
        }
    }
    None
}

/// A seed-era `entries` handler; it always gets a request (an empty one on `handle_raw`).
#[inline(never)]
unsafe fn legacy_entry(
    f: LegacyEntryFn,
    plugin_ctx: *mut c_void,
    sid: u64,
    raw_req: *const NrRequest,
    payload: NrBytes,
) -> NrStatus {
    let empty = NrRequest::build("", "", "", &[]);
    let req = if raw_req.is_null() {
        &empty as *const NrRequest
    } else {
        raw_req
    };
    host::in_call(|| {
        guarded(NrStatus::Err, || unsafe {
            f(plugin_ctx, sid, req, payload)
        })
    })
}

#[inline(never)]
fn open_bidi(open: BidiFn, call: Call<'_>) -> NrStatus {
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
            out.reject(NrStatus::Err).into_status()
        }
    }
}
