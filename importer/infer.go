package importer

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"
)

// Model constants the scenario format gives (docs/scenario-format.md) and
// the inference measures against.
const (
	serviceLatency = 50 * time.Millisecond  // push_service.latency default
	apnsLatency    = 300 * time.Millisecond // push_service.apns.latency default
	fcmLatency     = 200 * time.Millisecond // push_service.fcm.latency default
	defaultTimeout = 10 * time.Second       // pbx.registration_timeout default
	// startWindow: an endpoint whose first RAS message comes this soon
	// after the capture's first is taken to be up from the start; a later
	// one is opened then (the model starts its desk phones at 0).
	startWindow = time.Millisecond
	// wakeHorizon: how long after a push an app's registration still
	// counts as the push's doing (beyond the PBX's wait, for a late one).
	wakeHorizon = 15 * time.Second
	// maxSkew is the H.235 acceptance window of the simulated PBX.
	maxSkew = 30 * time.Second
)

// userCfg is one user of the scenario, as the capture shows it.
type userCfg struct {
	name, number string
	gk           *gatekeeper
	eps          []*endpoint
	phantom      *deviceOut // a pushed app the capture never shows
	password     bool
	forks        []string
	cfu, cfb     string
	cfnr         *forward
	presence     string
	notes        []string
}

// push is a moment the PBX routed a call to a user: it pushed the user's
// unregistered apps then.
type push struct {
	user *userCfg
	at   time.Duration
	c    *call
	// immediate: the PBX released the call at once (nothing it could
	// push); waited: it waited for a registration until it gave up.
	immediate, waited bool
	until             time.Duration // when the wait ended
}

type inference struct {
	w        *world
	calls    []*call
	latency  time.Duration
	users    []*userCfg
	byName   map[string]*userCfg
	byNumber map[string]*userCfg
	pushes   []push
	timeouts map[*gatekeeper][]time.Duration
	lookups  map[*gatekeeper][]time.Duration
	noAnswer map[*gatekeeper][]time.Duration
	answers  map[*endpoint]*deviceOut
	hangups  map[*call]time.Duration
	// gaveUp: calls the caller released before an answer, how long after
	// its Setup.
	gaveUp  map[*call]time.Duration
	actions []actionOut
	notes   []string // header notes: what the capture could not tell
	dnd     map[*userCfg][]*call
	// startLossy holds the devices whose link loses from the start, with why.
	startLossy map[*endpoint]string
	startLoss  map[*endpoint]float64
	outages    map[time.Duration]bool
	// restartList: the gatekeepers' restarts (restart.go).
	restartList []restart
	// pops are the populations written (population.go); userOf the user
	// of each device, by name.
	pops   groups
	userOf map[string]string
	// vendors, h245Of and links are read from the capture once (build.go,
	// losses.go).
	vendors map[string]string
	h245Of  map[netip.Addr]*h245Seen
	links   map[*endpoint][]*message
}

func newInference(w *world) *inference {
	return &inference{w: w, byName: map[string]*userCfg{}, byNumber: map[string]*userCfg{},
		timeouts: map[*gatekeeper][]time.Duration{}, lookups: map[*gatekeeper][]time.Duration{},
		noAnswer: map[*gatekeeper][]time.Duration{}, answers: map[*endpoint]*deviceOut{},
		hangups: map[*call]time.Duration{}, gaveUp: map[*call]time.Duration{}, dnd: map[*userCfg][]*call{}, startLossy: map[*endpoint]string{}, startLoss: map[*endpoint]float64{}, outages: map[time.Duration]bool{}}
}

func (in *inference) notef(format string, args ...any) {
	in.notes = append(in.notes, fmt.Sprintf(format, args...))
}

func (in *inference) user(name string, gk *gatekeeper) *userCfg {
	if u := in.byName[name]; u != nil {
		return u
	}
	u := &userCfg{name: name, gk: gk}
	in.byName[name] = u
	in.users = append(in.users, u)
	return u
}

