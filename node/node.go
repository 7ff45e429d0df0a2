package node

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/netip"
	"time"

	"github.com/callwake/callwake/timeline"
)

// Node is one actor: the PBX, a phone, the push service with its vendor
// emulators. A driver hands it one input at a time, on one goroutine, and
// carries out the effects it returns, in order. Handle must not block, read
// a clock other than now, start a goroutine or touch a socket.
//
// The returned slice is the driver's until the next call of Handle: a node
// may reuse its backing array then.
type Node interface {
	Handle(now time.Time, in Input) []Effect
}

// Transport is how a socket or connection carries a node's messages.
type Transport uint8

// The transports. Datagram transports (UDP, DTLS) carry one message per
// datagram; stream transports carry messages framed by the driver: TPKT
// (RFC 1006) on TCP and TLS, WebSocket messages on WSS, requests and
// responses on HTTP2.
const (
	UDP Transport = iota + 1
	DTLS
	TCP
	TLS
	WSS
	HTTP2
)

var transportNames = [...]string{"", "udp", "dtls", "tcp", "tls", "wss", "http2"}

// String is the transport's name as timelines write it ("udp", "tls", ...).
func (t Transport) String() string {
	if int(t) < len(transportNames) {
		return transportNames[t]
	}
	return "transport?"
}

// Datagram reports whether the transport carries datagrams.
func (t Transport) Datagram() bool { return t == UDP || t == DTLS }

// Secure reports whether the transport runs TLS or DTLS.
func (t Transport) Secure() bool { return t == DTLS || t == TLS || t == WSS || t == HTTP2 }

// SockID names a socket a node listens on (a UDP or DTLS socket, or a
// stream listener). The node chooses it; it is unique within the node.
type SockID uint32

// ConnID names one connection of a node, accepted or dialled. The driver
// chooses it and never reuses it within a node's life.
type ConnID uint64

// TimerID names a timer of a node. Kind says what the timer is for (each
// core numbers its kinds in its own range, see the Kind constants), Part
// which instance of a core set it (the node's choice: an endpoint, a leg),
// Key which one of its kind (a call, a request). A driver keeps one pending
// timer per ID and node: SetTimer with a pending ID replaces it.
type TimerID struct {
	Kind uint32
	Part uint32
	Key  uint64
}

// The ranges of timer kinds, one per core, so that the cores of one node
// never name the same timer.
const (
	KindsRAS   = 0x100 // ras.Endpoint and ras.Gatekeeper
	KindsPBX   = 0x200 // the pbx decision core
	KindsPhone = 0x300 // the phone decision core
	KindsPush  = 0x400 // the push client and service
	KindsH323  = 0x500 // call legs and H.245
	KindsNode  = 0x600 // a node's own timers (Q.931 T303, a run's end, ...)
)

// Identity is who a certificate names: its subject, its issuer's common
// name and its serial number (decimal). The simulated driver compares
// identities; the real driver reads them off verified certificates.
type Identity struct {
	Subject string
	Issuer  string
	Serial  string
}

// Peer is what a secure transport learnt of the other side: the identity
// its certificate names (nil: it presented none) and whether that
// certificate chains to the local side's trust list.
type Peer struct {
	Identity *Identity
	Verified bool
}

// Security is what a node presents and accepts on a secure transport.
type Security struct {
	// Own is the certificate this side presents; nil presents none.
	Own *Credential
	// Trust lists the issuers (common names of CAs) whose certificates this
	// side accepts. A dialling side with a non-empty Trust refuses a
	// listener whose certificate chains to none of them (Dialled with
	// ErrUntrusted); a listener reports what it saw in Peer.Verified and
	// leaves the decision to the node.
	Trust []string
	// ClientAuth makes a listener ask the dialler for its certificate.
	ClientAuth bool
	// ServerName is the name a dialler expects the listener's certificate
	// to carry (and sends as TLS SNI); "" = the host of the address.
	ServerName string
	// Roots holds the trusted issuers' certificates for the real driver,
	// which verifies chains with crypto/x509; the simulated driver compares
	// Trust with the peer's Identity.Issuer instead.
	Roots *x509.CertPool
}

