/* The SDK's own C helpers (vtable.c); hidden, so the library exports only the ABI. */
#ifndef NRGO_H
#define NRGO_H

#include "nylon_ring.h"

#if defined(__GNUC__) || defined(__clang__)
#define NRGO_HIDDEN __attribute__((visibility("hidden")))
#else
#define NRGO_HIDDEN
#endif

/* The static NrPluginInfo that nylon_ring_get_plugin_v1 returns. */
NRGO_HIDDEN const NrPluginInfo *nrgo_plugin_info(void);

/* Sets the name and version in the NrPluginInfo; the strings must live forever. */
NRGO_HIDDEN void nrgo_set_identity(const char *name, uint32_t name_len, const char *version, uint32_t version_len);

#endif /* NRGO_H */
