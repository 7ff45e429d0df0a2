package scenario

import (
	"strings"
	"testing"
)

// TestWorldWireAndActions: world behaviour that travels on the wire or is
// changed by timed actions (B08 key path, B17 name update, B26 default
// softphone, push results). Each case states what must and must not be seen;
// the expectations fail when the world does it the old way (beside the wire,
// actions refused or ignored).
func TestWorldWireAndActions(t *testing.T) {
	const world = `pbx:
  system_name: example.com
  push: {name: Push, url: wss://push.test/push/ws, certificate: device}
  users:
    - {name: alice, number: "201", push: Push}
    - {name: bob, number: "202"}
`
	tests := []struct{ name, src string }{
		{"B26 default_softphone action stops the push from starting the app", `
devices:
  - {name: alice-pixel, user: alice, kind: myapps, os: android, app: closed}
  - {name: bob-desk, user: bob, kind: deskphone}
actions: [{at: 1s, device: alice-pixel, default_softphone: false}]
calls: [{at: 2s, from: bob-desk, to: "201"}]
expect:
  - {event: push.dropped, device: alice-pixel, reason: not_default}
  - {never: app.started}
`},
		{"B08 websocket_session action delivers the key and the phone shows the caller", `
devices:
  - {name: alice-pixel, user: alice, kind: myapps, os: android, websocket_session: false, answer: {after: 1s}}
  - {name: bob-desk, user: bob, kind: deskphone}
actions:
  - {at: 20s, device: alice-pixel, websocket_session: true}
  - {at: 30s, device: alice-pixel, app: closed}
calls:
  - {at: 2s, from: bob-desk, to: "201", hangup_after: 2s}
  - {at: 40s, from: bob-desk, to: "201", hangup_after: 2s}
expect:
  - {event: device.ringing, device: alice-pixel, number: "", at: 2s..15s}
  - {event: app.key_received, device: alice-pixel, via: websocket, at: 20s..20.1s}
  - {event: device.ringing, device: alice-pixel, number: "202", at: 40s..55s}
  - {event: app.key_received, count: 1}
`},
		{"B08 secure H.323 carries the key, plain H.323 over TCP does not", `
devices:
  - {name: alice-iphone, user: alice, kind: myapps, os: ios, websocket_session: false, transport: h323-tls}
  - {name: alice-pixel, user: alice, kind: myapps, os: android, websocket_session: false, transport: h323-tcp}
  - {name: bob-desk, user: bob, kind: deskphone}
expect:
  - {event: app.key_received, device: alice-iphone, via: h323-tls, at: 0s..0s}
  - {never: app.key_received, device: alice-pixel}
  - {never: app.key_received, device: bob-desk}
`},
		{"push refused by the vendor: call.push_failed, then the call waits for the timeout", `
push_service:
  apns: {available: false}
devices:
  - {name: alice-iphone, user: alice, kind: myapps, os: ios}
  - {name: bob-desk, user: bob, kind: deskphone}
calls: [{at: 2s, from: bob-desk, to: "201"}]
expect:
  - {event: push.forwarded, platform: apns, status: "503"}
  - {event: call.push_failed, user: alice, device: alice-iphone, reason: ServiceUnavailable}
  - {event: call.push_timeout, at: 12s..12.2s}
  - {event: q931.release_complete, to: bob-desk, cause: "18"}
`},
		{"B17 the late name reaches the phone in a Facility with a Display", `
devices:
  - {name: alice-desk, user: alice, kind: deskphone}
  - {name: bob-desk, user: bob, kind: deskphone}
calls: [{at: 2s, from: bob-desk, to: "201"}]
expect:
  - {event: device.ringing, device: alice-desk, number: "202", name: ""}
  - {event: q931.facility, from: pbx, to: alice-desk, reason: undefinedReason}
  - {event: device.caller_updated, device: alice-desk, name: bob}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := world
			if strings.HasPrefix(tt.name, "B17") {
				head = strings.Replace(world, "pbx:\n", "pbx:\n  name_lookup: 1s\n", 1)
			}
			runWorldCase(t, "name: x\nduration: 60s\n"+head+tt.src)
		})
	}
}

// runWorldCase runs a scenario given as text and fails the test with every
// unmet expectation and, then, the timeline.
func runWorldCase(t *testing.T, src string) *Result {
	t.Helper()
	f, err := Parse("x.yaml", []byte(src))
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
	if t.Failed() {
		for _, e := range r.Timeline.Events() {
			t.Log(e.String())
		}
	}
	return r
}
