/* Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --abi 1 */
/** nylon-ring: an ABI-stable host/plugin interface for high-performance proxies. */
#ifndef NYLON_RING_H
#define NYLON_RING_H

/*
 * Language: C11 or later (_Static_assert, _Alignof), or C++11 or later; the header is
 * C++ clean and declares everything extern "C" there.
 */
#if !defined(__cplusplus) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L)
#error "nylon_ring.h requires C11 or later (compile with -std=c11, or as C++11 or later)"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) || defined(__CYGWIN__)
#define NR_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define NR_EXPORT __attribute__((visibility("default")))
#else
#define NR_EXPORT
#endif

#ifdef __cplusplus
#define NR_EXTERN_C extern "C"
#define NR__STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define NR__ALIGNOF(type) alignof(type)
extern "C" {
#else
#define NR_EXTERN_C
#define NR__STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define NR__ALIGNOF(type) _Alignof(type)
#endif

/** The ABI version a plugin writes into NrPluginInfo.abi_version and a host requires. */
#define NR_ABI_VERSION 1u
/** Version of the NrLayoutProbe table format. */
#define NR_LAYOUT_PROBE_VERSION 1u

typedef struct NrStr NrStr;
typedef struct NrBytes NrBytes;
typedef struct NrHeader NrHeader;
typedef struct NrRequest NrRequest;
typedef struct NrHostVTable NrHostVTable;
typedef struct NrHostExt NrHostExt;
typedef struct NrPluginVTable NrPluginVTable;
typedef struct NrPluginInfo NrPluginInfo;
typedef struct NrLayoutProbe NrLayoutProbe;

/** Outcome of a call or of one result frame. */
typedef uint32_t NrStatus;
enum {
    /** Success; for streams, one more frame follows. */
    NR_STATUS_OK = 0,
    /** Runtime error (also what a caught panic or exception becomes). */
    NR_STATUS_ERR = 1,
    /** Bad input: malformed request, NULL pointer, unknown stream id. */
    NR_STATUS_INVALID = 2,
    /** The operation or entry is not implemented. */
    NR_STATUS_UNSUPPORTED = 3,
    /** Normal end of a stream: the terminal frame. */
    NR_STATUS_STREAM_END = 4,
};

/** Borrowed UTF-8 string view; valid only for the duration of the call that passes it. */
struct NrStr {
    /** First byte; may be NULL when len is 0. */
    const uint8_t *ptr;
    /** Length in bytes. */
    uint32_t len;
};

/** Borrowed byte slice view; the receiver copies what it keeps beyond the call. */
struct NrBytes {
    /** First byte; may be NULL when len is 0. */
    const uint8_t *ptr;
    /** Length in bytes. */
    uint64_t len;
};

/** One HTTP-style header: a key and a value. */
struct NrHeader {
    /** Header name. */
    NrStr key;
    /** Header value. */
    NrStr value;
};

/** Request metadata passed to handle(); HTTP-centric but protocol-neutral. */
struct NrRequest {
    /** Request path, e.g. /api/v1/items. */
    NrStr path;
    /** Request method, e.g. GET. */
    NrStr method;
    /** Raw query string without the leading '?'. */
    NrStr query;
    /** Array of headers_len headers; may be NULL when headers_len is 0. */
    const NrHeader *headers;
    /** Number of headers. */
    uint32_t headers_len;
    /** Reserved; zero. */
    uint32_t _reserved0;
    /** Reserved; zero. */
    uint64_t _reserved1;
};

/**
 * Delivers one result frame for a stream id; callable from any thread. The payload is
 * borrowed for the call: the host copies it.
 */
typedef void (*NrSendResultFn)(void *host_ctx, uint64_t sid, NrStatus status, NrBytes payload);

/** Callbacks the host gives the plugin in init(). */
struct NrHostVTable {
    /** Sends a result frame; never NULL from a conforming host. */
    NrSendResultFn send_result;
};

/** Stores a value under key in the per-sid state; returns a view of the stored copy. */
typedef NrBytes (*NrSetStateFn)(void *host_ctx, uint64_t sid, NrStr key, NrBytes value);

/**
 * Reads the value stored under key for sid; an empty view when absent. The view points
 * into host storage.
 */
typedef NrBytes (*NrGetStateFn)(void *host_ctx, uint64_t sid, NrStr key);

/** Optional host extension: per-sid state, dropped by the host when the sid completes. */
struct NrHostExt {
    /** Stores per-sid state. */
    NrSetStateFn set_state;
    /** Reads per-sid state. */
    NrGetStateFn get_state;
};

/** Initialises the plugin and stores the host callbacks; anything but Ok is a load error. */
typedef NrStatus (*NrInitFn)(void *plugin_ctx, void *host_ctx, const NrHostVTable *host_vtable);

/**
 * Starts a request; returns at once. Ok means results follow through send_result for sid;
 * anything else means nothing follows.
 */
typedef NrStatus (*NrHandleFn)(void *plugin_ctx, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload);

/** Starts a request without request metadata (the raw fast path); same contract as handle. */
typedef NrStatus (*NrHandleRawFn)(void *plugin_ctx, NrStr entry, uint64_t sid, NrBytes payload);

/** Stops the plugin; after it returns the plugin calls nothing on the host. */
typedef void (*NrShutdownFn)(void *plugin_ctx);

/** Delivers one inbound frame of a bidirectional stream; Invalid for an unknown sid. */
typedef NrStatus (*NrStreamDataFn)(void *plugin_ctx, uint64_t sid, NrBytes data);

/**
 * Ends the inbound half of a bidirectional stream; the plugin still sends a terminal
 * frame. Invalid for an unknown sid.
 */
typedef NrStatus (*NrStreamCloseFn)(void *plugin_ctx, uint64_t sid);

/**
 * The plugin's entry points, in ABI order; every slot may be NULL except init and one of
 * handle/handle_raw.
 */
struct NrPluginVTable {
    /** Initialisation; required. */
    NrInitFn init;
    /** Request with metadata. */
    NrHandleFn handle;
    /** Request without metadata (the raw fast path). */
    NrHandleRawFn handle_raw;
    /** Shutdown. */
    NrShutdownFn shutdown;
    /** Inbound bidirectional frame. */
    NrStreamDataFn stream_data;
    /** Inbound half-close. */
    NrStreamCloseFn stream_close;
};

/** What nylon_ring_get_plugin_v1() returns: identity, context and vtable of the plugin. */
struct NrPluginInfo {
    /** NR_ABI_VERSION. */
    uint32_t abi_version;
    /** sizeof(NrPluginInfo) as the plugin was compiled. */
    uint32_t struct_size;
    /** Plugin name (UTF-8). */
    NrStr name;
    /** Plugin version (UTF-8). */
    NrStr version;
    /** Plugin-owned context passed back on every call. */
    void *plugin_ctx;
    /** Entry points; never NULL. */
    const NrPluginVTable *vtable;
};

/**
 * Sizes, alignments and field offsets as the plugin's own compiler laid them out: for each
 * struct in schema order, its size, its alignment, then the offset of each field.
 */
struct NrLayoutProbe {
    /** NR_LAYOUT_PROBE_VERSION. */
    uint32_t probe_version;
    /** Number of entries in values. */
    uint32_t count;
    /** The table. */
    const uint32_t *values;
};

/** Signature of the entry symbol. */
typedef const NrPluginInfo *(*NrGetPluginFn)(void);

/** Signature of the optional state-extension hand-over. */
typedef void (*NrSetHostExtFn)(const NrHostExt *ext);

/** Signature of the optional embedded manifest. */
typedef const uint8_t *(*NrGetManifestFn)(void);

/** Signature of the optional layout probe. */
typedef const NrLayoutProbe *(*NrGetLayoutProbeFn)(void);

/* ---- exported symbols ---- */

/** The one required export: returns the plugin's static NrPluginInfo (never NULL). */
NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void);

