/* Conformance corpus, ABI 2: Calls at once each get their own answer (echo_async answers from one static buffer, sent later).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_STATIC_ANSWER
#include "../reference/plugin.c"
