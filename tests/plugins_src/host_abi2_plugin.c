/*
 * A hand-written ABI 2 plugin (no SDK) exercising every host-side rule of ABI 2.
 *
 * Entries (by name through handle, or by id through resolve_entry/handle_by_id):
 *   echo             Ok with the payload, copied by send_result (borrowed NrVecU8) inside handle
 *   echo_vec         the same through an owned NrVecU8 (the host must call drop_fn)
 *   echo_nodrop      an owned NrVecU8 with a NULL drop_fn (a violation)
 *   echo_async       Ok with the payload from another thread, after handle returned
 *   echo_owned       Ok through send_result_owned (the host must release, once)
 *   owned_async      the same from another thread
 *   owned_big        96 KiB through send_result_owned
 *   owned_change     send_result_owned, then the plugin overwrites the bytes (a violation)
 *   echo_lease       acquire_result_buffer + commit_result_buffer; send_result when acquire fails
 *   lease_async      the same from another thread
 *   lease_over       commit with initialized_len = cap + 1 (refused), then a corrected commit
 *   lease_bad_token  commit with a wrong token (refused), then the right one
 *   lease_double     commit, then commit again (refused)
 *   lease_after      answer through send_result, then commit the lease (refused)
 *   lease_twice      a second acquire while the first lease is out must fail
 *   lease_unknown    acquire for a sid the host never issued must fail
 *   count            stream "0".."N-1" then StreamEnd from a thread, retrying on Backpressure
 *   stream_lease     stream: acquire must fail on a streaming sid; "refused", then StreamEnd
 *   flood            stream: N frames inside handle (the queue fills), StreamEnd retried from a thread
 *   chat             bidi echo: each stream_data frame back as Ok; stream_close -> StreamEnd
 *   panic            answers Panic (a contained panic)
 *   double           Ok "first", then Ok "second" (refused: a violation)
 *   after_end        stream: Ok "a", StreamEnd, Ok "late" (a violation)
 *   unknown_sid      a frame for a sid never issued, then Ok "ok"
 *   bad_status       a frame with status 9 (a violation, delivered as terminal)
 *   reject_send      sends Ok, then handle returns Invalid (a violation)
 *   never            accepted, never answered
 *   after_shutdown   Ok "early"; a detached thread sends again once shutdown returned
 * Unknown entries get Invalid (as upstream's own plugins answer). What the host answered
 * is kept in counters the tests read with abi2_counter(name).
 *
 * Build variants: BREAK_ABI3 (abi_version 3), BREAK_SIZE48 (struct_size 48), BIG_INFO
 * (struct_size 64, a larger NrPluginInfo: accepted), BREAK_ONE_DISPATCH (resolve_entry
 * without handle_by_id), NO_DISPATCH (neither), BREAK_NULL_VTABLE.
 */
#include "nylon_ring.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *g_ctx;
static const NrHostVTable *g_host;
static atomic_int g_threads;
static atomic_int g_shutdown;

/* ---------------------------------------------------------------- counters */

static const char *const COUNTER_NAMES[] = {
    "drops", "releases", "owned_sent", "retries", "flood_bp", "double_second", "unknown_sid_status",
    "lease_first", "lease_second", "lease_twice_ok", "lease_unknown_ok", "stream_lease_ok", "last_token",
};
#define N_COUNTERS (sizeof(COUNTER_NAMES) / sizeof(COUNTER_NAMES[0]))
static _Atomic uint64_t g_counters[N_COUNTERS];

static void bump(int i, uint64_t by) { atomic_fetch_add(&g_counters[i], by); }
static void put(int i, uint64_t v) { atomic_store(&g_counters[i], v); }
enum { C_DROPS, C_RELEASES, C_OWNED_SENT, C_RETRIES, C_FLOOD_BP, C_DOUBLE_SECOND, C_UNKNOWN_SID, C_LEASE_FIRST,
       C_LEASE_SECOND, C_LEASE_TWICE_OK, C_LEASE_UNKNOWN_OK, C_STREAM_LEASE_OK, C_LAST_TOKEN };

NR_EXPORT uint64_t abi2_counter(const char *name) {
    for (size_t i = 0; i < N_COUNTERS; i++)
        if (strcmp(COUNTER_NAMES[i], name) == 0) return atomic_load(&g_counters[i]);
    return UINT64_MAX;
}

/* ---------------------------------------------------------------- answering */

