package scenario

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/callwake/callwake/pbx"
)

var topKeys = []string{"name", "summary", "ticket", "covers", "seed", "duration", "pbx", "pbxs",
	"push_service", "network", "devices", "calls", "actions", "expect"}

// fileNameSafe is what a scenario name may hold: it becomes part of report
// and pcap file names.
var fileNameSafe = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// top reads the whole file.
func (l *loader) top(root ast.Node) *File {
	f := &File{Seed: DefaultSeed, Duration: DefaultDuration}
	m, ok := l.readMapping(root, "the scenario", topKeys)
	if !ok {
		return f
	}
	if root == nil {
		m.pos = Pos{File: l.file, Line: 1, Col: 1}
	}
	f.Pos = m.pos
	l.require(m, "name", "devices", "expect")
	if fd, ok := m.get("name"); ok {
		if v, ok := l.name(fd); ok {
			if fileNameSafe.MatchString(v) {
				f.Name, f.NamePos = v, l.valuePos(fd, fd.value)
			} else {
				l.errorf(l.valuePos(fd, fd.value), "name %q may hold only letters, digits, '.', '_' and '-' (it is used in file names)", v)
			}
		}
	}
	l.optText(m, "summary", &f.Summary)
	l.optText(m, "ticket", &f.Ticket)
	if fd, ok := m.get("covers"); ok {
		f.Covers = l.covers(fd)
	}
	if fd, ok := m.get("seed"); ok {
		if v, ok := l.integer(fd, 0, math.MaxInt64); ok {
			f.Seed = v
		}
	}
	if fd, ok := m.get("duration"); ok {
		if v, ok := l.duration(fd); ok {
			switch {
			case v == 0:
				l.errorf(l.valuePos(fd, fd.value), "duration must be positive")
			case v > MaxDuration:
				l.errorf(l.valuePos(fd, fd.value), "duration %v is longer than the longest run, %v", v, MaxDuration)
			default:
				f.Duration = v
			}
		}
	}

	reg := newRegistry()
	fp, hasOne := m.get("pbx")
	fps, hasMany := m.get("pbxs")
	switch {
	case hasOne && hasMany:
		l.errorf(fps.pos, `use either "pbx" or "pbxs", not both`)
	case hasOne:
		if p, ok := l.pbx(fp.value, 0, false, reg); ok {
			f.PBXs = append(f.PBXs, p)
		}
	case hasMany:
		items, ok := l.readList(fps.value, "pbxs")
		if ok && len(items) == 0 {
			l.errorf(fps.pos, "pbxs must list at least one PBX")
		}
		for i, item := range items {
			if p, ok := l.pbx(item, i, true, reg); ok {
				f.PBXs = append(f.PBXs, p)
			}
		}
	default:
		l.errorf(m.pos, `missing required key "pbx" (or "pbxs")`)
	}

	f.PushService = defaultPushService()
	if fd, ok := m.get("push_service"); ok {
		l.pushService(fd, &f.PushService)
	}
	f.Network = Network{Latency: DefaultNetworkLatency}
	if fd, ok := m.get("network"); ok {
		l.network(fd, &f.Network, reg)
	}
	if fd, ok := m.get("devices"); ok {
		items, _ := l.readList(fd.value, "devices")
		for _, item := range items {
			if isPopulation(item) {
				ds, _ := l.devicePopulation(item, reg)
				f.Devices = append(f.Devices, ds...)
			} else if d, ok := l.device(item, reg); ok {
				f.Devices = append(f.Devices, d)
			}
		}
	}
	if fd, ok := m.get("calls"); ok {
		items, _ := l.readList(fd.value, "calls")
		for _, item := range items {
			if isPopulation(item) {
				cs, _ := l.callPopulation(item, f.Duration, reg)
				f.Calls = append(f.Calls, cs...)
			} else if c, ok := l.call(item, f.Duration, reg); ok {
				f.Calls = append(f.Calls, c)
			}
		}
	}
	if fd, ok := m.get("actions"); ok {
		items, _ := l.readList(fd.value, "actions")
		for _, item := range items {
			if isPopulation(item) {
				as, _ := l.actionPopulation(item, f.Duration, f.PBXs, reg)
				f.Actions = append(f.Actions, as...)
			} else if a, ok := l.action(item, f.Duration, f.PBXs, reg); ok {
				f.Actions = append(f.Actions, a)
			}
		}
	}
	if fd, ok := m.get("expect"); ok {
		items, _ := l.readList(fd.value, "expect")
		for _, item := range items {
			if e, ok := l.expectation(item, reg, false); ok {
				f.Expect = append(f.Expect, e)
			}
		}
	}
	l.resolve(f, reg)
	return f
}

