/* Conformance corpus: handle returns at once (echo_async waits forever for a worker that never starts).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_HANDLE_HANGS
#include "../reference/plugin.c"
