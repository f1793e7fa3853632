/*
 * Conformance corpus, ABI 2: the reference plugin. Written by hand against the
 * generated ABI 2 nylon_ring.h (no SDK); it follows every rule and passes every check
 * with ./nylon-ring.toml. Each broken plugin of ../<name>/ is this file with one
 * NRC_FAULT_* macro defined; the code a fault changes is marked `fault:`.
 *
 * Entries:
 *   echo         unary: the payload, copied by send_result inside handle
 *   echo_async   unary: the payload from a worker thread
 *   echo_owned   unary: the payload through send_result_owned (freed by release)
 *   echo_lease   unary: the payload written into a host lease (send_result if acquire fails)
 *   stamp        unary: "stamp" through send_result_owned from a static buffer
 *   count        stream: "0".."N-1" then StreamEnd from a worker thread, retrying on Backpressure
 *   chat         bidi: each stream_data frame echoed as Ok; stream_close -> StreamEnd
 *   panic        a panic probe: answers Panic (a contained panic)
 * Unknown entries are rejected with Invalid, as upstream's own plugins do. Ids for
 * resolve_entry/handle_by_id are the table index.
 */
#define _DEFAULT_SOURCE /* usleep under -std=c11 */
#include "nylon_ring.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *g_ctx;
static const NrHostVTable *g_host;
static atomic_int g_jobs; /* worker threads still running: shutdown waits for them */

static NrStatus send_copy(uint64_t sid, NrStatus status, const void *data, size_t len) {
    NrVecU8 v;
    memset(&v, 0, sizeof v);
    v.ptr = (uint8_t *)data;
    v.len = len;
    v.cap = len;
    return g_host->send_result(g_ctx, sid, status, v);
}

static void release_heap(void *owner_ctx, const uint8_t *ptr, uint64_t len) {
    (void)ptr;
    (void)len;
    free(owner_ctx);
}

static uint8_t g_stamp[] = "stamp";

static void release_static(void *owner_ctx, const uint8_t *ptr, uint64_t len) {
    (void)owner_ctx;
    (void)ptr;
    (void)len;
}

/* ------------------------------------------- sanitizer faults (conformance --sanitize)
 * Each of these is silent in a default run: it shows only when the plugin is built
 * with -fsanitize=X and checked with `nylon-ring conformance --sanitize X`. */

#ifdef NRC_FAULT_RACY_COUNTER
/* fault: a statistics counter every call bumps, on whatever thread the host calls from,
 * with neither a lock nor an atomic (a data race: ThreadSanitizer) */
static unsigned long g_calls_seen;
#define NRC_NOTE_CALL() (g_calls_seen++)
#else
#define NRC_NOTE_CALL() ((void)0)
#endif

#ifdef NRC_FAULT_REJECTED_USE_AFTER_FREE
/* fault: rejected names are logged once in a row: the previous one is released before it is
 * compared with the new one (a heap use after free: AddressSanitizer) */
static char *g_last_rejected;
static unsigned long g_rejected_logged;
__attribute__((noinline)) static void nrc_release_name(char *name) { free(name); }
static void nrc_note_rejected(NrStr entry) {
    char *line = (char *)malloc(entry.len + 1);
    if (!line) return;
    if (entry.len) memcpy(line, entry.ptr, entry.len);
    line[entry.len] = 0;
    char *prev = g_last_rejected;
    g_last_rejected = line;
    nrc_release_name(prev);
    if (prev != NULL && strcmp(prev, line) == 0) return; /* the same name as last time: logged already */
    g_rejected_logged++;
}
#else
static void nrc_note_rejected(NrStr entry) { (void)entry; }
#endif

#ifdef NRC_FAULT_MISALIGNED_HEADER
/* fault: echo sniffs for a framed payload (a 0xFE tag, then a 32-bit body length): it copies
 * the header out and loads the length through a uint32_t pointer one byte into the copy, before
 * it checks the tag (a misaligned load: UBSan, whatever the alignment of the host's buffer) */
