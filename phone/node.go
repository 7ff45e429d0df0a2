package phone

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// Transport is how the phone speaks H.323 to its PBX (B30, B32).
type Transport int

// The transports.
const (
	// H323: RAS on UDP, call signalling on TCP; the PBX dials the phone.
	H323 Transport = iota
	// H460TCP: H.460.17 — one TCP connection to the PBX, kept open, carries
	// the RAS messages (inside Facility messages) and every call.
	H460TCP
	// H460TLS: H.460.17 over TLS.
	H460TLS
	// DTLS: RAS on DTLS, call signalling on TLS; the PBX dials the phone.
	DTLS
)

// Secure reports whether the transport protects what it carries (B08).
func (t Transport) Secure() bool { return t == H460TLS || t == DTLS }

// Tunnelled reports whether RAS travels in the signalling connection.
func (t Transport) Tunnelled() bool { return t == H460TCP || t == H460TLS }

// Name is the transport's name in the scenario format and in
// app.key_received {via}.
func (t Transport) Name() string {
	return [...]string{"h323", "h323-tcp", "h323-tls", "h323-dtls"}[t]
}

// AnswerAdmission says whether the phone asks its gatekeeper for admission
// (ARQ with answerCall) before it answers an incoming call (H.323 8.1).
type AnswerAdmission int

const (
	// AdmissionAuto asks unless the RCF pre-granted answering.
	AdmissionAuto AnswerAdmission = iota
	// AdmissionAlways asks even when answering was pre-granted.
	AdmissionAlways
	// AdmissionNever never asks.
	AdmissionNever
)

// Well-known ports (H.225.0, B20).
const (
	PortRAS        = 1719
	PortSignalling = 1720
	PortSecure     = 1300 // H.225.0 call signalling over TLS
)

// NodeConfig is one phone on a network: the decision core's settings and
// everything the node needs to reach its PBX and its vendor's push service.
type NodeConfig struct {
	Core Config // the decision core; Core.Device is the actor's name

	// Identity at the gatekeeper: the user's aliases, and DeviceAlias, an
	// extra h323-ID naming this device among its user's (as a hardware ID
	// does; "" = none). Display is the name the phone's own Setups carry
	// in their Display element ("" = none).
	Alias, Number, DeviceAlias string
	Display                    string
	Password                   string         // H.235 password; "" = none
	Authentication             ras.AuthMethod // token method with a password
	GatekeeperID               string         // asked for in the GRQ; "" = any
	ClockSkew                  time.Duration  // how far ahead the phone's clock runs (B31)
	Discover                   bool           // GRQ before RRQ

	// Addresses. IP is the phone's; RASPort and SignalPort its RAS and
	// call-signalling ports (0 = any free one). Gatekeeper is the PBX's RAS
	// address; PBXSignal its call-signalling address, which H.460.17
	// connects to.
	IP                  netip.Addr
	RASPort, SignalPort uint16
	// RASIP, when valid, is where RAS binds instead of IP; Announce, when
	// valid, is the address the phone names in RAS when it binds an
	// unspecified one (0.0.0.0: the address of the route to the
	// gatekeeper).
	RASIP, Announce netip.Addr
	Gatekeeper      netip.AddrPort
	PBXSignal       netip.AddrPort
	Transport       Transport
	PBX             string // the PBX's actor name, for events about what it did
	// Security is what the phone's TLS listener presents (a PBX dials a
	// DTLS phone over TLS); nil = nothing.
	Security *node.Security
	// PBXSecurity is what the phone presents and trusts on the secure
	// connections it opens to its PBX: the DTLS association of its RAS,
	// TLS call signalling and H.460.17 over TLS. nil = it presents nothing
	// and takes any certificate (the simulated worlds' model choice).
	PBXSecurity *node.Security

	// The push path of an app (zero for a desk phone): the vendor service
	// the phone keeps a connection to (B20), the token it registered there,
	// and the PBX's myApps session (wss) that carries the push key (B08).
	Vendor   netip.AddrPort
	Platform string // push.PlatformAPNs or push.PlatformFCM
	Token    string
	Session  netip.AddrPort // invalid: no session address
	// Key is the push key the app holds from before the run (its last
	// session or secure registration, B08); nil = none.
	Key *push.Key

	Admission AnswerAdmission
	// H245 is how calls carry H.245 (tunnelled by default); Codecs the G.711 codecs the
	// phone offers and accepts, in preference order (nil: A-law then µ-law).
	H245   H245Mode
	Codecs []control.Codec
	// SetupTimeout (Q.931 T303) and ProceedingTimeout (T310) clear a call
	// this phone placed with cause 102 when its Setup has no answer that
	// long, or its Call Proceeding no progress; 0 = wait for ever.
	SetupTimeout, ProceedingTimeout time.Duration

	// Call, when set, is placed once the phone first registered.
	Call *PlaceCall
	// Reregister starts a new registration this long after one failed or
	// was lost (0 = never), as phones do after a PBX restart.
	Reregister time.Duration
	// ReregisterBackoff makes a phone that keeps failing wait longer: the
	// delay doubles after each failure up to ReregisterMax (default 16 ×
	// Reregister) and is jittered by ±25 %, so that a population that lost
	// its registrations together does not come back in lock-step. Only a
	// registration that timed out or was lost is retried (not one refused
	// for its password or aliases), and only while the app wants to be
	// registered.
	ReregisterBackoff bool
	ReregisterMax     time.Duration

	// Report records what a softphone's trace shows beyond messages:
	// phone.registered, phone.registration_failed, phone.unregistered,
	// call.placing.
	Report bool
	// StopOnFailure ends the node (Done) when registration fails, and
	// StopAfterCall when a call it placed is over.
	StopOnFailure, StopAfterCall bool

	// Decrypted, when set, sees what the app read from each push it got
	// (B07's test).
	Decrypted func(typ string, d push.Details)

	// DirectCalls accepts call-signalling connections from anyone (direct
	// mode: callers reach the phone without a gatekeeper). Otherwise
	// (routed mode, as a PBX works) the phone accepts them only from its
	// gatekeeper's host — the IP of PBXSignal, of Gatekeeper or of the
	// rasAddress a GCF named — and closes any other at once with a
	// phone.refused record (rate-limited): a stranger cannot ring it.
	DirectCalls bool

	// Random supplies sequence numbers and call identifiers (a seeded
	// stream in a simulated world); Wake draws wake latencies.
	Random io.Reader
	Wake   Rand
}

