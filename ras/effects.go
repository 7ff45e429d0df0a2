package ras

import (
	"net/netip"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// TimerID names a timer of one Endpoint or Gatekeeper; IDs are per instance.
// The cores ask for timers with the node contract's effects (node.SetTimer,
// node.CancelTimer, carrying TimerID.Node()); the node that carries the core
// hands the firing back with HandleTimer(TimerIDOf(id)).
type TimerID int

// Node is the timer's name in the node contract (kind node.KindsRAS).
func (id TimerID) Node() node.TimerID { return node.TimerID{Kind: node.KindsRAS, Key: uint64(id)} }

// TimerIDOf is the ras timer a node timer names (IsTimer tells whether it
// is one).
func TimerIDOf(id node.TimerID) TimerID { return TimerID(id.Key) }

// IsTimer reports whether a node timer is a RAS core's.
func IsTimer(id node.TimerID) bool { return id.Kind == node.KindsRAS }

// Effect is what a method asks the driver to do or tells it happened: the
// node contract's node.SetTimer, node.CancelTimer and node.Record, and the
// concrete types of this file.
type Effect = node.Effect

// Send is a RAS message to put on the wire (UDP 1719, DTLS or a tunnel).
type Send struct {
	To      netip.AddrPort
	Payload []byte // the PER-encoded RasMessage
	Event   string // timeline name: "ras.grq", "ras.rrq", "ras.rcf", ...
	// Attrs are extra timeline attributes: seq=N always, keepalive=true on a
	// lightweight RRQ, reason=<ASN.1 alternative> on a reject, retry=N on a
	// retransmission.
	Attrs []timeline.Attr
}

// Registered reports that the gatekeeper confirmed a full registration.
type Registered struct {
	EndpointID string
	TimeToLive time.Duration // granted; 0 = none (the registration does not expire)
	// CallSignal is the gatekeeper's first call-signalling address in the RCF, where calls go
	// when an ACF names none; invalid when the RCF has no IP address.
	CallSignal netip.AddrPort
	// AnswerPreGranted: the RCF lets the endpoint answer calls without an ARQ.
	AnswerPreGranted bool
}

// RegistrationFailed reports that a registration attempt ended without one:
// Reason is the ASN.1 name of the RRJ reason ("securityDenial", "invalidAlias",
// ...), "timeout" when the gatekeeper never answered, "discoveryRejected" for a
// GRJ, or "encodeError" when the configuration cannot be encoded.
type RegistrationFailed struct{ Reason string }

// Unregistered reports the end of a registration: "urq" after our URQ was
// confirmed (or rejected as not registered), "timeout" when a keep-alive or
// URQ went unanswered, or the RRJ reason that refused a keep-alive.
type Unregistered struct{ Reason string }

// Admitted reports an ACF.
type Admitted struct {
	Call CallInfo
	// DestCallSignal is the ACF's destCallSignalAddress, where the call's signalling goes;
	// invalid when it is not an IP address.
	DestCallSignal netip.AddrPort
}

// AdmissionRejected reports an ARJ (Reason is its ASN.1 name), "timeout", or
// "notRegistered" when Admit was called without a registration.
type AdmissionRejected struct {
	Call   CallInfo
	Reason string
}

// Disengaged reports the answer to a DRQ: Reason "" for a DCF, the DRJ reason,
// or "timeout".
type Disengaged struct {
	Call   CallInfo
	Reason string
}

// EndpointRegistered reports a full registration accepted by a Gatekeeper
// (also a re-registration of an alias that was registered already).
type EndpointRegistered struct{ Registration Registration }

// EndpointUnregistered reports the end of a registration at a Gatekeeper:
// Reason "urq" or "expired".
type EndpointUnregistered struct {
	Registration Registration
	Reason       string
}

func (Send) NodeEffect()                 {}
func (Registered) NodeEffect()           {}
func (RegistrationFailed) NodeEffect()   {}
func (Unregistered) NodeEffect()         {}
func (Admitted) NodeEffect()             {}
func (AdmissionRejected) NodeEffect()    {}
func (Disengaged) NodeEffect()           {}
func (EndpointRegistered) NodeEffect()   {}
func (EndpointUnregistered) NodeEffect() {}
