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
// check, a measurable part of a raw call, has nothing to inspect. The pointer receiver
// lets the sender interface call send itself, with no wrapper in between.
type cHost struct{}

func (*cHost) send(sid uint64, status Status, data []byte) {
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

func nameView(ptr C.NrgoNamePtr, n C.uint32_t) ([]byte, bool) {
	return view((*C.uint8_t)(unsafe.Pointer(ptr)), uint64(n))
}

func view(ptr *C.uint8_t, n uint64) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	if ptr == nil || n > math.MaxInt {
		return nil, false
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(ptr)), int(n)), true
}

// convertRequest copies the host's NrRequest into out; false for bad pointers. Every
// string is copied into one buffer, so the metadata costs one allocation for its text
// (plus the header map), whatever the number of headers.
func convertRequest(req C.NrRequestConstPtr, out *Request) bool {
	method, ok1 := strView(req.method)
	path, ok2 := strView(req.path)
	query, ok3 := strView(req.query)
	if !ok1 || !ok2 || !ok3 || (req.headers == nil && req.headers_len != 0) {
		return false
	}
	var headers []C.NrHeader
	if req.headers_len != 0 {
		headers = unsafe.Slice((*C.NrHeader)(unsafe.Pointer(req.headers)), int(req.headers_len))
	}
	size := uint64(len(method)) + uint64(len(path)) + uint64(len(query))
	for i := range headers {
		key, ok1 := strView(headers[i].key)
		value, ok2 := strView(headers[i].value)
		if !ok1 || !ok2 {
			return false
		}
		size += uint64(len(key)) + uint64(len(value))
	}
	if size > math.MaxInt {
		return false // more text than Go can hold in one buffer (32-bit targets)
	}
	text := textBuffer(make([]byte, 0, int(size)))
	out.Method, out.Path, out.Query = text.add(method), text.add(path), text.add(query)
	out.Headers = make(map[string]string, len(headers))
	for i := range headers {
		key, _ := strView(headers[i].key)
		value, _ := strView(headers[i].value)
		out.Headers[text.add(key)] = text.add(value)
	}
	return true
}

// textBuffer hands out strings copied into one buffer sized for all of them up front;
// bytes once handed out are never written again.
type textBuffer []byte

func (t *textBuffer) add(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	start := len(*t)
	*t = append(*t, b...)
	return unsafe.String(&(*t)[start], len(b))
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
	if !current.CompareAndSwap(nil, newEngine(p, &cHost{}, state)) {
		return StatusErr
	}
	return StatusOk
}

// handleCall validates the host's arguments to handle, routes by entry name and starts
// the call, with the request metadata converted only for a handler that reads it.
func handleCall(namePtr C.NrgoNamePtr, nameLen C.uint32_t, sid C.uint64_t, req C.NrRequestConstPtr, payload C.NrBytes) Status {
	rt := current.Load()
	if rt == nil {
		return StatusErr
	}
	name, ok1 := nameView(namePtr, nameLen)
	body, ok2 := bytesView(payload)
	if !ok1 || !ok2 || req == nil {
		return StatusInvalid
	}
	r := rt.routes.find(name)
	if r == nil {
		return StatusUnsupported
	}
	if !r.request {
		return rt.start(r, uint64(sid), nil, body)
	}
	var request Request
	if !convertRequest(req, &request) {
		return StatusInvalid
	}
	request.Body = body
	return rt.start(r, uint64(sid), &request, body)
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
