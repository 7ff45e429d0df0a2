package scenario

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// CatalogueRows are the behaviour IDs `covers` may cite: the rows of the
// behaviour catalogue (docs/behaviours.md, where each row says how it is
// implemented and which scenarios prove it). Extend this list, and that
// page, when the catalogue gains a row.
var CatalogueRows = []string{
	"B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08",
	"B10", "B11", "B12", "B13", "B14", "B15", "B16", "B17",
	"B20", "B21", "B22", "B23", "B24", "B25", "B26", "B27", "B28", "B29",
	"B30", "B31", "B32",
}

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
			l.errorf(p, "unknown behaviour %q in covers%s; the catalogue has B01-B08, B10-B17, B20-B29, B30-B32", id, hint)
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

var callKeys = []string{"at", "from", "to", "hangup_after", "hangup_at", "hangup_after_setup"}

func (l *loader) call(n ast.Node, runLength time.Duration, reg *registry) (Call, bool) {
	m, ok := l.readMapping(n, "a call", callKeys)
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
	fa, hasAt := m.get("hangup_at")
	fs, hasSetup := m.get("hangup_after_setup")
	switch {
	case hasAt && hasSetup:
		l.errorf(fs.pos, "a call takes hangup_at or hangup_after_setup, not both (hangup_after, after the connect, may go with either)")
	case hasAt:
		if v, ok := l.duration(fa); ok {
			switch {
			case v <= c.At:
				l.errorf(l.valuePos(fa, fa.value), "hangup_at %s is not after the call's at %s", v, c.At)
			case v > runLength:
				l.errorf(l.valuePos(fa, fa.value), "hangup_at %s is after the end of the run (duration %s)", v, runLength)
			default:
				c.HangupAt = v
			}
		}
	case hasSetup:
		if v, ok := l.duration(fs); ok {
			if v == 0 {
				l.errorf(l.valuePos(fs, fs.value), "hangup_after_setup must be positive")
			}
			c.HangupAfterSetup = v
		}
	}
	return c, true
}

var (
	actionKeys = []string{"at", "device", "app", "logout", "default_softphone", "websocket_session", "vendor_port", "connection",
		"user", "presence", "notify", "pbx", "push", "push_service", "network", "restart", "down"}
	deviceChangeKeys = []string{"app", "logout", "default_softphone", "websocket_session", "vendor_port", "connection"}
)

// action reads one timed change. An action changes one thing: a device, a
// user, a PBX's Push object, the push service or the network.
func (l *loader) action(n ast.Node, runLength time.Duration, pbxs []PBX, reg *registry) (Action, bool) {
	m, ok := l.readMapping(n, "an action", actionKeys)
	if !ok || !l.require(m, "at") {
		return Action{}, false
	}
	a := Action{Pos: m.pos}
	a.At, _ = l.at(m, runLength)
	var targets []string
	for _, t := range []string{"device", "user", "pbx", "push_service", "network", "restart"} {
		if m.has(t) || t == "pbx" && m.has("push") && !m.has("pbx") {
			targets = append(targets, t)
		}
	}
	if len(targets) != 1 {
		if len(targets) == 0 {
			l.errorf(m.pos, "an action needs one of device, user, pbx (with push), push_service, network or restart")
		} else {
			for i, t := range targets {
				if t == "pbx" && !m.has("pbx") {
					targets[i] = "push" // the key the file wrote
				}
			}
			f, _ := m.get(targets[1])
			l.errorf(f.pos, "an action changes one thing; split %s and %s into two actions", targets[0], targets[1])
		}
		return a, false
	}
	// Keys that belong to another target than the one named.
	owner := map[string]string{"app": "device", "logout": "device", "default_softphone": "device",
		"websocket_session": "device", "vendor_port": "device", "connection": "device",
		"presence": "user", "notify": "user", "push": "pbx", "down": "restart"}
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
		if f, ok := m.get("vendor_port"); ok {
			if v, ok := l.enum(f, "open", "blocked"); ok {
				open := v == "open"
				a.VendorPort = &open
			}
		}
		if f, ok := m.get("connection"); ok {
			if v, ok := l.enum(f, connectionWords...); ok {
				a.Connection = Connection(v)
			}
		}
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
	case "pbx":
		a.PBX, a.Push = l.pushAction(m, pbxs, reg)
	case "push_service":
		f, _ := m.get("push_service")
		if sm, ok := l.readMapping(f.value, "push_service", []string{"available", "latency", "registration"}); ok {
			if len(sm.fields) == 0 {
				l.errorf(f.pos, "the action changes nothing on the push service; give available, latency or registration")
			}
			a.PushService = &PushServiceChange{Available: l.optBoolPtr(sm, "available"), Latency: l.optDurationPtr(sm, "latency")}
			if rf, ok := sm.get("registration"); ok {
				a.PushService.Registration = l.registration(rf)
			}
		}
	case "restart":
		f, _ := m.get("restart")
		if v, ok := l.name(f); ok {
			a.Restart = v
			reg.refer("pbx", v, l.valuePos(f, f.value))
		}
		l.optDuration(m, "down", &a.Down)
	case "network":
		f, _ := m.get("network")
		nm, ok := l.readMapping(f.value, "network", []string{"device", "between", "latency", "jitter", "loss"})
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
		if bf, ok := nm.get("between"); ok {
			if change.Device != "" {
				l.errorf(bf.pos, "a network change names a device (its link to its PBX) or between (a link of two actors), not both")
			}
			items, _ := l.readList(bf.value, "between")
			for _, it := range items {
				if v, ok := l.name(field{key: "between", pos: l.pos(it), value: it}); ok {
					change.Between = append(change.Between, v)
					reg.refer("actor", v, l.pos(it))
				}
			}
			if len(items) != 2 || len(change.Between) == 2 && change.Between[0] == change.Between[1] {
				l.errorf(bf.pos, "between names the two actors of a link, e.g. [pbx, push]")
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

// pushAction reads the PBX and the Push object change of a `push:` action;
// `pbx:` may be left out when the file has one PBX.
func (l *loader) pushAction(m *mapping, pbxs []PBX, reg *registry) (string, *PushChange) {
	name := ""
	if f, ok := m.get("pbx"); ok {
		if v, ok := l.name(f); ok {
			name = v
			reg.refer("pbx", v, l.valuePos(f, f.value))
		}
	} else if len(pbxs) == 1 {
		name = pbxs[0].Name
	} else {
		l.errorf(m.pos, "this file has %d PBXs: name the one whose Push object changes (pbx: NAME)", len(pbxs))
	}
	f, ok := m.get("push")
	if !ok {
		l.errorf(m.pos, "the action changes nothing on PBX %q; give push (the Push object's keys to set)", name)
		return name, nil
	}
	pm, ok := l.readMapping(f.value, "push", pushKeys)
	if !ok {
		return name, nil
	}
	if len(pm.fields) == 0 && name != "" {
		for i := range pbxs {
			if pbxs[i].Name == name && pbxs[i].Push != nil {
				l.errorf(f.pos, "the action changes nothing: PBX %q has a Push object already; give the keys to change", name)
			}
		}
	}
	return name, l.pushChange(pm)
}

// registration reads `registration: {system_name: TEXT, password: TEXT}`.
func (l *loader) registration(f field) *Registration {
	rm, ok := l.readMapping(f.value, "registration", []string{"system_name", "password"})
	if !ok || !l.require(rm, "system_name", "password") {
		return nil
	}
	r := &Registration{}
	sf, _ := rm.get("system_name")
	r.SystemName, _ = l.name(sf)
	pf, _ := rm.get("password")
	r.Password, _ = l.text(pf)
	return r
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
