package scenario

import (
	"reflect"
	"strings"
	"testing"
)

// typoWorld is a two-PBX file whose expectations the tests below fill in.
const typoWorld = `name: typos
pbxs:
  - name: munich
    push: {}
    users:
      - {name: alice, number: "201", push: Push}
      - {name: bob, number: "202"}
  - name: berlin
    users: [{name: carol, number: "301"}]
devices:
  - {name: alice-iphone, user: alice, kind: myapps, os: ios}
  - {name: alice-android, user: alice, kind: myapps, os: android}
  - {name: bob-desk, user: bob, kind: deskphone}
  - {name: carol-desk, user: carol, kind: deskphone}
calls:
  - {at: 1s, from: bob-desk, to: "201"}
expect:
`

// TestExpectationTypos writes every expectation typo of the ticket that
// asked for these checks; each is a load error at its position, with a
// suggestion where one is close. Before the checks, all of them loaded and
// the never items always passed.
func TestExpectationTypos(t *testing.T) {
	src := typoWorld + `  - event: call.released
    cuase: 18
  - never: q931.setup
    too: alice-iphone
  - never: ras.rrq
    from: alice-iphnoe
  - event: push.request
    device: alice-andriod
  - event: q931.setup
    from: muenchen
`
	_, err := Parse("typos.yaml", []byte(src))
	want := []string{
		`typos.yaml:19:5: call.released has no attribute "cuase" (did you mean "cause"?); it has call, cause`,
		`typos.yaml:21:5: q931.setup has no attribute "too" (did you mean "to"?); it has from, to, h245`,
		`typos.yaml:23:11: unknown actor "alice-iphnoe" (did you mean "alice-iphone"?)`,
		`typos.yaml:25:13: unknown device "alice-andriod" (did you mean "alice-android"?)`,
		`typos.yaml:27:11: unknown actor "muenchen"; an actor is a device, a PBX, push, apns or fcm`,
	}
	if got := problemLines(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestExpectationValues: every value is checked against its attribute's
// type, values and names, and limits against each other.
func TestExpectationValues(t *testing.T) {
	tests := []struct {
		name, items string
		want        []string // nil: loads
	}{
		{"canonical forms", `  - {event: call.released, cause: "018"}
  - {event: ras.rrq, keepalive: true, lost: false, seq: 2}
  - {event: pbx.push_disconnected, pbx: munich, push: Push, retry_in: 2000ms, reason: dns}
  - {event: device.ringing, device: alice-iphone, number: "", name: "", ui: false}
  - {event: call.forwarded, to: "+49301", reason: cfu}
  - {event: ras.rrj, reason: securityDenial}
  - {event: push.rejected, from: push, to: munich, serial: 1001}
  - {event: ras.registration_expired, alias: alice}
`, nil},
		{"wrong types and values", `  - {event: call.released, cause: 128}
  - {event: call.released, cause: -1}
  - {event: call.released, cause: many}
  - {event: ras.rrq, keepalive: yes}
  - {event: pbx.push_disconnected, retry_in: soon}
  - {event: push.dropped, reason: notification_denied}
  - {event: call.forwarded, to: alice}
  - {event: device.ringing, device: [a]}
  - {event: pbx.push_connected, pbx: muenchen, push: push}
  - {event: push.request, user: alcie}
`, []string{
			`x.yaml:18:35: cause is at most 127, got 128`,
			`x.yaml:19:35: cause must not be negative, got -1`,
			`x.yaml:20:35: expected a whole number for cause, got "many"`,
			`x.yaml:21:33: expected true or false for keepalive, got "yes"`,
			`x.yaml:22:46: expected a duration like 250ms for retry_in, got "soon"`,
			`x.yaml:23:35: unknown reason "notification_denied" (did you mean "notifications_denied"?); allowed: vendor_unreachable, notifications_denied, pushkit_penalty, not_a_call, hms_stale, data_saver, events_off, calling_account_off, not_default, push_off, start_never, dnd_closed, logged_out, no_push`,
			`x.yaml:24:33: expected dialled digits for to, got "alice"`,
			`x.yaml:25:37: expected a device name for device, got a list`,
			`x.yaml:26:38: unknown pbx "muenchen"`,
			`x.yaml:26:54: unknown Push object "push" (did you mean "Push"?)`,
			`x.yaml:27:33: unknown user "alcie" (did you mean "alice"?)`,
		}},
		{"limits and groups", `  - {event: ras.rrq, after: 5s, within: 2s}
  - {event: ras.rrq, count: 2.., within: 1s}
  - {event: ras.rrq, count: 0..}
  - {event: ras.rrq, count: 5..2}
  - {event: ras.rrq, count: ..}
  - {event: ras.rrq, count: lots}
  - {never: ras.rrq, after: 1s}
  - {all: [{event: ras.rrq}]}
  - {all: [{event: ras.rrq}, {never: ras.rcf}]}
  - {all: [{event: ras.rrq}, {event: ras.rcf, count: 1}], from: bob-desk}
  - {all: [{event: ras.rrq, after: 3s}, {event: ras.rcf}], within: 1s}
  - {event: ras.rrq, never: ras.rcf}
`, []string{
			`x.yaml:18:5: after 5s is later than within 2s: no event can meet both`,
			`x.yaml:19:34: within does not apply to a count (count looks at the whole run; use at for a window)`,
			`x.yaml:20:29: count "0.." holds for every run; give a lower bound above 0 or an upper bound`,
			`x.yaml:21:29: count "5..2" ends before it starts`,
			`x.yaml:22:29: expected a count like 3, 2.., ..5 or 1..3 for count, got ".."`,
			`x.yaml:23:29: expected a count like 3, 2.., ..5 or 1..3 for count, got "lots"`,
			`x.yaml:24:22: after does not apply to never (use at for a window)`,
			`x.yaml:25:6: an all group needs at least two items (one item is a plain event item)`,
			`x.yaml:26:31: an all group holds event items; never does not belong in it (put it beside the group)`,
			`x.yaml:27:47: count does not apply to an all group or its members (a count looks at the whole run)`,
			`x.yaml:27:59: unknown key "from" of an all group; attributes belong on its members`,
			`x.yaml:28:12: after 3s is later than within 1s: no event can meet both`,
			`x.yaml:29:22: an expectation has one of event, never, all and delay; this one has event and never`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("x.yaml", []byte(typoWorld+tt.items))
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, e := range f.Expect {
					got = append(got, e.String())
				}
				want := []string{"call.released cause=18", "ras.rrq keepalive=true lost=false seq=2",
					"pbx.push_disconnected pbx=munich push=Push retry_in=2s reason=dns",
					"device.ringing device=alice-iphone number= name= ui=false", "call.forwarded to=+49301 reason=cfu",
					"ras.rrj reason=securityDenial", "push.rejected from=push to=munich serial=1001", "ras.registration_expired alias=alice"}
				eq(t, "canonical items", got, want)
				return
			}
			if got := problemLines(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestGroupItemsInheritLimits(t *testing.T) {
	f, err := Parse("x.yaml", []byte(typoWorld+`  - all:
      - {event: ras.rrq, from: alice-iphone}
      - {event: ras.rcf, within: 9s}
    within: 5s
    after: 1s
    at: 0s..60s
`))
	if err != nil {
		t.Fatal(err)
	}
	g := f.Expect[0]
	if g.Kind != ExpectAll || len(g.Members) != 2 {
		t.Fatalf("group %+v", g)
	}
	a, b := g.Members[0], g.Members[1]
	eq(t, "inherited within", a.Within, 5e9)
	eq(t, "own within", b.Within, 9e9)
	eq(t, "inherited after", b.After, 1e9)
	eq(t, "inherited at", *b.At, Window{From: 0, To: 60e9})
	eq(t, "member string", a.String(), "ras.rrq from=alice-iphone at 0s..1m0s after 1s within 5s (all at 18:5)")
	eq(t, "group string", g.String(), "all(2): ras.rrq from=alice-iphone at 0s..1m0s after 1s within 5s; ras.rcf at 0s..1m0s after 1s within 9s")
}
