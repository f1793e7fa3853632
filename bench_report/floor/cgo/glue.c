/*
 * The C half of the bare cgo floor: the plugin info, init, and the one call back into
 * the host. handle_raw is the Go function cgoFloorHandleRaw (main.go), so one call costs
 * exactly one C->Go crossing plus one Go->C crossing for send_result.
 */
#include "_cgo_export.h"
#include "nylon_ring.h"

static void *g_host_ctx;
static NrSendResultFn g_send;

void floor_send(uint64_t sid, NrStatus status, NrBytes payload) { g_send(g_host_ctx, sid, status, payload); }

static NrStatus floor_init(void *ctx, void *host_ctx, const NrHostVTable *vt) {
    (void)ctx;
    if (!vt || !vt->send_result)
        return NR_STATUS_INVALID;
    g_host_ctx = host_ctx;
    g_send = vt->send_result;
    return NR_STATUS_OK;
}

static NrStatus floor_handle_raw(void *ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    return cgoFloorHandleRaw(ctx, entry, sid, payload);
}

static const NrPluginVTable g_vtable = {floor_init, NULL, floor_handle_raw, NULL, NULL, NULL};

static const NrPluginInfo g_info = {
    NR_ABI_VERSION, sizeof(NrPluginInfo), {(const uint8_t *)"cgo-floor", 9}, {(const uint8_t *)"1.0.0", 5}, NULL,
    &g_vtable,
};

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) { return &g_info; }
