/*
 * A C plugin exercising every path of the reference host.
 *
 * Raw entries (handle_raw):
 *   echo          Ok with the payload, synchronously inside handle_raw
 *   echo_async    Ok with the payload, from the worker thread
 *   count         stream: frames "0".."N-1" then StreamEnd, synchronously (N = payload)
 *   count_async   the same from the worker thread; a non-number payload is rejected (Invalid)
 *   state         set_state(sid, "k", payload), get_state(sid, "k"), Ok with what it read;
 *                 Unsupported when the host offered no state extension
 *   state_after   Ok with "done", then get_state for the finished sid (a violation)
 *   state_keep    set_state(sid, "k", payload), then never answers
 *   double        Ok "first" then Ok "second" on a unary sid (second is a violation)
 *   after_end     stream: Ok "a", StreamEnd, then Ok "late" (a violation)
 *   unknown_sid   a frame for a sid the host never issued, then Ok "ok"
 *   reject_send   returns Invalid after sending Ok synchronously (a violation)
 *   reject_later  returns Invalid; the worker sends Ok for the sid anyway (a violation)
 *   bad_status    a frame with status 9 (a violation, delivered as terminal)
 *   never         accepted, never answered
 *   after_shutdown  Ok "early" now; a detached thread sends again once shutdown returned
 *   slow          Ok with the payload after 50 ms, from the worker thread
 *   seed_state    like state, reaching NrHostExt the seed-era way (byte 48 of host_ctx)
 * Entries with request metadata (handle):
 *   hello         Ok "<method> <path> <payload>"
 *   request       Ok "<method>|<path>|<query>|k=v;k=v;" (NULL req -> Invalid)
 *   chat          bidi: each stream_data frame echoed back as Ok; stream_close -> StreamEnd
 *   count         as the raw count
 * Any other entry is rejected with Unsupported.
 */
#include "nylon_ring.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "host-test-plugin"
#endif

static void *g_host_ctx;
static NrSendResultFn g_send;
static const NrHostExt *g_ext;
static _Atomic int g_shutdown;

/* ---------------------------------------------------------------- worker */

enum job_kind { JOB_ECHO, JOB_COUNT, JOB_SEND_OK, JOB_SLOW };

typedef struct job {
    struct job *next;
    enum job_kind kind;
    uint64_t sid;
    uint64_t n;
    uint64_t len;
    uint8_t data[];
} job;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static job *g_head, *g_tail;
static int g_stop;
static pthread_t g_worker;

#define MAX_BIDI 64
static pthread_mutex_t g_bidi_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t g_bidi[MAX_BIDI];

static void send_bytes(uint64_t sid, NrStatus status, const void *ptr, uint64_t len) {
    NrBytes b = {(const uint8_t *)ptr, len};
    g_send(g_host_ctx, sid, status, b);
}

static void send_text(uint64_t sid, NrStatus status, const char *text) {
    send_bytes(sid, status, text, strlen(text));
}

static void send_count(uint64_t sid, uint64_t n) {
    char buf[32];
    for (uint64_t i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof buf, "%llu", (unsigned long long)i);
        send_bytes(sid, NR_STATUS_OK, buf, (uint64_t)len);
    }
    send_bytes(sid, NR_STATUS_STREAM_END, NULL, 0);
}

static void run_job(job *j) {
    switch (j->kind) {
    case JOB_ECHO: send_bytes(j->sid, NR_STATUS_OK, j->data, j->len); break;
    case JOB_COUNT: send_count(j->sid, j->n); break;
    case JOB_SEND_OK: send_text(j->sid, NR_STATUS_OK, "sent anyway"); break;
    case JOB_SLOW:
        usleep(50000);
        send_bytes(j->sid, NR_STATUS_OK, j->data, j->len);
        break;
    }
}

static void *worker_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&g_lock);
    for (;;) {
        while (!g_head && !g_stop) pthread_cond_wait(&g_cond, &g_lock);
        if (!g_head) break;
        job *j = g_head;
        g_head = j->next;
        if (!g_head) g_tail = NULL;
        pthread_mutex_unlock(&g_lock);
        run_job(j);
        free(j);
        pthread_mutex_lock(&g_lock);
    }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

static NrStatus enqueue(enum job_kind kind, uint64_t sid, uint64_t n, NrBytes payload) {
    job *j = (job *)malloc(sizeof(job) + (size_t)payload.len);
    if (!j) return NR_STATUS_ERR;
    j->next = NULL;
    j->kind = kind;
    j->sid = sid;
    j->n = n;
    j->len = payload.len;
    if (payload.len) memcpy(j->data, payload.ptr, (size_t)payload.len);
    pthread_mutex_lock(&g_lock);
    if (g_tail) g_tail->next = j; else g_head = j;
    g_tail = j;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return NR_STATUS_OK;
}

/* A thread that outlives shutdown on purpose; it keeps the host it was started for. */
typedef struct {
    void *host_ctx;
    NrSendResultFn send;
    uint64_t sid;
} late_job;

