// Generated from schema/abi2.toml (schema sha256 e1a3a2de882d757b) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 2

// Package nylonring holds the cgo bindings of the ABI described by the schema.
//
// nylon-ring ABI 2: an ABI-stable host/plugin interface for high-performance proxies,
// with zero-copy answers.
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
	// ABIVersion (NR_ABI_VERSION): The ABI version a plugin writes into NrPluginInfo.abi_version; a host requires exactly this value.
	ABIVersion uint32 = 2
	// EntryUnknown (NR_ENTRY_UNKNOWN): What resolve_entry returns for a name the plugin does not export (UINT32_MAX).
	EntryUnknown uint32 = 4294967295
	// LayoutProbeVersion (NR_LAYOUT_PROBE_VERSION): Version of the NrLayoutProbe table format.
	LayoutProbeVersion uint32 = 1
)

// Status (NrStatus): Outcome of a call or of one result frame; a plain u32 on the
// wire, so unknown values stay defined. Values are never reused.
type Status uint32

const (
	// StatusOk (NR_STATUS_OK): Success; for streams, one more frame follows (not terminal).
	StatusOk Status = 0
	// StatusErr (NR_STATUS_ERR): Runtime error (terminal).
	StatusErr Status = 1
	// StatusInvalid (NR_STATUS_INVALID): Bad input: malformed payload, unknown stream id, misused lease (terminal).
	StatusInvalid Status = 2
	// StatusUnsupported (NR_STATUS_UNSUPPORTED): The operation or entry is not implemented (terminal).
	StatusUnsupported Status = 3
	// StatusStreamEnd (NR_STATUS_STREAM_END): Normal end of a stream (terminal).
	StatusStreamEnd Status = 4
	// StatusPanic (NR_STATUS_PANIC): A panic or exception contained at the boundary (terminal).
	StatusPanic Status = 5
	// StatusBackpressure (NR_STATUS_BACKPRESSURE): Not terminal: the host's bounded stream queue is full and this frame was not enqueued; the producer decides whether to retry.
	StatusBackpressure Status = 6
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
	case StatusPanic:
		return "Panic"
	case StatusBackpressure:
		return "Backpressure"
	}
	return "Status(" + strconv.FormatUint(uint64(v), 10) + ")"
}

// The Go constants above equal the C header's: any difference is an out-of-range or
// negative constant index, and the package does not build.
func _() {
	var ok [1]struct{}
	_ = ok[ABIVersion-C.NR_ABI_VERSION]
	_ = ok[EntryUnknown-C.NR_ENTRY_UNKNOWN]
	_ = ok[LayoutProbeVersion-C.NR_LAYOUT_PROBE_VERSION]
	_ = ok[StatusOk-C.NR_STATUS_OK]
	_ = ok[StatusErr-C.NR_STATUS_ERR]
	_ = ok[StatusInvalid-C.NR_STATUS_INVALID]
	_ = ok[StatusUnsupported-C.NR_STATUS_UNSUPPORTED]
	_ = ok[StatusStreamEnd-C.NR_STATUS_STREAM_END]
	_ = ok[StatusPanic-C.NR_STATUS_PANIC]
	_ = ok[StatusBackpressure-C.NR_STATUS_BACKPRESSURE]
}

// layoutLabels names each value of the layout probe table, for messages.
var layoutLabels = []string{
	"NrStr.size",
	"NrStr.align",
	"NrStr.ptr",
	"NrStr.len",
	"NrStr.reserved",
	"NrBytes.size",
	"NrBytes.align",
	"NrBytes.ptr",
	"NrBytes.len",
	"NrVecU8.size",
	"NrVecU8.align",
	"NrVecU8.ptr",
	"NrVecU8.len",
	"NrVecU8.cap",
	"NrVecU8.owned",
	"NrVecU8.reserved",
	"NrVecU8.drop_fn",
	"NrOwnedBytes.size",
	"NrOwnedBytes.align",
	"NrOwnedBytes.ptr",
	"NrOwnedBytes.len",
	"NrOwnedBytes.owner_ctx",
	"NrOwnedBytes.release",
	"NrBufferLease.size",
	"NrBufferLease.align",
	"NrBufferLease.ptr",
	"NrBufferLease.cap",
	"NrBufferLease.token",
	"NrHostVTable.size",
	"NrHostVTable.align",
	"NrHostVTable.send_result",
	"NrHostVTable.send_result_owned",
	"NrHostVTable.acquire_result_buffer",
	"NrHostVTable.commit_result_buffer",
	"NrPluginVTable.size",
	"NrPluginVTable.align",
	"NrPluginVTable.init",
	"NrPluginVTable.handle",
	"NrPluginVTable.shutdown",
	"NrPluginVTable.stream_data",
	"NrPluginVTable.stream_close",
	"NrPluginVTable.resolve_entry",
	"NrPluginVTable.handle_by_id",
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
// NrLayoutProbe), for a plugin's optional nylon_ring_layout_probe_v2 export. It points
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
