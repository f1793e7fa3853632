/*
 * The ABI 2 floor: the least an ABI 2 plugin can do per call, written by hand in C with no
 * SDK. Every ABI 2 SDK is measured against it in the same benchmark run.
 *
 * Entries (the names and answers of the ABI 2 scaffolds):
 *   echo        the payload, sent inside handle as a borrowed NrVecU8 (the host copies)
 *   echo_owned  the payload copied once into a malloc'ed buffer and sent with
 *               send_result_owned; the host's release frees it
 *   echo_lease  the payload written into a host lease (acquire, memcpy, commit); when
 *               acquire fails, the copy path
 *   echo_async  the payload, answered by one background thread (mutex + condition variable queue)
 *   hello       "hello, <payload>"
 *   count       a stream: frames "0".."N-1" then StreamEnd
 *   chat        bidi: each stream_data frame echoed, StreamEnd on close
 * resolve_entry/handle_by_id dispatch the same entries by index.
 *
 * Build: cc -O2 -shared -fPIC -pthread -I<dir of the ABI 2 nylon_ring.h> floor2.c -o libfloor2.so
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nylon_ring.h"

static void *g_host_ctx;
static NrHostVTable g_host;

static NrVecU8 borrowed(const uint8_t *ptr, uint64_t len) {
    NrVecU8 v;
    memset(&v, 0, sizeof v);
    v.ptr = (uint8_t *)ptr;
    v.len = (size_t)len;
    v.cap = (size_t)len;
    return v;
}

static NrStatus send_copy(uint64_t sid, NrStatus status, const uint8_t *ptr, uint64_t len) {
    return g_host.send_result(g_host_ctx, sid, status, borrowed(ptr, len));
}

/* ---- background answers for echo_async ---- */

typedef struct Job {
    struct Job *next;
    uint64_t sid;
    uint64_t len;
    uint8_t data[];
} Job;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wake = PTHREAD_COND_INITIALIZER;
static Job *g_head, *g_tail;
static int g_stopping, g_started;
static pthread_t g_worker;

static void *worker_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&g_lock);
    for (;;) {
        while (!g_head && !g_stopping)
            pthread_cond_wait(&g_wake, &g_lock);
        if (!g_head)
            break;
        Job *job = g_head;
        g_head = job->next;
        if (!g_head)
            g_tail = NULL;
        pthread_mutex_unlock(&g_lock);
        send_copy(job->sid, NR_STATUS_OK, job->data, job->len);
        free(job);
        pthread_mutex_lock(&g_lock);
    }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

static NrStatus enqueue(uint64_t sid, NrBytes payload) {
    Job *job = malloc(sizeof *job + payload.len);
    if (!job)
        return NR_STATUS_ERR;
    job->next = NULL;
    job->sid = sid;
    job->len = payload.len;
    if (payload.len)
        memcpy(job->data, payload.ptr, payload.len);
    pthread_mutex_lock(&g_lock);
    if (g_stopping) {
        pthread_mutex_unlock(&g_lock);
        free(job);
        return NR_STATUS_ERR;
    }
    if (g_tail)
        g_tail->next = job;
    else
        g_head = job;
    g_tail = job;
    pthread_cond_signal(&g_wake);
    pthread_mutex_unlock(&g_lock);
    return NR_STATUS_OK;
}

/* ---- entries ---- */

static void release_malloced(void *owner_ctx, const uint8_t *ptr, uint64_t len) {
    (void)ptr;
    (void)len;
    free(owner_ctx);
}

static NrStatus echo_owned(uint64_t sid, NrBytes payload) {
    uint8_t *copy = malloc(payload.len ? payload.len : 1);
    if (!copy)
        return NR_STATUS_ERR;
    if (payload.len)
        memcpy(copy, payload.ptr, payload.len);
    NrOwnedBytes out = {copy, payload.len, copy, release_malloced};
    g_host.send_result_owned(g_host_ctx, sid, NR_STATUS_OK, out);
    return NR_STATUS_OK;
}

static NrStatus echo_lease(uint64_t sid, NrBytes payload) {
    NrBufferLease lease = g_host.acquire_result_buffer(g_host_ctx, sid, payload.len);
    if (!lease.ptr || lease.cap < payload.len) {
        send_copy(sid, NR_STATUS_OK, payload.ptr, payload.len);
        return NR_STATUS_OK;
    }
    if (payload.len)
        memcpy(lease.ptr, payload.ptr, payload.len);
    if (g_host.commit_result_buffer(g_host_ctx, sid, NR_STATUS_OK, lease.token, payload.len) != NR_STATUS_OK)
        send_copy(sid, NR_STATUS_OK, payload.ptr, payload.len);
    return NR_STATUS_OK;
}

