//! ABI 1's `extern "C"` boundary: the vtable, the plugin info and the exports.
//!
//! Every exported function runs behind `catch_unwind` (a panic answers `Err`), checks
//! its pointers and views (bad input answers `Invalid`), and routes by entry name
//! through the core's static route table.

use core::ffi::c_void;
use core::ptr;
use std::panic::catch_unwind;

use super::super::call::Call;
use super::super::host;
use super::super::plugin::{
    self, find_route, guarded, may_serve, open_bidi, Handler, Plugin, PluginSpec,
};
use super::call::Request;
use super::connection;
use super::legacy::{self, LegacyEntryFn};
use crate::nylon_ring_abi::{
    NrBytes, NrHostExt, NrHostVTable, NrPluginInfo, NrPluginVTable, NrRequest, NrStatus,
    NrStatusRaw, NrStr, NR_ABI_VERSION,
};

/// Manifest modes of unary, stream and bidi routes: ABI 1 calls them through
/// `handle_raw`, so the raw spellings.
pub const MANIFEST_MODES: [&str; 3] = ["raw", "stream_raw", "bidi"];

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

fn boundary(f: impl FnOnce() -> NrStatus) -> NrStatusRaw {
    guarded(NrStatus::Err, f).to_raw()
}

unsafe extern "C" fn init<P: Plugin>(
    plugin_ctx: *mut c_void,
    host_ctx: *mut c_void,
    host_vtable: *const NrHostVTable,
) -> NrStatusRaw {
    boundary(|| {
        // SAFETY: NULL or the host's vtable, valid for the call.
        let Some(send_result) = (unsafe { host_vtable.as_ref() }).and_then(|vt| vt.send_result)
        else {
            return NrStatus::Invalid;
        };
        connection::store(send_result);
        plugin::start(P::spec(), host_ctx, |f| unsafe {
            f(plugin_ctx, host_ctx, &legacy::GUARDED_VTABLE)
        })
    })
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
        plugin::stop(P::spec(), |f| unsafe { f(plugin_ctx) });
        connection::forget();
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
        if let Some(status) = plugin::session_data(sid, bytes) {
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
        if let Some(status) = plugin::session_close(sid) {
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
    let _ = catch_unwind(|| connection::set_host_ext(ext));
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
    let Some((_, route)) = find_route(spec.routes, name) else {
        return NrStatus::Unsupported;
    };
    if !may_serve(route) {
        return NrStatus::Unsupported;
    }
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
