package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callwake/callwake/timeline"
)

// The ladder model: what the HTML page's script draws. It is computed here,
// in Go, so that the page holds no logic beyond layout and the model can be
// tested without a browser.

// ladder is the whole diagram.
type ladder struct {
	Name     string        `json:"name"`
	File     string        `json:"file"`
	Seed     int64         `json:"seed"`
	Duration string        `json:"duration"`
	Actors   []ladderActor `json:"actors"`
	Rows     []ladderRow   `json:"rows"`
	Spans    []ladderSpan  `json:"spans"`
}

// ladderActor is one column.
type ladderActor struct {
	Name string `json:"name"`
	Role string `json:"role"` // caller, pbx, push, vendor, phone, other
}

// Row kinds: a message between two actors, an event at one actor, and an
// expectation that failed where its event should have been.
const (
	rowArrow   = "arrow"
	rowMark    = "mark"
	rowFailure = "failure"
)

// ladderRow is one line of the diagram, top to bottom in time order.
type ladderRow struct {
	Kind   string `json:"kind"`
	Seq    int    `json:"seq"` // the event's Seq; -1 for failures
	At     string `json:"at"`  // "4.020s"
	Label  string `json:"label"`
	From   int    `json:"from"` // column of the sender (arrow) or of the actor (mark, failure)
	To     int    `json:"to"`   // column of the receiver (arrow); = From otherwise
	Lost   bool   `json:"lost,omitempty"`
	Attrs  string `json:"attrs,omitempty"`
	Detail string `json:"detail"` // shown on click: decoded message, attributes, or the verdict's message
	// wire is the event's message, decoded into Detail only when the row
	// is written (WriteHTML), so that a page cut short by a budget does not
	// decode every message first.
	wire *timeline.Wire
}

// withDetail returns the row with its decoded message appended to Detail.
func (r ladderRow) withDetail() ladderRow {
	if r.wire != nil {
		r.Detail += "\n\n" + DecodeWire(r.wire)
		r.wire = nil
	}
	return r
}

// ladderSpan is a timer drawn beside a column from one row to another.
type ladderSpan struct {
	Kind    string `json:"kind"` // registration_timeout, cfnr
	Label   string `json:"label"`
	Short   string `json:"short"` // drawn beside the span; Label is its title
	At      string `json:"at"`    // when it started
	Column  int    `json:"column"`
	Lane    int    `json:"lane"` // 0 next to the column; overlapping spans move outwards
	FromRow int    `json:"fromRow"`
	ToRow   int    `json:"toRow"`
	Open    bool   `json:"open,omitempty"` // the timer had not ended when the run did
}

// Actor names of the push path, as the world driver writes them.
const (
	actorPush = "push"
	actorAPNs = "apns"
	actorFCM  = "fcm"
)

// IsMessage reports whether an event is drawn as an arrow: a ras.*, q931.*
// or push.* event naming both its sender and its receiver (from, to).
func IsMessage(e *timeline.Event) bool {
	if !strings.HasPrefix(e.Name, "ras.") && !strings.HasPrefix(e.Name, "q931.") && !strings.HasPrefix(e.Name, "push.") {
		return false
	}
	from, okFrom := e.Get("from")
	to, okTo := e.Get("to")
	return okFrom && okTo && from != "" && to != ""
}

// arrowNote is what an arrow's label adds to the message's name: its
// Q.850 cause and its reason (a reject's, a facility's, a dropped push's),
// the facts a reader of a ladder looks for first.
func arrowNote(e *timeline.Event) string {
	note := ""
	for _, key := range []string{"cause", "reason"} {
		if v, ok := e.Get(key); ok && v != "" {
			note += " " + key + "=" + v
		}
	}
	return note
}

