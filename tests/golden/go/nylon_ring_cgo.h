/* Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --abi 1 */
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
typedef const NrHeader *NrHeaderConstPtr;
typedef const NrRequest *NrRequestConstPtr;
typedef const NrHostVTable *NrHostVTableConstPtr;
typedef const NrHostExt *NrHostExtConstPtr;
typedef const NrPluginVTable *NrPluginVTableConstPtr;
typedef const NrPluginInfo *NrPluginInfoConstPtr;
typedef const NrLayoutProbe *NrLayoutProbeConstPtr;

#endif /* NYLON_RING_CGO_H */