// facts measures every endpoint and makes the users.
func (in *inference) facts() {
	var lat []time.Duration
	for _, e := range in.w.eps {
		measure(e)
		registrations(e)
		if e.inf.measured {
			lat = append(lat, e.inf.latency)
		}
		in.skew(e)
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		in.latency = lat[len(lat)/2]
	}
	for _, e := range in.w.eps {
		if !e.inf.measured {
			e.inf.latency = in.latency
		}
		u := in.user(e.user, e.gk)
		u.eps = append(u.eps, e)
		if u.number == "" && e.number != "" {
			if other := in.byNumber[e.number]; other == nil {
				u.number = e.number
				in.byNumber[e.number] = u
			}
		}
	}
	for _, m := range in.w.c.msgs {
		switch {
		case m.ras && m.tunnel && m.from != nil && m.from.ep != nil:
			m.from.ep.inf.tunnel = true
		case !m.ras && m.from != nil && m.from.ep != nil && m.from.ep.ras[m.src]:
			m.from.ep.inf.tunnel = true
		case !m.ras && m.to != nil && m.to.ep != nil && m.to.ep.ras[m.dst]:
			m.to.ep.inf.tunnel = true
		}
	}
	for _, e := range in.w.eps {
		if e.inf.tunnel {
			// Its exchanges ride a stream: what made them vary is the
			// stream's retransmissions, which the losses reproduce, not
			// jitter to allow for.
			e.inf.spread = 0
		}
	}
	// The model gives every user with a device a number: a user whose
	// endpoints announced none gets one nobody dials.
	next := 8000
	for _, u := range in.users {
		if u.number != "" {
			continue
		}
		for in.byNumber[fmt.Sprint(next)] != nil {
			next++
		}
		u.number = fmt.Sprint(next)
		in.byNumber[u.number] = u
		u.notes = append(u.notes, "its endpoints announced no number (only an H.323 ID); the model needs one: model choice, "+u.number+", which nobody dials")
	}
	in.calls = in.w.calls()
	for _, c := range in.calls {
		if c.dialled == "" || in.byNumber[c.dialled] != nil {
			continue
		}
		if c.ans != nil && c.ans.is("arj") && c.ans.f.RejectReason == "calledPartyNotRegistered" {
			continue // nobody has the number: the PBX knows no such user
		}
		if !validDigits(c.dialled) {
			continue
		}
		u := in.user("user-"+c.dialled, c.caller.gk)
		u.number = c.dialled
		in.byNumber[c.dialled] = u
		u.notes = append(u.notes, "no endpoint of this user is in the capture: only calls to its number are")
	}
}

// skew measures how far ahead an endpoint's H.235 time stamps run.
func (in *inference) skew(e *endpoint) {
	for _, m := range e.msgs {
		if m.from.ep != e || !m.is("rrq") {
			continue
		}
		wall := in.w.c.start.Add(m.at).Unix()
		for _, t := range m.f.Tokens {
			if t.Timestamp != nil {
				if d := time.Duration(*t.Timestamp-wall) * time.Second; d > maxSkew || d < -maxSkew {
					e.inf.skew = d
				}
				return
			}
		}
	}
}

// tolerance is how close two moments must be to be one decision of the
// PBX: a round trip on the network, and a little.
func (in *inference) tolerance() time.Duration { return 2*in.latency + 10*time.Millisecond }

// route reads what the PBX did with each call: whom it rang, forwarded to
// or pushed, how long it waited, how it ended, and what the callees did.
func (in *inference) route() {
	for _, c := range in.calls {
		if c.leg == nil {
			if c.ans != nil && c.ans.is("arj") && c.ans.f.RejectReason != "calledPartyNotRegistered" && c.ans.f.RejectReason != "callerNotRegistered" {
				in.notef("%s's call to %s at %s was refused (ARJ %s); the scenario keeps the call and lets the model decide", c.caller.name, c.dialled, dur(c.at), c.ans.f.RejectReason)
			}
			continue
		}
		in.routeCall(c)
	}
}

