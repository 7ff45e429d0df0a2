package ras

import (
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
)

func mustEncode(t *testing.T, m *h225.RasMessage) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTimersAndErrors(t *testing.T) {
	password, known := users(map[string]string{"alice": ""})
	lose := func(side string) func(string, Send) bool {
		return func(from string, _ Send) bool { return from == side }
	}
	tests := []struct {
		name   string
		ep     EndpointConfig
		gk     GatekeeperConfig
		script func(h *harness)
		want   []string
	}{
		{
			name: "RRQ retransmitted at 3 s and 6 s, given up at 9 s",
			ep:   EndpointConfig{Alias: "alice"},
			script: func(h *harness) {
				h.drop = lose("ep")
				h.epEffects(h.ep.Register(h.now))
				h.advance(time.Minute)
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s    lost",
				"   3.0s ep ras.rrq seq=1 retry=1", "   3.0s    lost",
				"   6.0s ep ras.rrq seq=1 retry=2", "   6.0s    lost",
				"   9.0s ep ras.urq seq=2 cleanup=true", "   9.0s    lost",
				"   9.0s ep RegistrationFailed timeout",
				"  12.0s ep ras.urq seq=2 retry=1 cleanup=true", "  12.0s    lost",
				"  15.0s ep ras.urq seq=2 retry=2 cleanup=true", "  15.0s    lost",
			},
		},
		{
			name: "GRQ retransmitted at 5 s and 10 s, given up at 15 s",
			ep:   EndpointConfig{Alias: "alice", Discover: true},
			script: func(h *harness) {
				h.drop = lose("gk")
				h.epEffects(h.ep.Register(h.now))
				h.advance(time.Minute)
			},
			want: []string{
				"   0.0s ep ras.grq seq=1", "   0.0s gk ras.gcf seq=1", "   0.0s    lost",
				"   5.0s ep ras.grq seq=1 retry=1", "   5.0s gk ras.gcf seq=1", "   5.0s    lost",
				"  10.0s ep ras.grq seq=1 retry=2", "  10.0s gk ras.gcf seq=1", "  10.0s    lost",
				"  15.0s ep RegistrationFailed timeout",
			},
		},
		{
			name: "a lost RCF is recovered by the retransmission",
			ep:   EndpointConfig{Alias: "alice"},
			script: func(h *harness) {
				lost := 0
				h.drop = func(from string, _ Send) bool { lost++; return from == "gk" && lost < 3 }
				h.epEffects(h.ep.Register(h.now))
				h.advance(time.Minute)
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s    lost",
				"   0.0s gk EndpointRegistered ep-0001 alice",
				"   3.0s ep ras.rrq seq=1 retry=1", "   3.0s gk ras.rcf seq=1", "   3.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   3.0s gk EndpointRegistered ep-0001 alice",
			},
		},
		{
			name: "RequestInProgress re-arms the timer with its delay",
			ep:   EndpointConfig{Alias: "alice"},
			script: func(h *harness) {
				h.drop = lose("ep")
				h.epEffects(h.ep.Register(h.now))
				h.advance(2 * time.Second)
				h.epEffects(h.ep.HandleDatagram(h.now, gkRAS, mustEncode(h.t, NewRIP(1, 10*time.Second))))
				h.advance(time.Minute)
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s    lost",
				"  12.0s ep ras.rrq seq=1 retry=1", "  12.0s    lost",
				"  15.0s ep ras.rrq seq=1 retry=2", "  15.0s    lost",
				"  18.0s ep ras.urq seq=2 cleanup=true", "  18.0s    lost",
				"  18.0s ep RegistrationFailed timeout",
				"  21.0s ep ras.urq seq=2 retry=1 cleanup=true", "  21.0s    lost",
				"  24.0s ep ras.urq seq=2 retry=2 cleanup=true", "  24.0s    lost",
			},
		},
		{
			name: "without keep-alive the registration expires at TTL + grace",
			ep:   EndpointConfig{Alias: "alice", TimeToLive: 120 * time.Second},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
				h.advance(10 * time.Minute)
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
				" 130.0s gk record ras.registration_expired", " 130.0s gk EndpointUnregistered ep-0001 expired",
			},
		},
		{
			name: "lost keep-alives: the endpoint gives up at 117 s, the gatekeeper expires it at 130 s",
			ep:   EndpointConfig{Alias: "alice", KeepAlive: true},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
				h.drop = lose("ep")
				h.advance(10 * time.Minute)
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
				" 108.0s ep ras.rrq seq=2 keepalive=true", " 108.0s    lost",
				" 111.0s ep ras.rrq seq=2 keepalive=true retry=1", " 111.0s    lost",
				" 114.0s ep ras.rrq seq=2 keepalive=true retry=2", " 114.0s    lost",
				" 117.0s ep ras.urq seq=3 cleanup=true", " 117.0s    lost",
				" 117.0s ep Unregistered timeout",
				" 120.0s ep ras.urq seq=3 retry=1 cleanup=true", " 120.0s    lost",
				" 123.0s ep ras.urq seq=3 retry=2 cleanup=true", " 123.0s    lost",
				" 130.0s gk record ras.registration_expired", " 130.0s gk EndpointUnregistered ep-0001 expired",
			},
		},
		{
			name: "keep-alive to a gatekeeper that lost the registration: full RRQ again",
			ep:   EndpointConfig{Alias: "alice", KeepAlive: true},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
				h.gk = NewGatekeeper(GatekeeperConfig{ID: "pbx", RASAddress: gkRAS, TimeToLive: 60 * time.Second})
				h.gkTimers = map[TimerID]time.Time{}
				h.advance(110 * time.Second)
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
				" 108.0s ep ras.rrq seq=2 keepalive=true", " 108.0s gk ras.rrj seq=2 reason=fullRegistrationRequired",
				" 108.0s ep ras.rrq seq=3", " 108.0s gk ras.rcf seq=3", " 108.0s ep Registered ep-0001 1m0s signal 10.0.0.1:1720",
				" 108.0s gk EndpointRegistered ep-0001 alice",
			},
		},
		{
			name: "an IRQ answered by an IRR refreshes the registration",
			ep:   EndpointConfig{Alias: "alice", Password: ""},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
				h.advance(100 * time.Second)
				h.gkEffects(h.gk.RequestInfo(h.now, "alice"))
				h.gkEffects(h.gk.RequestInfo(h.now, "nobody"))
				h.advance(10 * time.Minute)
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
				"   0.0s gk EndpointRegistered ep-0001 alice",
				" 100.0s gk ras.irq seq=1", " 100.0s ep ras.irr seq=1",
				" 230.0s gk record ras.registration_expired", " 230.0s gk EndpointUnregistered ep-0001 expired",
			},
		},
		{
			name: "an RCF with another sequence number is ignored",
			ep:   EndpointConfig{Alias: "alice"},
			script: func(h *harness) {
				h.drop = lose("ep")
				h.epEffects(h.ep.Register(h.now))
				rcf := NewRCF(99, "pbx", gkRAS, Info{Alias: "alice", EndpointID: "ep-9"}, time.Minute)
				h.epEffects(h.ep.HandleDatagram(h.now, gkRAS, mustEncode(h.t, rcf)))
				if h.ep.Registered() {
					h.t.Error("registered by a stray RCF")
				}
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s    lost",
				`   0.0s ep record ras.ignored why="no outstanding request"`,
			},
		},
		{
			name: "malformed datagrams are recorded and dropped on both sides",
			ep:   EndpointConfig{Alias: "alice"},
			script: func(h *harness) {
				for _, junk := range [][]byte{nil, {0xff}, {0x0e, 0xff, 0xff, 0xff, 0xff}, make([]byte, 70000)} {
					h.epEffects(h.ep.HandleDatagram(h.now, gkRAS, junk))
					h.gkEffects(h.gk.HandleDatagram(h.now, epRAS, junk))
				}
			},
			want: []string{
				`   0.0s ep record ras.malformed error="ras: empty datagram"`,
				`   0.0s gk record ras.malformed error="ras: empty datagram"`,
				`   0.0s ep record ras.malformed error=<codec>`,
				`   0.0s gk record ras.malformed error=<codec>`,
				`   0.0s ep record ras.malformed error=<codec>`,
				`   0.0s gk record ras.malformed error=<codec>`,
				`   0.0s ep record ras.malformed error="ras: datagram of 70000 bytes exceeds 65507"`,
				`   0.0s gk record ras.malformed error="ras: datagram of 70000 bytes exceeds 65507"`,
			},
		},
		{
			name: "unknown alias: RRJ invalidAlias",
			ep:   EndpointConfig{Alias: "mallory"},
			script: func(h *harness) {
				h.epEffects(h.ep.Register(h.now))
			},
			want: []string{
				"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rrj seq=1 reason=invalidAlias",
				"   0.0s ep RegistrationFailed invalidAlias",
			},
		},
		{
			name: "GRQ naming another gatekeeper: GRJ terminalExcluded",
			ep:   EndpointConfig{Alias: "alice"},
			script: func(h *harness) {
				grq := NewGRQ(7, Info{Alias: "alice", RASAddress: epRAS, GatekeeperID: "other"}, false)
				h.gkEffects(h.gk.HandleDatagram(h.now, epRAS, mustEncode(h.t, grq)))
			},
			want: []string{
				"   0.0s gk ras.grj seq=7 reason=terminalExcluded",
				`   0.0s ep record ras.ignored why="no outstanding request"`,
			},
		},
		{
			name: "URQ, ARQ and DRQ of an unknown endpoint are rejected",
			ep:   EndpointConfig{Alias: "alice"},
			script: func(h *harness) {
				ep := Info{Alias: "alice", EndpointID: "ep-0042", RASAddress: epRAS, CallSignalAddress: epCS}
				for _, m := range []*h225.RasMessage{NewURQ(1, ep), NewARQ(2, ep, call1), NewDRQ(3, ep, call1)} {
					h.gkEffects(h.gk.HandleDatagram(h.now, epRAS, mustEncode(h.t, m)))
				}
			},
			want: []string{
				"   0.0s gk ras.urj seq=1 reason=notCurrentlyRegistered", `   0.0s ep record ras.ignored why="no outstanding request"`,
				"   0.0s gk ras.arj seq=2 reason=callerNotRegistered", `   0.0s ep record ras.ignored why="no outstanding request"`,
				"   0.0s gk ras.drj seq=3 reason=notRegistered", `   0.0s ep record ras.ignored why="no outstanding request"`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gc := tc.gk
			if gc.TimeToLive == 0 {
				gc.TimeToLive = 120 * time.Second
			}
			gc.Password, gc.Known = password, known
			h := newHarness(t, tc.ep, gc)
			tc.script(h)
			h.expectLog(tc.want...)
		})
	}
}
