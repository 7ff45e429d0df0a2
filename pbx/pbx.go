package pbx

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// PBX is the decision core of one PBX: users, devices, the Push object's
// state and the calls in progress. It is a plain value driven by Handle.
type PBX struct {
	quirks              Quirks
	registrationTimeout time.Duration
	nameLookup          time.Duration
	noAnswerTimeout     time.Duration // 0 = no limit
	pushObject          string        // "" = none
	pushConnected       bool

	users        []user
	userByName   map[string]int
	userByNumber map[string]int
	devices      []device
	deviceByName map[string]int

	callByID map[CallID]*call
	legCall  map[LegID]*call
	nextLeg  LegID
	nextSeq  uint64 // arrival order of calls
}

type user struct {
	User
	devices []int // indices into PBX.devices, in configuration order
	// waiting holds the unconnected calls this user is a target of, in
	// arrival order: a registration looks only at its user's calls, so its
	// cost does not grow with the calls of everyone else.
	waiting []*call
}

type device struct {
	Device
	user       int
	registered bool
	// connected counts the connected calls the device takes part in; a user
	// with a device in a connected call is busy (no call waiting).
	connected int
}

type leg struct {
	id     LegID
	device int
	named  bool // the Setup carried the looked-up name
}

type call struct {
	id            CallID
	seq           uint64 // arrival order
	caller        int    // device index
	callingNumber string
	callingName   string
	nameKnown     bool
	primary       int   // user index the call is routed to now
	targets       []int // users whose devices may join: primary and forks
	hops          int

	legs       []*leg
	pushed     []int // app devices pushed and awaited (B11/B12)
	pushWait   bool  // TimerRegistration pending
	cfnrWait   bool  // TimerCFNR pending
	nameWait   bool  // TimerNameLookup pending
	noAnswer   bool  // TimerNoAnswer pending
	alerted    bool
	connected  bool
	answered   LegID
	answeredBy int // device index of the answered leg
	lastCause  int
}

// New builds a PBX core from its configuration. The configuration is
// checked; a bad one is an error naming what is wrong.
func New(cfg Config) (*PBX, error) {
	quirks, err := Resolve(cfg.Version, cfg.Quirks)
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p := &PBX{
		quirks:              quirks,
		registrationTimeout: cfg.RegistrationTimeout,
		nameLookup:          cfg.NameLookup,
		noAnswerTimeout:     cfg.NoAnswerTimeout,
		userByName:          make(map[string]int, len(cfg.Users)),
		userByNumber:        make(map[string]int, len(cfg.Users)),
		deviceByName:        make(map[string]int, len(cfg.Devices)),
		callByID:            map[CallID]*call{},
		legCall:             map[LegID]*call{},
	}
	if p.registrationTimeout == 0 {
		p.registrationTimeout = DefaultRegistrationTimeout
	}
	if cfg.Push != nil {
		p.pushObject = cfg.Push.Name
		p.pushConnected = cfg.Push.Connected
	}
	p.users = make([]user, 0, len(cfg.Users))
	p.devices = make([]device, 0, len(cfg.Devices))
	for _, u := range cfg.Users {
		if u.Presence == "" {
			u.Presence = Available
		}
		u.Forks = slices.Clone(u.Forks)
		p.userByName[u.Name] = len(p.users)
		p.userByNumber[u.Number] = len(p.users)
		p.users = append(p.users, user{User: u})
	}
	for _, d := range cfg.Devices {
		ui := p.userByName[d.User]
		p.deviceByName[d.Name] = len(p.devices)
		p.users[ui].devices = append(p.users[ui].devices, len(p.devices))
		p.devices = append(p.devices, device{Device: d, user: ui})
	}
	return p, nil
}

// Quirk reports whether the named quirk is on for this PBX.
func (p *PBX) Quirk(name string) bool { return p.quirks[name] }

// Registered reports whether a device is registered, as far as the PBX knows.
func (p *PBX) Registered(deviceName string) bool {
	i, ok := p.deviceByName[deviceName]
	return ok && p.devices[i].registered
}

