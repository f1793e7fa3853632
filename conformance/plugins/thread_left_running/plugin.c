/* Conformance corpus: Background work is stopped before shutdown returns (a housekeeping thread started by init is never joined).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_THREAD_LEFT_RUNNING
#include "../reference/plugin.c"
