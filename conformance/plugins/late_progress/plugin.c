/* Conformance corpus: Nothing follows a terminal frame, however late (a progress timer fires 1.5 s after StreamEnd).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_LATE_PROGRESS
#include "../reference/plugin.c"
