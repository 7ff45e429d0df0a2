package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/timeline"
)

// ev is one event of a hand-built timeline: a time in milliseconds, a name
// and key=value attributes.
type ev struct {
	ms    int
	name  string
	attrs []string
}

func build(events ...ev) []timeline.Event {
	var tl timeline.Timeline
	for _, e := range events {
		var attrs []timeline.Attr
		for _, kv := range e.attrs {
			k, v, _ := strings.Cut(kv, "=")
			attrs = append(attrs, timeline.A(k, v))
		}
		tl.Add(timeline.Event{At: time.Duration(e.ms) * time.Millisecond, Name: e.name, Attrs: attrs})
	}
	return tl.Events()
}

// testWorld defines the actors the hand-built timelines name, in two
// lines (so that item positions stay where the tests expect them).
const testWorld = "pbx: {users: [{name: alice, number: \"201\"}, {name: bob, number: \"202\"}]}\ndevices: [{name: alice-iphone, user: alice, kind: myapps, os: ios}, {name: bob-desk, user: bob, kind: deskphone}, {name: phone, user: bob, kind: deskphone}]\n"

// item builds an expectation from YAML-like pieces, through the loader, so
// the tests also cover how items are read.
func items(t *testing.T, yamlItems ...string) []Expectation {
	t.Helper()
	src := "name: t\n" + testWorld + "expect:\n"
	for _, y := range yamlItems {
		src += "  - " + y + "\n"
	}
	f, err := Parse("ios-wake.yaml", []byte(src))
	if err != nil {
		t.Fatalf("items do not load: %v", err)
	}
	return f.Expect
}

