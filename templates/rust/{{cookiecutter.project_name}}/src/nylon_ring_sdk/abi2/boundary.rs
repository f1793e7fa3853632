//! ABI 2's `extern "C"` boundary: the seven-slot vtable, the plugin info and integer
//! dispatch.
//!
//! Every exported function runs behind `catch_unwind` (a panic answers `Panic`),
//! checks its views (a NULL pointer with a length answers `Invalid`), and routes
//! through the core's static route table. `resolve_entry` gives a route's index in
//! that table; `handle_by_id` then serves exactly what `handle` serves for the name.

use core::ffi::c_void;
use core::ptr;

use super::super::call::Call;
use super::super::host;
use super::super::plugin::{
    self, find_route, guarded, may_serve, open_bidi, Handler, Plugin, Route,
};
use super::connection;
use crate::nylon_ring_abi::{
    NrBytes, NrHostVTable, NrPluginInfo, NrPluginVTable, NrStatus, NrStatusRaw, NrStr,
    NR_ABI_VERSION, NR_ENTRY_UNKNOWN,
};

/// Manifest modes of unary, stream and bidi routes.
pub const MANIFEST_MODES: [&str; 3] = ["unary", "stream", "bidi"];

/// The vtable of plugin `P`: every slot filled.
pub const fn vtable<P: Plugin>() -> NrPluginVTable {
    NrPluginVTable {
        init: Some(init::<P>),
        handle: Some(handle::<P>),
        shutdown: Some(shutdown::<P>),
        stream_data: Some(stream_data::<P>),
        stream_close: Some(stream_close::<P>),
        resolve_entry: Some(resolve_entry::<P>),
        handle_by_id: Some(handle_by_id::<P>),
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
    guarded(NrStatus::Panic, f).to_raw()
}

unsafe extern "C" fn init<P: Plugin>(
    host_ctx: *mut c_void,
    host_vtable: *const NrHostVTable,
) -> NrStatusRaw {
    boundary(|| {
        // SAFETY: NULL or the host's vtable, valid for the call.
        let Some(vtable) = (unsafe { host_vtable.as_ref() }) else {
            return NrStatus::Invalid;
        };
        if !connection::store(vtable) {
            return NrStatus::Invalid;
        }
        plugin::start(P::spec(), host_ctx, |f| unsafe {
            f(host_ctx, &connection::GUARDED_VTABLE)
        })
    })
}

unsafe extern "C" fn handle<P: Plugin>(entry: NrStr, sid: u64, payload: NrBytes) -> NrStatusRaw {
    boundary(|| {
        // SAFETY: the host's view, valid for this call.
        let Some(name) = (unsafe { entry.try_as_bytes() }) else {
            return NrStatus::Invalid;
        };
        match find_route(P::spec().routes, name) {
            Some((_, route)) => unsafe { serve(route, sid, payload) },
            None => NrStatus::Unsupported,
        }
    })
}

unsafe extern "C" fn resolve_entry<P: Plugin>(entry: NrStr) -> u32 {
    let resolved = std::panic::catch_unwind(|| {
        // SAFETY: the host's view, valid for this call.
        let name = unsafe { entry.try_as_bytes() }?;
        find_route(P::spec().routes, name).map(|(id, _)| id)
    });
    resolved.ok().flatten().unwrap_or(NR_ENTRY_UNKNOWN)
}

unsafe extern "C" fn handle_by_id<P: Plugin>(id: u32, sid: u64, payload: NrBytes) -> NrStatusRaw {
    boundary(|| match route_by_id(P::spec().routes, id) {
        Some(route) => unsafe { serve(route, sid, payload) },
        None => NrStatus::Invalid,
    })
}

unsafe extern "C" fn shutdown<P: Plugin>() {
    let _ = boundary(|| {
        plugin::stop(P::spec(), |f| f());
        NrStatus::Ok
    });
}

unsafe extern "C" fn stream_data<P: Plugin>(sid: u64, data: NrBytes) -> NrStatusRaw {
    boundary(|| {
        // SAFETY: the host's view, valid for this call.
        let Some(bytes) = (unsafe { data.try_as_slice() }) else {
            return NrStatus::Invalid;
        };
        if let Some(status) = plugin::session_data(sid, bytes) {
            return status;
        }
        match P::spec().stream_data {
            Some(f) => host::in_call(|| guarded(NrStatus::Panic, || unsafe { f(sid, data) })),
            None => NrStatus::Invalid,
        }
    })
}

unsafe extern "C" fn stream_close<P: Plugin>(sid: u64) -> NrStatusRaw {
    boundary(|| {
        if let Some(status) = plugin::session_close(sid) {
            return status;
        }
        match P::spec().stream_close {
            Some(f) => host::in_call(|| guarded(NrStatus::Panic, || unsafe { f(sid) })),
            None => NrStatus::Invalid,
        }
    })
}

/// The route with id `id` (its index in the table), if it is served in this build.
#[inline(always)]
fn route_by_id(routes: &[Route], id: u32) -> Option<&Route> {
    routes.get(id as usize).filter(|route| route.enabled)
}

/// Serves one call on `route`, the same for `handle` and `handle_by_id`.
///
/// # Safety
/// `payload` views memory readable for this call.
#[inline(always)]
unsafe fn serve(route: &Route, sid: u64, payload: NrBytes) -> NrStatus {
    if !may_serve(route) {
        return NrStatus::Unsupported;
    }
    // SAFETY: the host's view, valid for this call.
    let Some(body) = (unsafe { payload.try_as_slice() }) else {
        return NrStatus::Invalid;
    };
    let call = Call::new(route.name, sid, body, ());
    match route.handler {
        Handler::Unary(serve) | Handler::Stream(serve) => serve(call),
        Handler::Bidi(f) => open_bidi(f, call),
        Handler::Legacy(f) | Handler::LegacyRaw(f) => {
            host::in_call(|| guarded(NrStatus::Panic, || unsafe { f(sid, payload) }))
        }
    }
}
