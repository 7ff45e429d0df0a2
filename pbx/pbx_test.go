package pbx

import (
	"fmt"
	"github.com/callwake/callwake/node"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/timeline"
)

// step is one input and the exact effects it must produce, in order.
type step struct {
	in   Input
	want []Effect
}

func rec(name string, kv ...any) node.Record {
	return node.Record{Name: name, Attrs: timeline.Attrs(kv...)}
}

func show(effects []Effect) string {
	var b strings.Builder
	for _, e := range effects {
		fmt.Fprintf(&b, "\n\t%#v", e)
	}
	return b.String()
}

// baseConfig: alice (201) has an iPhone with myApps; bob (202) and carol
// (299, the CFNR target) have desk phones.
func baseConfig() Config {
	return Config{
		Version: V15r1,
		Push:    &PushObject{Name: "Push", Connected: true},
		Users: []User{
			{Name: "alice", Number: "201", Push: "Push"},
			{Name: "bob", Number: "202"},
			{Name: "carol", Number: "299"},
		},
		Devices: []Device{
			{Name: "alice-iphone", User: "alice", Kind: KindMyApps, Platform: IOS, PushToken: true},
			{Name: "bob-desk", User: "bob", Kind: KindDeskphone},
			{Name: "carol-desk", User: "carol", Kind: KindDeskphone},
		},
	}
}

func with(edit func(*Config)) Config {
	c := baseConfig()
	edit(&c)
	return c
}

var (
	arrive = CallArrived{Call: 1, From: "bob-desk", Dialled: "201"}
	push1  = SendPush{Call: 1, User: "alice", Device: "alice-iphone", Platform: IOS, Type: "call", Number: "202", Name: "bob"}
	reg1   = TimerID{TimerRegistration, 1}
	cfnr1  = TimerID{TimerCFNR, 1}
)

func desksUp() []step {
	return []step{
		{DeviceRegistered{Device: "bob-desk"}, nil},
		{DeviceRegistered{Device: "carol-desk"}, nil},
	}
}

