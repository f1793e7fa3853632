/* Conformance corpus, ABI 2: Overlapping sessions get their own replies (chat replies from one static buffer, sent later).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_STATIC_REPLY
#include "../reference/plugin.c"
