#define NRC_FAULT_MANY_HEADERS_CRASH
#include "../reference/plugin.c"