static void *late_sender(void *arg) {
    late_job *j = (late_job *)arg;
    while (!atomic_load(&g_shutdown)) usleep(1000);
    usleep(20000);
    NrBytes b = {(const uint8_t *)"after shutdown", 14};
    j->send(j->host_ctx, j->sid, NR_STATUS_OK, b);
    free(j);
    return NULL;
}

/* ---------------------------------------------------------------- helpers */

static int entry_is(NrStr entry, const char *name) {
    size_t n = strlen(name);
    return entry.len == n && (n == 0 || memcmp(entry.ptr, name, n) == 0);
}

static int parse_count(NrBytes p, uint64_t *out) {
    if (p.len == 0 || p.len > 19) return 0;
    uint64_t n = 0;
    for (uint64_t i = 0; i < p.len; i++) {
        if (p.ptr[i] < '0' || p.ptr[i] > '9') return 0;
        n = n * 10 + (uint64_t)(p.ptr[i] - '0');
    }
    *out = n;
    return 1;
}

static NrStatus do_state(uint64_t sid, NrBytes payload) {
    if (!g_ext || !g_ext->set_state || !g_ext->get_state) {
        send_text(sid, NR_STATUS_UNSUPPORTED, "no state extension");
        return NR_STATUS_OK;
    }
    NrStr key = {(const uint8_t *)"k", 1};
    g_ext->set_state(g_host_ctx, sid, key, payload);
    NrBytes got = g_ext->get_state(g_host_ctx, sid, key);
    g_send(g_host_ctx, sid, NR_STATUS_OK, got);
    return NR_STATUS_OK;
}

/* Replace the open bidi sid `from` with `to`; 0 when `from` is not open. */
static int bidi_swap(uint64_t from, uint64_t to) {
    int found = 0;
    pthread_mutex_lock(&g_bidi_lock);
    for (int i = 0; i < MAX_BIDI && !found; i++) {
        if (g_bidi[i] == from) {
            g_bidi[i] = to;
            found = 1;
        }
    }
    pthread_mutex_unlock(&g_bidi_lock);
    return found;
}

/* ---------------------------------------------------------------- vtable */

static NrStatus plugin_init(void *plugin_ctx, void *host_ctx, const NrHostVTable *vt) {
    (void)plugin_ctx;
    if (!vt || !vt->send_result) return NR_STATUS_INVALID;
    g_host_ctx = host_ctx;
    g_send = vt->send_result;
    atomic_store(&g_shutdown, 0);
    memset(g_bidi, 0, sizeof g_bidi);
    g_stop = 0;
    if (pthread_create(&g_worker, NULL, worker_main, NULL) != 0) return NR_STATUS_ERR;
    return NR_STATUS_OK;
}

static void plugin_shutdown(void *plugin_ctx) {
    (void)plugin_ctx;
    pthread_mutex_lock(&g_lock);
    g_stop = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    pthread_join(g_worker, NULL);
    g_ext = NULL;
    atomic_store(&g_shutdown, 1);
}

static NrStatus handle_raw(void *plugin_ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    (void)plugin_ctx;
    uint64_t n = 0;
    if (entry_is(entry, "echo")) {
        g_send(g_host_ctx, sid, NR_STATUS_OK, payload);
        return NR_STATUS_OK;
    }
    if (entry_is(entry, "echo_async")) return enqueue(JOB_ECHO, sid, 0, payload);
    if (entry_is(entry, "slow")) return enqueue(JOB_SLOW, sid, 0, payload);
    if (entry_is(entry, "count")) {
        if (!parse_count(payload, &n)) return NR_STATUS_INVALID;
        send_count(sid, n);
        return NR_STATUS_OK;
    }
    if (entry_is(entry, "count_async")) {
        if (!parse_count(payload, &n)) return NR_STATUS_INVALID;
        return enqueue(JOB_COUNT, sid, n, payload);
    }
    if (entry_is(entry, "state")) return do_state(sid, payload);
    if (entry_is(entry, "state_keep")) {
        NrStr key = {(const uint8_t *)"k", 1};
        if (g_ext) g_ext->set_state(g_host_ctx, sid, key, payload);
        return NR_STATUS_OK;
    }
    if (entry_is(entry, "state_after")) {
        send_text(sid, NR_STATUS_OK, "done");
        if (g_ext) {
            NrStr key = {(const uint8_t *)"k", 1};
            g_ext->get_state(g_host_ctx, sid, key);
        }
        return NR_STATUS_OK;
    }
    if (entry_is(entry, "double")) {
        send_text(sid, NR_STATUS_OK, "first");
        send_text(sid, NR_STATUS_OK, "second");
        return NR_STATUS_OK;
    }
    if (entry_is(entry, "after_end")) {
        send_text(sid, NR_STATUS_OK, "a");
        send_bytes(sid, NR_STATUS_STREAM_END, NULL, 0);
        send_text(sid, NR_STATUS_OK, "late");
        return NR_STATUS_OK;
    }
    if (entry_is(entry, "unknown_sid")) {
        send_text(sid + 1000000000ull, NR_STATUS_OK, "stray");
        send_text(sid, NR_STATUS_OK, "ok");
        return NR_STATUS_OK;
    }
    if (entry_is(entry, "reject_send")) {
        send_text(sid, NR_STATUS_OK, "too early");
        return NR_STATUS_INVALID;
    }
    if (entry_is(entry, "reject_later")) {
        NrBytes none = {NULL, 0};
        enqueue(JOB_SEND_OK, sid, 0, none);
        return NR_STATUS_INVALID;
    }
    if (entry_is(entry, "bad_status")) {
        send_text(sid, (NrStatus)9, "odd");
        return NR_STATUS_OK;
    }
    if (entry_is(entry, "never")) return NR_STATUS_OK;
    if (entry_is(entry, "after_shutdown")) {
        pthread_t t;
        late_job *j = (late_job *)malloc(sizeof(late_job));
        if (!j) return NR_STATUS_ERR;
        j->host_ctx = g_host_ctx;
        j->send = g_send;
        j->sid = sid;
        send_text(sid, NR_STATUS_OK, "early");
        if (pthread_create(&t, NULL, late_sender, j) == 0) pthread_detach(t); else free(j);
        return NR_STATUS_OK;
    }
    if (entry_is(entry, "seed_state")) {
        /* How seed-era Rust plugins reach the extension: a pointer at byte 48 of host_ctx. */
        const NrHostExt *seed = *(const NrHostExt *const *)((const char *)g_host_ctx + 48);
        const NrHostExt *saved = g_ext;
        g_ext = seed;
        NrStatus st = do_state(sid, payload);
        g_ext = saved;
        return st;
    }
    return NR_STATUS_UNSUPPORTED;
}

