/* Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --abi 1 */
/*
 * Static inline helpers for cgo: Go cannot call a C function pointer, so each function
 * type gets a trampoline nr_call_<Fn>(fn, args...); a NULL pointer does nothing (or
 * returns zero). Include this header only from Go files without //export: a preamble
 * of a file with //export must hold declarations only.
 */
#ifndef NYLON_RING_CALLS_H
#define NYLON_RING_CALLS_H

#include "nylon_ring_cgo.h"

/** Calls a NrSendResultFn through its pointer. */
static inline void nr_call_NrSendResultFn(NrSendResultFn nr__fn, void *host_ctx, uint64_t sid, NrStatus status, NrBytes payload) {
    if (nr__fn != NULL) {
        nr__fn(host_ctx, sid, status, payload);
    }
}

/** Calls a NrSetStateFn through its pointer. */
static inline NrBytes nr_call_NrSetStateFn(NrSetStateFn nr__fn, void *host_ctx, uint64_t sid, NrStr key, NrBytes value) {
    NrBytes nr__zero = {0};
    return nr__fn != NULL ? nr__fn(host_ctx, sid, key, value) : nr__zero;
}

/** Calls a NrGetStateFn through its pointer. */
static inline NrBytes nr_call_NrGetStateFn(NrGetStateFn nr__fn, void *host_ctx, uint64_t sid, NrStr key) {
    NrBytes nr__zero = {0};
    return nr__fn != NULL ? nr__fn(host_ctx, sid, key) : nr__zero;
}

/** Calls a NrInitFn through its pointer. */
static inline NrStatus nr_call_NrInitFn(NrInitFn nr__fn, void *plugin_ctx, void *host_ctx, const NrHostVTable *host_vtable) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(plugin_ctx, host_ctx, host_vtable) : nr__zero;
}

/** Calls a NrHandleFn through its pointer. */
static inline NrStatus nr_call_NrHandleFn(NrHandleFn nr__fn, void *plugin_ctx, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(plugin_ctx, entry, sid, req, payload) : nr__zero;
}

/** Calls a NrHandleRawFn through its pointer. */
static inline NrStatus nr_call_NrHandleRawFn(NrHandleRawFn nr__fn, void *plugin_ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(plugin_ctx, entry, sid, payload) : nr__zero;
}

/** Calls a NrShutdownFn through its pointer. */
static inline void nr_call_NrShutdownFn(NrShutdownFn nr__fn, void *plugin_ctx) {
    if (nr__fn != NULL) {
        nr__fn(plugin_ctx);
    }
}

/** Calls a NrStreamDataFn through its pointer. */
static inline NrStatus nr_call_NrStreamDataFn(NrStreamDataFn nr__fn, void *plugin_ctx, uint64_t sid, NrBytes data) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(plugin_ctx, sid, data) : nr__zero;
}

/** Calls a NrStreamCloseFn through its pointer. */
static inline NrStatus nr_call_NrStreamCloseFn(NrStreamCloseFn nr__fn, void *plugin_ctx, uint64_t sid) {
    NrStatus nr__zero = {0};
    return nr__fn != NULL ? nr__fn(plugin_ctx, sid) : nr__zero;
}

/** Calls a NrGetPluginFn through its pointer. */
static inline const NrPluginInfo *nr_call_NrGetPluginFn(NrGetPluginFn nr__fn) {
    const NrPluginInfo *nr__zero = {0};
    return nr__fn != NULL ? nr__fn() : nr__zero;
}

/** Calls a NrSetHostExtFn through its pointer. */
static inline void nr_call_NrSetHostExtFn(NrSetHostExtFn nr__fn, const NrHostExt *ext) {
    if (nr__fn != NULL) {
        nr__fn(ext);
    }
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
 * nylon_ring_layout_probe_v1() export: per struct its size, its alignment, then each
 * field offset. The table is C static memory, so Go may hand its address to the host.
 */
static inline const NrLayoutProbe *nr_layout_probe(void) {
    static const uint32_t nr__values[] = {
        (uint32_t)sizeof(NrStr),
        (uint32_t)NR__ALIGNOF(NrStr),
        (uint32_t)offsetof(NrStr, ptr),
        (uint32_t)offsetof(NrStr, len),
        (uint32_t)sizeof(NrBytes),
        (uint32_t)NR__ALIGNOF(NrBytes),
        (uint32_t)offsetof(NrBytes, ptr),
        (uint32_t)offsetof(NrBytes, len),
        (uint32_t)sizeof(NrHeader),
        (uint32_t)NR__ALIGNOF(NrHeader),
        (uint32_t)offsetof(NrHeader, key),
        (uint32_t)offsetof(NrHeader, value),
        (uint32_t)sizeof(NrRequest),
        (uint32_t)NR__ALIGNOF(NrRequest),
        (uint32_t)offsetof(NrRequest, path),
        (uint32_t)offsetof(NrRequest, method),
        (uint32_t)offsetof(NrRequest, query),
        (uint32_t)offsetof(NrRequest, headers),
        (uint32_t)offsetof(NrRequest, headers_len),
        (uint32_t)offsetof(NrRequest, _reserved0),
        (uint32_t)offsetof(NrRequest, _reserved1),
        (uint32_t)sizeof(NrHostVTable),
        (uint32_t)NR__ALIGNOF(NrHostVTable),
        (uint32_t)offsetof(NrHostVTable, send_result),
        (uint32_t)sizeof(NrHostExt),
        (uint32_t)NR__ALIGNOF(NrHostExt),
        (uint32_t)offsetof(NrHostExt, set_state),
        (uint32_t)offsetof(NrHostExt, get_state),
        (uint32_t)sizeof(NrPluginVTable),
        (uint32_t)NR__ALIGNOF(NrPluginVTable),
        (uint32_t)offsetof(NrPluginVTable, init),
        (uint32_t)offsetof(NrPluginVTable, handle),
        (uint32_t)offsetof(NrPluginVTable, handle_raw),
        (uint32_t)offsetof(NrPluginVTable, shutdown),
        (uint32_t)offsetof(NrPluginVTable, stream_data),
        (uint32_t)offsetof(NrPluginVTable, stream_close),
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
