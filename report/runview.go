package report

import (
	"time"

	"github.com/callwake/callwake/scenario"
	"github.com/callwake/callwake/timeline"
)

// RunView is what the views need to know about one run of one scenario
// file. NewRunView builds it from the scenario package's types; tests and
// other drivers may fill it directly.
type RunView struct {
	Name string // the scenario's name
	File string // the scenario file as given on the command line
	Seed int64
	// Duration is the simulated length of the run: the ladder's end.
	Duration time.Duration
	// Elapsed is the wall-clock time the run took, for JUnit's time
	// attributes; zero when unknown.
	Elapsed time.Duration
	Events  []timeline.Event
	// Verdicts are the outcomes of the file's expectations, in file order.
	Verdicts []Verdict
	// PBXs and Devices name the actors in file order; they order the
	// ladder's columns. Actors found only in events are added after them.
	PBXs    []string
	Devices []string
	// Err, when not empty, says why the run could not complete (a driver
	// error); JUnit reports it as an <error>.
	Err string
}

// Verdict is the outcome of one expectation, as the views show it.
type Verdict struct {
	// Expectation is the item as the file writes it, on one line
	// ("q931.alerting to=bob-desk within 10s").
	Expectation string
	OK          bool
	Message     string
	Position    string // FILE:LINE:COL of the item
	// At is when the expected event happened (OK), when the offending
	// event happened (a failed never, a count beyond its upper bound), or
	// when the event should have happened (otherwise): its window's start,
	// the previous match plus `within` (or `after`), or the nearest miss;
	// HasAt is false when nothing says.
	At    time.Duration
	HasAt bool
	// Actor is the column the item is about (its to, device, from or user
	// attribute, in that order of preference); "" when it names none.
	Actor string
	// Nearest are the events that came closest (on failure), or the event
	// that matched (on success).
	Nearest []timeline.Event
}

// NewRunView builds the view of a run of f with the given timeline and the
// verdicts scenario.Check gave for f.Expect.
func NewRunView(f *scenario.File, events []timeline.Event, verdicts []scenario.Verdict) RunView {
	rv := RunView{Name: f.Name, File: f.Pos.File, Seed: f.Seed, Duration: f.Duration, Events: events}
	for _, p := range f.PBXs {
		rv.PBXs = append(rv.PBXs, p.Name)
	}
	for _, d := range f.Devices {
		rv.Devices = append(rv.Devices, d.Name)
	}
	userDevice := users(f)
	for _, v := range verdicts {
		rv.Verdicts = append(rv.Verdicts, convertVerdict(v, userDevice))
	}
	return rv
}

// users maps user names to their first device, so that an item about a
// user can be drawn on that device's column.
func users(f *scenario.File) map[string]string {
	m := make(map[string]string, len(f.Devices))
	for _, d := range f.Devices {
		if _, ok := m[d.User]; !ok {
			m[d.User] = d.Name
		}
	}
	return m
}

func convertVerdict(v scenario.Verdict, userDevice map[string]string) Verdict {
	out := Verdict{
		Expectation: v.Item.String(),
		OK:          v.OK,
		Message:     v.Message,
		Position:    v.Item.Pos.String(),
	}
	for _, key := range []string{"to", "device", "from", "user"} {
		if value, ok := attrOf(v.Item.Attrs, key); ok {
			if key == "user" {
				if d, ok := userDevice[value]; ok {
					value = d
				}
			}
			out.Actor = value
			break
		}
	}
	ordered := v.Item.Kind == scenario.ExpectEvent && v.Item.Count == nil
	tooMany := v.Item.Count != nil && v.Item.Count.HasMax && v.Found > v.Item.Count.Max
	switch {
	case v.OK && v.Event != nil:
		out.At, out.HasAt = v.Event.At, true
		out.Nearest = []timeline.Event{*v.Event}
	case v.Event != nil && (v.Item.Kind == scenario.ExpectNever || tooMany):
		// The offending event: the first a never item found, the first a
		// count found beyond its upper bound, drawn on its own column.
		out.At, out.HasAt = v.Event.At, true
		if a := markActor(v.Event); a != "" {
			out.Actor = a
		}
	case v.Item.At != nil:
		out.At, out.HasAt = v.Item.At.From, true
	case ordered && v.Item.HasWithin:
		out.At, out.HasAt = v.Reference+v.Item.Within, true // where the limit ran out
	case ordered && v.Item.HasAfter:
		out.At, out.HasAt = v.Reference+v.Item.After, true // the earliest it could have come
	case len(v.Nearest) > 0:
		out.At, out.HasAt = v.Nearest[0].Event.At, true
	case ordered:
		// Nothing came close: the event was due after the previous match.
		out.At, out.HasAt = v.Reference, true
	}
	if !v.OK {
		for _, n := range v.Nearest {
			out.Nearest = append(out.Nearest, n.Event)
		}
	}
	return out
}

func attrOf(attrs []timeline.Attr, key string) (string, bool) {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// FromResult builds the view of a finished scenario.Run of f.
func FromResult(f *scenario.File, r *scenario.Result) RunView {
	rv := NewRunView(f, r.Timeline.Events(), r.Verdicts)
	rv.Seed, rv.Elapsed = r.Seed, r.Wall
	if r.Simulated > 0 {
		rv.Duration = r.Simulated
	}
	return rv
}
