// The plugin's NrPluginVTable and NrPluginInfo live in C static memory: a host keeps
// pointers to them, which cgo's rules forbid for Go memory. The host's send_result is
// bound here too, for the one plugin life that runs at a time. The slots are the Go
// functions exported in exports.go (the handle slots through a C function that unpacks
// the entry name); _cgo_export.h declares them with the exact C types of the ABI, so
// no cast is needed.
#include "_cgo_export.h"
#include "nrgo.h"
#include "nylon_ring_calls.h"

// The handle slots pass the entry name on as pointer and length (see exports.go).
static NrStatus nrgo_handle_slot(void *plugin_ctx, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    (void)plugin_ctx;
    return nrgo_handle(entry.ptr, entry.len, sid, req, payload);
}

static NrStatus nrgo_handle_raw_slot(void *plugin_ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    (void)plugin_ctx;
    return nrgo_handle_raw(entry.ptr, entry.len, sid, payload);
}

static const NrPluginVTable nrgo_vtable = {
    .init = nrgo_init,
    .handle = nrgo_handle_slot,
    .handle_raw = nrgo_handle_raw_slot,
    .shutdown = nrgo_shutdown,
    .stream_data = nrgo_stream_data,
    .stream_close = nrgo_stream_close,
};

static NrPluginInfo nrgo_info = {
    .abi_version = NR_ABI_VERSION,
    .struct_size = (uint32_t)sizeof(NrPluginInfo),
    .name = {NULL, 0},
    .version = {NULL, 0},
    .plugin_ctx = NULL,
    .vtable = &nrgo_vtable,
};

const NrPluginInfo *nrgo_plugin_info(void) { return &nrgo_info; }

void nrgo_set_identity(const char *name, uint32_t name_len, const char *version, uint32_t version_len) {
    nrgo_info.name.ptr = (const uint8_t *)name;
    nrgo_info.name.len = name_len;
    nrgo_info.version.ptr = (const uint8_t *)version;
    nrgo_info.version.len = version_len;
}

NRGO_OWN_CACHE_LINE NrgoHost nrgo_host;

void nrgo_bind_host(uintptr_t host_ctx, NrSendResultFn send_result) {
    nrgo_host.ctx = (void *)host_ctx;
    nrgo_host.send_result = send_result;
}
