package pbx

import (
	"github.com/callwake/callwake/node"
	"reflect"
	"testing"
	"time"
)

func runSteps(t *testing.T, p *PBX, steps []step) {
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

func mustNew(t *testing.T, cfg Config) *PBX {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Two callers reach alice's sleeping app at once: both calls push, both get
// a leg when it registers, the first answered wins the app and the app
// refuses the second as busy.
func TestConcurrentCalls(t *testing.T) {
	p := mustNew(t, baseConfig())
	push2 := SendPush{Call: 2, User: "alice", Device: "alice-iphone", Platform: IOS, Type: "call", Number: "299", Name: "carol"}
	reg2 := TimerID{TimerRegistration, 2}
	runSteps(t, p, append(desksUp(),
		step{arrive, []Effect{ProceedCaller{1}, push1, node.SetTimer{ID: reg1.Node(), After: 10 * time.Second}}},
		step{CallArrived{Call: 2, From: "carol-desk", Dialled: "201"}, []Effect{ProceedCaller{2}, push2, node.SetTimer{ID: reg2.Node(), After: 10 * time.Second}}},
		step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
			node.CancelTimer{ID: reg1.Node()},
			StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"},
			node.CancelTimer{ID: reg2.Node()},
			StartLeg{Call: 2, Leg: 2, Device: "alice-iphone", CallingNumber: "299", CallingName: "carol"},
		}},
		step{LegAlerted{1}, []Effect{AlertCaller{1}}},
		step{LegReleased{2, 17}, []Effect{ReleaseCaller{2, 17}, rec("call.released", "call", 2, "cause", 17)}},
		step{LegConnected{1}, []Effect{ConnectCaller{1, 1}}},
	))
	if got := p.ActiveCalls(); !reflect.DeepEqual(got, []CallID{1}) {
		t.Fatalf("active calls %v", got)
	}
	// alice is now busy: a third call is refused, or forwarded with CFB.
	runSteps(t, p, []step{
		{CallArrived{Call: 3, From: "carol-desk", Dialled: "201"}, []Effect{
			ProceedCaller{3}, ReleaseCaller{3, 17}, rec("call.released", "call", 3, "cause", 17),
		}},
		{CallerReleased{1, 16}, []Effect{ReleaseLeg{1, 1, 16}, rec("call.released", "call", 1, "cause", 16)}},
		// Free again: the next call pushes (the app is registered: it rings).
		{CallArrived{Call: 4, From: "carol-desk", Dialled: "201"}, []Effect{
			ProceedCaller{4},
			StartLeg{Call: 4, Leg: 3, Device: "alice-iphone", CallingNumber: "299", CallingName: "carol"},
		}},
	})
}

func TestBusyForward(t *testing.T) {
	cfg := with(func(c *Config) {
		c.Users[0].CFB = &Forward{To: "202"}
		c.Devices = append(c.Devices, Device{Name: "alice-desk", User: "alice", Kind: KindDeskphone})
	})
	p := mustNew(t, cfg)
	runSteps(t, p, append(desksUp(),
		step{DeviceRegistered{Device: "alice-desk"}, nil},
		step{CallArrived{Call: 1, From: "carol-desk", Dialled: "201"}, []Effect{
			ProceedCaller{1},
			StartLeg{Call: 1, Leg: 1, Device: "alice-desk", CallingNumber: "299", CallingName: "carol"},
			SendPush{Call: 1, User: "alice", Device: "alice-iphone", Platform: IOS, Type: "call", Number: "299", Name: "carol"},
			node.SetTimer{ID: reg1.Node(), After: 10 * time.Second},
		}},
		step{LegConnected{1}, []Effect{ConnectCaller{1, 1}, node.CancelTimer{ID: reg1.Node()}}},
		step{CallArrived{Call: 2, From: "bob-desk", Dialled: "201"}, []Effect{
			ProceedCaller{2},
			rec("call.forwarded", "call", 2, "reason", "cfb", "to", "202"),
			// 202 is the caller's own desk phone: it is not rung, nothing else can.
			ReleaseCaller{2, 18},
			rec("call.released", "call", 2, "cause", 18),
		}},
		step{LegReleased{1, 16}, []Effect{ReleaseCaller{1, 16}, rec("call.released", "call", 1, "cause", 16)}},
	))
}

