/* Conformance corpus: A panic on a plugin thread is answered Err (this one ends the process with status 2 and a "fatal error:" line, as a Go runtime does).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_FATAL_EXIT
#include "../reference/plugin.c"
