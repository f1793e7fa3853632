/* Conformance corpus, ABI 2: Nothing is sent after shutdown returns (shutdown does not wait for echo_async, which answers late).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SEND_AFTER_SHUTDOWN
#include "../reference/plugin.c"
