package sdk

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// frame is one send_result as the fake host saw it.
type frame struct {
	sid    uint64
	status Status
	data   string
}

// fakeHost records frames instead of calling C. refuse frames in a row are answered
// Backpressure (and not recorded) before it takes one again.
type fakeHost struct {
	mu     sync.Mutex
	frames []frame
	paths  []answerPath
	refuse int
}

func (h *fakeHost) send(sid uint64, status Status, data []byte, path answerPath) Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refuse > 0 {
		h.refuse--
		return backpressure
	}
	h.frames = append(h.frames, frame{sid, status, string(data)})
	h.paths = append(h.paths, path)
	return StatusOk
}

func (h *fakeHost) got() []frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]frame(nil), h.frames...)
}

// fakeState is an in-memory per-sid state extension.
type fakeState struct {
	mu     sync.Mutex
	values map[string][]byte
}

func (s *fakeState) set(sid uint64, key string, value []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[key] = append([]byte(nil), value...)
	return s.values[key]
}

func (s *fakeState) get(sid uint64, key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[key]
}

func ok(data string) Response { return Response{Status: StatusOk, Data: []byte(data)} }

// run registers entries with setup and returns a running plugin life over a fake host.
func run(t *testing.T, setup func(p *Plugin)) (*engine, *fakeHost) {
	t.Helper()
	p := NewPlugin("test", "0.0.0")
	setup(p)
	if p.Err() != nil {
		t.Fatalf("registration: %v", p.Err())
	}
	host := &fakeHost{}
	return newEngine(p, host, nil), host
}

// call makes a handle_raw call as the exported function does: a panic that reaches it
// is Err (exports.go).
func call(t *testing.T, rt *engine, entry string, sid uint64, payload string) (status Status) {
	t.Helper()
	if rt.routes.find([]byte(entry)) == nil {
		t.Fatalf("no entry %q", entry)
	}
	defer func() {
		if recover() != nil {
			status = panicStatus
		}
	}()
	return rt.handleRaw([]byte(entry), sid, []byte(payload))
}

func expect(t *testing.T, got []frame, want ...frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("frames %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("frame %d is %v, want %v (all: %v)", i, got[i], want[i], got)
		}
	}
}

// expectErr checks that the only frame is an Err for sid whose text contains want.
func expectErr(t *testing.T, got []frame, sid uint64, want string) {
	t.Helper()
	expectStatus(t, got, sid, StatusErr, want)
}

// expectStatus checks that the only frame has sid and status, and text containing want.
func expectStatus(t *testing.T, got []frame, sid uint64, status Status, want string) {
	t.Helper()
	if len(got) != 1 || got[0].sid != sid || got[0].status != status || !strings.Contains(got[0].data, want) {
		t.Fatalf("frames %v, want one %v for sid %d containing %q", got, status, sid, want)
	}
}

func TestUnaryAnswersExactlyOnce(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRaw("twice", func(payload []byte, callback func(Response)) {
			callback(ok("first"))
			callback(ok("second"))
			callback(Response{Status: StatusErr})
		})
	})
	if status := call(t, rt, "twice", 7, ""); status != StatusOk {
		t.Fatalf("handle returned %v", status)
	}
	expect(t, host.got(), frame{7, StatusOk, "first"})
}

func TestStreamEndsWithOneTerminalFrame(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawStream("s", func(payload []byte, callback func(Response)) {
			callback(ok("a"))
			callback(ok("b"))
			callback(Response{Status: StatusStreamEnd})
			callback(ok("late"))
			callback(Response{Status: StatusErr})
		})
	})
	call(t, rt, "s", 1, "")
	expect(t, host.got(), frame{1, StatusOk, "a"}, frame{1, StatusOk, "b"}, frame{1, StatusStreamEnd, ""})
}

func TestRejectOnHostThreadSendsNothing(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawStream("s", func(payload []byte, callback func(Response)) {
			callback(Reject(StatusInvalid))
			callback(ok("ignored"))
		})
	})
	if status := call(t, rt, "s", 1, ""); status != StatusInvalid {
		t.Fatalf("handle returned %v, want Invalid", status)
	}
	expect(t, host.got())
}