static NrStatus send_copy(uint64_t sid, NrStatus status, const void *data, size_t len) {
    NrVecU8 v;
    memset(&v, 0, sizeof v);
    v.ptr = (uint8_t *)data;
    v.len = len;
    v.cap = len;
    return g_host->send_result(g_ctx, sid, status, v);
}

static NrStatus send_text(uint64_t sid, NrStatus status, const char *text) {
    return send_copy(sid, status, text, strlen(text));
}

static void drop_vec(uint8_t *ptr, size_t len, size_t cap) {
    (void)len;
    (void)cap;
    free(ptr);
    bump(C_DROPS, 1);
}

static uint8_t *dup_bytes(NrBytes p) {
    uint8_t *copy = (uint8_t *)malloc(p.len ? p.len : 1);
    if (copy && p.len) memcpy(copy, p.ptr, p.len);
    return copy;
}

static NrStatus send_vec(uint64_t sid, NrBytes p, int with_drop) {
    NrVecU8 v;
    memset(&v, 0, sizeof v);
    v.ptr = dup_bytes(p);
    v.len = p.len;
    v.cap = p.len ? p.len : 1;
    v.owned = 1;
    v.drop_fn = with_drop ? drop_vec : NULL;
    return g_host->send_result(g_ctx, sid, NR_STATUS_OK, v);
}

static void release_owned(void *owner_ctx, const uint8_t *ptr, uint64_t len) {
    (void)len;
    if (owner_ctx == (void *)ptr) free((void *)ptr);
    bump(C_RELEASES, 1);
}

static NrStatus send_owned(uint64_t sid, NrStatus status, uint8_t *buf, uint64_t len) {
    NrOwnedBytes o = {buf, len, buf, release_owned};
    bump(C_OWNED_SENT, 1);
    return g_host->send_result_owned(g_ctx, sid, status, o);
}

/* Answer through a lease, or through send_result when the host has none to give. */
static NrStatus answer_lease(uint64_t sid, NrBytes p) {
    NrBufferLease lease = g_host->acquire_result_buffer(g_ctx, sid, p.len);
    if (!lease.ptr) return send_copy(sid, NR_STATUS_OK, p.ptr, p.len);
    put(C_LAST_TOKEN, lease.token);
    if (p.len) memcpy(lease.ptr, p.ptr, p.len);
    return g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, p.len);
}

/* A stream frame, retried while the host answers Backpressure. */
static NrStatus send_retrying(uint64_t sid, NrStatus status, const char *text) {
    for (;;) {
        NrStatus st = send_text(sid, status, text);
        if (st != NR_STATUS_BACKPRESSURE) return st;
        bump(C_RETRIES, 1);
        usleep(500);
    }
}

/* ---------------------------------------------------------------- threads */

typedef struct job {
    int kind;
    uint64_t sid;
    uint64_t len;
    uint8_t data[];
} job;

enum { J_ECHO, J_OWNED, J_LEASE, J_COUNT, J_FLOOD_END, J_AFTER_SHUTDOWN };

static void *run_job(void *arg) {
    job *j = (job *)arg;
    NrBytes p = {j->data, j->len};
    char text[32];
    switch (j->kind) {
    case J_ECHO: send_copy(j->sid, NR_STATUS_OK, j->data, j->len); break;
    case J_OWNED: send_owned(j->sid, NR_STATUS_OK, dup_bytes(p), j->len); break;
    case J_LEASE: answer_lease(j->sid, p); break;
    case J_COUNT: {
        long n = j->len ? strtol((const char *)j->data, NULL, 10) : 0;
        for (long i = 0; i < n; i++) {
            snprintf(text, sizeof text, "%ld", i);
            send_retrying(j->sid, NR_STATUS_OK, text);
        }
        send_retrying(j->sid, NR_STATUS_STREAM_END, "");
        break;
    }
    case J_FLOOD_END: send_retrying(j->sid, NR_STATUS_STREAM_END, ""); break;
    case J_AFTER_SHUTDOWN:
        while (!atomic_load(&g_shutdown)) usleep(1000);
        usleep(20000);
        send_text(j->sid, NR_STATUS_OK, "after shutdown");
        free(j);
        return NULL;
    }
    free(j);
    atomic_fetch_sub(&g_threads, 1);
    return NULL;
}

