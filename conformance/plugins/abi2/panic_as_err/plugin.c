/* Conformance corpus, ABI 2: not a fault but a warning: a contained panic answered Err (the ABI 1 way) instead of Panic.
 * The ABI 2 reference plugin with one change; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_PANIC_AS_ERR
#include "../reference/plugin.c"
