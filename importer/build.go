package importer

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// placeholder is the password written for a user whose endpoints sign
// with H.235: the capture holds only hashes, never the password.
func placeholder(user string) string { return "REPLACE-ME-password-of-" + user }

// build turns what the inference found into the scenario.
func (in *inference) build(name string) *scenarioOut {
	out := &scenarioOut{name: name}
	in.nameActors()
	in.restartActions()
	in.phantoms()
	for _, e := range in.w.eps {
		out.devices = append(out.devices, in.device(e))
	}
	for _, u := range in.users {
		if u.phantom != nil {
			out.devices = append(out.devices, u.phantom)
		}
	}
	in.presenceActions()
	out.network = in.network()
	for _, g := range in.w.gks {
		out.pbxs = append(out.pbxs, in.pbx(g))
	}
	for _, c := range in.calls {
		if c.dialled == "" || !validDigits(c.dialled) {
			in.notef("%s's call at %s names no number the format can dial; it is left out", c.caller.name, dur(c.at))
			continue
		}
		at := c.at
		if c.arq == nil {
			// Admission pre-granted, or not in the capture: the model's
			// device asks (ARQ, ACF) and opens the connection (a TCP
			// handshake) before its Setup, two round trips.
			at = max(0, at-4*c.caller.inf.latency)
		}
		// The model's device places a call once the RCF has reached it: a
		// capture taken on one host can show the ARQ sooner after the RCF
		// than the model's one-way latency.
		for _, sp := range c.caller.inf.spans {
			if sp.registered >= 0 && sp.registered <= c.at && c.at < sp.registered+c.caller.inf.latency+time.Millisecond {
				at = sp.registered + c.caller.inf.latency + time.Millisecond
			}
		}
		co := callOut{at: at, from: c.caller.name, to: c.dialled, hangupAfter: in.hangups[c].Round(time.Millisecond)}
		if co.hangupAfter < 0 {
			co.hangupAfter = 0
		}
		if co.hangupAfter > 0 {
			co.note = fmt.Sprintf("%s hangs up %s after the answer reached it", c.caller.name, dur(co.hangupAfter))
		}
		if d := in.gaveUp[c].Round(time.Millisecond); d > 0 {
			co.hangupAfterSetup = d
			co.note = fmt.Sprintf("%s gives up %s after its Setup, before an answer", c.caller.name, dur(d))
		}
		out.calls = append(out.calls, co)
	}
	slices.SortStableFunc(in.actions, func(a, b actionOut) int { return int(a.at - b.at) })
	out.actions = in.actions
	end := time.Duration(0)
	for _, m := range in.w.c.msgs {
		end = max(end, m.at)
	}
	for _, a := range out.actions {
		end = max(end, a.at)
	}
	// A second past the last message: the run must not outlast the
	// capture, or it would show what the capture never did.
	out.duration = (end + time.Second).Truncate(time.Second) + time.Second
	return out
}

// nameActors gives the gatekeepers and endpoints their scenario names.
func (in *inference) nameActors() {
	taken := map[string]bool{}
	unique := func(base string) string {
		n := base
		for i := 2; taken[n]; i++ {
			n = fmt.Sprintf("%s-%d", base, i)
		}
		taken[n] = true
		return n
	}
	for _, g := range in.w.gks {
		base := "pbx"
		if g.alias != "" {
			base = g.alias
		} else if len(in.w.gks) > 1 {
			base = fmt.Sprintf("pbx-%d", g.index)
		}
		g.name = unique(base)
	}
	devTaken := map[string]bool{}
	for _, e := range in.w.eps {
		evs := in.plan(e)
		e.inf.app = isApp(evs)
		base := e.deviceAlias
		if base == "" {
			if e.inf.app {
				base = e.user + "-app"
			} else {
				base = e.user + "-desk"
			}
		}
		n := base
		for i := 2; devTaken[n]; i++ {
			n = fmt.Sprintf("%s-%d", base, i)
		}
		devTaken[n] = true
		e.name = n
	}
}

// phantoms gives a user the pushed app a wait of the PBX implies when
// none of the user's endpoints in the capture accounts for it.
func (in *inference) phantoms() {
	for _, p := range in.pushes {
		if !p.waited {
			continue
		}
		handled := false
		for _, e := range p.user.eps {
			if !e.inf.app {
				continue
			}
			for _, ev := range in.plan(e) {
				if ev.at == p.at && (ev.kind == "wake" || ev.kind == "drop") {
					handled = true
				}
			}
		}
		if !handled {
			in.phantomFor(p.user)
		}
	}
}

