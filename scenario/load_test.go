package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/timeline"
)

func TestLoadValidFiles(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, f *File)
	}{
		{"ios-wake-answer.yaml", func(t *testing.T, f *File) {
			eq(t, "name", f.Name, "ios-wake-answer")
			eq(t, "covers", f.Covers, []string{"B11", "B13", "B21"})
			eq(t, "seed", f.Seed, int64(7))
			eq(t, "duration", f.Duration, 60*time.Second)
			eq(t, "pbx count", len(f.PBXs), 1)
			p := f.PBXs[0]
			eq(t, "pbx name", p.Name, "pbx")
			eq(t, "system name", p.SystemName, "example.com")
			eq(t, "push name", p.Push.Name, "Push")
			eq(t, "push serial", p.Push.CertificateSerial, int64(1001))
			eq(t, "user push field", p.Users[0].Push, "Push")
			eq(t, "link", f.Network.Links[0], Link{Pos: pos("ios-wake-answer.yaml", 27, 7), Device: "alice-iphone",
				Latency: 80 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.02})
			d := f.Devices[0]
			eq(t, "device pos", d.Pos, pos("ios-wake-answer.yaml", 29, 5))
			eq(t, "transport", d.Transport, TransportH323TLS)
			eq(t, "wake", d.Wake, Wake{Min: 1500 * time.Millisecond, Max: 1500 * time.Millisecond})
			eq(t, "answer", d.Answer, Answer{Mode: AnswerAfter, After: 3 * time.Second})
			eq(t, "password from user", d.Password, "alice-secret")
			eq(t, "call", f.Calls[0], Call{Pos: pos("ios-wake-answer.yaml", 42, 5), At: 2 * time.Second,
				From: "bob-desk", To: "201", HangupAfter: 30 * time.Second})
			eq(t, "expect count", len(f.Expect), 5)
			eq(t, "expect 0", f.Expect[0], Expectation{Pos: pos("ios-wake-answer.yaml", 47, 5), Kind: ExpectEvent,
				Event: "push.request", Attrs: []timeline.Attr{{Key: "user", Value: "alice"}},
				At: &Window{From: 2 * time.Second, To: 2200 * time.Millisecond}})
			eq(t, "expect 1 within", f.Expect[1].Within, 10*time.Second)
			eq(t, "expect 4", f.Expect[4], Expectation{Pos: pos("ios-wake-answer.yaml", 57, 5), Kind: ExpectNever,
				Event: "q931.release_complete", Attrs: []timeline.Attr{{Key: "cause", Value: "18"}}})
		}},
		{"cause18.yaml", func(t *testing.T, f *File) {
			eq(t, "seed default", f.Seed, int64(1))
			eq(t, "duration default", f.Duration, 120*time.Second)
			eq(t, "ticket", f.Ticket, "support case: caller hears busy tone after 10 s")
			eq(t, "push service absent", f.PushService.Present, false)
			eq(t, "wake range", f.Devices[0].Wake, Wake{Min: time.Second, Max: 3 * time.Second})
			eq(t, "ios settings", f.Devices[0].IOS, IOSSettings{NotificationsAllowed: false, VendorPortOpen: true})
			eq(t, "app", f.Devices[0].App, AppClosed)
			eq(t, "actions", len(f.Actions), 4)
			eq(t, "app action", f.Actions[0].App, AppForeground)
			eq(t, "presence action", f.Actions[1].Presence, PresenceDND)
			eq(t, "push service action", *f.Actions[2].PushService.Available, false)
			eq(t, "network action device", f.Actions[3].Network.Device, "alice-iphone")
			eq(t, "network action loss", *f.Actions[3].Network.Loss, 1.0)
			eq(t, "network action latency", f.Actions[3].Network.Latency == nil, true)
			eq(t, "count 0", *f.Expect[1].Count, CountRange{Min: 0, Max: 0, HasMax: true})
			eq(t, "count 1", *f.Expect[3].Count, CountRange{Min: 1, Max: 1, HasMax: true})
			eq(t, "two attrs in order", f.Expect[2].Attrs, []timeline.Attr{{Key: "to", Value: "bob-desk"}, {Key: "cause", Value: "18"}})
		}},
		{"two-pbx-android.yaml", func(t *testing.T, f *File) {
			eq(t, "pbx names", []string{f.PBXs[0].Name, f.PBXs[1].Name}, []string{"old", "new"})
			old := f.PBXs[0]
			eq(t, "version", old.Version, pbx.V12r2)
			// 12r2 turns cfnr_skips_push on; the file overrides it.
			want := pbx.DefaultQuirks(pbx.V12r2)
			want["cfnr_skips_push"] = false
			eq(t, "quirks", old.Quirks, want)
			eq(t, "new quirks", f.PBXs[1].Quirks, pbx.DefaultQuirks(pbx.V15r1))
			eq(t, "no_answer_timeout", f.PBXs[1].NoAnswerTimeout, 45*time.Second)
			eq(t, "push", *old.Push, Push{Pos: pos("two-pbx-android.yaml", 11, 11), Name: "Push",
				URL: DefaultPushURL, Certificate: CertificateOwn, CertificateSerial: 1001, TrustsService: false,
				DNSFails: true, HTTPProxy: true, Reachable: false, Password: "s3cret"})
			carol := old.Users[0]
			// B10: a Push field naming no Push object loads; the run skips the push.
			eq(t, "push field kept", carol.Push, "push")
			eq(t, "forks", carol.Forks, []string{"301"})
			eq(t, "cfnr", *carol.CFNR, Forward{Pos: pos("two-pbx-android.yaml", 18, 15), To: "399", After: 15 * time.Second})
			eq(t, "cfb", *carol.CFB, Forward{Pos: pos("two-pbx-android.yaml", 19, 14), To: "398"})
			eq(t, "accepts", f.PushService.Accepts, []Certificate{CertificateDevice})
			eq(t, "fcm", f.PushService.FCM, Vendor{Available: true, Latency: 150 * time.Millisecond})
			eq(t, "apns default", f.PushService.APNs, Vendor{Available: true, Latency: DefaultAPNsLatency})
			phone := f.Devices[0]
			eq(t, "mypbx session default", phone.WebsocketSession, false)
			eq(t, "android wake default", phone.Wake, Wake{Min: 2 * time.Second, Max: 2 * time.Second})
			eq(t, "android", phone.Android, AndroidSettings{Push: "on", StartAutomatically: false,
				NotificationsAllowed: false, CallingAccount: false, BackgroundData: false, Overlay: false, HMSStale: true, VendorPortOpen: false})
			eq(t, "device password", phone.Password, "wrong")
			eq(t, "reject", phone.Answer, Answer{Mode: AnswerReject, Reject: "busy"})
			eq(t, "ttl", phone.TTL, 90*time.Second)
			eq(t, "desk password from user", f.Devices[1].Password, "dave-pw")
			eq(t, "desk transport", f.Devices[1].Transport, TransportH323TCP)
			eq(t, "desk gatekeeper_id", f.Devices[1].GatekeeperID, "new.example.com")
			eq(t, "desk clock_skew", f.Devices[1].ClockSkew, 31*time.Second)
			eq(t, "desk h235", f.Devices[1].H235, H235MD5)
			eq(t, "h235 default", phone.H235, H235HMAC)
			eq(t, "gatekeeper_id default", phone.GatekeeperID, "")
			eq(t, "bool attr", f.Expect[0].Attrs[1], timeline.Attr{Key: "lost", Value: "false"})
			eq(t, "PBXOf", f.PBXOf("dave"), 1)
			eq(t, "User", f.User("carol").Number, "301")
			eq(t, "Device", f.Device("dave-desk").Kind, KindDeskphone)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(tt.file, src)
			if err != nil {
				t.Fatalf("unexpected errors:\n%v", err)
			}
			tt.check(t, f)
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	src := `name: minimal
pbx:
  push: {}
  users: [{name: alice, number: "201", password: pw, cfnr: {to: "299"}}]
devices:
  - {name: phone, user: alice, kind: myapps, os: ios}
  - {name: desk, user: alice, kind: deskphone}
expect: []
`
	f, err := Parse("minimal.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "seed", f.Seed, DefaultSeed)
	eq(t, "duration", f.Duration, DefaultDuration)
	p := f.PBXs[0]
	eq(t, "pbx", []any{p.Name, p.Version, p.RegistrationTimeout, p.NameLookup, p.NoAnswerTimeout},
		[]any{"pbx", pbx.V15r1, 10 * time.Second, time.Duration(0), time.Duration(0)})
	eq(t, "quirks", p.Quirks, pbx.DefaultQuirks(pbx.V15r1))
	eq(t, "push", *p.Push, Push{Pos: pos("minimal.yaml", 3, 3), Name: "Push", URL: DefaultPushURL,
		Certificate: CertificateDevice, CertificateSerial: 1001, TrustsService: true, Reachable: true})
	eq(t, "user", p.Users[0].Presence, PresenceAvailable)
	eq(t, "cfnr after", p.Users[0].CFNR.After, DefaultCFNRAfter)
	eq(t, "push service", f.PushService, defaultPushService())
	eq(t, "network", f.Network, Network{Latency: 20 * time.Millisecond})
	app := f.Devices[0]
	eq(t, "app", []any{app.Transport, app.App, app.DefaultSoftphone, app.WebsocketSession, app.Wake, app.TTL, app.Password, app.Answer},
		[]any{TransportH323, AppBackground, true, true, Wake{Min: 1500 * time.Millisecond, Max: 1500 * time.Millisecond},
			60 * time.Second, "pw", Answer{Mode: AnswerNever}})
	eq(t, "ios defaults", app.IOS, IOSSettings{NotificationsAllowed: true, VendorPortOpen: true})
	desk := f.Devices[1]
	eq(t, "desk", []any{desk.OS, desk.App, desk.Wake, desk.Password}, []any{OSNone, AppState(""), Wake{}, "pw"})
}

func TestLoadErrors(t *testing.T) {
	// head is a valid start that each case completes or breaks.
	const head = "name: t\npbx:\n  users: [{name: alice, number: \"201\"}]\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"misspelt key with suggestion",
			"name: ios-wake\npbx:\n  users:\n    - name: alice\n      number: \"201\"\n      push: Push\n    - name: bob\n      number: \"202\"\n" +
				"devices:\n- name: alice-iphone\n  user: alice\n  kind: myapps\n  os: ios\n  ios:\n    notifcations: allowed\nexpect: []\n",
			[]string{`ios-wake.yaml:15:5: unknown key "notifcations" (did you mean "notifications"?)`}},
		{"unknown key without suggestion lists the allowed keys",
			head + "devices: []\nexpect: []\nnetwork: {zzz: 1}\n",
			[]string{`ios-wake.yaml:6:11: unknown key "zzz" in network; allowed: latency, jitter, loss, links`}},
		{"syntax error",
			"name: [a\n",
			[]string{`ios-wake.yaml:1:7: YAML syntax error: sequence end token ']' not found`}},
		{"empty file",
			"",
			[]string{
				`ios-wake.yaml:1:1: missing required key "devices"`,
				`ios-wake.yaml:1:1: missing required key "expect"`,
				`ios-wake.yaml:1:1: missing required key "name"`,
				`ios-wake.yaml:1:1: missing required key "pbx" (or "pbxs")`,
			}},
		{"not a mapping", "- a\n", []string{`ios-wake.yaml:1:1: expected a mapping for the scenario, got a list`}},
		{"two documents", head + "devices: []\nexpect: []\n---\nname: u\n",
			[]string{`ios-wake.yaml:7:1: a scenario is one YAML document; this is a second one`}},
		{"duplicate key", head + "devices: []\nexpect: []\nname: u\n",
			[]string{`ios-wake.yaml:6:1: duplicate key "name" (first at 1:1)`}},
		{"durations",
			head + "duration: 10\ndevices:\n  - {name: d, user: alice, kind: deskphone, ttl: -3s}\ncalls: [{at: 1m, from: d, to: \"1\", hangup_after: true}]\nexpect: []\n",
			[]string{
				`ios-wake.yaml:4:11: expected a duration like 250ms for duration, got "10"`,
				`ios-wake.yaml:6:50: ttl must not be negative, got -3s`,
				`ios-wake.yaml:7:50: expected a duration like 250ms for hangup_after, got "true"`,
			}},
		{"duration too long", head + "duration: 100000h\ndevices: []\nexpect: []\n",
			[]string{`ios-wake.yaml:4:11: duration 100000h0m0s is longer than the longest run, 24h0m0s`}},
		{"notify actions",
			head + "devices: []\nactions:\n  - {at: 1s, user: alice, notify: {content: x}}\n  - {at: 1s, user: alice, presence: dnd, notify: {title: t}}\n" +
				"  - {at: 1s, user: alice, notify: {title: t, contnet: x}}\n  - {at: 1s, device: d, notify: {title: t}}\nexpect: []\n",
			[]string{
				`ios-wake.yaml:6:35: missing required key "title"`,
				`ios-wake.yaml:7:42: an action changes one thing; split presence and notify into two actions`,
				`ios-wake.yaml:8:46: unknown key "contnet" (did you mean "content"?)`,
				`ios-wake.yaml:9:5: the action changes nothing on device "d"; give one of app, logout, default_softphone, websocket_session, vendor_port, connection`,
				`ios-wake.yaml:9:22: unknown device "d"`,
				`ios-wake.yaml:9:25: "notify" needs a user in the same action`,
			}},
		{"gatekeeper and H.235 keys",
			head + "devices:\n  - {name: d, user: alice, kind: deskphone, gatekeeper_id: \"\", clock_skew: soon, h235: sha}\n" +
				"  - {name: e, user: alice, kind: myapps, os: android, android: {vendor_port: closed}}\nexpect: []\n",
			[]string{
				`ios-wake.yaml:5:60: gatekeeper_id must be 1 to 128 characters of the Basic Multilingual Plane (H.225.0 GatekeeperIdentifier); drop the key to ask for any gatekeeper`,
				`ios-wake.yaml:5:76: expected a duration like 250ms for clock_skew, got "soon"`,
				`ios-wake.yaml:5:88: unknown h235 "sha"; allowed: hmac, md5`,
				`ios-wake.yaml:6:78: unknown vendor_port "closed"; allowed: open, blocked`,
			}},
		{"windows", head + "devices: []\nexpect:\n  - {event: ras.rcf, at: 3s..1s}\n  - {event: ras.rcf, at: 3s-4s}\n  - {never: ras.rcf, at: -1s..2s}\n",
			[]string{
				`ios-wake.yaml:6:26: window "3s..1s" ends before it starts`,
				`ios-wake.yaml:7:26: expected a time window like 11s..11.5s for at, got "3s-4s"`,
				`ios-wake.yaml:8:26: window "-1s..2s" must not be negative`,
			}},
		{"probability", head + "devices: []\nexpect: []\nnetwork: {loss: 2, links: [{device: nobody, loss: x}]}\n",
			[]string{
				`ios-wake.yaml:6:17: loss is a probability and must be between 0 and 1, got 2`,
				`ios-wake.yaml:6:37: unknown device "nobody"`,
				`ios-wake.yaml:6:51: expected a probability between 0 and 1 for loss, got "x"`,
			}},
		{"enum with suggestion and allowed list",
			head + "devices: [{name: d, user: alice, kind: myapps, os: andriod, transport: tls}]\nexpect: []\n",
			[]string{
				`ios-wake.yaml:4:52: unknown os "andriod" (did you mean "android"?); allowed: ios, android`,
				`ios-wake.yaml:4:72: unknown transport "tls"; allowed: h323, h323-tcp, h323-tls, h323-dtls`,
			}},
		{"missing required keys", head + "devices: [{user: alice}]\n",
			[]string{
				`ios-wake.yaml:1:1: missing required key "expect"`,
				`ios-wake.yaml:4:11: missing required key "kind"`,
				`ios-wake.yaml:4:11: missing required key "name"`,
			}},
		{"common device keys are checked without a kind", head + "devices: [{name: d, user: alice, ttl: x}]\nexpect: []\n",
			[]string{
				`ios-wake.yaml:4:11: missing required key "kind"`,
				`ios-wake.yaml:4:39: expected a duration like 250ms for ttl, got "x"`,
			}},
		{"references", head + "devices: [{name: d, user: alce, kind: deskphone}]\ncalls: [{at: 1s, from: e, to: \"201\"}]\n" +
			"actions: [{at: 1s, user: bob, presence: dnd}]\nexpect: []\n",
			[]string{
				`ios-wake.yaml:4:27: unknown user "alce" (did you mean "alice"?)`,
				`ios-wake.yaml:5:24: unknown device "e"`,
				`ios-wake.yaml:6:26: unknown user "bob"`,
			}},
		{"duplicate names across PBXs",
			"name: t\npbxs:\n  - {name: a, users: [{name: u}]}\n  - {name: a, users: [{name: u}]}\n  - {users: []}\ndevices: []\nexpect: []\n",
			[]string{
				`ios-wake.yaml:4:12: duplicate PBX name "a" (first at 3:12)`,
				`ios-wake.yaml:4:30: duplicate user name "u" (first at 3:30)`,
				`ios-wake.yaml:5:5: missing required key "name"`,
			}},
		{"quirks and version", "name: t\npbx: {version: 15R1, quirks: {cfnr_skip_push: true, unique_system_name: 1}}\ndevices: []\nexpect: []\n",
			[]string{
				`ios-wake.yaml:2:16: unknown version "15R1" (did you mean "15r1"?); allowed: 12r2, 13r1, 14r1, 15r1`,
				`ios-wake.yaml:2:31: unknown quirk "cfnr_skip_push" (did you mean "cfnr_skips_push"?)`,
				`ios-wake.yaml:2:73: expected true or false for unique_system_name, got "1"`,
			}},
		{"covers", head + "devices: []\nexpect: []\ncovers: [B09, b12, B12, B12]\n",
			[]string{
				`ios-wake.yaml:6:10: unknown behaviour "B09" in covers; the catalogue has B01-B08, B10-B17, B20-B29, B30-B32`,
				`ios-wake.yaml:6:15: unknown behaviour "b12" in covers (did you mean "B12"?); the catalogue has B01-B08, B10-B17, B20-B29, B30-B32`,
				`ios-wake.yaml:6:25: behaviour "B12" is listed twice in covers`,
			}},
		{"B10 push field naming no Push object is not an error",
			"name: t\npbx:\n  push: {name: Push}\n  users: [{name: alice, push: PUSH}]\ndevices: []\nexpect: []\n", nil},
		{"expectations", head + "devices: []\nexpect:\n  - event: q931.alertng\n  - {never: ras.rrj, count: 1}\n  - {event: ras.rcf, withn: 1s}\n  - {event: ras.rcf, count: -2}\n  - {to: x}\n",
			[]string{
				`ios-wake.yaml:6:12: unknown event "q931.alertng" (did you mean "q931.alerting"?)`,
				`ios-wake.yaml:7:22: count does not apply to never (never is count: 0)`,
				`ios-wake.yaml:8:22: unknown key "withn" (did you mean "within"?)`,
				`ios-wake.yaml:9:29: count must not be negative, got -2`,
				`ios-wake.yaml:10:5: missing required key "event" (or "never", "all" or "delay")`,
			}},
		{"answer and wake", head + "devices:\n  - {name: d, user: alice, kind: myapps, os: ios, answer: nevr, wake: {min: 2s, max: 1s}}\n  - {name: e, user: alice, kind: myapps, os: ios, answer: {reject: nope}, wake: soon}\nexpect: []\n",
			[]string{
				`ios-wake.yaml:5:59: expected {after: D}, never or {reject: busy|declined} for answer, got "nevr" (did you mean "never"?)`,
				`ios-wake.yaml:5:81: wake max 1s is less than min 2s`,
				`ios-wake.yaml:6:68: unknown reject "nope"; allowed: busy, declined`,
				`ios-wake.yaml:6:81: expected a duration like 250ms for wake, got "soon"`,
			}},
		{"app keys on a desk phone and the wrong OS block", head + "devices:\n  - {name: d, user: alice, kind: deskphone, wake: 1s}\n  - {name: e, user: alice, kind: myapps, os: android, ios: {}}\n" +
			"actions: [{at: 1s, device: d, logout: true}]\nexpect: []\n",
			[]string{
				`ios-wake.yaml:5:45: "wake" does not apply to a deskphone (only to myapps and mypbx)`,
				`ios-wake.yaml:6:55: "ios" does not apply to an android device`,
				`ios-wake.yaml:7:11: device "d" is a deskphone; app, logout, default_softphone, websocket_session, vendor_port, connection apply only to myapps and mypbx`,
			}},
		{"aliases are refused", head + "devices: &d []\nexpect: *d\n",
			[]string{`ios-wake.yaml:5:9: aliases (*name) are not supported in scenarios; write the value out`}},
		{"deep flow nesting is refused before parsing", strings.Repeat("[", 40),
			[]string{`ios-wake.yaml:1:33: collections nested more than 32 levels deep; a scenario needs far fewer`}},
		{"deep compact nesting is refused before parsing", "a: " + strings.Repeat("- ", 40),
			[]string{`ios-wake.yaml:1:66: collections nested more than 32 levels deep; a scenario needs far fewer`}},
		{"oversized file", "summary: " + strings.Repeat("x", MaxFileSize),
			[]string{fmt.Sprintf("ios-wake.yaml:1:1: the file is %d bytes; a scenario may be at most %d", MaxFileSize+9, MaxFileSize)}},
		{"action time after the end", head + "duration: 5s\ndevices: []\nactions: [{at: 6s, push_service: {available: false}}]\nexpect: []\n",
			[]string{`ios-wake.yaml:6:16: at 6s is after the end of the run (duration 5s)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("ios-wake.yaml", []byte(tt.src))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected errors:\n%v", err)
				}
				return
			}
			if f != nil {
				t.Errorf("a file with errors returned a File")
			}
			got := problemLines(t, err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestLoadManyProblemsAtOnce checks that one pass reports every problem of a
// badly broken file, in position order.
func TestLoadManyProblemsAtOnce(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid", "many-problems.yaml"))
	got := problemLines(t, err)
	if len(got) < 50 {
		t.Fatalf("got only %d problems:\n%s", len(got), strings.Join(got, "\n"))
	}
	prefix := filepath.Join("testdata", "invalid", "many-problems.yaml") + ":"
	for _, want := range []string{
		prefix + `2:7: expected a whole number for seed, got "x"`,
		prefix + `7:12: unknown quirk "cfnr_skip_push" (did you mean "cfnr_skips_push"?)`,
		prefix + `15:13: duplicate user name "alice" (first at 11:13)`,
		prefix + `17:7: number "202" is already used by another user of this PBX (at 15:7)`,
		prefix + `23:16: unknown device "alice-phone" (did you mean "alice-iphone"?)`,
		prefix + `29:11: duplicate device name "alice-iphone" (first at 26:11)`,
		prefix + `52:29: an action changes one thing; split device and user into two actions`,
		prefix + `56:27: "app" needs a device in the same action`,
		prefix + `75:5: within does not apply to a count (count looks at the whole run; use at for a window)`,
	} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("missing %q", want)
		}
	}
	var problems Errors
	if !errors.As(err, &problems) {
		t.Fatalf("error is %T, want Errors", err)
	}
	for i := 1; i < len(problems); i++ {
		a, b := problems[i-1].Pos, problems[i].Pos
		if a.Line > b.Line || a.Line == b.Line && a.Col > b.Col {
			t.Errorf("problems out of order: %v before %v", a, b)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join("testdata", "no-such-file.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"notifications", "vendor_port", "within", "at"}
	tests := []struct{ word, want string }{
		{"notifcations", "notifications"},
		{"notificatoins", "notifications"}, // transposition counts as one edit
		{"vendorport", "vendor_port"},
		{"withn", "within"},
		{"ta", "at"},
		{"to", ""}, // two edits from "at" is too far for a two-letter word
		{"zzzzzz", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.word, keys); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func problemLines(t *testing.T, err error) []string {
	t.Helper()
	var problems Errors
	if !errors.As(err, &problems) {
		t.Fatalf("error %v (%T) is not Errors", err, err)
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = p.Error()
	}
	if strings.Join(lines, "\n") != err.Error() {
		t.Errorf("Errors.Error() does not list the problems one per line")
	}
	return lines
}

func pos(file string, line, col int) Pos { return Pos{File: file, Line: line, Col: col} }

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func BenchmarkParse(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "ios-wake-answer.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("ios-wake-answer.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}