// ActiveCalls returns the IDs of the calls in progress, in arrival order.
func (p *PBX) ActiveCalls() []CallID {
	calls := slices.Collect(maps.Values(p.callByID))
	slices.SortFunc(calls, func(a, b *call) int { return cmp.Compare(a.seq, b.seq) })
	ids := make([]CallID, len(calls))
	for i, c := range calls {
		ids[i] = c.id
	}
	return ids
}

// Handle applies one input and returns the effects, in order. An input that
// names an unknown device or user, or a call ID already in use, is an error
// and changes nothing. Inputs about calls or legs that have ended are stale
// (a race the driver cannot avoid) and yield no effects and no error.
func (p *PBX) Handle(in Input) ([]Effect, error) {
	var out effects
	switch in := in.(type) {
	case DeviceRegistered:
		d, err := p.device(in.Device)
		if err != nil {
			return nil, err
		}
		p.deviceRegistered(&out, d)
	case DeviceUnregistered:
		d, err := p.device(in.Device)
		if err != nil {
			return nil, err
		}
		p.devices[d].registered = false
	case PushTokenDropped:
		d, err := p.device(in.Device)
		if err != nil {
			return nil, err
		}
		p.devices[d].PushToken = false
	case PushTokenRegistered:
		d, err := p.device(in.Device)
		if err != nil {
			return nil, err
		}
		p.devices[d].PushToken = true
	case Notify:
		u, ok := p.userByName[in.User]
		if !ok {
			return nil, fmt.Errorf("pbx: notification for unknown user %q", in.User)
		}
		p.notify(&out, u, in)
	case PresenceChanged:
		u, ok := p.userByName[in.User]
		if !ok {
			return nil, fmt.Errorf("pbx: presence of unknown user %q", in.User)
		}
		if in.Presence != Available && in.Presence != DND {
			return nil, fmt.Errorf("pbx: user %q: unknown presence %q", in.User, in.Presence)
		}
		p.users[u].Presence = in.Presence
	case PushObjectChanged:
		p.pushConnected = in.Connected
	case Reset:
		p.reset(&out)
	case PushObjectSet:
		// Created or changed: it connects anew, so it is down until it says so.
		p.pushObject, p.pushConnected = in.Name, false
	case CallArrived:
		if err := p.callArrived(&out, in); err != nil {
			return nil, err
		}
	case CallerReleased:
		if c := p.callByID[in.Call]; c != nil {
			p.endCall(&out, c, in.Cause, false)
		}
	case LegAlerted:
		if c := p.legCall[in.Leg]; c != nil && !c.connected && !c.alerted {
			c.alerted = true
			out.add(AlertCaller{Call: c.id})
			if p.noAnswerTimeout > 0 {
				// The limit runs from the first Alerting the caller gets;
				// forwards do not restart it.
				c.noAnswer = true
				out.add(node.SetTimer{ID: TimerID{TimerNoAnswer, c.id}.Node(), After: p.noAnswerTimeout})
			}
		}
	case LegConnected:
		if c := p.legCall[in.Leg]; c != nil {
			p.legConnected(&out, c, in.Leg)
		}
	case LegReleased:
		if c := p.legCall[in.Leg]; c != nil {
			p.legReleased(&out, c, in.Leg, in.Cause)
		}
	case PushFailed:
		d, err := p.device(in.Device)
		if err != nil {
			return nil, err
		}
		// Only a call still waiting for this device's registration cares.
		if c := p.callByID[in.Call]; c != nil && c.pushWait && slices.Contains(c.pushed, d) {
			out.record(EventPushFailed, timeline.A("call", int(c.id)), timeline.A("user", p.users[p.devices[d].user].Name),
				timeline.A("device", in.Device), timeline.A("reason", in.Reason))
		}
	case TimerFired:
		if c := p.callByID[in.ID.Call]; c != nil {
			p.timerFired(&out, c, in.ID.Kind)
		}
	case nil:
		return nil, fmt.Errorf("pbx: nil input")
	default:
		return nil, fmt.Errorf("pbx: unknown input %T", in)
	}
	return out, nil
}