// Credential is a certificate a node presents: its identity, and for the
// real driver the certificate chain and private key.
type Credential struct {
	Identity    Identity
	Certificate *tls.Certificate // nil in simulated worlds
}

// Trusts reports whether an identity's issuer is on the trust list.
func (s *Security) Trusts(id *Identity) bool {
	if s == nil || id == nil {
		return false
	}
	for _, t := range s.Trust {
		if t == id.Issuer {
			return true
		}
	}
	return false
}

// Errors a driver reports in Dialled and Closed.
var (
	// ErrRefused: nothing listens at the address, or a blocked port.
	ErrRefused = errors.New("connection refused")
	// ErrUnreachable: no route, or the connection attempt timed out.
	ErrUnreachable = errors.New("unreachable")
	// ErrUntrusted: the listener's certificate chains to none of the
	// dialler's trusted issuers.
	ErrUntrusted = errors.New("certificate not trusted")
	// ErrReset: the connection broke (the peer vanished, a link outage
	// aborted it).
	ErrReset = errors.New("connection reset")
	// ErrHandshake: the two ends do not speak the same transport (TLS to a
	// plain listener, or the reverse), or the handshake failed otherwise.
	ErrHandshake = errors.New("handshake failed")
	// ErrFraming: the peer sent what the transport's framing cannot read
	// (a bad TPKT header, an oversized frame); the driver closed the
	// connection.
	ErrFraming = errors.New("framing error")
)

// HTTP is one HTTP/2 request or response on an HTTP2 connection. Stream
// pairs a response with its request: the client picks it (unique among its
// open requests on the connection), the server answers with the same.
type HTTP struct {
	Stream uint32
	// Request: Method, Authority and Path; response: Status.
	Method, Authority, Path string
	Status                  int
	Header                  []HeaderField
	Body                    []byte
}

// HeaderField is one HTTP header field; names are lower case, as HTTP/2
// sends them, and order is kept so that renderings are deterministic.
type HeaderField struct{ Name, Value string }

