package pbx

import (
	"net/netip"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// Q.850 causes of the node's own making.
const (
	causeDestinationOutOfOrder = 27 // the device's address cannot be reached
	causeTemporaryFailure      = 41 // the connection dropped without Release Complete
)

// pconn is one connection at the PBX: a caller's, one the PBX dialled to
// a device, the one an H.460.17 device maintains (RAS and any number of
// calls), or a myApps session.
type pconn struct {
	id            node.ConnID
	local, remote netip.AddrPort
	secure        bool
	session       bool
	device        string    // the device at the far end, once known
	legs          []*sigLeg // in start order
	maintained    bool      // H.460.17 RAS seen on it
	tunnelled     []*entry  // devices whose RAS it carried (H.460.17)
	h245          *sigLeg   // the leg whose separate H.245 connection it is
}

// sigLeg is one call-signalling leg: a caller's (id 0) or one to a device.
type sigLeg struct {
	call   CallID
	id     LegID
	device string
	leg    *h323.Leg // nil while its connection is being set up
	pc     *pconn
	done   bool
	// What the Setup of a leg still being dialled must carry.
	silent        bool
	name          string
	callingNumber string
	h245          legH245
}

func (n *Node) accepted(in node.Accepted) {
	pc := &pconn{id: in.Conn, local: in.Local, remote: in.Remote}
	switch in.Listener {
	case sockSignal:
	case sockSecure:
		pc.secure = true
	case sockSession:
		pc.session, pc.secure = true, true
	default:
		n.emit(node.Close{Conn: in.Conn})
		return
	}
	n.conns[in.Conn] = pc
}

// signalMessage routes one Q.931 message: H.460.17 RAS to the gatekeeper,
// call messages to their leg. A connection the device does not maintain
// carries one call: everything on it goes to that leg, whatever its call
// reference, so the leg answers a wrong one itself.
func (n *Node) signalMessage(now time.Time, pc *pconn, in node.Message) {
	msg := in.Payload
	if h323.IsRASTunnel(msg) {
		n.tunnelRAS(now, pc, msg)
		return
	}
	l := pc.legFor(msg)
	if l == nil {
		// A new call from the device must start with its Setup.
		_, fromOriginator, typ, err := h323.PeekCallReference(msg)
		if err != nil || typ != byte(q931.Setup) || !fromOriginator {
			n.emit(node.Record{Name: "q931.unexpected", About: &node.About{Conn: pc.id}})
			return
		}
		l = &sigLeg{pc: pc, device: pc.device}
		l.leg = h323.NewLeg(h323.LegConfig{Local: pc.local, Remote: pc.remote, PrivateNetwork: true,
			MaintainConnection: pc.maintained, H245: n.h245Config(l, pc.local)})
		pc.legs = append(pc.legs, l)
	}
	n.legDo(now, l, l.leg.HandleMessage(msg))
	if l.leg.State() == h323.StateReleased && !l.done {
		// The leg cleared a call the core never saw (a malformed Setup,
		// answered with Release Complete): nothing more comes of it.
		n.forget(l)
		n.closeLeg(l)
	}
}

// legFor finds the leg a message on pc belongs to.
func (pc *pconn) legFor(msg []byte) *sigLeg {
	if !pc.maintained {
		if len(pc.legs) == 1 {
			return pc.legs[0]
		}
		return nil
	}
	ref, fromOriginator, _, err := h323.PeekCallReference(msg)
	if err != nil {
		return nil
	}
	for i := len(pc.legs) - 1; i >= 0; i-- {
		l := pc.legs[i]
		if cfg := l.leg.Config(); cfg.CallReference == ref && cfg.Outgoing != fromOriginator {
			return l
		}
	}
	return nil
}

// callerDevice names the registered device that sent a Setup: the one that
// maintains the connection, else the registered device of the user the
// Setup names (sourceAddress h323-ID) at the connection's IP address, else
// any registered device of that user.
func (n *Node) callerDevice(pc *pconn, sourceAlias string) string {
	if pc.device != "" {
		return pc.device
	}
	u, ok := n.aliases[sourceAlias]
	var any string
	candidates := n.byIP[pc.remote.Addr()]
	if ok {
		candidates = n.byUser[u]
	}
	for _, d := range candidates {
		if d.reg == nil {
			continue
		}
		if d.reg.CallSignalAddress.Addr() == pc.remote.Addr() || d.reg.RASAddress.Addr() == pc.remote.Addr() {
			return d.Name
		}
		if any == "" && ok {
			any = d.Name
		}
	}
	return any
}

// legDo carries out a leg's effects: messages go on the connection, the
// peer's actions to the core.
func (n *Node) legDo(now time.Time, l *sigLeg, effects []h323.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case h323.Send:
			n.emit(node.Send{Conn: l.pc.id, Payload: e.Payload, Event: node.Event{Name: e.Event, Attrs: e.Attrs, Protocol: "q931"}})
		case h323.PeerSetup:
			if l.id != 0 || l.call != 0 {
				continue
			}
			l.device = n.callerDevice(l.pc, e.SourceAlias)
			if l.device == "" {
				// Gatekeeper-routed: a Setup from no registered endpoint
				// is refused (model choice: cause 21, call rejected).
				n.record("call.refused", timeline.A("pbx", n.cfg.Name), timeline.A("reason", "not_registered"))
				n.release(now, l, CauseCallRejected)
				continue
			}
			n.nextCall++
			l.call = n.nextCall
			n.guids[l.call] = e.CallID
			n.callers[l.call] = l
			n.handle(now, CallArrived{Call: l.call, From: l.device, CallingNumber: e.CallingNumber, Dialled: e.CalledNumber})
		case h323.PeerAlerting:
			if l.id != 0 {
				n.handle(now, LegAlerted{Leg: l.id})
			}
		case h323.PeerConnect:
			if l.id != 0 {
				n.handle(now, LegConnected{Leg: l.id})
			}
		case h323.PeerReleased:
			if !l.done {
				n.forget(l)
				n.closeLeg(l)
				n.peerReleased(now, l, e.Cause)
			}
		case h323.ProtocolError:
			n.emit(node.Record{Name: "q931.protocol_error", Attrs: []timeline.Attr{timeline.A("error", e.Err.Error())},
				About: &node.About{Conn: l.pc.id}})
		default:
			n.h245Effect(now, l, e)
		}
	}
}

