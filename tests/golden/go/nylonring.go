// Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 1

// Package nylonring holds the cgo bindings of the ABI described by the schema.
//
// nylon-ring: an ABI-stable host/plugin interface for high-performance proxies.
//
// The C definitions live in nylon_ring.h, nylon_ring_cgo.h (declarations for files
// with //export) and nylon_ring_calls.h (trampolines for calling C function pointers
// from Go) in this folder; other cgo packages include them with
// `#cgo CFLAGS: -I${SRCDIR}/<path to this folder>`. Go-side constants and enum types
// are below; the layout_*.go files check every struct's layout at compile time.
package nylonring

/*
#include "nylon_ring_calls.h"
*/
import "C"

import (
	"strconv"
	"unsafe"
)

const (
	// ABIVersion (NR_ABI_VERSION): The ABI version a plugin writes into NrPluginInfo.abi_version and a host requires.
	ABIVersion uint32 = 1
	// LayoutProbeVersion (NR_LAYOUT_PROBE_VERSION): Version of the NrLayoutProbe table format.
	LayoutProbeVersion uint32 = 1
)

// Status (NrStatus): Outcome of a call or of one result frame.
type Status uint32

const (
	// StatusOk (NR_STATUS_OK): Success; for streams, one more frame follows.
	StatusOk Status = 0
	// StatusErr (NR_STATUS_ERR): Runtime error (also what a caught panic or exception becomes).
	StatusErr Status = 1
	// StatusInvalid (NR_STATUS_INVALID): Bad input: malformed request, NULL pointer, unknown stream id.
	StatusInvalid Status = 2
	// StatusUnsupported (NR_STATUS_UNSUPPORTED): The operation or entry is not implemented.
	StatusUnsupported Status = 3
	// StatusStreamEnd (NR_STATUS_STREAM_END): Normal end of a stream: the terminal frame.
	StatusStreamEnd Status = 4
)

// String returns the schema's name of the value, or Status(n) for a value it does not name.
func (v Status) String() string {
	switch v {
	case StatusOk:
		return "Ok"
	case StatusErr:
		return "Err"
	case StatusInvalid:
		return "Invalid"
	case StatusUnsupported:
		return "Unsupported"
	case StatusStreamEnd:
		return "StreamEnd"
	}
	return "Status(" + strconv.FormatUint(uint64(v), 10) + ")"
}

// The Go constants above equal the C header's: any difference is an out-of-range or
// negative constant index, and the package does not build.
func _() {
	var ok [1]struct{}
	_ = ok[ABIVersion-C.NR_ABI_VERSION]
	_ = ok[LayoutProbeVersion-C.NR_LAYOUT_PROBE_VERSION]
	_ = ok[StatusOk-C.NR_STATUS_OK]
	_ = ok[StatusErr-C.NR_STATUS_ERR]
	_ = ok[StatusInvalid-C.NR_STATUS_INVALID]
	_ = ok[StatusUnsupported-C.NR_STATUS_UNSUPPORTED]
	_ = ok[StatusStreamEnd-C.NR_STATUS_STREAM_END]
}

// layoutLabels names each value of the layout probe table, for messages.
var layoutLabels = []string{
	"NrStr.size",
	"NrStr.align",
	"NrStr.ptr",
	"NrStr.len",
	"NrBytes.size",
	"NrBytes.align",
	"NrBytes.ptr",
	"NrBytes.len",
	"NrHeader.size",
	"NrHeader.align",
	"NrHeader.key",
	"NrHeader.value",
	"NrRequest.size",
	"NrRequest.align",
	"NrRequest.path",
	"NrRequest.method",
	"NrRequest.query",
	"NrRequest.headers",
	"NrRequest.headers_len",
	"NrRequest._reserved0",
	"NrRequest._reserved1",
	"NrHostVTable.size",
	"NrHostVTable.align",
	"NrHostVTable.send_result",
	"NrHostExt.size",
	"NrHostExt.align",
	"NrHostExt.set_state",
	"NrHostExt.get_state",
	"NrPluginVTable.size",
	"NrPluginVTable.align",
	"NrPluginVTable.init",
	"NrPluginVTable.handle",
	"NrPluginVTable.handle_raw",
	"NrPluginVTable.shutdown",
	"NrPluginVTable.stream_data",
	"NrPluginVTable.stream_close",
	"NrPluginInfo.size",
	"NrPluginInfo.align",
	"NrPluginInfo.abi_version",
	"NrPluginInfo.struct_size",
	"NrPluginInfo.name",
	"NrPluginInfo.version",
	"NrPluginInfo.plugin_ctx",
	"NrPluginInfo.vtable",
	"NrLayoutProbe.size",
	"NrLayoutProbe.align",
	"NrLayoutProbe.probe_version",
	"NrLayoutProbe.count",
	"NrLayoutProbe.values",
}

// LayoutProbe returns a pointer to the C compiler's layout table (a const
// NrLayoutProbe), for a plugin's optional nylon_ring_layout_probe_v1 export. It points
// into C static memory, so it may be returned to C under cgo's pointer rules.
func LayoutProbe() unsafe.Pointer {
	return unsafe.Pointer(C.nr_layout_probe())
}

// LayoutValues returns the probe's version and a copy of its table.
func LayoutValues() (version uint32, values []uint32) {
	p := C.nr_layout_probe()
	table := unsafe.Slice((*uint32)(unsafe.Pointer(p.values)), int(p.count))
	return uint32(p.probe_version), append([]uint32(nil), table...)
}
