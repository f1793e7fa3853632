/* Conformance corpus, ABI 2: abi_version is exactly 2 (this one claims 3).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_ABI_VERSION_3
#include "../reference/plugin.c"
