package sdk

import (
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// ErrNoState is returned by the state helpers when the host offers no state extension.
var ErrNoState = errors.New("nylon-ring: the host offers no state extension")

// ErrKeyTooLong is returned by the state helpers for a key an NrStr cannot carry (4 GiB or more).
var ErrKeyTooLong = errors.New("nylon-ring: state key too long for the ABI")

// ErrShutDown is returned by the state helpers once the plugin is shutting down.
var ErrShutDown = errors.New("nylon-ring: the plugin is shut down")

// route is one entry of the frozen routing table.
type route struct {
	name    string
	id      uint32                        // its index in routeTable.byID
	probe   bool                          // a panic probe: inert unless probes are enabled at init
	example Entry                         // what the embedded manifest says about it
	async   bool                          // runs in a goroutine (the payload is copied first)
	stream  bool                          // frames then one terminal frame
	request bool                          // the handler reads request metadata (converted only then)
	invoke  func(c *Call)                 // the handler, adapted
	direct  func(payload []byte) Response // a handler that returns its answer (HandleRawFunc)
	bidi    *bidiHandlers                 // a bidirectional stream instead of a handler

	// requestFunc is a handler with metadata that returns its answer (HandleSyncFunc).
	requestFunc func(req Request, buf []byte) Response
}

type bidiHandlers struct {
	data  StreamHandler
	close StreamCloseHandler
}

// requestInvoker adapts a Handler; a call without metadata gets an empty Request.
func requestInvoker(h Handler) func(c *Call) {
	return func(c *Call) {
		req := Request{Body: c.payload}
		if c.request != nil {
			req = *c.request
		}
		h(req, c.payload, c.Respond)
	}
}

func rawInvoker(h RawHandler) func(c *Call) {
	return func(c *Call) { h(c.payload, c.Respond) }
}

// answerPath is how a frame's bytes reach the host.
type answerPath uint8

const (
	pathCopy  answerPath = iota // send_result: the host copies the bytes before it returns
	pathOwned                   // send_result_owned: the host keeps the bytes until it releases them
	pathLease                   // acquire/commit: the bytes are written into a buffer the host lent
)

// sender delivers one frame to the host and returns the host's answer: Ok, or
// Backpressure when a stream's queue was full and the frame was not taken. A
// generation without owned or leased answers sends every path as a copy.
type sender interface {
	send(sid uint64, status Status, data []byte, path answerPath) Status
}

// stateStore is the host's per-sid state extension.
type stateStore interface {
	set(sid uint64, key string, value []byte) []byte
	get(sid uint64, key string) []byte
}

// session is an open bidirectional stream; its Call lives in the same allocation.
type session struct {
	call     Call
	handlers *bidiHandlers
	respond  func(Response) // call.Respond, made once for every inbound frame
	mu       sync.Mutex     // one inbound frame at a time
}

// sessionShards spreads the open bidirectional streams over maps with their own locks,
// so host threads working on different streams do not write to one shared lock.
const sessionShards = 16

type sessionShard struct {
	mu sync.Mutex
	m  map[uint64]*session
	_  [48]byte // 64 bytes a shard: no two shards' locks share a cache line
}

// engine is one initialised life of the plugin: from the host's init to its shutdown.
// Its routing table is immutable, so the request path reads it without a lock.
type engine struct {
	plugin *Plugin
	routes *routeTable
	out    sender
	state  stateStore // nil when the host offers no state extension
	probes bool       // panic probes answer (else they are inert: Unsupported)
	tasks  tracker    // goroutine handlers in flight
	sends  tracker    // host calls from outside a host call in flight
	done   chan struct{}

	sessions [sessionShards]sessionShard
}

func newEngine(p *Plugin, out sender, state stateStore) *engine {
	rt := &engine{plugin: p, routes: p.table(), out: out, state: state, probes: probesEnabled(),
		done: make(chan struct{})}
	for i := range rt.sessions {
		rt.sessions[i].m = map[uint64]*session{}
	}
	rt.tasks.idle = make(chan struct{})
	rt.sends.idle = make(chan struct{})
	return rt
}

// deliver sends a frame. A send from inside a host call goes straight out; any other
// is counted so shutdown can wait for it, and dropped once shutdown has finished
// (Err). With wait, a frame the host refused with Backpressure is offered again,
// with a growing pause, until the host takes it, shutdown begins or the plugin's
// send timeout passes; without, Backpressure is returned at once.
func (rt *engine) deliver(sid uint64, status Status, data []byte, path answerPath, inHostCall, wait bool) Status {
	if !inHostCall {
		if !rt.sends.enter() {
			return StatusErr
		}
		defer rt.sends.leave()
	}
	got := rt.out.send(sid, status, data, path)
	if got != backpressure || !wait {
		return got
	}
	return rt.retry(sid, status, data, path)
}

// retry offers a refused frame again until the host takes it or waiting is pointless.
func (rt *engine) retry(sid uint64, status Status, data []byte, path answerPath) Status {
	deadline := time.Now().Add(rt.plugin.sendTimeout)
	pause := time.Microsecond
	for {
		select {
		case <-rt.done:
			return backpressure
		case <-time.After(pause):
		}
		if got := rt.out.send(sid, status, data, path); got != backpressure {
			return got
		}
		if time.Now().After(deadline) {
			return backpressure
		}
		pause = min(2*pause, time.Millisecond)
	}
}

// lookup routes an entry name; nil (Unsupported) for an unknown one or an inert probe.
func (rt *engine) lookup(name []byte) *route {
	r := rt.routes.find(name)
	if r != nil && r.probe && !rt.probes {
		return nil
	}
	return r
}

// entryUnknown is what resolve_entry answers for a name no entry has (UINT32_MAX).
const entryUnknown = ^uint32(0)

// resolve is resolve_entry: the id of an entry, or entryUnknown.
func (t *routeTable) resolve(name []byte) uint32 {
	if r := t.find(name); r != nil {
		return r.id
	}
	return entryUnknown
}

// handleByID is handle_by_id: exactly handleRaw for the entry the id names.
func (rt *engine) handleByID(id uint32, sid uint64, payload []byte) Status {
	r := rt.routes.byIndex(id)
	if r == nil || (r.probe && !rt.probes) {
		return StatusUnsupported
	}
	return rt.handleRoute(r, sid, payload)
}

// handleRaw routes one handle_raw call by the bytes of its entry name.
func (rt *engine) handleRaw(name []byte, sid uint64, payload []byte) Status {
	r := rt.lookup(name)
	if r == nil {
		return StatusUnsupported
	}
	return rt.handleRoute(r, sid, payload)
}

// handleRoute answers a HandleRawFunc entry itself: the fast path, one function
// between the exported symbol and the handler. A panic in that handler, before
// anything was sent, is turned into a panic status by the exported function.
func (rt *engine) handleRoute(r *route, sid uint64, payload []byte) Status {
	if r.direct == nil || rt.tasks.isClosing() {
		return rt.start(r, sid, nil, payload)
	}
	resp := r.direct(payload) // exactly one answer by construction, no allocation
	if resp.reject {
		return resp.Status
	}
	rt.out.send(sid, known(resp.Status), resp.Data, pathCopy)
	return StatusOk
}

// known keeps a status no plugin may answer from reaching the host: it becomes Err.
func known(status Status) Status {
	if status > maxAnswerStatus {
		return StatusErr
	}
	return status
}

// start runs a routed call; it returns what handle returns. A panic that escapes it
// (from a HandleRawFunc handler) is turned into Err by the exported function, before
// anything was sent.
func (rt *engine) start(r *route, sid uint64, req *Request, payload []byte) Status {
	if rt.tasks.isClosing() {
		return StatusErr
	}
	if r.direct != nil {
		return rt.answer(r.direct(payload), sid)
	}
	if r.requestFunc != nil {
		return rt.answerRequest(r, sid, req, payload, nil)
	}
	if r.bidi != nil {
		return rt.open(sid, r.bidi)
	}
	c := rt.newCall(sid, req, payload, r.stream)
	if r.async {
		return rt.startAsync(c, r)
	}
	c.onHost = true
	return rt.runOnHost(c, r)
}

// newCall makes the record of one call, with a copy of its metadata when it has some.
func (rt *engine) newCall(sid uint64, req *Request, payload []byte, stream bool) *Call {
	if req == nil {
		return &Call{sid: sid, payload: payload, rt: rt, stream: stream}
	}
	withRequest := &callWithRequest{Call: Call{sid: sid, payload: payload, rt: rt, stream: stream}, req: *req}
	withRequest.request = &withRequest.req
	return &withRequest.Call
}

// answerRequest runs a HandleSyncFunc handler and sends what it returned; req nil
// (a call without metadata) gives it an empty Request. buf is the room the caller
// lends for the answer (nil: none).
func (rt *engine) answerRequest(r *route, sid uint64, req *Request, payload []byte, buf []byte) Status {
	var request Request
	if req != nil {
		request = *req
	}
	request.Body = payload
	return rt.answer(r.requestFunc(request, buf), sid)
}

// scratchView is the room a generation's handle slot lends on its C stack (size bytes)
// as an empty slice; nil for none. The GC ignores it: it is not Go memory.
func scratchView(room unsafe.Pointer, size int) []byte {
	if room == nil {
		return nil
	}
	return unsafe.Slice((*byte)(room), size)[:0]
}

// answer sends what a HandleRawFunc handler returned.
func (rt *engine) answer(resp Response, sid uint64) Status {
	if resp.reject {
		return resp.Status
	}
	rt.out.send(sid, known(resp.Status), resp.Data, pathCopy)
	return StatusOk
}

func (rt *engine) runOnHost(c *Call, r *route) (status Status) {
	defer func() { status = c.finishOnHost(recover()) }()
	r.invoke(c)
	return StatusOk
}

// startAsync runs the handler in a goroutine, one of at most the plugin's
// maxInFlight: when they are all busy the call is refused with busyStatus (nothing is
// sent), which is the backpressure a host sees from a full pool.
func (rt *engine) startAsync(c *Call, r *route) Status {
	switch rt.tasks.enterBounded(rt.plugin.maxInFlight) {
	case enterClosed:
		return StatusErr
	case enterFull:
		return busyStatus
	}
	c.payload = clone(c.payload)
	if c.request != nil {
		c.request.Body = c.payload
	}
	go func() {
		defer rt.tasks.leave()
		defer func() { c.finishAsync(recover()) }()
		r.invoke(c)
	}()
	return StatusOk
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func (rt *engine) shard(sid uint64) *sessionShard {
	return &rt.sessions[(sid*0x9E3779B97F4A7C15)>>60] // Fibonacci hashing: the top 4 bits
}

// open accepts a bidirectional stream: nothing is sent until frames arrive.
func (rt *engine) open(sid uint64, h *bidiHandlers) Status {
	s := &session{call: Call{sid: sid, rt: rt, stream: true}, handlers: h}
	s.respond = s.call.Respond
	sh := rt.shard(sid)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m[sid] != nil {
		return StatusInvalid // the sid is already an open stream
	}
	sh.m[sid] = s
	return StatusOk
}

func (rt *engine) session(sid uint64) *session {
	sh := rt.shard(sid)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.m[sid]
}

// endSession forgets s, unless sid was already reopened as another stream.
func (rt *engine) endSession(sid uint64, s *session) {
	sh := rt.shard(sid)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m[sid] == s {
		delete(sh.m, sid)
	}
}

// streamData hands one inbound frame to the stream's data handler.
func (rt *engine) streamData(sid uint64, data []byte) Status {
	s := rt.session(sid)
	if s == nil {
		return StatusInvalid
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.call.enterHostCall() {
		rt.endSession(sid, s)
		return StatusInvalid
	}
	rt.runStreamHandler(s, data, false)
	if s.call.leaveHostCall() {
		rt.endSession(sid, s)
	}
	return StatusOk
}

// streamClose runs the close handler and ends the stream with StreamEnd if it did not.
func (rt *engine) streamClose(sid uint64) Status {
	s := rt.session(sid)
	if s == nil {
		return StatusInvalid
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer rt.endSession(sid, s)
	if !s.call.enterHostCall() {
		return StatusInvalid
	}
	if s.handlers.close != nil {
		rt.runStreamHandler(s, nil, true)
	}
	s.respond(Response{Status: StatusStreamEnd})
	s.call.leaveHostCall()
	return StatusOk
}

// runStreamHandler runs a bidirectional handler; a panic ends the stream with Err.
func (rt *engine) runStreamHandler(s *session, data []byte, closing bool) {
	defer func() {
		if v := recover(); v != nil {
			s.respond(Response{Status: panicStatus, Data: unfinished(v, true)})
		}
	}()
	if closing {
		s.handlers.close(s.respond)
	} else {
		s.handlers.data(data, s.respond)
	}
}

// shutdown stops new work, waits for goroutine handlers, ends open streams with Err,
// runs OnShutdown, then waits for the last host calls: after it returns, nothing
// reaches the host.
func (rt *engine) shutdown() {
	close(rt.done)
	rt.tasks.closeAndWait()
	for i := range rt.sessions {
		sh := &rt.sessions[i]
		sh.mu.Lock()
		open := sh.m
		sh.m = map[uint64]*session{}
		sh.mu.Unlock()
		for _, s := range open {
			s.respond(Response{Status: StatusErr, Data: []byte("plugin shut down")})
		}
	}
	if fn := rt.plugin.shutdownFn; fn != nil {
		if err := callGuarded(func() error { fn(); return nil }); err != nil {
			logf("OnShutdown: %v", err)
		}
	}
	rt.sends.closeAndWait()
}

func (rt *engine) setState(sid uint64, key string, value []byte) ([]byte, error) {
	return rt.useState(key, func(s stateStore) []byte { return s.set(sid, key, value) })
}

func (rt *engine) getState(sid uint64, key string) ([]byte, error) {
	return rt.useState(key, func(s stateStore) []byte { return s.get(sid, key) })
}

// useState calls the host's state extension, counted like a send so shutdown waits for it.
func (rt *engine) useState(key string, op func(s stateStore) []byte) ([]byte, error) {
	if rt.state == nil {
		return nil, ErrNoState
	}
	if uint64(len(key)) > math.MaxUint32 {
		return nil, ErrKeyTooLong
	}
	if !rt.sends.enter() {
		return nil, ErrShutDown
	}
	defer rt.sends.leave()
	return op(rt.state), nil
}

// probesEnabled says whether this plugin life's panic probes answer: always where the
// generation does not gate them, else only with NYLON_RING_ENABLE_PROBES=1 at init.
func probesEnabled() bool {
	return !gatedProbes || processEnv(EnableProbesVar) == "1"
}

// current is the running plugin life; nil before init and after shutdown.
var current atomic.Pointer[engine]

// Done is closed when the running plugin starts shutting down (and is closed already
// when the plugin is not running), for handlers that loop.
func Done() <-chan struct{} {
	if rt := current.Load(); rt != nil {
		return rt.done
	}
	return closedChan
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// SetState stores value under key in the per-sid host state; see Call.SetState.
func SetState(sid uint64, key string, value []byte) ([]byte, error) {
	if rt := current.Load(); rt != nil {
		return rt.setState(sid, key, value)
	}
	return nil, ErrShutDown
}

// GetState reads the per-sid host state; see Call.GetState.
func GetState(sid uint64, key string) ([]byte, error) {
	if rt := current.Load(); rt != nil {
		return rt.getState(sid, key)
	}
	return nil, ErrShutDown
}

// tracker counts work in flight and lets a closer wait for it. Once closing, enter
// refuses new work. Lock-free on the counting side. idle must be made before use.
// closing, which every call reads, and n, which every tracked call writes, sit a cache
// line apart: background work does not slow the host threads' reads.
type tracker struct {
	closing atomic.Bool
	idle    chan struct{}
	once    sync.Once
	_       cacheLinePad
	n       atomic.Int64
	_       cacheLinePad
}

// cacheLinePad keeps the fields on either side of it off one cache line.
type cacheLinePad [64]byte

// The outcomes of enterBounded.
const (
	entered = iota
	enterFull
	enterClosed
)

// enterBounded is enter with at most limit entries in flight.
func (t *tracker) enterBounded(limit int64) int {
	if t.n.Add(1) > limit {
		t.leave()
		return enterFull
	}
	if t.closing.Load() {
		t.leave()
		return enterClosed
	}
	return entered
}

func (t *tracker) enter() bool {
	t.n.Add(1)
	if t.closing.Load() {
		t.leave()
		return false
	}
	return true
}

func (t *tracker) leave() {
	if t.n.Add(-1) == 0 && t.closing.Load() {
		t.once.Do(func() { close(t.idle) })
	}
}

func (t *tracker) isClosing() bool { return t.closing.Load() }

// closeAndWait refuses new work and waits until the work in flight has left.
func (t *tracker) closeAndWait() {
	t.closing.Store(true)
	if t.n.Load() == 0 {
		t.once.Do(func() { close(t.idle) })
	}
	<-t.idle
}
