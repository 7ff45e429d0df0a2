package phone

import (
	"fmt"
	"github.com/callwake/callwake/node"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/timeline"
)

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

// fixedRand returns the same draw every time, to pin a latency range.
type fixedRand int64

func (f fixedRand) Int64N(n int64) int64 { return int64(f) % n }

func iphone(edit func(*Config)) Config {
	c := Defaults("alice-iphone", KindMyApps, IOS)
	c.Answer = Answer{Mode: AnswerAfter, After: 3 * time.Second}
	if edit != nil {
		edit(&c)
	}
	return c
}

func android(kind Kind, edit func(*Config)) Config {
	c := Defaults("alice-android", kind, Android)
	c.Answer = Answer{Mode: AnswerAfter, After: 3 * time.Second}
	if edit != nil {
		edit(&c)
	}
	return c
}

var (
	callPush  = PushArrived{Call: 1, Type: "call", Number: "202", Name: "bob"}
	setup     = IncomingCall{Call: 1, Number: "202", Name: "bob"}
	wake      = TimerID{Kind: TimerWake}
	answer1   = TimerID{TimerAnswer, 1}
	idleTimer = TimerID{Kind: TimerIdle}
)

// woken is the common start: push delivered, app started, registered; the
// registered app in the background arms its suspension (B29), suspend
// long (0: none).
func woken(device string, latency, ttl, suspend time.Duration) []step {
	var confirmed []Effect
	if suspend > 0 {
		confirmed = []Effect{node.SetTimer{ID: idleTimer.Node(), After: suspend}}
	}
	return []step{
		{Start{}, nil},
		{callPush, []Effect{
			rec("push.delivered", "device", device),
			rec("app.started", "device", device, "reason", "push"),
			node.SetTimer{ID: wake.Node(), After: latency},
		}},
		{TimerFired{wake}, []Effect{StartRegistration{TTL: ttl}}},
		{RegistrationConfirmed{}, confirmed},
	}
}

var suspendIdle = node.SetTimer{ID: idleTimer.Node(), After: DefaultSuspendIOS}

func ringing(device, number, name string, ui, silent bool) node.Record {
	return rec("device.ringing", "device", device, "number", number, "name", name, "ui", ui, "silent", silent)
}

