/*
 * A plugin that behaves like the seed-era Rust example of the nylon-ring guide
 * (define_plugin! with handlers that answer from spawned threads), written in C so
 * the corpus needs no Rust toolchain:
 *
 *   unary      unary: "Hello from plugin: " + payload, answered from a thread after 2 s
 *   raw_echo   raw: the payload, answered from a thread after 2 s
 *   stream     stream: frames "Frame 1".."Frame 3", one a second, then StreamEnd
 *   chat       bidi: stream_data echoes the frame; stream_close ends with StreamEnd
 *
 * As the guide's handlers do, an unknown entry is answered Invalid, and stream_data /
 * stream_close return Ok for any sid (sending nothing for a sid it does not know).
 * Everything it does is allowed by the ABI, so the suite must not fail it; shutdown
 * joins the threads, so nothing is sent after it returns.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nylon_ring.h"

static void *seed_host_ctx;
static NrSendResultFn seed_send;

/* ------------------------------------------------------------ threads, joined by shutdown */

static pthread_mutex_t seed_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t *seed_threads;
static size_t seed_threads_len, seed_threads_cap;

static int seed_spawn(void *(*fn)(void *), void *arg) {
    pthread_mutex_lock(&seed_lock);
    if (seed_threads_len == seed_threads_cap) {
        size_t cap = seed_threads_cap ? seed_threads_cap * 2 : 64;
        pthread_t *grown = realloc(seed_threads, cap * sizeof(pthread_t));
        if (grown == NULL) {
            pthread_mutex_unlock(&seed_lock);
            return 0;
        }
        seed_threads = grown;
        seed_threads_cap = cap;
    }
    int ok = pthread_create(&seed_threads[seed_threads_len], NULL, fn, arg) == 0;
    if (ok) seed_threads_len++;
    pthread_mutex_unlock(&seed_lock);
    return ok;
}

static void seed_sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

typedef struct {
    uint64_t sid;
    int kind; /* 0: unary answer, 1: stream */
    uint64_t len;
    uint8_t data[];
} seed_job;

static void seed_reply(uint64_t sid, NrStatus status, const void *data, uint64_t len) {
    NrBytes payload = {(const uint8_t *)data, len};
    seed_send(seed_host_ctx, sid, status, payload);
}

static void *seed_job_main(void *arg) {
    seed_job *job = arg;
    if (job->kind == 0) {
        seed_sleep_ms(2000);
        seed_reply(job->sid, NR_STATUS_OK, job->data, job->len);
    } else {
        char frame[16] = "Frame 0";
        for (int i = 1; i <= 3; i++) {
            frame[6] = (char)('0' + i);
            seed_reply(job->sid, NR_STATUS_OK, frame, 7);
            seed_sleep_ms(1000);
        }
        seed_reply(job->sid, NR_STATUS_STREAM_END, NULL, 0);
    }
    free(job);
    return NULL;
}

static NrStatus seed_later(uint64_t sid, int kind, const char *prefix, NrBytes payload) {
    size_t plen = strlen(prefix);
    if (payload.ptr == NULL && payload.len != 0) return NR_STATUS_INVALID;
    seed_job *job = malloc(sizeof(seed_job) + plen + (size_t)payload.len + 1);
    if (job == NULL) return NR_STATUS_ERR;
    job->sid = sid;
    job->kind = kind;
    job->len = plen + payload.len;
    memcpy(job->data, prefix, plen);
    if (payload.len) memcpy(job->data + plen, payload.ptr, (size_t)payload.len);
    if (!seed_spawn(seed_job_main, job)) {
        free(job);
        return NR_STATUS_ERR;
    }
    return NR_STATUS_OK;
}

/* ------------------------------------------------------------ bidi sessions */

static uint64_t seed_chats[4096];
static size_t seed_chats_len;