// buildLadder lays out a run: columns, rows, timer spans.
func buildLadder(run RunView) ladder {
	l := ladder{Name: run.Name, File: run.File, Seed: run.Seed, Duration: run.Duration.String()}
	cols := columns(run)
	index := make(map[string]int, len(cols)) // lookups only
	for i, a := range cols {
		index[a.Name] = i
	}
	l.Actors = cols
	pbxColumn := 0
	for i, a := range cols {
		if a.Role == "pbx" {
			pbxColumn = i
			break
		}
	}
	columnOf := func(name string) int {
		if i, ok := index[name]; ok {
			return i
		}
		return pbxColumn
	}

	failures := failedVerdicts(run.Verdicts)
	next := 0 // next failure to place
	rowOfSeq := make(map[int]int, len(run.Events))
	addFailure := func(v Verdict) {
		col := columnOf(v.Actor)
		at := "(no time)"
		if v.HasAt {
			at = seconds(v.At)
		}
		l.Rows = append(l.Rows, ladderRow{Kind: rowFailure, Seq: -1, At: at, Label: "✗ " + v.Expectation,
			From: col, To: col, Detail: v.Position + ": " + v.Message})
	}
	for i := range run.Events {
		e := &run.Events[i]
		for next < len(failures) && failures[next].HasAt && failures[next].At < e.At {
			addFailure(failures[next])
			next++
		}
		row := ladderRow{Seq: e.Seq, At: seconds(e.At), Label: e.Name, Attrs: attrText(e.Attrs)}
		if IsMessage(e) {
			from, _ := e.Get("from")
			to, _ := e.Get("to")
			row.Kind, row.From, row.To = rowArrow, columnOf(from), columnOf(to)
			row.Label += arrowNote(e)
			lost, _ := e.Get("lost")
			row.Lost = lost == "true"
		} else {
			row.Kind = rowMark
			row.From = columnOf(markActor(e))
			row.To = row.From
		}
		row.Detail = e.Name + " at " + row.At + "\n" + row.Attrs
		row.wire = e.Wire
		rowOfSeq[e.Seq] = len(l.Rows)
		l.Rows = append(l.Rows, row)
	}
	for ; next < len(failures); next++ {
		addFailure(failures[next])
	}
	l.Spans = timerSpans(run.Events, run.PBXs, rowOfSeq, columnOf, len(l.Rows))
	assignLanes(l.Spans)
	return l
}