func TestRejectAfterAFrameIsATerminalFrame(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawStream("s", func(payload []byte, callback func(Response)) {
			callback(ok("a"))
			callback(Reject(StatusInvalid))
		})
	})
	if status := call(t, rt, "s", 1, ""); status != StatusOk {
		t.Fatalf("handle returned %v", status)
	}
	expect(t, host.got(), frame{1, StatusOk, "a"}, frame{1, StatusInvalid, ""})
}

func TestPanicOnHostThreadIsErr(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRaw("boom", func(payload []byte, callback func(Response)) { panic("boom") })
		p.HandleRawStream("late", func(payload []byte, callback func(Response)) {
			callback(ok("a"))
			panic("late boom")
		})
	})
	if status := call(t, rt, "boom", 1, ""); status != panicStatus {
		t.Fatalf("handle returned %v, want %v", status, panicStatus)
	}
	if status := call(t, rt, "late", 2, ""); status != StatusOk {
		t.Fatalf("handle returned %v", status)
	}
	frames := host.got()
	if len(frames) != 2 || frames[1].status != panicStatus || !strings.Contains(frames[1].data, "late boom") {
		t.Fatalf("frames %v", frames)
	}
}

func TestHandlerThatForgetsToAnswerGetsErr(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRaw("silent", func(payload []byte, callback func(Response)) {})
		p.HandleRawAsync("silent_async", func(payload []byte, callback func(Response)) {})
	})
	if status := call(t, rt, "silent", 1, ""); status != StatusErr {
		t.Fatalf("handle returned %v, want Err", status)
	}
	call(t, rt, "silent_async", 2, "")
	rt.shutdown()
	expectErr(t, host.got(), 2, "without an answer")
}

func TestGoroutinePanicIsErr(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawAsync("boom", func(payload []byte, callback func(Response)) { panic("async boom") })
	})
	if status := call(t, rt, "boom", 3, ""); status != StatusOk {
		t.Fatalf("handle returned %v", status)
	}
	rt.shutdown()
	expectStatus(t, host.got(), 3, panicStatus, "async boom")
}

func TestAsyncPayloadIsACopy(t *testing.T) {
	release := make(chan struct{})
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawAsync("echo", func(payload []byte, callback func(Response)) {
			<-release
			callback(Response{Status: StatusOk, Data: payload})
		})
	})
	buf := []byte("original")
	rt.handleRaw([]byte("echo"), 1, buf)
	copy(buf, "CHANGED!") // the host reuses its buffer once handle returned
	close(release)
	rt.shutdown()
	expect(t, host.got(), frame{1, StatusOk, "original"})
}

func TestShutdownWaitsForGoroutines(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawAsync("slow", func(payload []byte, callback func(Response)) {
			close(started)
			<-release
			callback(ok("finished"))
		})
	})
	call(t, rt, "slow", 1, "")
	<-started
	returned := make(chan struct{})
	go func() { rt.shutdown(); close(returned) }()
	for !rt.tasks.isClosing() {
		runtime.Gosched() // until shutdown has begun
	}
	close(release)
	<-returned
	// The handler's answer went out before shutdown returned, not after (dropped).
	expect(t, host.got(), frame{1, StatusOk, "finished"})
	if status := call(t, rt, "slow", 2, ""); status != StatusErr {
		t.Fatalf("a call after shutdown returned %v, want Err", status)
	}
}

func TestSendsAfterShutdownAreDropped(t *testing.T) {
	var kept func(Response)
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawStream("keep", func(payload []byte, callback func(Response)) {
			kept = callback
			callback(ok("first"))
		})
	})
	call(t, rt, "keep", 1, "")
	rt.shutdown()
	kept(ok("after shutdown"))
	// The handler returned without ending its stream: the SDK ended it with Err.
	frames := host.got()
	if len(frames) != 2 || frames[1].status != StatusErr {
		t.Fatalf("frames %v", frames)
	}
}

func TestBidirectionalStream(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleStream("chat",
			func(data []byte, callback func(Response)) { callback(Response{Status: StatusOk, Data: data}) },
			nil)
	})
	if status := call(t, rt, "chat", 5, ""); status != StatusOk {
		t.Fatalf("open returned %v", status)
	}
	if status := call(t, rt, "chat", 5, ""); status != StatusInvalid {
		t.Fatalf("opening an open sid returned %v, want Invalid", status)
	}
	rt.streamData(5, []byte("ping"))
	if status := rt.streamData(6, []byte("x")); status != StatusInvalid {
		t.Fatalf("unknown sid returned %v", status)
	}
	rt.streamClose(5)
	if status := rt.streamClose(5); status != StatusInvalid {
		t.Fatalf("closing twice returned %v", status)
	}
	expect(t, host.got(), frame{5, StatusOk, "ping"}, frame{5, StatusStreamEnd, ""})
}

