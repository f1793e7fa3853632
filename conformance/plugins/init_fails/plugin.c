/* Conformance corpus: init returns Ok (this one returns Err).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_INIT_FAILS
#include "../reference/plugin.c"
