/* Conformance corpus: stream_data on an unknown or closed sid returns Invalid (this one returns Ok).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_BIDI_UNKNOWN_OK
#include "../reference/plugin.c"
