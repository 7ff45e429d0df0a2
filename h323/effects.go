package h323

import (
	"fmt"
	"net/netip"

	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/timeline"
)

// Effect is what a Leg method asks the driver to do or tells it happened.
// The driver type-switches on the concrete types of this file.
type Effect interface{ isEffect() }

// Send is one Q.931 message (without TPKT header) to write on the leg's
// connection.
type Send struct {
	Payload []byte
	// Event is the timeline name: "q931." + the message type in snake case
	// ("q931.setup", "q931.call_proceeding", "q931.alerting", "q931.connect",
	// "q931.progress", "q931.facility", "q931.status", "q931.release_complete").
	Event string
	// Attrs: cause=N on release_complete and status, reason=<ASN.1 name> on
	// facility.
	Attrs []timeline.Attr
}

// PeerSetup reports a Setup from the peer (incoming legs only).
type PeerSetup struct {
	// CallingNumber comes from the Calling party number element, or from the
	// sourceAddress dialledDigits alias when the element is absent.
	CallingNumber string
	// CallingName comes from the Setup-UUIE displayName when the sender gave
	// one, otherwise from the Display element.
	CallingName string
	// CalledNumber comes from the Called party number element, or from the
	// destinationAddress dialledDigits alias when the element is absent.
	CalledNumber string
	CallID       [16]byte // callIdentifier.guid (zero from a sender without one)

	// Additions to the contract.
	ConferenceID       [16]byte
	SourceAlias        string // the first h323-ID of sourceAddress
	MaintainConnection bool
	// Silent: the Setup carried the Signal element "alerting off" (B27).
	Silent bool
}

// PeerCallProceeding reports a Call Proceeding.
type PeerCallProceeding struct{}

// PeerAlerting reports an Alerting: the called user is being alerted.
type PeerAlerting struct{}

// PeerConnect reports a Connect: the called user answered.
type PeerConnect struct{}

// PeerReleased reports the end of the call: the peer sent Release Complete
// (Cause is its Q.850 cause, or the cause H.225.0 maps its
// ReleaseCompleteReason to, or 31 when it gave neither), or a Status saying
// the peer's call is in the Null state. It is also reported when the leg
// cleared the call itself because the peer sent a message it could not
// process (after a ProtocolError); Cause is then the cause the leg sent.
type PeerReleased struct{ Cause int }

// PeerProgress reports a Progress message (addition to the contract).
type PeerProgress struct{ Description int }

// PeerFacility reports a Facility message (addition to the contract); Reason
// is the ASN.1 name of its FacilityReason ("undefinedReason", ...), or
// "empty" for a Facility whose user-user body is the empty alternative.
//
// Display is the text of the message's Display element ("" without one):
// a PBX sends the caller's name after the Setup this way (B17, see
// Leg.UpdateDisplay).
type PeerFacility struct {
	Reason  string
	Display string
}

// PeerStatus reports a Status message that leaves the call as it is
// (addition to the contract): Cause is its cause value, CallState the
// peer's Q.931 call state.
type PeerStatus struct{ Cause, CallState int }

// H245Listen asks the driver to accept an H.245 connection on Address (addition to the
// contract): the leg announces it in the next message (Connect or Facility startH245), so
// the driver listens before that Send. A connection accepted there is reported with
// Leg.H245Connected.
type H245Listen struct{ Address netip.AddrPort }

// H245Connect asks the driver to open the H.245 TCP connection to Address, the peer's
// h245Address (from its Setup, Call Proceeding, Alerting, Progress, Connect or Facility
// startH245). When it is established the driver calls Leg.H245Connected.
type H245Connect struct{ Address netip.AddrPort }

// H245Send is one H.245 message (a PER-encoded MultimediaSystemControlMessage) to write on
// the separate H.245 connection, in one TPKT frame (q931.Frame), as H.245 over TCP uses.
// Event is its timeline name ("h245.terminal_capability_set", …). Tunnelled messages are
// not H245Send: they ride in a Send's h245Control, named in its h245 attribute.
type H245Send struct {
	Payload []byte
	Event   string
}

