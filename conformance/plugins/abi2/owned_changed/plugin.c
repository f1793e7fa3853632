/* Conformance corpus, ABI 2: Owned bytes stay unchanged until release (stamp overwrites its buffer after send_result_owned).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_OWNED_CHANGED
#include "../reference/plugin.c"
