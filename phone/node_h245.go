package phone

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// H245Mode says how a phone carries the H.245 control channel of its calls.
type H245Mode int

const (
	// H245Tunnel (the default) offers and accepts H.245 tunnelled in the call signalling
	// (H.323 8.2.1); with a peer that does not tunnel it connects to the peer's h245Address or
	// announces its own, as real endpoints do.
	H245Tunnel H245Mode = iota
	// H245Separate never tunnels: H.245 runs on a TCP connection of its own, the callee
	// announcing its address in the Connect.
	H245Separate
	// H245Off runs no H.245 at all, as the phones of earlier versions.
	H245Off
)

var h245ModeNames = [...]string{"tunnel", "separate", "off"}

// String returns the mode's name in the scenario format and on phonesim's command line.
func (m H245Mode) String() string {
	if m >= 0 && int(m) < len(h245ModeNames) {
		return h245ModeNames[m]
	}
	return fmt.Sprintf("H245Mode(%d)", int(m))
}

// ParseH245Mode reads "tunnel", "separate" or "off" ("" is tunnel).
func ParseH245Mode(s string) (H245Mode, error) {
	if s == "" {
		return H245Tunnel, nil
	}
	for i, n := range h245ModeNames {
		if n == s {
			return H245Mode(i), nil
		}
	}
	return 0, fmt.Errorf("h245 mode %q is not tunnel, separate or off", s)
}

// CauseIncompatibleDestination (Q.850 88) clears a call whose capability exchange found no
// codec in common (model choice: the destination cannot take the call as offered; H323Plus
// clears such a call too, "Could not find common codec").
const CauseIncompatibleDestination = 88

// Ports of a call's separate H.245 connection and of its media (model choice): a call the
// node numbers id listens for H.245 on H245PortBase + id mod 10000 and announces RTP on the
// even port RTPPortBase + 2·(id mod 10000), RTCP on the next one. No RTP is sent: the
// channels are negotiated, nothing flows on them.
const (
	H245PortBase = 30000
	RTPPortBase  = 40000
)

// timerH245 is an H.245 timer of a call: Part is the control.Timer, Key the call's id.
const timerH245 = node.KindsH323 + 1

// sockH245Base + a call's id names the call's H.245 listener.
const sockH245Base node.SockID = 0x100000

// callH245 is a call's separate H.245 connection, if any.
type callH245 struct {
	conn      node.ConnID // 0: none
	listening bool        // its listener is open
	timers    h323.H245Timers
}

// h245Config is the H.245 configuration of the leg of call c with local signalling address
// local.
func (n *Node) h245Config(c *call, local netip.AddrPort) h323.H245Config {
	if n.cfg.H245 == H245Off {
		return h323.H245Config{}
	}
	ip := local.Addr()
	if !ip.IsValid() || ip.IsUnspecified() {
		ip = n.cfg.IP
	}
	slot := uint16(c.id % 10000)
	return h323.H245Config{
		Enabled:    true,
		Tunnelling: n.cfg.H245 == H245Tunnel,
		Address:    netip.AddrPortFrom(ip, H245PortBase+slot),
		Control: control.Config{
			TerminalType: control.TerminalTypeTerminal,
			Codecs:       n.cfg.Codecs,
			RTP:          netip.AddrPortFrom(ip, RTPPortBase+2*slot),
			RTCP:         netip.AddrPortFrom(ip, RTPPortBase+2*slot+1),
		},
	}
}

func (c *call) h245Sock() node.SockID { return sockH245Base + node.SockID(c.id) }

// h245Effect carries out a leg effect of the H.245 family.
func (n *Node) h245Effect(now time.Time, c *call, e h323.Effect) {
	switch e := e.(type) {
	case h323.H245Listen:
		if c.done || c.h245.listening {
			return
		}
		c.h245.listening = true
		n.emit(node.Listen{Sock: c.h245Sock(), Addr: e.Address, Transport: node.TCP, Protocol: "h245"})
	case h323.H245Connect:
		if c.done {
			return
		}
		n.dial(dialH245, c, node.Dial{From: n.cfg.IP, To: e.Address, Transport: node.TCP, Protocol: "h245"})
	case h323.H245Send:
		if eff, ok := h323.SendH245(c.h245.conn, e); ok {
			n.emit(eff)
		}
	case h323.H245Close:
		n.closeH245(c)
	case h323.H245:
		n.controlEffect(now, c, e.Effect)
	}
}

