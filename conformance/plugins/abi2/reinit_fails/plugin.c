/* Conformance corpus (ABI 2): A second init after shutdown works (init keeps an already-initialised flag that shutdown never clears).
 * The ABI 2 reference plugin with one fault, marked in ../reference/plugin.c. */
#define NRC_FAULT_REINIT_FAILS
#include "../reference/plugin.c"