static NrBytes nrc_unframe(NrBytes p) {
    if (p.len < 5) return p;
    _Alignas(8) uint8_t head[8];
    memcpy(head, p.ptr, 5);
    uint32_t declared = *(const uint32_t *)(head + 1);
    if (p.ptr[0] == 0xFE && declared == p.len - 5) {
        p.ptr += 5;
        p.len = declared;
    }
    return p;
}
#else
static NrBytes nrc_unframe(NrBytes p) { return p; }
#endif
/* ------------------------------------------------------- end of sanitizer faults */

/* ============================================ overlap fault used by the workers (concurrency.overlap) */
#ifdef NRC_FAULT_FLAKY_STREAM
/* fault: count rebuilds a frame table every 50 streams, and the stream that triggers the
 * rebuild ends with Err instead of waiting for it (the first time: the 18th stream) */
static atomic_uint g_streams_served = 32;
#endif
/* ============================================ end */

/* ---------------------------------------------------------------- worker threads */

typedef struct {
    int kind; /* 0: echo, 1: count */
    uint64_t sid;
    size_t len;
    uint8_t data[];
} job;

static NrStatus send_frame(uint64_t sid, NrStatus status, const char *text) {
    for (;;) {
        NrStatus st = send_copy(sid, status, text, strlen(text));
#ifdef NRC_FAULT_BACKPRESSURE_STOPS
        /* fault: Backpressure taken as the end of the stream: the producer stops */
        return st;
#endif
        if (st != NR_STATUS_BACKPRESSURE) return st;
        usleep(200); /* the host's queue is full: retry the same frame */
    }
}

static void *run_job(void *arg) {
    job *j = (job *)arg;
    if (j->kind == 0) {
#ifdef NRC_FAULT_SEND_AFTER_SHUTDOWN
        usleep(30000); /* fault: answers late, and shutdown does not wait for it (below) */
#endif
        send_copy(j->sid, NR_STATUS_OK, j->data, j->len);
    } else {
        long n = strtol((const char *)j->data, NULL, 10);
        char text[24];
#ifdef NRC_FAULT_FLAKY_STREAM
        if ((atomic_fetch_add(&g_streams_served, 1) + 1) % 50 == 0) { /* fault: see the overlap faults */
            send_frame(j->sid, NR_STATUS_ERR, "frame table rebuilding");
            goto done;
        }
#endif
        for (long i = 0; i < n; i++) {
            snprintf(text, sizeof text, "%ld", i);
            if (send_frame(j->sid, NR_STATUS_OK, text) != NR_STATUS_OK) goto done;
        }
        send_frame(j->sid, NR_STATUS_STREAM_END, "");
#ifdef NRC_FAULT_FRAME_AFTER_END
        send_copy(j->sid, NR_STATUS_OK, "late", 4); /* fault: a frame after StreamEnd */
#endif
    }
done:
    free(j);
    atomic_fetch_sub(&g_jobs, 1);
    return NULL;
}

static NrStatus spawn(int kind, uint64_t sid, NrBytes p) {
    job *j = (job *)malloc(sizeof(job) + p.len + 8);
    if (!j) return NR_STATUS_ERR;
    j->kind = kind;
    j->sid = sid;
    j->len = p.len;
#ifdef NRC_FAULT_FIXED_COPY
    if (p.len) memcpy(j->data, p.ptr, (p.len + 7) & ~(size_t)7); /* fault: copies whole 8-byte words */
#else
    if (p.len) memcpy(j->data, p.ptr, p.len);
#endif
    j->data[p.len] = 0;
    atomic_fetch_add(&g_jobs, 1);
    pthread_t t;
    if (pthread_create(&t, NULL, run_job, j) != 0) {
        atomic_fetch_sub(&g_jobs, 1);
        free(j);
        return NR_STATUS_ERR;
    }
    pthread_detach(t);
    return NR_STATUS_OK;
}

/* ------------------------------------------ faults the hostile host shows (begin) */

#if defined(NRC_FAULT_KEEPS_VIEW) || defined(NRC_FAULT_SCRUBS_VIEW)
/* fault: a worker keeps the host's view instead of a copy (KEEPS_VIEW answers from it after
 * handle returned; SCRUBS_VIEW wipes the caller's bytes "for safety" once the answer is out) */
