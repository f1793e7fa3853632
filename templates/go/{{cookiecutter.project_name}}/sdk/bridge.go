package sdk

// The C side of the SDK: views of the host's memory, the host's callbacks, and the
// plugin's static NrPluginInfo. Exported functions live in exports.go, whose preamble
// may only hold declarations; the trampolines included here are static inline.

/*
#cgo CFLAGS: -I${SRCDIR}/../nylonring
#include "nylon_ring_calls.h"
#include "nrgo.h"
*/
import "C"

import (
	"math"
	"sync/atomic"
	"unsafe"

	"{{ cookiecutter.module_path }}/nylonring"
)

// cHost sends frames through the send_result that init bound on the C side
// (nrgo_bind_host), so a send passes no Go-typed pointer: cgo's per-argument pointer
// check, a measurable part of a raw call, has nothing to inspect.
type cHost struct{}

func (cHost) send(sid uint64, status Status, data []byte) {
	C.nrgo_send(C.uint64_t(sid), C.NrStatus(status), bytesArg(data))
}

// cState calls the host's state extension.
type cState struct {
	ctx unsafe.Pointer
	ext *C.NrHostExt
}

func (s *cState) set(sid uint64, key string, value []byte) []byte {
	return copyOut(C.nr_call_NrSetStateFn(s.ext.set_state, s.ctx, C.uint64_t(sid), strArg(key), bytesArg(value)))
}

func (s *cState) get(sid uint64, key string) []byte {
	return copyOut(C.nr_call_NrGetStateFn(s.ext.get_state, s.ctx, C.uint64_t(sid), strArg(key)))
}

// bytesArg lends b to C for the duration of one call (the host copies what it keeps).
func bytesArg(b []byte) C.NrBytes {
	return C.NrBytes{ptr: (*C.uint8_t)(unsafe.SliceData(b)), len: C.uint64_t(len(b))}
}

// strArg lends s to C; the caller made sure it fits an NrStr (see engine.useState).
func strArg(s string) C.NrStr {
	return C.NrStr{ptr: (*C.uint8_t)(unsafe.StringData(s)), len: C.uint32_t(len(s))}
}

// copyOut copies a view into host storage into Go memory; an invalid view gives nil.
func copyOut(b C.NrBytes) []byte {
	view, ok := bytesView(b)
	if !ok {
		return nil
	}
	return clone(view)
}

// bytesView is a Go slice over the host's bytes without copying; false for a NULL
// pointer with a length, or a length Go cannot index.
func bytesView(b C.NrBytes) ([]byte, bool) { return view(b.ptr, uint64(b.len)) }

func strView(s C.NrStr) ([]byte, bool) { return view(s.ptr, uint64(s.len)) }

func view(ptr *C.uint8_t, n uint64) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	if ptr == nil || n > math.MaxInt {
		return nil, false
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(ptr)), int(n)), true
}

func strCopy(s C.NrStr) (string, bool) {
	view, ok := strView(s)
	return string(view), ok
}

// convertRequest copies the host's NrRequest into Go memory; false for bad pointers.
func convertRequest(req C.NrRequestConstPtr) (*Request, bool) {
	method, ok1 := strCopy(req.method)
	path, ok2 := strCopy(req.path)
	query, ok3 := strCopy(req.query)
	if !ok1 || !ok2 || !ok3 || (req.headers == nil && req.headers_len != 0) {
		return nil, false
	}
	out := &Request{Method: method, Path: path, Query: query, Headers: make(map[string]string, int(req.headers_len))}
	if req.headers_len == 0 {
		return out, true
	}
	for _, h := range unsafe.Slice((*C.NrHeader)(unsafe.Pointer(req.headers)), int(req.headers_len)) {
		key, ok1 := strCopy(h.key)
		value, ok2 := strCopy(h.value)
		if !ok1 || !ok2 {
			return nil, false
		}
		out.Headers[key] = value
	}
	return out, true
}

// hostExt is the state extension the host handed over before init (nil if none).
var hostExt atomic.Pointer[C.NrHostExt]

func setHostExt(ext C.NrHostExtConstPtr) {
	hostExt.Store((*C.NrHostExt)(ext))
}

// initPlugin starts a plugin life: it runs OnInit and publishes the routing table.
func initPlugin(hostCtx unsafe.Pointer, vt C.NrHostVTableConstPtr) Status {
	if vt == nil || vt.send_result == nil {
		return StatusInvalid
	}
	if current.Load() != nil {
		return StatusErr // initialised twice without a shutdown
	}
	p, err := startPlugin()
	if err != nil {
		logf("init failed: %v", err)
		return StatusErr
	}
	var state stateStore
	if ext := hostExt.Load(); ext != nil && ext.set_state != nil && ext.get_state != nil {
		state = &cState{ctx: hostCtx, ext: ext}
	}
	C.nrgo_bind_host(C.uintptr_t(uintptr(hostCtx)), vt.send_result)
	if !current.CompareAndSwap(nil, newEngine(p, cHost{}, state)) {
		return StatusErr
	}
	return StatusOk
}

// handleCall validates the host's arguments, routes by entry name and starts the call.
// req is nil for handle_raw.
func handleCall(entry C.NrStr, sid C.uint64_t, req C.NrRequestConstPtr, payload C.NrBytes, raw bool) Status {
	rt := current.Load()
	if rt == nil {
		return StatusErr
	}
	name, ok1 := strView(entry)
	body, ok2 := bytesView(payload)
	if !ok1 || !ok2 || (!raw && req == nil) {
		return StatusInvalid
	}
	r := rt.routes[string(name)]
	if r == nil {
		return StatusUnsupported
	}
	var request *Request
	if !raw && r.request {
		converted, ok := convertRequest(req)
		if !ok {
			return StatusInvalid
		}
		converted.Body = body
		request = converted
	}
	return rt.start(r, uint64(sid), request, body)
}

func streamData(sid C.uint64_t, data C.NrBytes) Status {
	rt := current.Load()
	view, ok := bytesView(data)
	if rt == nil || !ok {
		return StatusInvalid
	}
	return rt.streamData(uint64(sid), view)
}

func streamClose(sid C.uint64_t) Status {
	rt := current.Load()
	if rt == nil {
		return StatusInvalid
	}
	return rt.streamClose(uint64(sid))
}

// shutdownPlugin ends the running life; afterwards nothing calls the host.
func shutdownPlugin() {
	rt := current.Load()
	if rt == nil {
		return
	}
	rt.shutdown()
	current.CompareAndSwap(rt, nil)
	C.nrgo_bind_host(0, nil) // nothing may reach the host now: a stray send finds no function
	hostExt.Store(nil)       // valid only until shutdown returns
}

// setIdentity writes name and version into the static NrPluginInfo (C memory, never freed).
func setIdentity(name, version string) {
	if uint64(len(name)) > math.MaxUint32 || uint64(len(version)) > math.MaxUint32 {
		name, version = "", ""
	}
	C.nrgo_set_identity(C.CString(name), C.uint32_t(len(name)), C.CString(version), C.uint32_t(len(version)))
}

func pluginInfo() C.NrPluginInfoConstPtr { return C.nrgo_plugin_info() }

func layoutProbe() C.NrLayoutProbeConstPtr {
	return C.NrLayoutProbeConstPtr(nylonring.LayoutProbe())
}