func TestCallerHangsUpWhilePushing(t *testing.T) {
	p := mustNew(t, with(func(c *Config) {
		c.NameLookup = time.Second
		c.Users[0].CFNR = &Forward{To: "299", After: 15 * time.Second}
	}))
	lookup1 := TimerID{TimerNameLookup, 1}
	runSteps(t, p, append(desksUp(),
		step{arrive, []Effect{
			ProceedCaller{1},
			node.SetTimer{ID: lookup1.Node(), After: time.Second},
			SendPush{Call: 1, User: "alice", Device: "alice-iphone", Platform: IOS, Type: "call", Number: "202"},
			node.SetTimer{ID: reg1.Node(), After: 10 * time.Second},
			node.SetTimer{ID: cfnr1.Node(), After: 15 * time.Second},
		}},
		step{CallerReleased{1, 16}, []Effect{
			node.CancelTimer{ID: reg1.Node()}, node.CancelTimer{ID: cfnr1.Node()}, node.CancelTimer{ID: lookup1.Node()},
			rec("call.released", "call", 1, "cause", 16),
		}},
		// Stale timers and a late registration change nothing.
		step{TimerFired{reg1}, nil},
		step{TimerFired{cfnr1}, nil},
		step{TimerFired{lookup1}, nil},
		step{DeviceRegistered{Device: "alice-iphone"}, nil},
	))
}

func TestNameLookupBeforeRegistration(t *testing.T) {
	p := mustNew(t, with(func(c *Config) { c.NameLookup = 500 * time.Millisecond }))
	lookup1 := TimerID{TimerNameLookup, 1}
	runSteps(t, p, append(desksUp(),
		step{arrive, []Effect{
			ProceedCaller{1},
			node.SetTimer{ID: lookup1.Node(), After: 500 * time.Millisecond},
			SendPush{Call: 1, User: "alice", Device: "alice-iphone", Platform: IOS, Type: "call", Number: "202"},
			node.SetTimer{ID: reg1.Node(), After: 10 * time.Second},
		}},
		step{TimerFired{lookup1}, nil},
		step{DeviceRegistered{Device: "alice-iphone"}, []Effect{
			node.CancelTimer{ID: reg1.Node()},
			StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"},
		}},
	))
}

func TestAndroidPushPlatform(t *testing.T) {
	p := mustNew(t, with(func(c *Config) {
		c.Devices[0] = Device{Name: "alice-android", User: "alice", Kind: KindMyPBX, Platform: Android, PushToken: true}
	}))
	runSteps(t, p, append(desksUp(),
		step{arrive, []Effect{
			ProceedCaller{1},
			SendPush{Call: 1, User: "alice", Device: "alice-android", Platform: Android, Type: "call", Number: "202", Name: "bob"},
			node.SetTimer{ID: reg1.Node(), After: 10 * time.Second},
		}},
	))
}

