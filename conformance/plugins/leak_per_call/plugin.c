/* Conformance corpus: Memory does not grow with calls (echo never frees its 1 MiB answer buffer).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_LEAK_PER_CALL
#include "../reference/plugin.c"
