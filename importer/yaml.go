package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The scenario an import writes, in the public format (docs/scenario-format.md):
// only the keys it sets, each with the comments that say where its value
// comes from. It is written by hand rather than marshalled so that every
// value can carry its reason.

type scenarioOut struct {
	name, summary string
	header        []string
	duration      time.Duration
	pbxs          []*pbxOut
	network       networkOut
	devices       []*deviceOut
	calls         []callOut
	actions       []actionOut
	expect        string // the drafted expect list, YAML
}

type pbxOut struct {
	name, systemName    string
	registrationTimeout time.Duration
	nameLookup          time.Duration
	noAnswerTimeout     time.Duration
	push                bool
	users               []*userOut
	notes               []string
}

type userOut struct {
	// count > 1: a population of users, name and number patterns.
	count        int
	name, number string
	password     string // a placeholder: the capture never holds one
	push         bool
	presence     string
	forks        []string
	cfu, cfb     string
	cfnr         *forward
	notes        []string
}

type forward struct {
	to    string
	after time.Duration
}

type deviceOut struct {
	// count > 0: a population of devices, the group group; name, user
	// patterns.
	count                     int
	group                     string
	wakes                     []time.Duration // each member's, when they differ
	name, user, kind, os, app string
	transport                 string
	wake, wakeExact           time.Duration
	ttl                       time.Duration
	password                  *string
	gatekeeperID              string
	clockSkew                 time.Duration
	h235                      string
	h245                      string // "" (tunnel, the default) or separate
	answer                    string // never | after | busy | declined
	answerAfter               time.Duration
	notificationsDenied       bool
	notes                     []string
}

type networkOut struct {
	latency, jitter time.Duration
	links           []linkOut
	notes           []string
}

type linkOut struct {
	device  string
	latency time.Duration
	loss    float64
	note    string
}

type callOut struct {
	// count > 0: a population of calls spread from at to until, from a
	// group (GROUP[*]) or one device, to a pattern.
	count       int
	until       time.Duration
	at          time.Duration
	from, to    string
	hangupAfter time.Duration
	// hangupAfterSetup: the caller gave up before an answer, this long
	// after its Setup went out.
	hangupAfterSetup time.Duration
	note             string
}

type actionOut struct {
	// count > 0: a population of actions spread from at to until, device
	// naming a group (GROUP[*]).
	count            int
	until            time.Duration
	at               time.Duration
	device, user     string
	app              string
	defaultSoftphone *bool
	presence         string
	loss             *float64
	pushService      *bool // available
	connection       string
	restart          string // a PBX that restarts, off the network for down
	down             time.Duration
	note             string
}

// q quotes a scalar as a YAML double-quoted string (Go's escapes are all
// YAML escapes), so that digits stay text and odd characters survive.
func q(s string) string { return strconv.Quote(s) }

// dur renders a duration the way the format reads it, to the microsecond
// (a capture's clock is no finer in practice).
func dur(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	return d.Round(time.Microsecond).String()
}

type yamlWriter struct{ b strings.Builder }

