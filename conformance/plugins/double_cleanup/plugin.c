/* Conformance corpus: The library unloads cleanly after shutdown (a destructor frees what shutdown freed).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_DOUBLE_CLEANUP
#include "../reference/plugin.c"