var pbxKeys = []string{"name", "version", "system_name", "quirks", "registration_timeout", "name_lookup", "no_answer_timeout", "push", "users"}

// pbx reads one PBX; index picks the default certificate serial.
func (l *loader) pbx(n ast.Node, index int, named bool, reg *registry) (PBX, bool) {
	m, ok := l.readMapping(n, "pbx", pbxKeys)
	if !ok {
		return PBX{}, false
	}
	p := PBX{
		Pos:                 m.pos,
		Name:                DefaultPBXName,
		Version:             pbx.DefaultVersion,
		RegistrationTimeout: DefaultRegistrationTimeout,
		NameLookup:          DefaultNameLookup,
	}
	if named {
		l.require(m, "name")
	}
	if fd, ok := m.get("name"); ok {
		if v, ok := l.name(fd); ok {
			p.Name = v
			reg.define(l, "PBX", reg.pbxs, v, l.valuePos(fd, fd.value))
		}
	} else if !named {
		reg.pbxs[p.Name] = m.pos // the default name, which expectations cite
	}
	if fd, ok := m.get("version"); ok {
		versions := make([]string, 0, 4)
		for _, v := range pbx.Versions() {
			versions = append(versions, string(v))
		}
		if v, ok := l.enum(fd, versions...); ok {
			p.Version = pbx.Version(v)
		}
	}
	l.optText(m, "system_name", &p.SystemName)
	l.optDuration(m, "registration_timeout", &p.RegistrationTimeout)
	l.optDuration(m, "name_lookup", &p.NameLookup)
	l.optDuration(m, "no_answer_timeout", &p.NoAnswerTimeout)
	p.Quirks = pbx.DefaultQuirks(p.Version)
	if fd, ok := m.get("quirks"); ok {
		names := pbx.QuirkNames()
		if qm, ok := l.readMapping(fd.value, "quirks", nil); ok {
			for _, q := range qm.fields {
				if !slices.Contains(names, q.key) {
					hint := didYouMean(q.key, names)
					if hint == "" {
						hint = "; known quirks: " + joinWords(names)
					}
					l.errorf(q.pos, "unknown quirk %q%s", q.key, hint)
					continue
				}
				if v, ok := l.boolean(q); ok {
					p.Quirks[q.key] = v
				}
			}
		}
	}
	if fd, ok := m.get("push"); ok {
		p.Push = l.push(fd, index)
	}
	numbers := map[string]Pos{}
	if fd, ok := m.get("users"); ok {
		items, _ := l.readList(fd.value, "users")
		for _, item := range items {
			var us []User
			if isPopulation(item) {
				us, _ = l.userPopulation(item, reg)
			} else if u, ok := l.user(item, reg); ok {
				us = []User{u}
			}
			for _, u := range us {
				if u.Number != "" {
					if first, dup := numbers[u.Number]; dup {
						l.errorf(u.Pos, "number %q is already used by another user of this PBX (at %d:%d)", u.Number, first.Line, first.Col)
						break // one report per population
					}
					numbers[u.Number] = u.Pos
				}
			}
			p.Users = append(p.Users, us...)
		}
	}
	return p, true
}

var pushKeys = []string{"name", "url", "certificate", "certificate_serial", "trusts_service", "dns", "http_proxy", "reachable", "password"}

