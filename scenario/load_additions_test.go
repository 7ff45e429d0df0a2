package scenario

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestLoadFormatAdditions: the keys issue 15 added (suspend_after,
// connection, display, hangup_at, hangup_after_setup, push and registration
// actions, vendor_port and connection actions) are checked like every other
// key: each problem with its position, all at once, with a suggestion.
func TestLoadFormatAdditions(t *testing.T) {
	const head = "name: t\npbx:\n  push: {}\n  users: [{name: alice, number: \"201\", push: Push}, {name: bob, number: \"202\"}]\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"devices",
			head + "devices:\n  - {name: a, user: alice, kind: myapps, os: ios, suspend_after: nevr}\n" +
				"  - {name: m, user: alice, kind: mypbx, os: android, suspend_after: 5s}\n" +
				"  - {name: d, user: bob, kind: deskphone, suspend_after: 5s, connection: wifi}\n" +
				"  - {name: c, user: bob, kind: myapps, os: android, suspend_after: 0s, connection: lte}\nexpect: []\n",
			[]string{
				`t.yaml:6:66: expected a duration like 30s or never for suspend_after, got "nevr" (did you mean "never"?)`,
				`t.yaml:7:54: "suspend_after" does not apply to mypbx on android: in push mode on or active it ends itself after 10s idle, in auto and off it keeps its registration (B24)`,
				`t.yaml:8:43: "suspend_after" does not apply to a deskphone (only to myapps and mypbx)`,
				`t.yaml:8:62: "connection" does not apply to a deskphone (only to myapps and mypbx)`,
				`t.yaml:9:68: suspend_after must be positive (the app would be suspended as it registers); write never to keep it awake`,
				`t.yaml:9:84: unknown connection "lte"; allowed: wifi, mobile_data`,
			}},
		{"calls",
			head + "devices: [{name: d, user: bob, kind: deskphone}]\ncalls:\n  - {at: 5s, from: d, to: \"201\", hangup_at: 5s}\n" +
				"  - {at: 5s, from: d, to: \"201\", hangup_at: 7s, hangup_after_setup: 1s}\n" +
				"  - {at: 5s, from: d, to: \"201\", hangup_after_setup: 0s}\n  - {at: 5s, from: d, to: \"201\", hangup_at: 1h}\nexpect: []\n",
			[]string{
				`t.yaml:7:45: hangup_at 5s is not after the call's at 5s`,
				`t.yaml:8:49: a call takes hangup_at or hangup_after_setup, not both (hangup_after, after the connect, may go with either)`,
				`t.yaml:9:54: hangup_after_setup must be positive`,
				`t.yaml:10:45: hangup_at 1h0m0s is after the end of the run (duration 2m0s)`,
			}},
		{"actions",
			head + "devices: [{name: d, user: bob, kind: deskphone}, {name: a, user: alice, kind: myapps, os: ios}]\nactions:\n" +
				"  - {at: 1s, push: {}}\n  - {at: 1s, pbx: pbxx, push: {trusts_servce: true}}\n  - {at: 1s, device: d, vendor_port: open}\n" +
				"  - {at: 1s, device: a, vendor_port: shut, connection: lte}\n  - {at: 1s, pbx: pbx}\n" +
				"  - {at: 1s, push_service: {registration: {system_name: x}}}\n  - {at: 1s, user: alice, push: {name: P}}\nexpect: []\n",
			[]string{
				`t.yaml:7:14: the action changes nothing: PBX "pbx" has a Push object already; give the keys to change`,
				`t.yaml:8:19: unknown pbx "pbxx" (did you mean "pbx"?)`,
				`t.yaml:8:32: unknown key "trusts_servce" (did you mean "trusts_service"?)`,
				`t.yaml:9:5: device "d" is a deskphone; app, logout, default_softphone, websocket_session, vendor_port, connection apply only to myapps and mypbx`,
				`t.yaml:10:38: unknown vendor_port "shut"; allowed: open, blocked`,
				`t.yaml:10:56: unknown connection "lte"; allowed: wifi, mobile_data`,
				`t.yaml:11:5: the action changes nothing on PBX "pbx"; give push (the Push object's keys to set)`,
				`t.yaml:12:43: missing required key "password"`,
				`t.yaml:13:27: an action changes one thing; split user and push into two actions`,
			}},
		{"a push action names its PBX when there are several; expectations see created objects",
			"name: t\npbxs: [{name: p1, users: [{name: alice, number: \"201\"}]}, {name: p2}]\ndevices: []\n" +
				"actions:\n  - {at: 1s, push: {name: Push}}\n  - {at: 2s, pbx: p2, push: {name: Other}}\n" +
				"expect: [{event: pbx.push_connected, push: Psh}, {event: pbx.push_connected, push: Other}]\n",
			[]string{
				`t.yaml:5:5: this file has 2 PBXs: name the one whose Push object changes (pbx: NAME)`,
				`t.yaml:7:44: unknown Push object "Psh" (did you mean "Push"?)`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			if got := problemLines(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestLoadFormatAdditionsDefaults: what the new keys default to, and what
// they read as.
func TestLoadFormatAdditionsDefaults(t *testing.T) {
	src := "name: t\npbx:\n  users: [{name: alice, display: Alice Smith, number: \"201\"}, {name: bob, number: \"202\"}]\n" +
		"devices:\n  - {name: i, user: alice, kind: myapps, os: ios}\n  - {name: a, user: alice, kind: myapps, os: android, connection: mobile_data}\n" +
		"  - {name: p, user: alice, kind: mypbx, os: android}\n  - {name: q, user: alice, kind: mypbx, os: ios, suspend_after: never}\n" +
		"  - {name: d, user: bob, kind: deskphone, display: Reception}\n" +
		"calls: [{at: 1s, from: d, to: \"201\", hangup_at: 9s}, {at: 1s, from: d, to: \"201\", hangup_after: 3s, hangup_after_setup: 4s}]\n" +
		"actions:\n  - {at: 2s, push: {trusts_service: false}}\n  - {at: 3s, device: a, vendor_port: blocked, connection: wifi}\n" +
		"  - {at: 4s, push_service: {registration: {system_name: s, password: pw}}}\nexpect: []\n"
	f, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	suspend := []time.Duration{DefaultIOSSuspend, DefaultAndroidSuspend, 0, 0, 0}
	conn := []Connection{ConnectionWiFi, ConnectionMobileData, ConnectionWiFi, ConnectionWiFi, ""}
	for i, d := range f.Devices {
		if d.Suspend != suspend[i] || d.Connection != conn[i] {
			t.Errorf("%s: suspend %v connection %q, want %v %q", d.Name, d.Suspend, d.Connection, suspend[i], conn[i])
		}
	}
	if f.PBXs[0].Users[0].Display != "Alice Smith" || f.Devices[4].Display != "Reception" {
		t.Errorf("display names: %q, %q", f.PBXs[0].Users[0].Display, f.Devices[4].Display)
	}
	if c := f.Calls; c[0].HangupAt != 9*time.Second || c[1].HangupAfter != 3*time.Second || c[1].HangupAfterSetup != 4*time.Second {
		t.Errorf("calls: %+v", c)
	}
	a := f.Actions
	if a[0].PBX != "pbx" || a[0].Push == nil || a[0].Push.TrustsService == nil || *a[0].Push.TrustsService || a[0].Push.Name != nil {
		t.Errorf("push action: %+v %+v", a[0], a[0].Push)
	}
	// A push action on a PBX without a Push object creates it with the defaults.
	if p := DefaultPush(0).Apply(a[0].Push); p.Name != DefaultPushName || p.TrustsService || !p.Reachable || p.CertificateSerial != DefaultCertificateSerial {
		t.Errorf("created Push object: %+v", p)
	}
	if a[1].VendorPort == nil || *a[1].VendorPort || a[1].Connection != ConnectionWiFi {
		t.Errorf("network action: %+v", a[1])
	}
	if r := a[2].PushService.Registration; r == nil || *r != (Registration{SystemName: "s", Password: "pw"}) {
		t.Errorf("registration: %+v", r)
	}
}

// TestKeyWarnings: an app that can never decrypt its pushes (B08) is
// warned of, with its position; the file still loads. An app with a key
// path, or one an action gives it, is not; nor is an app never pushed.
func TestKeyWarnings(t *testing.T) {
	src := "name: t\npbx:\n  push: {}\n  users: [{name: alice, number: \"201\", push: Push}, {name: bob, number: \"202\"}]\n" +
		"devices:\n" +
		"  - {name: plain, user: alice, kind: mypbx, os: android}\n" +
		"  - {name: tls, user: alice, kind: mypbx, os: android, transport: h323-tls}\n" +
		"  - {name: session, user: alice, kind: mypbx, os: ios, websocket_session: true}\n" +
		"  - {name: later, user: alice, kind: mypbx, os: ios}\n" +
		"  - {name: out, user: alice, kind: myapps, os: ios, app: logged_out, websocket_session: false}\n" +
		"  - {name: nopush, user: bob, kind: myapps, os: android, websocket_session: false}\n" +
		"  - {name: tcp, user: alice, kind: myapps, os: ios, websocket_session: false, transport: h323-tcp}\n" +
		"actions: [{at: 1s, device: later, websocket_session: true}]\nexpect: []\n"
	f, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range f.Warnings {
		got = append(got, w.Pos.String()+": "+w.Message[:strings.Index(w.Message, ":")])
	}
	want := []string{"t.yaml:6:5: device plain can never decrypt its pushes", "t.yaml:12:5: device tcp can never decrypt its pushes"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestTolerantWidensEveryItem: a real run widens the windows of an all
// group's items too, and an after bound, not only the top-level items'.
func TestTolerantWidensEveryItem(t *testing.T) {
	w := &Window{From: 12300 * time.Millisecond, To: 12300 * time.Millisecond}
	items := []Expectation{{Kind: ExpectAll, Members: []Expectation{{Kind: ExpectEvent, Event: "pbx.push_connected", At: w}}},
		{Kind: ExpectEvent, Event: "ras.rrq", After: time.Second, HasAfter: true}}
	got := tolerant(items, 50*time.Millisecond)
	if m := got[0].Members[0].At; m.From != 12250*time.Millisecond || m.To != 12350*time.Millisecond {
		t.Errorf("member window %v", m)
	}
	if got[1].After != 950*time.Millisecond {
		t.Errorf("after %v", got[1].After)
	}
	if *w != (Window{From: 12300 * time.Millisecond, To: 12300 * time.Millisecond}) {
		t.Error("tolerant changed the file's window")
	}
}
