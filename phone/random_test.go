package phone

import (
	"math/rand/v2"
	"testing"
	"time"
)

func sleeps(p *Phone) time.Duration { d, _ := p.sleepAfter(); return d }

// TestRandomInputsKeepInvariants drives every kind of phone with a seeded
// stream of inputs in any order: no panic, and the state stays coherent.
func TestRandomInputsKeepInvariants(t *testing.T) {
	configs := []Config{
		iphone(func(c *Config) { c.DNDClosedStopsWake = true }),
		android(KindMyApps, func(c *Config) { c.Android.Overlay = false }),
		android(KindMyPBX, func(c *Config) { c.Android.Push = PushOn; c.Android.StartAutomatically = StartNever }),
		android(KindMyPBX, nil),
		Defaults("desk", KindDeskphone, ""),
	}
	states := []AppState{Foreground, Background, Closed, LoggedOut}
	for _, cfg := range configs {
		cfg.Wake = Latency{Min: time.Second, Max: 2 * time.Second}
		rng := rand.New(rand.NewPCG(3, 4))
		p, err := New(cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5000 {
			call := CallRef(rng.IntN(4))
			var in Input
			switch rng.IntN(11) {
			case 0:
				in = Start{}
			case 1:
				in = PushArrived{Call: call, Type: []string{"call", "call", "notification"}[rng.IntN(3)], Number: "202"}
			case 2:
				in = RegistrationConfirmed{}
			case 3:
				in = RegistrationFailed{Reason: "securityDenial"}
			case 4:
				in = Unregistered{}
			case 5:
				in = IncomingCall{Call: call, Number: "202", Silent: rng.IntN(4) == 0}
			case 6:
				in = CallerNameUpdated{Call: call, Name: "bob"}
			case 7:
				in = CallReleased{Call: call, Cause: 16}
			case 8:
				in = TimerFired{ID: TimerID{TimerKind(1 + rng.IntN(3)), call}}
			case 9:
				in = AppStateChanged{State: states[rng.IntN(len(states))]}
			case 10:
				in = PresenceChanged{Presence: []Presence{Available, DND}[rng.IntN(2)]}
			}
			_, err := p.Handle(in)
			if _, isApp := in.(AppStateChanged); err != nil && !isApp {
				t.Fatalf("%s step %d %#v: %v", cfg.Device, i, in, err)
			}
			switch {
			case p.waking && !p.running:
				t.Fatalf("%s step %d: waking but not running", cfg.Device, i)
			case p.idleTimer && (!p.running || p.app != Background || sleeps(p) == 0):
				t.Fatalf("%s step %d: idle timer on an app that does not sleep now", cfg.Device, i)
			case len(p.notes) > maxNotes:
				t.Fatalf("%s step %d: %d notes", cfg.Device, i, len(p.notes))
			case p.registered && !p.running:
				t.Fatalf("%s step %d: registered but not running", cfg.Device, i)
			case p.app == LoggedOut && p.running:
				t.Fatalf("%s step %d: logged out but running", cfg.Device, i)
			}
		}
	}
}
