#define NRC_FAULT_STATIC_ANSWER
#include "../reference/plugin.c"
