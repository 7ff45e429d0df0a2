package golden

import (
	"net/netip"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// The call-signalling exchange the vectors tell, gatekeeper-routed through
// the PBX (192.0.2.1:1720), one TCP connection per call from alice:
//
//  1. alice calls bob: Setup, Call Proceeding, Progress, Alerting, Connect,
//     Facility, and alice hangs up: Release Complete, cause 16;
//  2. alice calls bob again, bob is busy: Setup, Release Complete, cause 17;
//  3. alice calls bob, whose app sleeps and does not register in time:
//     Setup, Call Proceeding and, 10 s later, Release Complete, cause 18.
type call struct {
	number   int
	client   netip.AddrPort // alice's ephemeral port
	crv      uint16
	callID   h225.GloballyUniqueID
	confID   h225.GloballyUniqueID
	messages []q931Vector
}

// q931Vector is one Q.931 message with its H323-UserInformation.
type q931Vector struct {
	name, comment string
	fromClient    bool
	msg           q931.Message // without the User-user element
	uu            *h225.H323UserInformation
	want          map[string][]string
	wantShow      map[string]string
	// absent are fields the dissector must not find.
	absent []string
}

func uuPDU(body h225.H323UUPDUH323MessageBody) *h225.H323UserInformation {
	return &h225.H323UserInformation{H323UuPdu: h225.H323UUPDU{
		H323MessageBody: body,
		H245Tunnelling:  ptr(false),
	}}
}

func header(t q931.MessageType, crv uint16, fromClient bool) q931.Message {
	return q931.Message{Type: t, CallReference: crv, FromDestination: !fromClient}
}

// must adds elements to a message; the values are constants of this file,
// so an error is a bug in the vectors.
func must(m q931.Message, elements ...q931.Element) q931.Message {
	for _, e := range elements {
		if err := m.Add(e); err != nil {
			panic(err)
		}
	}
	return m
}

func setupVector(c *call, name string) q931Vector {
	body := h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodySetup, Setup: &h225.SetupUUIE{
		ProtocolIdentifier:      h225Version,
		SourceAddress:           []h225.AliasAddress{h323ID("alice"), digits(aliceNumber)},
		SourceInfo:              terminal(),
		DestinationAddress:      []h225.AliasAddress{digits(bobNumber)},
		DestCallSignalAddress:   ptr(ipAddr(pbxSignal)),
		ConferenceID:            c.confID,
		ConferenceGoal:          h225.SetupUUIEConferenceGoal{Choice: h225.SetupUUIEConferenceGoalCreate},
		CallType:                h225.CallType{Choice: h225.CallTypePointToPoint},
		SourceCallSignalAddress: ptr(ipAddr(aliceSignal)),
		CallIdentifier:          &h225.CallIdentifier{Guid: c.callID},
		MediaWaitForConnect:     ptr(false),
		CanOverlapSend:          ptr(false),
		EndpointIdentifier:      ptr(h225.EndpointIdentifier(aliceEndpoint)),
		MultipleCalls:           ptr(false),
		MaintainConnection:      ptr(false),
	}}
	msg := must(header(q931.Setup, c.crv, true),
		q931.SpeechBearerCapability,
		q931.Display("Alice"),
		q931.PartyNumber{Calling: true, TypeOfNumber: q931.TypeUnknown, NumberingPlan: q931.PlanE164,
			HasPresentation: true, Presentation: q931.PresentationAllowed, Screening: q931.ScreeningUserVerifiedPassed,
			Digits: aliceNumber},
		q931.PartyNumber{TypeOfNumber: q931.TypeUnknown, NumberingPlan: q931.PlanE164, Digits: bobNumber},
	)
	return q931Vector{
		name: name, comment: "Setup: alice (2001, display \"Alice\") calls bob (2002), no fastStart",
		fromClient: true, msg: msg, uu: uuPDU(body),
		want: map[string][]string{
			"q931.message_type": {"0x05"}, "q931.calling_party_number.digits": {aliceNumber},
			"q931.called_party_number.digits": {bobNumber}, "q931.display_information": {"Alice"},
			"h225.guid": {guidString(c.callID)},
		},
		wantShow: map[string]string{"h225.h323_message_body": "setup (0)"},
		absent:   []string{"h225.fastStart"},
	}
}