typedef struct {
    uint64_t sid;
    const uint8_t *view;
    size_t len;
} view_job;

static void *run_view_job(void *arg) {
    view_job *j = (view_job *)arg;
#ifdef NRC_FAULT_KEEPS_VIEW
    usleep(5000); /* the work the answer waits for */
    send_copy(j->sid, NR_STATUS_OK, j->view, j->len);
#else
    usleep(20000); /* the clean-up runs once the call is long over */
    if (j->len) memset((void *)(uintptr_t)j->view, 0, j->len);
#endif
    free(j);
    atomic_fetch_sub(&g_jobs, 1);
    return NULL;
}

static NrStatus keep_view(uint64_t sid, NrBytes p) {
    view_job *j = (view_job *)malloc(sizeof *j);
    if (!j) return NR_STATUS_ERR;
    j->sid = sid;
    j->view = p.ptr;
    j->len = p.len;
    atomic_fetch_add(&g_jobs, 1);
    pthread_t t;
    if (pthread_create(&t, NULL, run_view_job, j) != 0) {
        atomic_fetch_sub(&g_jobs, 1);
        free(j);
        return NR_STATUS_ERR;
    }
    pthread_detach(t);
    return NR_STATUS_OK;
}
#endif

/* -------------------------------------------- faults the hostile host shows (end) */

/* ============================================ overlap faults (concurrency.overlap)
 * Mistakes that only show when calls and sessions overlap: each answers correctly one
 * at a time. */

#if defined(NRC_FAULT_STATIC_ANSWER) || defined(NRC_FAULT_STATIC_REPLY) || defined(NRC_FAULT_GLOBAL_STREAM)
/* Runs main(arg) on a detached thread that shutdown waits for. */
static NrStatus start_worker(void *(*main)(void *), void *arg) {
    atomic_fetch_add(&g_jobs, 1);
    pthread_t t;
    if (pthread_create(&t, NULL, main, arg) != 0) {
        atomic_fetch_sub(&g_jobs, 1);
        return NR_STATUS_ERR;
    }
    pthread_detach(t);
    return NR_STATUS_OK;
}
#endif

#ifdef NRC_FAULT_STATIC_ANSWER
/* fault: echo_async copies the payload into one static answer buffer and a flusher thread sends
 * it 5 ms later from there, so a call arriving meanwhile replaces the answer */
static uint8_t g_answer[512];
static size_t g_answer_len;

static void *flush_answer(void *arg) {
    usleep(5000);
    send_copy((uint64_t)(uintptr_t)arg, NR_STATUS_OK, g_answer, g_answer_len);
    atomic_fetch_sub(&g_jobs, 1);
    return NULL;
}

static NrStatus answer_later(uint64_t sid, NrBytes p) {
    if (p.len > sizeof g_answer) return NR_STATUS_ERR;
    if (p.len) memcpy(g_answer, p.ptr, p.len);
    g_answer_len = p.len;
    return start_worker(flush_answer, (void *)(uintptr_t)sid);
}
#endif

#ifdef NRC_FAULT_STATIC_REPLY
/* fault: chat copies each frame into one static reply buffer and a flusher thread sends it
 * a millisecond later from there, so a frame of another session meanwhile replaces the reply */
static uint8_t g_reply[256];
static size_t g_reply_len;

static void *flush_reply(void *arg) {
    usleep(1000);
    send_copy((uint64_t)(uintptr_t)arg, NR_STATUS_OK, g_reply, g_reply_len);
    atomic_fetch_sub(&g_jobs, 1);
    return NULL;
}

static NrStatus reply_later(uint64_t sid, NrBytes data) {
    if (data.len > sizeof g_reply) return NR_STATUS_ERR;
    if (data.len) memcpy(g_reply, data.ptr, data.len);
    g_reply_len = data.len;
    return start_worker(flush_reply, (void *)(uintptr_t)sid);
}
#endif

#ifdef NRC_FAULT_GLOBAL_STREAM
/* fault: count's producer reads the stream it serves from one global ("one stream at a time"),
 * a frame a millisecond: a second count started meanwhile takes over the first one's producer,
 * so both send to the second sid and the first stream never ends */
