#define NRC_FAULT_BIDI_WRONG_REPLY
#include "../reference/plugin.c"
