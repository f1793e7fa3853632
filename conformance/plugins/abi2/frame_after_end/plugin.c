/* Conformance corpus, ABI 2: Nothing follows a terminal frame (count sends a frame after StreamEnd).
 * The ABI 2 reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_FRAME_AFTER_END
#include "../reference/plugin.c"
