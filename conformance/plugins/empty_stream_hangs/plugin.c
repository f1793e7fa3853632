#define NRC_FAULT_EMPTY_STREAM_HANGS
#include "../reference/plugin.c"
