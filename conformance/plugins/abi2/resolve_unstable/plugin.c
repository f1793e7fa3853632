/* Conformance corpus, ABI 2: resolve_entry ids stay valid and the same for the loaded instance (this one moves every other answer to the next entry's id).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_RESOLVE_UNSTABLE
#include "../reference/plugin.c"
