/* Conformance corpus (--sanitize undefined): Unknown names are hashed in an int that overflows (signed overflow).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_UNKNOWN_HASH_OVERFLOW
#include "../reference/plugin.c"
