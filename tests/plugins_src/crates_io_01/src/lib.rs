//! An echo plugin written against the crates.io `nylon-ring` 0.1.4 API.

use nylon_ring::{define_plugin, NrBytes, NrHostVTable, NrStatus, NrVec};
use std::ffi::c_void;
use std::sync::atomic::{AtomicPtr, Ordering};

static HOST_CTX: AtomicPtr<c_void> = AtomicPtr::new(std::ptr::null_mut());
static HOST_VTABLE: AtomicPtr<NrHostVTable> = AtomicPtr::new(std::ptr::null_mut());

unsafe fn init(host_ctx: *mut c_void, host_vtable: *const NrHostVTable) -> NrStatus {
    HOST_CTX.store(host_ctx, Ordering::Release);
    HOST_VTABLE.store(host_vtable as *mut NrHostVTable, Ordering::Release);
    NrStatus::Ok
}

fn shutdown() {}

unsafe fn echo(sid: u64, payload: NrBytes) -> NrStatus {
    let vtable = HOST_VTABLE.load(Ordering::Acquire);
    if vtable.is_null() {
        return NrStatus::Err;
    }
    let data = unsafe { payload.as_slice() }.map(|s| s.to_vec()).unwrap_or_default();
    unsafe { ((*vtable).send_result)(HOST_CTX.load(Ordering::Acquire), sid, NrStatus::Ok, NrVec::from_vec(data)) };
    NrStatus::Ok
}

define_plugin! {
    init: init,
    shutdown: shutdown,
    entries: {
        "echo" => echo,
    }
}
