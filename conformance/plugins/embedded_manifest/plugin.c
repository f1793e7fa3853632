#define NRC_VARIANT_EMBEDDED_MANIFEST
#include "../reference/plugin.c"
