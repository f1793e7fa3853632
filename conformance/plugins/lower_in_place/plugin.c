/* Conformance corpus: Input is const (echo lowercases the payload in place).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_LOWER_IN_PLACE
#include "../reference/plugin.c"
