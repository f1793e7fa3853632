/* Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --schema awkward.toml */
/*
 * Static inline helpers for cgo: Go cannot call a C function pointer, so each function
 * type gets a trampoline nr_call_<Fn>(fn, args...); a NULL pointer does nothing (or
 * returns zero). Include this header only from Go files without //export: a preamble
 * of a file with //export must hold declarations only.
 */
#ifndef AWKWARD_CALLS_H
#define AWKWARD_CALLS_H

#include "nylon_ring_cgo.h"

/** Calls a Visit through its pointer. */
static inline Kind nr_call_Visit(Visit nr__fn, void *type, Padded result, const Holder *holder) {
    Kind nr__zero = {0};
    return nr__fn != NULL ? nr__fn(type, result, holder) : nr__zero;
}

/** Calls a GetHolder through its pointer. */
static inline const Holder *nr_call_GetHolder(GetHolder nr__fn) {
    const Holder *nr__zero = {0};
    return nr__fn != NULL ? nr__fn() : nr__zero;
}

#endif /* AWKWARD_CALLS_H */