func (p *PBX) device(name string) (int, error) {
	d, ok := p.deviceByName[name]
	if !ok {
		return 0, fmt.Errorf("pbx: unknown device %q", name)
	}
	return d, nil
}

// effects collects the effects of one Handle call.
type effects []Effect

func (e *effects) add(x ...Effect) { *e = append(*e, x...) }

func (e *effects) record(name string, attrs ...timeline.Attr) {
	*e = append(*e, node.Record{Name: name, Attrs: attrs})
}

// callArrived routes a new call by its dialled number.
func (p *PBX) callArrived(out *effects, in CallArrived) error {
	if _, dup := p.callByID[in.Call]; dup {
		return fmt.Errorf("pbx: call %d already in progress", in.Call)
	}
	from, err := p.device(in.From)
	if err != nil {
		return err
	}
	number := in.CallingNumber
	if number == "" {
		number = p.users[p.devices[from].user].Number
	}
	target, ok := p.userByNumber[in.Dialled]
	if !ok {
		// Nothing is kept for a call the PBX refuses outright.
		out.add(ReleaseCaller{Call: in.Call, Cause: CauseUnallocatedNumber})
		out.record(EventReleased, timeline.A("call", int(in.Call)), timeline.A("cause", CauseUnallocatedNumber))
		return nil
	}
	p.nextSeq++
	c := &call{id: in.Call, seq: p.nextSeq, caller: from, callingNumber: number}
	p.callByID[c.id] = c
	out.add(ProceedCaller{Call: c.id})
	// B17: the caller's number is resolved to a name; until that finishes,
	// Setups and pushes carry the number only.
	if p.nameLookup > 0 {
		c.nameWait = true
		out.add(node.SetTimer{ID: TimerID{TimerNameLookup, c.id}.Node(), After: p.nameLookup})
	} else {
		p.lookupName(c)
	}
	p.route(out, c, target)
	return nil
}

// lookupName resolves the calling number against the user directory: the
// calling device's display name when the number is its user's, else the
// number's user's display name, else its h323-ID.
func (p *PBX) lookupName(c *call) {
	c.nameKnown = true
	u, ok := p.userByNumber[c.callingNumber]
	if !ok {
		return
	}
	switch caller := &p.devices[c.caller]; {
	case caller.user == u && caller.Display != "":
		c.callingName = caller.Display
	case p.users[u].Display != "":
		c.callingName = p.users[u].Display
	default:
		c.callingName = p.users[u].Name
	}
}

// name is the name a Setup or push carries now: empty until the lookup ends.
func (c *call) name() string {
	if !c.nameKnown {
		return ""
	}
	return c.callingName
}

// deviceRegistered marks a device registered and lets it join every call
// still ringing for its user: a pushed app (B13) or an app joining desk
// phones that already ring (B14).
func (p *PBX) deviceRegistered(out *effects, d int) {
	p.devices[d].registered = true
	for _, c := range p.users[p.devices[d].user].waiting {
		if i := slices.Index(c.pushed, d); i >= 0 {
			c.pushed = slices.Delete(c.pushed, i, i+1)
			if len(c.pushed) == 0 && c.pushWait {
				c.pushWait = false
				out.add(node.CancelTimer{ID: TimerID{TimerRegistration, c.id}.Node()})
			}
		}
		if d != c.caller && !c.hasLeg(d) {
			p.startLeg(out, c, d)
		}
	}
}

func (c *call) hasLeg(d int) bool {
	for _, l := range c.legs {
		if l.device == d {
			return true
		}
	}
	return false
}

func (p *PBX) startLeg(out *effects, c *call, d int) {
	p.nextLeg++
	l := &leg{id: p.nextLeg, device: d, named: c.nameKnown}
	c.legs = append(c.legs, l)
	p.legCall[l.id] = c
	dev := &p.devices[d]
	out.add(StartLeg{
		Call:          c.id,
		Leg:           l.id,
		Device:        dev.Name,
		CallingNumber: c.callingNumber,
		CallingName:   c.name(),
		// B27 (12r2): a DND user's call is signalled but must not ring.
		// Without the quirk the device applies DND itself (route).
		Silent: p.quirks[QuirkDNDSilent] && p.users[dev.user].Presence == DND,
	})
}

