// Generated from schema/abi2.toml (schema sha256 e1a3a2de882d757b) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 2

//go:build amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x

package nylonring

/*
#include "nylon_ring.h"
*/
import "C"

import "unsafe"

// Layout checks for LP64/LLP64, from the schema's layout table. A size, alignment or
// offset that differs makes a constant index out of range or negative, and the
// package does not build.
func _() {
	var ok [1]struct{}
	var s0 C.NrStr
	_ = ok[unsafe.Sizeof(s0)-16]
	_ = ok[unsafe.Alignof(s0)-8]
	_ = ok[unsafe.Offsetof(s0.ptr)-0]
	_ = ok[unsafe.Offsetof(s0.len)-8]
	_ = ok[unsafe.Offsetof(s0.reserved)-12]
	var s1 C.NrBytes
	_ = ok[unsafe.Sizeof(s1)-16]
	_ = ok[unsafe.Alignof(s1)-8]
	_ = ok[unsafe.Offsetof(s1.ptr)-0]
	_ = ok[unsafe.Offsetof(s1.len)-8]
	var s2 C.NrVecU8
	_ = ok[unsafe.Sizeof(s2)-40]
	_ = ok[unsafe.Alignof(s2)-8]
	_ = ok[unsafe.Offsetof(s2.ptr)-0]
	_ = ok[unsafe.Offsetof(s2.len)-8]
	_ = ok[unsafe.Offsetof(s2.cap)-16]
	_ = ok[unsafe.Offsetof(s2.owned)-24]
	_ = ok[unsafe.Offsetof(s2.reserved)-25]
	_ = ok[unsafe.Offsetof(s2.drop_fn)-32]
	var s3 C.NrOwnedBytes
	_ = ok[unsafe.Sizeof(s3)-32]
	_ = ok[unsafe.Alignof(s3)-8]
	_ = ok[unsafe.Offsetof(s3.ptr)-0]
	_ = ok[unsafe.Offsetof(s3.len)-8]
	_ = ok[unsafe.Offsetof(s3.owner_ctx)-16]
	_ = ok[unsafe.Offsetof(s3.release)-24]
	var s4 C.NrBufferLease
	_ = ok[unsafe.Sizeof(s4)-24]
	_ = ok[unsafe.Alignof(s4)-8]
	_ = ok[unsafe.Offsetof(s4.ptr)-0]
	_ = ok[unsafe.Offsetof(s4.cap)-8]
	_ = ok[unsafe.Offsetof(s4.token)-16]
	var s5 C.NrHostVTable
	_ = ok[unsafe.Sizeof(s5)-32]
	_ = ok[unsafe.Alignof(s5)-8]
	_ = ok[unsafe.Offsetof(s5.send_result)-0]
	_ = ok[unsafe.Offsetof(s5.send_result_owned)-8]
	_ = ok[unsafe.Offsetof(s5.acquire_result_buffer)-16]
	_ = ok[unsafe.Offsetof(s5.commit_result_buffer)-24]
	var s6 C.NrPluginVTable
	_ = ok[unsafe.Sizeof(s6)-56]
	_ = ok[unsafe.Alignof(s6)-8]
	_ = ok[unsafe.Offsetof(s6.init)-0]
	_ = ok[unsafe.Offsetof(s6.handle)-8]
	_ = ok[unsafe.Offsetof(s6.shutdown)-16]
	_ = ok[unsafe.Offsetof(s6.stream_data)-24]
	_ = ok[unsafe.Offsetof(s6.stream_close)-32]
	_ = ok[unsafe.Offsetof(s6.resolve_entry)-40]
	_ = ok[unsafe.Offsetof(s6.handle_by_id)-48]
	var s7 C.NrPluginInfo
	_ = ok[unsafe.Sizeof(s7)-56]
	_ = ok[unsafe.Alignof(s7)-8]
	_ = ok[unsafe.Offsetof(s7.abi_version)-0]
	_ = ok[unsafe.Offsetof(s7.struct_size)-4]
	_ = ok[unsafe.Offsetof(s7.name)-8]
	_ = ok[unsafe.Offsetof(s7.version)-24]
	_ = ok[unsafe.Offsetof(s7.plugin_ctx)-40]
	_ = ok[unsafe.Offsetof(s7.vtable)-48]
	var s8 C.NrLayoutProbe
	_ = ok[unsafe.Sizeof(s8)-16]
	_ = ok[unsafe.Alignof(s8)-8]
	_ = ok[unsafe.Offsetof(s8.probe_version)-0]
	_ = ok[unsafe.Offsetof(s8.count)-4]
	_ = ok[unsafe.Offsetof(s8.values)-8]
}

// expectedLayout is the schema's layout table for LP64/LLP64, in probe order.
var expectedLayout = []uint32{
	16, 8, 0, 8, 12, // NrStr
	16, 8, 0, 8, // NrBytes
	40, 8, 0, 8, 16, 24, 25, 32, // NrVecU8
	32, 8, 0, 8, 16, 24, // NrOwnedBytes
	24, 8, 0, 8, 16, // NrBufferLease
	32, 8, 0, 8, 16, 24, // NrHostVTable
	56, 8, 0, 8, 16, 24, 32, 40, 48, // NrPluginVTable
	56, 8, 0, 4, 8, 24, 40, 48, // NrPluginInfo
	16, 8, 0, 4, 8, // NrLayoutProbe
}
