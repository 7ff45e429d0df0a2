package realnet

import (
	"io"
	"net/netip"
	"slices"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// causeTemporaryFailure (Q.850 41): the connection dropped without a
// Release Complete.
const causeTemporaryFailure = 41

// causeCallRejected (Q.850 21) is what the phone answers a call with when
// its gatekeeper refused admission to answer it (ARJ).
const causeCallRejected = 21

// accept takes a call-signalling connection; its first Setup starts a leg.
// A connection that sends something else first is logged and ignored until
// it sends a Setup (H.225.0 connections may open with an empty TPKT or a
// Facility of another stack's own making).
func (n *phoneNode) accept(c *Conn) {
	l := &incomingLeg{conn: c}
	c.OnMessage(func(msg []byte) {
		if len(msg) == 0 {
			return // an empty TPKT: a keep-alive (H.225.0), not a message
		}
		n.trace.ReceivedQ931(c, msg)
		if l.leg == nil {
			crv, _, typ, err := h323.PeekCallReference(msg)
			if err != nil || typ != byte(q931.Setup) {
				n.loop.Log.Debug().Stringer("remote", c.RemoteAddr()).Msg("message before a Setup ignored")
				return
			}
			if n.finished {
				c.Close()
				return
			}
			n.nextRef++
			l.ref, l.crv = n.nextRef, crv
			l.leg = h323.NewLeg(h323.LegConfig{Local: c.LocalAddr(), Remote: c.RemoteAddr()})
			n.incoming = append(n.incoming, l)
		}
		n.legDo(l, l.leg.HandleMessage(msg))
		if l.leg.State() == h323.StateReleased && !l.done {
			// The leg cleared a call the phone never saw (a malformed Setup).
			n.legEnded(l)
		}
	})
	c.OnClose(func(err error) {
		if l.leg == nil || l.done {
			l.done = true
			return
		}
		n.legEnded(l)
		n.released(l, causeTemporaryFailure)
	})
}

// legOf returns the live incoming leg of a call.
func (n *phoneNode) legOf(ref phone.CallRef) *incomingLeg {
	for _, l := range n.incoming {
		if l.ref == ref && !l.done {
			return l
		}
	}
	return nil
}

// legEnded marks an incoming leg done, closes its connection and forgets
// it; an admitted call is disengaged (DRQ).
func (n *phoneNode) legEnded(l *incomingLeg) {
	l.done = true
	l.conn.Close()
	n.incoming = slices.DeleteFunc(n.incoming, func(x *incomingLeg) bool { return x == l })
	if l.admitted {
		l.admitted = false
		n.rasDo(n.ep.Disengage(n.loop.Now(), l.info))
	}
}

// released tells the phone core that the caller's side ended a call, unless
// the core never saw it (its admission was still being asked).
func (n *phoneNode) released(l *incomingLeg, cause int) {
	if l.waiting == nil {
		n.handle(phone.CallReleased{Call: l.ref, Cause: cause})
	}
}

// askAdmission tells whether an incoming call is admitted (ARQ answerCall)
// before the phone core sees it.
func (n *phoneNode) askAdmission() bool {
	switch n.cfg.AnswerAdmission {
	case AnswerAdmissionAlways:
		return true
	case AnswerAdmissionNever:
		return false
	}
	return !n.ep.AnswerPreGranted()
}

// answerAdmitted: the ACF to answer a call came; the phone core gets the call.
func (n *phoneNode) answerAdmitted(call ras.CallInfo) {
	for _, l := range n.incoming {
		if l.waiting != nil && l.info.CallID == call.CallID && !l.done {
			l.admitted = true
			in := *l.waiting
			l.waiting = nil
			n.handle(in)
			return
		}
	}
	// The caller gave up while admission was asked: the gatekeeper
	// admitted a call that is over, so it is disengaged at once.
	n.rasDo(n.ep.Disengage(n.loop.Now(), call))
}

// answerRejected: the gatekeeper refused admission to answer (ARJ): the
// call is released with cause 21 "call rejected", without ringing.
func (n *phoneNode) answerRejected(call ras.CallInfo, reason string) {
	for _, l := range n.incoming {
		if l.waiting != nil && l.info.CallID == call.CallID && !l.done {
			n.trace.Add(Local, "call.not_admitted", []timeline.Attr{timeline.A("reason", reason)}, nil)
			n.legDo(l, l.leg.Release(causeCallRejected))
			n.legEnded(l)
			return
		}
	}
}

// legDo carries out an incoming leg's effects.
func (n *phoneNode) legDo(l *incomingLeg, effects []h323.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case h323.Send:
			n.trace.SentQ931(l.conn, e)
			if err := l.conn.Send(e.Payload); err != nil {
				n.loop.Log.Warn().Err(err).Str("message", e.Event).Msg("q931 send")
			}
		case h323.PeerSetup:
			// The phone core goes from Setup straight to Alerting; an H.323
			// endpoint first says Call Proceeding (it will not send more
			// digits), which the driver does.
			n.legDo(l, l.leg.CallProceeding())
			in := phone.IncomingCall{Call: l.ref, Number: e.CallingNumber, Name: e.CallingName, Silent: e.Silent}
			if !n.askAdmission() {
				n.handle(in)
				continue
			}
			// H.323 8.1: a registered endpoint asks its gatekeeper before it
			// answers (rings), unless the RCF pre-granted it.
			l.waiting = &in
			l.info = ras.CallInfo{Answer: true, CallID: e.CallID, ConferenceID: e.ConferenceID,
				CallReference: l.crv, Calling: e.CallingNumber}
			n.rasDo(n.ep.Admit(n.loop.Now(), l.info))
		case h323.PeerFacility:
			if e.Display != "" && !l.done {
				if l.waiting != nil {
					l.waiting.Name = e.Display // the core gets it with the call
					continue
				}
				n.handle(phone.CallerNameUpdated{Call: l.ref, Name: e.Display})
			}
		case h323.PeerReleased:
			if !l.done {
				n.legEnded(l)
				n.released(l, e.Cause)
			}
		case h323.ProtocolError:
			n.trace.Add(Local, "q931.protocol_error", []timeline.Attr{timeline.A("peer", l.conn.RemoteAddr()), timeline.A("error", e.Err.Error())}, nil)
		}
	}
}

