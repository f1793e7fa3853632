/* Conformance corpus: Frames go to issued sids (count reports a bad number on sid 0).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SID_ZERO
#include "../reference/plugin.c"
