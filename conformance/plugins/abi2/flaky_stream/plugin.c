/* Conformance corpus, ABI 2: A stream fails 1 time in 50 (count ends with Err when it rebuilds a table).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_FLAKY_STREAM
#include "../reference/plugin.c"
