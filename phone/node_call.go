package phone

import (
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// Q.850 causes the node sends besides the core's.
const (
	causeTemporaryFailure      = 41  // the connection dropped without Release Complete
	causeRecoveryOnTimerExpiry = 102 // T303 or T310 ran out
)

// call is one call leg of the phone: a call the PBX offers (incoming) or
// one the phone places.
type call struct {
	id       uint64 // names the call's timers
	incoming bool
	ref      CallRef // the decision core's name of an incoming call
	conn     node.ConnID
	shared   bool // on the H.460.17 connection, which outlives the call
	leg      *h323.Leg
	info     ras.CallInfo // what ARQ and DRQ say about it
	admitted bool         // an ACF came: a DRQ follows the end
	// waiting holds an incoming call while its admission is asked: the
	// core sees it once the ACF came.
	waiting *IncomingCall
	// held: the Setup came while the phone's RRQ waited for its RCF; the
	// admission is asked once the registration is settled. On a real
	// network the PBX's Setup (TCP) can overtake the RCF it sent first
	// (UDP) to an app that just woke.
	held        bool
	done        bool
	connected   bool
	hangupAfter time.Duration
	giveUp      time.Duration // after the Setup (PlaceCall.HangupAfterSetup)
	h245        callH245      // its separate H.245 connection
}

func (n *Node) callByID(id uint64) *call {
	for _, c := range n.calls {
		if c.id == id {
			return c
		}
	}
	return nil
}

// incomingCall returns the live incoming call the core names ref.
func (n *Node) incomingCall(ref CallRef) *call {
	for _, c := range n.calls {
		if c.incoming && c.ref == ref && !c.done && c.leg != nil && c.waiting == nil {
			return c
		}
	}
	return nil
}

// refOf names a call identifier for the core, the same for the push that
// announced a call and the Setup that brings it.
func (n *Node) refOf(guid [16]byte) CallRef {
	for _, r := range n.refs {
		if r.guid == guid {
			return r.ref
		}
	}
	n.nextRef++
	if len(n.refs) == 2*maxNotes {
		n.refs = append(n.refs[:0], n.refs[1:]...)
	}
	n.refs = append(n.refs, guidRef{guid: guid, ref: n.nextRef})
	return n.nextRef
}

// signalMessage routes a call-signalling message: to the leg of its
// connection (or, on the H.460.17 connection, of its call reference), or,
// when it is a Setup on a connection without one, to a new incoming leg.
func (n *Node) signalMessage(now time.Time, in node.Message) {
	shared := n.tunnel.up && in.Conn == n.tunnel.conn
	var c *call
	if shared {
		ref, fromOriginator, _, err := h323.PeekCallReference(in.Payload)
		if err != nil {
			return
		}
		for i := len(n.calls) - 1; i >= 0; i-- {
			x := n.calls[i]
			if x.conn == in.Conn && x.leg != nil && x.incoming == fromOriginator && x.leg.Config().CallReference == ref {
				c = x
				break
			}
		}
	} else {
		for _, x := range n.calls {
			if x.conn == in.Conn && !x.shared {
				c = x
				break
			}
		}
	}
	if c == nil {
		if _, ok := isSetup(in.Payload); !ok {
			return // a message before a Setup, or for a call that ended
		}
		if !shared && !n.isAccepted(in.Conn) {
			return // a connection the phone refused (a stranger's)
		}
		if n.stopping || n.ep == nil {
			// Stopping, or never started (a socket failed to bind): without
			// a RAS endpoint there is no admission to ask, so no call.
			if !shared {
				n.emit(node.Close{Conn: in.Conn})
			}
			return
		}
		c = n.newCall(true)
		c.conn, c.shared = in.Conn, shared
		local, remote := n.addrsOf(in.Conn)
		if shared {
			local, remote = n.tunnel.local, n.tunnel.remote
		}
		c.leg = h323.NewLeg(h323.LegConfig{Local: local, Remote: remote, MaintainConnection: shared, H245: n.h245Config(c, local)})
	}
	if c.done {
		return
	}
	n.legDo(now, c, c.leg.HandleMessage(in.Payload))
	if c.leg.State() == h323.StateReleased && !c.done {
		n.endCall(now, c) // the leg cleared a call the core never saw (a malformed Setup)
	}
}

func (n *Node) newCall(incoming bool) *call {
	n.nextDial++ // one counter names dials and calls alike
	c := &call{id: n.nextDial, incoming: incoming}
	n.calls = append(n.calls, c)
	return c
}

// askAdmission tells whether an incoming call is admitted (ARQ answerCall)
// before the core sees it (H.323 8.1).
func (n *Node) askAdmission() bool {
	switch n.cfg.Admission {
	case AdmissionAlways:
		return true
	case AdmissionNever:
		return false
	}
	return !n.ep.AnswerPreGranted()
}

// legDo carries out a call leg's effects.
func (n *Node) legDo(now time.Time, c *call, effects []h323.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case h323.Send:
			n.emit(node.Send{Conn: c.conn, Payload: e.Payload, Event: node.Event{Name: e.Event, Attrs: e.Attrs, Protocol: "q931"}})
			if !c.incoming && e.Event == q931.ReleaseComplete.EventName() {
				n.result.ReleaseCause = causeOf(e.Attrs)
			}
		case h323.PeerSetup:
			n.peerSetup(now, c, e)
		case h323.PeerFacility:
			if e.Display == "" || c.done || !c.incoming {
				continue
			}
			if c.waiting != nil {
				c.waiting.Name = e.Display // the core gets it with the call
				continue
			}
			n.coreDo(now, CallerNameUpdated{Call: c.ref, Name: e.Display})
		case h323.PeerCallProceeding:
			n.emit(node.CancelTimer{ID: c.timer(timerT303)})
			n.armQ931(c, timerT310, n.cfg.ProceedingTimeout)
		case h323.PeerAlerting, h323.PeerProgress:
			n.stopQ931(c)
		case h323.PeerConnect:
			n.stopQ931(c)
			if !c.incoming && !c.connected && c.hangupAfter > 0 {
				n.emit(node.SetTimer{ID: c.timer(timerHangup), After: c.hangupAfter})
			}
			if !c.incoming {
				c.connected = true
				n.result.Connected = true
			}
		case h323.PeerReleased:
			if c.done {
				continue
			}
			if !c.incoming {
				n.result.ReleaseCause = e.Cause
			}
			told := c.incoming && c.waiting == nil
			n.endCall(now, c)
			if told {
				n.coreDo(now, CallReleased{Call: c.ref, Cause: e.Cause})
			}
		case h323.ProtocolError:
			n.emit(node.Record{Name: "q931.protocol_error", Attrs: []timeline.Attr{timeline.A("error", e.Err.Error())},
				About: &node.About{Conn: c.conn}})
		default:
			n.h245Effect(now, c, e)
		}
	}
}

