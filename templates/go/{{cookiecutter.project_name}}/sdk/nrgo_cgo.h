/* Declarations only, so this header is safe in the preamble of exports.go (a file with
 * //export): the C types of the SDK's own exported Go functions. */
#ifndef NRGO_CGO_H
#define NRGO_CGO_H

#include "nylon_ring_cgo.h"

/* An entry name's bytes, as vtable.c's handle slots pass them on (with the length). */
typedef const uint8_t *NrgoNamePtr;

#endif /* NRGO_CGO_H */
