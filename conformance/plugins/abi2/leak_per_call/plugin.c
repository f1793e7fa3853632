/* Conformance corpus (ABI 2): Memory does not grow with calls (echo never frees its 1 MiB answer buffer).
 * The ABI 2 reference plugin with one fault, marked in ../reference/plugin.c. */
#define NRC_FAULT_LEAK_PER_CALL
#include "../reference/plugin.c"
