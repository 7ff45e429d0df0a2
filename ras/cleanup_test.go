package ras

import (
	"testing"
	"time"
)

// TestGivingUpSendsURQ: an endpoint that abandons an RRQ it sent, or whose
// RRQ went unanswered, unregisters what the gatekeeper may hold; registering
// again stops the cleanup URQ, so that it cannot unregister the new
// registration.
func TestGivingUpSendsURQ(t *testing.T) {
	loseRCF := func(from string, s Send) bool { return from == "gk" && s.Event == "ras.rcf" }
	t.Run("abandoned RRQ whose RCF was lost", func(t *testing.T) {
		h := newHarness(t, EndpointConfig{Alias: "alice"}, GatekeeperConfig{TimeToLive: 120 * time.Second})
		h.drop = loseRCF
		h.epEffects(h.ep.Register(h.now))
		h.advance(time.Second)
		h.epEffects(h.ep.Unregister(h.now))
		h.advance(time.Minute)
		h.expectLog(
			"   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rcf seq=1", "   0.0s    lost",
			"   0.0s gk EndpointRegistered ep-0001 alice",
			"   1.0s ep ras.urq seq=2 cleanup=true", "   1.0s gk ras.ucf seq=2", "   1.0s gk EndpointUnregistered ep-0001 urq",
		)
		if _, ok := h.gk.Lookup("alice"); ok {
			t.Fatal("the gatekeeper still holds the registration")
		}
	})
	t.Run("registering again stops the cleanup URQ", func(t *testing.T) {
		h := newHarness(t, EndpointConfig{Alias: "alice"}, GatekeeperConfig{TimeToLive: 120 * time.Second})
		h.drop = func(from string, s Send) bool { return true } // the gatekeeper is out of reach
		h.epEffects(h.ep.Register(h.now))
		h.advance(10 * time.Second) // RRQ given up at 9 s, cleanup URQ sent
		h.drop = nil
		h.epEffects(h.ep.Register(h.now))
		h.advance(time.Minute)
		h.expectLog(
			"   0.0s ep ras.rrq seq=1", "   0.0s    lost",
			"   3.0s ep ras.rrq seq=1 retry=1", "   3.0s    lost",
			"   6.0s ep ras.rrq seq=1 retry=2", "   6.0s    lost",
			"   9.0s ep ras.urq seq=2 cleanup=true", "   9.0s    lost",
			"   9.0s ep RegistrationFailed timeout",
			"  10.0s ep ras.rrq seq=3", "  10.0s gk ras.rcf seq=3", "  10.0s ep Registered ep-0001 2m0s signal 10.0.0.1:1720",
			"  10.0s gk EndpointRegistered ep-0001 alice",
		)
		if !h.ep.Registered() {
			t.Fatal("not registered")
		}
	})
	t.Run("an RRQ refused (RRJ) needs no URQ", func(t *testing.T) {
		h := newHarness(t, EndpointConfig{Alias: "mallory"}, GatekeeperConfig{TimeToLive: 120 * time.Second,
			Known: func(a string) bool { return a == "alice" }})
		h.epEffects(h.ep.Register(h.now))
		h.advance(time.Minute)
		h.expectLog("   0.0s ep ras.rrq seq=1", "   0.0s gk ras.rrj seq=1 reason=invalidAlias", "   0.0s ep RegistrationFailed invalidAlias")
	})
}