// placeCall asks admission for the configured call.
func (n *phoneNode) placeCall() {
	var ids [34]byte
	if _, err := io.ReadFull(n.cfg.Random, ids[:]); err != nil {
		n.callFailed("random: " + err.Error())
		return
	}
	info := ras.CallInfo{Destination: n.cfg.Call, CallReference: (uint16(ids[32])<<8|uint16(ids[33]))%0x7fff + 1}
	copy(info.CallID[:], ids[:16])
	copy(info.ConferenceID[:], ids[16:32])
	n.out = &outgoingCall{info: info}
	n.trace.Add(Local, "call.placing", []timeline.Attr{timeline.A("to", n.cfg.Call)}, nil)
	n.rasDo(n.ep.Admit(n.loop.Now(), info))
}

// dial connects to the ACF's call-signalling address (the gatekeeper's from
// the RCF, or its RAS IP on 1720, when the ACF had none usable).
func (n *phoneNode) dial(call ras.CallInfo, to netip.AddrPort) {
	oc := n.out
	if oc == nil || oc.done || oc.leg != nil || oc.info.CallID != call.CallID {
		return
	}
	if !to.IsValid() || to.Addr().IsUnspecified() {
		to = n.rcfSignal
	}
	if !to.IsValid() {
		to = netip.AddrPortFrom(n.cfg.Gatekeeper.Addr(), 1720)
	}
	Dial(n.loop, to, DialTimeout, func(c *Conn, err error) {
		if err != nil {
			n.loop.Log.Warn().Err(err).Stringer("to", to).Msg("call signalling dial")
			n.outEnded() // admitted, so disengage
			n.callFailed("dial: " + err.Error())
			return
		}
		if oc.done {
			c.Close()
			return
		}
		oc.conn = c
		c.OnMessage(func(msg []byte) {
			if len(msg) == 0 {
				return // an empty TPKT keep-alive
			}
			n.trace.ReceivedQ931(c, msg)
			n.outDo(oc.leg.HandleMessage(msg))
		})
		c.OnClose(func(error) { n.outEnded() })
		oc.leg = h323.NewLeg(h323.LegConfig{
			Outgoing: true, CallReference: oc.info.CallReference, CallID: oc.info.CallID, ConferenceID: oc.info.ConferenceID,
			CallingNumber: n.cfg.Number, CalledNumber: n.cfg.Call, SourceAlias: n.cfg.Alias,
			Local: c.LocalAddr(), Remote: c.RemoteAddr(),
		})
		n.outDo(oc.leg.Setup())
		n.startCallTimer(timerT303, n.cfg.SetupTimeout)
	})
}

