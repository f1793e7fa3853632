#define NRC_FAULT_EMPTY_NAME_CRASH
#include "../reference/plugin.c"