// securePort is the call-signalling port of H.323 over TLS.
const securePort = 1300

// device writes an endpoint's device: its kind, what it asks for and
// signs with, how it answers, and for an app the actions of its life.
func (in *inference) device(e *endpoint) *deviceOut {
	d := &deviceOut{name: e.name, user: e.user, kind: "deskphone"}
	u := in.byName[e.user]
	if v := in.vendor(e); v != "" {
		d.notes = append(d.notes, v)
	}
	if e.inf.ttl > 0 {
		d.ttl = time.Duration(e.inf.ttl) * time.Second
	}
	in.security(e, u, d)
	if in.separateH245(e) {
		d.h245 = "separate"
		d.notes = append(d.notes, "its calls announce an h245Address and it tunnels no H.245: H.245 on a connection of its own")
	}
	secure := false
	for a := range e.signalling {
		secure = secure || a.Port() == securePort
	}
	switch {
	case secure:
		d.transport = "h323-tls"
		d.notes = append(d.notes, "it announces its call signalling on 1300, the port of H.323 over TLS (H.235.0): TLS (a capture's cleartext does not tell UDP from DTLS for its RAS: model choice, RAS as the transport's)")
	case e.inf.tunnel:
		d.transport = "h323-tcp"
		d.notes = append(d.notes, "its RAS travels inside its call-signalling connection (H.460.17); TLS cannot be told from TCP in a capture's cleartext (model choice: h323-tcp)")
	}
	if a := in.answers[e]; a != nil {
		d.answer, d.answerAfter = a.answer, a.answerAfter
	}
	d.notes = append(d.notes, e.inf.notes...)
	evs := in.plan(e)
	if !e.inf.app {
		d.notes = append(d.notes, "a desk phone: registered from the start, never woken by a push, never unregistered")
		return d
	}
	in.app(e, u, d, evs)
	return d
}

// vendor says what the endpoint announced of itself.
func (in *inference) vendor(e *endpoint) string {
	if in.vendors == nil {
		in.vendors = map[string]string{}
		for _, v := range in.w.c.endpoints {
			if _, seen := in.vendors[v.Address]; v.Address != "" && !seen {
				in.vendors[v.Address] = v.Vendor.String()
			}
		}
	}
	for _, a := range slices.SortedFunc(maps.Keys(e.ras), netip.AddrPort.Compare) {
		if v, ok := in.vendors[a.String()]; ok {
			return "it announces itself as " + v
		}
	}
	return ""
}

// security sets what the device's H.235 shows: signed requests give the
// user a password (a placeholder: hashes do not reveal it), a refused
// signature a different one or a clock skew, refused unsigned requests
// no password on the device.
func (in *inference) security(e *endpoint, u *userCfg, d *deviceOut) {
	refused := e.inf.rejected == "securityDenial"
	switch {
	case e.inf.signs != "":
		u.password = true
		if e.inf.signs == "md5" {
			d.h235 = "md5"
		}
		if refused {
			if e.inf.skew > maxSkew {
				d.clockSkew = e.inf.skew.Round(time.Second)
				d.notes = append(d.notes, fmt.Sprintf("its H.235 time stamps run %s ahead of the capture's clock, and the gatekeeper refused them", dur(d.clockSkew)))
			} else {
				pw := "REPLACE-ME-not-the-password-of-" + u.name
				d.password = &pw
			}
		}
	case refused:
		u.password = true
		none := ""
		d.password = &none
	}
	if e.inf.skew < -maxSkew {
		d.notes = append(d.notes, fmt.Sprintf("its H.235 time stamps run %s behind the capture's clock; the format has no clock running late", dur(-e.inf.skew)))
	}
	if e.inf.gkidAsked != "" {
		d.gatekeeperID = e.inf.gkidAsked
	}
}

