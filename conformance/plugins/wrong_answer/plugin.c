#define NRC_FAULT_WRONG_ANSWER
#include "../reference/plugin.c"
