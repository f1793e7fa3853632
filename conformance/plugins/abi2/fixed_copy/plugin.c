/* Conformance corpus, ABI 2: Payloads are exactly-sized views (the worker copy is rounded up to whole 8-byte words).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_FIXED_COPY
#include "../reference/plugin.c"