// peerSetup: an H.323 endpoint first says Call Proceeding (it will not ask
// for more digits), then asks admission to answer unless the RCF
// pre-granted it; only then does the call ring.
func (n *Node) peerSetup(now time.Time, c *call, e h323.PeerSetup) {
	c.ref = n.refOf(e.CallID)
	n.legDo(now, c, c.leg.CallProceeding())
	in := IncomingCall{Call: c.ref, Number: e.CallingNumber, Name: e.CallingName, Silent: e.Silent}
	if !n.askAdmission() {
		n.coreDo(now, in)
		return
	}
	c.waiting = &in
	c.info = ras.CallInfo{Answer: true, CallID: e.CallID, ConferenceID: e.ConferenceID,
		CallReference: c.leg.Config().CallReference, Calling: e.CallingNumber}
	if n.ep.Registering() {
		c.held = true
		return
	}
	n.rasDo(now, n.ep.Admit(now, c.info))
}

// admitHeld asks admission for the calls held while the registration was
// under way, once it is settled (confirmed, or failed: then they are
// refused as any call of an unregistered phone is).
func (n *Node) admitHeld(now time.Time) {
	for _, c := range n.calls {
		if c.held && !c.done {
			c.held = false
			n.rasDo(now, n.ep.Admit(now, c.info))
		}
	}
}