static NrStatus spawn(int kind, uint64_t sid, NrBytes p) {
    job *j = (job *)malloc(sizeof(job) + p.len + 1);
    if (!j) return NR_STATUS_ERR;
    j->kind = kind;
    j->sid = sid;
    j->len = p.len;
    if (p.len) memcpy(j->data, p.ptr, p.len);
    j->data[p.len] = 0;
    if (kind != J_AFTER_SHUTDOWN) atomic_fetch_add(&g_threads, 1);
    pthread_t t;
    if (pthread_create(&t, NULL, run_job, j) != 0) {
        if (kind != J_AFTER_SHUTDOWN) atomic_fetch_sub(&g_threads, 1);
        free(j);
        return NR_STATUS_ERR;
    }
    pthread_detach(t);
    return NR_STATUS_OK;
}

/* ---------------------------------------------------------------- entries */

static NrStatus lease_misuse(uint64_t sid, const char *how) {
    NrBufferLease lease = g_host->acquire_result_buffer(g_ctx, sid, 4);
    if (!lease.ptr) return send_text(sid, NR_STATUS_ERR, "no lease");
    memcpy(lease.ptr, "leas", 4);
    NrStatus first, second;
    if (strcmp(how, "over") == 0) {
        first = g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, lease.cap + 1);
        second = g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, 4);
    } else if (strcmp(how, "token") == 0) {
        first = g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token + 1, 4);
        second = g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, 4);
    } else if (strcmp(how, "double") == 0) {
        first = g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, 4);
        second = g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, 4);
    } else { /* after */
        first = send_text(sid, NR_STATUS_OK, "other");
        second = g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, 4);
    }
    put(C_LEASE_FIRST, first);
    put(C_LEASE_SECOND, second);
    return NR_STATUS_OK;
}

static NrStatus flood(uint64_t sid, NrBytes p) {
    long n = p.len ? strtol((const char *)p.ptr, NULL, 10) : 0; /* payload is "N" followed by no digit */
    uint64_t refused = 0;
    char text[32];
    for (long i = 0; i < n; i++) {
        snprintf(text, sizeof text, "%ld", i);
        if (send_text(sid, NR_STATUS_OK, text) == NR_STATUS_BACKPRESSURE) refused++;
    }
    put(C_FLOOD_BP, refused);
    return spawn(J_FLOOD_END, sid, p);
}

static NrStatus dispatch(const char *name, uint64_t sid, NrBytes p);

static const char *const ENTRIES[] = {
    "echo", "echo_vec", "echo_nodrop", "echo_async", "echo_owned", "owned_async", "owned_big", "owned_change",
    "echo_lease", "lease_async", "lease_over", "lease_bad_token", "lease_double", "lease_after", "lease_twice",
    "lease_unknown", "count", "stream_lease", "flood", "chat", "panic", "double", "after_end", "unknown_sid",
    "bad_status", "reject_send", "never", "after_shutdown",
};
#define N_ENTRIES (sizeof(ENTRIES) / sizeof(ENTRIES[0]))

static int is(const char *name, const char *want) { return strcmp(name, want) == 0; }

