/* Conformance corpus, ABI 2: Input is const (echo_async wipes the caller's payload from a thread after handle returned).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SCRUBS_VIEW
#include "../reference/plugin.c"