func (in *inference) routeCall(c *call) {
	tol := in.tolerance()
	target := in.byNumber[c.dialled]
	if target == nil {
		in.notef("%s's call at %s dialled %q, which no user has; the model refuses it", c.caller.name, dur(c.at), c.dialled)
		return
	}
	gk := c.caller.gk
	start := c.arrival
	userOf := func(l *leg) *userCfg { return in.byName[l.b.ep.user] }
	var current []*leg // the legs of the user the call is routed to now
	for _, l := range c.legs {
		in.callee(l)
		u := userOf(l)
		s := l.setup()
		// Ringing at once, or once registered, takes the PBX a TCP
		// handshake with the device.
		devTol := max(tol, 2*l.b.ep.inf.latency+10*time.Millisecond)
		registeredJustBefore := false
		for _, sp := range l.b.ep.inf.spans {
			if sp.registered >= start && sp.registered <= s.at && s.at-sp.registered <= devTol {
				registeredJustBefore = true
			}
		}
		releasedBefore := false
		for _, p := range current {
			if r, byPBX := p.release(); r != nil && r.at <= s.at && (byPBX || r.cause() == 17) {
				releasedBefore = true
			}
		}
		switch {
		case u == target:
			current = append(current, l)
		case !releasedBefore && (s.at <= start+devTol || registeredJustBefore):
			// Rings with the target (at once, or once its app woke from
			// the push it got with the target's): a fork, or, while the
			// target has no leg at all, an unconditional forward.
			if len(current) == 0 && !in.anyLegOf(c, target) {
				in.forwardOnce(target, "cfu", u.number, 0, c)
			} else if !slices.Contains(target.forks, u.number) {
				target.forks = append(target.forks, u.number)
			}
			in.pushes = append(in.pushes, push{user: u, at: start, c: c, until: c.ended()})
		default:
			// Later, to another user: a forward of the target.
			at := s.at - 2*in.latency
			busy := false
			for _, p := range current {
				if r, byPBX := p.release(); r != nil {
					if byPBX && r.at <= s.at {
						at = r.at
					}
					if !byPBX && r.cause() == 17 {
						busy = true
					}
				}
			}
			if busy {
				in.forwardOnce(target, "cfb", u.number, 0, c)
			} else {
				in.forwardOnce(target, "cfnr", u.number, at-start, c)
			}
			in.pushes = append(in.pushes, push{user: target, at: start, c: c, waited: len(current) == 0, until: at})
			target, start, current = u, at, []*leg{l}
		}
	}
	p := push{user: target, at: start, c: c}
	rel, byCaller := c.leg.release()
	connect := c.leg.first("connect", false)
	alerting := c.leg.first("alerting", false)
	switch {
	case rel == nil:
	case byCaller:
		if connect != nil {
			in.hangups[c] = rel.at - (connect.at + c.caller.inf.latency)
		} else {
			in.gaveUp[c] = rel.at - c.leg.setup().at
		}
	case connect != nil:
		// The PBX cleared an answered call: the callee hung up.
	default:
		cause := rel.cause()
		switch cause {
		case 18:
			if rel.at-start <= tol+20*time.Millisecond {
				p.immediate = true
			} else {
				p.waited, p.until = true, rel.at
				in.timeouts[gk] = append(in.timeouts[gk], rel.at-start)
			}
		case 17:
			if !in.someCallee(c, 17) && !in.busyAt(target, start) {
				in.dnd[target] = append(in.dnd[target], c)
			}
		case 19:
			if alerting != nil {
				in.noAnswer[gk] = append(in.noAnswer[gk], rel.at-alerting.at)
			}
		case 1:
			if len(current) == 0 {
				in.forwardOnce(target, "cfu", in.unallocated(), 0, c)
			} else {
				in.forwardOnce(target, "cfnr", in.unallocated(), rel.at-start, c)
			}
		case 31:
			in.forwardOnce(target, "cfu", target.number, 0, c)
		case 21:
		default:
			in.notef("the PBX released %s's call to %s at %s with cause %d, which the model does not choose by itself", c.caller.name, c.dialled, dur(rel.at), cause)
		}
	}
	if len(current) > 0 || !p.waited && !p.immediate {
		// Something rang: the push, if any, had the time the call lasted.
		p.until = c.ended()
	}
	in.pushes = append(in.pushes, p)
	for _, l := range c.legs {
		for _, m := range l.msgs {
			if m.q931("facility") && m.from.gk != nil && m.f.Reason == "undefinedReason" {
				in.lookups[gk] = append(in.lookups[gk], m.at-c.arrival)
				break
			}
		}
	}
}

