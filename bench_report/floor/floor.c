/*
 * The floor: the least a nylon-ring plugin can do per call, written by hand in C with no
 * SDK. Every SDK is measured against it in the same benchmark run.
 *
 * Entries (the same names and answers as the scaffolded projects):
 *   echo        raw, answered synchronously with the payload
 *   echo_async  raw, answered by one background thread (mutex + condition variable queue)
 *   hello       unary: "<method> <path> <payload>"
 *   count       stream_raw: frames "0".."N-1" then StreamEnd
 *   chat        bidi: each stream_data frame echoed, StreamEnd on close
 *
 * Build: cc -O2 -shared -fPIC -pthread -I<dir of nylon_ring.h> floor.c -o libfloor.so
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nylon_ring.h"

static void *g_host_ctx;
static NrSendResultFn g_send;

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
        NrBytes out = {job->data, job->len};
        g_send(g_host_ctx, job->sid, NR_STATUS_OK, out);
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

static int is(NrStr s, const char *name, uint32_t len) {
    return s.len == len && memcmp(s.ptr, name, len) == 0;
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
        NrBytes frame = {digits + k, (uint64_t)(sizeof digits - (size_t)k)};
        g_send(g_host_ctx, sid, NR_STATUS_OK, frame);
    }
    NrBytes none = {NULL, 0};
    g_send(g_host_ctx, sid, NR_STATUS_STREAM_END, none);
    return NR_STATUS_OK;
}

static NrStatus floor_handle_raw(void *ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    (void)ctx;
    if (is(entry, "echo", 4)) {
        g_send(g_host_ctx, sid, NR_STATUS_OK, payload);
        return NR_STATUS_OK;
    }
    if (is(entry, "echo_async", 10))
        return enqueue(sid, payload);
    if (is(entry, "count", 5))
        return count_frames(sid, payload);
    if (is(entry, "chat", 4))
        return NR_STATUS_OK; /* the stream is open; frames come through stream_data */
    return NR_STATUS_UNSUPPORTED;
}

static NrStatus floor_handle(void *ctx, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    uint8_t buf[512];
    (void)ctx;
    if (!is(entry, "hello", 5))
        return NR_STATUS_UNSUPPORTED;
    if (!req)
        return NR_STATUS_INVALID;
    uint64_t need = (uint64_t)req->method.len + 1 + req->path.len + 1 + payload.len;
    if (need > sizeof buf)
        return NR_STATUS_INVALID;
    uint8_t *p = buf;
    memcpy(p, req->method.ptr, req->method.len);
    p += req->method.len;
    *p++ = ' ';
    memcpy(p, req->path.ptr, req->path.len);
    p += req->path.len;
    *p++ = ' ';
    if (payload.len)
        memcpy(p, payload.ptr, payload.len);
    NrBytes out = {buf, need};
    g_send(g_host_ctx, sid, NR_STATUS_OK, out);
    return NR_STATUS_OK;
}

static NrStatus floor_stream_data(void *ctx, uint64_t sid, NrBytes data) {
    (void)ctx;
    g_send(g_host_ctx, sid, NR_STATUS_OK, data);
    return NR_STATUS_OK;
}

static NrStatus floor_stream_close(void *ctx, uint64_t sid) {
    NrBytes none = {NULL, 0};
    (void)ctx;
    g_send(g_host_ctx, sid, NR_STATUS_STREAM_END, none);
    return NR_STATUS_OK;
}

static NrStatus floor_init(void *ctx, void *host_ctx, const NrHostVTable *vt) {
    (void)ctx;
    if (!vt || !vt->send_result)
        return NR_STATUS_INVALID;
    g_host_ctx = host_ctx;
    g_send = vt->send_result;
    if (pthread_create(&g_worker, NULL, worker_main, NULL) != 0)
        return NR_STATUS_ERR;
    g_started = 1;
    return NR_STATUS_OK;
}

static void floor_shutdown(void *ctx) {
    (void)ctx;
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
    floor_init, floor_handle, floor_handle_raw, floor_shutdown, floor_stream_data, floor_stream_close,
};

static const NrPluginInfo g_info = {
    NR_ABI_VERSION, sizeof(NrPluginInfo), {(const uint8_t *)"floor", 5}, {(const uint8_t *)"1.0.0", 5}, NULL, &g_vtable,
};

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) { return &g_info; }

NR_DEFINE_LAYOUT_PROBE()