func (w *yamlWriter) line(indent int, format string, args ...any) {
	w.b.WriteString(strings.Repeat("  ", indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

func (w *yamlWriter) comments(indent int, notes []string) {
	for _, n := range notes {
		for _, l := range strings.Split(n, "\n") {
			w.line(indent, "# %s", l)
		}
	}
}

// yaml renders the scenario.
func (s *scenarioOut) yaml() []byte {
	var w yamlWriter
	w.comments(0, s.header)
	w.line(0, "name: %s", q(s.name))
	w.line(0, "summary: %s", q(s.summary))
	w.line(0, "duration: %s", dur(s.duration))
	if len(s.pbxs) == 1 {
		w.line(0, "pbx:")
		s.pbxs[0].write(&w, 1, false)
	} else {
		w.line(0, "pbxs:")
		for _, p := range s.pbxs {
			p.write(&w, 1, true)
		}
	}
	w.line(0, "network:")
	w.comments(1, s.network.notes)
	w.line(1, "latency: %s", dur(s.network.latency))
	if s.network.jitter > 0 {
		w.line(1, "jitter: %s", dur(s.network.jitter))
	}
	if len(s.network.links) > 0 {
		w.line(1, "links:")
		for _, l := range s.network.links {
			if l.note != "" {
				w.comments(2, []string{l.note})
			}
			loss := ""
			if l.loss > 0 {
				loss = ", loss: " + strconv.FormatFloat(l.loss, 'g', -1, 64)
			}
			w.line(2, "- {device: %s, latency: %s%s}", q(l.device), dur(l.latency), loss)
		}
	}
	w.line(0, "devices:")
	for _, d := range s.devices {
		d.write(&w)
	}
	if len(s.calls) > 0 {
		w.line(0, "calls:")
		for _, c := range s.calls {
			if c.note != "" {
				w.comments(1, []string{c.note})
			}
			hang := ""
			if c.hangupAfter > 0 {
				hang = ", hangup_after: " + dur(c.hangupAfter)
			}
			if c.hangupAfterSetup > 0 {
				hang = ", hangup_after_setup: " + dur(c.hangupAfterSetup)
			}
			if c.count > 0 {
				w.line(1, "- population: {count: %d, from: %s, to: %s, at: %s%s}", c.count, q(c.from), q(c.to), window(c.at, c.until), hang)
				continue
			}
			w.line(1, "- {at: %s, from: %s, to: %s%s}", dur(c.at), q(c.from), q(c.to), hang)
		}
	}
	if len(s.actions) > 0 {
		w.line(0, "actions:")
		for _, a := range s.actions {
			a.write(&w)
		}
	}
	w.b.WriteString(s.expect)
	return []byte(w.b.String())
}

func (p *pbxOut) write(w *yamlWriter, indent int, listed bool) {
	first := func(format string, args ...any) {
		if listed {
			w.line(indent, "- "+format, args...)
			indent++
			listed = false
			return
		}
		w.line(indent, format, args...)
	}
	if listed {
		w.comments(indent, p.notes)
	} else {
		w.comments(indent, p.notes)
	}
	first("name: %s", q(p.name))
	if p.systemName != "" {
		w.line(indent, "system_name: %s", q(p.systemName))
	}
	if p.registrationTimeout > 0 {
		w.line(indent, "registration_timeout: %s", dur(p.registrationTimeout))
	}
	if p.nameLookup > 0 {
		w.line(indent, "name_lookup: %s", dur(p.nameLookup))
	}
	if p.noAnswerTimeout > 0 {
		w.line(indent, "no_answer_timeout: %s", dur(p.noAnswerTimeout))
	}
	if p.push {
		w.line(indent, "push: {name: Push}")
	}
	if len(p.users) == 0 {
		return
	}
	w.line(indent, "users:")
	for _, u := range p.users {
		w.comments(indent+1, u.notes)
		in := indent + 2
		if u.count > 0 {
			w.line(indent+1, "- population:")
			in = indent + 3
			w.line(in, "count: %d", u.count)
			w.line(in, "name: %s", q(u.name))
		} else {
			w.line(indent+1, "- name: %s", q(u.name))
		}
		if u.number != "" {
			w.line(in, "number: %s", q(u.number))
		}
		if u.password != "" {
			w.line(in, "password: %s  # PLACEHOLDER: the capture carries no password, only hashes made with it", q(u.password))
		}
		if u.push {
			w.line(in, "push: Push")
		}
		if u.presence != "" {
			w.line(in, "presence: %s", u.presence)
		}
		if len(u.forks) > 0 {
			var fs []string
			for _, f := range u.forks {
				fs = append(fs, q(f))
			}
			w.line(in, "forks: [%s]", strings.Join(fs, ", "))
		}
		if u.cfu != "" {
			w.line(in, "cfu: {to: %s}", q(u.cfu))
		}
		if u.cfb != "" {
			w.line(in, "cfb: {to: %s}", q(u.cfb))
		}
		if u.cfnr != nil {
			w.line(in, "cfnr: {to: %s, after: %s}", q(u.cfnr.to), dur(u.cfnr.after))
		}
	}
}

func (d *deviceOut) write(w *yamlWriter) {
	w.comments(1, d.notes)
	k := 2
	if d.count > 0 {
		k = 3
		w.line(1, "- population:")
		w.line(k, "count: %d", d.count)
		w.line(k, "group: %s", d.group)
		w.line(k, "name: %s", q(d.name))
	} else {
		w.line(1, "- name: %s", q(d.name))
	}
	w.line(k, "user: %s", q(d.user))
	w.line(k, "kind: %s", d.kind)
	if d.transport != "" {
		w.line(k, "transport: %s", d.transport)
	}
	if d.os != "" {
		w.line(k, "os: %s", d.os)
		w.line(k, "app: %s", d.app)
		if d.wakes != nil {
			// Ten a line: a file's lines are short.
			w.line(k, "# wake: each member's, in order")
			var ws []string
			for i, x := range d.wakes {
				ws = append(ws, dur(x))
				if len(ws) < 10 && i+1 < len(d.wakes) {
					continue
				}
				switch sep := strings.Join(ws, ", "); {
				case i < 10 && i+1 == len(d.wakes):
					w.line(k, "wake: [%s]", sep)
				case i < 10:
					w.line(k, "wake: [%s,", sep)
				case i+1 == len(d.wakes):
					w.line(k+1, "%s]", sep)
				default:
					w.line(k+1, "%s,", sep)
				}
				ws = ws[:0]
			}
		} else {
			w.line(k, "wake: %s", dur(d.wake))
		}
		// The capture shows every unregistration it has (as closing
		// actions): the app's OS suspends it at no other time.
		w.line(k, "suspend_after: never")
	}
	if d.ttl > 0 {
		w.line(k, "ttl: %s", dur(d.ttl))
	}
	if d.password != nil {
		if *d.password == "" {
			w.line(k, `password: ""  # the capture shows it sending no H.235 token`)
		} else {
			w.line(k, "password: %s  # PLACEHOLDER: not the user's (the gatekeeper refused its tokens); the capture holds no password", q(*d.password))
		}
	}
	if d.gatekeeperID != "" {
		w.line(k, "gatekeeper_id: %s", q(d.gatekeeperID))
	}
	if d.clockSkew > 0 {
		w.line(k, "clock_skew: %s", dur(d.clockSkew))
	}
	if d.h245 != "" {
		w.line(k, "h245: %s", d.h245)
	}
	if d.h235 != "" {
		w.line(k, "h235: %s", d.h235)
	}
	switch d.answer {
	case "after":
		w.line(k, "answer: {after: %s}", dur(d.answerAfter))
	case "busy", "declined":
		w.line(k, "answer: {reject: %s}", d.answer)
	}
	if d.notificationsDenied {
		w.line(k, "ios: {notifications: denied}")
	}
}

func (a *actionOut) write(w *yamlWriter) {
	if a.note != "" {
		w.comments(1, []string{a.note})
	}
	var parts []string
	switch {
	case a.restart != "":
		parts = append(parts, "restart: "+q(a.restart))
		if a.down > 0 {
			parts = append(parts, "down: "+dur(a.down))
		}
	case a.pushService != nil:
		parts = append(parts, fmt.Sprintf("push_service: {available: %t}", *a.pushService))
	case a.loss != nil:
		parts = append(parts, fmt.Sprintf("network: {device: %s, loss: %s}", q(a.device), strconv.FormatFloat(*a.loss, 'g', -1, 64)))
	case a.user != "":
		parts = append(parts, "user: "+q(a.user), "presence: "+a.presence)
	default:
		parts = append(parts, "device: "+q(a.device))
		if a.app != "" {
			parts = append(parts, "app: "+a.app)
		}
		if a.defaultSoftphone != nil {
			parts = append(parts, "default_softphone: "+strconv.FormatBool(*a.defaultSoftphone))
		}
		if a.connection != "" {
			parts = append(parts, "connection: "+a.connection)
		}
	}
	if a.count > 0 {
		w.line(1, "- population: {count: %d, %s, at: %s}", a.count, strings.Join(parts, ", "), window(a.at, a.until))
		return
	}
	w.line(1, "- {at: %s, %s}", dur(a.at), strings.Join(parts, ", "))
}

// window writes a population's times: a window FROM..TO its members are
// spread evenly over, or one time when they all share it.
func window(from, to time.Duration) string {
	if to <= from {
		return dur(from)
	}
	return dur(from) + ".." + dur(to)
}