func (l *loader) push(fd field, pbxIndex int) *Push {
	m, ok := l.readMapping(fd.value, "push", pushKeys)
	if !ok {
		return nil
	}
	p := DefaultPush(pbxIndex).Apply(l.pushChange(m))
	p.Pos = m.pos
	if m.pos.Line == 0 || len(m.fields) == 0 {
		p.Pos = fd.pos
	}
	return &p
}

// pushChange reads the keys of a Push object that m gives (pbx.push, or an
// action's push).
func (l *loader) pushChange(m *mapping) *PushChange {
	c := &PushChange{}
	if f, ok := m.get("name"); ok {
		if v, ok := l.name(f); ok {
			c.Name = &v
		}
	}
	c.URL = l.optTextPtr(m, "url")
	if f, ok := m.get("certificate"); ok {
		if v, ok := l.enum(f, certificateWords...); ok {
			cert := Certificate(v)
			c.Certificate = &cert
		}
	}
	if f, ok := m.get("certificate_serial"); ok {
		if v, ok := l.integer(f, 0, math.MaxInt64); ok {
			c.CertificateSerial = &v
		}
	}
	c.TrustsService = l.optBoolPtr(m, "trusts_service")
	if f, ok := m.get("dns"); ok {
		if v, ok := l.enum(f, "ok", "fail"); ok {
			fails := v == "fail"
			c.DNSFails = &fails
		}
	}
	c.HTTPProxy = l.optBoolPtr(m, "http_proxy")
	c.Reachable = l.optBoolPtr(m, "reachable")
	c.Password = l.optTextPtr(m, "password")
	return c
}

var certificateWords = []string{string(CertificateDevice), string(CertificateUnverifiedDevice), string(CertificateOwn), string(CertificateNone)}

var userKeys = []string{"name", "display", "number", "password", "push", "presence", "forks", "cfnr", "cfb", "cfu"}

func (l *loader) user(n ast.Node, reg *registry) (User, bool) {
	m, ok := l.readMapping(n, "a user", userKeys)
	if !ok {
		return User{}, false
	}
	u := User{Pos: m.pos, Presence: PresenceAvailable}
	if !l.require(m, "name") {
		return User{}, false
	}
	fd, _ := m.get("name")
	name, ok := l.name(fd)
	if !ok {
		return User{}, false
	}
	u.Name = name
	reg.define(l, "user", reg.users, name, l.valuePos(fd, fd.value))
	l.optText(m, "display", &u.Display)
	if f, ok := m.get("number"); ok {
		u.Number, _ = l.digits(f)
	}
	l.optText(m, "password", &u.Password)
	l.optText(m, "push", &u.Push)
	if f, ok := m.get("presence"); ok {
		if v, ok := l.enum(f, string(PresenceAvailable), string(PresenceDND)); ok {
			u.Presence = Presence(v)
		}
	}
	if f, ok := m.get("forks"); ok {
		items, _ := l.readList(f.value, "forks")
		for _, item := range items {
			if v, ok := l.digits(field{key: "forks", pos: l.pos(item), value: item}); ok {
				u.Forks = append(u.Forks, v)
			}
		}
	}
	u.CFNR = l.forward(m, "cfnr", true)
	u.CFB = l.forward(m, "cfb", false)
	u.CFU = l.forward(m, "cfu", false)
	return u, true
}

// forward reads a call forward; only CFNR (timed) has an `after` timer.
func (l *loader) forward(m *mapping, key string, timed bool) *Forward {
	f, ok := m.get(key)
	if !ok {
		return nil
	}
	keys := []string{"to"}
	if timed {
		keys = append(keys, "after")
	}
	fm, ok := l.readMapping(f.value, key, keys)
	if !ok {
		return nil
	}
	if len(fm.fields) == 0 {
		fm.pos = f.pos
	}
	fw := &Forward{Pos: fm.pos}
	if timed {
		fw.After = DefaultCFNRAfter
	}
	if !l.require(fm, "to") {
		return nil
	}
	to, _ := fm.get("to")
	fw.To, _ = l.digits(to)
	l.optDuration(fm, "after", &fw.After)
	return fw
}

