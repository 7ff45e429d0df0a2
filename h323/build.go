package h323

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/timeline"
)

// maxDisplayLength is the Display element's maximum contents length in Q.931.
const maxDisplayLength = 82

// dialledDigitsAlphabet is the permitted alphabet of AliasAddress.dialledDigits.
const dialledDigitsAlphabet = "0123456789#*,"

// message is what the builders need to know about the leg sending it.
type message struct {
	cfg       *LegConfig
	fromOrig  bool // we originated the call reference (flag 0)
	callState int  // our Q.931 call state, for Status
	// tunnelling is the h245Tunnelling the message carries; h245 the tunnelled H.245
	// messages (h245Control) and h245Attrs their timeline attribute.
	tunnelling bool
	h245       [][]byte
	h245Attrs  []timeline.Attr
	// h245Address is announced in the UUIE when valid (Connect, Facility startH245).
	h245Address netip.AddrPort
}

// header starts a Q.931 message with the leg's call reference and flag.
func (m message) header(t q931.MessageType) q931.Message {
	// Room for the most elements a message gets (Setup: five).
	return q931.Message{Type: t, CallReference: m.cfg.CallReference, FromDestination: !m.fromOrig,
		Elements: make([]q931.InformationElement, 0, 5)}
}

// protocolID is the H.225.0 version 7 identifier, a fresh copy per message.
func protocolID() h225.ProtocolIdentifier { return h225.ProtocolIdentifierV7() }

func (m message) callIdentifier() *h225.CallIdentifier {
	return &h225.CallIdentifier{Guid: append(h225.GloballyUniqueID(nil), m.cfg.CallID[:]...)}
}

func (m message) conferenceID() h225.ConferenceIdentifier {
	return append(h225.ConferenceIdentifier(nil), m.cfg.ConferenceID[:]...)
}

// terminal is the EndpointType both sides send: a terminal, neither MC nor
// undefined node.
func terminal() h225.EndpointType {
	return h225.EndpointType{Terminal: &h225.TerminalInfo{}}
}

func boolPtr(b bool) *bool { return &b }

// transportAddress converts a signalling address; nil when it is not set.
func transportAddress(ap netip.AddrPort) *h225.TransportAddress {
	if !ap.IsValid() {
		return nil
	}
	addr := ap.Addr().Unmap()
	if addr.Is4() {
		ip := addr.As4()
		return &h225.TransportAddress{Choice: h225.TransportAddressIpAddress,
			IpAddress: &h225.TransportAddressIpAddressType{Ip: ip[:], Port: int64(ap.Port())}}
	}
	ip := addr.As16()
	return &h225.TransportAddress{Choice: h225.TransportAddressIp6Address,
		Ip6Address: &h225.TransportAddressIp6AddressType{Ip: ip[:], Port: int64(ap.Port())}}
}

// isDialledDigits reports whether s can be a dialledDigits alias.
func isDialledDigits(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !containsByte(dialledDigitsAlphabet, s[i]) {
			return false
		}
	}
	return true
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// isIA5 reports whether s is 7-bit text.
func isIA5(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i]&0x80 != 0 {
			return false
		}
	}
	return true
}

