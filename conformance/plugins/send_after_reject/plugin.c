/* Conformance corpus: Nothing is sent for a sid whose handle returned non-Ok (an unknown entry is answered through send_result and rejected).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SEND_AFTER_REJECT
#include "../reference/plugin.c"