static pthread_mutex_t g_ticker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { uint64_t sid; long next, n; } g_ticker;

static void *tick(void *arg) {
    (void)arg;
    char text[24];
    for (;;) {
        usleep(1000);
        pthread_mutex_lock(&g_ticker_lock);
        uint64_t sid = g_ticker.sid;
        long i = g_ticker.next++;
        int done = i >= g_ticker.n;
        pthread_mutex_unlock(&g_ticker_lock);
        if (done) {
            send_frame(sid, NR_STATUS_STREAM_END, "");
            break;
        }
        snprintf(text, sizeof text, "%ld", i);
        if (send_frame(sid, NR_STATUS_OK, text) != NR_STATUS_OK) break;
    }
    atomic_fetch_sub(&g_jobs, 1);
    return NULL;
}

static NrStatus count_ticker(uint64_t sid, NrBytes p) {
    char digits[16] = {0};
    if (p.len >= sizeof digits) return NR_STATUS_INVALID;
    if (p.len) memcpy(digits, p.ptr, p.len);
    pthread_mutex_lock(&g_ticker_lock);
    g_ticker.sid = sid;
    g_ticker.next = 0;
    g_ticker.n = strtol(digits, NULL, 10);
    pthread_mutex_unlock(&g_ticker_lock);
    return start_worker(tick, NULL);
}
#endif

/* ============================================ end of the overlap faults */

/* ---------------------------------------------------------------- entries */

static NrStatus echo_owned(uint64_t sid, NrBytes p) {
    uint8_t *copy = (uint8_t *)malloc(p.len ? p.len : 1);
    if (!copy) return NR_STATUS_ERR;
    if (p.len) memcpy(copy, p.ptr, p.len);
    NrOwnedBytes o = {copy, p.len, copy, release_heap};
    g_host->send_result_owned(g_ctx, sid, NR_STATUS_OK, o);
    return NR_STATUS_OK;
}

static NrStatus stamp(uint64_t sid) {
    memcpy(g_stamp, "stamp", 5);
    NrOwnedBytes o = {g_stamp, 5, NULL, release_static};
    g_host->send_result_owned(g_ctx, sid, NR_STATUS_OK, o);
#ifdef NRC_FAULT_OWNED_CHANGED
    g_stamp[0] = 'S'; /* fault: the bytes change before the host released them */
#endif
    return NR_STATUS_OK;
}

static NrStatus echo_lease(uint64_t sid, NrBytes p) {
    NrBufferLease lease = g_host->acquire_result_buffer(g_ctx, sid, p.len);
    if (!lease.ptr) return send_copy(sid, NR_STATUS_OK, p.ptr, p.len), NR_STATUS_OK;
    if (p.len) memcpy(lease.ptr, p.ptr, p.len);
#ifdef NRC_FAULT_LEASE_OVER_CAP
    /* fault: commits more than the lease holds (refused), then the right length */
    g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, lease.cap + 1);
#endif
    if (g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, p.len) != NR_STATUS_OK)
        send_copy(sid, NR_STATUS_ERR, "commit failed", 13);
#ifdef NRC_FAULT_LEASE_AFTER_COMMIT
    else if (p.len) memset(lease.ptr, 0, p.len); /* fault: scrubs the scratch buffer it already gave away */
#endif
    return NR_STATUS_OK;
}

/* Bidi sessions of chat: live sids in a small lock-free set. */
#define MAX_CHATS 256
static _Atomic uint64_t g_chats[MAX_CHATS];

static NrStatus open_chat(uint64_t sid) {
    for (int i = 0; i < MAX_CHATS; i++) {
        uint64_t empty = 0;
        if (atomic_compare_exchange_strong(&g_chats[i], &empty, sid)) return NR_STATUS_OK;
    }
    return NR_STATUS_ERR;
}

enum { E_ECHO, E_ECHO_ASYNC, E_ECHO_OWNED, E_ECHO_LEASE, E_STAMP, E_COUNT, E_CHAT, E_PANIC, E_COUNT_OF };
static const char *const NAMES[E_COUNT_OF] = {"echo", "echo_async", "echo_owned", "echo_lease", "stamp", "count",
                                              "chat", "panic"};

