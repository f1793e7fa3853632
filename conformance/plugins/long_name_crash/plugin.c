#define NRC_FAULT_LONG_NAME_CRASH
#include "../reference/plugin.c"
