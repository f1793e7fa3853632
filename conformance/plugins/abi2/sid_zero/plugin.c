/* Conformance corpus, ABI 2: Frames go to issued sids (count reports a missing number on sid 0).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SID_ZERO
#include "../reference/plugin.c"
