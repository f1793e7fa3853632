/* Conformance corpus: The layout probe matches the schema (this one was built with NrRequest at 48 bytes).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_LAYOUT_DRIFT
#include "../reference/plugin.c"
