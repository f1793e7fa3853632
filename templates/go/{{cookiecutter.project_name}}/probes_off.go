//go:build noprobes

package main

import "{{ cookiecutter.module_path }}/sdk"

// registerProbes registers nothing in a production build (-tags noprobes).
func registerProbes(*sdk.Plugin) {}
