#define NRC_FAULT_GLOBAL_STREAM
#include "../reference/plugin.c"
