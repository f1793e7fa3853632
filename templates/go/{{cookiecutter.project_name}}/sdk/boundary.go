package sdk

// What the exported functions (the generation's exports file) share: no Go panic
// crosses the ABI.

// panicked is what an exported function's status holds until it returns: a value no
// return gives (statuses outside the enum never leave the SDK), so the deferred check
// knows without calling recover that nothing panicked. That check, the one deferred
// call of an exported function, costs one comparison when nothing went wrong.
const panicked = ^Status(0)

// errAfterPanic reports a panic that reached an exported function, which then returns
// the generation's panic status.
func errAfterPanic(v any) Status {
	logf("panic at the ABI boundary: %v", v)
	return panicStatus
}

// recoverQuietly stops a panic at an exported function that has no status to return.
func recoverQuietly() {
	if v := recover(); v != nil {
		logf("panic at the ABI boundary: %v", v)
	}
}
