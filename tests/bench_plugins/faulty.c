/*
 * A plugin for testing the benchmark harness: one well-behaved entry that counts its
 * calls, and entries that each break the protocol in one way the harness must report.
 *
 *   echo           raw, synchronous echo; counts calls (written to $NR_BENCH_COUNT_FILE
 *                  at shutdown)
 *   state          raw: set_state(sid, "k", payload), answers with get_state(sid, "k")
 *   ctx48          raw: answers Ok with the payload when host_ctx bytes 48..56 hold the
 *                  NrHostExt pointer handed to nylon_ring_set_host_ext_v1, Err otherwise
 *   wrong_sid      answers sid + 1
 *   foreign_sid    answers sid 42, which no harness issues
 *   silent         accepts (Ok) and never answers
 *   silent_async   answers from a thread, except call 300, which it drops
 *   twice          answers twice
 *   err            answers Err
 *   short_sometimes answers the payload, but one byte short on call 500
 *   count_short    stream: N-1 frames then StreamEnd
 *
 * Built with -DBAD_ABI it reports abi_version 2; with -DBAD_PROBE it exports a layout
 * probe with one wrong value.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nylon_ring.h"

static void *g_host_ctx;
static NrSendResultFn g_send;
static const NrHostExt *g_ext;
static atomic_ulong g_echo_calls, g_calls;

static int is(NrStr s, const char *name) { return s.len == strlen(name) && memcmp(s.ptr, name, s.len) == 0; }

static const NrBytes NONE = {NULL, 0};

typedef struct {
    uint64_t sid;
    NrBytes payload;
    uint8_t data[64];
} Job;

static void *answer_later(void *arg) {
    Job *job = arg;
    g_send(g_host_ctx, job->sid, NR_STATUS_OK, job->payload);
    free(job);
    return NULL;
}

static NrStatus answer_from_thread(uint64_t sid, NrBytes payload) {
    Job *job = malloc(sizeof *job);
    pthread_t t;
    if (!job || payload.len > sizeof job->data)
        return NR_STATUS_ERR;
    job->sid = sid;
    memcpy(job->data, payload.ptr, payload.len);
    job->payload.ptr = job->data;
    job->payload.len = payload.len;
    if (pthread_create(&t, NULL, answer_later, job) != 0)
        return NR_STATUS_ERR;
    pthread_detach(t);
    return NR_STATUS_OK;
}

static NrStatus state_entry(uint64_t sid, NrBytes payload) {
    NrStr key = {(const uint8_t *)"k", 1};
    if (!g_ext) {
        g_send(g_host_ctx, sid, NR_STATUS_UNSUPPORTED, NONE);
        return NR_STATUS_OK;
    }
    g_ext->set_state(g_host_ctx, sid, key, payload);
    g_send(g_host_ctx, sid, NR_STATUS_OK, g_ext->get_state(g_host_ctx, sid, key));
    return NR_STATUS_OK;
}

static NrStatus ctx48_entry(uint64_t sid, NrBytes payload) {
    const NrHostExt *seen;
    memcpy(&seen, (const unsigned char *)g_host_ctx + 48, sizeof seen);
    g_send(g_host_ctx, sid, seen && seen == g_ext ? NR_STATUS_OK : NR_STATUS_ERR, payload);
    return NR_STATUS_OK;
}

static NrStatus handle_raw(void *ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    unsigned long n = atomic_fetch_add(&g_calls, 1) + 1;
    (void)ctx;
    if (is(entry, "echo")) {
        atomic_fetch_add(&g_echo_calls, 1);
        g_send(g_host_ctx, sid, NR_STATUS_OK, payload);
    } else if (is(entry, "state")) {
        return state_entry(sid, payload);
    } else if (is(entry, "ctx48")) {
        return ctx48_entry(sid, payload);
    } else if (is(entry, "wrong_sid")) {
        g_send(g_host_ctx, sid + 1, NR_STATUS_OK, payload);
    } else if (is(entry, "foreign_sid")) {
        g_send(g_host_ctx, 42, NR_STATUS_OK, payload);
    } else if (is(entry, "silent")) {
        /* accepted, never answered */
    } else if (is(entry, "silent_async")) {
        return n == 300 ? NR_STATUS_OK : answer_from_thread(sid, payload);
    } else if (is(entry, "twice")) {
        g_send(g_host_ctx, sid, NR_STATUS_OK, payload);
        g_send(g_host_ctx, sid, NR_STATUS_OK, payload);
    } else if (is(entry, "err")) {
        g_send(g_host_ctx, sid, NR_STATUS_ERR, payload);
    } else if (is(entry, "short_sometimes")) {
        NrBytes out = payload;
        if (n == 500 && out.len)
            out.len--;
        g_send(g_host_ctx, sid, NR_STATUS_OK, out);
    } else if (is(entry, "count_short")) {
        unsigned frames = payload.len ? (unsigned)atoi((const char *)payload.ptr) : 0;
        for (unsigned i = 0; i + 1 < frames; i++)
            g_send(g_host_ctx, sid, NR_STATUS_OK, payload);
        g_send(g_host_ctx, sid, NR_STATUS_STREAM_END, NONE);
    } else {
        return NR_STATUS_UNSUPPORTED;
    }
    return NR_STATUS_OK;
}

static NrStatus init(void *ctx, void *host_ctx, const NrHostVTable *vt) {
    (void)ctx;
    g_host_ctx = host_ctx;
    g_send = vt->send_result;
    return NR_STATUS_OK;
}

static void shutdown_plugin(void *ctx) {
    const char *path = getenv("NR_BENCH_COUNT_FILE");
    (void)ctx;
    if (path) {
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%lu\n", (unsigned long)atomic_load(&g_echo_calls));
            fclose(f);
        }
    }
}

static const NrPluginVTable g_vtable = {init, NULL, handle_raw, shutdown_plugin, NULL, NULL};

#ifdef BAD_ABI
#define ABI_VERSION 2u
#else
#define ABI_VERSION NR_ABI_VERSION
#endif

static const NrPluginInfo g_info = {
    ABI_VERSION, sizeof(NrPluginInfo), {(const uint8_t *)"faulty", 6}, {(const uint8_t *)"0.0.1", 5}, NULL, &g_vtable,
};

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) { return &g_info; }

NR_EXPORT void nylon_ring_set_host_ext_v1(const NrHostExt *ext) { g_ext = ext; }

#ifdef BAD_PROBE
static const uint32_t g_probe_values[] = {16, 8, 0, 9};
static const NrLayoutProbe g_probe = {NR_LAYOUT_PROBE_VERSION, 4, g_probe_values};
NR_EXPORT const NrLayoutProbe *nylon_ring_layout_probe_v1(void) { return &g_probe; }
#endif
