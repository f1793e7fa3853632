#define NRC_FAULT_FORGE
#include "../reference/plugin.c"
