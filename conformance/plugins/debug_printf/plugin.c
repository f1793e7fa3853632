/* Conformance corpus: Nothing is written to stdout (a debug printf left in echo).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_DEBUG_PRINTF
#include "../reference/plugin.c"
