// Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 1

//go:build 386 && !windows

package nylonring

/*
#include "nylon_ring.h"
*/
import "C"

import "unsafe"

// Layout checks for ILP32-I386, from the schema's layout table. A size, alignment or
// offset that differs makes a constant index out of range or negative, and the
// package does not build.
func _() {
	var ok [1]struct{}
	var s0 C.NrStr
	_ = ok[unsafe.Sizeof(s0)-8]
	_ = ok[unsafe.Alignof(s0)-4]
	_ = ok[unsafe.Offsetof(s0.ptr)-0]
	_ = ok[unsafe.Offsetof(s0.len)-4]
	var s1 C.NrBytes
	_ = ok[unsafe.Sizeof(s1)-12]
	_ = ok[unsafe.Alignof(s1)-4]
	_ = ok[unsafe.Offsetof(s1.ptr)-0]
	_ = ok[unsafe.Offsetof(s1.len)-4]
	var s2 C.NrHeader
	_ = ok[unsafe.Sizeof(s2)-16]
	_ = ok[unsafe.Alignof(s2)-4]
	_ = ok[unsafe.Offsetof(s2.key)-0]
	_ = ok[unsafe.Offsetof(s2.value)-8]
	var s3 C.NrRequest
	_ = ok[unsafe.Sizeof(s3)-44]
	_ = ok[unsafe.Alignof(s3)-4]
	_ = ok[unsafe.Offsetof(s3.path)-0]
	_ = ok[unsafe.Offsetof(s3.method)-8]
	_ = ok[unsafe.Offsetof(s3.query)-16]
	_ = ok[unsafe.Offsetof(s3.headers)-24]
	_ = ok[unsafe.Offsetof(s3.headers_len)-28]
	_ = ok[unsafe.Offsetof(s3._reserved0)-32]
	_ = ok[unsafe.Offsetof(s3._reserved1)-36]
	var s4 C.NrHostVTable
	_ = ok[unsafe.Sizeof(s4)-4]
	_ = ok[unsafe.Alignof(s4)-4]
	_ = ok[unsafe.Offsetof(s4.send_result)-0]
	var s5 C.NrHostExt
	_ = ok[unsafe.Sizeof(s5)-8]
	_ = ok[unsafe.Alignof(s5)-4]
	_ = ok[unsafe.Offsetof(s5.set_state)-0]
	_ = ok[unsafe.Offsetof(s5.get_state)-4]
	var s6 C.NrPluginVTable
	_ = ok[unsafe.Sizeof(s6)-24]
	_ = ok[unsafe.Alignof(s6)-4]
	_ = ok[unsafe.Offsetof(s6.init)-0]
	_ = ok[unsafe.Offsetof(s6.handle)-4]
	_ = ok[unsafe.Offsetof(s6.handle_raw)-8]
	_ = ok[unsafe.Offsetof(s6.shutdown)-12]
	_ = ok[unsafe.Offsetof(s6.stream_data)-16]
	_ = ok[unsafe.Offsetof(s6.stream_close)-20]
	var s7 C.NrPluginInfo
	_ = ok[unsafe.Sizeof(s7)-32]
	_ = ok[unsafe.Alignof(s7)-4]
	_ = ok[unsafe.Offsetof(s7.abi_version)-0]
	_ = ok[unsafe.Offsetof(s7.struct_size)-4]
	_ = ok[unsafe.Offsetof(s7.name)-8]
	_ = ok[unsafe.Offsetof(s7.version)-16]
	_ = ok[unsafe.Offsetof(s7.plugin_ctx)-24]
	_ = ok[unsafe.Offsetof(s7.vtable)-28]
	var s8 C.NrLayoutProbe
	_ = ok[unsafe.Sizeof(s8)-12]
	_ = ok[unsafe.Alignof(s8)-4]
	_ = ok[unsafe.Offsetof(s8.probe_version)-0]
	_ = ok[unsafe.Offsetof(s8.count)-4]
	_ = ok[unsafe.Offsetof(s8.values)-8]
}

// expectedLayout is the schema's layout table for ILP32-I386, in probe order.
var expectedLayout = []uint32{
	8, 4, 0, 4, // NrStr
	12, 4, 0, 4, // NrBytes
	16, 4, 0, 8, // NrHeader
	44, 4, 0, 8, 16, 24, 28, 32, 36, // NrRequest
	4, 4, 0, // NrHostVTable
	8, 4, 0, 4, // NrHostExt
	24, 4, 0, 4, 8, 12, 16, 20, // NrPluginVTable
	32, 4, 0, 4, 8, 16, 24, 28, // NrPluginInfo
	12, 4, 0, 4, 8, // NrLayoutProbe
}
