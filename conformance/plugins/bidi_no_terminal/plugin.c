#define NRC_FAULT_BIDI_NO_TERMINAL
#include "../reference/plugin.c"