static NrStatus dispatch(const char *name, uint64_t sid, NrBytes p) {
    if (is(name, "echo")) return send_copy(sid, NR_STATUS_OK, p.ptr, p.len), NR_STATUS_OK;
    if (is(name, "echo_vec")) return send_vec(sid, p, 1), NR_STATUS_OK;
    if (is(name, "echo_nodrop")) return send_vec(sid, p, 0), NR_STATUS_OK;
    if (is(name, "echo_async")) return spawn(J_ECHO, sid, p);
    if (is(name, "echo_owned")) return send_owned(sid, NR_STATUS_OK, dup_bytes(p), p.len), NR_STATUS_OK;
    if (is(name, "owned_async")) return spawn(J_OWNED, sid, p);
    if (is(name, "owned_big")) {
        uint64_t len = 96 * 1024;
        uint8_t *buf = (uint8_t *)malloc(len);
        for (uint64_t i = 0; i < len; i++) buf[i] = (uint8_t)(i * 7);
        send_owned(sid, NR_STATUS_OK, buf, len);
        return NR_STATUS_OK;
    }
    if (is(name, "owned_change")) {
        uint8_t *buf = dup_bytes(p);
        send_owned(sid, NR_STATUS_OK, buf, p.len);
        if (p.len) buf[0] ^= 0xff; /* the host still holds the view */
        return NR_STATUS_OK;
    }
    if (is(name, "echo_lease")) return answer_lease(sid, p), NR_STATUS_OK;
    if (is(name, "lease_async")) return spawn(J_LEASE, sid, p);
    if (is(name, "lease_over")) return lease_misuse(sid, "over");
    if (is(name, "lease_bad_token")) return lease_misuse(sid, "token");
    if (is(name, "lease_double")) return lease_misuse(sid, "double");
    if (is(name, "lease_after")) return lease_misuse(sid, "after");
    if (is(name, "lease_twice")) {
        NrBufferLease a = g_host->acquire_result_buffer(g_ctx, sid, 8);
        NrBufferLease b = g_host->acquire_result_buffer(g_ctx, sid, 8);
        put(C_LEASE_TWICE_OK, (a.ptr != NULL) * 10 + (b.ptr != NULL));
        if (!a.ptr) return send_text(sid, NR_STATUS_ERR, "no lease"), NR_STATUS_OK;
        memcpy(a.ptr, "one", 3);
        g_host->commit_result_buffer(g_ctx, sid, NR_STATUS_OK, a.token, 3);
        return NR_STATUS_OK;
    }
    if (is(name, "lease_unknown")) {
        NrBufferLease a = g_host->acquire_result_buffer(g_ctx, sid + 1000000000ull, 8);
        put(C_LEASE_UNKNOWN_OK, a.ptr != NULL);
        return send_text(sid, NR_STATUS_OK, "ok"), NR_STATUS_OK;
    }
    if (is(name, "count")) return spawn(J_COUNT, sid, p);
    if (is(name, "stream_lease")) {
        NrBufferLease a = g_host->acquire_result_buffer(g_ctx, sid, 8);
        put(C_STREAM_LEASE_OK, a.ptr != NULL);
        send_text(sid, NR_STATUS_OK, a.ptr ? "granted" : "refused");
        send_text(sid, NR_STATUS_STREAM_END, "");
        return NR_STATUS_OK;
    }
    if (is(name, "flood")) return flood(sid, p);
    if (is(name, "chat")) return NR_STATUS_OK;
    if (is(name, "panic")) return send_text(sid, NR_STATUS_PANIC, "contained panic"), NR_STATUS_OK;
    if (is(name, "double")) {
        send_text(sid, NR_STATUS_OK, "first");
        put(C_DOUBLE_SECOND, send_text(sid, NR_STATUS_OK, "second"));
        return NR_STATUS_OK;
    }
    if (is(name, "after_end")) {
        send_text(sid, NR_STATUS_OK, "a");
        send_text(sid, NR_STATUS_STREAM_END, "");
        send_text(sid, NR_STATUS_OK, "late");
        return NR_STATUS_OK;
    }
    if (is(name, "unknown_sid")) {
        put(C_UNKNOWN_SID, send_text(sid + 1000000000ull, NR_STATUS_OK, "stray"));
        return send_text(sid, NR_STATUS_OK, "ok"), NR_STATUS_OK;
    }
    if (is(name, "bad_status")) return send_text(sid, 9, "nine"), NR_STATUS_OK;
    if (is(name, "reject_send")) return send_text(sid, NR_STATUS_OK, "sent"), NR_STATUS_INVALID;
    if (is(name, "never")) return NR_STATUS_OK;
    if (is(name, "after_shutdown")) {
        send_text(sid, NR_STATUS_OK, "early");
        return spawn(J_AFTER_SHUTDOWN, sid, p);
    }
    return NR_STATUS_INVALID;
}

/* Entry names are compared as C strings: copy into a bounded, NUL-terminated buffer. */
static int entry_name(NrStr entry, char *out, size_t cap) {
    if (!entry.ptr || entry.len == 0 || entry.len >= cap || memchr(entry.ptr, 0, entry.len)) return 0;
    memcpy(out, entry.ptr, entry.len);
    out[entry.len] = 0;
    return 1;
}

static NrStatus handle(NrStr entry, uint64_t sid, NrBytes payload) {
    char name[64];
    if (!entry_name(entry, name, sizeof name)) return NR_STATUS_INVALID;
    return dispatch(name, sid, payload);
}

static uint32_t resolve_entry(NrStr entry) {
    char name[64];
    if (!entry_name(entry, name, sizeof name)) return NR_ENTRY_UNKNOWN;
    for (uint32_t i = 0; i < N_ENTRIES; i++)
        if (is(ENTRIES[i], name)) return i + 100; /* ids need not be indexes */
    return NR_ENTRY_UNKNOWN;
}

