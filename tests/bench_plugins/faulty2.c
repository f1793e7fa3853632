/* An ABI 2 plugin with one fault per entry, for the benchmark harness's error paths.
 *   lease_bad_token  commits its lease with a token it was never given
 *   lease_over_cap   commits more bytes than the lease holds
 *   twice            answers every call twice
 *   owned_ok         a correct owned answer, counting its releases in NR_BENCH_RELEASE_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nylon_ring.h"

static void *g_ctx;
static NrHostVTable g_host;
static unsigned long g_releases;

static NrVecU8 borrowed(const uint8_t *ptr, uint64_t len) {
    NrVecU8 v;
    memset(&v, 0, sizeof v);
    v.ptr = (uint8_t *)ptr;
    v.len = (size_t)len;
    v.cap = (size_t)len;
    return v;
}

static int is(NrStr s, const char *name) { return s.len == strlen(name) && memcmp(s.ptr, name, s.len) == 0; }

static void count_release(void *owner, const uint8_t *ptr, uint64_t len) {
    (void)owner;
    (void)ptr;
    (void)len;
    g_releases++;
}

static NrStatus f_handle(NrStr entry, uint64_t sid, NrBytes payload) {
    if (is(entry, "lease_bad_token") || is(entry, "lease_over_cap")) {
        NrBufferLease lease = g_host.acquire_result_buffer(g_ctx, sid, payload.len);
        if (!lease.ptr)
            return NR_STATUS_ERR;
        memcpy(lease.ptr, payload.ptr, payload.len);
        if (is(entry, "lease_bad_token"))
            g_host.commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token + 1000, payload.len);
        else
            g_host.commit_result_buffer(g_ctx, sid, NR_STATUS_OK, lease.token, lease.cap + 1);
        return NR_STATUS_OK;
    }
    if (is(entry, "twice")) {
        g_host.send_result(g_ctx, sid, NR_STATUS_OK, borrowed(payload.ptr, payload.len));
        g_host.send_result(g_ctx, sid, NR_STATUS_OK, borrowed(payload.ptr, payload.len));
        return NR_STATUS_OK;
    }
    if (is(entry, "owned_ok")) {
        static const uint8_t answer[] = "owned answer";
        NrOwnedBytes out = {answer, sizeof answer - 1, NULL, count_release};
        g_host.send_result_owned(g_ctx, sid, NR_STATUS_OK, out);
        return NR_STATUS_OK;
    }
    return NR_STATUS_INVALID;
}

static NrStatus f_init(void *host_ctx, const NrHostVTable *vt) {
    g_ctx = host_ctx;
    g_host = *vt;
    return NR_STATUS_OK;
}

static void f_shutdown(void) {
    const char *path = getenv("NR_BENCH_RELEASE_FILE");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%lu", g_releases);
        fclose(f);
    }
}

static const NrPluginVTable g_vtable = {f_init, f_handle, f_shutdown, NULL, NULL, NULL, NULL};
static const NrPluginInfo g_info = {NR_ABI_VERSION, sizeof(NrPluginInfo), {(const uint8_t *)"faulty2", 7, 0},
                                    {(const uint8_t *)"0.1.0", 5, 0}, NULL, &g_vtable};

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin(void) { return &g_info; }
