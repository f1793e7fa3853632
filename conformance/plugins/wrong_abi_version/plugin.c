/* Conformance corpus: abi_version is 1 (this one claims 2).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_ABI_VERSION
#include "../reference/plugin.c"
