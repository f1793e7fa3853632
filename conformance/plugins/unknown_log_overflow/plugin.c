/* Conformance corpus (--sanitize address): The unknown-entry log line is NUL-terminated one byte past its heap buffer.
 * The reference plugin with one fault; the code it changes is marked in ../reference/plugin.c. */
#define NRC_FAULT_UNKNOWN_LOG_OVERFLOW
#include "../reference/plugin.c"
