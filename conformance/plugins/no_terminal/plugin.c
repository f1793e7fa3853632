/* Conformance corpus: A stream ends with a terminal frame (count never sends one).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_NO_TERMINAL
#include "../reference/plugin.c"
