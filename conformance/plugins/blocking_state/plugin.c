/* Conformance corpus: handle returns at once (state looks its value up for 200 ms on the calling thread).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_BLOCKING_STATE
#include "../reference/plugin.c"