func TestPBXRows(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{
			name: "B11 B12 push then cause 18 at exactly the registration timeout",
			cfg:  baseConfig(),
			steps: append(desksUp(),
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}}},
				step{TimerFired{reg1}, []Effect{
					rec("call.push_timeout", "call", 1, "user", "alice"),
					ReleaseCaller{1, 18},
					rec("call.released", "call", 1, "cause", 18),
				}},
				step{TimerFired{reg1}, nil}, // stale
			),
		},
		{
			name: "B12 configured registration timeout",
			cfg:  with(func(c *Config) { c.RegistrationTimeout = 7 * time.Second }),
			steps: append(desksUp(),
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 7 * time.Second}}},
			),
		},
		{
			name: "B13 app registers in time, alerts, answers",
			cfg:  baseConfig(),
			steps: append(desksUp(),
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}}},
				step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
					node.CancelTimer{ID: reg1.Node()},
					StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"},
				}},
				step{LegAlerted{1}, []Effect{AlertCaller{1}}},
				step{LegConnected{1}, []Effect{ConnectCaller{1, 1}}},
				step{CallerReleased{1, 16}, []Effect{ReleaseLeg{1, 1, 16}, rec("call.released", "call", 1, "cause", 16)}},
				step{LegReleased{1, 16}, nil},
			),
		},
		{
			name: "B14 desk phone rings at once, app joins, first answer wins",
			cfg: with(func(c *Config) {
				c.Devices = append(c.Devices, Device{Name: "alice-desk", User: "alice", Kind: KindDeskphone})
			}),
			steps: append(desksUp(),
				step{DeviceRegistered{Device: "alice-desk"}, nil},
				step{arrive, []Effect{
					ProceedCaller{1},
					StartLeg{Call: 1, Leg: 1, Device: "alice-desk", CallingNumber: "202", CallingName: "bob"},
					push1,
					node.SetTimer{ID: reg1.Node(), After: 10 * time.Second},
				}},
				step{LegAlerted{1}, []Effect{AlertCaller{1}}},
				step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
					node.CancelTimer{ID: reg1.Node()},
					StartLeg{Call: 1, Leg: 2, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"},
				}},
				step{LegAlerted{2}, nil},
				step{LegConnected{2}, []Effect{ConnectCaller{1, 2}, ReleaseLeg{1, 1, 26}}},
				step{LegConnected{1}, nil}, // the released leg is forgotten
				step{LegReleased{2, 16}, []Effect{ReleaseCaller{1, 16}, rec("call.released", "call", 1, "cause", 16)}},
			),
		},
		{
			name: "B14 push timeout while the desk phone rings keeps the call",
			cfg: with(func(c *Config) {
				c.Devices = append(c.Devices, Device{Name: "alice-desk", User: "alice", Kind: KindDeskphone})
			}),
			steps: append(desksUp(),
				step{DeviceRegistered{Device: "alice-desk"}, nil},
				step{arrive, []Effect{
					ProceedCaller{1},
					StartLeg{Call: 1, Leg: 1, Device: "alice-desk", CallingNumber: "202", CallingName: "bob"},
					push1,
					node.SetTimer{ID: reg1.Node(), After: 10 * time.Second},
				}},
				step{TimerFired{reg1}, []Effect{rec("call.push_timeout", "call", 1, "user", "alice")}},
				step{LegReleased{1, 21}, []Effect{ReleaseCaller{1, 21}, rec("call.released", "call", 1, "cause", 21)}},
			),
		},
		{
			name: "B15 12r2 CFNR skips the push and runs at once",
			cfg: with(func(c *Config) {
				c.Version = V12r2
				c.Users[0].CFNR = &Forward{To: "299", After: 20 * time.Second}
			}),
			steps: append(desksUp(),
				step{arrive, []Effect{
					ProceedCaller{1},
					rec("call.push_skipped", "call", 1, "user", "alice", "reason", "cfnr_skips_push"),
					rec("call.forwarded", "call", 1, "reason", "cfnr", "to", "299"),
					StartLeg{Call: 1, Leg: 1, Device: "carol-desk", CallingNumber: "202", CallingName: "bob"},
				}},
			),
		},
		{
			name: "B15 15r1 CFNR waits: push first, CFNR after its timer",
			cfg: with(func(c *Config) {
				c.Users[0].CFNR = &Forward{To: "299", After: 20 * time.Second}
			}),
			steps: append(desksUp(),
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}, node.SetTimer{ID: cfnr1.Node(), After: 20 * time.Second}}},
				step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
					node.CancelTimer{ID: reg1.Node()},
					StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"},
				}},
				step{LegAlerted{1}, []Effect{AlertCaller{1}}},
				step{TimerFired{cfnr1}, []Effect{
					rec("call.forwarded", "call", 1, "reason", "cfnr", "to", "299"),
					ReleaseLeg{1, 1, 16},
					StartLeg{Call: 1, Leg: 2, Device: "carol-desk", CallingNumber: "202", CallingName: "bob"},
				}},
				step{LegConnected{2}, []Effect{ConnectCaller{1, 2}}},
			),
		},
		{
			name: "B15 quirk pinned off in 12r2",
			cfg: with(func(c *Config) {
				c.Version = V12r2
				c.Quirks = Quirks{QuirkCFNRSkipsPush: false}
				c.Users[0].CFNR = &Forward{To: "299", After: 20 * time.Second}
			}),
			steps: append(desksUp(),
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}, node.SetTimer{ID: cfnr1.Node(), After: 20 * time.Second}}},
				// The app never registers: CFNR takes over at the timeout.
				step{TimerFired{reg1}, []Effect{
					rec("call.push_timeout", "call", 1, "user", "alice"),
					rec("call.forwarded", "call", 1, "reason", "cfnr", "to", "299"),
					node.CancelTimer{ID: cfnr1.Node()},
					StartLeg{Call: 1, Leg: 1, Device: "carol-desk", CallingNumber: "202", CallingName: "bob"},
				}},
			),
		},
		{
			name: "B16 12r2 fork to own number: push sent, app rings, CFNR after its timer",
			cfg: with(func(c *Config) {
				c.Version = V12r2
				c.Users[0].Forks = []string{"201"}
				c.Users[0].CFNR = &Forward{To: "299", After: 20 * time.Second}
			}),
			steps: append(desksUp(),
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}, node.SetTimer{ID: cfnr1.Node(), After: 20 * time.Second}}},
				step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
					node.CancelTimer{ID: reg1.Node()},
					StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"},
				}},
				step{TimerFired{cfnr1}, []Effect{
					rec("call.forwarded", "call", 1, "reason", "cfnr", "to", "299"),
					ReleaseLeg{1, 1, 16},
					StartLeg{Call: 1, Leg: 2, Device: "carol-desk", CallingNumber: "202", CallingName: "bob"},
				}},
			),
		},
		{
			name: "B16 fork to another user rings their desk phone too",
			cfg: with(func(c *Config) {
				c.Users[0].Forks = []string{"299", "555"} // 555: unknown, ignored
			}),
			steps: append(desksUp(),
				step{arrive, []Effect{
					ProceedCaller{1},
					StartLeg{Call: 1, Leg: 1, Device: "carol-desk", CallingNumber: "202", CallingName: "bob"},
					push1,
					node.SetTimer{ID: reg1.Node(), After: 10 * time.Second},
				}},
				step{LegConnected{1}, []Effect{ConnectCaller{1, 1}, node.CancelTimer{ID: reg1.Node()}}},
				// The app registering late does not join a connected call.
				step{DeviceRegistered{Device: "alice-iphone"}, nil},
			),
		},
		{
			name: "B10 Push field naming no Push object (case-sensitive)",
			cfg:  with(func(c *Config) { c.Users[0].Push = "push" }),
			steps: append(desksUp(),
				step{arrive, []Effect{
					ProceedCaller{1},
					rec("call.push_skipped", "call", 1, "user", "alice", "device", "alice-iphone", "reason", "no_push_object"),
					ReleaseCaller{1, 18},
					rec("call.released", "call", 1, "cause", 18),
				}},
			),
		},
		{
			name: "no Push object at all",
			cfg:  with(func(c *Config) { c.Push = nil }),
			steps: append(desksUp(),
				step{arrive, []Effect{
					ProceedCaller{1},
					rec("call.push_skipped", "call", 1, "user", "alice", "device", "alice-iphone", "reason", "no_push_object"),
					ReleaseCaller{1, 18},
					rec("call.released", "call", 1, "cause", 18),
				}},
			),
		},
		{
			name: "empty Push field",
			cfg:  with(func(c *Config) { c.Users[0].Push = "" }),
			steps: append(desksUp(),
				step{arrive, []Effect{
					ProceedCaller{1},
					rec("call.push_skipped", "call", 1, "user", "alice", "device", "alice-iphone", "reason", "no_push_field"),
					ReleaseCaller{1, 18},
					rec("call.released", "call", 1, "cause", 18),
				}},
			),
		},
		{
			name: "Push object disconnected when the call arrives, CFNR applies",
			cfg:  with(func(c *Config) { c.Users[0].CFNR = &Forward{To: "299", After: 20 * time.Second} }),
			steps: append(desksUp(),
				step{PushObjectChanged{Connected: false}, nil},
				step{arrive, []Effect{
					ProceedCaller{1},
					rec("call.push_skipped", "call", 1, "user", "alice", "device", "alice-iphone", "reason", "push_disconnected"),
					rec("call.forwarded", "call", 1, "reason", "cfnr", "to", "299"),
					StartLeg{Call: 1, Leg: 1, Device: "carol-desk", CallingNumber: "202", CallingName: "bob"},
				}},
			),
		},
		{
			name: "B26 logout drops the token, login restores it",
			cfg:  baseConfig(),
			steps: append(desksUp(),
				step{PushTokenDropped{Device: "alice-iphone"}, nil},
				step{arrive, []Effect{
					ProceedCaller{1},
					rec("call.push_skipped", "call", 1, "user", "alice", "device", "alice-iphone", "reason", "no_token"),
					ReleaseCaller{1, 18},
					rec("call.released", "call", 1, "cause", 18),
				}},
				step{PushTokenRegistered{Device: "alice-iphone"}, nil},
				step{CallArrived{Call: 2, From: "bob-desk", Dialled: "201"}, []Effect{
					ProceedCaller{2},
					SendPush{Call: 2, User: "alice", Device: "alice-iphone", Platform: IOS, Type: "call", Number: "202", Name: "bob"},
					node.SetTimer{ID: TimerID{TimerRegistration, 2}.Node(), After: 10 * time.Second},
				}},
			),
		},
		{
			name: "unknown number: cause 1",
			cfg:  baseConfig(),
			steps: []step{
				{CallArrived{Call: 9, From: "bob-desk", Dialled: "777"}, []Effect{ReleaseCaller{9, 1}, rec("call.released", "call", 9, "cause", 1)}},
			},
		},
		{
			name: "B17 push before the name lookup carries the number only; name follows on the leg",
			cfg:  with(func(c *Config) { c.NameLookup = 3 * time.Second }),
			steps: append(desksUp(),
				step{arrive, []Effect{
					ProceedCaller{1},
					node.SetTimer{ID: TimerID{TimerNameLookup, 1}.Node(), After: 3 * time.Second},
					SendPush{Call: 1, User: "alice", Device: "alice-iphone", Platform: IOS, Type: "call", Number: "202"},
					node.SetTimer{ID: reg1.Node(), After: 10 * time.Second},
				}},
				step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
					node.CancelTimer{ID: reg1.Node()},
					StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202"},
				}},
				step{TimerFired{TimerID{TimerNameLookup, 1}}, []Effect{UpdateCallerName{Call: 1, Leg: 1, Name: "bob"}}},
			),
		},
		{
			name: "B27 12r2 DND: pushed and signalled silent",
			cfg: with(func(c *Config) {
				c.Version = V12r2
				c.Users[0].Presence = DND
			}),
			steps: append(desksUp(),
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}}},
				step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
					node.CancelTimer{ID: reg1.Node()},
					StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob", Silent: true},
				}},
			),
		},
		{
			name: "B27 15r1 DND: the PBX pushes as usual; the app refuses busy, the caller gets 17",
			cfg:  baseConfig(),
			steps: append(desksUp(),
				step{PresenceChanged{User: "alice", Presence: DND}, nil},
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}}},
				step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
					node.CancelTimer{ID: reg1.Node()},
					StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"},
				}},
				step{LegReleased{Leg: 1, Cause: 17}, []Effect{ReleaseCaller{1, 17}, rec("call.released", "call", 1, "cause", 17)}},
			),
		},
		{
			name: "B27 15r1 DND with a busy forward: the desk phone refuses, CFB runs",
			cfg: with(func(c *Config) {
				c.Users[0].Presence = DND
				c.Users[0].CFB = &Forward{To: "299"}
				c.Devices = append(c.Devices, Device{Name: "alice-desk", User: "alice", Kind: KindDeskphone})
				c.Devices[0].PushToken = false
			}),
			steps: append(desksUp(),
				step{DeviceRegistered{Device: "alice-desk"}, nil},
				step{arrive, []Effect{
					ProceedCaller{1},
					StartLeg{Call: 1, Leg: 1, Device: "alice-desk", CallingNumber: "202", CallingName: "bob"},
					rec("call.push_skipped", "call", 1, "user", "alice", "device", "alice-iphone", "reason", "no_token"),
				}},
				step{LegReleased{Leg: 1, Cause: 17}, []Effect{
					rec("call.forwarded", "call", 1, "reason", "cfb", "to", "299"),
					StartLeg{Call: 1, Leg: 2, Device: "carol-desk", CallingNumber: "202", CallingName: "bob"},
				}},
			),
		},
		{
			name: "CFU forwards at once",
			cfg:  with(func(c *Config) { c.Users[0].CFU = &Forward{To: "299"} }),
			steps: append(desksUp(),
				step{arrive, []Effect{
					ProceedCaller{1},
					rec("call.forwarded", "call", 1, "reason", "cfu", "to", "299"),
					StartLeg{Call: 1, Leg: 1, Device: "carol-desk", CallingNumber: "202", CallingName: "bob"},
				}},
			),
		},
		{
			name: "CFU loop ends with cause 31",
			cfg: with(func(c *Config) {
				c.Users[0].CFU = &Forward{To: "299"}
				c.Users[2].CFU = &Forward{To: "201"}
			}),
			steps: func() []step {
				want := []Effect{ProceedCaller{1}}
				to := []string{"299", "201"}
				for i := 0; i <= maxForwardHops; i++ {
					want = append(want, rec("call.forwarded", "call", 1, "reason", "cfu", "to", to[i%2]))
				}
				want = append(want, ReleaseCaller{1, 31}, rec("call.released", "call", 1, "cause", 31))
				return append(desksUp(), step{arrive, want})
			}(),
		},
		{
			name: "device rejects busy: CFB runs",
			cfg: with(func(c *Config) {
				c.Users[2].CFB = &Forward{To: "201"}
			}),
			steps: append(desksUp(),
				step{CallArrived{Call: 4, From: "bob-desk", Dialled: "299"}, []Effect{
					ProceedCaller{4},
					StartLeg{Call: 4, Leg: 1, Device: "carol-desk", CallingNumber: "202", CallingName: "bob"},
				}},
				step{LegReleased{1, 17}, []Effect{
					rec("call.forwarded", "call", 4, "reason", "cfb", "to", "201"),
					// A forward re-routes without a second Call Proceeding.
					SendPush{Call: 4, User: "alice", Device: "alice-iphone", Platform: IOS, Type: "call", Number: "202", Name: "bob"},
					node.SetTimer{ID: TimerID{TimerRegistration, 4}.Node(), After: 10 * time.Second},
				}},
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				got, err := p.Handle(s.in)
				if err != nil {
					t.Fatalf("step %d %T: %v", i, s.in, err)
				}
				if !reflect.DeepEqual(got, s.want) && !(len(got) == 0 && len(s.want) == 0) {
					t.Fatalf("step %d %#v:\n got:%s\nwant:%s", i, s.in, show(got), show(s.want))
				}
			}
		})
	}
}

