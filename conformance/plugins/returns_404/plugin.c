/* Conformance corpus: handle returns NrStatus values (an unknown entry is rejected with 404).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_RETURNS_404
#include "../reference/plugin.c"