// digits reads dialled digits (0-9, *, #, and a leading +).
func (l *loader) digits(f field) (string, bool) {
	s, ok := l.text(f)
	if !ok {
		return "", false
	}
	valid := s != ""
	for i, r := range s {
		if !(r >= '0' && r <= '9' || r == '*' || r == '#' || r == '+' && i == 0) {
			valid = false
		}
	}
	if !valid {
		l.errorf(l.valuePos(f, f.value), "expected dialled digits for %s, got %q", f.key, s)
		return "", false
	}
	return s, true
}

func defaultPushService() PushService {
	return PushService{
		Available: true,
		Latency:   DefaultServiceLatency,
		Accepts:   []Certificate{CertificateDevice, CertificateUnverifiedDevice},
		APNs:      Vendor{Available: true, Latency: DefaultAPNsLatency},
		FCM:       Vendor{Available: true, Latency: DefaultFCMLatency},
	}
}

func (l *loader) pushService(fd field, s *PushService) {
	m, ok := l.readMapping(fd.value, "push_service", []string{"available", "latency", "accepts", "apns", "fcm"})
	if !ok {
		return
	}
	s.Present, s.Pos = true, fd.pos
	l.optBool(m, "available", &s.Available)
	l.optDuration(m, "latency", &s.Latency)
	if f, ok := m.get("accepts"); ok {
		items, ok := l.readList(f.value, "accepts")
		if ok {
			s.Accepts = []Certificate{}
		}
		for _, item := range items {
			if v, ok := l.enum(field{key: "certificate", pos: l.pos(item), value: item}, certificateWords...); ok {
				s.Accepts = append(s.Accepts, Certificate(v))
			}
		}
	}
	for _, vendor := range []struct {
		key string
		dst *Vendor
	}{{"apns", &s.APNs}, {"fcm", &s.FCM}} {
		if f, ok := m.get(vendor.key); ok {
			if vm, ok := l.readMapping(f.value, vendor.key, []string{"available", "latency"}); ok {
				l.optBool(vm, "available", &vendor.dst.Available)
				l.optDuration(vm, "latency", &vendor.dst.Latency)
			}
		}
	}
}

func (l *loader) network(fd field, nw *Network, reg *registry) {
	m, ok := l.readMapping(fd.value, "network", []string{"latency", "jitter", "loss", "links"})
	if !ok {
		return
	}
	l.optDuration(m, "latency", &nw.Latency)
	l.optDuration(m, "jitter", &nw.Jitter)
	l.optProbability(m, "loss", &nw.Loss)
	f, ok := m.get("links")
	if !ok {
		return
	}
	items, _ := l.readList(f.value, "links")
	seen := map[string]Pos{}
	for _, item := range items {
		lm, ok := l.readMapping(item, "a link", []string{"device", "latency", "jitter", "loss"})
		if !ok || !l.require(lm, "device") {
			continue
		}
		link := Link{Pos: lm.pos, Latency: nw.Latency, Jitter: nw.Jitter, Loss: nw.Loss}
		df, _ := lm.get("device")
		if v, ok := l.name(df); ok {
			link.Device = v
			p := l.valuePos(df, df.value)
			reg.refer("device", v, p)
			if first, dup := seen[v]; dup {
				l.errorf(p, "device %q already has a link (at %d:%d)", v, first.Line, first.Col)
			}
			seen[v] = p
		}
		l.optDuration(lm, "latency", &link.Latency)
		l.optDuration(lm, "jitter", &link.Jitter)
		l.optProbability(lm, "loss", &link.Loss)
		nw.Links = append(nw.Links, link)
	}
}

// joinWords lists words for a message.
func joinWords(words []string) string { return strings.Join(words, ", ") }