func TestPBXErrors(t *testing.T) {
	bad := map[string]Config{
		"unknown version":  with(func(c *Config) { c.Version = "11r1" }),
		"unknown quirk":    with(func(c *Config) { c.Quirks = Quirks{"cfnr_skip_push": true} }),
		"unknown user":     with(func(c *Config) { c.Devices[0].User = "zoe" }),
		"duplicate number": with(func(c *Config) { c.Users[1].Number = "201" }),
		"duplicate user":   with(func(c *Config) { c.Users[1].Name = "alice" }),
		"bad platform":     with(func(c *Config) { c.Devices[0].Platform = "" }),
		"bad kind":         with(func(c *Config) { c.Devices[1].Kind = "fax" }),
		"bad presence":     with(func(c *Config) { c.Users[0].Presence = "away" }),
		"forward nowhere":  with(func(c *Config) { c.Users[0].CFU = &Forward{} }),
		"negative timeout": with(func(c *Config) { c.RegistrationTimeout = -time.Second }),
	}
	for name, cfg := range bad {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	p := mustNew(t, baseConfig())
	if _, err := p.Handle(arrive); err != nil {
		t.Fatal(err)
	}
	for _, in := range []Input{
		nil,
		arrive, // call ID in use
		CallArrived{Call: 2, From: "nobody", Dialled: "201"},
		DeviceRegistered{Device: "nobody"},
		DeviceUnregistered{Device: "nobody"},
		PushTokenDropped{Device: "nobody"},
		PresenceChanged{User: "zoe", Presence: DND},
		PresenceChanged{User: "alice", Presence: "away"},
	} {
		if _, err := p.Handle(in); err == nil {
			t.Errorf("%#v: no error", in)
		}
	}
	if got := p.ActiveCalls(); !reflect.DeepEqual(got, []CallID{1}) {
		t.Fatalf("errors changed the calls: %v", got)
	}
}

func TestQuirkProfiles(t *testing.T) {
	want := []string{"cfnr_skips_push", "dnd_closed_stops_wake", "dnd_silent", "unique_system_name"}
	if got := QuirkNames(); !reflect.DeepEqual(got, want) {
		t.Fatalf("QuirkNames() = %v", got)
	}
	tests := []struct {
		version Version
		on      []string
	}{
		{V12r2, []string{QuirkCFNRSkipsPush, QuirkUniqueSystemName, QuirkDNDSilent}},
		{V13r1, nil},
		{V14r1, nil},
		{V15r1, []string{QuirkDNDClosedStopsWake}},
	}
	for _, tt := range tests {
		q := DefaultQuirks(tt.version)
		if len(q) != len(want) {
			t.Errorf("%s: %d quirks, want %d", tt.version, len(q), len(want))
		}
		for _, name := range want {
			on := false
			for _, n := range tt.on {
				on = on || n == name
			}
			if q[name] != on {
				t.Errorf("%s: %s = %v, want %v", tt.version, name, q[name], on)
			}
		}
	}
	q, err := Resolve("", Quirks{QuirkDNDSilent: true})
	if err != nil || !q[QuirkDNDSilent] || !q[QuirkDNDClosedStopsWake] {
		t.Fatalf("Resolve default version with override: %v %v", q, err)
	}
	p := mustNew(t, with(func(c *Config) { c.Version = V12r2; c.Quirks = Quirks{QuirkDNDSilent: false} }))
	if !p.Quirk(QuirkCFNRSkipsPush) || p.Quirk(QuirkDNDSilent) {
		t.Fatal("override not applied")
	}
}

// BenchmarkCallPushRegisterAnswer measures one pushed call from arrival to
// hang-up on a PBX with many users.
func BenchmarkCallPushRegisterAnswer(b *testing.B) {
	cfg := Config{Push: &PushObject{Name: "Push", Connected: true}}
	const users = 1000
	for i := range users {
		name := "u" + itoa(i)
		cfg.Users = append(cfg.Users, User{Name: name, Number: itoa(1000 + i), Push: "Push"})
		cfg.Devices = append(cfg.Devices, Device{Name: name + "-app", User: name, Kind: KindMyApps, Platform: Android, PushToken: true})
	}
	cfg.Devices = append(cfg.Devices, Device{Name: "caller", User: "u0", Kind: KindDeskphone})
	p, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	p.Handle(DeviceRegistered{Device: "caller"})
	b.ReportAllocs()
	leg := LegID(0)
	for i := 0; b.Loop(); i++ {
		u := 1 + i%(users-1)
		id := CallID(i)
		dev := "u" + itoa(u) + "-app"
		p.Handle(CallArrived{Call: id, From: "caller", Dialled: itoa(1000 + u)})
		p.Handle(DeviceRegistered{Device: dev})
		leg++
		p.Handle(LegAlerted{Leg: leg})
		p.Handle(LegConnected{Leg: leg})
		p.Handle(CallerReleased{Call: id, Cause: 16})
		p.Handle(DeviceUnregistered{Device: dev})
	}
	if len(p.callByID) != 0 {
		b.Fatalf("%d calls left", len(p.callByID))
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var buf [20]byte
	n := len(buf)
	for ; i > 0; i /= 10 {
		n--
		buf[n] = byte('0' + i%10)
	}
	return string(buf[n:])
}

// B32: with a no-answer limit the PBX releases a call that rang unanswered
// with cause 19; an answer before the limit cancels it.
func TestNoAnswerTimeout(t *testing.T) {
	noAnswer1 := TimerID{TimerNoAnswer, 1}
	tests := []struct {
		name  string
		steps []step
	}{
		{"rings too long: cause 19", []step{
			{DeviceRegistered{Device: "alice-iphone"}, nil},
			{arrive, []Effect{ProceedCaller{1}, StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"}}},
			{LegAlerted{1}, []Effect{AlertCaller{1}, node.SetTimer{ID: noAnswer1.Node(), After: 30 * time.Second}}},
			{LegAlerted{1}, nil},
			{TimerFired{noAnswer1}, []Effect{ReleaseLeg{1, 1, 16}, ReleaseCaller{1, 19}, rec("call.released", "call", 1, "cause", 19)}},
			{TimerFired{noAnswer1}, nil},
		}},
		{"answered in time: the limit is cancelled", []step{
			{DeviceRegistered{Device: "alice-iphone"}, nil},
			{arrive, []Effect{ProceedCaller{1}, StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"}}},
			{LegAlerted{1}, []Effect{AlertCaller{1}, node.SetTimer{ID: noAnswer1.Node(), After: 30 * time.Second}}},
			{LegConnected{1}, []Effect{ConnectCaller{1, 1}, node.CancelTimer{ID: noAnswer1.Node()}}},
			{TimerFired{noAnswer1}, nil},
		}},
		{"declined: cause 21 passes to the caller", []step{
			{DeviceRegistered{Device: "alice-iphone"}, nil},
			{arrive, []Effect{ProceedCaller{1}, StartLeg{Call: 1, Leg: 1, Device: "alice-iphone", CallingNumber: "202", CallingName: "bob"}}},
			{LegReleased{1, 21}, []Effect{ReleaseCaller{1, 21}, rec("call.released", "call", 1, "cause", 21)}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustNew(t, with(func(c *Config) { c.NoAnswerTimeout = 30 * time.Second }))
			runSteps(t, p, append(desksUp(), tc.steps...))
		})
	}
}

// B22: a notification is pushed to every app of the user with a token,
// registered or not, and to nobody without a connected Push object.
func TestNotify(t *testing.T) {
	note := Notify{User: "alice", Title: "Voicemail", Content: "1 new message"}
	pushNote := func(device string, platform Platform) SendPush {
		return SendPush{User: "alice", Device: device, Platform: platform, Type: PushTypeNotification,
			Title: "Voicemail", Content: "1 new message"}
	}
	twoApps := func(c *Config) {
		c.Devices = append(c.Devices, Device{Name: "alice-pixel", User: "alice", Kind: KindMyApps, Platform: Android, PushToken: true})
	}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"every app with a token, registered or not", with(twoApps), []step{
			{DeviceRegistered{Device: "alice-pixel"}, nil},
			{note, []Effect{pushNote("alice-iphone", IOS), pushNote("alice-pixel", Android)}},
		}},
		{"logged out: no token, no push", with(func(c *Config) { twoApps(c); c.Devices[0].PushToken = false }), []step{
			{note, []Effect{pushNote("alice-pixel", Android)}},
		}},
		{"Push object down: nothing", with(func(c *Config) { c.Push.Connected = false }), []step{
			{note, nil},
		}},
		{"no Push field: nothing", baseConfig(), []step{
			{Notify{User: "bob", Title: "x"}, nil},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, mustNew(t, tc.cfg), tc.steps)
		})
	}
	if _, err := mustNew(t, baseConfig()).Handle(Notify{User: "nobody"}); err == nil {
		t.Error("a notification for an unknown user is accepted")
	}
}

// BenchmarkRegistrationAmongWaitingCalls registers a pushed app while 10,000
// other pushed calls wait for theirs (a push-wake storm): the registration
// must cost what one user's calls cost, not what every waiting call does.
func BenchmarkRegistrationAmongWaitingCalls(b *testing.B) {
	cfg := Config{Push: &PushObject{Name: "Push", Connected: true}}
	const waiting = 10_000
	const users = waiting + 1000
	for i := range users {
		name := "u" + itoa(i)
		cfg.Users = append(cfg.Users, User{Name: name, Number: itoa(100000 + i), Push: "Push"})
		cfg.Devices = append(cfg.Devices, Device{Name: name + "-app", User: name, Kind: KindMyApps, Platform: IOS, PushToken: true})
	}
	cfg.Users = append(cfg.Users, User{Name: "c", Number: "9"})
	cfg.Devices = append(cfg.Devices, Device{Name: "caller", User: "c", Kind: KindDeskphone})
	p, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	p.Handle(DeviceRegistered{Device: "caller"})
	for i := range waiting {
		p.Handle(CallArrived{Call: CallID(i + 1), From: "caller", Dialled: itoa(100000 + i)})
	}
	b.ReportAllocs()
	leg := LegID(0)
	for i := 0; b.Loop(); i++ {
		u := waiting + i%(users-waiting)
		id := CallID(waiting + 1 + i)
		dev := "u" + itoa(u) + "-app"
		p.Handle(CallArrived{Call: id, From: "caller", Dialled: itoa(100000 + u)})
		p.Handle(DeviceRegistered{Device: dev})
		leg++
		p.Handle(LegConnected{Leg: leg})
		p.Handle(CallerReleased{Call: id, Cause: 16})
		p.Handle(DeviceUnregistered{Device: dev})
	}
	if len(p.callByID) != waiting {
		b.Fatalf("%d calls left, want %d", len(p.callByID), waiting)
	}
}
