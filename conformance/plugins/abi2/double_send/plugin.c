/* Conformance corpus, ABI 2: A unary sid gets exactly one result (echo answers twice).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_DOUBLE_SEND
#include "../reference/plugin.c"
