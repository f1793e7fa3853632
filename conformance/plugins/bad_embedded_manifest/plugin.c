#define NRC_VARIANT_BAD_EMBEDDED_MANIFEST
#include "../reference/plugin.c"
