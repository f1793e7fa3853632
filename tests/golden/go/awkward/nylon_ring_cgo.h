/* Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --schema awkward.toml */
/*
 * cgo declarations on top of nylon_ring.h: declarations only, so this header is safe in
 * the preamble of a Go file with //export. Give an exported Go function a parameter or
 * result of type C.<Name>ConstPtr and cgo writes exactly the prototype nylon_ring.h
 * declares (`const <Name> *`), never a conflicting one.
 */
#ifndef AWKWARD_CGO_H
#define AWKWARD_CGO_H

#include "nylon_ring.h"

typedef const Padded *PaddedConstPtr;
typedef const Holder *HolderConstPtr;

#endif /* AWKWARD_CGO_H */
