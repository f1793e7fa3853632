/* Conformance corpus, ABI 2: A lease is committed with initialized_len <= cap (echo_lease first commits cap + 1).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_LEASE_OVER_CAP
#include "../reference/plugin.c"