func TestShutdownEndsOpenStreamsWithErr(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleStream("chat", func(data []byte, callback func(Response)) {}, nil)
	})
	call(t, rt, "chat", 9, "")
	rt.shutdown()
	expectErr(t, host.got(), 9, "shut down")
}

// Streams spread over the session shards: every one is found, and shutdown ends all.
func TestManyOpenStreams(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleStream("chat", func(data []byte, callback func(Response)) { callback(Response{Data: data}) }, nil)
	})
	const streams = 100
	for sid := uint64(1); sid <= streams; sid++ {
		if status := call(t, rt, "chat", sid*7919, ""); status != StatusOk {
			t.Fatalf("open %d: %v", sid, status)
		}
	}
	for sid := uint64(1); sid <= streams; sid++ {
		if status := rt.streamData(sid*7919, []byte("x")); status != StatusOk {
			t.Fatalf("stream_data %d: %v", sid, status)
		}
	}
	rt.shutdown()
	ended := map[uint64]bool{}
	for _, f := range host.got() {
		if f.status == StatusErr {
			ended[f.sid] = true
		}
	}
	if len(ended) != streams {
		t.Fatalf("%d of %d streams ended at shutdown", len(ended), streams)
	}
}

// The route table finds every registered name, of every length, and nothing else:
// not a name with any one byte changed, nor one a byte longer or shorter.
func TestRouteTableMatchesExactNames(t *testing.T) {
	entries := map[string]*route{}
	for n := 1; n <= 40; n++ {
		for _, fill := range []byte{'a', 'b'} {
			name := strings.Repeat(string(fill), n-1) + "z"
			entries[name] = &route{}
			entries["z"+name[1:]] = &route{}
		}
	}
	long := strings.Repeat("long", 80) // past the length index
	entries[long] = &route{}
	entries[long+"!"] = &route{}
	table := newRouteTable(entries)
	for name, want := range entries {
		if got := table.find([]byte(name)); got != want {
			t.Fatalf("find(%q) = %p, want %p", name, got, want)
		}
		for _, other := range variants(name) {
			if got := table.find([]byte(other)); got != entries[other] {
				t.Fatalf("find(%q) = %p, want %p", other, got, entries[other])
			}
		}
	}
	for _, name := range []string{"", "e", "\x00", strings.Repeat("e", 65536)} {
		if table.find([]byte(name)) != nil {
			t.Fatalf("find(%q) found a route", name)
		}
	}
}

// variants is name with each byte in turn changed, plus one byte more and one less.
func variants(name string) []string {
	out := []string{name + "z", name[:len(name)-1]}
	for i := range name {
		b := []byte(name)
		b[i] ^= 0x20
		out = append(out, string(b))
	}
	return out
}

// A Response stays 32 bytes on 64-bit targets, the size up to which the compiler keeps
// a returned value in registers: the fast path depends on it.
func TestResponseFitsInRegisters(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) == 8 && unsafe.Sizeof(Response{}) != 32 {
		t.Fatalf("Response is %d bytes, want 32", unsafe.Sizeof(Response{}))
	}
}

func TestRejectNeverCarriesAStatusOutsideTheEnum(t *testing.T) {
	for _, status := range []Status{StatusOk, StatusStreamEnd, maxAnswerStatus + 1, backpressure, 99, ^Status(0)} {
		if got := Reject(status).Status; got != StatusErr {
			t.Errorf("Reject(%d) carries %d, want Err", status, got)
		}
	}
	for _, status := range []Status{StatusErr, StatusInvalid, StatusUnsupported} {
		if got := Reject(status).Status; got != status {
			t.Errorf("Reject(%d) carries %d", status, got)
		}
	}
}

func TestStatusOutsideTheEnumBecomesErr(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRaw("odd", func(payload []byte, callback func(Response)) { callback(Response{Status: 99}) })
	})
	call(t, rt, "odd", 1, "")
	expect(t, host.got(), frame{1, StatusErr, ""})
}

