package scenario

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/callwake/callwake/timeline"
)

// CatalogueRows are the behaviour IDs `covers` may cite: the rows of the
// behaviour catalogue (BEHAVIOURS.md in the shared documents). Extend this
// list when the catalogue gains a row.
var CatalogueRows = []string{
	"B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08",
	"B10", "B11", "B12", "B13", "B14", "B15", "B16", "B17",
	"B20", "B21", "B22", "B23", "B24", "B25", "B26", "B27", "B28",
	"B30", "B31", "B32",
}

// rasMessages are the RAS message names of H.225.0 (ras.NAME events).
var rasMessages = []string{
	"grq", "gcf", "grj", "rrq", "rcf", "rrj", "urq", "ucf", "urj", "arq", "acf", "arj",
	"brq", "bcf", "brj", "drq", "dcf", "drj", "lrq", "lcf", "lrj", "irq", "irr", "iack", "inak",
	"nsm", "xrs", "rip", "rai", "rac", "sci", "scr",
}

// EventNames are the event names an expectation may cite: the event table of
// the scenario format, with every RAS message of H.225.0. A name not listed
// here is a load error (with a suggestion), because an expectation on a
// misspelt event could never match. Extend it when the format adds events.
var EventNames = func() []string {
	names := []string{
		"pbx.push_connected", "pbx.push_disconnected",
		"push.request", "push.rejected", "push.forwarded", "push.delivered", "push.dropped",
		"app.started",
		"q931.setup", "q931.call_proceeding", "q931.alerting", "q931.connect", "q931.facility", "q931.release_complete",
		"call.push_skipped", "call.push_timeout", "call.forwarded", "call.released",
		"device.ringing", "device.caller_updated", "device.answered",
		"app.key_received", "app.stopped", "call.push_failed", "call.not_placed", "ras.registration_expired",
	}
	for _, m := range rasMessages {
		names = append(names, "ras."+m)
	}
	slices.Sort(names)
	return names
}()

func (l *loader) covers(fd field) []string {
	items, ok := l.readList(fd.value, "covers")
	if !ok {
		return nil
	}
	covers := []string{}
	seen := map[string]bool{}
	for _, item := range items {
		f := field{key: "covers", pos: l.pos(item), value: item}
		id, ok := l.text(f)
		if !ok {
			continue
		}
		p := l.valuePos(f, item)
		switch {
		case !slices.Contains(CatalogueRows, id):
			hint := ""
			if up := strings.ToUpper(id); slices.Contains(CatalogueRows, up) {
				hint = fmt.Sprintf(" (did you mean %q?)", up)
			}
			l.errorf(p, "unknown behaviour %q in covers%s; the catalogue has B01-B08, B10-B17, B20-B28, B30-B32", id, hint)
		case seen[id]:
			l.errorf(p, "behaviour %q is listed twice in covers", id)
		default:
			seen[id] = true
			covers = append(covers, id)
		}
	}
	return covers
}

// at reads a required `at` time and checks it falls inside the run.
func (l *loader) at(m *mapping, runLength time.Duration) (time.Duration, bool) {
	f, _ := m.get("at")
	d, ok := l.duration(f)
	if ok && d > runLength {
		l.errorf(l.valuePos(f, f.value), "at %s is after the end of the run (duration %s)", d, runLength)
		return 0, false
	}
	return d, ok
}

func (l *loader) call(n ast.Node, runLength time.Duration, reg *registry) (Call, bool) {
	m, ok := l.readMapping(n, "a call", []string{"at", "from", "to", "hangup_after"})
	if !ok || !l.require(m, "at", "from", "to") {
		return Call{}, false
	}
	c := Call{Pos: m.pos}
	c.At, _ = l.at(m, runLength)
	from, _ := m.get("from")
	if v, ok := l.name(from); ok {
		c.From = v
		reg.refer("device", v, l.valuePos(from, from.value))
	}
	to, _ := m.get("to")
	c.To, _ = l.digits(to)
	l.optDuration(m, "hangup_after", &c.HangupAfter)
	return c, true
}

var (
	actionKeys       = []string{"at", "device", "app", "logout", "default_softphone", "websocket_session", "user", "presence", "notify", "push_service", "network"}
	deviceChangeKeys = []string{"app", "logout", "default_softphone", "websocket_session"}
)

