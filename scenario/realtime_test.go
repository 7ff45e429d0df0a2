package scenario

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

// realtimeLibrary are the library scenarios run on real sockets by the
// tests: together they cover B01, B11-B17, B20, B22, B24, B27, B30, B31 and
// B32, and none lasts more than 40 s.
var realtimeLibrary = []string{
	"push-service-down-no-push",          // B01
	"apns-unavailable-push-failed",       // B01 B11 B12
	"app-never-registers-cause18",        // B12 B22
	"closed-app-push-starts-it",          // B13 B21 B26
	"push-unverified-device-cert-14r1",   // B02 B11 B13
	"desk-and-two-apps-fork",             // B13 B14 B16
	"12r2-cfnr-skips-push",               // B15
	"fork-own-number-workaround",         // B15 B16
	"name-lookup-late",                   // B17
	"name-lookup-after-setup",            // B17 B32
	"vendor-port-blocked",                // B20 B12
	"ios-pushkit-penalty",                // B22 B12
	"mypbx-push-auto-stays-registered",   // B24
	"dnd-12r2-silent",                    // B27
	"dnd-15r1-busy",                      // B27
	"wrong-h235-password-securitydenial", // B31 B30
	"ras-h235-md5-token",                 // B31 B30
	"cause-codes-normal-clearing",        // B32 B30
	"cause-codes-user-busy",              // B32
	"push-trust-list-fixed",              // B03 B01: a Push object changed during the run
	"h245-separate-connection",           // H.245 on connections of its own (H.225.0 h245Address)
}

// TestRealtimeMatchesSimulated runs those scenarios at once on loopback
// sockets and the wall clock (pbxsim run --realtime) and simulated: both
// must pass, and between every two actors the RAS and Q.931 messages (by
// name, cause and reason) must be the same in both runs.
func TestRealtimeMatchesSimulated(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time runs take their scenarios' duration of wall time")
	}
	covered := map[string]bool{}
	type outcome struct {
		sim, real *Result
		err       error
	}
	outcomes := make([]outcome, len(realtimeLibrary))
	var wg sync.WaitGroup
	for i, name := range realtimeLibrary {
		f, err := Load(filepath.Join("..", "scenarios", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Covers {
			covered[c] = true
		}
		wg.Go(func() {
			o := &outcomes[i]
			if o.sim, o.err = Run(f, RunOptions{}); o.err != nil {
				return
			}
			o.real, o.err = RunRealtime(context.Background(), f, RealOptions{Block: 100 + i, Log: zerolog.Nop()})
		})
	}
	wg.Wait()
	for _, row := range []string{"B01", "B11", "B12", "B13", "B14", "B15", "B16", "B17", "B20", "B22", "B24", "B27", "B30", "B31", "B32"} {
		if !covered[row] {
			t.Errorf("no real-time scenario covers %s", row)
		}
	}
	files := make([]*File, len(realtimeLibrary))
	for i, name := range realtimeLibrary {
		files[i], _ = Load(filepath.Join("..", "scenarios", name+".yaml"))
	}
	for i, name := range realtimeLibrary {
		o := outcomes[i]
		t.Run(name, func(t *testing.T) {
			problems := realtimeProblems(o.sim, o.real, o.err)
			if len(problems) > 0 && o.sim != nil {
				// The wall clock is shared with every other test of the
				// run: a scenario that missed a window while everything ran
				// at once runs again alone. A real difference fails twice.
				t.Logf("run with the others failed, running again alone:\n%s", strings.Join(problems, "\n"))
				real, err := RunRealtime(context.Background(), files[i], RealOptions{Block: 100 + i, Log: zerolog.Nop()})
				problems = realtimeProblems(o.sim, real, err)
				o.real = real
			}
			for _, p := range problems {
				t.Error(p)
			}
			if t.Failed() && o.real != nil {
				for _, e := range o.real.Timeline.Events() {
					t.Log(e.String())
				}
			}
		})
	}
}

// realtimeProblems lists what differs between a simulated and a real-time
// run of one file: failed expectations of either, and message sequences.
func realtimeProblems(simr, real *Result, err error) []string {
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, r := range []*Result{simr, real} {
		for _, v := range Failed(r.Verdicts) {
			out = append(out, fmt.Sprintf("%s run: %s", map[bool]string{true: "simulated", false: "real-time"}[r == simr], v.String()))
		}
	}
	sim, rt := messagesByPair(simr), messagesByPair(real)
	for _, pair := range slices.Sorted(keysOf(sim, rt)) {
		if !slices.Equal(sim[pair], rt[pair]) {
			out = append(out, fmt.Sprintf("%s:\n  simulated: %s\n  real-time: %s", pair, strings.Join(sim[pair], " "), strings.Join(rt[pair], " ")))
		}
	}
	return out
}

// messagesByPair lists the RAS and Q.931 messages between each two actors,
// in order, by name and the cause or reason they carry (without the
// Facilities that only carry tunnelled H.245).
func messagesByPair(r *Result) map[string][]string {
	out := map[string][]string{}
	for _, e := range r.Timeline.Events() {
		if !strings.HasPrefix(e.Name, "ras.") && !strings.HasPrefix(e.Name, "q931.") || e.Wire == nil {
			continue
		}
		if _, reason := e.Get("reason"); e.Name == "q931.facility" && !reason {
			// A Facility that only carries tunnelled H.245: when the legs send it depends
			// on the messages' timing, which the wall clock does not reproduce.
			continue
		}
		from, _ := e.Get("from")
		to, _ := e.Get("to")
		m := e.Name
		for _, k := range []string{"cause", "reason"} {
			if v, ok := e.Get(k); ok {
				m += fmt.Sprintf("(%s=%s)", k, v)
			}
		}
		out[from+">"+to] = append(out[from+">"+to], m)
	}
	return out
}

func keysOf(maps ...map[string][]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, m := range maps {
			for k := range m {
				if !seen[k] {
					seen[k] = true
					if !yield(k) {
						return
					}
				}
			}
		}
	}
}
