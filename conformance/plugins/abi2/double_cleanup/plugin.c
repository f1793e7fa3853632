/* Conformance corpus (ABI 2): The library unloads cleanly after shutdown (a destructor frees what shutdown freed).
 * The ABI 2 reference plugin with one fault, marked in ../reference/plugin.c. */
#define NRC_FAULT_DOUBLE_CLEANUP
#include "../reference/plugin.c"