// action reads one timed change. An action changes one thing: a device, a
// user, the push service or the network.
func (l *loader) action(n ast.Node, runLength time.Duration, reg *registry) (Action, bool) {
	m, ok := l.readMapping(n, "an action", actionKeys)
	if !ok || !l.require(m, "at") {
		return Action{}, false
	}
	a := Action{Pos: m.pos}
	a.At, _ = l.at(m, runLength)
	var targets []string
	for _, t := range []string{"device", "user", "push_service", "network"} {
		if m.has(t) {
			targets = append(targets, t)
		}
	}
	if len(targets) != 1 {
		if len(targets) == 0 {
			l.errorf(m.pos, "an action needs one of device, user, push_service or network")
		} else {
			f, _ := m.get(targets[1])
			l.errorf(f.pos, "an action changes one thing; split %s and %s into two actions", targets[0], targets[1])
		}
		return a, false
	}
	// Keys that belong to another target than the one named.
	owner := map[string]string{"app": "device", "logout": "device", "default_softphone": "device",
		"websocket_session": "device", "presence": "user", "notify": "user"}
	for _, f := range m.fields {
		if o, ok := owner[f.key]; ok && o != targets[0] {
			l.errorf(f.pos, "%q needs a %s in the same action", f.key, o)
		}
	}
	switch targets[0] {
	case "device":
		f, _ := m.get("device")
		if v, ok := l.name(f); ok {
			a.Device = v
			reg.refer("device", v, l.valuePos(f, f.value))
		}
		if !slices.ContainsFunc(deviceChangeKeys, m.has) {
			l.errorf(m.pos, "the action changes nothing on device %q; give one of %s", a.Device, joinWords(deviceChangeKeys))
		}
		if f, ok := m.get("app"); ok {
			if v, ok := l.enum(f, appWords...); ok {
				a.App = AppState(v)
			}
		}
		if f, ok := m.get("logout"); ok {
			if v, ok := l.boolean(f); ok && !v {
				l.errorf(l.valuePos(f, f.value), "logout: false changes nothing; write logout: true or drop the key")
			}
			a.Logout = true
		}
		a.DefaultSoftphone = l.optBoolPtr(m, "default_softphone")
		a.WebsocketSession = l.optBoolPtr(m, "websocket_session")
	case "user":
		f, _ := m.get("user")
		if v, ok := l.name(f); ok {
			a.User = v
			reg.refer("user", v, l.valuePos(f, f.value))
		}
		pf, hasPresence := m.get("presence")
		nf, hasNotify := m.get("notify")
		switch {
		case !hasPresence && !hasNotify:
			l.errorf(m.pos, "the action changes nothing on user %q; give presence or notify", a.User)
		case hasPresence && hasNotify:
			l.errorf(nf.pos, "an action changes one thing; split presence and notify into two actions")
		case hasPresence:
			if v, ok := l.enum(pf, string(PresenceAvailable), string(PresenceDND)); ok {
				a.Presence = Presence(v)
			}
		default:
			a.Notify = l.notification(nf)
		}
	case "push_service":
		f, _ := m.get("push_service")
		if sm, ok := l.readMapping(f.value, "push_service", []string{"available", "latency"}); ok {
			if len(sm.fields) == 0 {
				l.errorf(f.pos, "the action changes nothing on the push service; give available or latency")
			}
			a.PushService = &PushServiceChange{Available: l.optBoolPtr(sm, "available"), Latency: l.optDurationPtr(sm, "latency")}
		}
	case "network":
		f, _ := m.get("network")
		nm, ok := l.readMapping(f.value, "network", []string{"device", "latency", "jitter", "loss"})
		if !ok {
			break
		}
		change := &NetworkChange{Latency: l.optDurationPtr(nm, "latency"), Jitter: l.optDurationPtr(nm, "jitter")}
		if df, ok := nm.get("device"); ok {
			if v, ok := l.name(df); ok {
				change.Device = v
				reg.refer("device", v, l.valuePos(df, df.value))
			}
		}
		if lf, ok := nm.get("loss"); ok {
			if v, ok := l.probability(lf); ok {
				change.Loss = &v
			}
		}
		if !nm.has("latency") && !nm.has("jitter") && !nm.has("loss") {
			l.errorf(f.pos, "the action changes nothing on the network; give latency, jitter or loss")
		}
		a.Network = change
	}
	return a, true
}