// legConnected: first answer wins (B14); the other legs are cleared with
// cause 26 "non-selected user clearing".
func (p *PBX) legConnected(out *effects, c *call, id LegID) {
	if c.connected {
		if id != c.answered { // a late answer loses; a repeated Connect is ignored
			p.dropLeg(out, c, id, CauseNonSelectedUserClearing)
		}
		return
	}
	c.connected = true
	c.answered = id
	p.setTargets(c, nil) // a connected call waits for nobody
	for _, l := range c.legs {
		if l.id == id {
			c.answeredBy = l.device
		}
	}
	out.add(ConnectCaller{Call: c.id, Leg: id})
	p.cancelWaits(out, c)
	p.cancelNoAnswer(out, c)
	for _, l := range slices.Clone(c.legs) {
		if l.id != id {
			p.dropLeg(out, c, l.id, CauseNonSelectedUserClearing)
		}
	}
	p.devices[c.caller].connected++
	p.devices[c.answeredBy].connected++
}

// legReleased handles a leg the device cleared or that failed.
func (p *PBX) legReleased(out *effects, c *call, id LegID, cause int) {
	if c.connected {
		if id == c.answered {
			// The callee hung up: clear the caller normally.
			p.forgetLeg(c, id)
			p.endCall(out, c, CauseNormalClearing, true)
		}
		return
	}
	p.forgetLeg(c, id)
	c.lastCause = cause
	p.checkExhausted(out, c)
}

// checkExhausted ends or forwards a call that has nothing left ringing and
// awaits no registration.
func (p *PBX) checkExhausted(out *effects, c *call) {
	if len(c.legs) > 0 || len(c.pushed) > 0 {
		return
	}
	u := &p.users[c.primary]
	switch {
	case c.lastCause == CauseUserBusy && u.CFB != nil:
		p.forward(out, c, ForwardReasonCFB, u.CFB.To)
	case c.lastCause == CauseUserBusy || c.lastCause == CauseCallRejected:
		p.endCall(out, c, c.lastCause, true)
	case u.CFNR != nil:
		// Nothing rings any more, but a forward applies: run it now rather
		// than leave the caller waiting for the timer (model choice).
		p.forward(out, c, ForwardReasonCFNR, u.CFNR.To)
	case c.lastCause != causeNone:
		p.endCall(out, c, c.lastCause, true)
	default:
		p.endCall(out, c, CauseNoUserResponding, true)
	}
}

func (p *PBX) timerFired(out *effects, c *call, kind TimerKind) {
	switch kind {
	case TimerNameLookup:
		if !c.nameWait {
			return
		}
		c.nameWait = false
		p.lookupName(c)
		// B17: the name reaches legs whose Setup went out without it (iOS
		// shows it, Android keeps the number).
		for _, l := range c.legs {
			if !l.named {
				l.named = true
				if c.callingName != "" {
					out.add(UpdateCallerName{Call: c.id, Leg: l.id, Name: c.callingName})
				}
			}
		}
	case TimerRegistration:
		if !c.pushWait || c.connected {
			return
		}
		c.pushWait = false
		c.pushed = nil
		// B12: the app did not register in time.
		out.record(EventPushTimeout, timeline.A("call", int(c.id)), timeline.A("user", p.users[c.primary].Name))
		if len(c.legs) > 0 {
			return // B14: other devices keep ringing
		}
		if u := &p.users[c.primary]; u.CFNR != nil {
			p.forward(out, c, ForwardReasonCFNR, u.CFNR.To)
			return
		}
		p.endCall(out, c, CauseNoUserResponding, true)
	case TimerCFNR:
		if !c.cfnrWait || c.connected {
			return
		}
		c.cfnrWait = false
		p.forward(out, c, ForwardReasonCFNR, p.users[c.primary].CFNR.To)
	case TimerNoAnswer:
		if !c.noAnswer || c.connected {
			return
		}
		c.noAnswer = false
		// B32: rung too long; every leg is cleared, the caller gets 19.
		p.endCall(out, c, CauseNoAnswer, true)
	}
}

