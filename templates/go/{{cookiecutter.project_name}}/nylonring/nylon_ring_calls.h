/* Generated from schema/abi2.toml (schema sha256 e1a3a2de882d757b) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --abi 2 */
/*
 * Static inline helpers for cgo: Go cannot call a C function pointer, so each function
 * type gets a trampoline nr_call_<Fn>(fn, args...); a NULL pointer does nothing (or
 * returns zero). Include this header only from Go files without //export: a preamble
 * of a file with //export must hold declarations only.
 */
#ifndef NYLON_RING_CALLS_H
#define NYLON_RING_CALLS_H

#include "nylon_ring_cgo.h"

/** Calls a NrVecU8DropFn through its pointer. */
static inline void nr_call_NrVecU8DropFn(NrVecU8DropFn nr__fn, uint8_t *ptr, size_t len, size_t cap) {
    if (nr__fn != NULL) {
        nr__fn(ptr, len, cap);
    }
}

/** Calls a NrReleaseFn through its pointer. */
static inline void nr_call_NrReleaseFn(NrReleaseFn nr__fn, void *owner_ctx, const uint8_t *ptr, uint64_t len) {
    if (nr__fn != NULL) {
        nr__fn(owner_ctx, ptr, len);
    }
}

/** Calls a NrSendResultFn through its pointer. */
static inline NrStatus nr_call_NrSendResultFn(NrSendResultFn nr__fn, void *host_ctx, uint64_t sid, NrStatus status, NrVecU8 payload) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(host_ctx, sid, status, payload) : nr__zero;
}

/** Calls a NrSendResultOwnedFn through its pointer. */
static inline NrStatus nr_call_NrSendResultOwnedFn(NrSendResultOwnedFn nr__fn, void *host_ctx, uint64_t sid, NrStatus status, NrOwnedBytes payload) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(host_ctx, sid, status, payload) : nr__zero;
}

/** Calls a NrAcquireResultBufferFn through its pointer. */
static inline NrBufferLease nr_call_NrAcquireResultBufferFn(NrAcquireResultBufferFn nr__fn, void *host_ctx, uint64_t sid, uint64_t capacity) {
    NrBufferLease nr__zero = {0};
    return nr__fn != NULL ? nr__fn(host_ctx, sid, capacity) : nr__zero;
}

/** Calls a NrCommitResultBufferFn through its pointer. */
static inline NrStatus nr_call_NrCommitResultBufferFn(NrCommitResultBufferFn nr__fn, void *host_ctx, uint64_t sid, NrStatus status, uint64_t token, uint64_t initialized_len) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(host_ctx, sid, status, token, initialized_len) : nr__zero;
}

/** Calls a NrInitFn through its pointer. */
static inline NrStatus nr_call_NrInitFn(NrInitFn nr__fn, void *host_ctx, const NrHostVTable *host_vtable) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(host_ctx, host_vtable) : nr__zero;
}

/** Calls a NrHandleFn through its pointer. */
static inline NrStatus nr_call_NrHandleFn(NrHandleFn nr__fn, NrStr entry, uint64_t sid, NrBytes payload) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(entry, sid, payload) : nr__zero;
}

/** Calls a NrShutdownFn through its pointer. */
static inline void nr_call_NrShutdownFn(NrShutdownFn nr__fn) {
    if (nr__fn != NULL) {
        nr__fn();
    }
}

/** Calls a NrStreamDataFn through its pointer. */
static inline NrStatus nr_call_NrStreamDataFn(NrStreamDataFn nr__fn, uint64_t sid, NrBytes data) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(sid, data) : nr__zero;
}

/** Calls a NrStreamCloseFn through its pointer. */
static inline NrStatus nr_call_NrStreamCloseFn(NrStreamCloseFn nr__fn, uint64_t sid) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(sid) : nr__zero;
}

/** Calls a NrResolveEntryFn through its pointer. */
static inline uint32_t nr_call_NrResolveEntryFn(NrResolveEntryFn nr__fn, NrStr entry) {
    uint32_t nr__zero = {0};
    return nr__fn != NULL ? nr__fn(entry) : nr__zero;
}

/** Calls a NrHandleByIdFn through its pointer. */
static inline NrStatus nr_call_NrHandleByIdFn(NrHandleByIdFn nr__fn, uint32_t id, uint64_t sid, NrBytes payload) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(id, sid, payload) : nr__zero;
}

/** Calls a NrGetPluginFn through its pointer. */
static inline const NrPluginInfo *nr_call_NrGetPluginFn(NrGetPluginFn nr__fn) {
    const NrPluginInfo *nr__zero = {0};
    return nr__fn != NULL ? nr__fn() : nr__zero;
}

