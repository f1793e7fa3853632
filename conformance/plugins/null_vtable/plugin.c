/* Conformance corpus: The vtable pointer is not NULL (this one is).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_NULL_VTABLE
#include "../reference/plugin.c"
