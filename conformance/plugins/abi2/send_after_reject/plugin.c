/* Conformance corpus, ABI 2: Nothing is sent for a sid whose handle returned non-Ok (an unknown entry is answered, then rejected).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SEND_AFTER_REJECT
#include "../reference/plugin.c"
