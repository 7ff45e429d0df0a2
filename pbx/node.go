package pbx

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// Well-known ports of the PBX (H.225.0; B02 for the session).
const (
	PortRAS        = 1719
	PortSignalling = 1720
	PortSecure     = 1300 // call signalling over TLS, and RAS over DTLS (model choice)
	PortSession    = 443  // the myApps session (wss)
)

// NodeConfig is one PBX on a network: the decision core's configuration and
// what the node needs to run it — its address, its gatekeeper's settings,
// the device directory it starts with and its Push object.
type NodeConfig struct {
	Core Config
	Name string // the actor's name
	IP   netip.Addr
	// NoH245 runs no H.245 on the legs (as the PBX of earlier versions); by default each
	// leg terminates H.245 (see node_h245.go).
	NoH245 bool
	// TimeToLive is what the gatekeeper grants (B30); 0 = no expiry.
	TimeToLive time.Duration
	// PreGrantAnswer lets registered endpoints answer calls without an ARQ
	// (preGrantedARQ in the RCF).
	PreGrantAnswer bool
	// Directory holds what the PBX knows of its devices from before the
	// run: tokens, keys, the transports they register over. Devices of
	// Core.Devices without an entry have none of it.
	Directory []DeviceEntry
	// Push is the Push object's connection; nil = no Push object.
	Push *PushConfig
	// Random supplies call identifiers, keys and the Push object's
	// randomness (a seeded stream in a simulated world).
	Random io.Reader
	// Listen overrides where the sockets bind; invalid addresses take IP
	// and the well-known ports, a port 0 any free one.
	Listen Addrs
	// Security is what the PBX's secure listeners present (TLS call
	// signalling, DTLS RAS, the myApps session): its own certificate.
	Security *node.Security
	// NoDTLS leaves RAS over DTLS out (a driver that runs no DTLS).
	NoDTLS bool
}

// Addrs are the PBX's listening addresses.
type Addrs struct {
	RAS, DTLS, Signal, Secure, Session netip.AddrPort
}

// addrs fills the defaults in.
func (a Addrs) withDefaults(ip netip.Addr) Addrs {
	def := func(x *netip.AddrPort, port uint16) {
		if !x.IsValid() {
			*x = netip.AddrPortFrom(ip, port)
		}
	}
	def(&a.RAS, PortRAS)
	def(&a.DTLS, PortSecure)
	def(&a.Signal, PortSignalling)
	def(&a.Secure, PortSecure)
	def(&a.Session, PortSession)
	return a
}

// DeviceEntry is what the PBX knows of one device of Core.Devices.
type DeviceEntry struct {
	Name     string
	Token    string // the app's push token (its session told it)
	Platform string // push.PlatformAPNs or push.PlatformFCM
	// Key is the app's push key; KeyHeld says the app holds it from an
	// earlier session or secure registration (B08).
	Key     push.Key
	KeyHeld bool
	// Secure: the device registers over a secure transport (DTLS or TLS),
	// which carries the key (B08); learnt anew at each registration.
	Secure bool
}

// PushConfig is the Push object: the core of its connection, and where and
// how it connects.
type PushConfig struct {
	Client   push.ClientConfig
	Service  netip.AddrPort // the push service's address
	Security *node.Security // what the Push object presents and trusts
}

// Node is one PBX: the decision core, the gatekeeper, the call legs, the
// device directory, the myApps sessions and the Push object.
type Node struct {
	cfg    NodeConfig
	core   *PBX
	gk     *ras.Gatekeeper
	client *push.Client
	addrs  Addrs
	out    []node.Effect
	now    time.Time // of the input being handled

	dir     []*entry
	byName  map[string]*entry // lookups only
	aliases map[string]int    // user by h323-ID and number (lookups only)
	// Indices of the directory, so that no lookup walks every device: a
	// user's devices, and the registered devices by RAS address and by IP
	// address (RAS or call signalling), each list in directory order.
	byUser [][]*entry
	byRAS  map[netip.AddrPort]*entry
	byIP   map[netip.Addr][]*entry

	conns map[node.ConnID]*pconn

	callers  map[CallID]*sigLeg
	legs     map[LegID]*sigLeg
	guids    map[CallID][16]byte
	nextCall CallID
	nextCRV  uint16

	// route is how an answer reaches the RAS address it is for while a
	// request is being handled.
	route    rasRoute
	routeFor netip.AddrPort

	pushConn    node.ConnID
	pushUp      bool // what the core was last told
	pushDialing bool
	pushGen     int                    // counts the Push objects made (SetPushObject); a dial of an older one is dropped
	pushes      map[string]pendingPush // by PushNotifyPost src
	postSeq     int                    // numbers the srcs

	nextDial uint64
	dials    map[uint64]dialFor

	down bool // restarting: off the network (Restart.Down)

	h245 h245Legs
}

