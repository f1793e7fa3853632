/* Conformance corpus: Nothing is sent after shutdown returns (shutdown does not wait for echo_async jobs, which answer late).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SEND_AFTER_SHUTDOWN
#include "../reference/plugin.c"
