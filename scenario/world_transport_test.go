package scenario

import (
	"testing"

	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/timeline"
)

// TestWorldTransports: each transport puts RAS and call signalling where it
// says (world_tunnel.go), and the PBX sends its Setup over the connection an
// H.460.17 device maintains instead of dialling it (B32).
func TestWorldTransports(t *testing.T) {
	tests := []struct {
		transport      string
		rasProtocol    string // Wire.Protocol of the device's RRQ
		rasTransport   string
		rasPort        uint16 // the PBX port the RRQ goes to
		setupTransport string
		setupFromPort  uint16 // the PBX's port of the Setup to the phone
	}{
		{"h323", "ras", "udp", pbx.PortRAS, "tcp", 0},
		{"h323-tcp", "ras", "tcp", pbx.PortSignalling, "tcp", pbx.PortSignalling},
		{"h323-tls", "ras", "tls", pbx.PortSecure, "tls", pbx.PortSecure},
		{"h323-dtls", "ras", "dtls", pbx.PortSecure, "tls", 0},
	}
	for _, tt := range tests {
		t.Run(tt.transport, func(t *testing.T) {
			r := runWorldCase(t, `name: x
duration: 20s
pbx:
  users:
    - {name: alice, number: "201", password: s3cret}
    - {name: bob, number: "202"}
devices:
  - {name: alice-phone, user: alice, kind: myapps, os: android, app: foreground, transport: `+tt.transport+`, answer: {after: 1s}}
  - {name: bob-desk, user: bob, kind: deskphone}
calls:
  - {at: 2s, from: bob-desk, to: "201", hangup_after: 1s}
  - {at: 6s, from: alice-phone, to: "202"}
actions: [{at: 10s, device: alice-phone, app: closed}]
expect:
  - {event: ras.rcf, to: alice-phone}
  - {event: q931.setup, from: pbx, to: alice-phone}
  - {event: q931.connect, from: alice-phone}
  - {event: q931.release_complete, from: pbx, to: alice-phone}
  - {event: q931.setup, from: alice-phone, to: pbx}
  - {event: ras.urq, from: alice-phone}
  - {event: ras.ucf, to: alice-phone}
`)
			rrq := first(t, r, "ras.rrq", "alice-phone")
			if w := rrq.Wire; w == nil || w.Protocol != tt.rasProtocol || w.Transport != tt.rasTransport || w.Dst.Port() != tt.rasPort {
				t.Errorf("RRQ wire %+v, want %s over %s to port %d", w, tt.rasProtocol, tt.rasTransport, tt.rasPort)
			}
			// An H.460.17 device places its call on the connection its RAS
			// uses; the others dial a new one.
			own := first(t, r, "q931.setup", "alice-phone")
			if shared := own.Wire.Src == rrq.Wire.Src; shared != (tt.setupFromPort != 0) {
				t.Errorf("the phone's Setup from %v, its RRQ from %v", own.Wire.Src, rrq.Wire.Src)
			}
			setup := first(t, r, "q931.setup", "pbx")
			if w := setup.Wire; w == nil || w.Transport != tt.setupTransport {
				t.Errorf("Setup wire %+v, want %s", w, tt.setupTransport)
			} else if maintained := tt.setupFromPort != 0; maintained != (w.Src.Port() == tt.setupFromPort) {
				t.Errorf("Setup from PBX port %d; over the maintained connection: %t", w.Src.Port(), maintained)
			}
		})
	}
}

// first returns the first event called name sent by from.
func first(t *testing.T, r *Result, name, from string) timeline.Event {
	t.Helper()
	for _, e := range r.Timeline.Events() {
		if v, _ := e.Get("from"); e.Name == name && v == from {
			return e
		}
	}
	t.Fatalf("no %s from %s", name, from)
	return timeline.Event{}
}

// TestWorldRAS: RAS beyond the happy path — the registration expires when a
// device goes silent and the next call pushes again; a call to a number
// nobody has is refused with ARJ before any signalling.
func TestWorldRAS(t *testing.T) {
	for _, transport := range []string{"h323", "h323-tcp"} {
		t.Run(transport, func(t *testing.T) {
			runWorldCase(t, `name: x
duration: 220s
pbx:
  push: {name: Push, url: wss://push.test/push/ws, certificate: device}
  users:
    - {name: alice, number: "201", push: Push}
    - {name: bob, number: "202"}
devices:
  - {name: alice-iphone, user: alice, kind: myapps, os: ios, app: foreground, transport: `+transport+`}
  - {name: bob-desk, user: bob, kind: deskphone}
actions:
  - {at: 5s, network: {device: alice-iphone, loss: 1.0}}
calls:
  - {at: 150s, from: bob-desk, to: "201"}
  - {at: 160s, from: bob-desk, to: "999"}
expect:
  - {event: ras.rcf, to: alice-iphone, at: 0s..1s}
  - {event: ras.registration_expired, alias: alice, at: 120s..135s}
  - {event: push.request, user: alice, at: 150s..151s}
  - {event: ras.arj, to: bob-desk, reason: calledPartyNotRegistered, at: 160s..161s}
  - {event: call.not_placed, device: bob-desk, to: "999"}
  - {never: q931.setup, to: alice-iphone}
`)
		})
	}
}
