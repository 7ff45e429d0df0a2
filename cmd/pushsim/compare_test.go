package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/callwake/callwake/scenario"
)

// The simulated world of TestWokenAppsAnswer: the same users, apps,
// settings and calls as a scenario file, run by the simulator.
const wokenScenario = `name: woken-apps-answer
duration: 20s
pbx:
  system_name: pbx.example
  push: {name: Push}
  users:
    - {name: alice, number: "201", push: Push}
    - {name: dave, number: "202", push: Push}
    - {name: caller0, number: "300"}
    - {name: caller1, number: "301"}
devices:
  - {name: alice-iphone, user: alice, kind: myapps, os: ios, app: background, wake: 500ms, answer: {after: 500ms}}
  - {name: dave-pixel, user: dave, kind: myapps, os: android, app: background, wake: 500ms, answer: {after: 500ms}}
  - {name: caller0-desk, user: caller0, kind: deskphone}
  - {name: caller1-desk, user: caller1, kind: deskphone}
calls:
  - {at: 2s, from: caller0-desk, to: "201", hangup_after: 2s}
  - {at: 2s, from: caller1-desk, to: "202", hangup_after: 2s}
expect:
  - event: q931.connect
    to: caller0-desk
`

// simulatedSequence runs the scenario and returns, for device, the push
// it got and the RAS and Q.931 messages it sent, up to its Connect.
func simulatedSequence(t *testing.T, src, device string) []string {
	t.Helper()
	f, err := scenario.Parse("compare.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r, err := scenario.Run(f, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed() {
		t.Fatalf("the simulated scenario failed: %v", scenario.Failed(r.Verdicts))
	}
	var out []string
	for _, e := range r.Timeline.Events() {
		from, _ := e.Get("from")
		to, _ := e.Get("to")
		switch {
		case e.Name == "push.delivered" && to == device:
			out = append(out, "<- "+e.Name)
		case e.Name == "q931.facility":
			// Facilities carry tunnelled H.245 only: when they go, between
			// the other messages, is the wall clock's on real sockets.
		case from == device && (strings.HasPrefix(e.Name, "ras.") || strings.HasPrefix(e.Name, "q931.")):
			out = append(out, "-> "+e.Name)
		}
		if e.Name == "q931.connect" && from == device {
			break
		}
	}
	return out
}

// realSequence is the same from a `phonesim app` trace.
func realSequence(trace []string) []string {
	var out []string
	for _, line := range trace {
		f := strings.Fields(line)
		if len(f) < 3 || (f[1] != "->" && f[1] != "<-") {
			continue
		}
		name := f[2]
		switch {
		case f[1] == "<-" && name == "push.delivered":
			out = append(out, "<- "+name)
		case name == "q931.facility": // as in simulatedSequence
		case f[1] == "->" && (strings.HasPrefix(name, "ras.") || strings.HasPrefix(name, "q931.")):
			out = append(out, "-> "+name)
		}
		if f[1] == "->" && name == "q931.connect" {
			break
		}
	}
	return out
}

// upToConnect cuts a sequence after the device's Connect.
func upToConnect(s []string) []string {
	if i := slices.Index(s, "-> q931.connect"); i >= 0 {
		return s[:i+1]
	}
	return s
}

func compareWithSimulation(t *testing.T, src, device string, trace []string) {
	t.Helper()
	sim := upToConnect(simulatedSequence(t, src, device))
	real := upToConnect(realSequence(trace))
	if !slices.Equal(sim, real) {
		t.Errorf("%s: the real run and the simulated one differ:\n  real: %v\n  sim:  %v", device, real, sim)
	}
	if len(sim) < 5 {
		t.Errorf("%s: simulated sequence too short to compare: %v", device, sim)
	}
}
