/* Conformance corpus (ABI 2): Nothing is written to stdout (a debug printf left in echo).
 * The ABI 2 reference plugin with one fault, marked in ../reference/plugin.c. */
#define NRC_FAULT_DEBUG_PRINTF
#include "../reference/plugin.c"