/** Calls a NrGetManifestFn through its pointer. */
static inline const uint8_t *nr_call_NrGetManifestFn(NrGetManifestFn nr__fn) {
    const uint8_t *nr__zero = {0};
    return nr__fn != NULL ? nr__fn() : nr__zero;
}

/** Calls a NrGetLayoutProbeFn through its pointer. */
static inline const NrLayoutProbe *nr_call_NrGetLayoutProbeFn(NrGetLayoutProbeFn nr__fn) {
    const NrLayoutProbe *nr__zero = {0};
    return nr__fn != NULL ? nr__fn() : nr__zero;
}

/**
 * The layout table as this C compiler laid the structs out, for the optional
 * nylon_ring_layout_probe_v2() export: per struct its size, its alignment, then each
 * field offset. The table is C static memory, so Go may hand its address to the host.
 */
static inline const NrLayoutProbe *nr_layout_probe(void) {
    static const uint32_t nr__values[] = {
        (uint32_t)sizeof(NrStr),
        (uint32_t)NR__ALIGNOF(NrStr),
        (uint32_t)offsetof(NrStr, ptr),
        (uint32_t)offsetof(NrStr, len),
        (uint32_t)offsetof(NrStr, reserved),
        (uint32_t)sizeof(NrBytes),
        (uint32_t)NR__ALIGNOF(NrBytes),
        (uint32_t)offsetof(NrBytes, ptr),
        (uint32_t)offsetof(NrBytes, len),
        (uint32_t)sizeof(NrVecU8),
        (uint32_t)NR__ALIGNOF(NrVecU8),
        (uint32_t)offsetof(NrVecU8, ptr),
        (uint32_t)offsetof(NrVecU8, len),
        (uint32_t)offsetof(NrVecU8, cap),
        (uint32_t)offsetof(NrVecU8, owned),
        (uint32_t)offsetof(NrVecU8, reserved),
        (uint32_t)offsetof(NrVecU8, drop_fn),
        (uint32_t)sizeof(NrOwnedBytes),
        (uint32_t)NR__ALIGNOF(NrOwnedBytes),
        (uint32_t)offsetof(NrOwnedBytes, ptr),
        (uint32_t)offsetof(NrOwnedBytes, len),
        (uint32_t)offsetof(NrOwnedBytes, owner_ctx),
        (uint32_t)offsetof(NrOwnedBytes, release),
        (uint32_t)sizeof(NrBufferLease),
        (uint32_t)NR__ALIGNOF(NrBufferLease),
        (uint32_t)offsetof(NrBufferLease, ptr),
        (uint32_t)offsetof(NrBufferLease, cap),
        (uint32_t)offsetof(NrBufferLease, token),
        (uint32_t)sizeof(NrHostVTable),
        (uint32_t)NR__ALIGNOF(NrHostVTable),
        (uint32_t)offsetof(NrHostVTable, send_result),
        (uint32_t)offsetof(NrHostVTable, send_result_owned),
        (uint32_t)offsetof(NrHostVTable, acquire_result_buffer),
        (uint32_t)offsetof(NrHostVTable, commit_result_buffer),
        (uint32_t)sizeof(NrPluginVTable),
        (uint32_t)NR__ALIGNOF(NrPluginVTable),
        (uint32_t)offsetof(NrPluginVTable, init),
        (uint32_t)offsetof(NrPluginVTable, handle),
        (uint32_t)offsetof(NrPluginVTable, shutdown),
        (uint32_t)offsetof(NrPluginVTable, stream_data),
        (uint32_t)offsetof(NrPluginVTable, stream_close),
        (uint32_t)offsetof(NrPluginVTable, resolve_entry),
        (uint32_t)offsetof(NrPluginVTable, handle_by_id),
        (uint32_t)sizeof(NrPluginInfo),
        (uint32_t)NR__ALIGNOF(NrPluginInfo),
        (uint32_t)offsetof(NrPluginInfo, abi_version),
        (uint32_t)offsetof(NrPluginInfo, struct_size),
        (uint32_t)offsetof(NrPluginInfo, name),
        (uint32_t)offsetof(NrPluginInfo, version),
        (uint32_t)offsetof(NrPluginInfo, plugin_ctx),
        (uint32_t)offsetof(NrPluginInfo, vtable),
        (uint32_t)sizeof(NrLayoutProbe),
        (uint32_t)NR__ALIGNOF(NrLayoutProbe),
        (uint32_t)offsetof(NrLayoutProbe, probe_version),
        (uint32_t)offsetof(NrLayoutProbe, count),
        (uint32_t)offsetof(NrLayoutProbe, values),
    };
    static const NrLayoutProbe nr__probe = {
        NR_LAYOUT_PROBE_VERSION, (uint32_t)(sizeof(nr__values) / sizeof(nr__values[0])), nr__values};
    return &nr__probe;
}

#endif /* NYLON_RING_CALLS_H */
