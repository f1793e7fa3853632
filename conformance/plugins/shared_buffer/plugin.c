#define NRC_FAULT_SHARED_BUFFER
#include "../reference/plugin.c"
