// The bare cgo floor: the least a Go c-shared plugin can do per call, with no SDK.
// handle_raw crosses from C into Go, and the answer crosses back into C to reach the
// host's send_result. It echoes the payload for every entry name; the benchmark calls
// it as "echo". Build: go build -buildmode=c-shared -o libcgofloor.so .
package main

/*
#cgo CFLAGS: -O2 -I${SRCDIR}
#include "nylon_ring.h"
void floor_send(uint64_t sid, NrStatus status, NrBytes payload);
*/
import "C"

import "unsafe"

//export cgoFloorHandleRaw
func cgoFloorHandleRaw(ctx unsafe.Pointer, entry C.NrStr, sid C.uint64_t, payload C.NrBytes) C.NrStatus {
	C.floor_send(sid, C.NR_STATUS_OK, payload)
	return C.NR_STATUS_OK
}

func main() {}
