/* Conformance corpus, ABI 2: A committed lease is the host's (echo_lease scrubs it after commit).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_LEASE_AFTER_COMMIT
#include "../reference/plugin.c"
