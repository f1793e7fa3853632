// Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --schema awkward.toml

//go:build !(amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x) && !(386 && !windows)

package nylonring

/*
#include "nylon_ring.h"
*/
import "C"

import "unsafe"

// Layout checks for ILP32, from the schema's layout table. A size or
// offset that differs makes a constant index out of range or negative, and the
// package does not build.
// Alignments are not checked here: Go aligns 64-bit values to 4 bytes on these
// targets where C aligns them to 8; cgo pads every field to C's offset, so sizes and
// offsets still match C.
func _() {
	var ok [1]struct{}
	var s0 C.Padded
	_ = ok[unsafe.Sizeof(s0)-40]
	_ = ok[unsafe.Offsetof(s0._type)-0]
	_ = ok[unsafe.Offsetof(s0.result)-8]
	_ = ok[unsafe.Offsetof(s0._func)-16]
	_ = ok[unsafe.Offsetof(s0._select)-18]
	_ = ok[unsafe.Offsetof(s0.fn)-20]
	_ = ok[unsafe.Offsetof(s0.kind)-23]
	_ = ok[unsafe.Offsetof(s0.error)-24]
	_ = ok[unsafe.Offsetof(s0.async)-32]
	var s1 C.Holder
	_ = ok[unsafe.Sizeof(s1)-120]
	_ = ok[unsafe.Offsetof(s1.match)-0]
	_ = ok[unsafe.Offsetof(s1.class_)-80]
	_ = ok[unsafe.Offsetof(s1._range)-84]
	_ = ok[unsafe.Offsetof(s1.len)-88]
	_ = ok[unsafe.Offsetof(s1.diff)-92]
	_ = ok[unsafe.Offsetof(s1.ratio)-96]
	_ = ok[unsafe.Offsetof(s1.next)-100]
	_ = ok[unsafe.Offsetof(s1.callback)-104]
	_ = ok[unsafe.Offsetof(s1._reserved)-108]
}