func TestState(t *testing.T) {
	p := NewPlugin("test", "0.0.0")
	p.HandleCall("state", Unary, func(c *Call) {
		if _, err := c.SetState("k", c.Payload()); err != nil {
			c.Respond(Reject(StatusUnsupported))
			return
		}
		value, _ := c.GetState("k")
		c.Respond(Response{Status: StatusOk, Data: value})
	})
	host := &fakeHost{}
	rt := newEngine(p, host, &fakeState{values: map[string][]byte{}})
	call(t, rt, "state", 4, "kept")
	expect(t, host.got(), frame{4, StatusOk, "kept"})

	bare := newEngine(p, host, nil)
	if status := call(t, bare, "state", 5, "kept"); status != StatusUnsupported {
		t.Fatalf("without a state extension: %v, want Unsupported", status)
	}
	if _, err := bare.getState(5, "k"); err != ErrNoState {
		t.Fatalf("getState: %v, want ErrNoState", err)
	}
}

func TestRegistrationMistakes(t *testing.T) {
	noop := func(payload []byte, callback func(Response)) {}
	cases := map[string]func(p *Plugin){
		"registered twice":   func(p *Plugin) { p.HandleRaw("a", noop); p.HandleRaw("a", noop) },
		"empty entry name":   func(p *Plugin) { p.HandleRaw("", noop) },
		"nil handler":        func(p *Plugin) { p.HandleRaw("a", nil) },
		"after BuildPlugin":  func(p *Plugin) { p.built = true; p.HandleRaw("a", noop) },
		"nil handler or unk": func(p *Plugin) { p.HandleCall("a", Mode(9), func(*Call) {}) },
	}
	for want, setup := range cases {
		p := NewPlugin("test", "0.0.0")
		setup(p)
		if p.Err() == nil || !strings.Contains(p.Err().Error(), want) {
			t.Errorf("%s: Err() = %v", want, p.Err())
		}
	}
}

// answersRejectsAndPanics calls ok (sid 1, payload), "no" (sid 2: rejects Invalid)
// and "boom" (sid 3: panics) and checks what handle returned for each.
func answersRejectsAndPanics(t *testing.T, rt *engine, ok, payload string) {
	t.Helper()
	type outcome struct {
		entry, payload string
		want           Status
	}
	cases := []outcome{
		{ok, payload, StatusOk},
		{"no", "", StatusInvalid},
		{"boom", "", panicStatus},
	}
	for i, c := range cases {
		if status := call(t, rt, c.entry, uint64(i+1), c.payload); status != c.want {
			t.Fatalf("%s returned %v, want %v", c.entry, status, c.want)
		}
	}
}

func TestRawFuncAnswersOnceOrRejects(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawFunc("echo", func(payload []byte) Response { return Response{Status: StatusOk, Data: payload} })
		p.HandleRawFunc("no", func(payload []byte) Response { return Reject(StatusInvalid) })
		p.HandleRawFunc("boom", func(payload []byte) Response { panic("boom") })
	})
	answersRejectsAndPanics(t, rt, "echo", "hi")
	expect(t, host.got(), frame{1, StatusOk, "hi"})
}

// allocsPerCall measures what the SDK allocates for one host-thread raw call.
func allocsPerCall(t *testing.T, setup func(p *Plugin)) float64 {
	rt, _ := run(t, setup)
	rt.out = discard{}
	name, payload := []byte("echo"), []byte("payload")
	return testing.AllocsPerRun(1000, func() { rt.handleRaw(name, 1, payload) })
}

// The fast path allocates nothing; the callback shape only its call record and callback.
func TestRawFastPathAllocations(t *testing.T) {
	direct := allocsPerCall(t, func(p *Plugin) {
		p.HandleRawFunc("echo", func(payload []byte) Response { return Response{Status: StatusOk, Data: payload} })
	})
	if direct != 0 {
		t.Errorf("HandleRawFunc: %.1f allocations per call, want 0", direct)
	}
	callback := allocsPerCall(t, func(p *Plugin) {
		p.HandleRaw("echo", func(payload []byte, callback func(Response)) {
			callback(Response{Status: StatusOk, Data: payload})
		})
	})
	if callback > 2 {
		t.Errorf("HandleRaw: %.1f allocations per call, want at most 2", callback)
	}
}