// app makes the device an app and writes the actions of its life.
func (in *inference) app(e *endpoint, u *userCfg, d *deviceOut, evs []appEvent) {
	d.kind, d.app = "myapps", "background"
	// The push path is not in an H.323 capture: the default latencies are
	// assumed, and the wake is what is left of the time from the push to
	// the first RAS message. iOS unless that leaves less than nothing.
	minWake := time.Duration(-1)
	for _, ev := range evs {
		if ev.kind == "wake" && (minWake < 0 || ev.wake < minWake) {
			minWake = ev.wake
		}
	}
	d.os, d.wake = "ios", 1500*time.Millisecond
	vendor := apnsLatency
	// An H.460.17 app opens its connection (a TCP handshake) before its
	// first RAS message.
	connect := time.Duration(0)
	if e.inf.tunnel {
		connect = 2 * e.inf.latency
	}
	if minWake >= 0 && minWake < serviceLatency+apnsLatency+connect {
		d.os, vendor = "android", fcmLatency
	}
	wakeOf := func(measured time.Duration) time.Duration {
		return max(0, measured-serviceLatency-vendor-connect).Round(time.Millisecond)
	}
	var wakes []string
	for _, ev := range evs {
		if ev.kind == "wake" {
			wakes = append(wakes, dur(wakeOf(ev.wake)))
		}
	}
	first := true
	for _, ev := range evs {
		if ev.kind == "wake" {
			d.wake = wakeOf(ev.wake)
			// To the microsecond for a population's list of wakes, where
			// thousands of answers interleave (the file's own value is
			// to the millisecond, easier to read).
			d.wakeExact = max(0, ev.wake-serviceLatency-vendor-connect).Round(time.Microsecond)
			break
		}
	}
	if len(wakes) > 0 {
		note := fmt.Sprintf("an app: woken by push, its first RAS message came %s after the PBX pushed; with the push service's %s and %s's %s, that leaves a wake of %s",
			dur(evs[slices.IndexFunc(evs, func(ev appEvent) bool { return ev.kind == "wake" })].wake), dur(serviceLatency),
			map[string]string{"ios": "APNs", "android": "FCM"}[d.os], dur(vendor), dur(d.wake))
		if len(wakes) > 1 {
			note += " (all its wakes: " + strings.Join(wakes, ", ") + "; the first is kept)"
		}
		d.notes = append(d.notes, note, "model choice: the OS ("+d.os+") and the push latencies are not in an H.323 capture")
	} else {
		d.notes = append(d.notes, "an app (it registers late or unregisters; no push woke it in the capture); model choice: iOS, wake 1.5s")
	}
	for i, at := range e.inf.moves {
		// Model choice: the capture cannot tell why a registered app
		// registers again; the model's app does when it changes network
		// (B20), and mobile data and the Wi-Fi (whose vendor port the file
		// leaves open) reach its vendor alike.
		to := "mobile_data"
		if i%2 == 1 {
			to = "wifi"
		}
		in.actions = append(in.actions, actionOut{at: at, device: d.name, connection: to,
			note: fmt.Sprintf("%s registers again at %s while registered: model choice, it moves to another network", d.name, dur(at))})
	}
	softphone := true
	loggedOut := false
	waking := time.Duration(0) // a wake under way until then
	lastClose := -1
	setDefault := func(at time.Duration, v bool, why string) {
		if softphone == v {
			return
		}
		softphone = v
		val := v
		in.actions = append(in.actions, actionOut{at: max(0, at-time.Millisecond), device: d.name, defaultSoftphone: &val, note: why})
	}
	for i, ev := range evs {
		switch ev.kind {
		case "start":
			if first {
				d.app = "foreground"
				d.notes = append(d.notes, "registered from the start: an app in the foreground")
			}
		case "wake":
			setDefault(ev.at, true, d.name+" is pushed again and wakes")
			loggedOut = false
			waking = ev.at + ev.wake
		case "drop":
			if loggedOut {
				d.notes = append(d.notes, fmt.Sprintf("at %s the PBX waited for it although it was logged out; the model skips a logged-out app", dur(ev.at)))
				break
			}
			setDefault(ev.at, false, fmt.Sprintf("the PBX pushes %s at %s and it never registers: model choice, it is no longer the default softphone (the push is dropped)", d.name, dur(ev.at)))
		case "skip":
			if loggedOut {
				break
			}
			if ev.at < waking || slices.ContainsFunc(evs[i+1:], func(ev appEvent) bool { return ev.kind == "wake" || ev.kind == "drop" }) {
				// Still waking from an earlier push, or pushed again later
				// without registering in between: it is not logged out,
				// the PBX could not push at that moment.
				in.outage(ev)
				break
			}
			loggedOut = true
			switch {
			case lastClose >= 0:
				in.actions[lastClose].app = "logged_out"
				in.actions[lastClose].note = "it unregisters; the PBX later cannot push it (the call is released at once): logged out"
			case first:
				d.app = "logged_out"
				d.notes = append(d.notes, "logged out at the start: the PBX could not push it")
			default:
				in.actions = append(in.actions, actionOut{at: max(0, ev.at-time.Millisecond), device: d.name, app: "logged_out",
					note: "the PBX could not push it (the call is released at once): logged out"})
			}
		case "open":
			in.actions = append(in.actions, actionOut{at: ev.at, device: d.name, app: "foreground",
				note: fmt.Sprintf("%s registers at %s with no call for it: the user opens the app", d.name, dur(ev.at))})
			loggedOut = false
		case "close":
			lastClose = len(in.actions)
			in.actions = append(in.actions, actionOut{at: ev.at, device: d.name, app: "closed",
				note: fmt.Sprintf("%s unregisters at %s: the app is closed (a push still starts it)", d.name, dur(ev.at))})
			if i+1 < len(evs) && evs[i+1].kind == "skip" {
				loggedOut = true
				in.actions[lastClose].app = "logged_out"
				in.actions[lastClose].note = fmt.Sprintf("%s unregisters at %s and the next call finds nothing to push: logged out", d.name, dur(ev.at))
			}
		}
		first = false
	}
}

