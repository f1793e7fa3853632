/* Conformance corpus (ABI 2): The plugin info is the same on every query (the version carries a query counter).
 * The ABI 2 reference plugin with one fault, marked in ../reference/plugin.c. */
#define NRC_FAULT_INFO_COUNTER
#include "../reference/plugin.c"