// answerAdmitted: the ACF to answer came; the core gets the call.
func (n *Node) answerAdmitted(now time.Time, info ras.CallInfo) {
	for _, c := range n.calls {
		if c.waiting != nil && c.info.CallID == info.CallID && !c.done {
			c.admitted = true
			in := *c.waiting
			c.waiting = nil
			n.coreDo(now, in)
			return
		}
	}
	// The caller gave up while admission was asked: the call the
	// gatekeeper admitted is over, so it is disengaged at once.
	n.rasDo(now, n.ep.Disengage(now, info))
}

// answerRejected: the gatekeeper refused admission to answer (ARJ): the
// call is released with cause 21 "call rejected", without ringing.
func (n *Node) answerRejected(now time.Time, info ras.CallInfo, reason string) {
	for _, c := range n.calls {
		if c.waiting != nil && c.info.CallID == info.CallID && !c.done {
			n.record("call.not_admitted", timeline.A("device", n.name()), timeline.A("reason", reason))
			n.legDo(now, c, c.leg.Release(CauseCallRejected))
			n.endCall(now, c)
			return
		}
	}
}

// endCall forgets a call, closes its connection (not the H.460.17 one) and
// disengages an admitted call (DRQ).
func (n *Node) endCall(now time.Time, c *call) {
	if c.done {
		return
	}
	c.done = true
	n.stopQ931(c)
	n.endH245(c)
	if !c.incoming {
		n.emit(node.CancelTimer{ID: c.timer(timerHangup)}, node.CancelTimer{ID: c.timer(timerGiveUp)})
	}
	for i, x := range n.calls {
		if x == c {
			n.calls = append(n.calls[:i], n.calls[i+1:]...)
			break
		}
	}
	if c.conn != 0 && !c.shared {
		n.emit(node.Close{Conn: c.conn})
		n.forgetConn(c.conn)
	}
	if c.admitted && n.ep != nil {
		c.admitted = false
		n.rasDo(now, n.ep.Disengage(now, c.info))
	}
}

// connLost: the call's connection ended without Release Complete.
func (n *Node) connLost(now time.Time, c *call) {
	if c.done {
		return
	}
	told := c.incoming && c.waiting == nil && c.leg != nil
	c.conn = 0 // nothing to close
	n.endCall(now, c)
	if told {
		n.coreDo(now, CallReleased{Call: c.ref, Cause: causeTemporaryFailure})
	}
}

// placeCall asks admission for a call (ARQ).
func (n *Node) placeCall(now time.Time, p PlaceCall) {
	if n.ep == nil || n.stopping {
		return
	}
	var ids [34]byte
	_, _ = io.ReadFull(n.cfg.Random, ids[:])
	c := n.newCall(false)
	c.hangupAfter, c.giveUp = p.HangupAfter, p.HangupAfterSetup
	if p.HangupIn > 0 {
		n.emit(node.SetTimer{ID: c.timer(timerGiveUp), After: p.HangupIn})
	}
	c.info = ras.CallInfo{Destination: p.To, CallReference: (uint16(ids[32])<<8|uint16(ids[33]))%0x7fff + 1}
	copy(c.info.CallID[:], ids[:16])
	copy(c.info.ConferenceID[:], ids[16:32])
	if n.cfg.Report {
		n.record("call.placing", timeline.A("device", n.name()), timeline.A("to", p.To))
	}
	n.rasDo(now, n.ep.Admit(now, c.info))
}

func (n *Node) placed(callID [16]byte) *call {
	for _, c := range n.calls {
		if !c.incoming && c.info.CallID == callID && !c.done {
			return c
		}
	}
	return nil
}

