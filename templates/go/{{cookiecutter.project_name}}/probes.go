{% if cookiecutter.abi == "1" %}//go:build !noprobes

{% endif %}package main

import "{{ cookiecutter.module_path }}/sdk"

// registerProbes adds entries that panic on purpose, for the conformance suite's
// panic-safety check: the SDK must contain the panic and the host must keep running.
{%- if cookiecutter.abi == "2" %}
// They are in every build, debug and release, but answer Unsupported unless
// NYLON_RING_ENABLE_PROBES=1 is set when the host runs init (the conformance worker
// sets it); the panic containment is the same code either way.
{%- else %}
// Production builds leave them out with `go build -tags noprobes` (`make release`).
{%- endif %}
func registerProbes(plugin *sdk.Plugin) {
	// panic: panics on the host thread.
	plugin.PanicProbe("panic", false, func(payload []byte, callback func(sdk.Response)) {
		panic("panic probe: a handler panicked on the host thread")
	})
	// panic_async: panics in a goroutine.
	plugin.PanicProbe("panic_async", true, func(payload []byte, callback func(sdk.Response)) {
		panic("panic probe: a handler panicked in a goroutine")
	})
}
