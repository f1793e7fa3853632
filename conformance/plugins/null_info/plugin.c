/* Conformance corpus: nylon_ring_get_plugin_v1() returns a non-NULL NrPluginInfo (this one returns NULL).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_NULL_INFO
#include "../reference/plugin.c"