// outage makes the push service unavailable around a call the PBX
// released at once though it had an app to push that a later push wakes:
// the Push object is disconnected then (model choice; the capture cannot
// tell an outage from any other reason a PBX cannot push).
func (in *inference) outage(ev appEvent) {
	if in.outages[ev.at] {
		return
	}
	in.outages[ev.at] = true
	down, up := false, true
	from := max(0, ev.at-500*time.Millisecond)
	in.actions = append(in.actions,
		actionOut{at: from, pushService: &down, note: fmt.Sprintf("the call pushed at %s is released at once though its app is woken by a later push: model choice, the push service is down for it", dur(ev.at))},
		actionOut{at: ev.at + in.tolerance(), pushService: &up})
}

// presenceActions puts users in DND for the calls the PBX refused as busy
// without ringing anything: for good when that is every call to them.
func (in *inference) presenceActions() {
	for _, u := range in.users {
		dnd := in.dnd[u]
		if len(dnd) == 0 {
			continue
		}
		all := true
		for _, p := range in.pushes {
			if p.user == u && !slices.Contains(dnd, p.c) {
				all = false
			}
		}
		if all {
			u.presence = "dnd"
			u.notes = append(u.notes, "every call to it was refused at once as busy (cause 17) with nothing ringing: do not disturb")
			continue
		}
		for _, c := range dnd {
			in.actions = append(in.actions,
				actionOut{at: c.at, user: u.name, presence: "dnd", note: fmt.Sprintf("the call at %s is refused at once as busy: do not disturb for it", dur(c.at))},
				actionOut{at: c.ended() + in.tolerance(), user: u.name, presence: "available"})
		}
	}
}