// TestPushFailed: a refused push is recorded for a call still waiting for
// the app, and the call keeps waiting for the registration timeout.
func TestPushFailed(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "recorded while waiting, then cause 18 at the timeout",
			steps: append(desksUp(),
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}}},
				step{PushFailed{Call: 1, Device: "alice-iphone", Reason: "BadDeviceToken"}, []Effect{
					rec("call.push_failed", "call", 1, "user", "alice", "device", "alice-iphone", "reason", "BadDeviceToken"),
				}},
				step{TimerFired{reg1}, []Effect{
					rec("call.push_timeout", "call", 1, "user", "alice"),
					ReleaseCaller{1, 18},
					rec("call.released", "call", 1, "cause", 18),
				}},
				step{PushFailed{Call: 1, Device: "alice-iphone", Reason: "late"}, nil}, // the call is over
			),
		},
		{
			name: "not recorded once the app registered",
			steps: append(desksUp(),
				step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}}},
				step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
					node.CancelTimer{ID: reg1.Node()},
					StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"},
				}},
				step{PushFailed{Call: 1, Device: "alice-iphone", Reason: "Unregistered"}, nil},
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(baseConfig())
			if err != nil {
				t.Fatal(err)
			}
			runSteps(t, p, tt.steps)
		})
	}
	p, err := New(baseConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Handle(PushFailed{Call: 1, Device: "nobody"}); err == nil {
		t.Fatal("unknown device accepted")
	}
}
