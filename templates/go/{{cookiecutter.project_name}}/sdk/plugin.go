// Package sdk turns plain Go functions into a nylon-ring plugin.
//
// A plugin registers its entries in an init function and calls BuildPlugin; the
// package exports the C symbols a host looks for (see the generation's exports file:
// nylon_ring_get_plugin_v1 for ABI 1, nylon_ring_get_plugin for ABI 2, and
// nylon_ring_manifest in both) and enforces the ABI's rules so plugin code cannot
// break them:
//
//   - a unary answer goes out exactly once; a stream sends frames then exactly one
//     terminal frame; anything after that is dropped;
//   - a panic in a handler becomes a StatusPanic answer (Err in ABI 1), never a crash
//     of the host;
//   - a handler that returns without answering gets an Err answer;
//   - an unknown entry is answered Unsupported, bad input from the host Invalid;
//   - shutdown waits for every background handler, and after it returns nothing
//     calls the host any more (late sends are dropped).
//
// Where a handler runs:
//
//	Handle(entry, Handler)                goroutine     one answer     with request metadata
//	HandleSync(entry, Handler)            host thread   one answer     with request metadata
//	HandleSyncFunc(entry, func)           host thread   one answer     returned, metadata viewed in place
//	HandleRawFunc(entry, func)            host thread   one answer     returned: the fast path
//	HandleRaw(entry, RawHandler)          host thread   one answer
//	HandleRawAsync(entry, RawHandler)     goroutine     one answer
//	HandleRawStream(entry, RawHandler)    host thread   frames + end
//	HandleStream(entry, data, close)      host thread   bidirectional  inbound frames and close
//	HandleCall(entry, mode, func(*Call))  as mode says  as mode says   sees the sid and the state
//
// A handler that runs on the host thread must answer before it returns; the payload
// it gets is a view of the host's buffer, valid only until it returns (copy it to
// keep it). Goroutine handlers get their own copy.
package sdk

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"{{ cookiecutter.module_path }}/nylonring"
)

// Status is the outcome of a call or of one result frame.
type Status = nylonring.Status

// The statuses every generation of the ABI has (abi2.go adds StatusPanic and
// StatusBackpressure).
const (
	StatusOk          = nylonring.StatusOk
	StatusErr         = nylonring.StatusErr
	StatusInvalid     = nylonring.StatusInvalid
	StatusUnsupported = nylonring.StatusUnsupported
	StatusStreamEnd   = nylonring.StatusStreamEnd
)

// EnableProbesVar is the environment variable that, set to 1 when the host runs init,
// turns the panic probes on where the generation keeps them inert by default.
const EnableProbesVar = "NYLON_RING_ENABLE_PROBES"

// Request is the request metadata the host passed to handle, copied into Go strings,
// except for a HandleSyncFunc handler: there every string and Body are views of the
// host's memory, valid until the handler returns (strings.Clone one to keep it), and
// Headers is nil (read them with Header and EachHeader, which work for every handler).
type Request struct {
	Method  string
	Path    string
	Query   string
	Headers map[string]string
	Body    []byte

	headers hostHeaders // the host's header list, viewed in place (HandleSyncFunc)
}

// hostHeaders is the host's header array, read in place by the generation layer's
// headerAt; its strings were checked when the request was viewed.
type hostHeaders struct {
	list unsafe.Pointer
	n    int
}

// headerAt reads header i of a host header list; set by a generation with headers.
var headerAt func(list unsafe.Pointer, i int) (name, value string)

// Header is the value of the first header called name, "" when there is none.
func (r *Request) Header(name string) string {
	if r.Headers != nil {
		return r.Headers[name]
	}
	for i := 0; i < r.headers.n; i++ {
		if key, value := headerAt(r.headers.list, i); key == name {
			return value
		}
	}
	return ""
}

// EachHeader calls fn with every header (the host's order where they are viewed in
// place) until fn returns false.
func (r *Request) EachHeader(fn func(name, value string) bool) {
	for key, value := range r.Headers {
		if !fn(key, value) {
			return
		}
	}
	for i := 0; i < r.headers.n; i++ {
		if !fn(headerAt(r.headers.list, i)) {
			return
		}
	}
}

// Response is one answer or one stream frame. It is 32 bytes on 64-bit targets (reject
// sits in Status's padding): small enough for the compiler to keep a returned Response
// in registers rather than copy it through memory.
type Response struct {
	Status Status
	reject bool
	Data   []byte
}

// Reject answers with status and nothing else. Given by a handler running on the host
// thread before it sent anything, it makes handle return status, so the host sees a
// rejected request and no result follows; anywhere else it is a terminal frame with
// that status. Ok and StreamEnd are not rejections, and a value outside the enum (or
// Backpressure, which only a host gives) is none a plugin may answer: they become Err.
func Reject(status Status) Response {
	if status == StatusOk || status == StatusStreamEnd || status > maxAnswerStatus {
		status = StatusErr
	}
	return Response{Status: status, reject: true}
}

