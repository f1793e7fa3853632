/* Conformance corpus: Payloads are exactly-sized views (echo measures the payload with strlen).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_STRLEN_PAYLOAD
#include "../reference/plugin.c"