// forget marks a leg done and drops it from the indexes.
func (n *Node) forget(l *sigLeg) {
	l.done = true
	if l.id != 0 {
		delete(n.legs, l.id)
	} else if l.call != 0 && n.callers[l.call] == l {
		delete(n.callers, l.call)
	}
	if l.pc != nil {
		for i, x := range l.pc.legs {
			if x == l {
				l.pc.legs = append(l.pc.legs[:i], l.pc.legs[i+1:]...)
				break
			}
		}
	}
}

func (n *Node) peerReleased(now time.Time, l *sigLeg, cause int) {
	if l.id != 0 {
		n.handle(now, LegReleased{Leg: l.id, Cause: cause})
	} else if l.call != 0 {
		n.handle(now, CallerReleased{Call: l.call, Cause: cause})
		delete(n.guids, l.call) // the call is over (ReleaseCaller forgets it when the PBX ends it)
	}
}

// release sends Release Complete on a leg and closes its connection; a leg
// still dialling is abandoned when its connection comes up.
func (n *Node) release(now time.Time, l *sigLeg, cause int) {
	if l.done {
		return
	}
	n.forget(l)
	if l.leg == nil {
		return
	}
	n.legDo(now, l, l.leg.Release(cause))
	n.closeLeg(l)
}

// closeLeg closes the connection of an ended leg, unless it is one a device
// maintains: that outlives its calls (B32).
func (n *Node) closeLeg(l *sigLeg) {
	n.endH245(l)
	if pc := l.pc; pc != nil && !pc.maintained {
		if _, ok := n.conns[pc.id]; ok {
			delete(n.conns, pc.id)
			n.emit(node.Close{Conn: pc.id})
		}
	}
}

// connLost: a connection closed; its calls end without Release Complete and
// a maintained connection is gone.
func (n *Node) connLost(now time.Time, pc *pconn) {
	for _, d := range pc.tunnelled {
		if d.tunnel == pc.id {
			d.tunnel = 0
		}
	}
	for _, l := range append([]*sigLeg(nil), pc.legs...) {
		if l.done || l.leg == nil {
			continue
		}
		n.forget(l)
		n.endH245(l)
		n.peerReleased(now, l, causeTemporaryFailure)
	}
}

// startLeg opens a leg to a registered device: on the connection it
// maintains (B32), else on a new connection to its call-signalling
// address (TLS when it registered securely).
func (n *Node) startLeg(now time.Time, e StartLeg) {
	l := &sigLeg{call: e.Call, id: e.Leg, device: e.Device, silent: e.Silent, name: e.CallingName, callingNumber: e.CallingNumber}
	n.legs[e.Leg] = l
	d := n.byName[e.Device]
	if d == nil || d.reg == nil {
		n.emit(node.SetTimer{ID: node.TimerID{Kind: timerLegUnreachable, Key: uint64(e.Leg)}})
		return
	}
	if d.reg.MaintainConnection {
		if pc := n.conns[d.tunnel]; pc != nil && d.tunnel != 0 {
			n.startLegOn(now, l, pc)
			return
		}
	}
	tr := node.TCP
	if d.Secure {
		tr = node.TLS
	}
	n.dial(node.Dial{From: n.cfg.IP, To: d.reg.CallSignalAddress, Transport: tr, Protocol: "q931"}, dialFor{leg: l})
}

func (n *Node) legDialled(now time.Time, l *sigLeg, in node.Dialled) {
	if in.Err != nil {
		if !l.done {
			n.forget(l)
			n.handle(now, LegReleased{Leg: l.id, Cause: causeDestinationOutOfOrder})
		}
		return
	}
	pc := &pconn{id: in.Conn, local: in.Local, remote: in.Remote, device: l.device, secure: in.Peer.Identity != nil}
	n.conns[in.Conn] = pc
	if l.done {
		delete(n.conns, in.Conn)
		n.emit(node.Close{Conn: in.Conn}) // released while connecting
		return
	}
	n.startLegOn(now, l, pc)
}

// startLegOn sends the Setup of leg l on connection pc.
func (n *Node) startLegOn(now time.Time, l *sigLeg, pc *pconn) {
	called := ""
	if d := n.byName[l.device]; d != nil {
		called = n.cfg.Core.Users[d.user].Number
	}
	l.pc = pc
	pc.legs = append(pc.legs, l)
	n.nextCRV = n.nextCRV%0x7fff + 1
	g := n.guid(l.call)
	l.leg = h323.NewLeg(h323.LegConfig{
		Outgoing: true, CallReference: n.nextCRV, CallID: g, ConferenceID: g,
		CallingNumber: l.callingNumber, CallingName: l.name, CalledNumber: called,
		SourceAlias: n.cfg.Name, Local: pc.local, Remote: pc.remote, PrivateNetwork: true,
		// B27 (12r2 DND): Signal "alerting off" in the Setup.
		Silent:             l.silent,
		MaintainConnection: pc.maintained,
		H245:               n.h245Config(l, pc.local),
	})
	n.legDo(now, l, l.leg.Setup())
}
