#define NRC_FAULT_HELLO_CRASH
#include "../reference/plugin.c"