func (n *Node) controlEffect(now time.Time, c *call, e control.Effect) {
	if eff, ok := c.h245.timers.Apply(e, c.h245Timer); ok {
		n.emit(eff)
		return
	}
	switch e := e.(type) {
	case control.ChannelOpened:
		n.record("h245.channel_opened", timeline.A("device", n.name()), timeline.A("codec", e.Codec.String()),
			timeline.A("rtp", e.RTP.String()))
	case control.NoCommonCodec:
		n.record("h245.no_common_codec", timeline.A("device", n.name()))
		if c.done || c.leg == nil {
			return
		}
		told := c.incoming && c.waiting == nil
		n.legDo(now, c, c.leg.Release(CauseIncompatibleDestination))
		n.endCall(now, c)
		if told {
			n.coreDo(now, CallReleased{Call: c.ref, Cause: CauseIncompatibleDestination})
		}
	case control.Failure:
		n.record("h245.failure", timeline.A("device", n.name()), timeline.A("error", e.Err.Error()))
	}
}

func (c *call) h245Timer(t control.Timer) node.TimerID {
	return node.TimerID{Kind: timerH245, Part: uint32(t), Key: c.id}
}

// h245Timeout: an H.245 timer of a call ran out.
func (n *Node) h245Timeout(now time.Time, id node.TimerID) {
	if c := n.callByID(id.Key); c != nil && !c.done && c.leg != nil {
		c.h245.timers.Fired(control.Timer(id.Part))
		n.legDo(now, c, c.leg.H245Timeout(control.Timer(id.Part)))
	}
}

// closeH245 closes a call's H.245 connection and listener and stops its H.245 timers.
func (n *Node) closeH245(c *call) {
	if c.h245.conn != 0 {
		n.emit(node.Close{Conn: c.h245.conn})
		c.h245.conn = 0
	}
	if c.h245.listening {
		c.h245.listening = false
		n.emit(node.Unlisten{Sock: c.h245Sock()})
	}
}

// endH245 is closeH245 at the end of a call, with its timers.
func (n *Node) endH245(c *call) {
	n.closeH245(c)
	n.emit(c.h245.timers.CancelAll(c.h245Timer)...)
}

// h245Listening reports whether in is about an H.245 listener (and records a failure).
func (n *Node) h245Listening(in node.Listening) bool {
	if in.Sock < sockH245Base {
		return false
	}
	if in.Err != nil {
		n.record("h245.listen_failed", timeline.A("device", n.name()), timeline.A("error", in.Err.Error()))
		if c := n.callByID(uint64(in.Sock - sockH245Base)); c != nil {
			c.h245.listening = false
		}
	}
	return true
}

// h245Accepted takes a connection accepted on a call's H.245 listener: the call's H.245
// session starts on it (one connection a call: the listener closes).
func (n *Node) h245Accepted(now time.Time, in node.Accepted) bool {
	if in.Listener < sockH245Base {
		return false
	}
	c := n.callByID(uint64(in.Listener - sockH245Base))
	if c == nil || c.done || c.leg == nil || c.h245.conn != 0 {
		n.emit(node.Close{Conn: in.Conn})
		return true
	}
	c.h245.conn = in.Conn
	if c.h245.listening {
		c.h245.listening = false
		n.emit(node.Unlisten{Sock: c.h245Sock()})
	}
	n.legDo(now, c, c.leg.H245Connected())
	return true
}

// h245Dialled: the H.245 connection the leg asked for is up (or failed).
func (n *Node) h245Dialled(now time.Time, c *call, in node.Dialled) {
	if in.Err != nil {
		n.record("h245.connect_failed", timeline.A("device", n.name()), timeline.A("error", in.Err.Error()))
		return
	}
	if c == nil || c.done || c.leg == nil || c.h245.conn != 0 {
		n.emit(node.Close{Conn: in.Conn})
		return
	}
	c.h245.conn = in.Conn
	n.legDo(now, c, c.leg.H245Connected())
}

// h245Call returns the call whose H.245 connection conn is.
func (n *Node) h245Call(conn node.ConnID) *call {
	for _, c := range n.calls {
		if c.h245.conn == conn && conn != 0 {
			return c
		}
	}
	return nil
}

// h245Message passes a message of a call's H.245 connection to its leg.
func (n *Node) h245Message(now time.Time, in node.Message) bool {
	c := n.h245Call(in.Conn)
	if c == nil {
		return false
	}
	if !c.done && c.leg != nil {
		n.legDo(now, c, c.leg.HandleH245(in.Payload))
	}
	return true
}

// h245Closed: a call's H.245 connection ended; the call goes on without it.
func (n *Node) h245Closed(in node.Closed) bool {
	c := n.h245Call(in.Conn)
	if c == nil {
		return false
	}
	c.h245.conn = 0
	return true
}