static NrStatus run_entry(uint32_t id, uint64_t sid, NrBytes p) {
    switch (id) {
    case E_ECHO:
        p = nrc_unframe(p); /* (fault MISALIGNED_HEADER: a misaligned load) */
#ifdef NRC_FAULT_STRLEN_PAYLOAD
        return send_copy(sid, NR_STATUS_OK, p.ptr, strlen((const char *)p.ptr)), NR_STATUS_OK; /* fault: a C string */
#endif
#ifdef NRC_FAULT_STATUS_400
        if (p.len == 0) return send_copy(sid, 400, "empty body", 10), NR_STATUS_OK; /* fault: an HTTP status */
#endif
        send_copy(sid, NR_STATUS_OK, p.ptr, p.len);
#ifdef NRC_FAULT_DOUBLE_SEND
        send_copy(sid, NR_STATUS_OK, p.ptr, p.len); /* fault: a second answer for a unary sid */
#endif
        return NR_STATUS_OK;
    case E_ECHO_ASYNC:
#if defined(NRC_FAULT_STATIC_ANSWER)
        return answer_later(sid, p); /* fault: see the overlap faults above */
#elif defined(NRC_FAULT_KEEPS_VIEW)
        return keep_view(sid, p); /* fault: answered later from the host's view */
#elif defined(NRC_FAULT_SCRUBS_VIEW)
        /* fault: the view is wiped later */
        return p.ptr && keep_view(sid, p) != NR_STATUS_OK ? NR_STATUS_ERR : spawn(0, sid, p);
#endif
        return spawn(0, sid, p);
    case E_ECHO_OWNED: return echo_owned(sid, p);
    case E_ECHO_LEASE: return echo_lease(sid, p);
    case E_STAMP: return stamp(sid);
    case E_COUNT:
#ifdef NRC_FAULT_SID_ZERO
        if (p.len == 0) return send_copy(0, NR_STATUS_ERR, "count: no number", 16), NR_STATUS_INVALID; /* fault: "sid 0" */
#endif
#ifdef NRC_FAULT_GLOBAL_STREAM
        return count_ticker(sid, p); /* fault: see the overlap faults above */
#endif
        return spawn(1, sid, p);
    case E_CHAT: return open_chat(sid);
    case E_PANIC:
#ifdef NRC_FAULT_PANIC_AS_ERR
        return send_copy(sid, NR_STATUS_ERR, "contained panic", 15), NR_STATUS_OK; /* fault: Err, not Panic */
#endif
        return send_copy(sid, NR_STATUS_PANIC, "contained panic", 15), NR_STATUS_OK;
    default:
#ifdef NRC_FAULT_SEND_AFTER_REJECT
        send_copy(sid, NR_STATUS_INVALID, "unknown entry", 13); /* fault: answers, then rejects */
#endif
#ifdef NRC_FAULT_RETURNS_404
        return 404; /* fault: an HTTP status returned where an NrStatus belongs */
#endif
        return NR_STATUS_INVALID;
    }
}

static uint32_t lookup(NrStr entry) {
    for (uint32_t i = 0; i < E_COUNT_OF; i++) {
#ifdef NRC_FAULT_STRCMP_ENTRY
        if (entry.ptr && strcmp((const char *)entry.ptr, NAMES[i]) == 0) return i; /* fault: NrStr as a C string */
        continue;
#endif
        if (entry.ptr && entry.len == strlen(NAMES[i]) && memcmp(entry.ptr, NAMES[i], entry.len) == 0) return i;
    }
    return NR_ENTRY_UNKNOWN;
}

static uint32_t resolve_entry(NrStr entry) {
    uint32_t id = lookup(entry);
#ifdef NRC_FAULT_RESOLVE_UNKNOWN_VALID
    if (id == NR_ENTRY_UNKNOWN) id = E_ECHO; /* fault: an unknown name gets a valid id (echo's) */
#endif
#ifdef NRC_FAULT_RESOLVE_UNSTABLE
    static _Atomic unsigned resolves;
    if (id != NR_ENTRY_UNKNOWN && (resolves++ & 1)) id = (id + 1) % E_COUNT_OF; /* fault: every other resolve moves on */
#endif
    return id;
}

