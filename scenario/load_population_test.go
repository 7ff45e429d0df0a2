package scenario

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/timeline"
)

const popHead = `name: pop
duration: 60s
pbx:
  push: {name: Push}
  users:
    - population: {count: 100, name: "a{i}", number: "7{i:05}", push: Push, password: "pw-{i%7}"}
    - population: {count: 4, group: callers, name: "c{i}", number: "9{i}"}
devices:
  - population:
      count: 100
      group: apps
      name: "a{i}-phone"
      user: "a{i}"
      kind: myapps
      os: {ios: 60%, android: 40%}
      wake: {min: 1s, max: 3s}
  - population: {count: 4, group: desks, name: "c{i}-desk", user: "c{i}", kind: deskphone}
calls:
  - population: {count: 100, from: "desks[*]", to: "7{i:05}", at: 2s..22s}
  - population: {count: 2, from: "c{i+1}-desk", to: "9{i}", at: 30s}
`

func TestPopulationsExpand(t *testing.T) {
	f, err := Parse("pop.yaml", []byte(popHead+"expect:\n  - event: ras.rcf\n    to: apps[*]\n    count: 100\n"))
	if err != nil {
		t.Fatal(err)
	}
	users := f.PBXs[0].Users
	eq(t, "users", len(users), 104)
	eq(t, "user 7", users[7], User{Pos: users[7].Pos, Name: "a7", Number: "700007", Password: "pw-0", Push: "Push", Presence: PresenceAvailable})
	eq(t, "caller number", users[103].Number, "93")
	eq(t, "devices", len(f.Devices), 104)
	ios := 0
	for i, d := range f.Devices[:100] {
		eq(t, "name", d.Name, fmt.Sprintf("a%d-phone", i))
		eq(t, "user", d.User, fmt.Sprintf("a%d", i))
		eq(t, "password from the user", d.Password, fmt.Sprintf("pw-%d", i%7))
		eq(t, "wake", d.Wake, Wake{Min: time.Second, Max: 3 * time.Second})
		if d.OS == OSIOS {
			ios++
		}
		// Any prefix of the members has about the mix's proportions.
		if i == 9 && (ios < 5 || ios > 7) {
			t.Errorf("%d iOS devices among the first 10, want about 6", ios)
		}
	}
	eq(t, "iOS devices", ios, 60)
	eq(t, "desk kind", f.Devices[101].Kind, KindDeskphone)
	eq(t, "calls", len(f.Calls), 102)
	eq(t, "first call", f.Calls[0], Call{Pos: f.Calls[0].Pos, At: 2 * time.Second, From: "c0-desk", To: "700000"})
	eq(t, "calls cycle over the group", f.Calls[5].From, "c1-desk")
	eq(t, "last call of the window", f.Calls[99].At, 22*time.Second)
	span := float64(20 * time.Second)
	eq(t, "spread evenly", f.Calls[33].At, 2*time.Second+time.Duration(span*33/99))
	eq(t, "pattern from", f.Calls[101].From, "c2-desk")
	eq(t, "group item", f.Expect[0].In["to"].Name, "apps")
}