// causeRecoveryOnTimerExpiry (Q.850 102) clears a call whose peer did not
// answer in time.
const causeRecoveryOnTimerExpiry = 102

// startCallTimer sets a Q.931 timer of the placed call, if configured.
func (n *phoneNode) startCallTimer(id driverTimer, after time.Duration) {
	if after <= 0 {
		return
	}
	name := "T303"
	if id == timerT310 {
		name = "T310"
	}
	n.driverTimers.Set(id, after, func() {
		oc := n.out
		if oc == nil || oc.done || oc.leg == nil {
			return
		}
		n.trace.Add(Local, "q931.timer_expired", []timeline.Attr{timeline.A("timer", name)}, nil)
		n.outDo(oc.leg.Release(causeRecoveryOnTimerExpiry))
		oc.conn.Close()
		n.outEnded()
	})
}

// stopCallTimers stops the placed call's Q.931 timers.
func (n *phoneNode) stopCallTimers() {
	n.driverTimers.Cancel(timerT303)
	n.driverTimers.Cancel(timerT310)
}

// outDo carries out the placed call's leg effects.
func (n *phoneNode) outDo(effects []h323.Effect) {
	oc := n.out
	for _, e := range effects {
		switch e := e.(type) {
		case h323.Send:
			n.trace.SentQ931(oc.conn, e)
			if err := oc.conn.Send(e.Payload); err != nil {
				n.loop.Log.Warn().Err(err).Str("message", e.Event).Msg("q931 send")
			}
			if e.Event == q931.ReleaseComplete.EventName() {
				n.result.ReleaseCause = releaseCauseOf(e.Attrs)
			}
		case h323.PeerCallProceeding:
			n.driverTimers.Cancel(timerT303)
			n.startCallTimer(timerT310, n.cfg.ProceedingTimeout)
		case h323.PeerAlerting, h323.PeerProgress:
			n.stopCallTimers()
		case h323.PeerConnect:
			n.stopCallTimers()
			if !n.result.Connected && n.cfg.HangupAfter > 0 {
				n.driverTimers.Set(timerHangup, n.cfg.HangupAfter, n.hangUp)
			}
			n.result.Connected = true
		case h323.PeerReleased:
			n.result.ReleaseCause = e.Cause
			oc.conn.Close()
			n.outEnded()
		case h323.ProtocolError:
			n.trace.Add(Local, "q931.protocol_error", []timeline.Attr{timeline.A("peer", oc.conn.RemoteAddr()), timeline.A("error", e.Err.Error())}, nil)
		}
	}
}

func releaseCauseOf(attrs []timeline.Attr) int {
	for _, a := range attrs {
		if a.Key == "cause" {
			cause := 0
			for _, d := range a.Value {
				if d < '0' || d > '9' {
					return 0
				}
				cause = cause*10 + int(d-'0')
			}
			return cause
		}
	}
	return 0
}

// hangUp: the caller ends the placed call with Release Complete 16.
func (n *phoneNode) hangUp() {
	oc := n.out
	if oc == nil || oc.done || oc.leg == nil {
		return
	}
	n.outDo(oc.leg.Release(causeNormalClearing))
	oc.conn.Close()
	n.outEnded()
}

// outEnded: the placed call is over; the endpoint disengages (DRQ).
func (n *phoneNode) outEnded() {
	oc := n.out
	if oc == nil || oc.done {
		return
	}
	oc.done = true
	n.driverTimers.Cancel(timerHangup)
	n.stopCallTimers()
	n.rasDo(n.ep.Disengage(n.loop.Now(), oc.info))
}

// callFailed: the placed call did not happen; the run ends.
func (n *phoneNode) callFailed(reason string) {
	if n.result.CallFailure == "" {
		n.result.CallFailure = reason
	}
	n.trace.Add(Local, "call.not_placed", []timeline.Attr{timeline.A("to", n.cfg.Call), timeline.A("reason", reason)}, nil)
	if n.out != nil && n.out.conn == nil {
		n.out.done = true
	}
	n.finish()
}