static size_t append(char *buf, size_t at, size_t cap, const void *ptr, size_t len) {
    if (at + len < cap) memcpy(buf + at, ptr, len);
    return at + len;
}

static size_t append_str(char *buf, size_t at, size_t cap, NrStr s) {
    return append(buf, at, cap, s.ptr, s.len);
}

static NrStatus handle(void *plugin_ctx, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    if (entry_is(entry, "count")) return handle_raw(plugin_ctx, entry, sid, payload);
    if (!req) return NR_STATUS_INVALID;
    char buf[8192];
    size_t at = 0, cap = sizeof buf;
    if (entry_is(entry, "hello")) {
        at = append_str(buf, at, cap, req->method);
        at = append(buf, at, cap, " ", 1);
        at = append_str(buf, at, cap, req->path);
        at = append(buf, at, cap, " ", 1);
        at = append(buf, at, cap, payload.ptr, payload.len);
    } else if (entry_is(entry, "request")) {
        at = append_str(buf, at, cap, req->method);
        at = append(buf, at, cap, "|", 1);
        at = append_str(buf, at, cap, req->path);
        at = append(buf, at, cap, "|", 1);
        at = append_str(buf, at, cap, req->query);
        at = append(buf, at, cap, "|", 1);
        for (uint32_t i = 0; i < req->headers_len; i++) {
            at = append_str(buf, at, cap, req->headers[i].key);
            at = append(buf, at, cap, "=", 1);
            at = append_str(buf, at, cap, req->headers[i].value);
            at = append(buf, at, cap, ";", 1);
        }
    } else if (entry_is(entry, "chat")) {
        return bidi_swap(0, sid) ? NR_STATUS_OK : NR_STATUS_ERR;
    } else {
        return NR_STATUS_UNSUPPORTED;
    }
    if (at >= cap) {
        send_text(sid, NR_STATUS_ERR, "too long");
        return NR_STATUS_OK;
    }
    send_bytes(sid, NR_STATUS_OK, buf, at);
    return NR_STATUS_OK;
}

static NrStatus stream_data(void *plugin_ctx, uint64_t sid, NrBytes data) {
    (void)plugin_ctx;
    if (sid == 0 || !bidi_swap(sid, sid)) return NR_STATUS_INVALID;
    g_send(g_host_ctx, sid, NR_STATUS_OK, data);
    return NR_STATUS_OK;
}

static NrStatus stream_close(void *plugin_ctx, uint64_t sid) {
    (void)plugin_ctx;
    if (sid == 0 || !bidi_swap(sid, 0)) return NR_STATUS_INVALID;
    send_bytes(sid, NR_STATUS_STREAM_END, NULL, 0);
    return NR_STATUS_OK;
}

static const NrPluginVTable g_vtable = {
    plugin_init, handle, handle_raw, plugin_shutdown, stream_data, stream_close,
};

static const NrPluginInfo g_info = {
    NR_ABI_VERSION,
    sizeof(NrPluginInfo),
    {(const uint8_t *)PLUGIN_NAME, sizeof(PLUGIN_NAME) - 1},
    {(const uint8_t *)"1.2.3", 5},
    NULL,
    &g_vtable,
};

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) { return &g_info; }

NR_EXPORT void nylon_ring_set_host_ext_v1(const NrHostExt *ext) { g_ext = ext; }