// displayText is the name as the Display element can carry it: IA5 (other
// characters become '?') and at most 82 octets.
func displayText(name string) string {
	b := make([]byte, 0, len(name))
	for _, r := range name {
		if len(b) == maxDisplayLength {
			break
		}
		if r < 0x80 {
			b = append(b, byte(r))
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}

// partyNumber builds a Calling or Called party number the way H.323
// endpoints send them: type of number unknown, numbering plan E.164, no
// presentation octet. The PBX does not know whether a number is national
// or international, and "unknown" tells the receiver to take the digits as
// they are.
func partyNumber(calling bool, digits string) q931.PartyNumber {
	return q931.PartyNumber{Calling: calling, TypeOfNumber: q931.TypeUnknown, NumberingPlan: q931.PlanE164, Digits: digits}
}

// finish adds the User-user element carrying body, with the leg's h245Tunnelling and
// tunnelled H.245 messages, and encodes the message.
func (m message) finish(msg q931.Message, body h225.H323UUPDUH323MessageBody) ([]byte, error) {
	uu := h225.H323UserInformation{H323UuPdu: h225.H323UUPDU{
		H323MessageBody: body,
		H245Tunnelling:  boolPtr(m.tunnelling),
		H245Control:     m.h245,
	}}
	per, err := uu.Marshal()
	if err != nil {
		return nil, err
	}
	if err := msg.Add(q931.H225UserUser(per)); err != nil {
		return nil, err
	}
	return msg.Encode()
}

// send wraps an encoding result into the Send effect of its message type; the names of the
// tunnelled H.245 messages follow the message's own attributes.
func (m message) send(t q931.MessageType, payload []byte, err error, attrs ...timeline.Attr) Effect {
	if err != nil {
		return ProtocolError{Err: fmt.Errorf("h323: encoding %v: %w", t, err)}
	}
	return Send{Payload: payload, Event: t.EventName(), Attrs: append(attrs, m.h245Attrs...)}
}

func (m message) setup() Effect {
	cfg := m.cfg
	msg := m.header(q931.Setup)
	err := msg.Add(q931.SpeechBearerCapability)
	if err == nil && cfg.CallingName != "" {
		err = msg.Add(q931.Display(displayText(cfg.CallingName)))
	}
	if err == nil && cfg.Silent {
		// Signal (0x34) sits between Display and the party numbers: Q.931
		// elements go in ascending order of their identifiers.
		err = msg.Add(q931.SignalAlertingOff)
	}
	if err == nil && cfg.CallingNumber != "" {
		err = msg.Add(partyNumber(true, cfg.CallingNumber))
	}
	if err == nil && cfg.CalledNumber != "" {
		err = msg.Add(partyNumber(false, cfg.CalledNumber))
	}
	if err != nil {
		return m.send(q931.Setup, nil, err)
	}
	uuie := &h225.SetupUUIE{
		ProtocolIdentifier:      protocolID(),
		SourceInfo:              terminal(),
		DestCallSignalAddress:   transportAddress(cfg.Remote),
		ConferenceID:            m.conferenceID(),
		ConferenceGoal:          h225.SetupUUIEConferenceGoal{Choice: h225.SetupUUIEConferenceGoalCreate},
		CallType:                h225.CallType{Choice: h225.CallTypePointToPoint},
		SourceCallSignalAddress: transportAddress(cfg.Local),
		CallIdentifier:          m.callIdentifier(),
		MediaWaitForConnect:     boolPtr(false),
		CanOverlapSend:          boolPtr(false),
		MultipleCalls:           boolPtr(false),
		MaintainConnection:      boolPtr(cfg.MaintainConnection),
	}
	if cfg.EndpointIdentifier != "" {
		// A registered endpoint names itself with the identifier its gatekeeper assigned.
		id := h225.EndpointIdentifier(cfg.EndpointIdentifier)
		uuie.EndpointIdentifier = &id
	}
	if cfg.SourceAlias != "" {
		uuie.SourceAddress = append(uuie.SourceAddress, h225.AliasAddress{Choice: h225.AliasAddressH323ID, H323ID: cfg.SourceAlias})
	}
	if isDialledDigits(cfg.CallingNumber) {
		uuie.SourceAddress = append(uuie.SourceAddress, h225.AliasAddress{Choice: h225.AliasAddressDialledDigits, DialledDigits: cfg.CallingNumber})
	}
	if isDialledDigits(cfg.CalledNumber) {
		uuie.DestinationAddress = []h225.AliasAddress{{Choice: h225.AliasAddressDialledDigits, DialledDigits: cfg.CalledNumber}}
	}
	if cfg.CallingName != "" && !isIA5(cfg.CallingName) {
		// The Display element is IA5 only; the full name travels in the
		// H.225.0 v6 displayName (a BMPString).
		uuie.DisplayName = []h225.DisplayName{{Name: cfg.CallingName}}
	}
	payload, err := m.finish(msg, h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodySetup, Setup: uuie})
	return m.send(q931.Setup, payload, err)
}

func (m message) callProceeding() Effect {
	payload, err := m.finish(m.header(q931.CallProceeding), h225.H323UUPDUH323MessageBody{
		Choice: h225.H323UUPDUH323MessageBodyCallProceeding,
		CallProceeding: &h225.CallProceedingUUIE{
			ProtocolIdentifier: protocolID(),
			DestinationInfo:    terminal(),
			CallIdentifier:     m.callIdentifier(),
			MultipleCalls:      boolPtr(false),
			MaintainConnection: boolPtr(m.cfg.MaintainConnection),
		}})
	return m.send(q931.CallProceeding, payload, err)
}

func (m message) alerting() Effect {
	payload, err := m.finish(m.header(q931.Alerting), h225.H323UUPDUH323MessageBody{
		Choice: h225.H323UUPDUH323MessageBodyAlerting,
		Alerting: &h225.AlertingUUIE{
			ProtocolIdentifier: protocolID(),
			DestinationInfo:    terminal(),
			CallIdentifier:     m.callIdentifier(),
			MultipleCalls:      boolPtr(false),
			MaintainConnection: boolPtr(m.cfg.MaintainConnection),
		}})
	return m.send(q931.Alerting, payload, err)
}

func (m message) connect() Effect {
	payload, err := m.finish(m.header(q931.Connect), h225.H323UUPDUH323MessageBody{
		Choice: h225.H323UUPDUH323MessageBodyConnect,
		Connect: &h225.ConnectUUIE{
			ProtocolIdentifier: protocolID(),
			H245Address:        transportAddress(m.h245Address),
			DestinationInfo:    terminal(),
			ConferenceID:       m.conferenceID(),
			CallIdentifier:     m.callIdentifier(),
			MultipleCalls:      boolPtr(false),
			MaintainConnection: boolPtr(m.cfg.MaintainConnection),
		}})
	return m.send(q931.Connect, payload, err)
}

// progress sends a Progress with "in-band information available" (8), the
// description that tells the caller to listen to the media path.
func (m message) progress() Effect {
	msg := m.header(q931.Progress)
	if err := msg.Add(q931.ProgressIndicator{Location: m.location(), Description: q931.ProgressInbandAvailable}); err != nil {
		return m.send(q931.Progress, nil, err)
	}
	payload, err := m.finish(msg, h225.H323UUPDUH323MessageBody{
		Choice: h225.H323UUPDUH323MessageBodyProgress,
		Progress: &h225.ProgressUUIE{
			ProtocolIdentifier: protocolID(),
			DestinationInfo:    terminal(),
			CallIdentifier:     *m.callIdentifier(),
			MultipleCalls:      boolPtr(false),
			MaintainConnection: boolPtr(m.cfg.MaintainConnection),
		}})
	return m.send(q931.Progress, payload, err)
}

func (m message) facility(reason h225.FacilityReasonChoice, name, display string) Effect {
	msg := m.header(q931.Facility)
	if display != "" {
		if err := msg.Add(q931.Display(displayText(display))); err != nil {
			return m.send(q931.Facility, nil, err)
		}
	}
	payload, err := m.finish(msg, h225.H323UUPDUH323MessageBody{
		Choice: h225.H323UUPDUH323MessageBodyFacility,
		Facility: &h225.FacilityUUIE{
			ProtocolIdentifier: protocolID(),
			ConferenceID:       m.conferenceID(),
			Reason:             h225.FacilityReason{Choice: reason},
			CallIdentifier:     m.callIdentifier(),
			MultipleCalls:      boolPtr(false),
			MaintainConnection: boolPtr(m.cfg.MaintainConnection),
		}})
	return m.send(q931.Facility, payload, err, timeline.A("reason", name))
}

// startH245 asks the peer to open the H.245 connection to addr: a Facility with reason
// startH245 and our h245Address (H.225.0 7.4), as H323Plus sends it after a Connect without
// H.245.
func (m message) startH245(addr netip.AddrPort) Effect {
	payload, err := m.finish(m.header(q931.Facility), h225.H323UUPDUH323MessageBody{
		Choice: h225.H323UUPDUH323MessageBodyFacility,
		Facility: &h225.FacilityUUIE{
			ProtocolIdentifier: protocolID(),
			ConferenceID:       m.conferenceID(),
			Reason:             h225.FacilityReason{Choice: h225.FacilityReasonStartH245},
			CallIdentifier:     m.callIdentifier(),
			H245Address:        transportAddress(addr),
			MultipleCalls:      boolPtr(false),
			MaintainConnection: boolPtr(m.cfg.MaintainConnection),
		}})
	return m.send(q931.Facility, payload, err, timeline.A("reason", "startH245"))
}

// tunnel carries tunnelled H.245 messages when there is no other message to send: a Facility
// whose body is empty (H.225.0 7.4, version 4 and later).
func (m message) tunnel() Effect {
	payload, err := m.finish(m.header(q931.Facility), h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyEmpty})
	return m.send(q931.Facility, payload, err)
}