// Default Q.931 timers of a phone (the common values of H.323 stacks).
const (
	DefaultSetupTimeout      = 4 * time.Second // T303
	DefaultProceedingTimeout = 2 * time.Minute // T310
)

// PlaceCall is a Command: place a call to digits. The caller hangs up
// HangupAfter after its Connect, HangupIn after the command (answered or
// not) or HangupAfterSetup after its Setup went out (answered or not),
// whichever comes first; 0 = not that way (hold until the other side ends
// the call).
type PlaceCall struct {
	To               string
	HangupAfter      time.Duration
	HangupIn         time.Duration
	HangupAfterSetup time.Duration
}

// Commands a scenario or operator gives the phone, besides PlaceCall: the
// inputs of the decision core that are user actions (AppStateChanged,
// PresenceChanged, DefaultSoftphoneChanged), SessionChanged, and what the
// network does to the phone (VendorCut, NetworkMoved).

// SessionChanged is a Command: the app's WebSocket session to the PBX comes
// up or goes down (B08).
type SessionChanged struct{ Up bool }

// VendorCut is a Command: the network cut the phone's connection to its
// vendor's push service (a firewall that now blocks the port, B20). The
// phone connects again at its pace (VendorRetry), in vain while the block
// lasts.
type VendorCut struct{}

// NetworkMoved is a Command: the phone moved between Wi-Fi and mobile data
// (B20). Its connection to the vendor is made again at once on the new
// network, and a registered phone registers again from it (a full RRQ, as
// a phone whose address changed does).
type NetworkMoved struct{}

// Result is what a phone's run did, for a command line's report.
type Result struct {
	Registered   bool   // a registration was confirmed
	Failure      string // why registration failed; "" = it did not
	CallFailure  string // why a placed call did not happen
	Connected    bool   // a placed call was answered
	ReleaseCause int    // the cause of the placed call's Release Complete
	Unregistered string // how the registration ended ("" = still registered)
	// RASAddress and SignalAddress are the bound addresses.
	RASAddress, SignalAddress netip.AddrPort
}

// Node is one phone: the decision core, its RAS endpoint, its call legs,
// its connection to the vendor's push service and its myApps session.
// AuthMethod is the H.235 token method a phone signs its RAS with, named
// here (with its values) so that a phone's configuration is built without
// the ras package.
type AuthMethod = ras.AuthMethod

const (
	AuthHMACSHA1 = ras.AuthHMACSHA1 // H.235.1 HMAC-SHA1-96
	AuthMD5      = ras.AuthMD5      // cryptoEPPwdHash (MD5)
)

