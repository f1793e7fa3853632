/* Conformance corpus: Entry names are exactly-sized views (routing compares them with strcmp).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_STRCMP_ENTRY
#include "../reference/plugin.c"
