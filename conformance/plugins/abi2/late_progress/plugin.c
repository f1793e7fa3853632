/* Conformance corpus (ABI 2): Nothing follows a terminal frame, however late (a progress notice 1.5 s after StreamEnd).
 * The ABI 2 reference plugin with one fault, marked in ../reference/plugin.c. */
#define NRC_FAULT_LATE_PROGRESS
#include "../reference/plugin.c"