type Node struct {
	cfg  NodeConfig
	core *Phone
	ep   *ras.Endpoint
	out  []node.Effect

	rasAddr, sigAddr netip.AddrPort
	bound            int // sockets bound so far
	started          bool
	stopping         bool
	done             bool

	tunnel  tunnel
	calls   []*call     // live call legs, in arrival or placing order
	conns   []connAddrs // accepted connections
	refused refusals    // phone.refused records held back
	nextRef CallRef
	refs    []guidRef // call identifiers of pushes and Setups, newest last

	vendor  vendorConn
	session sessionConn
	key     *push.Key
	keyVia  string // the key path the last key came by ("" = none held)

	nextDial uint64
	dials    []pendingDial

	result Result
	// reregFailures counts the re-registrations since the last success (backoff).
	reregFailures int
	// registerPending: the core asked for a registration before the
	// endpoint existed.
	registerPending bool
}

type guidRef struct {
	guid [16]byte
	ref  CallRef
}

// pendingDial is a Dial whose Dialled has not come.
type pendingDial struct {
	ref  uint64
	kind dialKind
	call *call
}

type dialKind int

const (
	dialTunnel dialKind = iota + 1
	dialCall
	dialVendor
	dialSession
	dialH245 // a call's separate H.245 connection
)

// Sockets of a phone.
const (
	sockRAS node.SockID = iota + 1
	sockSignal
)

// Timer kinds of the node itself (node.KindsNode range).
const (
	timerT303 = node.KindsNode + iota
	timerT310
	timerHangup
	timerVendorRetry
	timerStopGrace
	timerReregister
	timerGiveUp // the caller hangs up whatever the call's state (PlaceCall.HangupIn, HangupAfterSetup)
)

// NewNode checks cfg and builds a phone that has not started.
func NewNode(cfg NodeConfig) (*Node, error) {
	if cfg.Random == nil {
		return nil, errors.New("phone: node needs a random source")
	}
	if !cfg.IP.IsValid() {
		return nil, fmt.Errorf("phone %s: no address", cfg.Core.Device)
	}
	core, err := New(cfg.Core, cfg.Wake)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, core: core}
	if cfg.Key != nil {
		k := *cfg.Key
		n.key = &k
	}
	return n, nil
}

// Result reports what the run did so far.
func (n *Node) Result() Result { return n.result }

// Registered reports whether the phone holds a registration.
func (n *Node) Registered() bool { return n.ep != nil && n.ep.Registered() }

