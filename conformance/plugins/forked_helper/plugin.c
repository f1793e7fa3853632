#define NRC_FAULT_FORKED_HELPER
#include "../reference/plugin.c"
