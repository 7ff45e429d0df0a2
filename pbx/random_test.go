package pbx

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestRandomInputsKeepInvariants drives the core with a long seeded stream
// of plausible and implausible inputs: it must never panic, and the
// bookkeeping must stay consistent (every live leg indexed, no busy count
// below zero, calls indexed both ways).
func TestRandomInputsKeepInvariants(t *testing.T) {
	cfg := with(func(c *Config) {
		c.NameLookup = time.Second
		c.Users[0].Forks = []string{"201", "299"}
		c.Users[0].CFNR = &Forward{To: "202", After: 5 * time.Second}
		c.Users[1].CFB = &Forward{To: "299"}
		c.Users[2].CFU = nil
		c.Devices = append(c.Devices,
			Device{Name: "alice-desk", User: "alice", Kind: KindDeskphone},
			Device{Name: "bob-android", User: "bob", Kind: KindMyPBX, Platform: Android, PushToken: true})
	})
	rng := rand.New(rand.NewPCG(1, 2))
	devices := []string{"alice-iphone", "bob-desk", "carol-desk", "alice-desk", "bob-android"}
	numbers := []string{"201", "202", "299", "777"}
	for _, version := range Versions() {
		cfg.Version = version
		p := mustNew(t, cfg)
		for i := range 5000 {
			var in Input
			call := CallID(rng.IntN(6))
			leg := LegID(rng.IntN(int(p.nextLeg) + 2))
			switch rng.IntN(12) {
			case 0:
				in = DeviceRegistered{Device: devices[rng.IntN(len(devices))]}
			case 1:
				in = DeviceUnregistered{Device: devices[rng.IntN(len(devices))]}
			case 2:
				in = CallArrived{Call: call, From: devices[rng.IntN(len(devices))], Dialled: numbers[rng.IntN(len(numbers))]}
			case 3:
				in = CallerReleased{Call: call, Cause: 16}
			case 4:
				in = LegAlerted{Leg: leg}
			case 5:
				in = LegConnected{Leg: leg}
			case 6:
				in = LegReleased{Leg: leg, Cause: []int{16, 17, 21, 0}[rng.IntN(4)]}
			case 7, 8:
				in = TimerFired{ID: TimerID{TimerKind(1 + rng.IntN(3)), call}}
			case 9:
				in = PushObjectChanged{Connected: rng.IntN(2) == 0}
			case 10:
				in = PresenceChanged{User: []string{"alice", "bob"}[rng.IntN(2)], Presence: []Presence{Available, DND}[rng.IntN(2)]}
			case 11:
				if rng.IntN(2) == 0 {
					in = PushTokenDropped{Device: "alice-iphone"}
				} else {
					in = PushTokenRegistered{Device: "alice-iphone"}
				}
			}
			if _, err := p.Handle(in); err != nil {
				if _, isCall := in.(CallArrived); !isCall {
					t.Fatalf("%s step %d %#v: %v", version, i, in, err)
				}
			}
			checkInvariants(t, p)
		}
	}
}

func checkInvariants(t *testing.T, p *PBX) {
	t.Helper()
	legs := 0
	busy := map[int]int{}
	for id, c := range p.callByID {
		if c.id != id {
			t.Fatalf("call %d indexed as %d", c.id, id)
		}
		// A call waits on exactly its targets' lists while unconnected.
		for ui := range p.users {
			in := slices.Contains(p.users[ui].waiting, c)
			if want := !c.connected && slices.Contains(c.targets, ui); in != want {
				t.Fatalf("call %d on user %d's waiting list: %v, want %v", c.id, ui, in, want)
			}
		}
		for _, l := range c.legs {
			if p.legCall[l.id] != c {
				t.Fatalf("leg %d of call %d not indexed", l.id, c.id)
			}
		}
		legs += len(c.legs)
		if c.connected {
			busy[c.caller]++
			busy[c.answeredBy]++
			if len(c.legs) != 1 || c.pushWait || c.cfnrWait {
				t.Fatalf("connected call %d: %d legs, waits %v %v", c.id, len(c.legs), c.pushWait, c.cfnrWait)
			}
		}
	}
	for ui, u := range p.users {
		for i, c := range u.waiting {
			if p.callByID[c.id] != c {
				t.Fatalf("user %d waits on ended call %d", ui, c.id)
			}
			if i > 0 && u.waiting[i-1].seq >= c.seq {
				t.Fatalf("user %d's waiting list out of arrival order", ui)
			}
		}
	}
	if legs != len(p.legCall) {
		t.Fatalf("%d live legs, %d indexed", legs, len(p.legCall))
	}
	for i, d := range p.devices {
		if d.connected != busy[i] {
			t.Fatalf("device %s busy count %d, want %d", d.Name, d.connected, busy[i])
		}
	}
}
