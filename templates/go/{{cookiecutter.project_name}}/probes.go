//go:build !noprobes

package main

import "{{ cookiecutter.module_path }}/sdk"

// registerProbes adds entries that panic on purpose, for the conformance suite's
// panic-safety check: the SDK must answer Err and the host must keep running.
// Production builds leave them out with `go build -tags noprobes` (`make release`).
func registerProbes(plugin *sdk.Plugin) {
	// panic: panics on the host thread.
	plugin.HandleRaw("panic", func(payload []byte, callback func(sdk.Response)) {
		panic("panic probe: a handler panicked on the host thread")
	})
	// panic_async: panics in a goroutine.
	plugin.HandleRawAsync("panic_async", func(payload []byte, callback func(sdk.Response)) {
		panic("panic probe: a handler panicked in a goroutine")
	})
}
