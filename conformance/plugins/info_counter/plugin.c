/* Conformance corpus: The plugin info is the same on every query (the version carries a query counter).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_INFO_COUNTER
#include "../reference/plugin.c"
