package sim

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// LinkProfile describes the path between two addresses, one way (the same
// profile applies in both directions).
type LinkProfile struct {
	// Latency is the minimum one-way delay.
	Latency time.Duration
	// Jitter widens the delay: each datagram or stream piece takes
	// Latency + a uniform draw in [0, Jitter]. Datagrams may therefore
	// overtake each other; stream data never does.
	Jitter time.Duration
	// Loss is the probability that a datagram is lost. On a stream it is the
	// probability that a segment needs a retransmission (see Conn).
	Loss float64
	// Down cuts the link: datagrams are dropped, connection attempts time
	// out and stream data stalls until the link is up again.
	Down bool
	// SplitProbability is the chance that a stream write is cut in two at a
	// random point (applied again to each piece, up to 8 pieces), so that
	// receivers must reassemble their framing.
	SplitProbability float64
	// MaxSegment, if positive, cuts every stream write into pieces of at most
	// this many bytes.
	MaxSegment int
}

// Drop says why the network did not carry a datagram.
type Drop uint8

const (
	NotDropped     Drop = iota // carried; will be delivered after the link's delay
	DropNoListener             // nothing listens on the destination address and port
	DropBlocked                // the destination port is blocked on the destination address
	DropDown                   // the link between the two addresses is down
	DropLoss                   // the link's loss draw lost it
)

func (d Drop) String() string {
	switch d {
	case NotDropped:
		return "delivered"
	case DropNoListener:
		return "no listener"
	case DropBlocked:
		return "port blocked"
	case DropDown:
		return "link down"
	case DropLoss:
		return "lost"
	}
	return fmt.Sprintf("Drop(%d)", uint8(d))
}

// Errors reported by Listen*, Dial and Conn.
var (
	ErrAddrInUse = errors.New("sim: address already in use")
	ErrRefused   = errors.New("sim: connection refused")
	ErrTimeout   = errors.New("sim: connection timed out")
	ErrReset     = errors.New("sim: connection reset by peer")
	ErrClosed    = errors.New("sim: use of closed connection")
)

// Defaults for Network.ConnectTimeout and Network.StallTimeout.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultStallTimeout   = 30 * time.Second
)

// Network is an in-memory IP network driven by a Loop: datagrams and byte
// streams between netip.AddrPort endpoints, with per-link latency, jitter,
// loss, outages and blocked ports, all of which may change at any time.
// Every random decision is drawn from a stream forked per sending address, so
// traffic from one actor does not perturb the draws of another.
type Network struct {
	loop        *Loop
	rand        *Rand
	defaultLink LinkProfile
	links       map[linkKey]LinkProfile
	nodes       map[addrKey]*station
	stalled     []*Conn // connections holding data for a down link, in stall order

	// ConnectTimeout is how long a Dial whose SYN gets no answer (blocked
	// port, link down) takes to fail with ErrTimeout.
	ConnectTimeout time.Duration
	// StallTimeout is how long a connection may hold undeliverable data
	// (link down) before the writer's side is reset with ErrTimeout.
	StallTimeout time.Duration
}

// station is everything the network knows about one address. A device has one
// or two ports, so linear scans over small slices beat maps here, in time
// and in memory.
type station struct {
	rand    *Rand // forked lazily on the first random draw for a send
	udp     []udpListener
	streams []streamListener
	blocked []uint16
	// outBlocked are destination ports the station cannot reach anywhere
	// (a firewall on its own network, B20).
	outBlocked []uint16
	ephemeral  uint16 // next ephemeral port for Dial from port 0
}

type udpListener struct {
	port    uint16
	handler func(from netip.AddrPort, payload []byte)
}

type streamListener struct {
	port   uint16
	accept func(*Conn)
}

// The network's maps are keyed by an address's 16 bytes, not by
// netip.Addr: every datagram and segment looks up its two ends, and a plain
// array hashes faster than the struct with its zone handle (the simulated
// network has no zones).
type addrKey [16]byte

