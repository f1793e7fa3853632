/* Conformance corpus: Results go to the sid that was asked (this one keeps sids in 32 bits, so sids above 2^32 are answered on the wrong sid).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SID_TRUNCATED
#include "../reference/plugin.c"