// The run most cases look at: a pushed call that is answered.
var wakeRun = []ev{
	{0, "pbx.push_connected", nil},
	{2000, "q931.setup", []string{"from=bob-desk", "to=pbx"}},
	{2050, "push.request", []string{"user=alice", "device=alice-iphone", "type=call"}},
	{2010 + 1500, "ras.rrq", []string{"from=alice-iphone", "to=pbx"}},
	{2010 + 1500, "ras.rcf", []string{"from=pbx", "to=alice-iphone"}}, // same time: order kept by Seq
	{3600, "q931.setup", []string{"from=pbx", "to=alice-iphone"}},
	{3700, "q931.alerting", []string{"from=pbx", "to=bob-desk"}},
	{6700, "q931.connect", []string{"from=pbx", "to=bob-desk"}},
	{9000, "ras.rrq", []string{"from=alice-iphone", "to=pbx", "keepalive=true", "lost=true"}},
	{9500, "ras.rrq", []string{"from=alice-iphone", "to=pbx", "keepalive=true"}},
	{40000, "q931.release_complete", []string{"from=pbx", "to=bob-desk", "cause=16"}},
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		events []ev
		items  []string
		ok     []bool   // one per item
		seqs   []int    // matched event Seq per item, -1 for none
		msgs   []string // failure messages ("" for items that pass)
	}{
		{"ordered happy path", wakeRun,
			[]string{"{event: push.request, user: alice, at: 2s..2.2s}", "{event: ras.rcf, to: alice-iphone, within: 10s}",
				"{event: q931.alerting, to: bob-desk}", "{event: q931.connect}"},
			[]bool{true, true, true, true}, []int{2, 4, 6, 7}, nil},
		{"equal times keep their order", wakeRun,
			[]string{"{event: ras.rcf}", "{event: ras.rrq, from: alice-iphone}"},
			[]bool{true, true}, []int{4, 8}, nil},
		{"an event before the previous match does not count", wakeRun,
			[]string{"{event: q931.connect}", "{event: q931.alerting}"},
			[]bool{true, false}, []int{7, -1},
			[]string{"", "expected q931.alerting after 6.700s (q931.connect); nearest: 3.7s q931.alerting from=pbx to=bob-desk (before the previous match)"}},
		{"a failed item leaves the cursor in place", wakeRun,
			[]string{"{event: push.request}", "{event: push.delivered}", "{event: ras.rcf, within: 1500ms}"},
			[]bool{true, false, true}, []int{2, -1, 4},
			[]string{"", "expected push.delivered after 2.050s (push.request); no push.delivered event in the run", ""}},
		{"window ends are included", wakeRun,
			[]string{"{event: q931.alerting, at: 3.7s..3.7s}", "{event: q931.connect, at: 1s..6.7s}"},
			[]bool{true, true}, []int{6, 7}, nil},
		{"window misses", wakeRun,
			[]string{"{event: q931.alerting, at: 3.701s..4s}"},
			[]bool{false}, []int{-1},
			[]string{"expected q931.alerting at 3.701s..4s; nearest: 3.7s q931.alerting from=pbx to=bob-desk (outside the window)"}},
		{"within the first item counts from the start of the run", wakeRun,
			[]string{"{event: push.request, within: 2s}"},
			[]bool{false}, []int{-1},
			[]string{"expected push.request within 2s of the start of the run; nearest: 2.05s push.request user=alice device=alice-iphone type=call (outside the window)"}},
		{"within is measured from the previous match, end included", wakeRun,
			[]string{"{event: ras.rcf}", "{event: q931.setup, to: alice-iphone, within: 90ms}"},
			[]bool{true, true}, []int{4, 5}, nil},
		{"attributes compare as text, booleans too", wakeRun,
			[]string{"{event: ras.rrq, keepalive: true, lost: True}", "{event: q931.release_complete, cause: 16}"},
			[]bool{true, true}, []int{8, 10}, nil},
		{"attribute mismatch shows the nearest events", wakeRun,
			[]string{"{event: q931.release_complete, cause: 18}"},
			[]bool{false}, []int{-1},
			[]string{"expected q931.release_complete cause=18; nearest: 40s q931.release_complete from=pbx to=bob-desk cause=16 (cause differs)"}},
		{"nearest: at most three, fewest broken constraints first, then closest in time", wakeRun,
			[]string{"{event: q931.setup}", "{event: ras.rrq, from: alice-iphone, keepalive: false, at: 9.5s..20s}"},
			[]bool{true, false}, []int{1, -1},
			[]string{"", "expected ras.rrq from=alice-iphone keepalive=false at 9.5s..20s after 2.000s (q931.setup); nearest: " +
				"9.5s ras.rrq from=alice-iphone to=pbx keepalive=true (keepalive differs), " +
				"3.51s ras.rrq from=alice-iphone to=pbx (outside the window), " +
				"9s ras.rrq from=alice-iphone to=pbx keepalive=true lost=true (keepalive differs, outside the window)"}},
		{"never holds", wakeRun,
			[]string{"{never: q931.release_complete, cause: 18}", "{never: push.dropped}"},
			[]bool{true, true}, []int{-1, -1}, nil},
		{"never fails on the offending event and does not move the cursor", wakeRun,
			[]string{"{never: ras.rrq, keepalive: true}", "{event: push.request}"},
			[]bool{false, true}, []int{8, 2},
			[]string{"expected no ras.rrq keepalive=true anywhere in the run; found 2: 9s ras.rrq from=alice-iphone to=pbx keepalive=true lost=true, 9.5s ras.rrq from=alice-iphone to=pbx keepalive=true", ""}},
		{"never inside a window", wakeRun,
			[]string{"{never: ras.rrq, at: 4s..8s}", "{never: ras.rrq, at: 8s..9s}"},
			[]bool{true, false}, []int{-1, 8},
			[]string{"", "expected no ras.rrq at 8s..9s; found 1: 9s ras.rrq from=alice-iphone to=pbx keepalive=true lost=true"}},
		{"count exact, and it does not move the cursor", wakeRun,
			[]string{"{event: q931.connect}", "{event: ras.rrq, from: alice-iphone, count: 3}", "{event: ras.rcf}"},
			[]bool{true, true, false}, []int{7, 3, -1},
			[]string{"", "", "expected ras.rcf after 6.700s (q931.connect); nearest: 3.51s ras.rcf from=pbx to=alice-iphone (before the previous match)"}},
		{"count too many points at the first event beyond the bound", wakeRun,
			[]string{"{event: q931.setup, count: 1}"},
			[]bool{false}, []int{5},
			[]string{"expected exactly 1 q931.setup, found 2: 2s q931.setup from=bob-desk to=pbx, 3.6s q931.setup from=pbx to=alice-iphone"}},
		{"count too few shows near misses", wakeRun,
			[]string{"{event: ras.rrq, lost: true, count: 2}", "{event: app.started, count: 0}"},
			[]bool{false, true}, []int{8, -1},
			[]string{"expected exactly 2 ras.rrq lost=true, found 1; nearest: 3.51s ras.rrq from=alice-iphone to=pbx (no lost), 9.5s ras.rrq from=alice-iphone to=pbx keepalive=true (no lost)", ""}},
		{"after: no earlier than, from the previous match", wakeRun,
			[]string{"{event: push.request}", "{event: ras.rrq, after: 2s}"},
			[]bool{true, true}, []int{2, 8}, nil},
		{"after and within: both ends included", wakeRun,
			[]string{"{event: push.request}", "{event: ras.rrq, after: 6950ms, within: 7s}"},
			[]bool{true, true}, []int{2, 8}, nil},
		{"after and within miss", wakeRun,
			[]string{"{event: push.request}", "{event: ras.rrq, after: 8s, within: 9s}"},
			[]bool{true, false}, []int{2, -1},
			[]string{"", "expected ras.rrq between 8s and 9s after 2.050s (push.request); nearest: " +
				"9.5s ras.rrq from=alice-iphone to=pbx keepalive=true (outside the window), " +
				"9s ras.rrq from=alice-iphone to=pbx keepalive=true lost=true (outside the window), " +
				"3.51s ras.rrq from=alice-iphone to=pbx (outside the window)"}},
		{"after alone says no earlier than", wakeRun,
			[]string{"{event: q931.alerting, after: 4s}"},
			[]bool{false}, []int{-1},
			[]string{"expected q931.alerting no earlier than 4s after the start of the run; nearest: 3.7s q931.alerting from=pbx to=bob-desk (outside the window)"}},
		{"all: any order, then the cursor is at the group's last event", wakeRun,
			[]string{"{event: q931.setup, from: bob-desk}", "{all: [{event: q931.alerting}, {event: push.request}]}", "{event: q931.setup}"},
			[]bool{true, true, true, false}, []int{1, 6, 2, -1},
			[]string{"", "", "", "expected q931.setup after 3.700s (q931.alerting); nearest: 3.6s q931.setup from=pbx to=alice-iphone (before the previous match), 2s q931.setup from=bob-desk to=pbx (before the previous match)"}},
		{"all: members take distinct events, reassigned when needed", wakeRun,
			[]string{"{all: [{event: ras.rrq}, {event: ras.rrq, keepalive: false}]}", "{event: ras.rrq}"},
			[]bool{true, true, true}, []int{8, 3, 9}, nil},
		{"all: a member with no event of its own fails", wakeRun,
			[]string{"{all: [{event: ras.rcf}, {event: ras.rcf}]}"},
			[]bool{true, false}, []int{4, -1},
			[]string{"", "expected ras.rcf (in the all group at 5:5); nearest: 3.51s ras.rcf from=pbx to=alice-iphone (matched by another member of the group)"}},
		{"all: a failed group leaves the cursor in place", wakeRun,
			[]string{"{all: [{event: push.request}, {event: push.dropped}]}", "{event: q931.setup}"},
			[]bool{true, false, true}, []int{2, -1, 1},
			[]string{"", "expected push.dropped (in the all group at 5:5); no push.dropped event in the run", ""}},
		{"all: the group's within applies to its members, from the match before it", wakeRun,
			[]string{"{event: q931.setup}", "{all: [{event: push.request}, {event: q931.alerting}], within: 1s}"},
			[]bool{true, true, false}, []int{1, 2, -1},
			[]string{"", "", "expected q931.alerting within 1s of 2.000s (q931.setup) (in the all group at 6:5); nearest: 3.7s q931.alerting from=pbx to=bob-desk (outside the window)"}},
		{"count ranges", wakeRun,
			[]string{"{event: ras.rrq, count: 2..}", "{event: ras.rrq, count: 1..3}", "{event: ras.rrq, count: ..3}", "{event: app.started, count: ..0}"},
			[]bool{true, true, true, true}, []int{3, 3, 3, -1}, nil},
		{"count above the range points at the first event beyond it", wakeRun,
			[]string{"{event: ras.rrq, count: ..2}"},
			[]bool{false}, []int{9},
			[]string{"expected at most 2 ras.rrq, found 3: 3.51s ras.rrq from=alice-iphone to=pbx, 9s ras.rrq from=alice-iphone to=pbx keepalive=true lost=true, 9.5s ras.rrq from=alice-iphone to=pbx keepalive=true"}},
		{"count below the range", wakeRun,
			[]string{"{event: ras.rrq, count: 4..5}", "{event: ras.rrq, keepalive: true, count: 3..}"},
			[]bool{false, false}, []int{3, 8},
			[]string{"expected between 4 and 5 ras.rrq, found 3", "expected at least 3 ras.rrq keepalive=true, found 2; nearest: 3.51s ras.rrq from=alice-iphone to=pbx (no keepalive)"}},
		{"an absent boolean attribute is false", wakeRun,
			[]string{"{event: ras.rrq, keepalive: false}", "{event: ras.rrq, lost: false, count: 2}", "{never: ras.rrq, lost: false, keepalive: true}"},
			[]bool{true, true, false}, []int{3, 3, 9},
			[]string{"", "", "expected no ras.rrq lost=false keepalive=true anywhere in the run; found 1: 9.5s ras.rrq from=alice-iphone to=pbx keepalive=true"}},
		{"empty run", nil,
			[]string{"{event: push.request}", "{never: push.request}", "{event: push.request, count: 0}"},
			[]bool{false, true, true}, []int{-1, -1, -1},
			[]string{"expected push.request; no push.request event in the run", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verdicts := Check(items(t, tt.items...), build(tt.events...))
			if len(verdicts) != len(tt.ok) {
				t.Fatalf("got %d verdicts, want %d", len(verdicts), len(tt.ok))
			}
			for i, v := range verdicts {
				if v.OK != tt.ok[i] {
					t.Errorf("verdict %d (%s): ok = %v, want %v; message: %s", i, v.Item, v.OK, tt.ok[i], v.Message)
				}
				seq := -1
				if v.Event != nil {
					seq = v.Event.Seq
				}
				if seq != tt.seqs[i] {
					t.Errorf("verdict %d (%s): event Seq %d, want %d", i, v.Item, seq, tt.seqs[i])
				}
				if !v.OK && (tt.msgs == nil || v.Message != tt.msgs[i]) {
					want := ""
					if tt.msgs != nil {
						want = tt.msgs[i]
					}
					t.Errorf("verdict %d (%s):\n got message %q\nwant message %q", i, v.Item, v.Message, want)
				}
				if len(v.Nearest) > maxNearest {
					t.Errorf("item %d: %d near misses, want at most %d", i, len(v.Nearest), maxNearest)
				}
			}
		})
	}
}