func TestPopulationErrors(t *testing.T) {
	base := "name: pop\npbx:\n  users:\n    - {name: u, number: \"1\"}\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"count missing, zero and too large", base + "devices:\n  - population: {name: \"d{i}\", user: u, kind: deskphone}\n" +
			"  - population: {count: 0, name: \"e{i}\", user: u, kind: deskphone}\n" +
			"  - population: {count: 9000000, name: \"f{i}\", user: u, kind: deskphone}\nexpect: []\n",
			[]string{
				`pop.yaml:6:17: missing required key "count"`,
				`pop.yaml:7:25: count must be at least 1, got 0`,
				`pop.yaml:8:25: count is too large (at most 2000000), got 9000000`,
			}},
		{"names without placeholders and bad placeholders", base + "devices:\n  - population: {count: 2, name: d, user: u, kind: deskphone}\n" +
			"  - population: {count: 2, name: \"e{j}\", user: u, kind: deskphone}\n" +
			"  - population: {count: 2, name: \"f{i:5}\", user: u, kind: deskphone}\n" +
			"  - population: {count: 2, name: \"g{i\", user: u, kind: deskphone}\nexpect: []\n",
			[]string{
				`pop.yaml:6:34: the name of a population of 2 devices needs a placeholder such as {i}`,
				`pop.yaml:7:34: name: "e{j}": placeholder {j} must start with i, the member's index (e.g. {i}, {i:05}, {i%100})`,
				`pop.yaml:8:34: name: "f{i:5}": placeholder {i:5}: the width after : is written 0N, N from 1 to 20 (e.g. {i:05})`,
				`pop.yaml:9:34: name: "g{i" has a { without its }`,
			}},
		{"mixes", base + "devices:\n  - population: {count: 2, name: \"d{i}\", user: u, kind: myapps, os: {ios: 50%, android: 40%}}\n" +
			"  - population: {count: 2, name: \"e{i}\", user: u, kind: myapps, os: {ios: 50%, andriod: 50%}}\n" +
			"  - population: {count: 2, name: \"f{i}\", user: u, kind: myapps, os: {ios: half}}\nexpect: []\n",
			[]string{
				`pop.yaml:6:69: the shares of the os mix add up to 90%, not 100%`,
				`pop.yaml:7:80: unknown key "andriod" (did you mean "android"?)`,
				`pop.yaml:8:75: a share of a mix is a percentage like 60%, got "half"`,
			}},
		{"members collide and name unknown users", base + "devices:\n  - population: {count: 3, name: \"d{i%2}\", user: u, kind: deskphone}\n" +
			"  - population: {count: 3, name: \"e{i}\", user: \"v{i}\", kind: deskphone}\nexpect: []\n",
			[]string{
				`pop.yaml:6:17: duplicate device name "d0" (first at 6:17)`,
				`pop.yaml:7:48: unknown user "v0"`,
				`pop.yaml:7:48: unknown user "v1"`,
				`pop.yaml:7:48: unknown user "v2"`,
			}},
		{"groups in calls and expectations", base + "devices:\n  - population: {count: 2, group: desks, name: \"d{i}\", user: u, kind: deskphone}\n" +
			"calls:\n  - population: {count: 2, from: \"dsks[*]\", to: \"1\", at: 1s}\n" +
			"expect:\n  - event: ras.rcf\n    to: dsks[*]\n  - event: push.request\n    user: desks[*]\n  - event: ras.rcf\n    to: desks[*]\n",
			[]string{
				`pop.yaml:8:34: from dsks[*] names no group of devices (did you mean "desks"?)`,
				`pop.yaml:11:9: to: no population has group "dsks" (did you mean "desks"?)`,
				`pop.yaml:13:11: user names a user, but group "desks" is a population of devices`,
			}},
		{"delay items", base + "devices:\n  - population: {count: 2, group: desks, name: \"d{i}\", user: u, kind: deskphone}\n" +
			"  - population: {count: 2, group: more, name: \"e{i}\", user: u, kind: deskphone}\n" +
			"expect:\n" +
			"  - delay: {from: {event: ras.rrq, from: d0}, to: {event: ras.rcf, to: \"desks[*]\"}}\n    percentile: 99\n    within: 1s\n" +
			"  - delay: {from: {event: ras.rrq, from: \"desks[*]\"}, to: {event: ras.rcf, to: \"more[*]\"}}\n    percentile: 101\n    within: 1s\n" +
			"  - delay: {from: {event: ras.rrq, from: \"desks[*]\"}, to: {event: ras.rcf, to: \"desks[*]\"}}\n    within: 1s\n    count: 2\n",
			[]string{
				`pop.yaml:9:19: the from of a delay names its population member with one attribute GROUP[*] (e.g. to: apps[*]); it has 0`,
				`pop.yaml:12:59: from and to of a delay must name the same population; from names desks, to names more`,
				`pop.yaml:13:17: percentile is a number above 0 and at most 100 (e.g. 99 or 99.9), got "101"`,
				`pop.yaml:17:5: unknown key "count" of a delay item; it has delay, percentile and within`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("pop.yaml", []byte(tt.src))
			got := problemLines(t, err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestPopulationProblemsAreBounded: a mistake repeated over a large
// population is reported a bounded number of times.
func TestPopulationProblemsAreBounded(t *testing.T) {
	src := "name: pop\npbx:\n  users: []\ndevices:\n  - population: {count: 100000, name: \"d{i}\", user: \"u{i}\", kind: deskphone}\nexpect: []\n"
	_, err := Parse("pop.yaml", []byte(src))
	got := problemLines(t, err)
	if len(got) != maxProblems+1 || !strings.Contains(got[len(got)-1], "and 99900 more problems") {
		t.Fatalf("%d problems, the last %q", len(got), got[len(got)-1])
	}
}

func TestDelayPercentiles(t *testing.T) {
	g := &Group{Name: "apps", Kind: "device", Members: []string{"a", "b", "c", "d", "e"}}
	side := func(name, key string) Expectation {
		return Expectation{Kind: ExpectEvent, Event: name, Attrs: []timeline.Attr{{Key: key, Value: "apps[*]"}}, In: map[string]*Group{key: g}}
	}
	item := func(p float64, within time.Duration) Expectation {
		return Expectation{Kind: ExpectDelay, Delay: &Delay{From: side("push.delivered", "to"), To: side("ras.rcf", "to"),
			FromKey: "to", ToKey: "to", Group: g, Percentile: p, Within: within}}
	}
	ev := func(at time.Duration, name, to string) timeline.Event {
		return timeline.Event{At: at, Name: name, Attrs: []timeline.Attr{{Key: "to", Value: to}}}
	}
	s := time.Second
	events := []timeline.Event{
		ev(0, "ras.rcf", "a"), // before its push: not counted
		ev(1*s, "push.delivered", "a"), ev(1*s, "push.delivered", "b"), ev(1*s, "push.delivered", "c"),
		ev(1*s, "push.delivered", "d"), ev(2*s, "push.delivered", "a"), // a second push: the first counts
		ev(2*s, "ras.rcf", "a"), ev(3*s, "ras.rcf", "b"), ev(4*s, "ras.rcf", "c"), ev(5*s, "ras.rcf", "a"),
		ev(6*s, "ras.rcf", "zz"), // not a member
		// d never registers; e was never pushed.
	}
	tests := []struct {
		p      float64
		within time.Duration
		ok     bool
	}{
		{50, 2 * s, true}, // delays 1s 2s 3s never: p50 = 2s
		{50, 1999 * time.Millisecond, false},
		{75, 3 * s, true},       // p75 = 3s
		{100, time.Hour, false}, // d never registered
	}
	for _, tt := range tests {
		v := Check([]Expectation{item(tt.p, tt.within)}, events)[0]
		if v.OK != tt.ok || v.Found != 4 {
			t.Errorf("p%g within %s: ok %v found %d: %s", tt.p, tt.within, v.OK, v.Found, v.Message)
		}
	}
	v := Check([]Expectation{item(50, time.Second)}, events)[0]
	want := "expected 50% of apps to have ras.rcf to=apps[*] within 1s of push.delivered to=apps[*]; over 4 members: p50 2s, p90 never, p99 never, max never; 1 never had ras.rcf; 1 of the 5 members had no push.delivered"
	if v.Message != want {
		t.Errorf("message:\n%s\nwant:\n%s", v.Message, want)
	}
	if v := Check([]Expectation{item(50, time.Second)}, events[:1])[0]; v.OK || !strings.Contains(v.Message, "no member of apps had push.delivered") {
		t.Errorf("no pushes at all: %v %s", v.OK, v.Message)
	}
}

// TestPopulationWakeList: a device population's wake may be a list, one
// duration per member in order (pbxsim import writes the wakes it measured
// that way); a list of another length is refused, pointing at it.
func TestPopulationWakeList(t *testing.T) {
	head := "name: pop\npbx:\n  push: {name: Push}\n  users:\n    - population: {count: 3, name: \"a{i}\", number: \"7{i}\", push: Push}\n"
	f, err := Parse("pop.yaml", []byte(head+"devices:\n  - population: {count: 3, name: \"a{i}-phone\", user: \"a{i}\", kind: myapps, os: ios, wake: [1s, 2.5s, 300ms]}\nexpect: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []time.Duration{time.Second, 2500 * time.Millisecond, 300 * time.Millisecond} {
		eq(t, "wake", f.Devices[i].Wake, Wake{Min: want, Max: want})
	}
	_, err = Parse("pop.yaml", []byte(head+"devices:\n  - population: {count: 3, name: \"a{i}-phone\", user: \"a{i}\", kind: myapps, os: ios, wake: [1s, 2s]}\nexpect: []\n"))
	if err == nil || !strings.Contains(err.Error(), "pop.yaml:7:") || !strings.Contains(err.Error(), "one per member: 2 for a population of 3") {
		t.Fatalf("a short list of wakes: %v", err)
	}
	_, err = Parse("pop.yaml", []byte(head+"devices:\n  - population: {count: 3, name: \"a{i}-phone\", user: \"a{i}\", kind: myapps, os: ios, wake: [1s, soon, 2s]}\nexpect: []\n"))
	if err == nil || !strings.Contains(err.Error(), `expected a duration like 250ms for wake, got "soon"`) {
		t.Fatalf("a wake that is no duration: %v", err)
	}
}
