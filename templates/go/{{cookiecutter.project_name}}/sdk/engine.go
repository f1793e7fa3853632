package sdk

import (
	"errors"
	"math"
	"sync"
	"sync/atomic"
)

// ErrNoState is returned by the state helpers when the host offers no state extension.
var ErrNoState = errors.New("nylon-ring: the host offers no state extension")

// ErrKeyTooLong is returned by the state helpers for a key an NrStr cannot carry (4 GiB or more).
var ErrKeyTooLong = errors.New("nylon-ring: state key too long for the ABI")

// ErrShutDown is returned by the state helpers once the plugin is shutting down.
var ErrShutDown = errors.New("nylon-ring: the plugin is shut down")

// route is one entry of the frozen routing table.
type route struct {
	async   bool                          // runs in a goroutine (the payload is copied first)
	stream  bool                          // frames then one terminal frame
	request bool                          // the handler reads request metadata (converted only then)
	invoke  func(c *Call)                 // the handler, adapted
	direct  func(payload []byte) Response // a handler that returns its answer (HandleRawFunc)
	bidi    *bidiHandlers                 // a bidirectional stream instead of a handler
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

// sender delivers one frame to the host.
type sender interface {
	send(sid uint64, status Status, data []byte)
}

// stateStore is the host's per-sid state extension.
type stateStore interface {
	set(sid uint64, key string, value []byte) []byte
	get(sid uint64, key string) []byte
}

// session is an open bidirectional stream.
type session struct {
	call     *Call
	handlers *bidiHandlers
	mu       sync.Mutex // one inbound frame at a time
}

// engine is one initialised life of the plugin: from the host's init to its shutdown.
// Its routing table is immutable, so the request path reads it without a lock.
type engine struct {
	plugin *Plugin
	routes map[string]*route
	out    sender
	state  stateStore // nil when the host offers no state extension
	tasks  tracker    // goroutine handlers in flight
	sends  tracker    // host calls from outside handle in flight
	done   chan struct{}

	sessionsMu sync.Mutex
	sessions   map[uint64]*session
}

func newEngine(p *Plugin, out sender, state stateStore) *engine {
	routes := make(map[string]*route, len(p.entries))
	for name, r := range p.entries {
		routes[name] = r
	}
	rt := &engine{plugin: p, routes: routes, out: out, state: state, done: make(chan struct{}),
		sessions: map[uint64]*session{}}
	rt.tasks.idle = make(chan struct{})
	rt.sends.idle = make(chan struct{})
	return rt
}

// deliver sends a frame. A send from inside handle goes straight out; any other is
// counted so shutdown can wait for it, and dropped once shutdown has finished.
func (rt *engine) deliver(sid uint64, status Status, data []byte, onHost bool) {
	if onHost {
		rt.out.send(sid, status, data)
		return
	}
	if !rt.sends.enter() {
		return
	}
	defer rt.sends.leave()
	rt.out.send(sid, status, data)
}

// start runs a routed call; it returns what handle returns.
func (rt *engine) start(r *route, sid uint64, req *Request, payload []byte) Status {
	if rt.tasks.isClosing() {
		return StatusErr
	}
	if r.direct != nil {
		return rt.runDirect(r.direct, sid, payload)
	}
	c := &Call{sid: sid, request: req, payload: payload, rt: rt, stream: r.stream}
	if r.bidi != nil {
		return rt.open(c, r.bidi)
	}
	if r.async {
		return rt.startAsync(c, r)
	}
	c.onHost = true
	return rt.runOnHost(c, r)
}

// runDirect answers with what h returns: exactly one answer by construction, no
// allocation. A panic (before anything was sent) rejects the call with Err.
func (rt *engine) runDirect(h func(payload []byte) Response, sid uint64, payload []byte) (status Status) {
	defer func() {
		if recover() != nil {
			status = StatusErr
		}
	}()
	resp := h(payload)
	if resp.reject {
		return resp.Status
	}
	if resp.Status > StatusStreamEnd {
		resp.Status = StatusErr
	}
	rt.out.send(sid, resp.Status, resp.Data)
	return StatusOk
}

func (rt *engine) runOnHost(c *Call, r *route) (status Status) {
	defer func() { status = c.finishOnHost(recover()) }()
	r.invoke(c)
	return StatusOk
}

func (rt *engine) startAsync(c *Call, r *route) Status {
	if !rt.tasks.enter() {
		return StatusErr
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

// open accepts a bidirectional stream: nothing is sent until frames arrive.
func (rt *engine) open(c *Call, h *bidiHandlers) Status {
	rt.sessionsMu.Lock()
	defer rt.sessionsMu.Unlock()
	if rt.sessions[c.sid] != nil {
		return StatusInvalid // the sid is already an open stream
	}
	rt.sessions[c.sid] = &session{call: c, handlers: h}
	return StatusOk
}

func (rt *engine) session(sid uint64) *session {
	rt.sessionsMu.Lock()
	defer rt.sessionsMu.Unlock()
	return rt.sessions[sid]
}

func (rt *engine) endSession(sid uint64) {
	rt.sessionsMu.Lock()
	defer rt.sessionsMu.Unlock()
	delete(rt.sessions, sid)
}

// streamData hands one inbound frame to the stream's data handler.
func (rt *engine) streamData(sid uint64, data []byte) Status {
	return rt.withSession(sid, func(s *session) {
		rt.runStreamHandler(s, func() { s.handlers.data(data, s.call.Respond) })
		if s.call.isDone() {
			rt.endSession(sid)
		}
	})
}

// streamClose runs the close handler and ends the stream with StreamEnd if it did not.
func (rt *engine) streamClose(sid uint64) Status {
	return rt.withSession(sid, func(s *session) {
		defer rt.endSession(sid)
		if s.handlers.close != nil {
			rt.runStreamHandler(s, func() { s.handlers.close(s.call.Respond) })
		}
		s.call.Respond(Response{Status: StatusStreamEnd})
	})
}

// withSession runs fn on the open stream sid, one inbound event at a time; Invalid
// for a sid that is not an open stream.
func (rt *engine) withSession(sid uint64, fn func(s *session)) Status {
	s := rt.session(sid)
	if s == nil {
		return StatusInvalid
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.call.isDone() {
		rt.endSession(sid)
		return StatusInvalid
	}
	fn(s)
	return StatusOk
}

// runStreamHandler runs a bidirectional handler; a panic ends the stream with Err.
func (rt *engine) runStreamHandler(s *session, fn func()) {
	defer func() {
		if v := recover(); v != nil {
			s.call.Respond(Response{Status: StatusErr, Data: unfinished(v, true)})
		}
	}()
	fn()
}

// shutdown stops new work, waits for goroutine handlers, ends open streams with Err,
// runs OnShutdown, then waits for the last host calls: after it returns, nothing
// reaches the host.
func (rt *engine) shutdown() {
	close(rt.done)
	rt.tasks.closeAndWait()
	rt.sessionsMu.Lock()
	open := rt.sessions
	rt.sessions = map[uint64]*session{}
	rt.sessionsMu.Unlock()
	for _, s := range open {
		s.call.Respond(Response{Status: StatusErr, Data: []byte("plugin shut down")})
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
type tracker struct {
	n       atomic.Int64
	closing atomic.Bool
	idle    chan struct{}
	once    sync.Once
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
