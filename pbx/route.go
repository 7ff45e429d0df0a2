package pbx

import (
	"slices"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// route delivers call c to user target: forwards and presence first, then
// every registered device rings and every sleeping app is pushed.
func (p *PBX) route(out *effects, c *call, target int) {
	c.primary = target
	p.setTargets(c, nil)
	c.lastCause = causeNone
	u := &p.users[target]

	if u.CFU != nil {
		p.forward(out, c, ForwardReasonCFU, u.CFU.To)
		return
	}
	if p.userBusy(target) {
		// No call waiting is modelled: a user in a connected call is busy.
		if u.CFB != nil {
			p.forward(out, c, ForwardReasonCFB, u.CFB.To)
			return
		}
		p.endCall(out, c, CauseUserBusy, true)
		return
	}
	// B27: the PBX does not apply DND itself. With the 12r2 quirk
	// dnd_silent a DND user's calls are signalled silent (startLeg); from
	// 13r1 the devices apply their user's DND and refuse the call as busy,
	// so a busy forward or cause 17 follows (checkExhausted). Either way the
	// apps are pushed as usual: that is why 15r1 needs its rule "DND, then
	// close the app" (dnd_closed_stops_wake, applied by the phone).

	// B16: forks add users (possibly the target itself) whose devices ring
	// and whose apps are pushed. A forked user's own forwards do not apply
	// (model choice).
	p.addTarget(c, target)
	var forkUsers []int
	for _, number := range u.Forks {
		fu, ok := p.userByNumber[number]
		if !ok || slices.Contains(forkUsers, fu) {
			continue
		}
		forkUsers = append(forkUsers, fu)
		p.addTarget(c, fu)
	}

	// B14: registered devices ring at once.
	for _, t := range c.targets {
		for _, d := range p.users[t].devices {
			if p.devices[d].registered && d != c.caller && !c.hasLeg(d) {
				p.startLeg(out, c, d)
			}
		}
	}

	// B15: with the quirk, CFNR configured and none of the target's devices
	// registered, the direct call does not push. A fork to the user's own
	// number still does (B16, the documented workaround).
	pushDirect := !(p.quirks[QuirkCFNRSkipsPush] && u.CFNR != nil && !p.anyRegistered(target))
	var pushUsers []int
	if pushDirect {
		pushUsers = append(pushUsers, target)
	} else if !slices.Contains(forkUsers, target) && p.hasApps(target) {
		out.record(EventPushSkipped, timeline.A("call", int(c.id)), timeline.A("user", u.Name), timeline.A("reason", SkipCFNRSkipsPush))
	}
	for _, fu := range forkUsers {
		if !slices.Contains(pushUsers, fu) {
			pushUsers = append(pushUsers, fu)
		}
	}
	for _, pu := range pushUsers {
		p.pushUser(out, c, pu)
	}

	if len(c.legs) == 0 && len(c.pushed) == 0 {
		// Nothing can ring: B15's CFNR at once, or no user responding.
		if u.CFNR != nil {
			p.forward(out, c, ForwardReasonCFNR, u.CFNR.To)
			return
		}
		p.endCall(out, c, CauseNoUserResponding, true)
		return
	}
	if len(c.pushed) > 0 {
		// B11/B12: wait for the app's registration.
		c.pushWait = true
		out.add(node.SetTimer{ID: TimerID{TimerRegistration, c.id}.Node(), After: p.registrationTimeout})
	}
	if u.CFNR != nil {
		c.cfnrWait = true
		out.add(node.SetTimer{ID: TimerID{TimerCFNR, c.id}.Node(), After: u.CFNR.After})
	}
}

// notify pushes a notification to each of the user's apps the PBX can
// reach by push, registered or not: a message is not a call, so nothing
// waits for a registration and nothing is recorded when an app cannot be
// pushed.
func (p *PBX) notify(out *effects, ui int, in Notify) {
	u := &p.users[ui]
	if u.Push == "" || p.pushObject == "" || u.Push != p.pushObject || !p.pushConnected {
		return
	}
	for _, d := range u.devices {
		dev := &p.devices[d]
		if !dev.Kind.isApp() || !dev.PushToken {
			continue
		}
		out.add(SendPush{User: u.Name, Device: dev.Name, Platform: dev.Platform, Type: PushTypeNotification,
			Title: in.Title, Content: in.Content})
	}
}

// pushUser sends a call push to each of the user's apps that is not
// registered, or records why it cannot (B10, B26, model choices).
func (p *PBX) pushUser(out *effects, c *call, ui int) {
	u := &p.users[ui]
	for _, d := range u.devices {
		dev := &p.devices[d]
		if !dev.Kind.isApp() || dev.registered || d == c.caller || slices.Contains(c.pushed, d) {
			continue
		}
		reason := ""
		switch {
		case u.Push == "":
			reason = SkipNoPushField
		case p.pushObject == "" || u.Push != p.pushObject: // case-sensitive, B10
			reason = SkipNoPushObject
		case !p.pushConnected:
			reason = SkipPushDisconnect
		case !dev.PushToken:
			reason = SkipNoToken
		}
		if reason != "" {
			out.record(EventPushSkipped, timeline.A("call", int(c.id)), timeline.A("user", u.Name),
				timeline.A("device", dev.Name), timeline.A("reason", reason))
			continue
		}
		out.add(SendPush{
			Call:     c.id,
			User:     u.Name,
			Device:   dev.Name,
			Platform: dev.Platform,
			Type:     PushTypeCall,
			Number:   c.callingNumber,
			Name:     c.name(), // B17: number only while the lookup runs
		})
		c.pushed = append(c.pushed, d)
	}
}

// forward records the forward, clears what rings and routes to the number.
func (p *PBX) forward(out *effects, c *call, reason, to string) {
	out.record(EventForwarded, timeline.A("call", int(c.id)), timeline.A("reason", reason), timeline.A("to", to))
	p.cancelWaits(out, c)
	for _, l := range slices.Clone(c.legs) {
		p.dropLeg(out, c, l.id, CauseNormalClearing)
	}
	c.hops++
	if c.hops > maxForwardHops {
		p.endCall(out, c, CauseNormalUnspecified, true)
		return
	}
	t, ok := p.userByNumber[to]
	if !ok {
		p.endCall(out, c, CauseUnallocatedNumber, true)
		return
	}
	p.route(out, c, t)
}

func (p *PBX) userBusy(ui int) bool {
	for _, d := range p.users[ui].devices {
		if p.devices[d].connected > 0 {
			return true
		}
	}
	return false
}

func (p *PBX) anyRegistered(ui int) bool {
	for _, d := range p.users[ui].devices {
		if p.devices[d].registered {
			return true
		}
	}
	return false
}

func (p *PBX) hasApps(ui int) bool {
	for _, d := range p.users[ui].devices {
		if p.devices[d].Kind.isApp() {
			return true
		}
	}
	return false
}