// location is the Cause and Progress indicator location of this side.
func (m message) location() uint8 {
	if m.cfg.PrivateNetwork {
		return q931.LocationPrivateLocal
	}
	return q931.LocationUser
}

func (m message) cause(value int) q931.Cause {
	return q931.Cause{CodingStandard: q931.CodingITUT, Location: m.location(), Value: q931.CauseValue(value)}
}

func (m message) releaseComplete(cause int) Effect {
	msg := m.header(q931.ReleaseComplete)
	if err := msg.Add(m.cause(cause)); err != nil {
		return m.send(q931.ReleaseComplete, nil, err)
	}
	uuie := &h225.ReleaseCompleteUUIE{ProtocolIdentifier: protocolID(), CallIdentifier: m.callIdentifier()}
	if reason, ok := reasonForCause[cause]; ok {
		uuie.Reason = &h225.ReleaseCompleteReason{Choice: reason}
	}
	payload, err := m.finish(msg, h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyReleaseComplete, ReleaseComplete: uuie})
	return m.send(q931.ReleaseComplete, payload, err, timeline.A("cause", strconv.Itoa(cause)))
}

// status answers a message the leg cannot take in its state (cause 101), an
// unknown message type (97) or a Status Enquiry (30) with our call state.
func (m message) status(cause int) Effect {
	msg := m.header(q931.Status)
	err := msg.Add(m.cause(cause))
	if err == nil {
		// Call state: coding standard ITU-T (bits 8-7 zero), state value.
		err = msg.Add(q931.InformationElement{ID: q931.IECallState, Contents: []byte{byte(m.callState)}})
	}
	if err != nil {
		return m.send(q931.Status, nil, err)
	}
	payload, err := m.finish(msg, h225.H323UUPDUH323MessageBody{
		Choice: h225.H323UUPDUH323MessageBodyStatus,
		Status: &h225.StatusUUIE{ProtocolIdentifier: protocolID(), CallIdentifier: *m.callIdentifier()},
	})
	return m.send(q931.Status, payload, err, timeline.A("cause", strconv.Itoa(cause)))
}

