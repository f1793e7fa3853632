/* Generated from schema/abi2.toml (schema sha256 e1a3a2de882d757b) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --abi 2 */
/**
 * nylon-ring ABI 2: an ABI-stable host/plugin interface for high-performance proxies, with
 * zero-copy answers.
 */
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

/* ABI 2 is defined for 64-bit targets only. */
#if !defined(UINTPTR_MAX) || UINTPTR_MAX != 0xFFFFFFFFFFFFFFFFu
#error "nylon-ring ABI 2 requires a 64-bit target (sizeof(void *) == 8)"
#endif

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

/** The ABI version a plugin writes into NrPluginInfo.abi_version; a host requires exactly this value. */
#define NR_ABI_VERSION 2u
/** What resolve_entry returns for a name the plugin does not export (UINT32_MAX). */
#define NR_ENTRY_UNKNOWN UINT32_MAX
/** Version of the NrLayoutProbe table format. */
#define NR_LAYOUT_PROBE_VERSION 1u

typedef struct NrStr NrStr;
typedef struct NrBytes NrBytes;
typedef struct NrVecU8 NrVecU8;
typedef struct NrOwnedBytes NrOwnedBytes;
typedef struct NrBufferLease NrBufferLease;
typedef struct NrHostVTable NrHostVTable;
typedef struct NrPluginVTable NrPluginVTable;
typedef struct NrPluginInfo NrPluginInfo;
typedef struct NrLayoutProbe NrLayoutProbe;

/**
 * Outcome of a call or of one result frame; a plain u32 on the wire, so unknown values
 * stay defined. Values are never reused.
 */
typedef uint32_t NrStatus;
enum {
    /** Success; for streams, one more frame follows (not terminal). */
    NR_STATUS_OK = 0,
    /** Runtime error (terminal). */
    NR_STATUS_ERR = 1,
    /** Bad input: malformed payload, unknown stream id, misused lease (terminal). */
    NR_STATUS_INVALID = 2,
    /** The operation or entry is not implemented (terminal). */
    NR_STATUS_UNSUPPORTED = 3,
    /** Normal end of a stream (terminal). */
    NR_STATUS_STREAM_END = 4,
    /** A panic or exception contained at the boundary (terminal). */
    NR_STATUS_PANIC = 5,
    /** Not terminal: the host's bounded stream queue is full and this frame was not enqueued; the producer decides whether to retry. */
    NR_STATUS_BACKPRESSURE = 6,
};

/** Borrowed UTF-8 string view; valid only for the duration of the call that passes it. */
struct NrStr {
    /** First byte; may be NULL when len is 0. Not NUL-terminated. */
    const uint8_t *ptr;
    /** Length in bytes. */
    uint32_t len;
    /** Fills the padding after len; producers write 0. */
    uint32_t reserved;
};

/** Borrowed byte slice view; the receiver copies what it keeps beyond the call. */
struct NrBytes {
    /** First byte; may be NULL when len is 0. */
    const uint8_t *ptr;
    /** Length in bytes. */
    uint64_t len;
};

/** Frees an owned NrVecU8 with its producer's allocator. */
typedef void (*NrVecU8DropFn)(uint8_t *ptr, size_t len, size_t cap);

/**
 * A byte buffer by value: owned (freed only through drop_fn) or borrowed (owned = 0,
 * drop_fn NULL: the host copies it inside send_result).
 */
struct NrVecU8 {
    /** First byte; may be NULL when len is 0. */
    uint8_t *ptr;
    /** Initialised length in bytes. */
    size_t len;
    /** Allocated capacity in bytes. */
    size_t cap;
    /** 1: the consumer must free it through drop_fn; 0: borrowed. */
    uint8_t owned;
    /** Reserved; zero. */
    uint8_t reserved[7];
    /** The producer's free function; NULL for a borrowed buffer. */
    NrVecU8DropFn drop_fn;
};

/** Gives an NrOwnedBytes buffer back to its producer; called exactly once, from any thread. */
typedef void (*NrReleaseFn)(void *owner_ctx, const uint8_t *ptr, uint64_t len);

/**
 * A producer-owned buffer the host consumes without copying: ptr..ptr+len stays valid and
 * unchanged until release is called, exactly once.
 */
struct NrOwnedBytes {
    /** First byte; may be NULL when len is 0. */
    const uint8_t *ptr;
    /** Length in bytes. */
    uint64_t len;
    /** Passed back to release. */
    void *owner_ctx;
    /** Called exactly once when the host is done; NULL means nothing to free. */
    NrReleaseFn release;
};

