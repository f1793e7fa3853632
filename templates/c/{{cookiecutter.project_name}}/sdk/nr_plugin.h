/*
 * nr_plugin.h: a small SDK for nylon-ring plugins written in C11.
 *
 * A plugin defines one `const NrpPlugin nrp_plugin` (its name, version and entry
 * table); nr_plugin.c exports the ABI symbols for it and keeps the rules of the
 * ABI so that handlers cannot break them. One SDK serves both ABI generations: the
 * generation is the one of include/nylon_ring.h (NR_ABI_VERSION), and nr_plugin.c
 * takes its thin generation layer (sdk/nr_abi1.c or sdk/nr_abi2.c) to match.
 *
 *  - routing by entry name; an unknown name is answered Unsupported (Invalid when
 *    the name is not valid UTF-8), NULL pointers with a length are Invalid;
 *  - a unary call is answered exactly once: a second answer is dropped, and a
 *    handler that returns Ok without answering is answered Err for it;
 *  - a stream sends Ok frames, then exactly one terminal frame; nothing after it;
 *  - nrp_panic() unwinds a failing handler to the SDK boundary, which answers
 *    NRP_STATUS_PANIC (ABI 2: Panic; ABI 1: Err);
 *  - background entries run on a fixed pool of worker threads fed by a bounded queue
 *    (never a thread per call); a call the full queue cannot take is refused: handle
 *    returns NRP_STATUS_BUSY (ABI 2: Backpressure; ABI 1: Err) and nothing is sent;
 *    shutdown runs what is queued, waits for every handler, joins the workers, ends
 *    open bidirectional streams, and after it returns nothing calls the host (later
 *    sends are dropped);
 *  - ABI 1: the state extension a host hands over through nylon_ring_set_host_ext_v1
 *    is reached with nrp_state_set()/nrp_state_get();
 *  - ABI 2: zero-copy answers (nrp_reply_owned: the bytes stay alive and unchanged
 *    until the host releases them, exactly once), host buffer leases (nrp_lease_*),
 *    integer dispatch (resolve_entry/handle_by_id from the same route table), and
 *    Backpressure as a non-terminal answer (nrp_frame returns it, nrp_frame_wait retries);
 *  - entries marked .probe (panic probes) answer Unsupported unless the environment
 *    variable NYLON_RING_ENABLE_PROBES=1 is set when init runs (ABI 2; ABI 1 keeps them live);
 *  - the optional exports: the layout probe, and nylon_ring_manifest(), a
 *    nylon-ring.toml manifest text built from the entry table.
 *
 * The synchronous path allocates nothing, takes no lock and writes no shared memory:
 * the call lives on the host thread's stack for the duration of the handler, so host
 * threads calling in parallel do not slow each other down.
 */
#ifndef NR_PLUGIN_H
#define NR_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nylon_ring.h"

#if NR_ABI_VERSION >= 2
#define NRP_ABI 2
/** ABI 2 has no request metadata: calls never carry one (nrp_call_head_()->req is always NULL). */
struct NrRequest;
/** What nrp_panic and a contained failure answer. */
#define NRP_STATUS_PANIC NR_STATUS_PANIC
/** What handle returns for a background call the full queue refused (nothing is sent). */
#define NRP_STATUS_BUSY NR_STATUS_BACKPRESSURE
#else
#define NRP_ABI 1
#define NRP_STATUS_PANIC NR_STATUS_ERR
/** What handle returns for a background call the full queue refused (nothing is sent; ABI 1 has no Backpressure). */
#define NRP_STATUS_BUSY NR_STATUS_ERR
#endif

