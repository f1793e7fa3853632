/* Conformance corpus, ABI 2: struct_size is at least 56 (this one writes 48).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_STRUCT_SIZE_48
#include "../reference/plugin.c"
