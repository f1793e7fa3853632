/*
 * One plugin source, one load-time rule broken per -D flag:
 *   BREAK_NO_SYMBOL      does not export nylon_ring_get_plugin_v1
 *   BREAK_NULL_INFO      nylon_ring_get_plugin_v1() returns NULL
 *   BREAK_ABI            abi_version 2
 *   BREAK_SIZE           struct_size 48
 *   BREAK_NULL_VTABLE    vtable NULL
 *   BREAK_NO_INIT        init slot NULL
 *   BREAK_NO_HANDLE      handle and handle_raw NULL
 *   BREAK_NAME           name is not UTF-8
 *   BREAK_VERSION        version is not UTF-8
 *   BREAK_INIT_FAILS     init returns Err
 *   ONLY_RAW             valid, but handle, stream_data and stream_close are NULL
 *   BREAK_SHORT_VTABLE   a 3-slot vtable (init, handle, shutdown) from an older layout,
 *                        followed by pointers to data
 * Without a flag it is a minimal valid plugin (answers every raw call with Ok "ok").
 */
#include "nylon_ring.h"

#include <string.h>

/* Each variant leaves some of these unused on purpose. */
#define MAYBE_UNUSED __attribute__((unused))

static void *g_ctx;
static NrSendResultFn g_send;

MAYBE_UNUSED static NrStatus p_init(void *plugin_ctx, void *host_ctx, const NrHostVTable *vt) {
    (void)plugin_ctx;
    g_ctx = host_ctx;
    g_send = vt->send_result;
#ifdef BREAK_INIT_FAILS
    return NR_STATUS_ERR;
#else
    return NR_STATUS_OK;
#endif
}

MAYBE_UNUSED static NrStatus p_handle_raw(void *plugin_ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    (void)plugin_ctx; (void)entry; (void)payload;
    NrBytes ok = {(const uint8_t *)"ok", 2};
    g_send(g_ctx, sid, NR_STATUS_OK, ok);
    return NR_STATUS_OK;
}

MAYBE_UNUSED static NrStatus p_handle(void *plugin_ctx, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    (void)req;
    return p_handle_raw(plugin_ctx, entry, sid, payload);
}

MAYBE_UNUSED static void p_shutdown(void *plugin_ctx) { (void)plugin_ctx; }

#ifdef BREAK_SHORT_VTABLE
static const struct {
    void *slots[3];
    const char *after[3];
} g_old = {{(void *)p_init, (void *)p_handle, (void *)p_shutdown}, {"not", "code", "here"}};
#define VTABLE ((const NrPluginVTable *)(const void *)&g_old)
#else
MAYBE_UNUSED static const NrPluginVTable g_vtable = {
#ifdef BREAK_NO_INIT
    NULL,
#else
    p_init,
#endif
#if defined(BREAK_NO_HANDLE)
    NULL, NULL,
#elif defined(ONLY_RAW)
    NULL, p_handle_raw,
#else
    p_handle, p_handle_raw,
#endif
    p_shutdown, NULL, NULL,
};
#ifdef BREAK_NULL_VTABLE
#define VTABLE NULL
#else
#define VTABLE (&g_vtable)
#endif
#endif

#ifdef BREAK_NAME
#define NAME "bad\xff\xfename"
#else
#define NAME "broken-plugin"
#endif
#ifdef BREAK_VERSION
#define VERSION "1.\xc3"
#else
#define VERSION "0.1.0"
#endif

MAYBE_UNUSED static const NrPluginInfo g_info = {
#ifdef BREAK_ABI
    2,
#else
    NR_ABI_VERSION,
#endif
#ifdef BREAK_SIZE
    48,
#else
    sizeof(NrPluginInfo),
#endif
    {(const uint8_t *)NAME, sizeof(NAME) - 1},
    {(const uint8_t *)VERSION, sizeof(VERSION) - 1},
    NULL,
    VTABLE,
};

#ifndef BREAK_NO_SYMBOL
NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) {
#ifdef BREAK_NULL_INFO
    return NULL;
#else
    return &g_info;
#endif
}
#else
NR_EXPORT const NrPluginInfo *some_other_symbol(void) { return &g_info; }
#endif
