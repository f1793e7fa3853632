/* Conformance corpus: A NULL req is answered, not dereferenced (this one segfaults).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_NULL_REQ_CRASH
#include "../reference/plugin.c"
