/* Conformance corpus (--sanitize thread): Every call bumps a shared statistics counter without a lock (a data race).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_RACY_COUNTER
#include "../reference/plugin.c"
