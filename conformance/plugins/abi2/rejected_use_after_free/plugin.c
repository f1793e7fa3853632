/* Conformance corpus, ABI 2 (--sanitize address): A rejected entry name is compared with the previous one after that was freed.
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_REJECTED_USE_AFTER_FREE
#include "../reference/plugin.c"