// notification reads `notify: {title: TEXT, content: TEXT}`; title is
// required, content defaults to "".
func (l *loader) notification(f field) *Notification {
	nm, ok := l.readMapping(f.value, "notify", []string{"title", "content"})
	if !ok || !l.require(nm, "title") {
		return nil
	}
	n := &Notification{}
	tf, _ := nm.get("title")
	if v, ok := l.text(tf); ok {
		n.Title = v
	}
	if cf, ok := nm.get("content"); ok {
		if v, ok := l.text(cf); ok {
			n.Content = v
		}
	}
	return n
}

func (l *loader) optBoolPtr(m *mapping, key string) *bool {
	f, ok := m.get(key)
	if !ok {
		return nil
	}
	v, ok := l.boolean(f)
	if !ok {
		return nil
	}
	return &v
}

func (l *loader) optDurationPtr(m *mapping, key string) *time.Duration {
	f, ok := m.get(key)
	if !ok {
		return nil
	}
	v, ok := l.duration(f)
	if !ok {
		return nil
	}
	return &v
}

// expectReserved are the keys of an expectation item that are not
// attributes of the event.
var expectReserved = []string{"event", "never", "at", "within", "count"}

// expectation reads one `expect` item: `event:` or `never:`, limits, and
// any other key as an attribute that must be equal (as text).
func (l *loader) expectation(n ast.Node) (Expectation, bool) {
	m, ok := l.readMapping(n, "an expectation", nil)
	if !ok {
		return Expectation{}, false
	}
	e := Expectation{Pos: m.pos}
	ev, hasEvent := m.get("event")
	nv, hasNever := m.get("never")
	switch {
	case hasEvent && hasNever:
		l.errorf(nv.pos, "an expectation has either event or never, not both")
		return e, false
	case hasEvent:
		e.Kind = ExpectEvent
	case hasNever:
		e.Kind, ev = ExpectNever, nv
	default:
		l.errorf(m.pos, `missing required key "event" (or "never")`)
		return e, false
	}
	good := true
	if name, ok := l.name(ev); ok {
		e.Event = name
		if !slices.Contains(EventNames, name) {
			l.errorf(l.valuePos(ev, ev.value), "unknown event %q%s", name, didYouMean(name, EventNames))
			good = false
		}
	} else {
		good = false
	}
	for _, f := range m.fields {
		switch f.key {
		case "event", "never":
		case "at":
			if w, ok := l.window(f); ok {
				e.At = &w
			} else {
				good = false
			}
		case "within":
			if e.Kind == ExpectNever {
				l.errorf(f.pos, "within does not apply to never (use at for a window)")
				good = false
			} else if d, ok := l.duration(f); ok {
				e.Within, e.HasWithin = d, true
			} else {
				good = false
			}
		case "count":
			if e.Kind == ExpectNever {
				l.errorf(f.pos, "count does not apply to never (never is count: 0)")
				good = false
			} else if c, ok := l.integer(f, 0, math.MaxInt32); ok {
				e.Count, e.HasCount = int(c), true
			} else {
				good = false
			}
		default:
			if s := suggest(f.key, expectReserved); s != "" {
				l.errorf(f.pos, "unknown key %q (did you mean %q?)", f.key, s)
				good = false
				continue
			}
			n, ok := l.unwrap(f.value)
			v, isScalar := scalarText(n)
			if !ok || !isScalar {
				if ok {
					l.errorf(l.valuePos(f, n), "expected a value for attribute %s, got %s", f.key, describe(n))
				}
				good = false
				continue
			}
			e.Attrs = append(e.Attrs, timeline.Attr{Key: f.key, Value: v})
		}
	}
	if e.HasCount && e.HasWithin {
		f, _ := m.get("within")
		l.errorf(f.pos, "within does not apply to a count (count looks at the whole run; use at for a window)")
		good = false
	}
	return e, good
}
