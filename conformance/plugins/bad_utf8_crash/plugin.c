#define NRC_FAULT_BAD_UTF8_CRASH
#include "../reference/plugin.c"
