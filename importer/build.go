package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callwake/callwake/scenario"
)

// placeholder is the password written for a user whose endpoints sign
// with H.235: the capture holds only hashes, never the password.
func placeholder(user string) string { return "REPLACE-ME-password-of-" + user }

// build turns what the inference found into the scenario.
func (in *inference) build(name string) *scenarioOut {
	out := &scenarioOut{name: name}
	in.nameActors()
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
	for _, v := range in.w.c.endpoints {
		if v.Address == "" {
			continue
		}
		for a := range e.ras {
			if v.Address == a.String() {
				return "it announces itself as " + v.Vendor.String()
			}
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

// lossSpec is a datagram the capture shows lost, on a device's link, or
// a call-signalling message that may have been.
type lossSpec struct {
	dev  *endpoint
	m    *message
	k    int // its index among the messages of the device's link
	note string
	// late: not a datagram lost but a Setup on a lossy link, which the
	// capture may show later than the run (its connection's handshake
	// lost and retried); the loss is set only if the run is early.
	late bool
	// cause, for a late message the gatekeeper sent: the last message
	// another endpoint sent the gatekeeper before it (causeK its index on
	// that endpoint's link), when that is more recent than this link's
	// own: its late delivery is what may have delayed this one.
	cause  *endpoint
	causeM *message
	causeK int
}

// linkCache keeps the run of a device's link while the scenario's actions
// stay the same (a late message on time changes nothing).
type linkCache map[string]*linkRun

// link lists the messages a scenario can name that cross a device's
// link, in order.
func (in *inference) link(e *endpoint) []*message {
	var out []*message
	for _, m := range in.w.c.msgs {
		if (m.from == e.self || m.to == e.self) && m.event() != "" {
			out = append(out, m)
		}
	}
	return out
}

// causeOf finds, for a late message of the gatekeeper's, the message
// another endpoint sent it last before, if that is later than prev (the
// message before on the same link).
func (in *inference) causeOf(sp *lossSpec, prev *message) {
	for _, m := range in.w.c.msgs {
		if m.n >= sp.m.n {
			break
		}
		if m.n > prev.n && m.to == sp.m.from && m.from != nil && m.from.ep != nil && m.from.ep != sp.dev && m.event() != "" {
			sp.causeM = m
		}
	}
	if sp.causeM == nil {
		return
	}
	sp.cause = sp.causeM.from.ep
	sp.causeK = slices.Index(in.link(sp.cause), sp.causeM)
	sp.note = fmt.Sprintf("the capture shows %s from the PBX at %s, later than the model sends it: %s from %s was lost on its link and sent again by TCP", sp.m.event(), dur(sp.m.at), sp.causeM.event(), sp.cause.name)
}

// lossSpecs lists the losses to reproduce, in the order they happened.
func (in *inference) lossSpecs() []lossSpec {
	var specs []lossSpec
	for _, e := range in.w.eps {
		link := in.link(e)
		for _, lost := range e.inf.losses {
			k := slices.Index(link, lost)
			if k < 0 {
				continue
			}
			specs = append(specs, lossSpec{dev: e, m: lost, k: k,
				note: fmt.Sprintf("the capture shows %s %s (seq %d) lost: retransmitted, or never answered", lost.event(), dirOf(lost, e), lost.seq())})
		}
		for k, m := range link {
			if (!m.ras || m.tunnel || e.inf.tunnel) && k > 0 {
				sp := lossSpec{dev: e, m: m, k: k, late: true,
					note: fmt.Sprintf("the capture shows %s %s at %s, later than the model sends it: lost on the link and sent again by TCP", m.event(), dirOf(m, e), dur(m.at))}
				if m.from.gk != nil {
					in.causeOf(&sp, link[k-1])
				}
				specs = append(specs, sp)
			}
		}
	}
	slices.SortStableFunc(specs, func(a, b lossSpec) int { return a.m.n - b.m.n })
	return specs
}

// MaxLosses bounds the losses an import reproduces one by one, and
// maxCalibrationRuns the runs it spends on them.
const (
	MaxLosses          = 200
	maxCalibrationRuns = 1000
	// calibrationBudget bounds the runs by the capture's size too: runs
	// times messages (a run costs about as much as its capture is long).
	calibrationBudget = 5_000_000
)

// lossCandidates are the loss probabilities tried for a window, in order:
// a loss of 1 is the plain reading; a lower one, whose draws the seed
// fixes, may also explain what a loss did to the streams at that moment
// (a TCP handshake delayed by a retransmission instead of failed).
var lossCandidates = []float64{1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1}

// lateCandidates are those tried for a late message: a stream's delays
// are drawn where its segments or its handshake are sent (a loss of 1
// makes a connection fail), so a finer range below 1.
var lateCandidates = []float64{0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 1}

// linkRun is a device's link as a run shows it.
type linkRun struct {
	at   []time.Duration
	name []string
	lost []bool
}

func (in *inference) runLink(name string, out *scenarioOut, dev string) (*linkRun, error) {
	f, err := scenario.Parse(name, out.yaml())
	if err != nil {
		return nil, fmt.Errorf("the scenario written does not load (please report it): %w", err)
	}
	r, err := scenario.Run(f, scenario.RunOptions{Record: true})
	if err != nil {
		return nil, fmt.Errorf("the scenario written does not run (please report it): %w", err)
	}
	l := &linkRun{}
	for _, ev := range r.Timeline.Events() {
		from, _ := ev.Get("from")
		to, _ := ev.Get("to")
		if (from == dev || to == dev) && (strings.HasPrefix(ev.Name, "ras.") || strings.HasPrefix(ev.Name, "q931.")) {
			lost, _ := ev.Get("lost")
			l.at, l.name, l.lost = append(l.at, ev.At), append(l.name, ev.Name), append(l.lost, lost == "true")
		}
	}
	return l, nil
}

// agrees reports whether a run's link repeats the capture's up to and
// including message n: the same messages, lost where they were, at about
// the same times.
func (l *linkRun) agrees(capture []*message, n int, tol time.Duration) bool {
	if n >= len(capture) {
		n = len(capture) - 1
	}
	if n >= len(l.at) {
		return false
	}
	for i := 0; i <= n; i++ {
		if l.name[i] != capture[i].event() || l.lost[i] != capture[i].lost || (l.at[i]-capture[i].at).Abs() > tol {
			return false
		}
	}
	return true
}

// calibrateLosses makes the run lose what the capture lost: for each lost
// datagram, in order, it runs the scenario as it stands, finds the same
// message of the device's link in the run (the model's times are not the
// capture's when jitter or a stream's delays made them), and switches the
// link's loss on from half-way after the message before it to half-way
// before the one after it, and back to none. It keeps the first loss
// probability (1, then lower ones) whose run repeats the capture's link up
// to the message after the lost one. A loss at a device's very first
// message is a link that starts lossy.
func (in *inference) calibrateLosses(out *scenarioOut, name string, margin time.Duration) error {
	specs := in.lossSpecs()
	if len(specs) > MaxLosses {
		in.notef("the capture shows %d lost datagrams; the first %d are reproduced", len(specs), MaxLosses)
		specs = specs[:MaxLosses]
	}
	saved := out.expect
	out.expect = "expect: []\n"
	defer func() { out.expect = saved }()
	runs := 0
	maxRuns := min(maxCalibrationRuns, max(1, calibrationBudget/max(1, len(in.w.c.msgs))))
	const reach = time.Second
	cache := linkCache{}
	for i, sp := range specs {
		if runs >= maxRuns {
			in.notef("the losses after the first %d are not reproduced: calibrating them would take more than %d runs of this capture", i, maxRuns)
			break
		}
		base := cache[sp.dev.name]
		if base == nil {
			var err error
			if base, err = in.runLink(name, out, sp.dev.name); err != nil {
				return err
			}
			runs++
			cache[sp.dev.name] = base
		}
		k := sp.k
		if k >= len(base.at) || base.name[k] != sp.m.event() {
			in.notef("%s: %s; the run does not reach that message the same way, so the loss is not reproduced", sp.dev.name, sp.note)
			continue
		}
		capture := in.link(sp.dev)
		tol := margin + sp.dev.inf.spread
		at := base.at[k]
		to := at + reach
		if k+1 < len(base.at) {
			to = min(to, (at+base.at[k+1])/2)
		}
		from := at - reach
		if k > 0 {
			from = max(from, (base.at[k-1]+at)/2)
		}
		// The windows to try, in order: a lost datagram has one, around
		// it; a late message one on its own link and, for one the PBX
		// sent, one on the link of what the PBX received last before it.
		type window struct {
			dev      *endpoint
			from, to time.Duration
		}
		var windows []window
		if sp.late {
			if !base.agrees(capture, k-1, tol) || sp.m.at-at <= tol {
				continue // on time, or the run differs before it anyway
			}
			// Lossy from just after the message before it (this one's
			// segments, or its connection's handshake, lost), or from
			// just before it (its late delivery is what delayed this
			// one: a capture shows when a message was sent, not when TCP
			// delivered it), to just before the capture's message.
			// It ends a one-way latency before the capture's message, or
			// two (a connection's handshake precedes its first message).
			to := sp.m.at - sp.dev.inf.latency - time.Millisecond
			before := base.at[k-1] - time.Microsecond
			if k >= 2 {
				before = max(before, base.at[k-2]+time.Microsecond)
			}
			for _, from := range []time.Duration{base.at[k-1] + time.Microsecond, before} {
				for _, to := range []time.Duration{to, to - sp.dev.inf.latency} {
					if to > from {
						windows = append(windows, window{sp.dev, from, to})
					}
				}
			}
			if sp.cause != nil {
				cb := cache[sp.cause.name]
				if cb == nil {
					var err error
					if cb, err = in.runLink(name, out, sp.cause.name); err != nil {
						return err
					}
					runs++
					cache[sp.cause.name] = cb
				}
				if ck := sp.causeK; ck >= 0 && ck < len(cb.at) && cb.name[ck] == sp.causeM.event() {
					from := cb.at[ck] - time.Microsecond
					if ck >= 1 {
						from = max(from, cb.at[ck-1]+time.Microsecond)
					}
					if to > from {
						windows = append(windows, window{sp.cause, from, to})
					}
				}
			}
		} else {
			if k > 0 && from >= at || to <= at {
				// Another message of the link at the same moment: a window
				// of that moment alone, where a loss below 1 may take one
				// and not the other (its draws fixed by the seed).
				from, to = at, at+time.Microsecond
			}
			windows = append(windows, window{sp.dev, from, to})
		}
		savedActions := in.actions
		clear(cache) // the tries below change the actions
		try := func(wd window, p float64) {
			in.actions = slices.Clone(savedActions)
			zero := 0.0
			if k == 0 && !sp.late {
				in.startLossy[sp.dev] = sp.note
				in.startLoss[sp.dev] = p
			} else {
				in.actions = append(in.actions, actionOut{at: wd.from, device: wd.dev.name, loss: &p, note: sp.note})
			}
			in.actions = append(in.actions, actionOut{at: wd.to, device: wd.dev.name, loss: &zero})
			slices.SortStableFunc(in.actions, func(a, b actionOut) int { return int(a.at - b.at) })
			out.actions, out.network = in.actions, in.network()
		}
		upTo := k + 1
		if sp.late {
			upTo = k
		}
		accepted := false
		candidates := lossCandidates
		if sp.late {
			candidates = lateCandidates
		}
	tries:
		for _, wd := range windows {
			for _, p := range candidates {
				if runs >= maxRuns {
					break tries
				}
				try(wd, p)
				l, err := in.runLink(name, out, sp.dev.name)
				if err != nil {
					return err
				}
				runs++
				ok := l.agrees(capture, upTo, tol)
				if ok && wd.dev != sp.dev {
					// The other link must still repeat the capture up to
					// this moment.
					other := in.link(wd.dev)
					last := -1
					for j, m := range other {
						if m.at <= sp.m.at {
							last = j
						}
					}
					ol, err := in.runLink(name, out, wd.dev.name)
					if err != nil {
						return err
					}
					runs++
					ok = ol.agrees(other, last, margin+wd.dev.inf.spread)
				}
				if ok {
					accepted = true
					if i := slices.IndexFunc(in.actions, func(a actionOut) bool { return a.at == wd.from && a.device == wd.dev.name && a.loss != nil }); p < 1 && i >= 0 {
						in.actions[i].note = fmt.Sprintf("%s; a loss of %g (its draws fixed by the seed) also gives the delay the capture shows after it", sp.note, p)
					}
					break tries
				}
			}
		}
		switch {
		case accepted:
		case sp.late:
			// No loss explains the delay: none is set.
			in.actions = savedActions
			out.actions, out.network = in.actions, in.network()
		default:
			// Nothing repeats the capture exactly: the plain reading, said.
			try(windows[0], 1)
			in.notef("%s: %s; reproduced with a loss of 1, but the run then differs from the capture right after it", sp.dev.name, sp.note)
		}
	}
	return nil
}

func dirOf(m *message, e *endpoint) string {
	if m.from == e.self {
		return "from it"
	}
	return "to it"
}

// separateH245 reports an endpoint that tunnels no H.245 in its call-signalling messages
// while its calls announce an h245Address (its own or its peer's): it runs H.245 on a
// connection of its own.
func (in *inference) separateH245(e *endpoint) bool {
	announced := false
	for _, m := range in.w.c.msgs {
		if m.ras {
			continue
		}
		// By address, not port: a call's connection may come from an ephemeral one.
		from, to := m.src.Addr() == e.ip, m.dst.Addr() == e.ip
		if from && len(m.f.H245) > 0 {
			return false
		}
		announced = announced || (from || to) && m.f.H245Address != ""
	}
	return announced
}