// failedVerdicts returns the failed verdicts in time order (those without a
// time last), keeping file order among equals.
func failedVerdicts(vs []Verdict) []Verdict {
	var failed []Verdict
	for _, v := range vs {
		if !v.OK {
			failed = append(failed, v)
		}
	}
	slices.SortStableFunc(failed, func(a, b Verdict) int {
		switch {
		case a.HasAt != b.HasAt:
			if a.HasAt {
				return -1
			}
			return 1
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	return failed
}

// markActor is the column of an event that is not a message: the device it
// is about, else its sender, else the PBX (call.*, pbx.*) or the push
// service (push.*).
func markActor(e *timeline.Event) string {
	for _, key := range []string{"device", "from"} {
		if v, ok := e.Get(key); ok && v != "" {
			return v
		}
	}
	if strings.HasPrefix(e.Name, "push.") {
		return actorPush
	}
	if v, ok := e.Get("pbx"); ok {
		return v
	}
	return ""
}

// columns orders the actors: callers (devices that send a Setup before
// receiving one), the PBXs, the push service and vendors, the other
// devices in file order, then any other name the events use.
func columns(run RunView) []ladderActor {
	seen := map[string]bool{}
	var cols []ladderActor
	add := func(name, role string) {
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		cols = append(cols, ladderActor{Name: name, Role: role})
	}
	isPBX := func(name string) bool { return slices.Contains(run.PBXs, name) }
	called := map[string]bool{}
	for i := range run.Events {
		e := &run.Events[i]
		if e.Name != "q931.setup" {
			continue
		}
		from, _ := e.Get("from")
		to, _ := e.Get("to")
		called[to] = true
		if !isPBX(from) && !called[from] && (isPBX(to) || len(run.PBXs) == 0) {
			add(from, "caller")
		}
	}
	for _, p := range run.PBXs {
		add(p, "pbx")
	}
	pushUsed := false
	for i := range run.Events {
		if strings.HasPrefix(run.Events[i].Name, "push.") || strings.HasPrefix(run.Events[i].Name, "pbx.push_") {
			pushUsed = true
			break
		}
	}
	if pushUsed {
		add(actorPush, "push")
	}
	for i := range run.Events {
		for _, key := range []string{"from", "to"} {
			if v, ok := run.Events[i].Get(key); ok && (v == actorAPNs || v == actorFCM) {
				add(v, "vendor")
			}
		}
	}
	for _, d := range run.Devices {
		add(d, "phone")
	}
	for i := range run.Events {
		e := &run.Events[i]
		if IsMessage(e) {
			from, _ := e.Get("from")
			to, _ := e.Get("to")
			add(from, "other")
			add(to, "other")
		} else {
			add(markActor(e), "other")
		}
	}
	if len(cols) == 0 {
		add("pbx", "pbx")
	}
	return cols
}

// timerSpans finds the timers the events make visible:
//
//   - the registration timeout: from each push.request to the pushed
//     device's first RRQ after it (the app registered), or to the
//     call.push_timeout of the same user, whichever comes first; drawn on
//     the requesting PBX's column, open-ended when neither happened;
//   - the CFNR timer: to each call.forwarded with reason cfnr, from the last
//     Setup the forwarding PBX received before it (the call it forwards);
//     drawn on that PBX's column.
func timerSpans(events []timeline.Event, pbxs []string, rowOfSeq map[int]int, columnOf func(string) int, rows int) []ladderSpan {
	var spans []ladderSpan
	for i := range events {
		e := &events[i]
		switch e.Name {
		case "push.request":
			pbx, _ := e.Get("from")
			device, _ := e.Get("device")
			user, _ := e.Get("user")
			span := ladderSpan{Kind: "registration_timeout", Column: columnOf(pbx), FromRow: rowOfSeq[e.Seq], ToRow: rows - 1, Open: true,
				At: seconds(e.At), Short: "wait …"}
			span.Label = "waiting for " + nonEmpty(device, user) + " to register (still waiting at the end of the run)"
			for j := i + 1; j < len(events); j++ {
				f := &events[j]
				from, _ := f.Get("from")
				u, _ := f.Get("user")
				registered := f.Name == "ras.rrq" && device != "" && from == device
				timedOut := f.Name == "call.push_timeout" && (user == "" || u == "" || u == user)
				if registered || timedOut {
					span.ToRow, span.Open = rowOfSeq[f.Seq], false
					span.Label = fmt.Sprintf("registration wait for %s: %s → %s", nonEmpty(device, user), seconds(f.At-e.At), f.Name)
					span.Short = "wait " + seconds(f.At-e.At)
					break
				}
			}
			spans = append(spans, span)
		case "call.forwarded":
			if reason, _ := e.Get("reason"); reason != "cfnr" {
				continue
			}
			for j := i - 1; j >= 0; j-- {
				f := &events[j]
				pbx, _ := f.Get("to")
				if f.Name != "q931.setup" || len(pbxs) > 0 && !slices.Contains(pbxs, pbx) {
					continue
				}
				to, _ := e.Get("to")
				spans = append(spans, ladderSpan{Kind: "cfnr", Column: columnOf(pbx), At: seconds(f.At),
					FromRow: rowOfSeq[f.Seq], ToRow: rowOfSeq[e.Seq], Short: "CFNR " + seconds(e.At-f.At),
					Label: fmt.Sprintf("CFNR: %s from the Setup to call.forwarded to %s", seconds(e.At-f.At), to)})
				break
			}
		}
	}
	return spans
}

// assignLanes gives each span the first lane of its column that no earlier
// overlapping span uses, so that overlapping timers are drawn side by side.
func assignLanes(spans []ladderSpan) {
	for i := range spans {
		used := map[int]bool{}
		for j := range i {
			o := spans[j]
			if o.Column == spans[i].Column && o.FromRow <= spans[i].ToRow && spans[i].FromRow <= o.ToRow {
				used[o.Lane] = true
			}
		}
		for used[spans[i].Lane] {
			spans[i].Lane++
		}
	}
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// seconds renders a time the way the timeline's text does: "4.020s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func attrText(attrs []timeline.Attr) string {
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		parts[i] = a.Key + "=" + a.Value
	}
	return strings.Join(parts, " ")
}
