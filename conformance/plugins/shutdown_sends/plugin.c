#define NRC_FAULT_SHUTDOWN_SENDS
#include "../reference/plugin.c"
