#define NRC_FAULT_ODD_SIZE
#include "../reference/plugin.c"
