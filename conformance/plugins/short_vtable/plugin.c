/* Conformance corpus: Every slot points into the plugin's code (this one was built against an older 3-slot vtable: the slots past it are data).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_SHORT_VTABLE
#include "../reference/plugin.c"
