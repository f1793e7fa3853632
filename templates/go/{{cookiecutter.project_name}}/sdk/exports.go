package sdk

// The symbols the host calls. A file with //export may only declare things in its
// preamble; every function here defers to bridge.go and turns a panic into Err.

/*
#include "nylon_ring_cgo.h"
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

//export nrgo_handle
func nrgo_handle(pluginCtx unsafe.Pointer, entry C.NrStr, sid C.uint64_t, req C.NrRequestConstPtr, payload C.NrBytes) (status C.NrStatus) {
	defer recoverStatus(&status)
	return C.NrStatus(handleCall(entry, sid, req, payload, false))
}

//export nrgo_handle_raw
func nrgo_handle_raw(pluginCtx unsafe.Pointer, entry C.NrStr, sid C.uint64_t, payload C.NrBytes) (status C.NrStatus) {
	defer recoverStatus(&status)
	return C.NrStatus(handleCall(entry, sid, nil, payload, true))
}

//export nrgo_shutdown
func nrgo_shutdown(pluginCtx unsafe.Pointer) {
	defer recoverQuietly()
	shutdownPlugin()
}

//export nrgo_stream_data
func nrgo_stream_data(pluginCtx unsafe.Pointer, sid C.uint64_t, data C.NrBytes) (status C.NrStatus) {
	defer recoverStatus(&status)
	return C.NrStatus(streamData(sid, data))
}

//export nrgo_stream_close
func nrgo_stream_close(pluginCtx unsafe.Pointer, sid C.uint64_t) (status C.NrStatus) {
	defer recoverStatus(&status)
	return C.NrStatus(streamClose(sid))
}

// recoverStatus turns a panic that reached an exported function into Err.
func recoverStatus(status *C.NrStatus) {
	if v := recover(); v != nil {
		logf("panic at the ABI boundary: %v", v)
		*status = C.NrStatus(StatusErr)
	}
}

// recoverQuietly stops a panic at an exported function that has no status to return.
func recoverQuietly() {
	if v := recover(); v != nil {
		logf("panic at the ABI boundary: %v", v)
	}
}
