/* Conformance corpus: Payloads are exactly-sized views (echo_async copies whole 8-byte words past the end).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_FIXED_COPY
#include "../reference/plugin.c"