// Get returns the first value of a header field and whether it is present.
func (h *HTTP) Get(name string) (string, bool) {
	for _, f := range h.Header {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Input is something that happened to a node. The concrete types are
// listed below.
type Input interface{ isInput() }

// Start: the node's life begins.
type Start struct{}

// Stop: the node's life should end (the run is over, the process is told
// to quit). The node winds down politely — unregisters, releases calls —
// and returns Done when it has; a driver may stop waiting after a grace
// period of its own.
type Stop struct{}

// Listening reports the outcome of a Listen: the address bound (a port 0
// picked one), or Err.
type Listening struct {
	Sock SockID
	Addr netip.AddrPort
	Err  error
}

// TimerFired: a timer set with SetTimer ran out (and was not cancelled or
// replaced since).
type TimerFired struct{ ID TimerID }

// Datagram is one datagram received on a socket. Peer is set on DTLS.
type Datagram struct {
	Sock     SockID
	From, To netip.AddrPort
	Payload  []byte
	Peer     Peer
}

// Accepted: a listener accepted a connection. Path is the path a WSS
// client asked for.
type Accepted struct {
	Listener      SockID
	Conn          ConnID
	Local, Remote netip.AddrPort
	Peer          Peer
	Path          string
}

// Dialled reports the outcome of a Dial: Conn on success, Err otherwise
// (ErrRefused, ErrUnreachable, ErrUntrusted, or another error).
type Dialled struct {
	Ref           uint64
	Conn          ConnID
	Local, Remote netip.AddrPort
	Peer          Peer
	Err           error
}

// Message is one framed message received on a connection: a TPKT payload
// (TCP, TLS), a WebSocket message (WSS) or, on HTTP2, HTTP.
type Message struct {
	Conn    ConnID
	Payload []byte
	HTTP    *HTTP
}

// Closed: a connection ended — the peer closed it (Err nil, Reason what a
// WebSocket close said), or it broke (Err). A connection the node closed
// itself is not reported.
type Closed struct {
	Conn   ConnID
	Err    error
	Reason string
}

// Command is a scenario action or an operator's request addressed to the
// node; Cmd's type is the node's own.
type Command struct{ Cmd any }

func (Start) isInput()      {}
func (Stop) isInput()       {}
func (Listening) isInput()  {}
func (TimerFired) isInput() {}
func (Datagram) isInput()   {}
func (Accepted) isInput()   {}
func (Dialled) isInput()    {}
func (Message) isInput()    {}
func (Closed) isInput()     {}
func (Command) isInput()    {}

// Effect is what a node (or a core inside it) asks its driver to do. The
// node's own effect types are listed below; cores add effects of their own
// (a registration confirmed, a peer's Setup) that the node carrying the
// core acts on and never hands to a driver.
type Effect interface{ NodeEffect() }

// Listen binds a socket or listener. The driver answers with Listening.
type Listen struct {
	Sock      SockID
	Addr      netip.AddrPort
	Transport Transport
	Path      string // WSS and HTTP2: the path served ("" = any)
	Security  *Security
	// Protocol names what the socket carries ("ras", "q931", ...), so a
	// real driver can name messages from peers it does not host.
	Protocol string
}

// Unlisten closes a socket or listener; its connections stay.
type Unlisten struct{ Sock SockID }

// Dial opens a connection; the driver answers with Dialled{Ref}. From is
// the local address (an unspecified one lets the driver choose).
type Dial struct {
	Ref       uint64
	From      netip.Addr
	To        netip.AddrPort
	Transport Transport
	Path      string // WSS: the path of the URL
	Security  *Security
	Protocol  string // as in Listen
}

// SendTo sends one datagram from a socket.
type SendTo struct {
	Sock    SockID
	To      netip.AddrPort
	Payload []byte
	Event   Event
}

// Send sends one message on a connection: Payload (TPKT-framed by the
// driver on TCP and TLS, one WebSocket text message on WSS) or, on HTTP2,
// HTTP.
type Send struct {
	Conn    ConnID
	Payload []byte
	HTTP    *HTTP
	Event   Event
}

// Close ends a connection after what was sent on it; Reason goes into a
// WebSocket close frame.
type Close struct {
	Conn   ConnID
	Reason string
}

// SetTimer arms a timer; a pending one of the same ID is replaced.
type SetTimer struct {
	ID    TimerID
	After time.Duration
}

// CancelTimer disarms a timer; an unknown or fired one is harmless.
type CancelTimer struct{ ID TimerID }

// Record adds an event to the timeline; the driver stamps its time.
type Record struct {
	Name  string
	Attrs []timeline.Attr
	// About, when set, names the received message the event is about: the
	// driver puts from and to (the actors at the connection's far and near
	// ends) before Attrs and, with a Protocol, the message as the event's
	// wire bytes.
	About *About
}

// About is a message a node received on a connection, or (Sent) one it
// sent there, which puts from and to the other way round.
type About struct {
	Conn     ConnID
	Protocol string
	Payload  []byte
	Sent     bool
}

// Done: the node has wound down after Stop (or ended by itself).
type Done struct{}

// Event is the timeline event of a message a node sends (SendTo, Send).
// The driver records it with from and to (the actors at the two
// addresses), lost=true when its network drops a datagram, and the wire
// bytes. An empty Name records nothing.
type Event struct {
	Name  string
	Attrs []timeline.Attr
	// Protocol names the payload for views ("ras", "q931", "h245",
	// "push", "apns", "fcm").
	Protocol string
	// Wire, when set, is what views show instead of the payload sent: the
	// RasMessage inside an H.460.17 Facility.
	Wire []byte
}

func (Listen) NodeEffect()      {}
func (Unlisten) NodeEffect()    {}
func (Dial) NodeEffect()        {}
func (SendTo) NodeEffect()      {}
func (Send) NodeEffect()        {}
func (Close) NodeEffect()       {}
func (SetTimer) NodeEffect()    {}
func (CancelTimer) NodeEffect() {}
func (Record) NodeEffect()      {}
func (Done) NodeEffect()        {}