// HandleSyncFunc answers once with what it returned, rejects, or turns a panic into
// the panic status before anything was sent; with room lent for the answer and the
// request given as views, the SDK allocates nothing.
func TestSyncFuncAnswersOnceWithoutAllocating(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleSyncFunc("hello", func(req Request, buf []byte) Response {
			buf = append(append(buf, req.Method...), ' ')
			buf = append(append(buf, req.Header("x-test")...), ' ')
			return Response{Status: StatusOk, Data: append(buf, req.Body...)}
		})
		p.HandleSyncFunc("no", func(req Request, buf []byte) Response { return Reject(StatusInvalid) })
		p.HandleSyncFunc("boom", func(req Request, buf []byte) Response { panic("boom") })
	})
	answersRejectsAndPanics(t, rt, "hello", "raw")
	route := rt.routes.find([]byte("hello"))
	req := &Request{Method: "GET", Headers: map[string]string{"x-test": "1"}}
	if status := rt.answerRequest(route, 4, req, []byte("body"), nil); status != StatusOk {
		t.Fatalf("hello with a request returned %v", status)
	}
	expect(t, host.got(), frame{1, StatusOk, "  raw"}, frame{4, StatusOk, "GET 1 body"})

	rt.out = discard{}
	view, room, payload := &Request{Method: "GET"}, make([]byte, 0, 64), []byte("payload")
	if n := testing.AllocsPerRun(1000, func() { rt.answerRequest(route, 5, view, payload, room) }); n != 0 {
		t.Errorf("HandleSyncFunc: %.1f allocations per call, want 0", n)
	}
}

// Header and EachHeader read the Headers map of a copied request.
func TestRequestHeaderAccessors(t *testing.T) {
	req := Request{Headers: map[string]string{"a": "1", "b": "2"}}
	if req.Header("a") != "1" || req.Header("c") != "" {
		t.Fatalf("Header: %q %q", req.Header("a"), req.Header("c"))
	}
	seen := map[string]string{}
	req.EachHeader(func(name, value string) bool { seen[name] = value; return true })
	if len(seen) != 2 || seen["b"] != "2" {
		t.Fatalf("EachHeader saw %v", seen)
	}
	stops := 0
	req.EachHeader(func(string, string) bool { stops++; return false })
	if stops != 1 {
		t.Fatalf("EachHeader went on after false: %d calls", stops)
	}
}

type discard struct{}

func (discard) send(uint64, Status, []byte, answerPath) Status { return StatusOk }

func TestTrySendReportsBackpressureAndKeepsTheCall(t *testing.T) {
	var got []Status
	rt, host := run(t, func(p *Plugin) {
		p.HandleCall("s", Stream, func(c *Call) {
			got = append(got, c.TrySend(ok("a")), c.TrySend(ok("a")))
			c.Respond(Response{Status: StatusStreamEnd})
		})
	})
	host.refuse = 1
	call(t, rt, "s", 1, "")
	if len(got) != 2 || got[0] != backpressure || got[1] != StatusOk {
		t.Fatalf("TrySend gave %v, want [Backpressure Ok]", got)
	}
	expect(t, host.got(), frame{1, StatusOk, "a"}, frame{1, StatusStreamEnd, ""})
}

