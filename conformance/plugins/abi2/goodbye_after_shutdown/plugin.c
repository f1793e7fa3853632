/* Conformance corpus (ABI 2): Nothing is sent after shutdown returns (a goodbye to the last caller 200 ms later, from a detached thread).
 * The ABI 2 reference plugin with one fault, marked in ../reference/plugin.c. */
#define NRC_FAULT_GOODBYE_AFTER_SHUTDOWN
#include "../reference/plugin.c"
