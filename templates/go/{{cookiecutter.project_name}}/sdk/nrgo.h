/* The SDK's own C helpers (vtable.c); hidden, so the library exports only the ABI. */
#ifndef NRGO_H
#define NRGO_H

#include "nylon_ring_calls.h"
#include "nrgo_cgo.h"

#if defined(__GNUC__) || defined(__clang__)
#define NRGO_HIDDEN __attribute__((visibility("hidden")))
#define NRGO_OWN_CACHE_LINE __attribute__((aligned(64)))
#else
#define NRGO_HIDDEN
#define NRGO_OWN_CACHE_LINE
#endif

/* The static NrPluginInfo that nylon_ring_get_plugin_v1 returns. */
NRGO_HIDDEN const NrPluginInfo *nrgo_plugin_info(void);

/* Sets the name and version in the NrPluginInfo; the strings must live forever. */
NRGO_HIDDEN void nrgo_set_identity(const char *name, uint32_t name_len, const char *version, uint32_t version_len);

/* Binds the host's context and send_result for one plugin life (init); (0, NULL) unbinds.
 * The context travels as an integer: it is C memory, and a Go pointer-typed argument
 * would cost a cgo pointer check on every call. */
NRGO_HIDDEN void nrgo_bind_host(uintptr_t host_ctx, NrSendResultFn send_result);

/* The host's context and send_result, bound by nrgo_bind_host (vtable.c). Every send
 * reads them; they fill a cache line of their own, so no variable written elsewhere
 * shares it and makes host threads take turns at it. */
typedef struct NrgoHost {
    void *ctx;
    NrSendResultFn send_result;
    char pad[64 - 2 * sizeof(void *)];
} NrgoHost;

extern NRGO_HIDDEN NrgoHost nrgo_host;

/* Sends one frame through the bound send_result; nothing when none is bound. Inline, so
 * cgo's wrapper for a Go call of it calls the host directly. */
static inline void nrgo_send(uint64_t sid, NrStatus status, NrBytes payload) {
    nr_call_NrSendResultFn(nrgo_host.send_result, nrgo_host.ctx, sid, status, payload);
}

#endif /* NRGO_H */