func keyAddr(a netip.Addr) addrKey { return a.As16() }

type linkKey struct{ a, b addrKey }

func keyOf(a, b netip.Addr) linkKey {
	if b.Less(a) {
		a, b = b, a
	}
	return linkKey{a.As16(), b.As16()}
}

// NewNetwork returns a network on loop whose draws come from
// world.Fork("network") and whose links all follow defaultLink.
func NewNetwork(loop *Loop, world *Rand, defaultLink LinkProfile) *Network {
	return &Network{
		loop:           loop,
		rand:           world.Fork("network"),
		defaultLink:    defaultLink,
		links:          make(map[linkKey]LinkProfile),
		nodes:          make(map[addrKey]*station),
		ConnectTimeout: DefaultConnectTimeout,
		StallTimeout:   DefaultStallTimeout,
	}
}

// Loop returns the loop the network runs on.
func (n *Network) Loop() *Loop { return n.loop }

// SetDefaultLink changes the profile of every link without an override.
func (n *Network) SetDefaultLink(p LinkProfile) {
	n.defaultLink = p
	n.resumeStalled()
}

// SetLink overrides the profile of the link between a and b (both
// directions). It takes effect for everything sent from now on; datagrams and
// stream pieces already in flight keep their delivery time.
func (n *Network) SetLink(a, b netip.Addr, p LinkProfile) {
	n.links[keyOf(a, b)] = p
	n.resumeStalled()
}

// ClearLink removes the override for the link between a and b.
func (n *Network) ClearLink(a, b netip.Addr) {
	delete(n.links, keyOf(a, b))
	n.resumeStalled()
}

// Link returns the profile in force between a and b.
func (n *Network) Link(a, b netip.Addr) LinkProfile {
	if len(n.links) > 0 {
		if p, ok := n.links[keyOf(a, b)]; ok {
			return p
		}
	}
	return n.defaultLink
}

// BlockPort makes datagrams and connection attempts to port on addr fail,
// like a firewall that silently drops them. Established connections are not
// affected.
func (n *Network) BlockPort(addr netip.Addr, port uint16) {
	nd := n.station(addr)
	for _, p := range nd.blocked {
		if p == port {
			return
		}
	}
	nd.blocked = append(nd.blocked, port)
}

// BlockOutgoing makes datagrams and connection attempts from addr to any
// address's port fail, like a firewall on the sender's network (B20: a
// Wi-Fi that blocks Apple's 5223).
func (n *Network) BlockOutgoing(addr netip.Addr, port uint16) {
	nd := n.station(addr)
	if !slices.Contains(nd.outBlocked, port) {
		nd.outBlocked = append(nd.outBlocked, port)
	}
}

// UnblockOutgoing lifts a BlockOutgoing.
func (n *Network) UnblockOutgoing(addr netip.Addr, port uint16) {
	if nd := n.nodes[keyAddr(addr)]; nd != nil {
		nd.outBlocked = slices.DeleteFunc(nd.outBlocked, func(p uint16) bool { return p == port })
	}
}

// outBlockedFrom reports whether from cannot reach port.
func (n *Network) outBlockedFrom(from netip.Addr, port uint16) bool {
	nd := n.nodes[keyAddr(from)]
	return nd != nil && slices.Contains(nd.outBlocked, port)
}

// UnblockPort lifts a BlockPort.
func (n *Network) UnblockPort(addr netip.Addr, port uint16) {
	nd := n.nodes[keyAddr(addr)]
	if nd == nil {
		return
	}
	for i, p := range nd.blocked {
		if p == port {
			nd.blocked = append(nd.blocked[:i], nd.blocked[i+1:]...)
			return
		}
	}
}