// cancelNoAnswer cancels the no-answer limit of a call (answered or ended).
func (p *PBX) cancelNoAnswer(out *effects, c *call) {
	if c.noAnswer {
		c.noAnswer = false
		out.add(node.CancelTimer{ID: TimerID{TimerNoAnswer, c.id}.Node()})
	}
}

// cancelWaits cancels the routing timers of a call (not the name lookup,
// which still updates an answered leg).
func (p *PBX) cancelWaits(out *effects, c *call) {
	if c.pushWait {
		c.pushWait = false
		out.add(node.CancelTimer{ID: TimerID{TimerRegistration, c.id}.Node()})
	}
	if c.cfnrWait {
		c.cfnrWait = false
		out.add(node.CancelTimer{ID: TimerID{TimerCFNR, c.id}.Node()})
	}
	c.pushed = nil
}

// dropLeg releases a leg from the PBX side and forgets it.
func (p *PBX) dropLeg(out *effects, c *call, id LegID, cause int) {
	out.add(ReleaseLeg{Call: c.id, Leg: id, Cause: cause})
	p.forgetLeg(c, id)
}

func (p *PBX) forgetLeg(c *call, id LegID) {
	delete(p.legCall, id)
	c.legs = slices.DeleteFunc(c.legs, func(l *leg) bool { return l.id == id })
}

// endCall clears everything of a call. toCaller says whether the caller must
// be sent Release Complete (false when the caller released).
func (p *PBX) endCall(out *effects, c *call, cause int, toCaller bool) {
	p.cancelWaits(out, c)
	p.cancelNoAnswer(out, c)
	if c.nameWait {
		c.nameWait = false
		out.add(node.CancelTimer{ID: TimerID{TimerNameLookup, c.id}.Node()})
	}
	for _, l := range slices.Clone(c.legs) {
		p.dropLeg(out, c, l.id, CauseNormalClearing)
	}
	if c.connected {
		p.devices[c.caller].connected--
		p.devices[c.answeredBy].connected--
	}
	if toCaller {
		out.add(ReleaseCaller{Call: c.id, Cause: cause})
	}
	out.record(EventReleased, timeline.A("call", int(c.id)), timeline.A("cause", cause))
	delete(p.callByID, c.id)
	p.setTargets(c, nil)
}

// reset forgets every call and registration (a restart).
func (p *PBX) reset(out *effects) {
	calls := slices.Collect(maps.Values(p.callByID))
	slices.SortFunc(calls, func(a, b *call) int { return cmp.Compare(a.seq, b.seq) })
	for _, c := range calls {
		p.cancelWaits(out, c)
		p.cancelNoAnswer(out, c)
		if c.nameWait {
			c.nameWait = false
			out.add(node.CancelTimer{ID: TimerID{TimerNameLookup, c.id}.Node()})
		}
	}
	p.callByID, p.legCall = map[CallID]*call{}, map[LegID]*call{}
	for i := range p.users {
		p.users[i].waiting = nil
	}
	for i := range p.devices {
		p.devices[i].registered, p.devices[i].connected = false, 0
	}
	p.pushConnected = false
}

// setTargets replaces the users whose devices may join call c, keeping each
// user's waiting list in arrival order.
func (p *PBX) setTargets(c *call, targets []int) {
	for _, t := range c.targets {
		w := &p.users[t].waiting
		if i := slices.Index(*w, c); i >= 0 {
			*w = slices.Delete(*w, i, i+1)
		}
	}
	c.targets = c.targets[:0]
	for _, t := range targets {
		p.addTarget(c, t)
	}
}

// addTarget adds user t to the targets of call c (once).
func (p *PBX) addTarget(c *call, t int) {
	if slices.Contains(c.targets, t) {
		return
	}
	c.targets = append(c.targets, t)
	w := &p.users[t].waiting
	i, _ := slices.BinarySearchFunc(*w, c.seq, func(x *call, seq uint64) int { return cmp.Compare(x.seq, seq) })
	*w = slices.Insert(*w, i, c)
}