// pbx writes a gatekeeper as a PBX with its users.
func (in *inference) pbx(g *gatekeeper) *pbxOut {
	p := &pbxOut{name: g.name}
	p.notes = append(p.notes, fmt.Sprintf("the gatekeeper at %s", g.ras))
	if len(g.ids) > 0 {
		if g.ids[0] != g.name {
			p.systemName = g.ids[0]
		}
		p.notes = append(p.notes, "its gatekeeper identifier "+q(g.ids[0])+" is the PBX's system name (the name when they are equal)")
	}
	if g.alias != "" {
		p.notes = append(p.notes, "its name is the h323-ID it calls the devices with")
	}
	if len(g.granted) > 0 {
		p.notes = append(p.notes, fmt.Sprintf("its RCFs granted a time-to-live of %d s; the format has no key for it, the simulated PBX grants its own", g.granted[0]))
	}
	if len(g.auth) > 0 {
		p.notes = append(p.notes, "its GCF asked for H.235: "+strings.Join(g.auth, ", "))
	}
	if t := in.timeouts[g]; len(t) > 0 {
		p.registrationTimeout = t[0].Round(time.Millisecond)
		p.notes = append(p.notes, fmt.Sprintf("registration_timeout: a pushed call waited %s for a registration, then cause 18", dur(p.registrationTimeout)))
	}
	if t := in.lookups[g]; len(t) > 0 && t[0] > 0 {
		p.nameLookup = t[0].Round(time.Millisecond)
		p.notes = append(p.notes, fmt.Sprintf("name_lookup: the caller's name reached the callees %s after the call arrived (Facility)", dur(p.nameLookup)))
	}
	if t := in.noAnswer[g]; len(t) > 0 {
		p.noAnswerTimeout = t[0].Round(time.Millisecond)
		p.notes = append(p.notes, fmt.Sprintf("no_answer_timeout: a call rang %s unanswered, then cause 19", dur(p.noAnswerTimeout)))
	}
	p.notes = append(p.notes, "version: the capture cannot tell the firmware; the model's default (15r1) is used")
	for _, u := range in.users {
		if u.gk != g {
			continue
		}
		uo := &userOut{name: u.name, number: u.number, forks: u.forks, cfu: u.cfu, cfb: u.cfb, cfnr: u.cfnr, presence: u.presence, notes: u.notes}
		if u.password {
			uo.password = placeholder(u.name)
		}
		for _, e := range u.eps {
			if e.inf.app {
				uo.push = true
			}
		}
		if u.phantom != nil {
			uo.push = true
		}
		if uo.push {
			p.push = true
		}
		p.users = append(p.users, uo)
	}
	if p.push {
		p.notes = append(p.notes, "push: the users with apps need a Push object; the push path is not in an H.323 capture (model choice: every default)")
	}
	return p
}

// network writes the latency the exchanges measured, a link per device
// whose own differs, and the losses as loss switched on around each lost
// datagram.
func (in *inference) network() networkOut {
	n := networkOut{latency: in.latency.Round(time.Microsecond)}
	n.notes = append(n.notes, fmt.Sprintf("latency: the median time from a RAS request to its answer (%s)", dur(n.latency)))
	var spread time.Duration
	for _, e := range in.w.eps {
		spread = max(spread, e.inf.spread)
		own := e.inf.measured && (e.inf.latency-in.latency).Abs() > time.Millisecond
		lossy, ok := in.startLossy[e]
		if !own && !ok {
			continue
		}
		l := linkOut{device: e.name, latency: n.latency}
		if own {
			l.latency = e.inf.latency.Round(time.Microsecond)
			l.note = fmt.Sprintf("%s's exchanges took %s", e.name, dur(l.latency))
		}
		if ok {
			l.loss, l.note = in.startLoss[e], strings.TrimPrefix(l.note+"; "+lossy, "; ")
		}
		n.links = append(n.links, l)
	}
	if spread > 5*time.Millisecond {
		n.notes = append(n.notes, fmt.Sprintf("the exchanges vary by up to %s (jitter); jitter draws with the seed and would not repeat them, so none is set", dur(spread.Round(time.Millisecond))))
	}
	return n
}

// separateH245 reports an endpoint that tunnels no H.245 in its call-signalling messages
// while its calls announce an h245Address (its own or its peer's): it runs H.245 on a
// connection of its own.
func (in *inference) separateH245(e *endpoint) bool {
	if in.h245Of == nil {
		// By address, not port: a call's connection may come from an
		// ephemeral one. Read once for every address.
		in.h245Of = map[netip.Addr]*h245Seen{}
		seen := func(a netip.Addr) *h245Seen {
			s := in.h245Of[a]
			if s == nil {
				s = &h245Seen{}
				in.h245Of[a] = s
			}
			return s
		}
		for _, m := range in.w.c.msgs {
			if m.ras {
				continue
			}
			src, dst := seen(m.src.Addr()), seen(m.dst.Addr())
			if len(m.f.H245) > 0 {
				src.tunnels = true
			}
			if m.f.H245Address != "" {
				src.announced, dst.announced = true, true
			}
		}
	}
	s := in.h245Of[e.ip]
	return s != nil && s.announced && !s.tunnels
}

// h245Seen is what an address's call signalling shows of H.245: messages
// it sent tunnelling some, an h245Address announced to or by it.
type h245Seen struct{ tunnels, announced bool }
