package pbx

import (
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// The PBX terminates H.245 on each leg (routed mode: it is a back-to-back endpoint): it
// accepts tunnelling when a phone offers it and offers it on the legs it starts, and
// otherwise announces or connects to a separate H.245 connection. Each leg negotiates its
// own channels; no media is relayed (no RTP is sent).

// CauseIncompatibleDestination (Q.850 88) clears a leg whose capability exchange found no
// codec in common (model choice, see phone.CauseIncompatibleDestination).
const CauseIncompatibleDestination = 88

// Ports of a leg's separate H.245 connection and of its media (model choice): the leg the
// node numbers k listens on H245PortBase + k mod 10000 and announces RTP on RTPPortBase +
// 2·(k mod 10000), RTCP on the next port.
const (
	H245PortBase = 30000
	RTPPortBase  = 40000
)

// timerH245 is an H.245 timer of a leg: Part is the control.Timer, Key the leg's H.245 key.
const timerH245 = node.KindsH323 + 1

// sockH245Base + a leg's H.245 key names the leg's H.245 listener.
const sockH245Base node.SockID = 0x100000

// legH245 is a leg's H.245 state in the node.
type legH245 struct {
	key       uint64      // names its timers and listener (0: no H.245)
	conn      node.ConnID // its separate H.245 connection (0: none)
	listening bool
	timers    h323.H245Timers
}

// h245Legs indexes the legs that run H.245.
type h245Legs struct {
	next  uint64
	byKey map[uint64]*sigLeg
}

// h245Config numbers leg l for H.245 and returns its leg configuration on a connection
// whose local address is local.
func (n *Node) h245Config(l *sigLeg, local netip.AddrPort) h323.H245Config {
	if n.cfg.NoH245 {
		return h323.H245Config{}
	}
	if n.h245.byKey == nil {
		n.h245.byKey = map[uint64]*sigLeg{}
	}
	n.h245.next++
	l.h245.key = n.h245.next
	n.h245.byKey[l.h245.key] = l
	ip := local.Addr()
	if !ip.IsValid() || ip.IsUnspecified() {
		ip = n.cfg.IP
	}
	slot := uint16(l.h245.key % 10000)
	return h323.H245Config{
		Enabled: true, Tunnelling: true,
		Address: netip.AddrPortFrom(ip, H245PortBase+slot),
		Control: control.Config{
			TerminalType: control.TerminalTypeGateway,
			RTP:          netip.AddrPortFrom(ip, RTPPortBase+2*slot),
			RTCP:         netip.AddrPortFrom(ip, RTPPortBase+2*slot+1),
		},
	}
}

func (l *sigLeg) h245Sock() node.SockID { return sockH245Base + node.SockID(l.h245.key) }

func (l *sigLeg) h245Timer(t control.Timer) node.TimerID {
	return node.TimerID{Kind: timerH245, Part: uint32(t), Key: l.h245.key}
}

// h245Effect carries out a leg effect of the H.245 family.
func (n *Node) h245Effect(now time.Time, l *sigLeg, e h323.Effect) {
	switch e := e.(type) {
	case h323.H245Listen:
		if l.done || l.h245.listening {
			return
		}
		l.h245.listening = true
		n.emit(node.Listen{Sock: l.h245Sock(), Addr: e.Address, Transport: node.TCP, Protocol: "h245"})
	case h323.H245Connect:
		if !l.done {
			n.dial(node.Dial{From: n.cfg.IP, To: e.Address, Transport: node.TCP, Protocol: "h245"}, dialFor{h245: l})
		}
	case h323.H245Send:
		if eff, ok := h323.SendH245(l.h245.conn, e); ok {
			n.emit(eff)
		}
	case h323.H245Close:
		n.closeH245(l)
	case h323.H245:
		n.controlEffect(now, l, e.Effect)
	}
}

func (n *Node) controlEffect(now time.Time, l *sigLeg, e control.Effect) {
	if eff, ok := l.h245.timers.Apply(e, l.h245Timer); ok {
		n.emit(eff)
		return
	}
	switch e := e.(type) {
	case control.NoCommonCodec:
		n.record("h245.no_common_codec", timeline.A("pbx", n.cfg.Name), timeline.A("device", l.device))
		if l.done || l.leg == nil {
			return
		}
		n.forget(l)
		n.legDo(now, l, l.leg.Release(CauseIncompatibleDestination))
		n.closeLeg(l)
		n.peerReleased(now, l, CauseIncompatibleDestination)
	case control.Failure:
		n.record("h245.failure", timeline.A("pbx", n.cfg.Name), timeline.A("device", l.device), timeline.A("error", e.Err.Error()))
	}
}

// h245Timeout: an H.245 timer of a leg ran out.
func (n *Node) h245Timeout(now time.Time, id node.TimerID) {
	if l := n.h245.byKey[id.Key]; l != nil && !l.done && l.leg != nil {
		l.h245.timers.Fired(control.Timer(id.Part))
		n.legDo(now, l, l.leg.H245Timeout(control.Timer(id.Part)))
	}
}

// closeH245 closes a leg's H.245 connection and listener.
func (n *Node) closeH245(l *sigLeg) {
	if l.h245.conn != 0 {
		n.emit(node.Close{Conn: l.h245.conn})
		delete(n.conns, l.h245.conn)
		l.h245.conn = 0
	}
	if l.h245.listening {
		l.h245.listening = false
		n.emit(node.Unlisten{Sock: l.h245Sock()})
	}
}

// endH245 forgets an ended leg's H.245: connection, listener, timers.
func (n *Node) endH245(l *sigLeg) {
	if l.h245.key == 0 {
		return
	}
	n.closeH245(l)
	n.emit(l.h245.timers.CancelAll(l.h245Timer)...)
	delete(n.h245.byKey, l.h245.key)
}

// h245Listening reports whether in is about an H.245 listener (and records a failure).
func (n *Node) h245Listening(in node.Listening) bool {
	if in.Sock < sockH245Base {
		return false
	}
	if in.Err != nil {
		n.record("h245.listen_failed", timeline.A("pbx", n.cfg.Name), timeline.A("error", in.Err.Error()))
	}
	return true
}

// h245Accepted takes a connection accepted on a leg's H.245 listener.
func (n *Node) h245Accepted(now time.Time, in node.Accepted) bool {
	if in.Listener < sockH245Base {
		return false
	}
	l := n.h245.byKey[uint64(in.Listener-sockH245Base)]
	if l == nil || !l.h245.listening || l.done || l.leg == nil || l.h245.conn != 0 {
		n.emit(node.Close{Conn: in.Conn})
		return true
	}
	n.h245Up(now, l, in.Conn)
	return true
}

// h245Dialled: the H.245 connection a leg asked for is up (or failed).
func (n *Node) h245Dialled(now time.Time, l *sigLeg, in node.Dialled) {
	if in.Err != nil {
		n.record("h245.connect_failed", timeline.A("pbx", n.cfg.Name), timeline.A("error", in.Err.Error()))
		return
	}
	if l.done || l.leg == nil || l.h245.conn != 0 {
		n.emit(node.Close{Conn: in.Conn})
		return
	}
	n.h245Up(now, l, in.Conn)
}

// h245Up starts a leg's H.245 session on connection conn; the listener, if any, closes.
func (n *Node) h245Up(now time.Time, l *sigLeg, conn node.ConnID) {
	l.h245.conn = conn
	n.conns[conn] = &pconn{id: conn, h245: l}
	if l.h245.listening {
		l.h245.listening = false
		n.emit(node.Unlisten{Sock: l.h245Sock()})
	}
	n.legDo(now, l, l.leg.H245Connected())
}

// h245Message passes a message of a leg's H.245 connection to the leg.
func (n *Node) h245Message(now time.Time, pc *pconn, in node.Message) {
	if l := pc.h245; !l.done && l.leg != nil && l.h245.conn == in.Conn {
		n.legDo(now, l, l.leg.HandleH245(in.Payload))
	}
}

// resetH245 forgets every leg's H.245 at a restart (their connections are closed with the
// others): listeners close, timers stop; the numbering goes on.
func (n *Node) resetH245() {
	for _, k := range slices.Sorted(maps.Keys(n.h245.byKey)) {
		l := n.h245.byKey[k]
		l.h245.conn = 0
		n.endH245(l)
	}
}