// TestVerdictString checks the full rendering of a failed verdict, with the
// item's position in the file.
func TestVerdictString(t *testing.T) {
	src := "name: ios-wake\n" + testWorld + "expect:\n" + strings.Repeat("\n", 25) +
		"  - event: ras.rcf\n  - event: q931.alerting\n    to: bob-desk\n    within: 10s\n"
	f, err := Parse("ios-wake.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	events := build(
		ev{2010, "ras.rcf", []string{"to=alice-iphone"}},
		ev{14200, "q931.alerting", []string{"to=bob-desk"}},
	)
	verdicts := Check(f.Expect, events)
	failed := Failed(verdicts)
	if len(failed) != 1 {
		t.Fatalf("got %d failed verdicts, want 1: %v", len(failed), verdicts)
	}
	want := "ios-wake.yaml:31:5: expected q931.alerting to=bob-desk within 10s of 2.010s (ras.rcf); " +
		"nearest: 14.2s q931.alerting to=bob-desk (outside the window)"
	if got := failed[0].String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if verdicts[0].Message != "matched     2.010s  ras.rcf  to=alice-iphone" {
		t.Errorf("success message %q", verdicts[0].Message)
	}
}

func TestExpectationString(t *testing.T) {
	got := []string{}
	for _, e := range items(t, "{event: q931.alerting, to: bob-desk, within: 10s}", "{never: push.request, user: alice, at: 1s..2s}",
		"{event: call.forwarded, count: 1, at: 0s..5s}") {
		got = append(got, e.String())
	}
	want := []string{"q931.alerting to=bob-desk within 10s", "never push.request user=alice at 1s..2s",
		"call.forwarded at 0s..5s count=1"}
	eq(t, "strings", got, want)
}

func BenchmarkCheck(b *testing.B) {
	// A long run (10 000 events) and a typical list of items.
	var events []ev
	for i := range 10000 {
		events = append(events, ev{i * 10, "ras.rrq", []string{"from=phone", "to=pbx", "keepalive=true"}})
	}
	events = append(events, ev{200000, "q931.alerting", []string{"to=bob-desk"}})
	tl := build(events...)
	src := "name: t\n" + testWorld + "expect:\n  - {event: ras.rrq}\n  - {event: q931.alerting, to: bob-desk}\n" +
		"  - {never: ras.rrj}\n  - {event: ras.rrq, count: 10000}\n  - {event: q931.connect}\n"
	f, err := Parse("bench.yaml", []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Check(f.Expect, tl)
	}
}
