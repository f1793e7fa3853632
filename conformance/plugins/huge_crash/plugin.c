#define NRC_FAULT_HUGE_CRASH
#include "../reference/plugin.c"