#ifdef __cplusplus
extern "C" {
#define NRP_NORETURN [[noreturn]]
#else
#define NRP_NORETURN _Noreturn
#endif

/** Number of elements of an array (for NrpPlugin.entry_count). */
#define NRP_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/** What an entry sends back. */
typedef enum NrpKind {
    /** Exactly one answer (any status). */
    NRP_UNARY = 0,
    /** Ok frames, then exactly one terminal frame (StreamEnd, Err, Invalid or Unsupported). */
    NRP_STREAM = 1,
    /** A stream that also receives the host's stream_data frames and stream_close. */
    NRP_BIDI = 2,
} NrpKind;

/** Where an entry's handler runs. */
typedef enum NrpRun {
    /** On the host's thread, inside handle: the fast path; keep it short. */
    NRP_SYNC = 0,
    /**
     * On a worker of the SDK's background pool, with copies of the payload and request
     * (not for NRP_BIDI). Workers are shared: a handler that blocks holds one of them.
     */
    NRP_BACKGROUND = 1,
} NrpRun;

/** What happened to a send. */
typedef enum NrpSend {
    /** Handed to the host. */
    NRP_SENT = 0,
    /** Dropped: this call already had its answer or terminal frame. */
    NRP_ENDED = 1,
    /** Dropped: the plugin has been shut down. */
    NRP_SHUT_DOWN = 2,
    /** Not sent: frames belong to streams (use nrp_reply for a unary call). */
    NRP_WRONG_KIND = 3,
    /** Not sent: a NULL call, or NULL data with a length. */
    NRP_BAD_ARGUMENT = 4,
    /** Not sent (ABI 2): the host's stream queue is full; the call stays open, send it again later. */
    NRP_BACKPRESSURE = 5,
    /** Handed to the host, which refused it (ABI 2: it answered Invalid, for a sid it no longer knows). */
    NRP_REFUSED = 6,
} NrpSend;

/**
 * One request in progress. Valid until its handler returns; for a bidirectional
 * stream, until the stream has ended and its last callback has returned; for a
 * background entry, until its thread's handler returns. A synchronous call belongs
 * to the host's thread: answer it there (that is what keeps its path free of atomic
 * read-modify-writes); background calls and bidirectional streams may be answered
 * from any thread.
 */
typedef struct NrpCall NrpCall;

/**
 * Starts (or, for bidirectional streams, closes) a call. Return Ok once the call is
 * accepted, whether or not it has been answered yet; return Err, Invalid or
 * Unsupported without sending anything to reject it. Once something was sent, the
 * return value no longer matters.
 */
typedef NrStatus (*NrpHandler)(NrpCall *call);

/** Receives one frame the host sent into a bidirectional stream (borrowed for the call). */
typedef NrStatus (*NrpDataHandler)(NrpCall *call, NrBytes data);

/** One entry of the routing table. */
typedef struct NrpEntry {
    /** Name the host calls it by (UTF-8, NUL-terminated). */
    const char *name;
    NrpKind kind;
    NrpRun run;
    /** Starts the call. */
    NrpHandler start;
    /** NRP_BIDI only: each inbound frame (NULL: frames are refused with Unsupported). */
    NrpDataHandler on_data;
    /** NRP_BIDI only: inbound close; the stream is then ended with StreamEnd unless it returns another status. */
    NrpHandler on_close;
    /**
     * NRP_BACKGROUND only (optional): checks the payload on the host's thread before the call
     * is queued; anything but Ok is what handle returns, and nothing is sent (a rejection the
     * background handler could only answer with a frame).
     */
    NrStatus (*accept)(NrBytes payload);
    /**
     * A panic probe: listed under [[panic_probes]] in the embedded manifest and, on ABI 2,
     * answered Unsupported unless NYLON_RING_ENABLE_PROBES=1 was set when init ran.
     */
    bool probe;
    /** Manifest mode; NULL: from kind (ABI 2: unary, stream, bidi; ABI 1: raw, stream_raw, bidi). */
    const char *mode;
    /**
     * More TOML lines of this entry's table in the embedded manifest (a sample payload and
     * what it must answer), e.g. "payload = \"hi\"\nexpect = \"hi\"". NULL: none.
     */
    const char *manifest;
} NrpEntry;

/** The plugin: what nylon_ring_get_plugin(_v1) reports and routes to. */
typedef struct NrpPlugin {
    const char *name;
    const char *version;
    const NrpEntry *entries;
    size_t entry_count;
    /** Optional: runs at the end of init; anything but Ok fails the load. */
    NrStatus (*on_init)(void);
    /** Optional: runs in shutdown after background work is joined, before sends stop. */
    void (*on_shutdown)(void);
    /** Optional: worker threads for NRP_BACKGROUND entries (0: one per CPU, at least 2; at most 64). */
    size_t background_threads;
    /** Optional: how long nrp_frame_wait (and a terminal frame) retries a full stream queue, in ms (0: 5000). */
    unsigned backpressure_wait_ms;
    /** Optional: background calls the queue holds before it refuses more with NRP_STATUS_BUSY (0: 4096). */
    size_t background_queue;
} NrpPlugin;

/** Defined by the plugin, read by nr_plugin.c. */
extern const NrpPlugin nrp_plugin;

/* ---- NULL-safe views ---- */

/** A view of NUL-terminated text; NULL gives an empty view. */
NrStr nrp_str(const char *text);
/** A view of `len` bytes of text at `data`; NULL gives an empty view. */
NrStr nrp_str_n(const void *data, size_t len);
/** A view of `len` bytes at `data`; NULL gives an empty view. */
NrBytes nrp_bytes(const void *data, size_t len);
/** `s` with a pointer that is never NULL (a NULL one reads as empty), safe to memcpy from. */
NrStr nrp_str_view(NrStr s);
/** `b` with a pointer that is never NULL (a NULL one reads as empty), safe to memcpy from. */
NrBytes nrp_bytes_view(NrBytes b);
/** Whether `s` holds exactly the NUL-terminated `text`. */
bool nrp_str_eq(NrStr s, const char *text);
/** Whether `len` bytes at `data` are well-formed UTF-8. */
bool nrp_utf8_valid(const void *data, size_t len);

/* ---- the call ---- */

/**
 * Internal: the first fields of every NrpCall (the rest is private to nr_plugin.c), so
 * the accessors a handler calls on every request inline. Plugin code uses the accessors.
 */
typedef struct NrpCallHead {
    uint64_t sid;
    NrBytes payload;             /* never a NULL pointer */
    const struct NrRequest *req; /* NULL through handle_raw, and always on ABI 2 */
} NrpCallHead;

/** Internal: the head of a non-NULL call. */
static inline const NrpCallHead *nrp_call_head_(const NrpCall *call) { return (const NrpCallHead *)(const void *)call; }


/** The call's sid (0 for a NULL call). */
static inline uint64_t nrp_sid(const NrpCall *call) { return call != NULL ? nrp_call_head_(call)->sid : 0; }
/** The entry name the host used. */
NrStr nrp_entry_name(const NrpCall *call);

/** The request body (never a NULL pointer). */
static inline NrBytes nrp_payload(const NrpCall *call) {
    NrBytes none = {(const uint8_t *)"", 0};
    return call != NULL ? nrp_call_head_(call)->payload : none;
}

/** Whether the call carries request metadata (ABI 1 handle; never through handle_raw or on ABI 2). */
static inline bool nrp_has_request(const NrpCall *call) { return call != NULL && nrp_call_head_(call)->req != NULL; }

/** A pointer the plugin keeps with the call (per bidirectional stream, for example). */
void *nrp_user(const NrpCall *call);
void nrp_set_user(NrpCall *call, void *user);
/** Whether the call has had its answer or terminal frame. */
bool nrp_done(const NrpCall *call);

#if NRP_ABI == 1
/* ---- request metadata (ABI 1: entries called through handle) ---- */

/** Internal: `s` with a pointer that is never NULL (nrp_str_view, inline). */
static inline NrStr nrp_text_view_(NrStr s) {
    NrStr empty = {(const uint8_t *)"", 0};
    return s.ptr != NULL ? s : empty;
}

/** Request method, path and query; empty without a request. */
static inline NrStr nrp_method(const NrpCall *call) {
    NrStr none = {NULL, 0};
    return nrp_text_view_(nrp_has_request(call) ? nrp_call_head_(call)->req->method : none);
}
static inline NrStr nrp_path(const NrpCall *call) {
    NrStr none = {NULL, 0};
    return nrp_text_view_(nrp_has_request(call) ? nrp_call_head_(call)->req->path : none);
}
static inline NrStr nrp_query(const NrpCall *call) {
    NrStr none = {NULL, 0};
    return nrp_text_view_(nrp_has_request(call) ? nrp_call_head_(call)->req->query : none);
}
size_t nrp_header_count(const NrpCall *call);
/** Header `index` with never-NULL views; an empty header when out of range. */
NrHeader nrp_header_at(const NrpCall *call, size_t index);
/** The first header named `name` (ASCII case-insensitive) into *value; false when absent. */
bool nrp_header(const NrpCall *call, const char *name, NrStr *value);
#endif

/* ---- answering ---- */

/**
 * The final answer. Unary: the one answer, with any status. Streams: the terminal
 * frame (an Ok status is sent as StreamEnd). Only the first final answer is sent.
 */
NrpSend nrp_reply(NrpCall *call, NrStatus status, const void *data, size_t len);
/** nrp_reply with NUL-terminated text. */
NrpSend nrp_reply_str(NrpCall *call, NrStatus status, const char *text);
/**
 * One Ok frame of a stream; dropped after the terminal frame. NRP_BACKPRESSURE: the
 * host's queue was full and the frame was not sent (the stream stays open).
 */
NrpSend nrp_frame(NrpCall *call, const void *data, size_t len);
/**
 * nrp_frame, retried with a growing pause while the host answers Backpressure (at most
 * NrpPlugin.backpressure_wait_ms, and not past shutdown). Inside a host call on the
 * host's own thread (a synchronous handler, a bidirectional callback) the host cannot
 * drain its queue until the call returns, so it does not wait there: it returns
 * NRP_BACKPRESSURE at once. Background handlers are where waiting works.
 */
NrpSend nrp_frame_wait(NrpCall *call, const void *data, size_t len);
/** Ends a stream normally (StreamEnd). */
NrpSend nrp_end(NrpCall *call);
/** Ends any call with an error status and message (Ok or StreamEnd become Err). A terminal frame refused with Backpressure is sent again later: it is never lost. */
NrpSend nrp_fail(NrpCall *call, NrStatus status, const char *message);
/**
 * The handler failed beyond repair: unwinds (a long jump) to the SDK boundary of the
 * handler running on this thread, which answers Err with `message` unless the call
 * has already ended. Memory the handler allocated is not freed. Called on a thread
 * that is not running a handler, it fails `call` and ends that thread.
 */
NRP_NORETURN void nrp_panic(NrpCall *call, const char *message);

/** Whether shutdown has begun: long-running background handlers should finish. */
bool nrp_shutting_down(void);

#if NRP_ABI >= 2
/* ---- zero-copy answers and leases (ABI 2) ---- */

/**
 * The final answer without a copy: `data` must stay valid and unchanged until `release`
 * (optional: NULL means nothing to free) is called with `owner`, exactly once, possibly
 * from another thread and possibly after the call has ended. When the answer is not
 * handed to the host (the call had its answer, the plugin shut down, the host has no
 * send_result_owned, or the call is a stream, whose frames are copied) the SDK sends a
 * copy if it may and calls `release` itself before returning; on a NULL call or NULL
 * data with a length too.
 */
NrpSend nrp_reply_owned(NrpCall *call, NrStatus status, const void *data, size_t len, NrReleaseFn release, void *owner);

/** A host buffer leased for a unary call's answer (see nrp_lease_acquire). */
typedef struct NrpLease {
    uint8_t *data;  /* writable, `cap` bytes; NULL when no lease is held */
    size_t cap;
    uint64_t token; /* internal */
} NrpLease;

/**
 * Leases a host buffer of at least `capacity` bytes for the answer of a unary call; false
 * (lease->data NULL) when the host has no leases, refuses (a stream, a lease already out),
 * or the call has ended: then answer another way (nrp_reply).
 */
bool nrp_lease_acquire(NrpCall *call, size_t capacity, NrpLease *lease);
/**
 * Answers with the first `len` bytes of the lease (len <= cap). A commit the host refuses
 * falls back to sending those bytes through send_result, so the call is answered once either
 * way; the lease is spent after this call.
 */
NrpSend nrp_lease_commit(NrpCall *call, NrStatus status, NrpLease *lease, size_t len);
#endif

#if NRP_ABI == 1
/* ---- state extension (per sid, kept by the host until the sid completes) ---- */

/** Whether the host handed over a state extension. */
bool nrp_state_available(void);
/** Stores `len` bytes under `key` for the call's sid; *stored (optional) views the host's copy. */
bool nrp_state_set(const NrpCall *call, const char *key, const void *data, size_t len, NrBytes *stored);
/** Reads `key` for the call's sid into *value (empty when absent; never a NULL pointer). */
bool nrp_state_get(const NrpCall *call, const char *key, NrBytes *value);
#endif

/* ---- the embedded manifest ---- */

/**
 * The plugin's manifest (nylon-ring.toml format, NUL-terminated UTF-8), built once from
 * the entry table: [plugin] with the name and how unknown entries are answered, one
 * [[entries]] table per entry (name, mode, its .manifest lines) and one [[panic_probes]]
 * table per probe. Exported as nylon_ring_manifest(); NULL when out of memory.
 */
const uint8_t *nrp_manifest(void);

#ifdef __cplusplus
}
#endif

#endif /* NR_PLUGIN_H */
