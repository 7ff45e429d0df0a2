package ras

import (
	"testing"
	"time"
)

func users(passwords map[string]string) (func(string) (string, bool), func(string) bool) {
	password := func(alias string) (string, bool) {
		p, ok := passwords[alias]
		return p, ok && p != ""
	}
	known := func(alias string) bool { _, ok := passwords[alias]; return ok }
	return password, known
}

var call1 = CallInfo{CallID: [16]byte{1, 2, 3}, ConferenceID: [16]byte{4, 5, 6}, CallReference: 77, Answer: true}

func TestFullExchange(t *testing.T) {
	password, known := users(map[string]string{"alice": "", "bob": ""})
	h := newHarness(t, EndpointConfig{Alias: "alice", Number: "201", TimeToLive: 300 * time.Second, Discover: true, KeepAlive: true},
		GatekeeperConfig{TimeToLive: 120 * time.Second, Password: password, Known: known})
	h.epEffects(h.ep.Register(h.now))
	h.expectLog(
		"   0.0s ep ras.grq seq=1",
		"   0.0s gk ras.gcf seq=1",
		"   0.0s ep ras.rrq seq=2",
		"   0.0s gk ras.rcf seq=2",
		"   0.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
		"   0.0s gk EndpointRegistered ep-0001 alice",
	)
	if !h.ep.Registered() || h.ep.GatekeeperID() != "pbx" {
		t.Fatalf("registered=%v gatekeeper=%q", h.ep.Registered(), h.ep.GatekeeperID())
	}
	if reg, ok := h.gk.Lookup("201"); !ok || reg.Alias != "alice" || reg.CallSignalAddress != epCS || reg.RASAddress != epRAS {
		t.Fatalf("Lookup(201) = %+v, %v", reg, ok)
	}
	// Keep-alive at 90 % of the granted 120 s, twice; the registration never expires.
	h.advance(230 * time.Second)
	h.expectLog(
		" 108.0s ep ras.rrq seq=3 keepalive=true",
		" 108.0s gk ras.rcf seq=3",
		" 216.0s ep ras.rrq seq=4 keepalive=true",
		" 216.0s gk ras.rcf seq=4",
	)
	h.epEffects(h.ep.Admit(h.now, call1))
	h.epEffects(h.ep.Disengage(h.now, call1))
	out := call1
	out.Answer, out.Destination = false, "202"
	h.epEffects(h.ep.Admit(h.now, out))
	out.Destination = "bob"
	h.epEffects(h.ep.Admit(h.now, out))
	h.epEffects(h.ep.Unregister(h.now))
	h.expectLog(
		" 230.0s ep ras.arq seq=5",
		" 230.0s gk ras.acf seq=5",
		" 230.0s ep Admitted to 10.0.0.1:1720",
		" 230.0s ep ras.drq seq=6",
		" 230.0s gk ras.dcf seq=6",
		" 230.0s ep Disengaged ",
		" 230.0s ep ras.arq seq=7",
		" 230.0s gk ras.arj seq=7 reason=calledPartyNotRegistered",
		" 230.0s ep AdmissionRejected calledPartyNotRegistered",
		" 230.0s ep ras.arq seq=8",
		" 230.0s gk ras.acf seq=8",
		" 230.0s ep Admitted to 10.0.0.1:1720",
		" 230.0s ep ras.urq seq=9",
		" 230.0s gk ras.ucf seq=9",
		" 230.0s ep Unregistered urq",
		" 230.0s gk EndpointUnregistered ep-0001 urq",
	)
	if h.ep.Registered() {
		t.Fatal("still registered after UCF")
	}
	if _, ok := h.gk.Lookup("alice"); ok {
		t.Fatal("gatekeeper still has alice")
	}
	// Nothing is left running on either side.
	h.advance(time.Hour)
	h.expectLog()
	if len(h.epTimers)+len(h.gkTimers) != 0 {
		t.Fatalf("timers left: %v %v", h.epTimers, h.gkTimers)
	}
	// ARQ after unregistration is refused locally.
	h.epEffects(h.ep.Admit(h.now, call1))
	h.expectLog("3830.0s ep AdmissionRejected notRegistered")
}

