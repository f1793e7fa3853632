// Generated from schema/abi2.toml (schema sha256 e1a3a2de882d757b) by nylon-ring-sdk; do not edit.
// Regenerate with: nylon-ring gen-bindings --abi 2

package nylonring

import "testing"

// The C compiler's table (the layout probe) equals the schema's for this target.
func TestLayoutProbeMatchesSchema(t *testing.T) {
	version, values := LayoutValues()
	if version != LayoutProbeVersion {
		t.Fatalf("probe version %d", version)
	}
	if len(values) != len(expectedLayout) || len(values) != len(layoutLabels) {
		t.Fatalf("probe has %d values, schema table %d, labels %d", len(values), len(expectedLayout), len(layoutLabels))
	}
	for i, got := range values {
		if got != expectedLayout[i] {
			t.Errorf("%s: compiler says %d, schema says %d", layoutLabels[i], got, expectedLayout[i])
		}
	}
}

// LayoutProbe points at the same C table every time.
func TestLayoutProbeIsStatic(t *testing.T) {
	if LayoutProbe() == nil || LayoutProbe() != LayoutProbe() {
		t.Fatal("LayoutProbe must return one non-nil static table")
	}
}

// Every Status value round-trips through its name; an unnamed value prints its number.
func TestStatusNames(t *testing.T) {
	cases := []struct {
		value Status
		name  string
	}{
		{StatusOk, "Ok"},
		{StatusErr, "Err"},
		{StatusInvalid, "Invalid"},
		{StatusUnsupported, "Unsupported"},
		{StatusStreamEnd, "StreamEnd"},
		{StatusPanic, "Panic"},
		{StatusBackpressure, "Backpressure"},
		{7, "Status(7)"},
	}
	for _, c := range cases {
		if got := c.value.String(); got != c.name {
			t.Errorf("%d: String() = %q, want %q", uint64(c.value), got, c.name)
		}
	}
}
