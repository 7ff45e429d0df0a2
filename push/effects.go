package push

import (
	"time"

	"github.com/callwake/callwake/node"

	"github.com/callwake/callwake/timeline"
)

// Effect is something a core asks its driver to do: the node contract's
// node.SetTimer and node.CancelTimer, and the concrete types below; a driver
// switches on them and ignores none.
type Effect = node.Effect

// ConnID names one service-side connection; the driver picks it.
type ConnID uint64

// Timer names a Client timer. The client asks for timers with the node
// contract's effects (node.SetTimer, node.CancelTimer carrying Timer.Node()).
type Timer uint32

// Client timers.
const (
	TimerReconnect Timer = iota + 1 // backoff before the next connection attempt
	TimerLogin                      // the service must complete the login within LoginTimeout
)

// Node is the timer's name in the node contract (kinds from node.KindsPush).
func (t Timer) Node() node.TimerID { return node.TimerID{Kind: node.KindsPush + uint32(t)} }

// TimerOf is the client timer a node timer names; IsTimer tells whether it is one.
func TimerOf(id node.TimerID) Timer { return Timer(id.Kind - node.KindsPush) }

// IsTimer reports whether a node timer is the push client's.
func IsTimer(id node.TimerID) bool { return id.Kind > node.KindsPush && id.Kind < node.KindsPush+0x100 }

// String names the timer.
func (t Timer) String() string {
	switch t {
	case TimerReconnect:
		return "reconnect"
	case TimerLogin:
		return "login"
	}
	return "timer?"
}

// Dial asks the driver to open a wss connection to Host (path Path) with
// the PBX presenting Certificate/Serial and checking the service's
// certificate against its trust list. The driver reports the outcome with
// Client.Opened, or Client.Failed (ReasonUnreachable, ReasonUntrusted, or
// the reason the service closed the connection with).
type Dial struct {
	Host, Path  string
	Certificate Role
	Serial      string
	// Legacy is set for a 12r2 Push object (password login, no client
	// certificate): the service learns it as Peer.Legacy.
	Legacy bool
}

// Send is one WebSocket text message from the Client to the service;
// Event, when set, is the message's timeline event (push.request).
type Send struct {
	Data  []byte
	Event *Event
}

// Close asks the driver to close the Client's connection.
type Close struct{ Reason string }

// PostFailed tells the PBX that push Src could not be sent or got no result
// (Push object down, or the connection was lost while it was pending).
type PostFailed struct{ Src, Reason string }

// PostDone tells the PBX the service's answer for push Src; Err is empty on
// success.
type PostDone struct{ Src, Err string }

// Accepted tells the driver the service accepted connection Conn (TLS and
// WebSocket upgrade done); it then calls Client.Opened.
type Accepted struct{ Conn ConnID }

// SendTo is one WebSocket text message from the service to connection Conn.
type SendTo struct {
	Conn ConnID
	Data []byte
}

// CloseConn asks the driver to close (or refuse) service connection Conn;
// the driver reports Reason to the client with Client.Failed.
type CloseConn struct {
	Conn   ConnID
	Reason string
}

// VendorRequest asks the driver to carry Request to the Platform's emulator
// (or real endpoint) and to hand the answer to Service.VendorResponse(ID, …).
type VendorRequest struct {
	ID       uint64
	Platform string
	Request  HTTPRequest
}

// Deliver is a vendor emulator handing Payload to the phone Device.
type Deliver struct {
	Device   string
	Platform string
	Payload  []byte
}

// Event is one timeline event the driver should record (stamping time and
// sequence). Protocol/Payload, when set, are the message bytes for the
// event's timeline.Wire (the driver knows transport and addresses).
type Event struct {
	Name     string
	Attrs    []timeline.Attr
	Protocol string
	Payload  []byte
}

func (Dial) NodeEffect()          {}
func (Send) NodeEffect()          {}
func (Close) NodeEffect()         {}
func (PostFailed) NodeEffect()    {}
func (PostDone) NodeEffect()      {}
func (Accepted) NodeEffect()      {}
func (SendTo) NodeEffect()        {}
func (CloseConn) NodeEffect()     {}
func (VendorRequest) NodeEffect() {}
func (Deliver) NodeEffect()       {}
func (Event) NodeEffect()         {}

// Event names (SCENARIO-FORMAT.md).
const (
	EventRequest         = "push.request"
	EventRejected        = "push.rejected"
	EventForwarded       = "push.forwarded"
	EventDelivered       = "push.delivered"
	EventDropped         = "push.dropped"
	EventPushConnected   = "pbx.push_connected"
	EventPushDisconnect  = "pbx.push_disconnected"
	ProtocolPush         = "push"
	ProtocolAPNs         = "apns"
	ProtocolFCM          = "fcm"
	PlatformAPNs         = "apns"
	PlatformFCM          = "fcm"
	ActorService         = "push_service"
	defaultPBXActorName  = "pbx"
	defaultLoginTimeout  = 10 * time.Second
	defaultInitialBackof = time.Second
	defaultMaxBackoff    = 60 * time.Second
)

// HeaderField is one HTTP header; headers are ordered lists so that
// renderings are deterministic.
type HeaderField struct{ Name, Value string }

// HTTPRequest is an HTTP/2 request to a vendor.
type HTTPRequest struct {
	Method    string
	Authority string // host, e.g. api.push.apple.com
	Path      string
	Header    []HeaderField
	Body      []byte
}

// HTTPResponse is a vendor's answer.
type HTTPResponse struct {
	Status int
	Header []HeaderField
	Body   []byte
}

// Get returns the first value of header name (names compare exactly in
// lower case, as HTTP/2 sends them) and whether it was present.
func Get(h []HeaderField, name string) (string, bool) {
	for _, f := range h {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

func event(name string, attrs ...timeline.Attr) Event {
	return Event{Name: name, Attrs: attrs}
}

// Get returns the value of the event's attribute key and whether it is set.
func (e Event) Get(key string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}
