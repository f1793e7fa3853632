package sdk

import (
	"fmt"
	"sync"
)

// Call is one request: its stream id, metadata and payload, and the guarded way to
// answer it. Its methods are safe to use from any goroutine.
type Call struct {
	sid     uint64
	request *Request // nil for a call without metadata
	payload []byte
	rt      *engine

	mu           sync.Mutex // serialises answers: no frame can pass the terminal one
	stream       bool       // frames then one terminal frame, instead of one answer
	onHost       bool       // the handler runs inside handle, on the host's thread
	inHostCall   bool       // a stream_data or stream_close of this stream is running
	detached     bool       // Go moved the rest of the call to a goroutine
	sent         bool       // at least one frame went to the host
	done         bool       // the terminal answer went out (or the call was rejected)
	rejected     bool       // Reject was given in time: handle returns rejectStatus
	rejectStatus Status
}

// callWithRequest keeps a call's metadata in the same allocation as the call, while a
// call without metadata allocates no room for it.
type callWithRequest struct {
	Call
	req Request
}

// SID is the stream id the host gave this call.
func (c *Call) SID() uint64 { return c.sid }

// Request is the request metadata, or nil for a call that came without it (handle_raw).
func (c *Call) Request() *Request { return c.request }

// Payload is the request body. On the host thread it is a view of the host's buffer,
// valid until the handler returns.
func (c *Call) Payload() []byte { return c.payload }

// Done is closed when the plugin starts shutting down; long handlers should stop then.
func (c *Call) Done() <-chan struct{} { return c.rt.done }

// SetState stores value under key in this call's per-sid host state and returns the
// stored copy; ErrNoState when the host offers no state extension.
func (c *Call) SetState(key string, value []byte) ([]byte, error) {
	return c.rt.setState(c.sid, key, value)
}

// GetState reads the value stored under key for this call (nil when absent).
func (c *Call) GetState(key string) ([]byte, error) { return c.rt.getState(c.sid, key) }

// Respond sends one answer or frame. For a unary call the first answer is the only one;
// in a stream, Ok is a frame and any other status ends it. Anything after the end is
// dropped, and so is anything after shutdown. A frame the host refuses with
// Backpressure (its stream queue is full) is offered again until it is taken, for at
// most the plugin's send timeout (SetSendTimeout); use TrySend not to wait.
func (c *Call) Respond(resp Response) { c.answer(resp, pathCopy, true) }

// Send is Respond that also returns the host's answer: Ok when the frame went out,
// Backpressure when the host still refused it after the send timeout (the frame is
// dropped), Err when it was dropped because the call had ended or the plugin shut down.
func (c *Call) Send(resp Response) Status { return c.answer(resp, pathCopy, true) }

// TrySend offers one frame without waiting: Backpressure means the host's stream queue
// was full, nothing was sent, and the same frame may be offered again later. Other
// results are as for Send.
func (c *Call) TrySend(resp Response) Status { return c.answer(resp, pathCopy, false) }

// RespondOwned answers without a copy by the host (send_result_owned): the host reads
// resp.Data in place until it releases it, possibly after this returns and from another
// thread. The SDK keeps the bytes alive until that release; the caller must not change
// them after this call. A host without the owned path gets a copy (send_result).
func (c *Call) RespondOwned(resp Response) Status { return c.answer(resp, pathOwned, true) }

// RespondLease answers through a buffer the host lends (acquire_result_buffer, then
// commit_result_buffer): resp.Data is written into host memory, and the host keeps that
// buffer with no copy of its own. When the host lends none (a stream, a lease already
// out, a host without leases), the answer goes through send_result instead.
func (c *Call) RespondLease(resp Response) Status { return c.answer(resp, pathLease, true) }

// answer applies the answer rules (exactly once, nothing after the terminal frame) and
// hands an allowed frame to the engine; it returns what became of it.
func (c *Call) answer(resp Response, path answerPath, wait bool) Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return StatusErr
	}
	if resp.reject && c.onHost && !c.detached && !c.sent {
		c.done, c.rejected, c.rejectStatus = true, true, resp.Status
		return StatusOk
	}
	status := known(resp.Status)
	got := c.rt.deliver(c.sid, status, resp.Data, path, c.onHost || c.inHostCall, wait)
	if got == backpressure && !wait {
		return got // not taken: the call is as it was
	}
	c.sent = true
	c.done = !c.stream || status != StatusOk || got == backpressure
	return got
}

// Go continues the call in a goroutine, for a host-thread handler whose work must
// wait, such as a stream the host answered Backpressure to: the handler returns, the
// host drains its queue, and fn's Send waits the queue out. fn gets the same Call
// and must finish it (if it returns without ending it, the call ends with Err, as
// for a goroutine handler). Call it from the handler itself, at most once; the
// payload is copied first. It returns false, and nothing changes, when the call has
// ended, the plugin is shutting down or its goroutines are all busy (SetMaxInFlight).
func (c *Call) Go(fn func(c *Call)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.onHost || c.detached || c.done || fn == nil {
		return false
	}
	if c.rt.tasks.enterBounded(c.rt.plugin.maxInFlight) != entered {
		return false
	}
	c.detached = true
	c.payload = clone(c.payload)
	if c.request != nil {
		c.request.Body = c.payload
	}
	go func() {
		defer c.rt.tasks.leave()
		defer func() { c.finishAsync(recover()) }()
		fn(c)
	}()
	return true
}

// finishOnHost closes a call whose handler ran on the host thread and says what handle
// returns: a rejection, or Ok with the answer already sent (a panic status or Err one
// if the handler panicked or forgot to finish).
func (c *Call) finishOnHost(panicked any) Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.detached {
		c.onHost = false // the goroutine Go started finishes the call
		return StatusOk
	}
	status := StatusOk
	switch {
	case c.rejected:
		status = c.rejectStatus
	case c.done:
	case !c.sent:
		c.done = true // nothing went out: reject instead of answering
		status = failureStatus(panicked)
	default:
		c.done = true
		c.rt.deliver(c.sid, failureStatus(panicked), unfinished(panicked, c.stream), pathCopy, true, true)
	}
	c.onHost = false // from now on, sends count as background sends
	return status
}

// finishAsync ends a call whose goroutine handler returned or panicked without a terminal answer.
func (c *Call) finishAsync(panicked any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.done = true
	c.rt.deliver(c.sid, failureStatus(panicked), unfinished(panicked, c.stream), pathCopy, false, true)
}

// failureStatus is how a handler that did not finish its answer is answered: the
// generation's panic status when it panicked, Err when it just returned.
func failureStatus(panicked any) Status {
	if panicked != nil {
		return panicStatus
	}
	return StatusErr
}

// unfinished is the Err payload for a handler that panicked or did not finish its answer.
func unfinished(panicked any, stream bool) []byte {
	switch {
	case panicked != nil:
		return []byte(fmt.Sprintf("plugin panic: %v", panicked))
	case stream:
		return []byte("handler returned without ending the stream")
	default:
		return []byte("handler returned without an answer")
	}
}

// enterHostCall marks a stream_data or stream_close of this stream as running, so its
// sends go straight out; false if the stream has ended already.
func (c *Call) enterHostCall() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inHostCall = !c.done
	return c.inHostCall
}

// leaveHostCall ends what enterHostCall began and reports whether the stream has ended.
func (c *Call) leaveHostCall() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inHostCall = false
	return c.done
}
