/* Conformance corpus, ABI 2: handle_by_id answers like handle (echo by id answers something else).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_BY_ID_DIFFERS
#include "../reference/plugin.c"
