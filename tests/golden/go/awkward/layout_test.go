// Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --schema awkward.toml

package nylonring

import "testing"

// Every Kind value round-trips through its name; an unnamed value prints its number.
func TestKindNames(t *testing.T) {
	cases := []struct {
		value Kind
		name  string
	}{
		{KindType, "type"},
		{KindFunc, "func"},
		{KindMatch, "match"},
		{KindNone, "None"},
		{2, "Kind(2)"},
	}
	for _, c := range cases {
		if got := c.value.String(); got != c.name {
			t.Errorf("%d: String() = %q, want %q", uint64(c.value), got, c.name)
		}
	}
}
