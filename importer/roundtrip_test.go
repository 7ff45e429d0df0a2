package importer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/scenario"
)

// conversations reads a capture and returns, per pair of actors (named by
// what the wire says of them, see actor.ident), the sequence of their RAS
// and Q.931 messages: direction, type, cause and aliases. Times, sequence
// numbers and identifiers are left out: they are the model's.
func conversations(t *testing.T, path string) map[string][]string {
	t.Helper()
	c, err := read(path)
	if err != nil {
		t.Fatal(err)
	}
	w := analyse(c)
	out := map[string][]string{}
	for _, m := range c.msgs {
		if m.from == nil || m.to == nil {
			t.Errorf("%s: packet %d (%s) between unknown actors", filepath.Base(path), m.packet, m.typ)
			continue
		}
		a, b := m.from.ident(), m.to.ident()
		pair := a + " ~ " + b
		if a > b {
			pair = b + " ~ " + a
		}
		item := fmt.Sprintf("%s>%s %s", a, b, m.typ)
		if m.f.Cause != nil {
			item += fmt.Sprintf(" cause=%d", *m.f.Cause)
		}
		if len(m.f.Aliases) > 0 {
			item += " aliases=" + strings.Join(m.f.Aliases, ",")
		}
		if len(m.f.Destination) > 0 {
			item += " dest=" + strings.Join(m.f.Destination, ",")
		}
		out[pair] = append(out[pair], item)
	}
	_ = w
	return out
}

// runToPcap runs a scenario file and writes its capture.
func runToPcap(t *testing.T, f *scenario.File, path string) *scenario.Result {
	t.Helper()
	r, err := scenario.Run(f, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WritePcap(&buf, r.Timeline.Events()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRoundTripOverTheLibrary is the import's property: for every scenario
// of the library, run it and capture the run, import the capture, run the
// imported scenario and capture that run: the two captures hold the same
// RAS and Q.931 messages between the same actors, in the same order per
// pair (types, causes, aliases), and the expectations drafted from the
// first capture all pass in the second run, none commented out.
func TestRoundTripOverTheLibrary(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "scenarios", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			f, err := scenario.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if why, ok := notRepeated[f.Name]; ok {
				t.Skipf("not repeated by the import yet: %s", why)
			}
			original := filepath.Join(dir, "original.pcap")
			runToPcap(t, f, original)
			res, err := Import(original, Options{Name: f.Name})
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range passwords(f) {
				if strings.Contains(string(res.YAML), secret) {
					t.Errorf("the imported scenario holds the password %q", secret)
				}
			}
			if res.Dropped > 0 {
				t.Errorf("%d expectations drafted from the capture fail in the imported run:\n%s", res.Dropped, strings.Join(res.Misses, "\n"))
			}
			imported, err := scenario.Parse(f.Name+".yaml", res.YAML)
			if err != nil {
				t.Fatalf("imported scenario does not load: %v\n%s", err, res.YAML)
			}
			again := filepath.Join(dir, "again.pcap")
			r := runToPcap(t, imported, again)
			if !r.Passed() {
				for _, v := range scenario.Failed(r.Verdicts) {
					t.Errorf("imported expectation fails: %s", v)
				}
			}
			want, got := conversations(t, original), conversations(t, again)
			var pairs []string
			for p := range want {
				pairs = append(pairs, p)
			}
			for p := range got {
				if _, ok := want[p]; !ok {
					pairs = append(pairs, p)
				}
			}
			slices.Sort(pairs)
			for _, p := range pairs {
				if !slices.Equal(want[p], got[p]) {
					t.Errorf("%s:\n  original: %s\n  imported: %s", p, strings.Join(want[p], "\n            "), strings.Join(got[p], "\n            "))
				}
			}
			if t.Failed() {
				t.Logf("imported scenario:\n%s", res.YAML)
			}
		})
	}
}

// notRepeated are the library's scenarios whose import the round trip does
// not hold for yet, with why (docs/import.md, Limits); the list only
// shrinks. Both lose datagrams and TCP segments at random on every message.
var notRepeated = map[string]string{
	"ras-lossy-jittery-network": "30 % random loss and 10 ms jitter on every link: each phone's RAS retransmission timers are jittered by draws of its own (from the scenario's seed, which a capture does not hold), so after a retransmission the imported run's times part from the capture's and the next loss window misses its datagram",
	"ras-h460-17-tunnel":        "50 % random loss inside a TLS connection: the PBX's Facility and the ACF tunnelled with it, sent at one moment, arrive 0.6 s and 1.4 s late (the ACF's segment lost again when resent); a loss window on the link delays both alike, so the phone rings before the PBX's next Facility instead of after it",
}

// passwords lists the passwords a scenario gives its users and devices.
func passwords(f *scenario.File) []string {
	var out []string
	for _, p := range f.PBXs {
		for _, u := range p.Users {
			if u.Password != "" {
				out = append(out, u.Password)
			}
		}
	}
	for _, d := range f.Devices {
		if d.Password != "" {
			out = append(out, d.Password)
		}
	}
	return out
}

// TestImportRefusesAStorm: a capture of thousands of endpoints that are not
// alike (their names follow no index, so no population holds them) would
// make a scenario over the size a file may have; the import says so,
// clearly, instead of writing a file the loader refuses.
func TestImportRefusesAStorm(t *testing.T) {
	// Names u0x0, u0x1, u1x0, ...: the last number of each is 0 or 1,
	// never an index running through the storm.
	const src = `name: unlike-storm
duration: 5s
pbx:
  users:
    - population: {count: 3000, name: "u{i/2}x{i%2}", number: "5{i:04}"}
devices:
  - population: {count: 3000, name: "u{i/2}x{i%2}-desk", user: "u{i/2}x{i%2}", kind: deskphone}
expect: []
`
	f, err := scenario.Parse("unlike-storm.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(t.TempDir(), "storm.pcap")
	runToPcap(t, f, capture)
	_, err = Import(capture, Options{})
	if err == nil || !strings.Contains(err.Error(), "a scenario may be at most") || !strings.Contains(err.Error(), "3000 endpoints") {
		t.Fatalf("import of a storm of endpoints not alike: %v; want the size refused, naming the endpoints", err)
	}
}

// TestImportWritesAStormAsPopulations: the library's storm of 5,000 apps
// imports as one population of users, one of devices and one of actions,
// in a file far below the size limit, and quickly (no work that grows
// with the square of the endpoints).
func TestImportWritesAStormAsPopulations(t *testing.T) {
	f, err := scenario.Load(filepath.Join("..", "scenarios", "morning-storm-5000-apps.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(t.TempDir(), "storm.pcap")
	runToPcap(t, f, capture)
	start := time.Now()
	res, err := Import(capture, Options{Name: f.Name})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	src := string(res.YAML)
	for _, want := range []string{"count: 5000\n", `name: "u{i}-phone"`, `user: "u{i}"`, `number: "{i+50000}"`,
		`- population: {count: 5000, device: "apps[*]", app: foreground, at: 0s..10s}`, `to: "apps[*]"`} {
		if !strings.Contains(src, want) {
			t.Errorf("the import lacks %q:\n%s", want, src)
		}
	}
	if res.Devices != 5000 || len(res.YAML) > 20_000 {
		t.Errorf("%d devices in %d bytes; want 5000 devices in a short file", res.Devices, len(res.YAML))
	}
	// A few seconds at most on a loaded machine (about one on an idle one).
	if took > 15*time.Second {
		t.Errorf("the import of 5,000 apps took %s", took)
	}
	t.Logf("imported 5000 apps in %s, %d bytes", took, len(res.YAML))
}
