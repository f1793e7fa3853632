/* Conformance corpus: Not broken: answers an unknown entry Invalid, as seed-era Rust plugins do; passes with a warning.
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_UNKNOWN_INVALID
#include "../reference/plugin.c"
