/* Conformance corpus, ABI 2: resolve_entry returns NR_ENTRY_UNKNOWN for unknown names (this one returns echo's id).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_RESOLVE_UNKNOWN_VALID
#include "../reference/plugin.c"
