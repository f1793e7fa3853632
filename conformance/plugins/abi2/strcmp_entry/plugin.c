/* Conformance corpus, ABI 2: Entry names are exactly-sized views (lookup compares them with strcmp).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_STRCMP_ENTRY
#include "../reference/plugin.c"
