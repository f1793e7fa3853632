/* Conformance corpus: The plugin name is UTF-8 (this one is not).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_BAD_NAME
#include "../reference/plugin.c"
