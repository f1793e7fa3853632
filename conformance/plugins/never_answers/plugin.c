/* Conformance corpus: An accepted sid is answered (echo accepts an empty payload and never answers it).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_NEVER_ANSWERS
#include "../reference/plugin.c"
