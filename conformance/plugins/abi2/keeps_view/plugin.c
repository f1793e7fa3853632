/* Conformance corpus, ABI 2: Borrowed views end with the call (echo_async answers from the payload view after handle returned).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_KEEPS_VIEW
#include "../reference/plugin.c"
