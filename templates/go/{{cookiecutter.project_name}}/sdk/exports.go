package sdk

// The symbols the host calls. A file with //export may only declare things in its
// preamble; every function here defers to bridge.go (handle_raw, the hot path, goes
// straight to the engine) and turns a panic into Err.

/*
#include "nrgo_cgo.h"
*/
import "C"

import "unsafe"

//export nylon_ring_get_plugin_v1
func nylon_ring_get_plugin_v1() C.NrPluginInfoConstPtr {
	defer recoverQuietly()
	return pluginInfo()
}

//export nylon_ring_set_host_ext_v1
func nylon_ring_set_host_ext_v1(ext C.NrHostExtConstPtr) {
	defer recoverQuietly()
	setHostExt(ext)
}

//export nylon_ring_layout_probe_v1
func nylon_ring_layout_probe_v1() C.NrLayoutProbeConstPtr {
	defer recoverQuietly()
	return layoutProbe()
}

//export nrgo_init
func nrgo_init(pluginCtx unsafe.Pointer, hostCtx unsafe.Pointer, hostVTable C.NrHostVTableConstPtr) (status C.NrStatus) {
	defer recoverStatus(&status)
	return C.NrStatus(initPlugin(hostCtx, hostVTable))
}

// The handle functions get the entry name as a pointer and a length (vtable.c's slots
// unpack the NrStr): NrStr's padding would make it a struct Go keeps in memory, and
// reading it back from there stalls every call; scalars arrive in registers.

//export nrgo_handle
func nrgo_handle(namePtr C.NrgoNamePtr, nameLen C.uint32_t, sid C.uint64_t, req C.NrRequestConstPtr, payload C.NrBytes) (status C.NrStatus) {
	status = panicked
	defer func() {
		if status == panicked {
			status = errAfterPanic(recover())
		}
	}()
	return C.NrStatus(handleCall(namePtr, nameLen, sid, req, payload))
}

//export nrgo_handle_raw
func nrgo_handle_raw(namePtr C.NrgoNamePtr, nameLen C.uint32_t, sid C.uint64_t, payload C.NrBytes) (status C.NrStatus) {
	status = panicked
	defer func() {
		if status == panicked {
			status = errAfterPanic(recover())
		}
	}()
	rt := current.Load()
	name, ok1 := nameView(namePtr, nameLen)
	body, ok2 := bytesView(payload)
	switch {
	case rt == nil:
		return C.NrStatus(StatusErr)
	case !ok1 || !ok2:
		return C.NrStatus(StatusInvalid)
	}
	return C.NrStatus(rt.handleRaw(name, uint64(sid), body))
}

//export nrgo_shutdown
func nrgo_shutdown(pluginCtx unsafe.Pointer) {
	defer recoverQuietly()
	shutdownPlugin()
}

//export nrgo_stream_data
func nrgo_stream_data(pluginCtx unsafe.Pointer, sid C.uint64_t, data C.NrBytes) (status C.NrStatus) {
	status = panicked
	defer func() {
		if status == panicked {
			status = errAfterPanic(recover())
		}
	}()
	return C.NrStatus(streamData(sid, data))
}

//export nrgo_stream_close
func nrgo_stream_close(pluginCtx unsafe.Pointer, sid C.uint64_t) (status C.NrStatus) {
	status = panicked
	defer func() {
		if status == panicked {
			status = errAfterPanic(recover())
		}
	}()
	return C.NrStatus(streamClose(sid))
}

// panicked is what an exported function's status holds until it returns: a value no
// return gives (statuses outside the enum never leave the SDK), so the deferred check
// knows without calling recover that nothing panicked. That check, the one deferred
// call of an exported function, costs one comparison when nothing went wrong.
const panicked = C.NrStatus(^uint32(0))

// errAfterPanic reports a panic that reached an exported function, which then returns Err.
func errAfterPanic(v any) C.NrStatus {
	logf("panic at the ABI boundary: %v", v)
	return C.NrStatus(StatusErr)
}

// recoverStatus turns a panic that reached an exported function into Err.
func recoverStatus(status *C.NrStatus) {
	if v := recover(); v != nil {
		*status = errAfterPanic(v)
	}
}

// recoverQuietly stops a panic at an exported function that has no status to return.
func recoverQuietly() {
	if v := recover(); v != nil {
		logf("panic at the ABI boundary: %v", v)
	}
}