func (in *inference) anyLegOf(c *call, u *userCfg) bool {
	for _, l := range c.legs {
		if in.byName[l.b.ep.user] == u {
			return true
		}
	}
	return false
}

// someCallee reports whether a callee of the call released it with cause.
func (in *inference) someCallee(c *call, cause int) bool {
	for _, l := range c.legs {
		if r, byPBX := l.release(); r != nil && !byPBX && r.cause() == cause {
			return true
		}
	}
	return false
}

// busyAt reports whether one of u's devices was in an answered call at t:
// the PBX then refuses another call as busy by itself.
func (in *inference) busyAt(u *userCfg, t time.Duration) bool {
	for _, c := range in.calls {
		if c.leg == nil {
			continue
		}
		ended := c.ended()
		for _, l := range append([]*leg{c.leg}, c.legs...) {
			var dev *endpoint
			if l.a.ep != nil {
				dev = l.a.ep
			} else {
				dev = l.b.ep
			}
			if dev == nil || in.byName[dev.user] != u {
				continue
			}
			if conn := l.first("connect", l.a.ep == nil); conn != nil && conn.at <= t && (ended < 0 || ended > t) {
				return true
			}
		}
	}
	return false
}

// forwardOnce sets a forward of u; a user keeps the forward its first
// call showed, later calls that disagree are noted.
func (in *inference) forwardOnce(u *userCfg, kind, to string, after time.Duration, c *call) {
	have := ""
	switch kind {
	case "cfu":
		have = u.cfu
	case "cfb":
		have = u.cfb
	case "cfnr":
		if u.cfnr != nil {
			have = u.cfnr.to
		}
	}
	if have != "" {
		if have != to {
			u.notes = append(u.notes, fmt.Sprintf("the call at %s went on to %s by %s; the first call's forward is the one kept", dur(c.at), to, kind))
		}
		return
	}
	switch kind {
	case "cfu":
		u.cfu = to
	case "cfb":
		u.cfb = to
	case "cfnr":
		u.cfnr = &forward{to: to, after: after.Round(time.Millisecond)}
	}
	u.notes = append(u.notes, fmt.Sprintf("%s to %s: what the PBX did with the call at %s", kind, to, dur(c.at)))
}

// unallocated is a number no user has, for a forward the PBX could not
// complete (cause 1, unallocated number).
func (in *inference) unallocated() string {
	n := "9"
	for in.byNumber[n] != nil {
		n += "9"
	}
	return n
}

// callee reads what a device did with a leg the PBX offered it.
func (in *inference) callee(l *leg) {
	dev := l.b.ep
	d := in.answers[dev]
	alert := l.first("alerting", false)
	conn := l.first("connect", false)
	rel, byPBX := l.release()
	byDevice := rel != nil && !byPBX
	var mode string
	var after time.Duration
	switch {
	case conn != nil:
		mode = "after"
		if alert != nil {
			after = conn.at - alert.at
		} else {
			after = conn.at - (l.setup().at + dev.inf.latency)
		}
	case rel != nil && byDevice && rel.cause() == 17 && alert == nil:
		mode = "busy"
	case rel != nil && byDevice && rel.cause() == 21:
		mode = "declined"
	default:
		return // rang until the PBX ended it: answers never, unless another call says otherwise
	}
	if d == nil {
		in.answers[dev] = &deviceOut{answer: mode, answerAfter: after.Round(time.Millisecond)}
		return
	}
	if d.answer != mode || mode == "after" && (d.answerAfter-after).Abs() > 5*time.Millisecond {
		dev.inf.notes = append(dev.inf.notes, fmt.Sprintf("at %s it answered differently (%s %s) from the first call, which sets answer here", dur(l.setup().at), mode, dur(after)))
	}
}

// appPlan is what the capture says of an app's life: when it started
// registering, and why; what each push to it did.
type appEvent struct {
	at     time.Duration
	kind   string // start, wake, open, close, logout, drop, skip
	wake   time.Duration
	detail string
}