func TestPhoneRows(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		rng   Rand
		steps []step
	}{
		{
			name: "B21 B13 iOS background: push, wake, register, ring, answer after 3s",
			cfg:  iphone(nil),
			steps: append(woken("alice-iphone", time.Second, 60*time.Second, DefaultSuspendIOS),
				step{setup, []Effect{node.CancelTimer{ID: idleTimer.Node()}, ringing("alice-iphone", "202", "bob", true, false), SendAlerting{1}, node.SetTimer{ID: answer1.Node(), After: 3 * time.Second}}},
				step{TimerFired{answer1}, []Effect{rec("device.answered", "device", "alice-iphone"), SendConnect{1}}},
				step{TimerFired{answer1}, nil},
				// B29: after the call the app is suspended in the background
				// and unregisters; the next call needs a push again.
				step{CallReleased{1, 16}, []Effect{suspendIdle}},
				step{TimerFired{idleTimer}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-iphone", "reason", "suspended")}},
				step{PushArrived{Call: 2, Type: "call", Number: "202"}, []Effect{
					rec("push.delivered", "device", "alice-iphone"),
					rec("app.started", "device", "alice-iphone", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
			),
		},
		{
			name: "B29 woken without a call: suspended after the delay, a push on the way restarts it",
			cfg:  android(KindMyApps, func(c *Config) { c.Suspend = 5 * time.Second }),
			steps: append(woken("alice-android", time.Second, 60*time.Second, 5*time.Second),
				step{PushArrived{Call: 7, Type: "notification"}, []Effect{
					rec("push.delivered", "device", "alice-android"),
					node.CancelTimer{ID: idleTimer.Node()}, node.SetTimer{ID: idleTimer.Node(), After: 5 * time.Second},
				}},
				step{TimerFired{idleTimer}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-android", "reason", "suspended")}},
				step{TimerFired{idleTimer}, nil},
			),
		},
		{
			name: "B29 suspend 0 keeps a woken app registered; the foreground is never suspended",
			cfg:  iphone(func(c *Config) { c.Suspend = 0 }),
			steps: append(woken("alice-iphone", time.Second, 60*time.Second, 0),
				step{AppStateChanged{Foreground}, nil},
				step{AppStateChanged{Background}, nil},
			),
		},
		{
			name: "B29 sent to the background by the user: suspended after the delay",
			cfg:  iphone(func(c *Config) { c.App = Foreground }),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, nil},
				{AppStateChanged{Background}, []Effect{suspendIdle}},
				{AppStateChanged{Foreground}, []Effect{node.CancelTimer{ID: idleTimer.Node()}}},
			},
		},
		{
			name: "B21 wake latency range draws from the random source",
			cfg:  iphone(func(c *Config) { c.Wake = Latency{Min: time.Second, Max: 3 * time.Second} }),
			rng:  fixedRand(500 * time.Millisecond),
			steps: []step{
				{Start{}, nil},
				{callPush, []Effect{
					rec("push.delivered", "device", "alice-iphone"),
					rec("app.started", "device", "alice-iphone", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: 1500 * time.Millisecond},
				}},
			},
		},
		{
			name: "B17 iOS shows the number from the push, then the name",
			cfg:  iphone(nil),
			steps: []step{
				{Start{}, nil},
				{PushArrived{Call: 1, Type: "call", Number: "202"}, []Effect{
					rec("push.delivered", "device", "alice-iphone"),
					rec("app.started", "device", "alice-iphone", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
				{TimerFired{wake}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, []Effect{suspendIdle}},
				{IncomingCall{Call: 1, Number: "202"}, []Effect{
					node.CancelTimer{ID: idleTimer.Node()},
					ringing("alice-iphone", "202", "", true, false), SendAlerting{1}, node.SetTimer{ID: answer1.Node(), After: 3 * time.Second},
				}},
				{CallerNameUpdated{Call: 1, Name: "bob"}, []Effect{
					rec("device.caller_updated", "device", "alice-iphone", "number", "202", "name", "bob"),
				}},
			},
		},
		{
			name: "B17 iOS: the Setup already carries the name",
			cfg:  iphone(func(c *Config) { c.Answer.Mode = AnswerNever }),
			steps: []step{
				{Start{}, nil},
				{PushArrived{Call: 1, Type: "call", Number: "202"}, []Effect{
					rec("push.delivered", "device", "alice-iphone"),
					rec("app.started", "device", "alice-iphone", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
				{setup, []Effect{
					ringing("alice-iphone", "202", "", true, false), SendAlerting{1},
					rec("device.caller_updated", "device", "alice-iphone", "number", "202", "name", "bob"),
				}},
			},
		},
		{
			name: "B17 Android keeps the number only for the whole call",
			cfg:  android(KindMyApps, nil),
			steps: []step{
				{Start{}, nil},
				{PushArrived{Call: 1, Type: "call", Number: "202"}, []Effect{
					rec("push.delivered", "device", "alice-android"),
					rec("app.started", "device", "alice-android", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
				{TimerFired{wake}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, []Effect{node.SetTimer{ID: idleTimer.Node(), After: DefaultSuspendAndroid}}},
				{setup, []Effect{node.CancelTimer{ID: idleTimer.Node()}, ringing("alice-android", "202", "", true, false), SendAlerting{1}, node.SetTimer{ID: answer1.Node(), After: 3 * time.Second}}},
				{CallerNameUpdated{Call: 1, Name: "bob"}, nil},
			},
		},
		{
			name: "B08 no key: the pushed call shows neither number nor name (Android)",
			cfg:  android(KindMyApps, func(c *Config) { c.WebSocketSession = false }),
			steps: []step{
				{Start{}, nil},
				{callPush, []Effect{
					rec("push.delivered", "device", "alice-android"),
					rec("app.started", "device", "alice-android", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
				{setup, []Effect{ringing("alice-android", "", "", true, false), SendAlerting{1}, node.SetTimer{ID: answer1.Node(), After: 3 * time.Second}}},
			},
		},
		{
			name: "B26 closed app is still started by a push (12r2 rule)",
			cfg:  iphone(func(c *Config) { c.App = Closed; c.Presence = DND; c.DNDClosedStopsWake = false }),
			steps: []step{
				{Start{}, nil},
				{callPush, []Effect{
					rec("push.delivered", "device", "alice-iphone"),
					rec("app.started", "device", "alice-iphone", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
			},
		},
		{
			name: "B23 Android without overlay rings without a call screen",
			cfg:  android(KindMyApps, func(c *Config) { c.Android.Overlay = false }),
			steps: []step{
				{Start{}, nil},
				{callPush, []Effect{
					rec("push.delivered", "device", "alice-android"),
					rec("app.started", "device", "alice-android", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
				{setup, []Effect{ringing("alice-android", "202", "bob", false, false), SendAlerting{1}, node.SetTimer{ID: answer1.Node(), After: 3 * time.Second}}},
			},
		},
		{
			name: "reject busy: Release Complete 17 without ringing",
			cfg:  iphone(func(c *Config) { c.App = Foreground; c.Answer = Answer{Mode: AnswerRejectBusy} }),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, nil},
				{setup, []Effect{SendRelease{1, 17}}},
			},
		},
		{
			name: "decline: it rings, then Release Complete 21; the phone is free again",
			cfg:  iphone(func(c *Config) { c.App = Foreground; c.Answer = Answer{Mode: AnswerDecline} }),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, nil},
				{setup, []Effect{ringing("alice-iphone", "202", "bob", true, false), SendAlerting{1}, SendRelease{1, 21}}},
				{IncomingCall{Call: 2, Number: "203"}, []Effect{ringing("alice-iphone", "203", "", true, false), SendAlerting{2}, SendRelease{2, 21}}},
			},
		},
		{
			name: "one call at a time: a second Setup gets busy",
			cfg:  iphone(func(c *Config) { c.App = Foreground }),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{setup, []Effect{ringing("alice-iphone", "202", "bob", true, false), SendAlerting{1}, node.SetTimer{ID: answer1.Node(), After: 3 * time.Second}}},
				{IncomingCall{Call: 2, Number: "203"}, []Effect{SendRelease{2, 17}}},
				{CallReleased{1, 16}, []Effect{node.CancelTimer{ID: answer1.Node()}}},
				{TimerFired{answer1}, nil},
			},
		},
		{
			name: "B27 12r2 DND: silent ring, not answered",
			cfg:  iphone(func(c *Config) { c.App = Foreground }),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{IncomingCall{Call: 1, Number: "202", Name: "bob", Silent: true}, []Effect{
					ringing("alice-iphone", "202", "bob", true, true), SendAlerting{1},
				}},
			},
		},
		{
			name: "desk phone registers at start and rings at once",
			cfg: func() Config {
				c := Defaults("bob-desk", KindDeskphone, "")
				c.Answer = Answer{Mode: AnswerAfter, After: 2 * time.Second}
				return c
			}(),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, nil},
				{IncomingCall{Call: 5, Number: "201", Name: "alice"}, []Effect{
					rec("device.ringing", "device", "bob-desk", "number", "201", "name", "alice", "ui", true, "silent", false),
					SendAlerting{5}, node.SetTimer{ID: TimerID{TimerAnswer, 5}.Node(), After: 2 * time.Second},
				}},
				{TimerFired{TimerID{TimerAnswer, 5}}, []Effect{rec("device.answered", "device", "bob-desk"), SendConnect{5}}},
				{callPush, []Effect{rec("push.dropped", "device", "bob-desk", "reason", "no_push")}},
			},
		},
		{
			name: "B24 myPBX off keeps the registration up without push",
			cfg:  android(KindMyPBX, func(c *Config) { c.Android.Push = PushOff }),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, nil},
				{callPush, []Effect{rec("push.dropped", "device", "alice-android", "reason", "push_off")}},
			},
		},
		{
			name: "B24 myPBX auto runs without push and becomes active at the first push",
			cfg:  android(KindMyPBX, nil),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, nil},
				// Registered and running: the push is delivered, nothing starts.
				{callPush, []Effect{rec("push.delivered", "device", "alice-android"),
					rec("app.push_mode", "device", "alice-android", "mode", "active", "was", "auto")}},
				{setup, []Effect{ringing("alice-android", "202", "bob", true, false), SendAlerting{1}, node.SetTimer{ID: answer1.Node(), After: 3 * time.Second}}},
				// Now active (push proven): idle after the call ends the app.
				{CallReleased{1, 16}, []Effect{node.CancelTimer{ID: answer1.Node()}, node.SetTimer{ID: idleTimer.Node(), After: 10 * time.Second}}},
			},
		},
		{
			name: "B24 myPBX on ends after 10 s idle; the next push starts it again",
			cfg:  android(KindMyPBX, func(c *Config) { c.Android.Push = PushOn }),
			steps: append(woken("alice-android", time.Second, 60*time.Second, 10*time.Second)[:1],
				// B24: on becomes active at the first push.
				step{callPush, []Effect{
					rec("push.delivered", "device", "alice-android"),
					rec("app.push_mode", "device", "alice-android", "mode", "active", "was", "on"),
					rec("app.started", "device", "alice-android", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
				step{TimerFired{wake}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				step{RegistrationConfirmed{}, []Effect{node.SetTimer{ID: idleTimer.Node(), After: 10 * time.Second}}},
				step{TimerFired{idleTimer}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-android", "reason", "idle")}},
				step{PushArrived{Call: 2, Type: "call", Number: "202"}, []Effect{
					rec("push.delivered", "device", "alice-android"),
					rec("app.started", "device", "alice-android", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
			),
		},
		{
			name: "B25 Start automatically never: closed from settings, push does not start it; opening restores",
			cfg: android(KindMyPBX, func(c *Config) {
				c.App = Foreground
				c.Android.StartAutomatically = StartNever
				c.Android.Push = PushOn
			}),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, nil},
				{AppStateChanged{Closed}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-android", "reason", "user")}},
				{callPush, []Effect{rec("push.dropped", "device", "alice-android", "reason", "start_never")}},
				{AppStateChanged{Foreground}, []Effect{rec("app.started", "device", "alice-android", "reason", "user"), StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, nil},
				{AppStateChanged{Background}, []Effect{node.SetTimer{ID: idleTimer.Node(), After: 10 * time.Second}}},
				{TimerFired{idleTimer}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-android", "reason", "idle")}},
				// Ended by idling, not by the user: the push starts it.
				{callPush, []Effect{
					rec("push.delivered", "device", "alice-android"),
					rec("app.push_mode", "device", "alice-android", "mode", "active", "was", "on"),
					rec("app.started", "device", "alice-android", "reason", "push"),
					node.SetTimer{ID: wake.Node(), After: time.Second},
				}},
			},
		},
		{
			name: "B26 logout ends the session; login restores it",
			cfg:  iphone(func(c *Config) { c.App = Foreground }),
			steps: []step{
				{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
				{RegistrationConfirmed{}, nil},
				{AppStateChanged{LoggedOut}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-iphone", "reason", "user"), EndSession{}}},
				{callPush, []Effect{rec("push.dropped", "device", "alice-iphone", "reason", "logged_out")}},
				{AppStateChanged{Foreground}, []Effect{StartSession{}, rec("app.started", "device", "alice-iphone", "reason", "user"), StartRegistration{TTL: 60 * time.Second}}},
			},
		},
		{
			name: "B22 a VoIP push without a call earns the PushKit penalty",
			cfg:  iphone(nil),
			steps: []step{
				{Start{}, nil},
				{PushArrived{Call: 0, Type: "notification"}, []Effect{rec("push.dropped", "device", "alice-iphone", "reason", "not_a_call")}},
				{callPush, []Effect{rec("push.dropped", "device", "alice-iphone", "reason", "pushkit_penalty")}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.cfg, tt.rng)
			if err != nil {
				t.Fatal(err)
			}
			run(t, p, tt.steps)
		})
	}
}

func run(t *testing.T, p *Phone, steps []step) {
	t.Helper()
	for i, s := range steps {
		got, err := p.Handle(s.in)
		if err != nil {
			t.Fatalf("step %d %T: %v", i, s.in, err)
		}
		if !reflect.DeepEqual(got, s.want) && !(len(got) == 0 && len(s.want) == 0) {
			t.Fatalf("step %d %#v:\n got:%s\nwant:%s", i, s.in, show(got), show(s.want))
		}
	}
}

// TestPhoneDropReasons: every reason a push does not reach the app.
func TestPhoneDropReasons(t *testing.T) {
	tests := []struct {
		reason string
		cfg    Config
	}{
		{"vendor_unreachable", iphone(func(c *Config) { c.Network = Network{WiFiOnly: true, VendorPortBlocked: true} })},
		{"vendor_unreachable", android(KindMyApps, func(c *Config) { c.Network = Network{WiFiOnly: true, VendorPortBlocked: true} })},
		{"notifications_denied", iphone(func(c *Config) { c.IOS.NotificationsAllowed = false })},
		{"hms_stale", android(KindMyApps, func(c *Config) { c.Android.HMSStale = true })},
		{"data_saver", android(KindMyApps, func(c *Config) { c.Android.BackgroundData = false })},
		{"logged_out", iphone(func(c *Config) { c.App = LoggedOut })},
		{"events_off", android(KindMyApps, func(c *Config) { c.Android.Notifications = false })},
		{"not_default", android(KindMyApps, func(c *Config) { c.DefaultSoftphone = false })},
		{"push_off", android(KindMyPBX, func(c *Config) { c.Android.Push = PushOff })},
		{"dnd_closed", iphone(func(c *Config) { c.App = Closed; c.Presence = DND; c.DNDClosedStopsWake = true })},
		{"calling_account_off", android(KindMyApps, func(c *Config) { c.Android.CallingAccount = false })},
	}
	for _, tt := range tests {
		t.Run(tt.reason+"/"+string(tt.cfg.OS), func(t *testing.T) {
			p, err := New(tt.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Handle(callPush)
			if err != nil {
				t.Fatal(err)
			}
			want := []Effect{rec("push.dropped", "device", tt.cfg.Device, "reason", tt.reason)}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got:%s\nwant:%s", show(got), show(want))
			}
			if p.Running() {
				t.Fatal("a dropped push started the app")
			}
		})
	}
}

func TestPhoneDataSaverForegroundStillGetsPush(t *testing.T) {
	p, err := New(android(KindMyApps, func(c *Config) { c.Android.BackgroundData = false; c.App = Foreground }), nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, p, []step{
		{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
		{callPush, []Effect{rec("push.delivered", "device", "alice-android")}},
	})
}

func TestPhoneDNDPresenceAction(t *testing.T) {
	started := []Effect{
		rec("push.delivered", "device", "alice-iphone"),
		rec("app.started", "device", "alice-iphone", "reason", "push"),
		node.SetTimer{ID: wake.Node(), After: time.Second},
	}
	// B26 (15r1): DND, then close: the push does not start the app; setting
	// available elsewhere does not either (the closed app cannot know);
	// opening it does. Open in DND, the app refuses calls as busy (B27).
	p, err := New(iphone(func(c *Config) { c.App = Foreground; c.DNDClosedStopsWake = true }), nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, p, []step{
		{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
		{RegistrationConfirmed{}, nil},
		{PresenceChanged{DND}, nil},
		{setup, []Effect{SendRelease{1, 17}}},
		{AppStateChanged{Closed}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-iphone", "reason", "user")}},
		{callPush, []Effect{rec("push.dropped", "device", "alice-iphone", "reason", "dnd_closed")}},
		{PresenceChanged{Available}, nil},
		{callPush, []Effect{rec("push.dropped", "device", "alice-iphone", "reason", "dnd_closed")}},
		{AppStateChanged{Foreground}, []Effect{rec("app.started", "device", "alice-iphone", "reason", "user"), StartRegistration{TTL: 60 * time.Second}}},
		{RegistrationConfirmed{}, nil},
		{IncomingCall{Call: 2, Number: "202"}, []Effect{ringing("alice-iphone", "202", "", true, false), SendAlerting{2}, node.SetTimer{ID: TimerID{TimerAnswer, 2}.Node(), After: 3 * time.Second}}},
	})

	// Closed first and DND afterwards is not "DND, then close": the push
	// starts the app, which refuses the call as busy and goes back to sleep.
	p, err = New(iphone(func(c *Config) { c.App = Foreground; c.DNDClosedStopsWake = true }), nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, p, []step{
		{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
		{AppStateChanged{Closed}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-iphone", "reason", "user")}},
		{PresenceChanged{DND}, nil},
		{callPush, started},
		{TimerFired{wake}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
		{RegistrationConfirmed{}, []Effect{suspendIdle}},
		{setup, []Effect{SendRelease{1, 17}}},
	})

	// The rule off (dnd_closed_stops_wake: false): DND then close does not
	// stop the push, so the user's phone wakes to refuse the call.
	p, err = New(iphone(func(c *Config) { c.App = Foreground; c.DNDClosedStopsWake = false }), nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, p, []step{
		{Start{}, []Effect{StartRegistration{TTL: 60 * time.Second}}},
		{PresenceChanged{DND}, nil},
		{AppStateChanged{Closed}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-iphone", "reason", "user")}},
		{callPush, started},
	})

	// Opened again, the app is no longer "closed in DND": later suspended by
	// the OS (not closed by the user), a push starts it.
	p, err = New(iphone(func(c *Config) { c.App = Closed; c.Presence = DND; c.DNDClosedStopsWake = true }), nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, p, []step{
		{Start{}, nil},
		{AppStateChanged{Foreground}, []Effect{rec("app.started", "device", "alice-iphone", "reason", "user"), StartRegistration{TTL: 60 * time.Second}}},
		{RegistrationConfirmed{}, nil},
		{PresenceChanged{Available}, nil},
		{AppStateChanged{Background}, []Effect{suspendIdle}},
		{TimerFired{idleTimer}, []Effect{Unregister{}, rec("app.stopped", "device", "alice-iphone", "reason", "suspended")}},
		{callPush, started},
	})

	// Closed at the start while the user is in DND counts as DND, then closed.
	p, err = New(iphone(func(c *Config) { c.App = Closed; c.Presence = DND; c.DNDClosedStopsWake = true }), nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, p, []step{{Start{}, nil}, {callPush, []Effect{rec("push.dropped", "device", "alice-iphone", "reason", "dnd_closed")}}})
}

func TestPhoneErrors(t *testing.T) {
	bad := []struct {
		name string
		cfg  Config
		rng  Rand
	}{
		{"range without rand", iphone(func(c *Config) { c.Wake = Latency{Min: time.Second, Max: 2 * time.Second} }), nil},
		{"max below min", iphone(func(c *Config) { c.Wake = Latency{Min: 2 * time.Second, Max: time.Second} }), fixedRand(0)},
		{"unknown kind", iphone(func(c *Config) { c.Kind = "fax" }), nil},
		{"unknown os", iphone(func(c *Config) { c.OS = "symbian" }), nil},
		{"unknown app state", iphone(func(c *Config) { c.App = "asleep" }), nil},
		{"unknown answer", iphone(func(c *Config) { c.Answer.Mode = "maybe" }), nil},
		{"unknown push mode", android(KindMyPBX, func(c *Config) { c.Android.Push = "sometimes" }), nil},
		{"no name", iphone(func(c *Config) { c.Device = "" }), nil},
	}
	for _, tt := range bad {
		if _, err := New(tt.cfg, tt.rng); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	desk, err := New(Defaults("desk", KindDeskphone, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []Input{nil, AppStateChanged{Foreground}, PresenceChanged{"away"}} {
		if _, err := desk.Handle(in); err == nil {
			t.Errorf("%#v: no error", in)
		}
	}
}

// BenchmarkWakeRingAnswer measures one push-woken call on an iPhone.
func BenchmarkWakeRingAnswer(b *testing.B) {
	p, err := New(iphone(func(c *Config) { c.Wake = Latency{Min: time.Second, Max: 2 * time.Second} }), fixedRand(7))
	if err != nil {
		b.Fatal(err)
	}
	p.Handle(Start{})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id := CallRef(i)
		p.Handle(PushArrived{Call: id, Type: "call", Number: "202", Name: "bob"})
		p.Handle(TimerFired{ID: TimerID{Kind: TimerWake}})
		p.Handle(RegistrationConfirmed{})
		p.Handle(IncomingCall{Call: id, Number: "202", Name: "bob"})
		p.Handle(TimerFired{ID: TimerID{TimerAnswer, id}})
		p.Handle(CallReleased{Call: id, Cause: 16})
		p.Handle(AppStateChanged{State: Closed})
	}
}

func TestPushNotesBounded(t *testing.T) {
	p, err := New(iphone(func(c *Config) { c.Answer.Mode = AnswerNever }), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Handle(Start{})
	for i := range 3 * maxNotes {
		if _, err := p.Handle(PushArrived{Call: CallRef(i), Type: "call", Number: "9" + string(rune('0'+i%10))}); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.notes) != maxNotes {
		t.Fatalf("%d notes kept, want %d", len(p.notes), maxNotes)
	}
	// The oldest note is gone: its Setup is shown as it comes.
	run(t, p, []step{{IncomingCall{Call: 0, Number: "202", Name: "bob"}, []Effect{
		ringing("alice-iphone", "202", "bob", true, false), SendAlerting{0},
	}}})
}
