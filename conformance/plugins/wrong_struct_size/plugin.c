/* Conformance corpus: struct_size is sizeof(NrPluginInfo) (this one writes 48).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_STRUCT_SIZE
#include "../reference/plugin.c"
