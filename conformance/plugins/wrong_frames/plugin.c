#define NRC_FAULT_WRONG_FRAMES
#include "../reference/plugin.c"
