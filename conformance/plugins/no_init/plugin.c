/* Conformance corpus: The init slot is set (this one is NULL).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_NO_INIT
#include "../reference/plugin.c"
