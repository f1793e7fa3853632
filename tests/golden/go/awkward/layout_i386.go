// Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --schema awkward.toml

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
	var s0 C.Padded
	_ = ok[unsafe.Sizeof(s0)-32]
	_ = ok[unsafe.Alignof(s0)-4]
	_ = ok[unsafe.Offsetof(s0._type)-0]
	_ = ok[unsafe.Offsetof(s0.result)-4]
	_ = ok[unsafe.Offsetof(s0._func)-12]
	_ = ok[unsafe.Offsetof(s0._select)-14]
	_ = ok[unsafe.Offsetof(s0.fn)-16]
	_ = ok[unsafe.Offsetof(s0.kind)-19]
	_ = ok[unsafe.Offsetof(s0.error)-20]
	_ = ok[unsafe.Offsetof(s0.async)-28]
	var s1 C.Holder
	_ = ok[unsafe.Sizeof(s1)-100]
	_ = ok[unsafe.Alignof(s1)-4]
	_ = ok[unsafe.Offsetof(s1.match)-0]
	_ = ok[unsafe.Offsetof(s1.class_)-64]
	_ = ok[unsafe.Offsetof(s1._range)-68]
	_ = ok[unsafe.Offsetof(s1.len)-72]
	_ = ok[unsafe.Offsetof(s1.diff)-76]
	_ = ok[unsafe.Offsetof(s1.ratio)-80]
	_ = ok[unsafe.Offsetof(s1.next)-84]
	_ = ok[unsafe.Offsetof(s1.callback)-88]
	_ = ok[unsafe.Offsetof(s1._reserved)-92]
}
