#define NRC_FAULT_OTHER_NAME
#include "../reference/plugin.c"
