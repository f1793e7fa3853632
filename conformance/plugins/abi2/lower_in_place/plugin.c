/* Conformance corpus, ABI 2: Input is const (chat lowercases each stream_data frame in place).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_LOWER_IN_PLACE
#include "../reference/plugin.c"