static int seed_chat(uint64_t sid, int open, int close) {
    int found = 0;
    pthread_mutex_lock(&seed_lock);
    for (size_t i = 0; i < seed_chats_len; i++) {
        if (seed_chats[i] == sid) {
            found = 1;
            if (close) seed_chats[i] = seed_chats[--seed_chats_len];
            break;
        }
    }
    if (open && !found && seed_chats_len < sizeof(seed_chats) / sizeof(seed_chats[0])) {
        seed_chats[seed_chats_len++] = sid;
        found = 1;
    }
    pthread_mutex_unlock(&seed_lock);
    return found;
}

/* ------------------------------------------------------------ routing */

static int seed_is(NrStr entry, const char *name) {
    size_t n = strlen(name);
    return entry.len == n && entry.ptr != NULL && memcmp(entry.ptr, name, n) == 0;
}

static NrStatus seed_route(NrStr entry, uint64_t sid, NrBytes payload, int raw) {
    if (!raw && seed_is(entry, "unary")) return seed_later(sid, 0, "Hello from plugin: ", payload);
    if (!raw && seed_is(entry, "stream")) return seed_later(sid, 1, "", payload);
    if (!raw && seed_is(entry, "chat")) return seed_chat(sid, 1, 0) ? NR_STATUS_OK : NR_STATUS_ERR;
    if (raw && seed_is(entry, "raw_echo")) return seed_later(sid, 0, "", payload);
    return NR_STATUS_INVALID; /* what define_plugin! answers for a name it does not route */
}

static NrStatus seed_init(void *plugin_ctx, void *host_ctx, const NrHostVTable *host_vtable) {
    (void)plugin_ctx;
    if (host_vtable == NULL || host_vtable->send_result == NULL) return NR_STATUS_ERR;
    seed_host_ctx = host_ctx;
    seed_send = host_vtable->send_result;
    return NR_STATUS_OK;
}

static NrStatus seed_handle(void *plugin_ctx, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    (void)plugin_ctx;
    (void)req;
    return seed_route(entry, sid, payload, 0);
}

static NrStatus seed_handle_raw(void *plugin_ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    (void)plugin_ctx;
    return seed_route(entry, sid, payload, 1);
}

static void seed_shutdown(void *plugin_ctx) {
    (void)plugin_ctx;
    for (;;) {
        pthread_mutex_lock(&seed_lock);
        if (seed_threads_len == 0) {
            pthread_mutex_unlock(&seed_lock);
            return;
        }
        pthread_t last = seed_threads[--seed_threads_len];
        pthread_mutex_unlock(&seed_lock);
        pthread_join(last, NULL);
    }
}

static NrStatus seed_stream_data(void *plugin_ctx, uint64_t sid, NrBytes data) {
    (void)plugin_ctx;
    if (seed_chat(sid, 0, 0) && (data.ptr != NULL || data.len == 0)) seed_reply(sid, NR_STATUS_OK, data.ptr, data.len);
    return NR_STATUS_OK; /* the guide's handle_stream_data returns Ok whatever the sid */
}

static NrStatus seed_stream_close(void *plugin_ctx, uint64_t sid) {
    (void)plugin_ctx;
    if (seed_chat(sid, 0, 1)) seed_reply(sid, NR_STATUS_STREAM_END, NULL, 0);
    return NR_STATUS_OK;
}

static const NrPluginVTable seed_vtable = {
    .init = seed_init,
    .handle = seed_handle,
    .handle_raw = seed_handle_raw,
    .shutdown = seed_shutdown,
    .stream_data = seed_stream_data,
    .stream_close = seed_stream_close,
};

static const NrPluginInfo seed_info = {
    .abi_version = NR_ABI_VERSION,
    .struct_size = (uint32_t)sizeof(NrPluginInfo),
    .name = {(const uint8_t *)"seed-like", 9},
    .version = {(const uint8_t *)"0.1.0", 5},
    .plugin_ctx = NULL,
    .vtable = &seed_vtable,
};

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) { return &seed_info; }