static NrStatus handle(NrStr entry, uint64_t sid, NrBytes payload) {
    NRC_NOTE_CALL(); /* (fault RACY_COUNTER: an unsynchronised counter) */
    uint32_t id = lookup(entry);
    if (id == NR_ENTRY_UNKNOWN) nrc_note_rejected(entry); /* (fault REJECTED_USE_AFTER_FREE) */
    return run_entry(id, sid, payload);
}

static NrStatus handle_by_id(uint32_t id, uint64_t sid, NrBytes payload) {
    NRC_NOTE_CALL();
#ifdef NRC_FAULT_BY_ID_DIFFERS
    if (id == E_ECHO) return send_copy(sid, NR_STATUS_OK, "by id", 5), NR_STATUS_OK; /* fault: not what handle says */
#endif
    return run_entry(id, sid, payload);
}

static NrStatus stream_data(uint64_t sid, NrBytes data) {
    for (int i = 0; i < MAX_CHATS; i++) {
        if (!sid || atomic_load(&g_chats[i]) != sid) continue;
#ifdef NRC_FAULT_LOWER_IN_PLACE
        for (size_t k = 0; k < data.len; k++) { /* fault: lowercases the const frame in place */
            uint8_t c = data.ptr[k];
            ((uint8_t *)(uintptr_t)data.ptr)[k] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
#endif
#ifdef NRC_FAULT_STATIC_REPLY
        return reply_later(sid, data); /* fault: see the overlap faults above */
#endif
        return send_copy(sid, NR_STATUS_OK, data.ptr, data.len), NR_STATUS_OK;
    }
    return NR_STATUS_INVALID;
}

static NrStatus stream_close(uint64_t sid) {
    for (int i = 0; i < MAX_CHATS; i++) {
        uint64_t want = sid;
        if (sid && atomic_compare_exchange_strong(&g_chats[i], &want, 0))
            return send_copy(sid, NR_STATUS_STREAM_END, "", 0), NR_STATUS_OK;
    }
    return NR_STATUS_INVALID;
}

static NrStatus init(void *host_ctx, const NrHostVTable *host_vtable) {
    if (!host_vtable || !host_vtable->send_result || !host_vtable->send_result_owned ||
        !host_vtable->acquire_result_buffer || !host_vtable->commit_result_buffer)
        return NR_STATUS_INVALID;
    g_ctx = host_ctx;
    g_host = host_vtable;
    return NR_STATUS_OK;
}

static void shutdown_plugin(void) {
#ifndef NRC_FAULT_SEND_AFTER_SHUTDOWN
    while (atomic_load(&g_jobs) > 0) usleep(1000); /* fault (when defined): returns with jobs running */
#endif
}

static const NrPluginVTable VTABLE = {
    init, handle, shutdown_plugin, stream_data, stream_close, resolve_entry,
#ifdef NRC_FAULT_ONE_DISPATCH_SLOT
    NULL, /* fault: resolve_entry without handle_by_id */
#else
    handle_by_id,
#endif
};

/* A plugin info with one appended field: hosts accept struct_size above 56. */
typedef struct {
    NrPluginInfo info;
    uint64_t appended;
} info_v2_plus;

static const info_v2_plus INFO = {{
#ifdef NRC_FAULT_ABI_VERSION_3
    3, /* fault: an ABI version other than 2 */
#else
    NR_ABI_VERSION,
#endif
#ifdef NRC_FAULT_STRUCT_SIZE_48
    48, /* fault: smaller than ABI 2's NrPluginInfo */
#else
    (uint32_t)sizeof(info_v2_plus),
#endif
    {(const uint8_t *)"conformance-reference-abi2", 26, 0},
    {(const uint8_t *)"2.0.0", 5, 0},
    NULL,
    &VTABLE,
}, 0};

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin(void) { return &INFO.info; }

#ifdef NRC_FAULT_ONE_DISPATCH_SLOT
NR_EXPORT NrHandleByIdFn nrc_handle_by_id(void) { return handle_by_id; } /* keeps it compiled */
#endif
