#define NRC_FAULT_STATIC_REPLY
#include "../reference/plugin.c"