// plan decides, for every endpoint, whether it is a desk phone or an app,
// and the actions that make an app do what the capture shows.
func (in *inference) plan(e *endpoint) []appEvent {
	u := in.byName[e.user]
	// First the registrations each push could have caused; a wake far
	// longer than the app's shortest is the user opening it instead.
	var cands []wakeCandidate
	claimed := map[int]bool{}
	for _, p := range in.pushes {
		if p.user != u || e.registeredAt(p.at) {
			continue
		}
		c := wakeCandidate{p: p, span: -1}
		for i, sp := range e.inf.spans {
			// A call released at once was never pushed: no wake is its.
			if !p.immediate && !claimed[i] && sp.start > p.at && sp.start <= p.at+wakeHorizon && (p.until < 0 || sp.start <= p.until+wakeHorizon) {
				c.span, claimed[i] = i, true
				break
			}
		}
		cands = append(cands, c)
	}
	shortest := time.Duration(-1)
	for _, c := range cands {
		if c.span >= 0 && (shortest < 0 || c.wake(e) < shortest) {
			shortest = c.wake(e)
		}
	}
	var evs []appEvent
	for _, c := range cands {
		if c.span >= 0 && c.wake(e) > 2*shortest+time.Second {
			// Far longer than its shortest wake: the user opened it.
			claimed[c.span], c.span = false, -1
		}
		switch {
		case c.span >= 0:
			evs = append(evs, appEvent{at: c.p.at, kind: "wake", wake: c.wake(e)})
		case c.p.immediate:
			evs = append(evs, appEvent{at: c.p.at, kind: "skip"})
		case c.p.waited:
			evs = append(evs, appEvent{at: c.p.at, kind: "drop"})
		}
	}
	for i, sp := range e.inf.spans {
		if claimed[i] || sp.retry {
			continue
		}
		kind := "open"
		if sp.start <= startWindow {
			kind = "start"
		}
		evs = append(evs, appEvent{at: max(0, sp.start-discoveryLead(e, i)), kind: kind})
	}
	for _, sp := range e.inf.spans {
		if sp.end >= 0 && !sp.byGK && sp.rejected == "" && !sp.gaveUp {
			evs = append(evs, appEvent{at: sp.end, kind: "close"})
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at < evs[j].at })
	return evs
}

// wakeCandidate is a push to an app and the registration it may have
// caused (span, -1 for none).
type wakeCandidate struct {
	p    push
	span int
}

// wake is the time from the push to the registration the candidate
// claims (as the model's device would start it, see discoveryLead).
func (c wakeCandidate) wake(e *endpoint) time.Duration {
	return e.inf.spans[c.span].start - discoveryLead(e, c.span) - c.p.at
}

// discoveryLead is how much earlier the model's device starts a
// registration than the capture's: a device of the model discovers its
// gatekeeper (GRQ, GCF) before its first RRQ, a round trip an endpoint that
// registers straight away does not spend.
func discoveryLead(e *endpoint, span int) time.Duration {
	if span == 0 && e.inf.spans[0].first != nil && e.inf.spans[0].first.is("rrq") {
		return 2 * e.inf.latency
	}
	return 0
}

// isApp reports whether an endpoint's life is an app's: woken by a push,
// registering late, or unregistering. A push it did not answer alone says
// nothing: a desk phone whose registration failed is not rung either.
func isApp(evs []appEvent) bool {
	for _, ev := range evs {
		switch ev.kind {
		case "wake", "open", "close":
			return true
		}
	}
	return false
}

// phantomFor makes, once, the pushed app the capture implies but never
// shows: the PBX waited for its registration, which never came.
func (in *inference) phantomFor(u *userCfg) {
	if u.phantom != nil {
		return
	}
	u.phantom = &deviceOut{name: u.name + "-app", user: u.name, kind: "myapps", os: "ios", app: "background",
		wake: 1500 * time.Millisecond, notificationsDenied: true,
		notes: []string{"Not in the capture: the PBX waited for an app of " + u.name + " to register after a push, and none did.",
			"Model choice: an iOS app whose notifications are denied, so the push never starts it (push traffic is not in an H.323 capture)."}}
}