/**
 * Optional, additive: a host that offers the state extension calls it once, before init,
 * with a pointer valid until shutdown returns. Old hosts never call it (the plugin then
 * has no state); old plugins do not export it (the host skips it).
 */
NR_EXPORT void nylon_ring_set_host_ext_v1(const NrHostExt *ext);

/**
 * Optional, additive: reports the plugin's own layout table so a host can reject a plugin
 * built against drifted bindings.
 */
NR_EXPORT const NrLayoutProbe *nylon_ring_layout_probe_v1(void);

/**
 * Optional, additive: a NUL-terminated UTF-8 TOML text in the nylon-ring.toml manifest
 * format, describing the plugin's entries, so a released library is self-describing for
 * conformance. Hosts that do not know it ignore it.
 */
NR_EXPORT const uint8_t *nylon_ring_manifest(void);

/* ---- layout checks: the numbers come from nylon-ring's layout engine ---- */
#if UINTPTR_MAX > 0xFFFFFFFFu
/* LP64/LLP64 */
NR__STATIC_ASSERT(sizeof(NrStr) == 16, "NrStr size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrStr) == 8, "NrStr align");
NR__STATIC_ASSERT(offsetof(NrStr, ptr) == 0, "NrStr.ptr offset");
NR__STATIC_ASSERT(offsetof(NrStr, len) == 8, "NrStr.len offset");
NR__STATIC_ASSERT(sizeof(NrBytes) == 16, "NrBytes size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrBytes) == 8, "NrBytes align");
NR__STATIC_ASSERT(offsetof(NrBytes, ptr) == 0, "NrBytes.ptr offset");
NR__STATIC_ASSERT(offsetof(NrBytes, len) == 8, "NrBytes.len offset");
NR__STATIC_ASSERT(sizeof(NrHeader) == 32, "NrHeader size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHeader) == 8, "NrHeader align");
NR__STATIC_ASSERT(offsetof(NrHeader, key) == 0, "NrHeader.key offset");
NR__STATIC_ASSERT(offsetof(NrHeader, value) == 16, "NrHeader.value offset");
NR__STATIC_ASSERT(sizeof(NrRequest) == 72, "NrRequest size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrRequest) == 8, "NrRequest align");
NR__STATIC_ASSERT(offsetof(NrRequest, path) == 0, "NrRequest.path offset");
NR__STATIC_ASSERT(offsetof(NrRequest, method) == 16, "NrRequest.method offset");
NR__STATIC_ASSERT(offsetof(NrRequest, query) == 32, "NrRequest.query offset");
NR__STATIC_ASSERT(offsetof(NrRequest, headers) == 48, "NrRequest.headers offset");
NR__STATIC_ASSERT(offsetof(NrRequest, headers_len) == 56, "NrRequest.headers_len offset");
NR__STATIC_ASSERT(offsetof(NrRequest, _reserved0) == 60, "NrRequest._reserved0 offset");
NR__STATIC_ASSERT(offsetof(NrRequest, _reserved1) == 64, "NrRequest._reserved1 offset");
NR__STATIC_ASSERT(sizeof(NrHostVTable) == 8, "NrHostVTable size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHostVTable) == 8, "NrHostVTable align");
NR__STATIC_ASSERT(offsetof(NrHostVTable, send_result) == 0, "NrHostVTable.send_result offset");
NR__STATIC_ASSERT(sizeof(NrHostExt) == 16, "NrHostExt size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHostExt) == 8, "NrHostExt align");
NR__STATIC_ASSERT(offsetof(NrHostExt, set_state) == 0, "NrHostExt.set_state offset");
NR__STATIC_ASSERT(offsetof(NrHostExt, get_state) == 8, "NrHostExt.get_state offset");
NR__STATIC_ASSERT(sizeof(NrPluginVTable) == 48, "NrPluginVTable size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrPluginVTable) == 8, "NrPluginVTable align");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, init) == 0, "NrPluginVTable.init offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, handle) == 8, "NrPluginVTable.handle offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, handle_raw) == 16, "NrPluginVTable.handle_raw offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, shutdown) == 24, "NrPluginVTable.shutdown offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, stream_data) == 32, "NrPluginVTable.stream_data offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, stream_close) == 40, "NrPluginVTable.stream_close offset");
NR__STATIC_ASSERT(sizeof(NrPluginInfo) == 56, "NrPluginInfo size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrPluginInfo) == 8, "NrPluginInfo align");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, abi_version) == 0, "NrPluginInfo.abi_version offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, struct_size) == 4, "NrPluginInfo.struct_size offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, name) == 8, "NrPluginInfo.name offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, version) == 24, "NrPluginInfo.version offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, plugin_ctx) == 40, "NrPluginInfo.plugin_ctx offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, vtable) == 48, "NrPluginInfo.vtable offset");
NR__STATIC_ASSERT(sizeof(NrLayoutProbe) == 16, "NrLayoutProbe size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrLayoutProbe) == 8, "NrLayoutProbe align");
NR__STATIC_ASSERT(offsetof(NrLayoutProbe, probe_version) == 0, "NrLayoutProbe.probe_version offset");
NR__STATIC_ASSERT(offsetof(NrLayoutProbe, count) == 4, "NrLayoutProbe.count offset");
NR__STATIC_ASSERT(offsetof(NrLayoutProbe, values) == 8, "NrLayoutProbe.values offset");
#elif defined(__i386__) && !defined(_WIN32)
/* ILP32-I386 */
NR__STATIC_ASSERT(sizeof(NrStr) == 8, "NrStr size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrStr) == 4, "NrStr align");
NR__STATIC_ASSERT(offsetof(NrStr, ptr) == 0, "NrStr.ptr offset");
NR__STATIC_ASSERT(offsetof(NrStr, len) == 4, "NrStr.len offset");
NR__STATIC_ASSERT(sizeof(NrBytes) == 12, "NrBytes size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrBytes) == 4, "NrBytes align");
NR__STATIC_ASSERT(offsetof(NrBytes, ptr) == 0, "NrBytes.ptr offset");
NR__STATIC_ASSERT(offsetof(NrBytes, len) == 4, "NrBytes.len offset");
NR__STATIC_ASSERT(sizeof(NrHeader) == 16, "NrHeader size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHeader) == 4, "NrHeader align");
NR__STATIC_ASSERT(offsetof(NrHeader, key) == 0, "NrHeader.key offset");
NR__STATIC_ASSERT(offsetof(NrHeader, value) == 8, "NrHeader.value offset");
NR__STATIC_ASSERT(sizeof(NrRequest) == 44, "NrRequest size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrRequest) == 4, "NrRequest align");
NR__STATIC_ASSERT(offsetof(NrRequest, path) == 0, "NrRequest.path offset");
NR__STATIC_ASSERT(offsetof(NrRequest, method) == 8, "NrRequest.method offset");
NR__STATIC_ASSERT(offsetof(NrRequest, query) == 16, "NrRequest.query offset");
NR__STATIC_ASSERT(offsetof(NrRequest, headers) == 24, "NrRequest.headers offset");
NR__STATIC_ASSERT(offsetof(NrRequest, headers_len) == 28, "NrRequest.headers_len offset");
NR__STATIC_ASSERT(offsetof(NrRequest, _reserved0) == 32, "NrRequest._reserved0 offset");
NR__STATIC_ASSERT(offsetof(NrRequest, _reserved1) == 36, "NrRequest._reserved1 offset");
NR__STATIC_ASSERT(sizeof(NrHostVTable) == 4, "NrHostVTable size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHostVTable) == 4, "NrHostVTable align");
NR__STATIC_ASSERT(offsetof(NrHostVTable, send_result) == 0, "NrHostVTable.send_result offset");
NR__STATIC_ASSERT(sizeof(NrHostExt) == 8, "NrHostExt size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHostExt) == 4, "NrHostExt align");
NR__STATIC_ASSERT(offsetof(NrHostExt, set_state) == 0, "NrHostExt.set_state offset");
NR__STATIC_ASSERT(offsetof(NrHostExt, get_state) == 4, "NrHostExt.get_state offset");
NR__STATIC_ASSERT(sizeof(NrPluginVTable) == 24, "NrPluginVTable size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrPluginVTable) == 4, "NrPluginVTable align");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, init) == 0, "NrPluginVTable.init offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, handle) == 4, "NrPluginVTable.handle offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, handle_raw) == 8, "NrPluginVTable.handle_raw offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, shutdown) == 12, "NrPluginVTable.shutdown offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, stream_data) == 16, "NrPluginVTable.stream_data offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, stream_close) == 20, "NrPluginVTable.stream_close offset");
NR__STATIC_ASSERT(sizeof(NrPluginInfo) == 32, "NrPluginInfo size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrPluginInfo) == 4, "NrPluginInfo align");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, abi_version) == 0, "NrPluginInfo.abi_version offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, struct_size) == 4, "NrPluginInfo.struct_size offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, name) == 8, "NrPluginInfo.name offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, version) == 16, "NrPluginInfo.version offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, plugin_ctx) == 24, "NrPluginInfo.plugin_ctx offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, vtable) == 28, "NrPluginInfo.vtable offset");
NR__STATIC_ASSERT(sizeof(NrLayoutProbe) == 12, "NrLayoutProbe size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrLayoutProbe) == 4, "NrLayoutProbe align");
NR__STATIC_ASSERT(offsetof(NrLayoutProbe, probe_version) == 0, "NrLayoutProbe.probe_version offset");
NR__STATIC_ASSERT(offsetof(NrLayoutProbe, count) == 4, "NrLayoutProbe.count offset");
NR__STATIC_ASSERT(offsetof(NrLayoutProbe, values) == 8, "NrLayoutProbe.values offset");
#else
/* ILP32 */
NR__STATIC_ASSERT(sizeof(NrStr) == 8, "NrStr size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrStr) == 4, "NrStr align");
NR__STATIC_ASSERT(offsetof(NrStr, ptr) == 0, "NrStr.ptr offset");
NR__STATIC_ASSERT(offsetof(NrStr, len) == 4, "NrStr.len offset");
NR__STATIC_ASSERT(sizeof(NrBytes) == 16, "NrBytes size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrBytes) == 8, "NrBytes align");
NR__STATIC_ASSERT(offsetof(NrBytes, ptr) == 0, "NrBytes.ptr offset");
NR__STATIC_ASSERT(offsetof(NrBytes, len) == 8, "NrBytes.len offset");
NR__STATIC_ASSERT(sizeof(NrHeader) == 16, "NrHeader size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHeader) == 4, "NrHeader align");
NR__STATIC_ASSERT(offsetof(NrHeader, key) == 0, "NrHeader.key offset");
NR__STATIC_ASSERT(offsetof(NrHeader, value) == 8, "NrHeader.value offset");
NR__STATIC_ASSERT(sizeof(NrRequest) == 48, "NrRequest size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrRequest) == 8, "NrRequest align");
NR__STATIC_ASSERT(offsetof(NrRequest, path) == 0, "NrRequest.path offset");
NR__STATIC_ASSERT(offsetof(NrRequest, method) == 8, "NrRequest.method offset");
NR__STATIC_ASSERT(offsetof(NrRequest, query) == 16, "NrRequest.query offset");
NR__STATIC_ASSERT(offsetof(NrRequest, headers) == 24, "NrRequest.headers offset");
NR__STATIC_ASSERT(offsetof(NrRequest, headers_len) == 28, "NrRequest.headers_len offset");
NR__STATIC_ASSERT(offsetof(NrRequest, _reserved0) == 32, "NrRequest._reserved0 offset");
NR__STATIC_ASSERT(offsetof(NrRequest, _reserved1) == 40, "NrRequest._reserved1 offset");
NR__STATIC_ASSERT(sizeof(NrHostVTable) == 4, "NrHostVTable size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHostVTable) == 4, "NrHostVTable align");
NR__STATIC_ASSERT(offsetof(NrHostVTable, send_result) == 0, "NrHostVTable.send_result offset");
NR__STATIC_ASSERT(sizeof(NrHostExt) == 8, "NrHostExt size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHostExt) == 4, "NrHostExt align");
NR__STATIC_ASSERT(offsetof(NrHostExt, set_state) == 0, "NrHostExt.set_state offset");
NR__STATIC_ASSERT(offsetof(NrHostExt, get_state) == 4, "NrHostExt.get_state offset");
NR__STATIC_ASSERT(sizeof(NrPluginVTable) == 24, "NrPluginVTable size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrPluginVTable) == 4, "NrPluginVTable align");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, init) == 0, "NrPluginVTable.init offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, handle) == 4, "NrPluginVTable.handle offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, handle_raw) == 8, "NrPluginVTable.handle_raw offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, shutdown) == 12, "NrPluginVTable.shutdown offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, stream_data) == 16, "NrPluginVTable.stream_data offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, stream_close) == 20, "NrPluginVTable.stream_close offset");
NR__STATIC_ASSERT(sizeof(NrPluginInfo) == 32, "NrPluginInfo size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrPluginInfo) == 4, "NrPluginInfo align");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, abi_version) == 0, "NrPluginInfo.abi_version offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, struct_size) == 4, "NrPluginInfo.struct_size offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, name) == 8, "NrPluginInfo.name offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, version) == 16, "NrPluginInfo.version offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, plugin_ctx) == 24, "NrPluginInfo.plugin_ctx offset");
NR__STATIC_ASSERT(offsetof(NrPluginInfo, vtable) == 28, "NrPluginInfo.vtable offset");
NR__STATIC_ASSERT(sizeof(NrLayoutProbe) == 12, "NrLayoutProbe size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrLayoutProbe) == 4, "NrLayoutProbe align");
NR__STATIC_ASSERT(offsetof(NrLayoutProbe, probe_version) == 0, "NrLayoutProbe.probe_version offset");
NR__STATIC_ASSERT(offsetof(NrLayoutProbe, count) == 4, "NrLayoutProbe.count offset");
NR__STATIC_ASSERT(offsetof(NrLayoutProbe, values) == 8, "NrLayoutProbe.values offset");
#endif

/**
 * Defines the optional nylon_ring_layout_probe_v1() export: the layout table as this
 * compiler laid it out. Use it once in one source file of a plugin.
 */
#define NR_DEFINE_LAYOUT_PROBE() \
    static const uint32_t nr__layout_values[] = { \
        (uint32_t)sizeof(NrStr), \
        (uint32_t)NR__ALIGNOF(NrStr), \
        (uint32_t)offsetof(NrStr, ptr), \
        (uint32_t)offsetof(NrStr, len), \
        (uint32_t)sizeof(NrBytes), \
        (uint32_t)NR__ALIGNOF(NrBytes), \
        (uint32_t)offsetof(NrBytes, ptr), \
        (uint32_t)offsetof(NrBytes, len), \
        (uint32_t)sizeof(NrHeader), \
        (uint32_t)NR__ALIGNOF(NrHeader), \
        (uint32_t)offsetof(NrHeader, key), \
        (uint32_t)offsetof(NrHeader, value), \
        (uint32_t)sizeof(NrRequest), \
        (uint32_t)NR__ALIGNOF(NrRequest), \
        (uint32_t)offsetof(NrRequest, path), \
        (uint32_t)offsetof(NrRequest, method), \
        (uint32_t)offsetof(NrRequest, query), \
        (uint32_t)offsetof(NrRequest, headers), \
        (uint32_t)offsetof(NrRequest, headers_len), \
        (uint32_t)offsetof(NrRequest, _reserved0), \
        (uint32_t)offsetof(NrRequest, _reserved1), \
        (uint32_t)sizeof(NrHostVTable), \
        (uint32_t)NR__ALIGNOF(NrHostVTable), \
        (uint32_t)offsetof(NrHostVTable, send_result), \
        (uint32_t)sizeof(NrHostExt), \
        (uint32_t)NR__ALIGNOF(NrHostExt), \
        (uint32_t)offsetof(NrHostExt, set_state), \
        (uint32_t)offsetof(NrHostExt, get_state), \
        (uint32_t)sizeof(NrPluginVTable), \
        (uint32_t)NR__ALIGNOF(NrPluginVTable), \
        (uint32_t)offsetof(NrPluginVTable, init), \
        (uint32_t)offsetof(NrPluginVTable, handle), \
        (uint32_t)offsetof(NrPluginVTable, handle_raw), \
        (uint32_t)offsetof(NrPluginVTable, shutdown), \
        (uint32_t)offsetof(NrPluginVTable, stream_data), \
        (uint32_t)offsetof(NrPluginVTable, stream_close), \
        (uint32_t)sizeof(NrPluginInfo), \
        (uint32_t)NR__ALIGNOF(NrPluginInfo), \
        (uint32_t)offsetof(NrPluginInfo, abi_version), \
        (uint32_t)offsetof(NrPluginInfo, struct_size), \
        (uint32_t)offsetof(NrPluginInfo, name), \
        (uint32_t)offsetof(NrPluginInfo, version), \
        (uint32_t)offsetof(NrPluginInfo, plugin_ctx), \
        (uint32_t)offsetof(NrPluginInfo, vtable), \
        (uint32_t)sizeof(NrLayoutProbe), \
        (uint32_t)NR__ALIGNOF(NrLayoutProbe), \
        (uint32_t)offsetof(NrLayoutProbe, probe_version), \
        (uint32_t)offsetof(NrLayoutProbe, count), \
        (uint32_t)offsetof(NrLayoutProbe, values), \
    }; \
    static const NrLayoutProbe nr__layout_probe = { \
        NR_LAYOUT_PROBE_VERSION, (uint32_t)(sizeof(nr__layout_values) / sizeof(nr__layout_values[0])), nr__layout_values}; \
    NR_EXTERN_C NR_EXPORT const NrLayoutProbe *nylon_ring_layout_probe_v1(void) { return &nr__layout_probe; }

#ifdef __cplusplus
}
#endif

#endif /* NYLON_RING_H */