// entry is a device in the directory.
type entry struct {
	DeviceEntry
	idx     int // position in the directory
	kind    DeviceKind
	user    int
	reg     *ras.Registration // nil: not registered
	route   rasRoute          // how its RAS reaches it
	tunnel  node.ConnID       // the connection it maintains (H.460.17)
	session node.ConnID       // its myApps session
	// tokenDropped: the app logged out; the core was told (B26).
	tokenDropped bool
}

// rasRoute is a socket, or an H.460.17 connection.
type rasRoute struct {
	sock   node.SockID
	conn   node.ConnID
	secure bool
}

type pendingPush struct {
	call   CallID
	device string
}

type dialFor struct {
	leg     *sigLeg // a leg's connection
	push    bool    // the Push object's
	pushGen int     // which Push object dialled
	h245    *sigLeg // a leg's separate H.245 connection
}

// Sockets of the PBX.
const (
	sockRAS node.SockID = iota + 1
	sockDTLS
	sockSignal
	sockSecure
	sockSession
)

// Node timer kinds (node.KindsNode range).
const (
	timerLegUnreachable = node.KindsNode + iota
)

// NewNode checks cfg and builds a PBX that has not started.
func NewNode(cfg NodeConfig) (*Node, error) {
	if cfg.Random == nil {
		return nil, errors.New("pbx: node needs a random source")
	}
	core, err := New(cfg.Core)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, core: core, byName: make(map[string]*entry, len(cfg.Core.Devices)), aliases: make(map[string]int, 2*len(cfg.Core.Users)),
		byUser: make([][]*entry, len(cfg.Core.Users)), byRAS: map[netip.AddrPort]*entry{}, byIP: map[netip.Addr][]*entry{},
		conns: map[node.ConnID]*pconn{}, callers: map[CallID]*sigLeg{}, legs: map[LegID]*sigLeg{},
		guids: map[CallID][16]byte{}, pushes: map[string]pendingPush{}, dials: map[uint64]dialFor{}}
	for i, u := range cfg.Core.Users {
		if u.Number != "" {
			n.aliases[u.Number] = i
		}
	}
	for i, u := range cfg.Core.Users {
		n.aliases[u.Name] = i // a name wins over a number
	}
	// The directory usually lists the devices in their order (a scenario
	// writes both): a map of it is made only when it does not.
	var known map[string]DeviceEntry
	n.dir = make([]*entry, 0, len(cfg.Core.Devices))
	for i, d := range cfg.Core.Devices {
		var de DeviceEntry
		if i < len(cfg.Directory) && cfg.Directory[i].Name == d.Name {
			de = cfg.Directory[i]
		} else {
			if known == nil {
				known = make(map[string]DeviceEntry, len(cfg.Directory))
				for _, d := range cfg.Directory {
					known[d.Name] = d
				}
			}
			var ok bool
			if de, ok = known[d.Name]; !ok {
				de = DeviceEntry{Name: d.Name}
			}
		}
		e := &entry{DeviceEntry: de, idx: len(n.dir), kind: d.Kind, user: n.aliases[d.User], tokenDropped: d.Kind.isApp() && !d.PushToken}
		n.dir = append(n.dir, e)
		n.byName[d.Name] = e
		n.byUser[e.user] = append(n.byUser[e.user], e)
	}
	n.addrs = cfg.Listen.withDefaults(cfg.IP)
	n.newGatekeeper()
	if cfg.Push != nil {
		if n.client, err = push.NewClient(cfg.Push.Client, cfg.Random); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// newGatekeeper makes the gatekeeper for the bound addresses (the
// call-signalling address goes into RCF and ACF).
func (n *Node) newGatekeeper() {
	n.gk = ras.NewGatekeeper(ras.GatekeeperConfig{
		ID:                n.cfg.Core.SystemName,
		RASAddress:        n.addrs.RAS,
		CallSignalAddress: n.addrs.Signal,
		TimeToLive:        n.cfg.TimeToLive,
		Password:          n.password,
		Known:             func(alias string) bool { _, ok := n.aliases[alias]; return ok },
		Resolve:           n.resolve,
		PreGrantAnswer:    n.cfg.PreGrantAnswer,
	})
}

// Addrs returns the bound listening addresses (once listening).
func (n *Node) Addrs() Addrs { return n.addrs }

// Handle implements node.Node.
func (n *Node) Handle(now time.Time, in node.Input) []node.Effect {
	n.out = n.out[:0]
	n.now = now
	switch in := in.(type) {
	case node.Start:
		n.start()
	case node.Listening:
		if !n.h245Listening(in) {
			n.listening(in)
		}
	case node.Stop:
		n.emit(node.Done{})
	case node.TimerFired:
		n.timer(now, in.ID)
	case node.Datagram:
		n.datagram(now, in)
	case node.Accepted:
		if !n.h245Accepted(now, in) {
			n.accepted(in)
		}
	case node.Dialled:
		n.dialled(now, in)
	case node.Message:
		n.message(now, in)
	case node.Closed:
		n.closed(now, in)
	case node.Command:
		n.command(now, in.Cmd)
	}
	return n.out
}

func (n *Node) emit(e ...node.Effect) { n.out = append(n.out, e...) }

func (n *Node) record(name string, attrs ...timeline.Attr) {
	n.emit(node.Record{Name: name, Attrs: attrs})
}

func (n *Node) start() {
	a := n.addrs
	n.emit(node.Listen{Sock: sockRAS, Addr: a.RAS, Transport: node.UDP, Protocol: "ras"})
	if !n.cfg.NoDTLS {
		n.emit(node.Listen{Sock: sockDTLS, Addr: a.DTLS, Transport: node.DTLS, Security: n.cfg.Security, Protocol: "ras"})
	}
	n.emit(
		node.Listen{Sock: sockSignal, Addr: a.Signal, Transport: node.TCP, Protocol: "q931"},
		node.Listen{Sock: sockSecure, Addr: a.Secure, Transport: node.TLS, Security: n.cfg.Security, Protocol: "q931"},
		node.Listen{Sock: sockSession, Addr: a.Session, Transport: node.WSS, Path: "/myapps", Security: n.cfg.Security, Protocol: "session"},
	)
	if n.client != nil {
		n.pushDo(n.client.Start())
	}
}

// listening learns the bound addresses; the gatekeeper names them. A
// socket that cannot be bound is reported (the PBX runs without it).
func (n *Node) listening(in node.Listening) {
	if in.Err != nil {
		n.record("pbx.listen_failed", timeline.A("pbx", n.cfg.Name), timeline.A("socket", int(in.Sock)), timeline.A("error", in.Err.Error()))
		return
	}
	changed := false
	set := func(x *netip.AddrPort) {
		if *x != in.Addr {
			*x, changed = in.Addr, true
		}
	}
	switch in.Sock {
	case sockRAS:
		set(&n.addrs.RAS)
	case sockDTLS:
		set(&n.addrs.DTLS)
	case sockSignal:
		set(&n.addrs.Signal)
	case sockSecure:
		set(&n.addrs.Secure)
	case sockSession:
		set(&n.addrs.Session)
	}
	if changed && (in.Sock == sockRAS || in.Sock == sockSignal) {
		n.newGatekeeper() // before any registration: the sockets bind first
	}
}

// Commands a scenario gives the PBX: SetPushObject, and the core's inputs
// that are actions (PresenceChanged, Notify), handed to it as they are.
func (n *Node) command(now time.Time, cmd any) {
	switch c := cmd.(type) {
	case Restart:
		n.restart(now, c)
	case SetPushObject:
		n.setPushObject(now, c.Push)
	case Input:
		n.handle(now, c)
	default:
		n.record("pbx.unknown_command", timeline.A("command", fmt.Sprintf("%T", cmd)))
	}
}

func (n *Node) timer(now time.Time, id node.TimerID) {
	switch {
	case ras.IsTimer(id):
		n.rasDo(now, n.gk.HandleTimer(now, ras.TimerIDOf(id)))
	case IsTimer(id):
		n.handle(now, TimerFired{ID: TimerIDOf(id)})
	case push.IsTimer(id):
		if n.client != nil {
			n.pushDo(n.client.TimerFired(push.TimerOf(id)))
		}
	case id.Kind == timerH245:
		n.h245Timeout(now, id)
	case id.Kind == timerRestarted:
		n.restarted()
	case id.Kind == timerLegUnreachable:
		if l := n.legs[LegID(id.Key)]; l != nil && !l.done {
			l.done = true
			delete(n.legs, l.id)
			n.handle(now, LegReleased{Leg: l.id, Cause: causeDestinationOutOfOrder})
		}
	}
}

// handle gives the decision core one input and carries out its effects.
func (n *Node) handle(now time.Time, in Input) {
	effects, err := n.core.Handle(in)
	if err != nil {
		n.record("pbx.error", timeline.A("pbx", n.cfg.Name), timeline.A("error", err.Error()))
		return
	}
	for _, e := range effects {
		n.apply(now, e)
	}
}

func (n *Node) apply(now time.Time, e Effect) {
	switch e := e.(type) {
	case node.SetTimer, node.CancelTimer, node.Record:
		n.emit(e)
	case ProceedCaller:
		if l := n.callers[e.Call]; l != nil && !l.done {
			n.legDo(now, l, l.leg.CallProceeding())
		}
	case AlertCaller:
		if l := n.callers[e.Call]; l != nil && !l.done {
			n.legDo(now, l, l.leg.Alerting())
		}
	case ConnectCaller:
		if l := n.callers[e.Call]; l != nil && !l.done {
			n.legDo(now, l, l.leg.Connect())
		}
	case ReleaseCaller:
		if l := n.callers[e.Call]; l != nil {
			n.release(now, l, e.Cause)
		}
		delete(n.guids, e.Call)
	case StartLeg:
		n.startLeg(now, e)
	case ReleaseLeg:
		if l := n.legs[e.Leg]; l != nil {
			n.release(now, l, e.Cause)
		}
	case UpdateCallerName:
		// The name after the Setup (B17) travels on the leg as a Facility
		// with a Display element; a leg still being dialled puts it into
		// its Setup instead.
		if l := n.legs[e.Leg]; l != nil && !l.done {
			if l.leg == nil {
				l.name = e.Name
			} else {
				n.legDo(now, l, l.leg.UpdateDisplay(e.Name))
			}
		}
	case SendPush:
		n.sendPush(e)
	}
}

// guid is a call's callIdentifier: random, one per call, carried by every
// leg's Setup and by the push (the phone matches them).
func (n *Node) guid(call CallID) [16]byte {
	if g, ok := n.guids[call]; ok {
		return g
	}
	var g [16]byte
	_, _ = io.ReadFull(n.cfg.Random, g[:])
	n.guids[call] = g
	return g
}

func (n *Node) dial(d node.Dial, f dialFor) {
	n.nextDial++
	d.Ref = n.nextDial
	n.dials[d.Ref] = f
	n.emit(d)
}

func (n *Node) dialled(now time.Time, in node.Dialled) {
	f, ok := n.dials[in.Ref]
	if !ok {
		if in.Err == nil {
			n.emit(node.Close{Conn: in.Conn}) // dialled before a restart: nobody wants it
		}
		return
	}
	delete(n.dials, in.Ref)
	switch {
	case f.push && f.pushGen != n.pushGen:
		if in.Err == nil {
			n.emit(node.Close{Conn: in.Conn}) // the object that dialled was replaced
		}
	case f.push:
		n.pushDialled(in)
	case f.leg != nil:
		n.legDialled(now, f.leg, in)
	case f.h245 != nil:
		n.h245Dialled(now, f.h245, in)
	}
}

func (n *Node) message(now time.Time, in node.Message) {
	pc := n.conns[in.Conn]
	switch {
	case in.Conn == n.pushConn && n.pushConn != 0:
		n.pushDo(n.client.Receive(in.Payload))
	case pc != nil && pc.session:
		n.sessionMessage(now, pc, in)
	case pc != nil && pc.h245 != nil:
		n.h245Message(now, pc, in)
	case pc != nil:
		n.signalMessage(now, pc, in)
	}
}

func (n *Node) closed(now time.Time, in node.Closed) {
	if in.Conn == n.pushConn && n.pushConn != 0 {
		n.pushConn = 0
		reason := in.Reason
		if reason == "" {
			reason = push.ReasonConnectionLost
		}
		n.pushDo(n.client.Failed(reason))
		return
	}
	pc := n.conns[in.Conn]
	if pc == nil {
		return
	}
	delete(n.conns, in.Conn)
	if pc.h245 != nil {
		if pc.h245.h245.conn == in.Conn {
			pc.h245.h245.conn = 0 // the call goes on without H.245
		}
		return
	}
	if pc.session {
		n.sessionClosed(pc)
		return
	}
	if in.Err == node.ErrFraming {
		n.emit(node.Record{Name: "q931.malformed", Attrs: []timeline.Attr{timeline.A("error", in.Err.Error())}})
	}
	n.connLost(now, pc)
}