// reasonForCause is the ReleaseCompleteReason sent with a cause: the inverse
// of the H.225.0 reason-to-cause table where a cause has exactly one reason.
// Causes without an entry (16 normal clearing, 18 no user responding, 19
// no answer, the protocol-error causes, ...) are sent without a reason.
var reasonForCause = map[int]h225.ReleaseCompleteReasonChoice{
	3:  h225.ReleaseCompleteReasonUnreachableDestination,
	17: h225.ReleaseCompleteReasonInConf,
	20: h225.ReleaseCompleteReasonCalledPartyNotRegistered,
	21: h225.ReleaseCompleteReasonDestinationRejection,
	28: h225.ReleaseCompleteReasonBadFormatAddress,
	34: h225.ReleaseCompleteReasonNoBandwidth,
	38: h225.ReleaseCompleteReasonUnreachableGatekeeper,
	41: h225.ReleaseCompleteReasonAdaptiveBusy,
	42: h225.ReleaseCompleteReasonGatewayResources,
	47: h225.ReleaseCompleteReasonGatekeeperResources,
	88: h225.ReleaseCompleteReasonInvalidRevision,
}

// causeForReason maps a ReleaseCompleteReason to a Q.850 cause (H.225.0,
// table "Release complete reason codes"), used when a Release Complete has
// no Cause element.
var causeForReason = map[h225.ReleaseCompleteReasonChoice]int{
	h225.ReleaseCompleteReasonNoBandwidth:              34,
	h225.ReleaseCompleteReasonGatekeeperResources:      47,
	h225.ReleaseCompleteReasonUnreachableDestination:   3,
	h225.ReleaseCompleteReasonDestinationRejection:     16,
	h225.ReleaseCompleteReasonInvalidRevision:          88,
	h225.ReleaseCompleteReasonNoPermission:             111,
	h225.ReleaseCompleteReasonUnreachableGatekeeper:    38,
	h225.ReleaseCompleteReasonGatewayResources:         42,
	h225.ReleaseCompleteReasonBadFormatAddress:         28,
	h225.ReleaseCompleteReasonAdaptiveBusy:             41,
	h225.ReleaseCompleteReasonInConf:                   17,
	h225.ReleaseCompleteReasonUndefinedReason:          31,
	h225.ReleaseCompleteReasonFacilityCallDeflection:   16,
	h225.ReleaseCompleteReasonSecurityDenied:           31,
	h225.ReleaseCompleteReasonCalledPartyNotRegistered: 20,
	h225.ReleaseCompleteReasonCallerNotRegistered:      31,
}

// facilityReasons are the FacilityReason alternatives Leg.Facility sends
// (those that need no further fields), by ASN.1 name.
var facilityReasons = map[string]h225.FacilityReasonChoice{
	"routeCallToGatekeeper":  h225.FacilityReasonRouteCallToGatekeeper,
	"callForwarded":          h225.FacilityReasonCallForwarded,
	"routeCallToMC":          h225.FacilityReasonRouteCallToMC,
	"undefinedReason":        h225.FacilityReasonUndefinedReason,
	"startH245":              h225.FacilityReasonStartH245,
	"noH245":                 h225.FacilityReasonNoH245,
	"newTokens":              h225.FacilityReasonNewTokens,
	"featureSetUpdate":       h225.FacilityReasonFeatureSetUpdate,
	"forwardedElements":      h225.FacilityReasonForwardedElements,
	"transportedInformation": h225.FacilityReasonTransportedInformation,
}

// facilityReasonName is the inverse of facilityReasons; conferenceListChoice
// is received only.
func facilityReasonName(c h225.FacilityReasonChoice) string {
	if c == h225.FacilityReasonConferenceListChoice {
		return "conferenceListChoice"
	}
	for name, v := range facilityReasons {
		if v == c {
			return name
		}
	}
	return "unknown"
}