// Handler handles a request with metadata; it answers through callback.
type Handler func(req Request, payload []byte, callback func(Response))

// RawHandler handles a request without metadata; it answers through callback.
type RawHandler func(payload []byte, callback func(Response))

// StreamHandler handles one inbound frame of a bidirectional stream.
type StreamHandler func(data []byte, callback func(Response))

// StreamCloseHandler handles the end of the inbound half of a bidirectional stream.
// If it returns without a terminal frame, the SDK ends the stream with StreamEnd.
type StreamCloseHandler func(callback func(Response))

// Mode says how a HandleCall handler runs and how many answers it gives.
type Mode uint8

const (
	// Unary: on the host thread, exactly one answer.
	Unary Mode = iota
	// UnaryAsync: in a goroutine, exactly one answer.
	UnaryAsync
	// Stream: on the host thread, Ok frames then exactly one terminal frame.
	Stream
	// StreamAsync: in a goroutine, Ok frames then exactly one terminal frame.
	StreamAsync
)

// Plugin collects entries until BuildPlugin freezes them into a routing table.
type Plugin struct {
	name        string
	version     string
	entries     map[string]*route
	initFn      func() error
	shutdownFn  func()
	err         error
	built       bool
	maxInFlight int64 // goroutine handlers running at once, at most
	sendTimeout time.Duration

	tableOnce sync.Once
	routes    routeTable // frozen from entries on first use (BuildPlugin or init)
}

// DefaultMaxInFlight bounds the goroutine handlers running at once (SetMaxInFlight).
const DefaultMaxInFlight = 4096

// DefaultSendTimeout bounds how long Respond retries a frame the host answered
// Backpressure to (SetSendTimeout).
const DefaultSendTimeout = 5 * time.Second

// NewPlugin starts a plugin with the name and version the host will see.
func NewPlugin(name, version string) *Plugin {
	return &Plugin{name: name, version: version, entries: map[string]*route{},
		maxInFlight: DefaultMaxInFlight, sendTimeout: DefaultSendTimeout}
}

// SetMaxInFlight bounds the goroutine handlers (Handle, HandleRawAsync, the async
// modes) running at once. A call that finds them all busy is refused: handle returns
// Backpressure (Err in ABI 1) and nothing is sent, so the host may retry later.
func (p *Plugin) SetMaxInFlight(n int) {
	if n > 0 {
		p.maxInFlight = int64(n)
	}
}

// SetSendTimeout bounds how long Respond keeps retrying a frame the host refused
// with Backpressure (its stream queue was full) before it drops the frame and ends
// the call; TrySend never waits.
func (p *Plugin) SetSendTimeout(d time.Duration) {
	if d > 0 {
		p.sendTimeout = d
	}
}

// OnInit sets a function run when the host initialises the plugin; an error fails the load.
func (p *Plugin) OnInit(fn func() error) { p.initFn = fn }

// OnShutdown sets a function run at shutdown, after every background handler finished.
func (p *Plugin) OnShutdown(fn func()) { p.shutdownFn = fn }

// Handle registers a handler with request metadata that runs in a goroutine and answers once.
func (p *Plugin) Handle(entry string, h Handler) *Entry {
	return p.add(entry, h != nil, &route{async: true, request: true, invoke: requestInvoker(h)})
}

// HandleSync registers a handler with request metadata that runs on the host thread and answers once.
func (p *Plugin) HandleSync(entry string, h Handler) *Entry {
	return p.add(entry, h != nil, &route{request: true, invoke: requestInvoker(h)})
}

// HandleSyncFunc registers a handler with request metadata that runs on the host
// thread and returns its one answer (or Reject(status)): the fast path for requests,
// with no goroutine, no callback, no copy and no allocation by the SDK. req's strings
// and req.Body are views of the host's memory and req.Headers is nil (see Request).
// buf is an empty buffer with room for small answers (it lives as long as the call):
// append the answer to it and return it as Data; a longer answer grows into Go
// memory as append does. Keep neither past the return. A panic answers Err.
func (p *Plugin) HandleSyncFunc(entry string, h func(req Request, buf []byte) Response) *Entry {
	return p.add(entry, h != nil, &route{request: true, requestFunc: h})
}

// HandleRaw registers a handler that runs on the host thread and answers once: the fast path.
func (p *Plugin) HandleRaw(entry string, h RawHandler) *Entry {
	return p.add(entry, h != nil, &route{invoke: rawInvoker(h)})
}

