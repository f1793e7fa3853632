/* Conformance corpus: A panic inside handle is answered Err (this one aborts the process).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_ABORT_PANIC
#include "../reference/plugin.c"
