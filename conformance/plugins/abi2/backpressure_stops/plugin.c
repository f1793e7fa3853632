/* Conformance corpus, ABI 2: Backpressure is not terminal (count stops sending at the first Backpressure).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_BACKPRESSURE_STOPS
#include "../reference/plugin.c"
