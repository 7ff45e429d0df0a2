package report

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/scenario"
)

// TestNewRunViewPlacesFailures runs the cause-18 scenario with extra
// expectations that fail in each way and checks where the views put them.
func TestNewRunViewPlacesFailures(t *testing.T) {
	f, err := scenario.Load(filepath.Join(repoRoot(t), "scenarios", "app-never-registers-cause18.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	extra, err := scenario.Parse("extra.yaml", []byte(`name: extra
pbx: {users: [{name: alice}, {name: bob}]}
devices: [{name: alice-iphone, user: alice, kind: myapps, os: ios}, {name: bob-desk, user: bob, kind: deskphone}]
expect:
  - event: q931.connect
    to: bob-desk
    at: 5s..6s
  - event: push.request
    user: alice
  - event: ras.rcf
    to: alice-iphone
    within: 3s
  - never: call.released
    cause: 18
  - event: q931.alerting
    to: bob-desk
  - never: q931.release_complete
    cause: 18
    at: 10s..13s
  - event: call.released
    count: ..0
`))
	if err != nil {
		t.Fatal(err)
	}
	f.Expect = extra.Expect
	r, err := scenario.Run(f, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rv := FromResult(f, r)
	if rv.Name != f.Name || rv.Seed != f.Seed || len(rv.Events) != r.Timeline.Len() || rv.Duration != r.Simulated {
		t.Fatalf("view header: %+v", rv)
	}
	var pushAt time.Duration
	for _, e := range rv.Events {
		if e.Name == "push.request" {
			pushAt = e.At
			break
		}
	}
	tests := []struct {
		ok    bool
		at    time.Duration
		actor string
	}{
		{false, 5 * time.Second, "bob-desk"},            // the window's start
		{true, pushAt, "alice-iphone"},                  // the match; user alice drawn on her device
		{false, pushAt + 3*time.Second, "alice-iphone"}, // the previous match plus within
		{false, 12100 * time.Millisecond, ""},           // the offending event
		{false, pushAt, "bob-desk"},                     // nothing close: after the previous match
		{false, 12100 * time.Millisecond, "pbx"},        // a never with a window: the offending event, on its sender's column
		{false, 12100 * time.Millisecond, ""},           // a count beyond its bound: the first event beyond it
	}
	if len(rv.Verdicts) != len(tests) {
		t.Fatalf("%d verdicts", len(rv.Verdicts))
	}
	for i, tt := range tests {
		v := rv.Verdicts[i]
		if v.OK != tt.ok || !v.HasAt || v.At != tt.at || v.Actor != tt.actor {
			t.Errorf("verdict %d (%s): ok=%v at=%v (has %v) actor=%q; want ok=%v at=%v actor=%q",
				i, v.Expectation, v.OK, v.At, v.HasAt, v.Actor, tt.ok, tt.at, tt.actor)
		}
		if !strings.HasPrefix(v.Position, "extra.yaml:") {
			t.Errorf("verdict %d position %q", i, v.Position)
		}
	}
	if len(rv.Verdicts[3].Nearest) == 0 || rv.Verdicts[3].Nearest[0].Name != "call.released" {
		t.Errorf("never verdict lacks the offending event: %+v", rv.Verdicts[3].Nearest)
	}
}