// admitted: the ACF came; the Setup goes on the H.460.17 connection when
// there is one, else on a new connection to the ACF's address (over TLS
// for the secure transports).
func (n *Node) admitted(now time.Time, info ras.CallInfo, dest netip.AddrPort) {
	c := n.placed(info.CallID)
	if c == nil {
		n.rasDo(now, n.ep.Disengage(now, info)) // the caller hung up while admission was asked
		return
	}
	if c.leg != nil {
		return
	}
	c.admitted = true
	if n.cfg.Transport.Tunnelled() && n.tunnel.up {
		c.conn, c.shared = n.tunnel.conn, true
		n.startPlaced(now, c, n.tunnel.local, n.tunnel.remote)
		return
	}
	tr := node.TCP
	var sec *node.Security
	if n.cfg.Transport.Secure() {
		tr, dest, sec = node.TLS, n.cfg.PBXSignal, n.cfg.PBXSecurity
	}
	if !dest.IsValid() || dest.Addr().IsUnspecified() {
		dest = n.cfg.PBXSignal
	}
	n.dial(dialCall, c, node.Dial{From: n.cfg.IP, To: dest, Transport: tr, Security: sec, Protocol: "q931"})
}

func (n *Node) callDialled(now time.Time, c *call, in node.Dialled) {
	if c.done {
		if in.Err == nil {
			n.emit(node.Close{Conn: in.Conn})
		}
		return
	}
	if in.Err != nil {
		reason := "dial: " + in.Err.Error()
		n.endCall(now, c) // admitted, so disengaged
		n.notPlacedCall(now, c, reason)
		return
	}
	c.conn = in.Conn
	n.startPlaced(now, c, in.Local, in.Remote)
}

// startPlaced sends the Setup of a placed call and starts T303.
func (n *Node) startPlaced(now time.Time, c *call, local, remote netip.AddrPort) {
	c.leg = h323.NewLeg(h323.LegConfig{
		Outgoing: true, CallReference: c.info.CallReference, CallID: c.info.CallID, ConferenceID: c.info.ConferenceID,
		CallingNumber: n.cfg.Number, CallingName: n.cfg.Display, CalledNumber: c.info.Destination, SourceAlias: n.cfg.Alias,
		Local: local, Remote: remote, MaintainConnection: c.shared,
		EndpointIdentifier: n.ep.EndpointID(), H245: n.h245Config(c, local),
	})
	n.legDo(now, c, c.leg.Setup())
	n.armQ931(c, timerT303, n.cfg.SetupTimeout)
	if c.giveUp > 0 {
		n.emit(node.SetTimer{ID: c.timer(timerGiveUp), After: c.giveUp})
	}
}

// notPlaced: admission was refused (or the phone is not registered); no
// admission, no call.
func (n *Node) notPlaced(now time.Time, callID [16]byte, reason string) {
	if c := n.placed(callID); c != nil {
		c.done = true
		for i, x := range n.calls {
			if x == c {
				n.calls = append(n.calls[:i], n.calls[i+1:]...)
				break
			}
		}
		n.notPlacedCall(now, c, reason)
	}
}

func (n *Node) notPlacedCall(now time.Time, c *call, reason string) {
	if n.result.CallFailure == "" {
		n.result.CallFailure = reason
	}
	n.record("call.not_placed", timeline.A("device", n.name()), timeline.A("to", c.info.Destination), timeline.A("reason", reason))
	if n.cfg.StopAfterCall {
		n.stop(now)
	}
}

// hangUp: the caller ends a placed call with Release Complete 16; one
// whose Setup has not gone out yet is abandoned.
func (n *Node) hangUp(now time.Time, c *call) {
	if c.done {
		return
	}
	if c.leg == nil {
		n.endCall(now, c)
		return
	}
	n.legDo(now, c, c.leg.Release(CauseNormalClearing))
	n.endCall(now, c)
}

func (c *call) timer(kind uint32) node.TimerID { return node.TimerID{Kind: kind, Key: c.id} }

// armQ931 starts T303 or T310 of a placed call, if configured.
func (n *Node) armQ931(c *call, kind uint32, after time.Duration) {
	if c.incoming || after <= 0 {
		return
	}
	n.emit(node.SetTimer{ID: c.timer(kind), After: after})
}

