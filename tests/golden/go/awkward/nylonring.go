// Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --schema awkward.toml

// Package nylonring holds the cgo bindings of the ABI described by the schema.
//
// Awkward names and layouts on purpose.
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

import "strconv"

const (
	// MaxResult (MAX_RESULT): Largest u64.
	MaxResult uint64 = 18446744073709551615
	// MinType (MIN_TYPE): Smallest i32.
	MinType int32 = -2147483648
)

// Kind: An enum with keyword-ish value names and a non-u32 repr.
type Kind uint8

const (
	// KindType (KIND_TYPE): Type.
	KindType Kind = 0
	// KindFunc (KIND_FUNC): Func.
	KindFunc Kind = 1
	// KindMatch (KIND_MATCH): Match.
	KindMatch Kind = 7
	// KindNone (KIND_NONE): None.
	KindNone Kind = 255
)

// String returns the schema's name of the value, or Kind(n) for a value it does not name.
func (v Kind) String() string {
	switch v {
	case KindType:
		return "type"
	case KindFunc:
		return "func"
	case KindMatch:
		return "match"
	case KindNone:
		return "None"
	}
	return "Kind(" + strconv.FormatUint(uint64(v), 10) + ")"
}

// The Go constants above equal the C header's: any difference is an out-of-range or
// negative constant index, and the package does not build.
func _() {
	var ok [1]struct{}
	_ = ok[MaxResult-C.MAX_RESULT]
	_ = ok[MinType-C.MIN_TYPE]
	_ = ok[KindType-C.KIND_TYPE]
	_ = ok[KindFunc-C.KIND_FUNC]
	_ = ok[KindMatch-C.KIND_MATCH]
	_ = ok[KindNone-C.KIND_NONE]
}