/**
 * A host-owned output buffer leased to the plugin for one sid; a NULL ptr means acquire
 * failed and the plugin answers another way.
 */
struct NrBufferLease {
    /** Writable buffer of cap bytes; NULL when acquire failed. */
    uint8_t *ptr;
    /** Capacity in bytes. */
    uint64_t cap;
    /** Passed back to commit_result_buffer. */
    uint64_t token;
};

/**
 * Delivers one result frame for a stream id; callable from any thread. A borrowed payload
 * is copied before it returns. Returns Backpressure (not terminal) when a stream's queue
 * is full, Invalid for an unknown sid.
 */
typedef NrStatus (*NrSendResultFn)(void *host_ctx, uint64_t sid, NrStatus status, NrVecU8 payload);

/**
 * Delivers one result frame without a copy; the host calls payload.release exactly once
 * when it is done with the bytes.
 */
typedef NrStatus (*NrSendResultOwnedFn)(void *host_ctx, uint64_t sid, NrStatus status, NrOwnedBytes payload);

/**
 * Leases a host buffer of at least capacity bytes for the answer of a unary sid; fails
 * (NULL ptr) for an unknown or streaming sid or when a lease is already out.
 */
typedef NrBufferLease (*NrAcquireResultBufferFn)(void *host_ctx, uint64_t sid, uint64_t capacity);

/**
 * Answers sid with the first initialized_len bytes of its lease. A failed commit (bad
 * token, initialized_len > cap) keeps the lease; a consumed lease gives Invalid.
 */
typedef NrStatus (*NrCommitResultBufferFn)(void *host_ctx, uint64_t sid, NrStatus status, uint64_t token, uint64_t initialized_len);

/** Callbacks the host gives the plugin in init(). */
struct NrHostVTable {
    /** Sends a result frame (copying a borrowed payload). */
    NrSendResultFn send_result;
    /** Sends a result frame without a copy. */
    NrSendResultOwnedFn send_result_owned;
    /** Leases a host output buffer. */
    NrAcquireResultBufferFn acquire_result_buffer;
    /** Answers with a leased buffer. */
    NrCommitResultBufferFn commit_result_buffer;
};

/** Initialises the plugin and stores the host callbacks; anything but Ok is a load error. */
typedef NrStatus (*NrInitFn)(void *host_ctx, const NrHostVTable *host_vtable);

/**
 * Starts a request; returns at once. Ok means results follow through the host vtable for
 * sid; anything else means nothing follows.
 */
typedef NrStatus (*NrHandleFn)(NrStr entry, uint64_t sid, NrBytes payload);

/** Stops the plugin; after it returns the plugin calls nothing on the host. */
typedef void (*NrShutdownFn)(void);

/** Delivers one inbound frame of a bidirectional stream. */
typedef NrStatus (*NrStreamDataFn)(uint64_t sid, NrBytes data);

/**
 * Ends the inbound half of a bidirectional stream; the plugin still sends a terminal
 * frame.
 */
typedef NrStatus (*NrStreamCloseFn)(uint64_t sid);

/**
 * Maps an entry name to an id that stays valid for the loaded instance; NR_ENTRY_UNKNOWN
 * for an unknown name.
 */
typedef uint32_t (*NrResolveEntryFn)(NrStr entry);

/**
 * Starts a request by entry id; behaves exactly like handle() with the name the id was
 * resolved from.
 */
typedef NrStatus (*NrHandleByIdFn)(uint32_t id, uint64_t sid, NrBytes payload);

/**
 * The plugin's entry points, in ABI order; a NULL slot means not supported. resolve_entry
 * and handle_by_id are both NULL or both set.
 */
struct NrPluginVTable {
    /** Initialisation. */
    NrInitFn init;
    /** Request by entry name. */
    NrHandleFn handle;
    /** Shutdown. */
    NrShutdownFn shutdown;
    /** Inbound bidirectional frame. */
    NrStreamDataFn stream_data;
    /** Inbound half-close. */
    NrStreamCloseFn stream_close;
    /** Integer dispatch: name to id. */
    NrResolveEntryFn resolve_entry;
    /** Integer dispatch: request by id. */
    NrHandleByIdFn handle_by_id;
};

/**
 * What nylon_ring_get_plugin() returns. Append-only: a host accepts struct_size >= 56, and
 * existing fields never move.
 */
