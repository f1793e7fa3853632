/* Conformance corpus, ABI 2: Statuses are NrStatus values (echo answers an empty payload with 400).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_STATUS_400
#include "../reference/plugin.c"