func (n *Node) stopQ931(c *call) {
	if c.incoming {
		return
	}
	n.emit(node.CancelTimer{ID: c.timer(timerT303)}, node.CancelTimer{ID: c.timer(timerT310)})
}

// q931Timer: T303 or T310 ran out; the call is cleared with cause 102.
func (n *Node) q931Timer(now time.Time, id node.TimerID) {
	c := n.callByID(id.Key)
	if c == nil || c.done || c.leg == nil {
		return
	}
	name := "T303"
	if id.Kind == timerT310 {
		name = "T310"
	}
	n.record("q931.timer_expired", timeline.A("device", n.name()), timeline.A("timer", name))
	n.legDo(now, c, c.leg.Release(causeRecoveryOnTimerExpiry))
	n.endCall(now, c)
}

// accepted: a call-signalling connection; its first Setup starts a leg.
// In routed mode one from anyone but the gatekeeper's host is closed.
func (n *Node) accepted(now time.Time, in node.Accepted) {
	if !n.cfg.DirectCalls && !n.fromGatekeeper(in.Remote.Addr()) {
		n.emit(node.Close{Conn: in.Conn})
		if r, ok := n.refused.take(now); ok {
			attrs := []timeline.Attr{timeline.A("device", n.name()), timeline.A("from", in.Remote),
				timeline.A("why", "call signalling not from the gatekeeper")}
			if r > 0 {
				attrs = append(attrs, timeline.A("suppressed", r))
			}
			n.record("phone.refused", attrs...)
		}
		return
	}
	n.conns = append(n.conns, connAddrs{conn: in.Conn, local: in.Local, remote: in.Remote})
}

// connAddrs are the addresses of a connection the phone accepted.
type connAddrs struct {
	conn          node.ConnID
	local, remote netip.AddrPort
}

func (n *Node) addrsOf(conn node.ConnID) (local, remote netip.AddrPort) {
	for _, a := range n.conns {
		if a.conn == conn {
			return a.local, a.remote
		}
	}
	return n.sigAddr, n.cfg.PBXSignal
}

func (n *Node) isAccepted(conn node.ConnID) bool {
	for _, a := range n.conns {
		if a.conn == conn {
			return true
		}
	}
	return false
}

func (n *Node) forgetConn(conn node.ConnID) {
	for i, a := range n.conns {
		if a.conn == conn {
			n.conns = append(n.conns[:i], n.conns[i+1:]...)
			return
		}
	}
}

func causeOf(attrs []timeline.Attr) int {
	for _, a := range attrs {
		if a.Key == "cause" {
			v, _ := strconv.Atoi(a.Value)
			return v
		}
	}
	return 0
}

// fromGatekeeper reports whether ip is the gatekeeper's host: where a
// routed PBX's call signalling comes from.
func (n *Node) fromGatekeeper(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip == n.cfg.PBXSignal.Addr().Unmap() || ip == n.cfg.Gatekeeper.Addr().Unmap() {
		return true
	}
	return n.ep != nil && ip == n.ep.Gatekeeper().Addr().Unmap()
}

// refusals limits the phone.refused records a flood of strangers makes:
// ras.RecordBurst, then one per ras.RecordInterval, the first after a
// pause counting those held back.
type refusals struct {
	tokens   int
	refilled time.Time
	held     int
	started  bool
}

func (r *refusals) take(now time.Time) (held int, ok bool) {
	if !r.started {
		r.tokens, r.refilled, r.started = ras.RecordBurst, now, true
	}
	if k := int(now.Sub(r.refilled) / ras.RecordInterval); k > 0 {
		r.tokens = min(ras.RecordBurst, r.tokens+k)
		r.refilled = r.refilled.Add(time.Duration(k) * ras.RecordInterval)
	}
	if r.tokens == 0 {
		r.held++
		return 0, false
	}
	r.tokens--
	held, r.held = r.held, 0
	return held, true
}