// Go moves the rest of a host-thread stream to a goroutine once the host refuses a
// frame: handle returns Ok at once, the goroutine's frames follow in order, then one
// terminal frame; a second Go is refused, and a Reject from the goroutine is a
// terminal frame, never a lost answer.
func TestGoFinishesAStreamAfterBackpressure(t *testing.T) {
	var again bool
	rt, host := run(t, func(p *Plugin) {
		p.HandleCall("s", Stream, func(c *Call) {
			payload := c.Payload()
			if c.TrySend(ok("0")) != StatusOk || c.TrySend(ok("1")) != backpressure {
				t.Error("the host took the frames in an unexpected way")
			}
			c.Go(func(c *Call) {
				c.Send(ok("1"))
				c.Send(Response{Status: StatusOk, Data: c.Payload()})
				c.Respond(Response{Status: StatusStreamEnd})
			})
			again = c.Go(func(*Call) {})
			copy(payload, "XXXX") // the host's buffer is reused once handle returns
		})
		p.HandleCall("r", Stream, func(c *Call) {
			c.Go(func(c *Call) { c.Respond(Reject(StatusInvalid)) })
		})
	})
	var sent atomic.Int32
	rt.out = senderFunc(func(sid uint64, status Status, data []byte, path answerPath) Status {
		if sent.Add(1) == 2 {
			return backpressure
		}
		return host.send(sid, status, data, path)
	})
	payload := []byte("body")
	if status := rt.handleRaw([]byte("s"), 1, payload); status != StatusOk {
		t.Fatalf("handle returned %v", status)
	}
	if status := rt.handleRaw([]byte("r"), 2, nil); status != StatusOk {
		t.Fatalf("handle returned %v", status)
	}
	rt.shutdown()
	if again {
		t.Error("a second Go was accepted")
	}
	got := host.got()
	var one, two []frame
	for _, f := range got {
		if f.sid == 1 {
			one = append(one, f)
		} else {
			two = append(two, f)
		}
	}
	expect(t, one, frame{1, StatusOk, "0"}, frame{1, StatusOk, "1"}, frame{1, StatusOk, "body"},
		frame{1, StatusStreamEnd, ""})
	expect(t, two, frame{2, StatusInvalid, ""})
}

// senderFunc is a sender made of a function.
type senderFunc func(sid uint64, status Status, data []byte, path answerPath) Status

func (f senderFunc) send(sid uint64, status Status, data []byte, path answerPath) Status {
	return f(sid, status, data, path)
}

func TestRespondRetriesAFrameTheHostRefused(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawStream("s", func(payload []byte, callback func(Response)) {
			callback(ok("a"))
			callback(Response{Status: StatusStreamEnd})
		})
	})
	host.refuse = 3
	call(t, rt, "s", 1, "")
	expect(t, host.got(), frame{1, StatusOk, "a"}, frame{1, StatusStreamEnd, ""})
}

func TestRespondGivesUpAfterTheSendTimeout(t *testing.T) {
	var status Status
	rt, host := run(t, func(p *Plugin) {
		p.SetSendTimeout(20 * time.Millisecond)
		p.HandleCall("s", Stream, func(c *Call) {
			status = c.Send(ok("a"))
			c.Respond(Response{Status: StatusStreamEnd}) // dropped: the call ended
		})
	})
	host.refuse = 1 << 30
	call(t, rt, "s", 1, "")
	if status != backpressure || len(host.got()) != 0 {
		t.Fatalf("Send gave %v with frames %v, want Backpressure and none", status, host.got())
	}
}

func TestOwnedAndLeasedAnswersTakeTheirPath(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleCall("owned", Unary, func(c *Call) { c.RespondOwned(ok("o")); c.RespondOwned(ok("again")) })
		p.HandleCall("lease", UnaryAsync, func(c *Call) { c.RespondLease(ok("l")); c.Respond(ok("again")) })
	})
	call(t, rt, "owned", 1, "")
	call(t, rt, "lease", 2, "")
	rt.shutdown()
	expect(t, host.got(), frame{1, StatusOk, "o"}, frame{2, StatusOk, "l"})
	if host.paths[0] != pathOwned || host.paths[1] != pathLease {
		t.Fatalf("paths %v, want [owned lease]", host.paths)
	}
}

func TestEntryIDsDispatchLikeNames(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawFunc("b", func(payload []byte) Response { return ok("b:" + string(payload)) })
		p.HandleRaw("a", func(payload []byte, callback func(Response)) { callback(ok("a:" + string(payload))) })
	})
	a, b := rt.routes.resolve([]byte("a")), rt.routes.resolve([]byte("b"))
	if a != 0 || b != 1 || rt.routes.resolve([]byte("c")) != entryUnknown || rt.routes.resolve(nil) != entryUnknown {
		t.Fatalf("ids a=%d b=%d", a, b)
	}
	if rt.handleByID(b, 1, []byte("x")) != StatusOk || rt.handleByID(a, 2, []byte("y")) != StatusOk {
		t.Fatal("handle_by_id refused a known id")
	}
	if status := rt.handleByID(2, 3, nil); status != StatusUnsupported {
		t.Fatalf("an unknown id: %v, want Unsupported", status)
	}
	if status := rt.handleByID(entryUnknown, 3, nil); status != StatusUnsupported {
		t.Fatalf("NR_ENTRY_UNKNOWN: %v, want Unsupported", status)
	}
	expect(t, host.got(), frame{1, StatusOk, "b:x"}, frame{2, StatusOk, "a:y"})
}