func callProceedingVector(c *call, name string) q931Vector {
	body := h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyCallProceeding, CallProceeding: &h225.CallProceedingUUIE{
		ProtocolIdentifier: h225Version,
		DestinationInfo:    gatekeeperType(),
		CallIdentifier:     &h225.CallIdentifier{Guid: c.callID},
		MultipleCalls:      ptr(false),
		MaintainConnection: ptr(false),
	}}
	return q931Vector{
		name: name, comment: "Call Proceeding: the PBX has taken the call",
		msg: header(q931.CallProceeding, c.crv, false), uu: uuPDU(body),
		want:     map[string][]string{"q931.message_type": {"0x02"}, "h225.guid": {guidString(c.callID)}},
		wantShow: map[string]string{"h225.h323_message_body": "callProceeding (1)"},
	}
}

func progressVector(c *call, name string) q931Vector {
	body := h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyProgress, Progress: &h225.ProgressUUIE{
		ProtocolIdentifier: h225Version,
		DestinationInfo:    gatekeeperType(),
		CallIdentifier:     h225.CallIdentifier{Guid: c.callID},
	}}
	msg := must(header(q931.Progress, c.crv, false),
		q931.ProgressIndicator{Location: q931.LocationPrivateLocal, Description: q931.ProgressInbandAvailable})
	return q931Vector{
		name: name, comment: "Progress: in-band information (the wake-up announcement) is available",
		msg: msg, uu: uuPDU(body),
		want:     map[string][]string{"q931.message_type": {"0x03"}, "h225.guid": {guidString(c.callID)}},
		wantShow: map[string]string{"h225.h323_message_body": "progress (7)"},
	}
}

func alertingVector(c *call, name string) q931Vector {
	body := h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyAlerting, Alerting: &h225.AlertingUUIE{
		ProtocolIdentifier: h225Version,
		DestinationInfo:    terminal(),
		CallIdentifier:     &h225.CallIdentifier{Guid: c.callID},
		MultipleCalls:      ptr(false),
		MaintainConnection: ptr(false),
		AlertingAddress:    []h225.AliasAddress{digits(bobNumber)},
	}}
	return q931Vector{
		name: name, comment: "Alerting: bob's phone, woken, rings",
		msg: header(q931.Alerting, c.crv, false), uu: uuPDU(body),
		want:     map[string][]string{"q931.message_type": {"0x01"}, "h225.dialledDigits": {bobNumber}},
		wantShow: map[string]string{"h225.h323_message_body": "alerting (3)"},
	}
}

func connectVector(c *call, name string) q931Vector {
	body := h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyConnect, Connect: &h225.ConnectUUIE{
		ProtocolIdentifier: h225Version,
		DestinationInfo:    terminal(),
		ConferenceID:       c.confID,
		CallIdentifier:     &h225.CallIdentifier{Guid: c.callID},
		MultipleCalls:      ptr(false),
		MaintainConnection: ptr(false),
		ConnectedAddress:   []h225.AliasAddress{h323ID("bob"), digits(bobNumber)},
	}}
	msg := must(header(q931.Connect, c.crv, false), q931.Display("Bob"))
	return q931Vector{
		name: name, comment: "Connect: bob answers",
		msg: msg, uu: uuPDU(body),
		want:     map[string][]string{"q931.message_type": {"0x07"}, "h225.h323_ID": {"bob"}, "q931.display_information": {"Bob"}},
		wantShow: map[string]string{"h225.h323_message_body": "connect (2)"},
	}
}

