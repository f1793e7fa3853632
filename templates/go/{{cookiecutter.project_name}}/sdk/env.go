package sdk

/*
#include <stdlib.h>
*/
import "C"

import "unsafe"

// processEnv reads the process environment through C: a host may set a variable after
// this library's Go runtime copied the environment at load time, and os.Getenv reads
// only that copy.
func processEnv(name string) string {
	key := C.CString(name)
	defer C.free(unsafe.Pointer(key))
	value := C.getenv(key)
	if value == nil {
		return ""
	}
	return C.GoString(value)
}