static NrStatus handle_by_id(uint32_t id, uint64_t sid, NrBytes payload) {
    if (id < 100 || id - 100 >= N_ENTRIES) return NR_STATUS_INVALID;
    return dispatch(ENTRIES[id - 100], sid, payload);
}

/* Bidi sessions of "chat": a small open-addressed set of live sids. */
#define MAX_CHATS 1024
static _Atomic uint64_t g_chats[MAX_CHATS];

static NrStatus stream_data(uint64_t sid, NrBytes data) {
    for (int i = 0; i < MAX_CHATS; i++)
        if (atomic_load(&g_chats[i]) == sid) return send_copy(sid, NR_STATUS_OK, data.ptr, data.len), NR_STATUS_OK;
    return NR_STATUS_INVALID;
}

static NrStatus stream_close(uint64_t sid) {
    for (int i = 0; i < MAX_CHATS; i++) {
        uint64_t want = sid;
        if (atomic_compare_exchange_strong(&g_chats[i], &want, 0)) {
            send_text(sid, NR_STATUS_STREAM_END, "");
            return NR_STATUS_OK;
        }
    }
    return NR_STATUS_INVALID;
}

static NrStatus handle_chat_aware(NrStr entry, uint64_t sid, NrBytes payload) {
    if (entry.ptr && entry.len == 4 && memcmp(entry.ptr, "chat", 4) == 0) {
        for (int i = 0; i < MAX_CHATS; i++) {
            uint64_t empty = 0;
            if (atomic_compare_exchange_strong(&g_chats[i], &empty, sid)) return NR_STATUS_OK;
        }
        return NR_STATUS_ERR;
    }
    return handle(entry, sid, payload);
}

static NrStatus handle_by_id_chat_aware(uint32_t id, uint64_t sid, NrBytes payload) {
    if (id >= 100 && id - 100 < N_ENTRIES && is(ENTRIES[id - 100], "chat")) {
        NrStr chat = {(const uint8_t *)"chat", 4, 0};
        return handle_chat_aware(chat, sid, payload);
    }
    return handle_by_id(id, sid, payload);
}

/* ---------------------------------------------------------------- lifecycle */

static NrStatus init(void *host_ctx, const NrHostVTable *host_vtable) {
    if (!host_ctx || !host_vtable || !host_vtable->send_result || !host_vtable->send_result_owned ||
        !host_vtable->acquire_result_buffer || !host_vtable->commit_result_buffer)
        return NR_STATUS_INVALID;
    g_ctx = host_ctx;
    g_host = host_vtable;
    return NR_STATUS_OK;
}

/* Waits for the answering threads: nothing is sent after shutdown returns (except by
 * after_shutdown, which breaks that rule on purpose). */
static void shutdown_plugin(void) {
    while (atomic_load(&g_threads) > 0) usleep(1000);
    atomic_store(&g_shutdown, 1);
}

static const NrPluginVTable VTABLE = {
    init, handle_chat_aware, shutdown_plugin, stream_data, stream_close,
#if defined(NO_DISPATCH)
    NULL, NULL,
#elif defined(BREAK_ONE_DISPATCH)
    resolve_entry, NULL,
#else
    resolve_entry, handle_by_id_chat_aware,
#endif
};

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "host-abi2-plugin"
#endif

typedef struct {
    NrPluginInfo info;
    uint64_t appended; /* a field of a newer NrPluginInfo: hosts must accept a larger struct */
} big_info;

static const big_info INFO = {{
#ifdef BREAK_ABI3
    3,
#else
    NR_ABI_VERSION,
#endif
#if defined(BREAK_SIZE48)
    48,
#elif defined(BIG_INFO)
    (uint32_t)sizeof(big_info),
#else
    (uint32_t)sizeof(NrPluginInfo),
#endif
    {(const uint8_t *)PLUGIN_NAME, sizeof(PLUGIN_NAME) - 1, 0},
    {(const uint8_t *)"2.0.0", 5, 0},
    NULL,
#ifdef BREAK_NULL_VTABLE
    NULL,
#else
    &VTABLE,
#endif
}, 42};

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin(void) { return &INFO.info; }

/* The full table and the dispatch pair, whatever the variant leaves out of INFO (so every
 * variant compiles the same functions). */
NR_EXPORT const NrPluginVTable *abi2_full_vtable(void) { return &VTABLE; }
NR_EXPORT NrResolveEntryFn abi2_resolve_entry(void) { return resolve_entry; }
NR_EXPORT NrHandleByIdFn abi2_handle_by_id(void) { return handle_by_id_chat_aware; }