func facilityVector(c *call, name string) q931Vector {
	body := h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyFacility, Facility: &h225.FacilityUUIE{
		ProtocolIdentifier: h225Version,
		ConferenceID:       c.confID,
		Reason:             h225.FacilityReason{Choice: h225.FacilityReasonTransportedInformation},
		CallIdentifier:     &h225.CallIdentifier{Guid: c.callID},
		MultipleCalls:      ptr(false),
		MaintainConnection: ptr(false),
	}}
	return q931Vector{
		name: name, comment: "Facility: transported information during the call",
		fromClient: true, msg: header(q931.Facility, c.crv, true), uu: uuPDU(body),
		want:     map[string][]string{"q931.message_type": {"0x62"}},
		wantShow: map[string]string{"h225.h323_message_body": "facility (6)", "h225.reason": "transportedInformation"},
	}
}

func releaseCompleteVector(c *call, name string, fromClient bool, cause q931.CauseValue, comment string) q931Vector {
	body := h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyReleaseComplete, ReleaseComplete: &h225.ReleaseCompleteUUIE{
		ProtocolIdentifier: h225Version,
		CallIdentifier:     &h225.CallIdentifier{Guid: c.callID},
	}}
	msg := must(header(q931.ReleaseComplete, c.crv, fromClient),
		q931.Cause{Location: q931.LocationPrivateLocal, Value: cause})
	return q931Vector{
		name: name, comment: comment,
		fromClient: fromClient, msg: msg, uu: uuPDU(body),
		want:     map[string][]string{"q931.message_type": {"0x5a"}, "q931.cause_value": {itoa(int(cause))}},
		wantShow: map[string]string{"h225.h323_message_body": "releaseComplete (5)"},
	}
}

// calls returns the three calls with their messages in wire order.
func calls() []*call {
	c1 := &call{number: 1, client: netip.MustParseAddrPort("192.0.2.10:40001"), crv: 1, callID: callID1, confID: confID1}
	c1.messages = []q931Vector{
		setupVector(c1, "01-setup"),
		callProceedingVector(c1, "02-call-proceeding"),
		progressVector(c1, "03-progress"),
		alertingVector(c1, "04-alerting"),
		connectVector(c1, "05-connect"),
		facilityVector(c1, "06-facility"),
		releaseCompleteVector(c1, "07-release-complete-16", true, q931.CauseNormalCallClearing,
			"Release Complete, cause 16 (normal call clearing): alice hangs up"),
	}
	c2 := &call{number: 2, client: netip.MustParseAddrPort("192.0.2.10:40002"), crv: 2, callID: callID2, confID: confID2}
	c2.messages = []q931Vector{
		setupVector(c2, "08-setup"),
		releaseCompleteVector(c2, "09-release-complete-17", false, q931.CauseUserBusy,
			"Release Complete, cause 17 (user busy): bob is in another call"),
	}
	c3 := &call{number: 3, client: netip.MustParseAddrPort("192.0.2.10:40003"), crv: 3, callID: callID3, confID: confID3}
	c3.messages = []q931Vector{
		setupVector(c3, "10-setup"),
		callProceedingVector(c3, "11-call-proceeding"),
		releaseCompleteVector(c3, "12-release-complete-18", false, q931.CauseNoUserResponding,
			"Release Complete, cause 18 (no user responding): bob's app did not register within 10 s"),
	}
	return []*call{c1, c2, c3}
}

// encode gives the Q.931 message with the PER-encoded H323-UserInformation
// in its User-user element.
func (v q931Vector) encode() ([]byte, error) {
	per, err := v.uu.Marshal()
	if err != nil {
		return nil, err
	}
	m := v.msg
	m.Elements = append([]q931.InformationElement(nil), m.Elements...)
	if err := m.Add(q931.H225UserUser(per)); err != nil {
		return nil, err
	}
	return m.Encode()
}
