/* Conformance corpus, ABI 2 (--sanitize undefined): Echo loads a 32-bit length one byte into the payload (a misaligned load).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_MISALIGNED_HEADER
#include "../reference/plugin.c"