func TestFullGoroutinePoolRefusesTheCall(t *testing.T) {
	release := make(chan struct{})
	rt, host := run(t, func(p *Plugin) {
		p.SetMaxInFlight(1)
		p.HandleRawAsync("slow", func(payload []byte, callback func(Response)) {
			<-release
			callback(ok(string(payload)))
		})
	})
	if status := call(t, rt, "slow", 1, "first"); status != StatusOk {
		t.Fatalf("first call: %v", status)
	}
	if status := call(t, rt, "slow", 2, "second"); status != busyStatus {
		t.Fatalf("second call while the pool is full: %v, want %v", status, busyStatus)
	}
	close(release)
	rt.shutdown()
	expect(t, host.got(), frame{1, StatusOk, "first"})
}

func TestPanicProbesAreGatedAtInit(t *testing.T) {
	setup := func(p *Plugin) {
		p.PanicProbe("panic", false, func(payload []byte, callback func(Response)) { panic("probe") })
	}
	t.Setenv(EnableProbesVar, "")
	off, _ := run(t, setup)
	want := panicStatus
	if gatedProbes {
		want = StatusUnsupported
	}
	if status := call(t, off, "panic", 1, ""); status != want {
		t.Fatalf("probe without %s: %v, want %v", EnableProbesVar, status, want)
	}
	t.Setenv(EnableProbesVar, "1")
	on, _ := run(t, setup)
	if status := call(t, on, "panic", 2, ""); status != panicStatus {
		t.Fatalf("probe with %s=1: %v, want %v", EnableProbesVar, status, panicStatus)
	}
}

func TestManifestComesFromTheRouteTable(t *testing.T) {
	p := NewPlugin("demo \"q\"", "1.0.0")
	p.HandleRawFunc("echo", func(payload []byte) Response { return ok("") }).Sample("hi\n").Expect("hi\n")
	p.HandleRawStream("count", func(payload []byte, callback func(Response)) {}).Sample("2").
		ExpectFrames("StreamEnd", "0", "1")
	p.HandleStream("chat", func(data []byte, callback func(Response)) {}, nil).Send("a")
	p.PanicProbe("panic", true, func(payload []byte, callback func(Response)) {})
	text := renderManifest(p)
	for _, want := range []string{
		"name = \"demo \\\"q\\\"\"\n",
		"[[entries]]\nname = \"chat\"\nmode = \"bidi\"\nsend = [\"a\"]\n",
		"name = \"echo\"\nmode = \"" + manifestMode(p.entries["echo"]) + "\"\npayload = \"hi\\u000a\"\nexpect_status = \"Ok\"\nexpect = \"hi\\u000a\"\n",
		"expect_frames = [\"0\", \"1\"]\nexpect_terminal = \"StreamEnd\"\n",
		"[[panic_probes]]\nname = \"panic\"\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("manifest lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "[[panic_probes]]") < strings.LastIndex(text, "[[entries]]") {
		t.Errorf("probes are listed before an entry:\n%s", text)
	}
}

// Many goroutine answers at once: each call gets exactly its own payload, once.
func TestConcurrentAsyncAnswersAreNeitherLostNorMixed(t *testing.T) {
	rt, host := run(t, func(p *Plugin) {
		p.HandleRawAsync("echo", func(payload []byte, callback func(Response)) {
			callback(Response{Status: StatusOk, Data: payload})
		})
	})
	const calls = 2000
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func(sid uint64) {
			defer wg.Done()
			rt.handleRaw([]byte("echo"), sid, []byte(strconv.FormatUint(sid, 10)))
		}(uint64(i))
	}
	wg.Wait()
	rt.shutdown()
	seen := map[uint64]bool{}
	for _, f := range host.got() {
		if seen[f.sid] || f.data != strconv.FormatUint(f.sid, 10) {
			t.Fatalf("frame %v: duplicated or not its own payload", f)
		}
		seen[f.sid] = true
	}
	if len(seen) != calls {
		t.Fatalf("%d answers, want %d", len(seen), calls)
	}
}