struct NrPluginInfo {
    /** NR_ABI_VERSION (exactly 2). */
    uint32_t abi_version;
    /** sizeof(NrPluginInfo) as the plugin was compiled; at least 56. */
    uint32_t struct_size;
    /** Plugin name (UTF-8). */
    NrStr name;
    /** Plugin version (UTF-8). */
    NrStr version;
    /** Plugin-owned context (the ABI 2 calls do not pass it back). */
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

/** Signature of the optional embedded manifest. */
typedef const uint8_t *(*NrGetManifestFn)(void);

/** Signature of the optional layout probe. */
typedef const NrLayoutProbe *(*NrGetLayoutProbeFn)(void);

/* ---- exported symbols ---- */

/** The one required export: returns the plugin's static NrPluginInfo (never NULL). */
NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin(void);

/**
 * Optional, additive: reports the plugin's own layout table so a host can reject a plugin
 * built against drifted bindings. Released hosts ignore it.
 */
NR_EXPORT const NrLayoutProbe *nylon_ring_layout_probe_v2(void);

/**
 * Optional, additive: a NUL-terminated UTF-8 TOML text in the nylon-ring.toml manifest
 * format, describing the plugin's entries, so a released library is self-describing for
 * conformance. Released hosts ignore it.
 */
NR_EXPORT const uint8_t *nylon_ring_manifest(void);

/* ---- layout checks: the numbers come from nylon-ring's layout engine ---- */
NR__STATIC_ASSERT(sizeof(void *) == 8, "nylon-ring ABI 2 requires a 64-bit target (sizeof(void *) == 8)");
/* LP64/LLP64 */
NR__STATIC_ASSERT(sizeof(NrStr) == 16, "NrStr size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrStr) == 8, "NrStr align");
NR__STATIC_ASSERT(offsetof(NrStr, ptr) == 0, "NrStr.ptr offset");
NR__STATIC_ASSERT(offsetof(NrStr, len) == 8, "NrStr.len offset");
NR__STATIC_ASSERT(offsetof(NrStr, reserved) == 12, "NrStr.reserved offset");
NR__STATIC_ASSERT(sizeof(NrBytes) == 16, "NrBytes size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrBytes) == 8, "NrBytes align");
NR__STATIC_ASSERT(offsetof(NrBytes, ptr) == 0, "NrBytes.ptr offset");
NR__STATIC_ASSERT(offsetof(NrBytes, len) == 8, "NrBytes.len offset");
NR__STATIC_ASSERT(sizeof(NrVecU8) == 40, "NrVecU8 size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrVecU8) == 8, "NrVecU8 align");
NR__STATIC_ASSERT(offsetof(NrVecU8, ptr) == 0, "NrVecU8.ptr offset");
NR__STATIC_ASSERT(offsetof(NrVecU8, len) == 8, "NrVecU8.len offset");
NR__STATIC_ASSERT(offsetof(NrVecU8, cap) == 16, "NrVecU8.cap offset");
NR__STATIC_ASSERT(offsetof(NrVecU8, owned) == 24, "NrVecU8.owned offset");
NR__STATIC_ASSERT(offsetof(NrVecU8, reserved) == 25, "NrVecU8.reserved offset");
NR__STATIC_ASSERT(offsetof(NrVecU8, drop_fn) == 32, "NrVecU8.drop_fn offset");
NR__STATIC_ASSERT(sizeof(NrOwnedBytes) == 32, "NrOwnedBytes size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrOwnedBytes) == 8, "NrOwnedBytes align");
NR__STATIC_ASSERT(offsetof(NrOwnedBytes, ptr) == 0, "NrOwnedBytes.ptr offset");
NR__STATIC_ASSERT(offsetof(NrOwnedBytes, len) == 8, "NrOwnedBytes.len offset");
NR__STATIC_ASSERT(offsetof(NrOwnedBytes, owner_ctx) == 16, "NrOwnedBytes.owner_ctx offset");
NR__STATIC_ASSERT(offsetof(NrOwnedBytes, release) == 24, "NrOwnedBytes.release offset");
NR__STATIC_ASSERT(sizeof(NrBufferLease) == 24, "NrBufferLease size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrBufferLease) == 8, "NrBufferLease align");
NR__STATIC_ASSERT(offsetof(NrBufferLease, ptr) == 0, "NrBufferLease.ptr offset");
NR__STATIC_ASSERT(offsetof(NrBufferLease, cap) == 8, "NrBufferLease.cap offset");
NR__STATIC_ASSERT(offsetof(NrBufferLease, token) == 16, "NrBufferLease.token offset");
NR__STATIC_ASSERT(sizeof(NrHostVTable) == 32, "NrHostVTable size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrHostVTable) == 8, "NrHostVTable align");
NR__STATIC_ASSERT(offsetof(NrHostVTable, send_result) == 0, "NrHostVTable.send_result offset");
NR__STATIC_ASSERT(offsetof(NrHostVTable, send_result_owned) == 8, "NrHostVTable.send_result_owned offset");
NR__STATIC_ASSERT(offsetof(NrHostVTable, acquire_result_buffer) == 16, "NrHostVTable.acquire_result_buffer offset");
NR__STATIC_ASSERT(offsetof(NrHostVTable, commit_result_buffer) == 24, "NrHostVTable.commit_result_buffer offset");
NR__STATIC_ASSERT(sizeof(NrPluginVTable) == 56, "NrPluginVTable size");
NR__STATIC_ASSERT(NR__ALIGNOF(NrPluginVTable) == 8, "NrPluginVTable align");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, init) == 0, "NrPluginVTable.init offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, handle) == 8, "NrPluginVTable.handle offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, shutdown) == 16, "NrPluginVTable.shutdown offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, stream_data) == 24, "NrPluginVTable.stream_data offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, stream_close) == 32, "NrPluginVTable.stream_close offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, resolve_entry) == 40, "NrPluginVTable.resolve_entry offset");
NR__STATIC_ASSERT(offsetof(NrPluginVTable, handle_by_id) == 48, "NrPluginVTable.handle_by_id offset");
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

/**
 * Defines the optional nylon_ring_layout_probe_v2() export: the layout table as this
 * compiler laid it out. Use it once in one source file of a plugin.
 */
#define NR_DEFINE_LAYOUT_PROBE() \
    static const uint32_t nr__layout_values[] = { \
        (uint32_t)sizeof(NrStr), \
        (uint32_t)NR__ALIGNOF(NrStr), \
        (uint32_t)offsetof(NrStr, ptr), \
        (uint32_t)offsetof(NrStr, len), \
        (uint32_t)offsetof(NrStr, reserved), \
        (uint32_t)sizeof(NrBytes), \
        (uint32_t)NR__ALIGNOF(NrBytes), \
        (uint32_t)offsetof(NrBytes, ptr), \
        (uint32_t)offsetof(NrBytes, len), \
        (uint32_t)sizeof(NrVecU8), \
        (uint32_t)NR__ALIGNOF(NrVecU8), \
        (uint32_t)offsetof(NrVecU8, ptr), \
        (uint32_t)offsetof(NrVecU8, len), \
        (uint32_t)offsetof(NrVecU8, cap), \
        (uint32_t)offsetof(NrVecU8, owned), \
        (uint32_t)offsetof(NrVecU8, reserved), \
        (uint32_t)offsetof(NrVecU8, drop_fn), \
        (uint32_t)sizeof(NrOwnedBytes), \
        (uint32_t)NR__ALIGNOF(NrOwnedBytes), \
        (uint32_t)offsetof(NrOwnedBytes, ptr), \
        (uint32_t)offsetof(NrOwnedBytes, len), \
        (uint32_t)offsetof(NrOwnedBytes, owner_ctx), \
        (uint32_t)offsetof(NrOwnedBytes, release), \
        (uint32_t)sizeof(NrBufferLease), \
        (uint32_t)NR__ALIGNOF(NrBufferLease), \
        (uint32_t)offsetof(NrBufferLease, ptr), \
        (uint32_t)offsetof(NrBufferLease, cap), \
        (uint32_t)offsetof(NrBufferLease, token), \
        (uint32_t)sizeof(NrHostVTable), \
        (uint32_t)NR__ALIGNOF(NrHostVTable), \
        (uint32_t)offsetof(NrHostVTable, send_result), \
        (uint32_t)offsetof(NrHostVTable, send_result_owned), \
        (uint32_t)offsetof(NrHostVTable, acquire_result_buffer), \
        (uint32_t)offsetof(NrHostVTable, commit_result_buffer), \
        (uint32_t)sizeof(NrPluginVTable), \
        (uint32_t)NR__ALIGNOF(NrPluginVTable), \
        (uint32_t)offsetof(NrPluginVTable, init), \
        (uint32_t)offsetof(NrPluginVTable, handle), \
        (uint32_t)offsetof(NrPluginVTable, shutdown), \
        (uint32_t)offsetof(NrPluginVTable, stream_data), \
        (uint32_t)offsetof(NrPluginVTable, stream_close), \
        (uint32_t)offsetof(NrPluginVTable, resolve_entry), \
        (uint32_t)offsetof(NrPluginVTable, handle_by_id), \
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
    NR_EXTERN_C NR_EXPORT const NrLayoutProbe *nylon_ring_layout_probe_v2(void) { return &nr__layout_probe; }

#ifdef __cplusplus
}
#endif

#endif /* NYLON_RING_H */
