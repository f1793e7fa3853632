#define NRC_FAULT_NON_UTF8_CRASH
#include "../reference/plugin.c"
