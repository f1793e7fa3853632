/* Conformance corpus: Input is const (echo_async wipes each thread's previous payload when its next request arrives).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SCRUBS_VIEW
#include "../reference/plugin.c"
