/* Conformance corpus (ABI 2): handle returns at once (stamp reads a slow clock source for 200 ms on the calling thread).
 * The ABI 2 reference plugin with one fault, marked in ../reference/plugin.c. */
#define NRC_FAULT_BLOCKING_STAMP
#include "../reference/plugin.c"
