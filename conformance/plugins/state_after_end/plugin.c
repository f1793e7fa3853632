/* Conformance corpus: Per-sid state ends with the sid (state clears its key after answering).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_STATE_AFTER_END
#include "../reference/plugin.c"
