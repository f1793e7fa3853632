// Package main is the plugin. Register entries in init and build the shared library
// with `make build` (go build -buildmode=c-shared -o lib{{ cookiecutter.lib_name }}.so .).
// The SDK in ./sdk enforces the ABI's rules; the bindings in ./nylonring are generated
// (`nylon-ring gen-bindings --lang go --out nylonring`), never edited.
package main

import (
{%- if cookiecutter.abi == "2" %}
	"bytes"
{%- else %}
	"errors"
{%- endif %}
	"strconv"

	"{{ cookiecutter.module_path }}/sdk"
)

func init() {
	plugin := sdk.NewPlugin("{{ cookiecutter.project_name }}", "{{ cookiecutter.plugin_version }}")

{%- if cookiecutter.abi == "2" %}
	// hello (unary, on the host thread): "hello, <payload>". Cheap work answers
	// synchronously, and HandleSyncFunc is the fast path for it: the answer is built in
	// room the SDK lends (buf), so the SDK allocates nothing. Handle would run it in a
	// goroutine, which costs far more than the work itself (see echo_async for that
	// shape).
	plugin.HandleSyncFunc("hello", func(req sdk.Request, buf []byte) sdk.Response {
		return sdk.Response{Status: sdk.StatusOk, Data: append(append(buf, "hello, "...), req.Body...)}
	}).Sample("world").Expect("hello, world")
{%- else %}
	// hello (unary, with request metadata, on the host thread): "<method> <path> <payload>".
	// Cheap work answers synchronously, and HandleSyncFunc is the fast path for it: the
	// request is read in place and the answer is built in room the SDK lends (buf), so
	// the SDK allocates nothing. Handle would run it in a goroutine, which costs far
	// more than the work itself (see echo_async for that shape); HandleSync gives a
	// callback and a copy of the request that may be kept.
	plugin.HandleSyncFunc("hello", func(req sdk.Request, buf []byte) sdk.Response {
		buf = append(append(buf, req.Method...), ' ')
		buf = append(append(buf, req.Path...), ' ')
		return sdk.Response{Status: sdk.StatusOk, Data: append(buf, req.Body...)}
	}).Sample("world").Request("GET", "/hello").Expect("GET /hello world")
{%- endif %}

	// echo (raw, on the host thread): the payload unchanged. This is the fast path: the
	// handler returns its answer, with no goroutine, no callback and no copy (the
	// payload is a view of the host's buffer, valid until the handler returns).
	plugin.HandleRawFunc("echo", func(payload []byte) sdk.Response {
		return sdk.Response{Status: sdk.StatusOk, Data: payload}
	}).Sample("ping").Expect("ping")

	// echo_async (raw, answered from a goroutine with its own copy of the payload).
	plugin.HandleRawAsync("echo_async", func(payload []byte, callback func(sdk.Response)) {
		callback(sdk.Response{Status: sdk.StatusOk, Data: payload})
	}).Sample("ping from a goroutine").Expect("ping from a goroutine")
{%- if cookiecutter.abi == "2" %}

	// echo_owned (unary): the payload, answered through send_result_owned: the host
	// reads the answer's bytes in place, with no copy, and releases them when done. The
	// payload is the host's buffer, valid only during handle, so it is cloned first.
	plugin.HandleCall("echo_owned", sdk.Unary, func(c *sdk.Call) {
		c.RespondOwned(sdk.Response{Status: sdk.StatusOk, Data: bytes.Clone(c.Payload())})
	}).Sample("owned ping").Expect("owned ping")

	// echo_lease (unary): the payload, written into a buffer the host lends
	// (acquire/commit); send_result when the host lends none.
	plugin.HandleCall("echo_lease", sdk.Unary, func(c *sdk.Call) {
		c.RespondLease(sdk.Response{Status: sdk.StatusOk, Data: c.Payload()})
	}).Sample("leased ping").Expect("leased ping")
{%- endif %}

	{% if cookiecutter.abi == "2" %}// count (stream): payload N gives frames "0" .. "N-1" then StreamEnd; a payload that
	// is not a number ends the stream with Invalid. A host drains a stream's queue only
	// after handle returns, so frames go out on the host's thread while the host takes
	// them (TrySend, no waiting); once it answers Backpressure, c.Go sends the rest from
	// a goroutine, where Send waits the queue out. The host has each frame before the
	// send returns, so one buffer serves them all.
	plugin.HandleCall("count", sdk.Stream, func(c *sdk.Call) {
		n, err := strconv.Atoi(string(c.Payload()))
		if err != nil || n < 0 {
			c.Respond(sdk.Response{Status: sdk.StatusInvalid})
			return
		}
		digits := make([]byte, 0, 20)
		frame := func(i int) sdk.Response {
			return sdk.Response{Status: sdk.StatusOk, Data: strconv.AppendInt(digits[:0], int64(i), 10)}
		}
		next := 0
		for next < n && c.TrySend(frame(next)) == sdk.StatusOk {
			next++
		}
		if next == n && c.TrySend(sdk.Response{Status: sdk.StatusStreamEnd}) != sdk.StatusBackpressure {
			return
		}
		c.Go(func(c *sdk.Call) {
			for ; next < n; next++ {
				c.Send(frame(next))
			}
			c.Respond(sdk.Response{Status: sdk.StatusStreamEnd})
		})
	{% else %}// count (raw stream): payload N gives frames "0" .. "N-1" then StreamEnd; a payload
	// that is not a number is rejected with Invalid (nothing is sent). The host has the
	// frame before callback returns, so one buffer serves every frame.
	plugin.HandleRawStream("count", func(payload []byte, callback func(sdk.Response)) {
		n, err := strconv.Atoi(string(payload))
		if err != nil || n < 0 {
			callback(sdk.Reject(sdk.StatusInvalid))
			return
		}
		digits := make([]byte, 0, 20)
		for i := 0; i < n; i++ {
			callback(sdk.Response{Status: sdk.StatusOk, Data: strconv.AppendInt(digits[:0], int64(i), 10)})
		}
		callback(sdk.Response{Status: sdk.StatusStreamEnd})
	{% endif %}}).Sample("3").ExpectFrames("StreamEnd", "0", "1", "2")

	// chat (bidirectional): every inbound frame is echoed back; the host's close ends
	// the stream with StreamEnd.
	plugin.HandleStream("chat",
		func(data []byte, callback func(sdk.Response)) {
			callback(sdk.Response{Status: sdk.StatusOk, Data: data})
		},
		func(callback func(sdk.Response)) {
			callback(sdk.Response{Status: sdk.StatusStreamEnd})
		}).Sample("").Send("a", "b").ExpectFrames("StreamEnd", "a", "b")
{%- if cookiecutter.abi == "1" %}

	// state (raw): stores the payload under "k" in the host's per-sid state and answers
	// what reading it back gives; Unsupported when the host offers no state.
	plugin.HandleCall("state", sdk.Unary, func(c *sdk.Call) {
		if _, err := c.SetState("k", c.Payload()); err != nil {
			c.Respond(stateFailure(err))
			return
		}
		value, err := c.GetState("k")
		if err != nil {
			c.Respond(stateFailure(err))
			return
		}
		c.Respond(sdk.Response{Status: sdk.StatusOk, Data: value})
	}).Sample("remembered").Expect("remembered")
{%- endif %}
{%- for entry in cookiecutter.extra_entries.split(",") if entry %}

	// {{ entry }} (raw): answers its payload; replace with your own handler.
	plugin.HandleRaw("{{ entry }}", func(payload []byte, callback func(sdk.Response)) {
		callback(sdk.Response{Status: sdk.StatusOk, Data: payload})
	}).Sample("sample").Expect("sample")
{%- endfor %}

	registerProbes(plugin)
	sdk.BuildPlugin(plugin)
}

{%- if cookiecutter.abi == "1" %}

func stateFailure(err error) sdk.Response {
	if errors.Is(err, sdk.ErrNoState) {
		return sdk.Reject(sdk.StatusUnsupported)
	}
	return sdk.Response{Status: sdk.StatusErr, Data: []byte(err.Error())}
}
{%- endif %}

// main is required by -buildmode=c-shared; it never runs.
func main() {}