// H245Close asks the driver to close the separate H.245 connection: the session ended
// (endSessionCommand both ways) or the call was released.
type H245Close struct{}

// H245 carries what the leg's H.245 peer reports or asks for, other than messages (a
// control.Effect: SetTimer and StopTimer — the driver calls Leg.H245Timeout on expiry —,
// CapabilitiesReceived, MasterSlaveDetermined, ChannelOpened, PeerChannelOpened,
// ChannelClosed, NoCommonCodec, SessionEnded, Failure).
type H245 struct{ Effect control.Effect }

// ProtocolError reports a message the leg could not use — malformed, for a
// different call reference, or not allowed in the current state — or a
// method called in a state that does not allow it. Err says which; the
// answer the leg sent on the wire, if any, is a separate Send effect.
type ProtocolError struct{ Err error }

func (Send) isEffect()               {}
func (PeerSetup) isEffect()          {}
func (PeerCallProceeding) isEffect() {}
func (PeerAlerting) isEffect()       {}
func (PeerConnect) isEffect()        {}
func (PeerReleased) isEffect()       {}
func (PeerProgress) isEffect()       {}
func (PeerFacility) isEffect()       {}
func (PeerStatus) isEffect()         {}
func (ProtocolError) isEffect()      {}
func (H245Listen) isEffect()         {}
func (H245Connect) isEffect()        {}
func (H245Send) isEffect()           {}
func (H245Close) isEffect()          {}
func (H245) isEffect()               {}

// LegState is the state of a call leg. Both directions share the states
// after the Setup; the Q.931 call state a leg reports in a Status message
// depends on the direction (see CallState).
type LegState int

// Leg states.
const (
	// StateNull: no call yet (before Setup() or before the peer's Setup).
	StateNull LegState = iota
	// StateSetupSent: outgoing, Setup sent (Q.931 U1 call initiated).
	StateSetupSent
	// StateSetupReceived: incoming, Setup received (U6 call present).
	StateSetupReceived
	// StateProceeding: Call Proceeding received (U3) or sent (U9).
	StateProceeding
	// StateReceived: Alerting received (U4 call delivered) or sent (U7 call
	// received).
	StateReceived
	// StateActive: Connect received or sent (U10 active).
	StateActive
	// StateReleased: Release Complete sent or received; the leg is done.
	StateReleased
)

var stateNames = [...]string{"null", "setup_sent", "setup_received", "proceeding", "received", "active", "released"}

// String returns the snake-case name of the state.
func (s LegState) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("LegState(%d)", int(s))
}

// LegConfig describes one call leg.
type LegConfig struct {
	Outgoing      bool     // true: we send the Setup
	CallReference uint16   // 1..32767; an incoming leg with 0 takes the Setup's
	CallID        [16]byte // callIdentifier.guid (an incoming leg takes the Setup's)
	ConferenceID  [16]byte // conferenceID (an incoming leg takes the Setup's)
	// CallingNumber, CallingName and CalledNumber go into the Setup.
	CallingNumber, CallingName, CalledNumber string
	SourceAlias                              string         // h323-ID of the sender of the Setup
	Local, Remote                            netip.AddrPort // signalling addresses
	// MaintainConnection is sent in every UUIE that has the field: the
	// signalling connection stays open after the call (B32).
	MaintainConnection bool
	// PrivateNetwork (addition to the contract) makes the Cause location
	// "private network serving the local user" (1), as a PBX sends it;
	// otherwise the location is "user" (0), as an endpoint sends it.
	PrivateNetwork bool
	// Silent (addition to the contract) adds a Signal element "alerting
	// off" (Q.931 4.5.28, 0x4f) to the Setup: the network tells the
	// terminal to present the call without ringing (12r2 DND, B27).
	Silent bool
	// EndpointIdentifier (addition to the contract) is sent in the
	// Setup-UUIE: the identifier the gatekeeper assigned in its RCF, as a
	// registered endpoint names itself ("" leaves it out).
	EndpointIdentifier string
	// H245 configures the call's H.245 control channel; the zero value opens
	// none (see H245Config).
	H245 H245Config
}
