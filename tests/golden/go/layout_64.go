// Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 1

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
	var s1 C.NrBytes
	_ = ok[unsafe.Sizeof(s1)-16]
	_ = ok[unsafe.Alignof(s1)-8]
	_ = ok[unsafe.Offsetof(s1.ptr)-0]
	_ = ok[unsafe.Offsetof(s1.len)-8]
	var s2 C.NrHeader
	_ = ok[unsafe.Sizeof(s2)-32]
	_ = ok[unsafe.Alignof(s2)-8]
	_ = ok[unsafe.Offsetof(s2.key)-0]
	_ = ok[unsafe.Offsetof(s2.value)-16]
	var s3 C.NrRequest
	_ = ok[unsafe.Sizeof(s3)-72]
	_ = ok[unsafe.Alignof(s3)-8]
	_ = ok[unsafe.Offsetof(s3.path)-0]
	_ = ok[unsafe.Offsetof(s3.method)-16]
	_ = ok[unsafe.Offsetof(s3.query)-32]
	_ = ok[unsafe.Offsetof(s3.headers)-48]
	_ = ok[unsafe.Offsetof(s3.headers_len)-56]
	_ = ok[unsafe.Offsetof(s3._reserved0)-60]
	_ = ok[unsafe.Offsetof(s3._reserved1)-64]
	var s4 C.NrHostVTable
	_ = ok[unsafe.Sizeof(s4)-8]
	_ = ok[unsafe.Alignof(s4)-8]
	_ = ok[unsafe.Offsetof(s4.send_result)-0]
	var s5 C.NrHostExt
	_ = ok[unsafe.Sizeof(s5)-16]
	_ = ok[unsafe.Alignof(s5)-8]
	_ = ok[unsafe.Offsetof(s5.set_state)-0]
	_ = ok[unsafe.Offsetof(s5.get_state)-8]
	var s6 C.NrPluginVTable
	_ = ok[unsafe.Sizeof(s6)-48]
	_ = ok[unsafe.Alignof(s6)-8]
	_ = ok[unsafe.Offsetof(s6.init)-0]
	_ = ok[unsafe.Offsetof(s6.handle)-8]
	_ = ok[unsafe.Offsetof(s6.handle_raw)-16]
	_ = ok[unsafe.Offsetof(s6.shutdown)-24]
	_ = ok[unsafe.Offsetof(s6.stream_data)-32]
	_ = ok[unsafe.Offsetof(s6.stream_close)-40]
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
	16, 8, 0, 8, // NrStr
	16, 8, 0, 8, // NrBytes
	32, 8, 0, 16, // NrHeader
	72, 8, 0, 16, 32, 48, 56, 60, 64, // NrRequest
	8, 8, 0, // NrHostVTable
	16, 8, 0, 8, // NrHostExt
	48, 8, 0, 8, 16, 24, 32, 40, // NrPluginVTable
	56, 8, 0, 4, 8, 24, 40, 48, // NrPluginInfo
	16, 8, 0, 4, 8, // NrLayoutProbe
}