// HandleRawFunc registers a handler that runs on the host thread and returns its one
// answer (or Reject(status)): the fastest path, with no callback and no allocation by
// the SDK. A panic answers Err.
func (p *Plugin) HandleRawFunc(entry string, h func(payload []byte) Response) *Entry {
	return p.add(entry, h != nil, &route{direct: h})
}

// HandleRawAsync registers a handler that runs in a goroutine and answers once.
func (p *Plugin) HandleRawAsync(entry string, h RawHandler) *Entry {
	return p.add(entry, h != nil, &route{async: true, invoke: rawInvoker(h)})
}

// HandleRawStream registers a handler that runs on the host thread and sends Ok frames
// then one terminal frame (StreamEnd, or an error status).
func (p *Plugin) HandleRawStream(entry string, h RawHandler) *Entry {
	return p.add(entry, h != nil, &route{stream: true, invoke: rawInvoker(h)})
}

// HandleStream registers a bidirectional stream: opening entry accepts the stream;
// each inbound frame goes to data, the inbound close to closeFn (which may be nil).
func (p *Plugin) HandleStream(entry string, data StreamHandler, closeFn StreamCloseHandler) *Entry {
	return p.add(entry, data != nil, &route{stream: true, bidi: &bidiHandlers{data: data, close: closeFn}})
}

// HandleCall registers a handler that sees the whole call (sid, request, payload,
// state) and runs as mode says.
func (p *Plugin) HandleCall(entry string, mode Mode, h func(*Call)) *Entry {
	r := &route{async: mode == UnaryAsync || mode == StreamAsync, stream: mode == Stream || mode == StreamAsync,
		request: true, invoke: h}
	return p.add(entry, h != nil && mode <= StreamAsync, r)
}

// PanicProbe registers an entry that panics on purpose, for the conformance suite's
// panic-safety check: on the host thread, or in a goroutine when async. Where the
// generation gates probes (ABI 2), a probe answers Unsupported unless
// NYLON_RING_ENABLE_PROBES=1 was set when the host ran init; the containment that
// catches its panic is the same code as for every other handler. The embedded
// manifest lists it under [[panic_probes]].
func (p *Plugin) PanicProbe(entry string, async bool, h RawHandler) *Entry {
	return p.add(entry, h != nil, &route{async: async, probe: true, invoke: rawInvoker(h)})
}

// Err reports the first registration mistake (empty or repeated entry name, nil
// handler, registration after BuildPlugin); the host's init then fails.
func (p *Plugin) Err() error { return p.err }

// add registers r under entry and returns its description for the embedded manifest
// (a detached one after a mistake, so chained calls stay harmless).
func (p *Plugin) add(entry string, valid bool, r *route) *Entry {
	r.name = entry
	switch {
	case p.err != nil:
	case p.built:
		p.err = fmt.Errorf("entry %q registered after BuildPlugin", entry)
	case entry == "":
		p.err = fmt.Errorf("empty entry name")
	case !valid:
		p.err = fmt.Errorf("entry %q: nil handler or unknown mode", entry)
	case p.entries[entry] != nil:
		p.err = fmt.Errorf("entry %q registered twice", entry)
	default:
		p.entries[entry] = r
	}
	return &r.example
}

// table is the frozen routing table: built once, from the entries as registered when
// the plugin was built, so entry ids (resolve_entry) never change for a loaded library.
func (p *Plugin) table() *routeTable {
	p.tableOnce.Do(func() { p.routes = newRouteTable(p.entries) })
	return &p.routes
}

// registered is the plugin BuildPlugin froze; init reads it.
var registered atomic.Pointer[Plugin]

// BuildPlugin freezes p's entries and makes it the plugin this library exports.
// Call it once, from an init function of package main.
func BuildPlugin(p *Plugin) {
	p.built = true
	p.table()
	registered.Store(p)
	setIdentity(p.name, p.version)
	setManifest(renderManifest(p))
}

// RegisterPlugin is BuildPlugin under its older name.
func RegisterPlugin(p *Plugin) { BuildPlugin(p) }

// startPlugin runs OnInit and returns the routing table, or an error that fails the load.
func startPlugin() (*Plugin, error) {
	p := registered.Load()
	if p == nil {
		return nil, fmt.Errorf("no plugin: call sdk.BuildPlugin from an init function")
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.initFn == nil {
		return p, nil
	}
	if err := callGuarded(p.initFn); err != nil {
		return nil, fmt.Errorf("OnInit: %w", err)
	}
	return p, nil
}

// callGuarded runs fn; a panic becomes an error.
func callGuarded(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return fn()
}

// logf reports a problem the host has no channel for (a failed init's reason).
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "nylon-ring plugin: "+format+"\n", args...)
}
