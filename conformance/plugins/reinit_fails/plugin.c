/* Conformance corpus: A second init after shutdown works (init keeps an already-initialised flag that shutdown never clears).
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_REINIT_FAILS
#include "../reference/plugin.c"