static NrStatus hello(uint64_t sid, NrBytes payload) {
    uint8_t buf[512];
    if (payload.len > sizeof buf - 7)
        return NR_STATUS_INVALID;
    memcpy(buf, "hello, ", 7);
    if (payload.len)
        memcpy(buf + 7, payload.ptr, payload.len);
    send_copy(sid, NR_STATUS_OK, buf, 7 + payload.len);
    return NR_STATUS_OK;
}

static NrStatus count_frames(uint64_t sid, NrBytes payload) {
    uint64_t n = 0;
    if (payload.len == 0 || payload.len > 9)
        return NR_STATUS_INVALID;
    for (uint64_t i = 0; i < payload.len; i++) {
        if (payload.ptr[i] < '0' || payload.ptr[i] > '9')
            return NR_STATUS_INVALID;
        n = n * 10 + (uint64_t)(payload.ptr[i] - '0');
    }
    for (uint64_t i = 0; i < n; i++) {
        uint8_t digits[24];
        int k = (int)sizeof digits;
        uint64_t v = i;
        do {
            digits[--k] = (uint8_t)('0' + v % 10);
            v /= 10;
        } while (v);
        send_copy(sid, NR_STATUS_OK, digits + k, (uint64_t)(sizeof digits - (size_t)k));
    }
    send_copy(sid, NR_STATUS_STREAM_END, NULL, 0);
    return NR_STATUS_OK;
}

enum { E_ECHO, E_ECHO_OWNED, E_ECHO_LEASE, E_ECHO_ASYNC, E_HELLO, E_COUNT, E_CHAT, E_COUNT_ };
static const char *const g_names[E_COUNT_] = {"echo", "echo_owned", "echo_lease", "echo_async",
                                              "hello", "count", "chat"};

static NrStatus floor_handle_by_id(uint32_t id, uint64_t sid, NrBytes payload) {
    switch (id) {
    case E_ECHO: send_copy(sid, NR_STATUS_OK, payload.ptr, payload.len); return NR_STATUS_OK;
    case E_ECHO_OWNED: return echo_owned(sid, payload);
    case E_ECHO_LEASE: return echo_lease(sid, payload);
    case E_ECHO_ASYNC: return enqueue(sid, payload);
    case E_HELLO: return hello(sid, payload);
    case E_COUNT: return count_frames(sid, payload);
    case E_CHAT: return NR_STATUS_OK; /* the stream is open; frames come through stream_data */
    default: return NR_STATUS_INVALID;
    }
}

static uint32_t floor_resolve_entry(NrStr entry) {
    for (uint32_t i = 0; i < E_COUNT_; i++)
        if (entry.len == strlen(g_names[i]) && memcmp(entry.ptr, g_names[i], entry.len) == 0)
            return i;
    return NR_ENTRY_UNKNOWN;
}

static NrStatus floor_handle(NrStr entry, uint64_t sid, NrBytes payload) {
    return floor_handle_by_id(floor_resolve_entry(entry), sid, payload);
}

static NrStatus floor_stream_data(uint64_t sid, NrBytes data) {
    send_copy(sid, NR_STATUS_OK, data.ptr, data.len);
    return NR_STATUS_OK;
}

static NrStatus floor_stream_close(uint64_t sid) {
    send_copy(sid, NR_STATUS_STREAM_END, NULL, 0);
    return NR_STATUS_OK;
}

static NrStatus floor_init(void *host_ctx, const NrHostVTable *vt) {
    if (!vt || !vt->send_result || !vt->send_result_owned || !vt->acquire_result_buffer || !vt->commit_result_buffer)
        return NR_STATUS_INVALID;
    g_host_ctx = host_ctx;
    g_host = *vt;
    if (pthread_create(&g_worker, NULL, worker_main, NULL) != 0)
        return NR_STATUS_ERR;
    g_started = 1;
    return NR_STATUS_OK;
}

static void floor_shutdown(void) {
    if (!g_started)
        return;
    pthread_mutex_lock(&g_lock);
    g_stopping = 1;
    pthread_cond_broadcast(&g_wake);
    pthread_mutex_unlock(&g_lock);
    pthread_join(g_worker, NULL);
    g_started = 0;
}

static const NrPluginVTable g_vtable = {
    floor_init, floor_handle, floor_shutdown, floor_stream_data, floor_stream_close,
    floor_resolve_entry, floor_handle_by_id,
};

static const NrPluginInfo g_info = {
    NR_ABI_VERSION, sizeof(NrPluginInfo), {(const uint8_t *)"floor2", 6, 0}, {(const uint8_t *)"1.0.0", 5, 0},
    NULL, &g_vtable,
};

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin(void) { return &g_info; }

NR_DEFINE_LAYOUT_PROBE()