// TestMaintainConnectionReachesRegistration: the gatekeeper's registration
// says whether the RRQ announced maintainConnection (B32: the PBX then sends
// its Setups over the endpoint's open connection).
func TestMaintainConnectionReachesRegistration(t *testing.T) {
	for _, maintain := range []bool{false, true} {
		password, known := users(map[string]string{"alice": ""})
		h := newHarness(t, EndpointConfig{Alias: "alice", Number: "201", MaintainConnection: maintain},
			GatekeeperConfig{TimeToLive: 120 * time.Second, Password: password, Known: known})
		h.epEffects(h.ep.Register(h.now))
		reg, ok := h.gk.Lookup("alice")
		if !ok || reg.MaintainConnection != maintain {
			t.Fatalf("maintain %t: registration %+v, %v", maintain, reg, ok)
		}
	}
}

// TestGatekeeperIDDiscovery: an endpoint configured for another gatekeeper
// ID gets GRJ terminalExcluded and does not register; the right ID (or
// none) registers (B30).
func TestGatekeeperIDDiscovery(t *testing.T) {
	tests := []struct {
		name, id   string
		registered bool
		log        []string
	}{
		{"any", "", true, []string{"   0.0s ep ras.grq seq=1", "   0.0s gk ras.gcf seq=1"}},
		{"right", "pbx", true, []string{"   0.0s ep ras.grq seq=1", "   0.0s gk ras.gcf seq=1"}},
		{"wrong", "other-pbx", false, []string{
			"   0.0s ep ras.grq seq=1",
			"   0.0s gk ras.grj seq=1 reason=terminalExcluded",
			"   0.0s ep RegistrationFailed discoveryRejected",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			password, known := users(map[string]string{"alice": ""})
			h := newHarness(t, EndpointConfig{Alias: "alice", Discover: true, GatekeeperID: tt.id},
				GatekeeperConfig{TimeToLive: 120 * time.Second, Password: password, Known: known})
			h.epEffects(h.ep.Register(h.now))
			if len(h.log) < len(tt.log) {
				t.Fatalf("log %q", h.log)
			}
			h.log = h.log[:len(tt.log)]
			h.expectLog(tt.log...)
			if h.ep.Registered() != tt.registered {
				t.Fatalf("registered %t, want %t", h.ep.Registered(), tt.registered)
			}
		})
	}
}

// TestPreGrantedAnswer: a gatekeeper configured to pre-grant answering says
// so in its RCFs (full and lightweight), and the endpoint reports it; without
// it the endpoint must ask, and an answer ARQ is admitted.
func TestPreGrantedAnswer(t *testing.T) {
	for _, grant := range []bool{false, true} {
		password, known := users(map[string]string{"alice": ""})
		h := newHarness(t, EndpointConfig{Alias: "alice", Number: "201", KeepAlive: true},
			GatekeeperConfig{TimeToLive: 120 * time.Second, Password: password, Known: known, PreGrantAnswer: grant})
		var reported []bool
		h.epEffects(h.ep.Register(h.now))
		for _, e := range h.wire {
			if e.src == gkRAS {
				if m, err := Decode(e.send.Payload); err == nil && m.RegistrationConfirm != nil {
					reported = append(reported, m.RegistrationConfirm.PreGrantedARQ != nil && m.RegistrationConfirm.PreGrantedARQ.AnswerCall)
				}
			}
		}
		if len(reported) != 1 || reported[0] != grant || h.ep.AnswerPreGranted() != grant {
			t.Fatalf("grant %v: RCF pre-grants %v, endpoint says %v", grant, reported, h.ep.AnswerPreGranted())
		}
		h.advance(110 * time.Second) // a keep-alive RCF keeps the grant
		if h.ep.AnswerPreGranted() != grant {
			t.Fatalf("grant %v: after the keep-alive the endpoint says %v", grant, h.ep.AnswerPreGranted())
		}
		h.log = nil
		h.epEffects(h.ep.Admit(h.now, CallInfo{CallID: [16]byte{9}, Answer: true, Calling: "202"}))
		h.expectLog(
			" 110.0s ep ras.arq seq=3",
			" 110.0s gk ras.acf seq=3",
			" 110.0s ep Admitted to 10.0.0.1:1720",
		)
	}
}
