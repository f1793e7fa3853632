#define NRC_FAULT_ONE_BYTE
#include "../reference/plugin.c"
