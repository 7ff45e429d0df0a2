package phone

import (
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// incomingCall handles a Setup: ring (and alert) or refuse.
func (p *Phone) incomingCall(out *effects, in IncomingCall) {
	if p.call != nil || p.cfg.Answer.Mode == AnswerRejectBusy || p.cfg.Presence == DND && !in.Silent {
		// One call at a time (no call waiting); a user set to reject, or in
		// DND on a PBX that leaves DND to its devices (13r1 and later, B27),
		// refuses at once as busy, without ringing (model choice). A 12r2
		// PBX marks a DND call silent instead: it rings silently.
		out.add(SendRelease{Call: in.Call, Cause: CauseUserBusy})
		p.takeNote(in.Call)
		p.armIdle(out) // a woken app goes back to sleep (B29)
		return
	}
	p.disarmIdle(out)
	c := &activeCall{id: in.Call, number: in.Number, name: in.Name}
	note, pushed := p.takeNote(in.Call)
	if pushed {
		// The call was first shown from the push (B17, B08).
		c.number, c.name = note.number, note.name
		c.frozen = p.cfg.OS == Android
	}
	p.call = c
	// B23: without "Overlaying" Android rings but shows no call screen
	// unless the app is open anyway.
	ui := !(p.isApp() && p.cfg.OS == Android && !p.cfg.Android.Overlay && p.app != Foreground)
	dev := timeline.A("device", p.cfg.Device)
	out.record(EventRinging, dev, timeline.A("number", c.number), timeline.A("name", c.name),
		timeline.A("ui", ui), timeline.A("silent", in.Silent))
	out.add(SendAlerting{Call: in.Call})
	if pushed && !c.frozen {
		// iOS updates the call CallKit showed from the push (B17).
		p.updateCaller(out, in.Number, in.Name)
	}
	// A silent call (B27, 12r2 DND) does not ring, so the user does not
	// notice it and does not answer (model choice).
	if p.cfg.Answer.Mode == AnswerAfter && !in.Silent {
		c.answerTimer = true
		out.add(node.SetTimer{ID: TimerID{TimerAnswer, c.id}.Node(), After: p.cfg.Answer.After})
	}
	if p.cfg.Answer.Mode == AnswerDecline && !in.Silent {
		// The user sees the call and declines it at once (model choice:
		// no reaction time); the phone is free again.
		out.add(SendRelease{Call: in.Call, Cause: CauseCallRejected})
		p.call = nil
		p.armIdle(out)
	}
}

// updateCaller shows a better number or name if the screen may change.
func (p *Phone) updateCaller(out *effects, number, name string) {
	c := p.call
	if c.frozen {
		return
	}
	changed := false
	if number != "" && number != c.number {
		c.number, changed = number, true
	}
	if name != "" && name != c.name {
		c.name, changed = name, true
	}
	if changed {
		out.record(EventCallerUpdated, timeline.A("device", p.cfg.Device), timeline.A("number", c.number), timeline.A("name", c.name))
	}
}

func (p *Phone) nameUpdated(out *effects, in CallerNameUpdated) {
	if p.call == nil || p.call.id != in.Call {
		return
	}
	p.updateCaller(out, "", in.Name)
}

func (p *Phone) answer(out *effects, id CallRef) {
	c := p.call
	if c == nil || c.id != id || !c.answerTimer || c.connected {
		return
	}
	c.answerTimer = false
	c.connected = true
	out.record(EventAnswered, timeline.A("device", p.cfg.Device))
	out.add(SendConnect{Call: id})
}

func (p *Phone) callReleased(out *effects, in CallReleased) {
	p.takeNote(in.Call)
	c := p.call
	if c == nil || c.id != in.Call {
		return
	}
	if c.answerTimer {
		out.add(node.CancelTimer{ID: TimerID{TimerAnswer, c.id}.Node()})
	}
	p.call = nil
	p.armIdle(out)
}
