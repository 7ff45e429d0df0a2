package scenario

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// libraryFiles returns the scenario library (../scenarios), sorted.
func libraryFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "scenarios", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios in ../scenarios")
	}
	slices.Sort(files)
	return files
}

// TestLibrary runs every scenario of the library; each must meet all of its
// expectations. The must-fail variants (testdata/must-fail, run by
// cmd/pbxsim's tests) show that the same expectations can fail.
func TestLibrary(t *testing.T) {
	for _, path := range libraryFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			f, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Covers) == 0 || (f.Ticket == "" && f.Summary == "") {
				t.Errorf("%s: a library scenario needs covers and a ticket or summary", path)
			}
			if len(f.Expect) == 0 {
				t.Fatalf("%s: no expectations", path)
			}
			r, err := Run(f, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range Failed(r.Verdicts) {
				t.Error(v.String())
			}
			if t.Failed() {
				for _, e := range r.Timeline.Events() {
					t.Log(e.String())
				}
			}
		})
	}
}

// TestRunDeterministic runs each library file twice: the timelines must be
// identical, wire bytes included; another seed must still run.
func TestRunDeterministic(t *testing.T) {
	for _, path := range libraryFiles(t) {
		f, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Run(f, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Run(f, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ea, eb := a.Timeline.Events(), b.Timeline.Events()
		if len(ea) != len(eb) {
			t.Fatalf("%s: %d events, then %d", path, len(ea), len(eb))
		}
		for i := range ea {
			if ea[i].String() != eb[i].String() || !sameWire(ea[i], eb[i]) {
				t.Fatalf("%s: event %d differs:\n%s\n%s", path, i, ea[i].String(), eb[i].String())
			}
		}
	}
}

func sameWire(a, b timeline.Event) bool {
	if (a.Wire == nil) != (b.Wire == nil) {
		return false
	}
	return a.Wire == nil || (*a.Wire).Src == (*b.Wire).Src && (*a.Wire).Dst == (*b.Wire).Dst && bytes.Equal(a.Wire.Payload, b.Wire.Payload)
}

// TestRunSeedChangesJitter: with jitter, another seed gives another
// timeline, and the same seed the same one.
func TestRunSeedChangesJitter(t *testing.T) {
	src := []byte(`name: jitter
pbx:
  users: [{name: bob, number: "202"}]
network: {latency: 20ms, jitter: 10ms}
devices: [{name: bob-desk, user: bob, kind: deskphone}]
expect:
  - event: ras.rcf
    to: bob-desk
`)
	f, err := Parse("jitter.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	at := func(seed int64) string {
		r, err := Run(f, RunOptions{Seed: seed, SeedSet: true})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Passed() || r.Seed != seed {
			t.Fatalf("seed %d: passed %v, seed %d", seed, r.Passed(), r.Seed)
		}
		return r.Verdicts[0].Event.String()
	}
	if at(1) != at(1) {
		t.Error("same seed, different timelines")
	}
	if at(1) == at(2) && at(2) == at(3) {
		t.Errorf("seeds 1, 2, 3 all give %q: the seed does not reach the network", at(1))
	}
}

// TestLibraryWireBytes checks that every message event of the library
// carries the real encoded bytes: each RAS payload decodes as an H.225.0
// RasMessage, each Q.931 payload as a Q.931 message, and the wire's
// addresses belong to the event's from and to actors.
func TestLibraryWireBytes(t *testing.T) {
	for _, path := range libraryFiles(t) {
		f, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := newWorld(f, f.Seed)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.run(); err != nil {
			t.Fatal(err)
		}
		messages := 0
		for _, e := range w.timeline.Events() {
			isMessage := strings.HasPrefix(e.Name, "ras.") || strings.HasPrefix(e.Name, "q931.")
			if e.Wire == nil {
				from, _ := e.Get("from")
				if isMessage && from != "" {
					t.Errorf("%s: %s has no wire bytes", path, e.String())
				}
				continue
			}
			messages++
			switch e.Wire.Protocol {
			case "ras":
				if _, err := ras.Decode(e.Wire.Payload); err != nil {
					t.Errorf("%s: %s: %v", path, e.String(), err)
				}
			case "q931":
				if _, err := q931.Decode(e.Wire.Payload); err != nil {
					t.Errorf("%s: %s: %v", path, e.String(), err)
				}
			}
			from, _ := e.Get("from")
			to, _ := e.Get("to")
			if got := w.actorAt(e.Wire.Src); got != from {
				t.Errorf("%s: %s: wire source belongs to %q", path, e.String(), got)
			}
			if got := w.actorAt(e.Wire.Dst); got != to {
				t.Errorf("%s: %s: wire destination belongs to %q", path, e.String(), got)
			}
		}
		if messages == 0 {
			t.Errorf("%s: no message carried wire bytes", path)
		}
	}
}

// TestRunRefusesWhatItCannotModel: a world the simulator cannot build is an
// error naming the place in the file, never a run that ignores part of it.
func TestRunRefusesWhatItCannotModel(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"device named like the push service", `name: x
pbx: {users: [{name: alice, number: "201"}]}
devices: [{name: apns, user: alice, kind: deskphone}]
expect: []
`, `the name "apns" is taken`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("x.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Run(f, RunOptions{Record: true})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestCallerNotRegistered: a device that is not registered cannot get an
// admission, so its call is not placed, and the timeline says why.
func TestCallerNotRegistered(t *testing.T) {
	f, err := Parse("x.yaml", []byte(`name: x
pbx: {users: [{name: alice, number: "201", password: right}, {name: bob, number: "202"}]}
devices:
  - {name: alice-desk, user: alice, kind: deskphone, password: wrong}
  - {name: bob-desk, user: bob, kind: deskphone}
calls: [{at: 1s, from: alice-desk, to: "202"}]
expect:
  - never: q931.setup
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(f, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Failed(r.Verdicts) {
		t.Error(v.String())
	}
	found := false
	for _, e := range r.Timeline.Events() {
		if e.Name == "call.not_placed" {
			found = true
			if dev, _ := e.Get("device"); dev != "alice-desk" || e.At != time.Second {
				t.Errorf("got %s", e.String())
			}
		}
	}
	if !found {
		t.Error("no call.not_placed event")
	}
}
