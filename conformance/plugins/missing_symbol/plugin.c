/* Conformance corpus: The library exports nylon_ring_get_plugin_v1 (this one exports it under an older name).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_NO_SYMBOL
#include "../reference/plugin.c"
