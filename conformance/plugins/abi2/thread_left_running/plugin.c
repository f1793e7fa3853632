/* Conformance corpus (ABI 2): Background work is stopped before shutdown returns (a metrics thread started by init is never joined).
 * The ABI 2 reference plugin with one fault, marked in ../reference/plugin.c. */
#define NRC_FAULT_THREAD_LEFT_RUNNING
#include "../reference/plugin.c"
