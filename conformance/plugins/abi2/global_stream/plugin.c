/* Conformance corpus, ABI 2: Overlapping streams keep their own sids and frames (count keeps its stream in one global).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_GLOBAL_STREAM
#include "../reference/plugin.c"