// ListenUDP makes handler receive the datagrams sent to addr. The payload
// passed to handler is the handler's to keep.
func (n *Network) ListenUDP(addr netip.AddrPort, handler func(from netip.AddrPort, payload []byte)) error {
	nd := n.station(addr.Addr())
	for _, l := range nd.udp {
		if l.port == addr.Port() {
			return fmt.Errorf("listen udp %v: %w", addr, ErrAddrInUse)
		}
	}
	nd.udp = append(nd.udp, udpListener{port: addr.Port(), handler: handler})
	return nil
}

// UnlistenUDP stops delivery to addr; datagrams in flight to it are dropped
// on arrival.
func (n *Network) UnlistenUDP(addr netip.AddrPort) {
	if nd := n.nodes[keyAddr(addr.Addr())]; nd != nil {
		for i, l := range nd.udp {
			if l.port == addr.Port() {
				nd.udp = append(nd.udp[:i], nd.udp[i+1:]...)
				return
			}
		}
	}
}

// SendUDP sends one datagram and reports whether the network will deliver
// it. The decision is final and made now (see SendDatagram).
func (n *Network) SendUDP(from, to netip.AddrPort, payload []byte) (delivered bool) {
	return n.SendDatagram(from, to, payload) == NotDropped
}

// SendDatagram sends one datagram and says whether and why it was dropped.
// The checks, in order: a listener on to, the port not blocked, the link up,
// then the loss draw. All are made at send time so that the caller can
// record the message with `lost: true`; the only later drop is a listener
// that goes away while the datagram is in flight. The payload is copied, so
// the caller may reuse its buffer.
func (n *Network) SendDatagram(from, to netip.AddrPort, payload []byte) Drop {
	dst := n.nodes[keyAddr(to.Addr())]
	if dst == nil || dst.udpHandler(to.Port()) == nil {
		return DropNoListener
	}
	if dst.isBlocked(to.Port()) || n.outBlockedFrom(from.Addr(), to.Port()) {
		return DropBlocked
	}
	link := n.Link(from.Addr(), to.Addr())
	if link.Down {
		return DropDown
	}
	r := n.randFor(from.Addr())
	if r.Bool(link.Loss) {
		return DropLoss
	}
	delay := link.Latency + r.Duration(0, link.Jitter)
	data := append([]byte(nil), payload...)
	n.loop.After(delay, func() {
		if nd := n.nodes[keyAddr(to.Addr())]; nd != nil {
			if h := nd.udpHandler(to.Port()); h != nil {
				h(from, data)
			}
		}
	})
	return NotDropped
}

// station returns the station of addr, creating it.
func (n *Network) station(addr netip.Addr) *station {
	nd := n.nodes[keyAddr(addr)]
	if nd == nil {
		nd = &station{ephemeral: firstEphemeral}
		n.nodes[keyAddr(addr)] = nd
	}
	return nd
}

// randFor returns the stream for decisions about traffic sent from addr.
func (n *Network) randFor(addr netip.Addr) *Rand {
	nd := n.station(addr)
	if nd.rand == nil {
		nd.rand = n.rand.Fork(addr.String())
	}
	return nd.rand
}

func (nd *station) udpHandler(port uint16) func(netip.AddrPort, []byte) {
	for _, l := range nd.udp {
		if l.port == port {
			return l.handler
		}
	}
	return nil
}

func (nd *station) streamAccept(port uint16) func(*Conn) {
	for _, l := range nd.streams {
		if l.port == port {
			return l.accept
		}
	}
	return nil
}

func (nd *station) isBlocked(port uint16) bool {
	for _, p := range nd.blocked {
		if p == port {
			return true
		}
	}
	return false
}

// firstEphemeral is where Dial from port 0 starts numbering (the IANA
// dynamic range, 49152–65535).
const firstEphemeral = 49152

func (nd *station) nextEphemeral() uint16 {
	p := nd.ephemeral
	if p == 65535 {
		nd.ephemeral = firstEphemeral
	} else {
		nd.ephemeral++
	}
	return p
}