// Handle implements node.Node.
func (n *Node) Handle(now time.Time, in node.Input) []node.Effect {
	n.out = n.out[:0]
	switch in := in.(type) {
	case node.Start:
		n.start()
	case node.Listening:
		if !n.h245Listening(in) {
			n.listening(now, in)
		}
	case node.Stop:
		n.stop(now)
	case node.TimerFired:
		n.timer(now, in.ID)
	case node.Datagram:
		if in.Sock == sockRAS {
			n.rasDatagram(now, in.From, in.Payload)
		}
	case node.Accepted:
		if !n.h245Accepted(now, in) {
			n.accepted(now, in)
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

func (n *Node) name() string { return n.cfg.Core.Device }

func (n *Node) start() {
	ras, sig := node.UDP, node.TCP
	sigPort := n.cfg.SignalPort
	if n.cfg.Transport == DTLS {
		ras = node.DTLS
	}
	if n.cfg.Transport.Secure() {
		sig = node.TLS
	}
	rasIP := n.cfg.IP
	if n.cfg.RASIP.IsValid() {
		rasIP = n.cfg.RASIP
	}
	var rasSec *node.Security
	if ras == node.DTLS {
		rasSec = n.cfg.PBXSecurity // the socket's end dials the gatekeeper's association
	}
	n.emit(node.Listen{Sock: sockRAS, Addr: netip.AddrPortFrom(rasIP, n.cfg.RASPort), Transport: ras, Security: rasSec, Protocol: "ras"},
		node.Listen{Sock: sockSignal, Addr: netip.AddrPortFrom(n.cfg.IP, sigPort), Transport: sig, Security: n.cfg.Security, Protocol: "q931"})
}

// listening: once both sockets are bound the endpoint knows its addresses
// and the phone starts.
func (n *Node) listening(now time.Time, in node.Listening) {
	if in.Err != nil {
		n.record("phone.listen_failed", timeline.A("error", in.Err.Error()))
		n.finish()
		return
	}
	switch in.Sock {
	case sockRAS:
		n.rasAddr = in.Addr
	case sockSignal:
		n.sigAddr = in.Addr
	}
	n.bound++
	if n.bound < 2 || n.started {
		return
	}
	n.started = true
	if a := n.cfg.Announce; a.IsValid() {
		if n.rasAddr.Addr().IsUnspecified() {
			n.rasAddr = netip.AddrPortFrom(a, n.rasAddr.Port())
		}
		if n.sigAddr.Addr().IsUnspecified() {
			n.sigAddr = netip.AddrPortFrom(a, n.sigAddr.Port())
		}
	}
	n.result.RASAddress, n.result.SignalAddress = n.rasAddr, n.sigAddr
	var seq [2]byte
	_, _ = io.ReadFull(n.cfg.Random, seq[:])
	n.ep = ras.NewEndpoint(ras.EndpointConfig{
		Alias: n.cfg.Alias, Number: n.cfg.Number, DeviceAlias: n.cfg.DeviceAlias, Password: n.cfg.Password,
		RASAddress: n.rasAddr, CallSignalAddress: n.sigAddr, Gatekeeper: n.cfg.Gatekeeper,
		TimeToLive: n.cfg.Core.TTL, Discover: n.cfg.Discover, KeepAlive: true,
		MaintainConnection: n.cfg.Transport.Tunnelled(),
		GatekeeperID:       n.cfg.GatekeeperID, ClockSkew: n.cfg.ClockSkew,
		Authentication: n.cfg.Authentication,
		// Real stacks start at a random sequence number.
		FirstSeqNum: uint16(seq[0])<<8 | uint16(seq[1]),
		Random:      n.cfg.Random,
	})
	if n.key != nil && n.keyVia == "" {
		n.keyVia = n.initialKeyPath()
		if n.keyVia != "" {
			// Model choice: the key came before the run (B08).
			n.emit(node.Record{Name: EventKeyReceived, Attrs: append([]timeline.Attr{
				timeline.A("from", n.cfg.PBX), timeline.A("to", n.name())}, n.keyAttrs(n.keyVia)...)})
		}
	}
	n.startPushPath()
	n.coreDo(now, Start{})
	if n.registerPending && !n.ep.Registered() {
		n.registerPending = false
		n.rasDo(now, n.ep.Register(now))
	}
}

// stop winds down: calls released, URQ; Done once the UCF came or after
// a grace of one request timeout.
func (n *Node) stop(now time.Time) {
	if n.stopping {
		return
	}
	n.stopping = true
	for _, c := range append([]*call(nil), n.calls...) {
		switch {
		case c.done:
		case c.leg != nil:
			n.legDo(now, c, c.leg.Release(CauseNormalClearing))
			n.endCall(now, c)
		case !c.incoming:
			n.endCall(now, c) // being placed: no Setup goes out after Stop
		}
	}
	if n.ep != nil && n.ep.Registered() {
		n.rasDo(now, n.ep.Unregister(now))
		n.emit(node.SetTimer{ID: node.TimerID{Kind: timerStopGrace}, After: ras.RequestTimeout})
		return
	}
	if n.ep != nil {
		n.rasDo(now, n.ep.Unregister(now)) // abandons a registration in progress
	}
	n.finish()
}

func (n *Node) finish() {
	if n.done {
		return
	}
	n.done = true
	n.emit(node.Done{})
}

func (n *Node) timer(now time.Time, id node.TimerID) {
	switch {
	case ras.IsTimer(id):
		if n.ep != nil {
			n.rasDo(now, n.ep.HandleTimer(now, ras.TimerIDOf(id)))
		}
	case IsTimer(id):
		n.coreDo(now, TimerFired{ID: TimerIDOf(id)})
	case id.Kind == timerH245:
		n.h245Timeout(now, id)
	case id.Kind == timerT303 || id.Kind == timerT310:
		n.q931Timer(now, id)
	case id.Kind == timerHangup || id.Kind == timerGiveUp:
		if c := n.callByID(id.Key); c != nil {
			n.hangUp(now, c)
		}
	case id.Kind == timerVendorRetry:
		n.dialVendor()
	case id.Kind == timerStopGrace:
		n.finish()
	case id.Kind == timerReregister:
		// The app may have gone to sleep meanwhile: only a phone that still
		// wants its registration registers again.
		if n.ep != nil && !n.stopping && !n.ep.Registered() && (n.core == nil || n.core.Running()) {
			n.rasDo(now, n.ep.Register(now))
		}
	}
}

func (n *Node) command(now time.Time, cmd any) {
	switch c := cmd.(type) {
	case PlaceCall:
		n.placeCall(now, c)
	case SessionChanged:
		n.setSession(now, c.Up)
	case VendorCut:
		n.vendorCut()
	case NetworkMoved:
		n.networkMoved(now)
	case Input:
		n.coreDo(now, c)
	default:
		n.record("phone.unknown_command", timeline.A("command", fmt.Sprintf("%T", cmd)))
	}
}

// coreDo gives the decision core one input and carries out its effects.
func (n *Node) coreDo(now time.Time, in Input) { n.coreEffects(now, in, nil) }

// coreEffects is coreDo with the received message (a push) the core's
// events are about.
func (n *Node) coreEffects(now time.Time, in Input, about *node.About) {
	effects, err := n.core.Handle(in)
	if err != nil {
		n.record("phone.error", timeline.A("device", n.name()), timeline.A("error", err.Error()))
		return
	}
	for _, e := range effects {
		switch e := e.(type) {
		case node.SetTimer, node.CancelTimer:
			n.emit(e)
		case node.Record:
			r := e
			if about != nil && (e.Name == EventPushDelivered || e.Name == EventPushDropped) {
				r.About = about
				if e.Name == EventPushDropped {
					r.About = &node.About{Conn: about.Conn} // no wire: it went no further
				}
			}
			n.emit(r)
		case StartRegistration:
			if n.ep != nil {
				n.rasDo(now, n.ep.Register(now))
			} else {
				// Asked before the sockets are bound (an action at time 0):
				// the endpoint registers as soon as it exists.
				n.registerPending = true
			}
		case Unregister:
			if n.ep != nil {
				n.rasDo(now, n.ep.Unregister(now))
			}
		case SendAlerting:
			if c := n.incomingCall(e.Call); c != nil {
				n.legDo(now, c, c.leg.Alerting())
			}
		case SendConnect:
			if c := n.incomingCall(e.Call); c != nil {
				n.legDo(now, c, c.leg.Connect())
			}
		case SendRelease:
			if c := n.incomingCall(e.Call); c != nil {
				n.legDo(now, c, c.leg.Release(e.Cause))
				n.endCall(now, c)
			}
		case EndSession:
			n.logout()
		case StartSession:
			n.login(now)
		}
	}
}

// dial asks the driver for a connection and remembers what it is for.
func (n *Node) dial(kind dialKind, c *call, d node.Dial) {
	n.nextDial++
	d.Ref = n.nextDial
	n.dials = append(n.dials, pendingDial{ref: d.Ref, kind: kind, call: c})
	n.emit(d)
}

func (n *Node) dialled(now time.Time, in node.Dialled) {
	for i, d := range n.dials {
		if d.ref != in.Ref {
			continue
		}
		n.dials = append(n.dials[:i], n.dials[i+1:]...)
		switch d.kind {
		case dialTunnel:
			n.tunnelDialled(now, in)
		case dialCall:
			n.callDialled(now, d.call, in)
		case dialVendor:
			n.vendorDialled(in)
		case dialSession:
			n.sessionDialled(now, in)
		case dialH245:
			n.h245Dialled(now, d.call, in)
		}
		return
	}
}

// message routes a message to what its connection is for.
func (n *Node) message(now time.Time, in node.Message) {
	if n.h245Message(now, in) {
		return
	}
	switch {
	case n.vendor.up && in.Conn == n.vendor.conn:
		n.vendorMessage(now, in)
	case n.session.up && in.Conn == n.session.conn:
		n.sessionMessage(now, in)
	case n.tunnel.up && in.Conn == n.tunnel.conn:
		n.tunnelMessage(now, in)
	default:
		n.signalMessage(now, in)
	}
}

func (n *Node) closed(now time.Time, in node.Closed) {
	if n.h245Closed(in) {
		return
	}
	switch {
	case n.vendor.up && in.Conn == n.vendor.conn:
		n.vendorClosed()
	case n.session.up && in.Conn == n.session.conn:
		n.session = sessionConn{}
	case n.tunnel.up && in.Conn == n.tunnel.conn:
		n.tunnelClosed(now)
	default:
		n.forgetConn(in.Conn)
		for _, c := range append([]*call(nil), n.calls...) {
			if c.conn == in.Conn && !c.shared {
				n.connLost(now, c)
			}
		}
	}
}
