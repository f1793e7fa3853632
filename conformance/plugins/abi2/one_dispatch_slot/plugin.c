/* Conformance corpus, ABI 2: resolve_entry and handle_by_id are both set or both NULL (handle_by_id is NULL).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_ONE_DISPATCH_SLOT
#include "../reference/plugin.c"
