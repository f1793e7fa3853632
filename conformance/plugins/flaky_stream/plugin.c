#define NRC_FAULT_FLAKY_STREAM
#include "../reference/plugin.c"
