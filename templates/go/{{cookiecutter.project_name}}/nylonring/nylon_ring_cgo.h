/* Generated from schema/abi2.toml (schema sha256 e1a3a2de882d757b) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --abi 2 */
/*
 * cgo declarations on top of nylon_ring.h: declarations only, so this header is safe in
 * the preamble of a Go file with //export. Give an exported Go function a parameter or
 * result of type C.<Name>ConstPtr and cgo writes exactly the prototype nylon_ring.h
 * declares (`const <Name> *`), never a conflicting one.
 */
#ifndef NYLON_RING_CGO_H
#define NYLON_RING_CGO_H

#include "nylon_ring.h"

typedef const NrStr *NrStrConstPtr;
typedef const NrBytes *NrBytesConstPtr;
typedef const NrVecU8 *NrVecU8ConstPtr;
typedef const NrOwnedBytes *NrOwnedBytesConstPtr;
typedef const NrBufferLease *NrBufferLeaseConstPtr;
typedef const NrHostVTable *NrHostVTableConstPtr;
typedef const NrPluginVTable *NrPluginVTableConstPtr;
typedef const NrPluginInfo *NrPluginInfoConstPtr;
typedef const NrLayoutProbe *NrLayoutProbeConstPtr;

#endif /* NYLON_RING_CGO_H */
