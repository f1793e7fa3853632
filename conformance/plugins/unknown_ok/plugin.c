/* Conformance corpus: An unknown entry is answered Unsupported (a catch-all answers Ok).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_UNKNOWN_OK
#include "../reference/plugin.c"
