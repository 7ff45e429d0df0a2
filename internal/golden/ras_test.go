package golden

import (
	"crypto/hmac"
	"crypto/sha1"
	"net/netip"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h225"
)

// The RAS exchange the vectors tell: a softphone (alice, 192.0.2.10) and a
// second endpoint (bob, 192.0.2.20) discover and register with the PBX's
// gatekeeper (192.0.2.1); alice is admitted for a call to bob, the call is
// disengaged, the gatekeeper polls alice with an IRQ, and alice unregisters.
var (
	gatekeeperRAS = netip.MustParseAddrPort("192.0.2.1:1719")
	aliceRAS      = netip.MustParseAddrPort("192.0.2.10:1719")
	bobRAS        = netip.MustParseAddrPort("192.0.2.20:1719")
	pbxSignal     = netip.MustParseAddrPort("192.0.2.1:1720")
	aliceSignal   = netip.MustParseAddrPort("192.0.2.10:1720")
	bobSignal     = netip.MustParseAddrPort("192.0.2.20:1720")
)

const (
	gatekeeperID   = "callwake-gk"
	aliceEndpoint  = "EP-alice-0001"
	bobEndpoint    = "EP-bob-0002"
	aliceNumber    = "2001"
	bobNumber      = "2002"
	registrationTT = 300 // seconds
	// h235Password is the shared secret of alice's H.235.1 registration.
	h235Password = "wake-me-up"
)

// H.225.0 version 7 and the H.235.1 (baseline security) object identifiers.
var (
	h225Version = h225.ProtocolIdentifier{0, 0, 8, 2250, 0, 7}
	// oidH2351A marks a cryptoHashedToken computed over the whole message;
	// oidH2351T its ClearToken; oidHMACSHA196 the hash algorithm.
	oidH2351A     = asn1per.ObjectIdentifier{0, 0, 8, 235, 0, 2, 1}
	oidH2351T     = asn1per.ObjectIdentifier{0, 0, 8, 235, 0, 2, 5}
	oidHMACSHA196 = asn1per.ObjectIdentifier{0, 0, 8, 235, 0, 2, 6}
)

// Call identifiers and conference identifiers: fixed GUIDs so the vectors
// are reproducible.
var (
	callID1 = guid(0x11)
	confID1 = guid(0x21)
	callID2 = guid(0x12)
	confID2 = guid(0x22)
	callID3 = guid(0x13)
	confID3 = guid(0x23)
)

func guid(seed byte) h225.GloballyUniqueID {
	g := make(h225.GloballyUniqueID, 16)
	for i := range g {
		g[i] = seed + byte(i)*0x11
	}
	g[6] = g[6]&0x0f | 0x40 // version 4
	g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
	return g
}

func ipAddr(ap netip.AddrPort) h225.TransportAddress {
	a := ap.Addr().As4()
	return h225.TransportAddress{
		Choice:    h225.TransportAddressIpAddress,
		IpAddress: &h225.TransportAddressIpAddressType{Ip: a[:], Port: int64(ap.Port())},
	}
}

func h323ID(s string) h225.AliasAddress {
	return h225.AliasAddress{Choice: h225.AliasAddressH323ID, H323ID: s}
}

func digits(s string) h225.AliasAddress {
	return h225.AliasAddress{Choice: h225.AliasAddressDialledDigits, DialledDigits: s}
}

func ptr[T any](v T) *T { return &v }

func vendor() h225.VendorIdentifier {
	return h225.VendorIdentifier{
		Vendor:    h225.H221NonStandard{T35CountryCode: 181, T35Extension: 0, ManufacturerCode: 0x5757},
		ProductId: []byte("callwake"),
		VersionId: []byte("1.0"),
	}
}

func terminal() h225.EndpointType {
	v := vendor()
	return h225.EndpointType{Vendor: &v, Terminal: &h225.TerminalInfo{}}
}

func gatekeeperType() h225.EndpointType {
	v := vendor()
	return h225.EndpointType{Vendor: &v, Gatekeeper: &h225.GatekeeperInfo{}}
}

// rasVector is one RAS message of the exchange and what the dissector must
// read in it.
type rasVector struct {
	name, comment string
	src, dst      netip.AddrPort
	msg           *h225.RasMessage
	// want are the dissector's field values (all occurrences, in order).
	want map[string][]string
	// wantShow are substrings of the dissector's display text per field.
	wantShow map[string]string
}

func rasVectors() ([]rasVector, error) {
	gkID := h225.GatekeeperIdentifier(gatekeeperID)
	rrq, err := securedRRQ()
	if err != nil {
		return nil, err
	}
	return []rasVector{
		{
			name: "01-grq", comment: "gatekeeperRequest (GRQ): alice looks for the gatekeeper",
			src: aliceRAS, dst: gatekeeperRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageGatekeeperRequest, GatekeeperRequest: &h225.GatekeeperRequest{
				RequestSeqNum:      1,
				ProtocolIdentifier: h225Version,
				RasAddress:         ipAddr(aliceRAS),
				EndpointType:       terminal(),
				EndpointAlias:      []h225.AliasAddress{h323ID("alice"), digits(aliceNumber)},
			}},
			want: map[string][]string{
				"h225.h323_ID": {"alice"}, "h225.dialledDigits": {aliceNumber},
				"h225.ipV4": {"192.0.2.10"}, "h225.ipV4_port": {"1719"}, "h225.requestSeqNum": {"1"},
			},
			wantShow: map[string]string{"h225.RasMessage": "gatekeeperRequest (0)", "h225.rasAddress": "ipAddress"},
		},
		{
			name: "02-gcf", comment: "gatekeeperConfirm (GCF): the gatekeeper answers alice",
			src: gatekeeperRAS, dst: aliceRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageGatekeeperConfirm, GatekeeperConfirm: &h225.GatekeeperConfirm{
				RequestSeqNum:        1,
				ProtocolIdentifier:   h225Version,
				GatekeeperIdentifier: &gkID,
				RasAddress:           ipAddr(gatekeeperRAS),
			}},
			want: map[string][]string{
				"h225.gatekeeperIdentifier": {gatekeeperID}, "h225.ipV4": {"192.0.2.1"}, "h225.ipV4_port": {"1719"},
			},
			wantShow: map[string]string{"h225.RasMessage": "gatekeeperConfirm (1)", "h225.rasAddress": "ipAddress"},
		},
		{
			name: "03-grj", comment: "gatekeeperReject (GRJ): a gatekeeper that is not bob's refuses him (terminalExcluded)",
			src: gatekeeperRAS, dst: bobRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageGatekeeperReject, GatekeeperReject: &h225.GatekeeperReject{
				RequestSeqNum:        7,
				ProtocolIdentifier:   h225Version,
				GatekeeperIdentifier: &gkID,
				RejectReason:         h225.GatekeeperRejectReason{Choice: h225.GatekeeperRejectReasonTerminalExcluded},
			}},
			want:     map[string][]string{"h225.gatekeeperIdentifier": {gatekeeperID}, "h225.requestSeqNum": {"7"}},
			wantShow: map[string]string{"h225.RasMessage": "gatekeeperReject (2)", "h225.rejectReason": "terminalExcluded"},
		},
		{
			name: "04-rrq-h235", comment: "registrationRequest (RRQ): alice registers with an H.235.1 ClearToken and a nestedcryptoToken (HMAC-SHA1-96)",
			src: aliceRAS, dst: gatekeeperRAS,
			msg: rrq,
			want: map[string][]string{
				"h225.h323_ID": {"alice"}, "h225.dialledDigits": {aliceNumber},
				"h225.ipV4":       {"192.0.2.10", "192.0.2.10"},
				"h225.ipV4_port":  {"1720", "1719"},
				"h225.timeToLive": {"300"}, "h225.gatekeeperIdentifier": {gatekeeperID},
				"h235.tokenOID": {"0.0.8.235.0.2.5", "0.0.8.235.0.2.1", "0.0.8.235.0.2.5"},
			},
			wantShow: map[string]string{
				"h225.RasMessage": "registrationRequest (3)", "h225.callSignalAddress": "1 item",
				"h225.rasAddress": "1 item", "h225.CryptoH323Token": "nestedcryptoToken",
			},
		},
		{
			name: "05-rcf", comment: "registrationConfirm (RCF): alice is registered for 300 s",
			src: gatekeeperRAS, dst: aliceRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageRegistrationConfirm, RegistrationConfirm: &h225.RegistrationConfirm{
				RequestSeqNum:        2,
				ProtocolIdentifier:   h225Version,
				CallSignalAddress:    []h225.TransportAddress{ipAddr(pbxSignal)},
				TerminalAlias:        []h225.AliasAddress{h323ID("alice"), digits(aliceNumber)},
				GatekeeperIdentifier: &gkID,
				EndpointIdentifier:   aliceEndpoint,
				TimeToLive:           ptr(h225.TimeToLive(registrationTT)),
				WillRespondToIRR:     ptr(false),
				MaintainConnection:   ptr(false),
			}},
			want: map[string][]string{
				"h225.endpointIdentifier": {aliceEndpoint}, "h225.timeToLive": {"300"},
				"h225.ipV4": {"192.0.2.1"}, "h225.ipV4_port": {"1720"}, "h225.h323_ID": {"alice"},
			},
			wantShow: map[string]string{"h225.RasMessage": "registrationConfirm (4)", "h225.callSignalAddress": "1 item"},
		},
		{
			name: "06-rrj", comment: "registrationReject (RRJ): bob's registration fails authentication (securityDenial)",
			src: gatekeeperRAS, dst: bobRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageRegistrationReject, RegistrationReject: &h225.RegistrationReject{
				RequestSeqNum:        8,
				ProtocolIdentifier:   h225Version,
				RejectReason:         h225.RegistrationRejectReason{Choice: h225.RegistrationRejectReasonSecurityDenial},
				GatekeeperIdentifier: &gkID,
			}},
			want:     map[string][]string{"h225.gatekeeperIdentifier": {gatekeeperID}},
			wantShow: map[string]string{"h225.RasMessage": "registrationReject (5)", "h225.rejectReason": "securityDenial"},
		},
		{
			name: "07-rrq-keepalive", comment: "registrationRequest (RRQ), lightweight: alice refreshes her registration (keepAlive)",
			src: aliceRAS, dst: gatekeeperRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageRegistrationRequest, RegistrationRequest: &h225.RegistrationRequest{
				RequestSeqNum:        3,
				ProtocolIdentifier:   h225Version,
				DiscoveryComplete:    true,
				CallSignalAddress:    []h225.TransportAddress{ipAddr(aliceSignal)},
				RasAddress:           []h225.TransportAddress{ipAddr(aliceRAS)},
				TerminalType:         terminal(),
				GatekeeperIdentifier: &gkID,
				EndpointVendor:       vendor(),
				TimeToLive:           ptr(h225.TimeToLive(registrationTT)),
				KeepAlive:            ptr(true),
				EndpointIdentifier:   ptr(h225.EndpointIdentifier(aliceEndpoint)),
				WillSupplyUUIEs:      ptr(false),
				MaintainConnection:   ptr(false),
			}},
			want: map[string][]string{
				"h225.keepAlive": {"1"}, "h225.endpointIdentifier": {aliceEndpoint}, "h225.timeToLive": {"300"},
				"h225.ipV4": {"192.0.2.10", "192.0.2.10"}, "h225.ipV4_port": {"1720", "1719"},
			},
			wantShow: map[string]string{"h225.RasMessage": "registrationRequest (3)", "h225.keepAlive": "True"},
		},
		{
			name: "08-arq", comment: "admissionRequest (ARQ): alice asks to call bob (2002)",
			src: aliceRAS, dst: gatekeeperRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageAdmissionRequest, AdmissionRequest: &h225.AdmissionRequest{
				RequestSeqNum:        4,
				CallType:             h225.CallType{Choice: h225.CallTypePointToPoint},
				CallModel:            &h225.CallModel{Choice: h225.CallModelGatekeeperRouted},
				EndpointIdentifier:   aliceEndpoint,
				DestinationInfo:      []h225.AliasAddress{digits(bobNumber)},
				SrcInfo:              []h225.AliasAddress{h323ID("alice"), digits(aliceNumber)},
				SrcCallSignalAddress: ptr(ipAddr(aliceSignal)),
				BandWidth:            1280,
				CallReferenceValue:   1,
				ConferenceID:         confID1,
				ActiveMC:             false,
				AnswerCall:           false,
				CanMapAlias:          ptr(true),
				CallIdentifier:       &h225.CallIdentifier{Guid: callID1},
				GatekeeperIdentifier: &gkID,
				WillSupplyUUIEs:      ptr(false),
			}},
			want: map[string][]string{
				"h225.endpointIdentifier": {aliceEndpoint}, "h225.dialledDigits": {bobNumber, aliceNumber},
				"h225.h323_ID": {"alice"}, "h225.bandWidth": {"1280"}, "h225.callReferenceValue": {"1"},
				"h225.guid": {guidString(callID1)},
			},
			wantShow: map[string]string{"h225.RasMessage": "admissionRequest (9)"},
		},
		{
			name: "09-acf", comment: "admissionConfirm (ACF): the gatekeeper routes alice's call through the PBX",
			src: gatekeeperRAS, dst: aliceRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageAdmissionConfirm, AdmissionConfirm: &h225.AdmissionConfirm{
				RequestSeqNum:         4,
				BandWidth:             1280,
				CallModel:             h225.CallModel{Choice: h225.CallModelGatekeeperRouted},
				DestCallSignalAddress: ipAddr(pbxSignal),
				IrrFrequency:          ptr(int64(120)),
				DestinationInfo:       []h225.AliasAddress{digits(bobNumber)},
				WillRespondToIRR:      ptr(false),
				UuiesRequested:        uuiesNone(),
			}},
			want: map[string][]string{
				"h225.ipV4": {"192.0.2.1"}, "h225.ipV4_port": {"1720"}, "h225.irrFrequency": {"120"},
				"h225.bandWidth": {"1280"}, "h225.dialledDigits": {bobNumber},
			},
			wantShow: map[string]string{"h225.RasMessage": "admissionConfirm (10)", "h225.destCallSignalAddress": "ipAddress"},
		},
		{
			name: "10-arj", comment: "admissionReject (ARJ): bob, unregistered, may not call (callerNotRegistered)",
			src: gatekeeperRAS, dst: bobRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageAdmissionReject, AdmissionReject: &h225.AdmissionReject{
				RequestSeqNum: 9,
				RejectReason:  h225.AdmissionRejectReason{Choice: h225.AdmissionRejectReasonCallerNotRegistered},
			}},
			want:     map[string][]string{"h225.requestSeqNum": {"9"}},
			wantShow: map[string]string{"h225.RasMessage": "admissionReject (11)", "h225.rejectReason": "callerNotRegistered"},
		},
		{
			name: "11-drq", comment: "disengageRequest (DRQ): alice's call has ended",
			src: aliceRAS, dst: gatekeeperRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageDisengageRequest, DisengageRequest: &h225.DisengageRequest{
				RequestSeqNum:        5,
				EndpointIdentifier:   aliceEndpoint,
				ConferenceID:         confID1,
				CallReferenceValue:   1,
				DisengageReason:      h225.DisengageReason{Choice: h225.DisengageReasonNormalDrop},
				CallIdentifier:       &h225.CallIdentifier{Guid: callID1},
				GatekeeperIdentifier: &gkID,
				AnsweredCall:         ptr(true),
			}},
			want: map[string][]string{
				"h225.endpointIdentifier": {aliceEndpoint}, "h225.guid": {guidString(callID1)},
				"h225.callReferenceValue": {"1"},
			},
			wantShow: map[string]string{"h225.RasMessage": "disengageRequest (15)", "h225.disengageReason": "normalDrop"},
		},
		{
			name: "12-dcf", comment: "disengageConfirm (DCF)",
			src: gatekeeperRAS, dst: aliceRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageDisengageConfirm, DisengageConfirm: &h225.DisengageConfirm{
				RequestSeqNum: 5,
			}},
			want:     map[string][]string{"h225.requestSeqNum": {"5"}},
			wantShow: map[string]string{"h225.RasMessage": "disengageConfirm (16)"},
		},
		{
			name: "13-irq", comment: "infoRequest (IRQ): the gatekeeper asks alice about her calls",
			src: gatekeeperRAS, dst: aliceRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageInfoRequest, InfoRequest: &h225.InfoRequest{
				RequestSeqNum:      101,
				CallReferenceValue: 0,
				ReplyAddress:       ptr(ipAddr(gatekeeperRAS)),
			}},
			want:     map[string][]string{"h225.requestSeqNum": {"101"}, "h225.ipV4": {"192.0.2.1"}, "h225.ipV4_port": {"1719"}},
			wantShow: map[string]string{"h225.RasMessage": "infoRequest (21)"},
		},
		{
			name: "14-irr", comment: "infoRequestResponse (IRR): alice answers, no call in progress",
			src: aliceRAS, dst: gatekeeperRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageInfoRequestResponse, InfoRequestResponse: &h225.InfoRequestResponse{
				RequestSeqNum:      101,
				EndpointType:       terminal(),
				EndpointIdentifier: aliceEndpoint,
				RasAddress:         ipAddr(aliceRAS),
				CallSignalAddress:  []h225.TransportAddress{ipAddr(aliceSignal)},
				EndpointAlias:      []h225.AliasAddress{h323ID("alice"), digits(aliceNumber)},
				NeedResponse:       ptr(false),
				Unsolicited:        ptr(false),
			}},
			want: map[string][]string{
				"h225.endpointIdentifier": {aliceEndpoint}, "h225.h323_ID": {"alice"},
				"h225.ipV4": {"192.0.2.10", "192.0.2.10"}, "h225.ipV4_port": {"1719", "1720"},
			},
			wantShow: map[string]string{"h225.RasMessage": "infoRequestResponse (22)", "h225.rasAddress": "ipAddress", "h225.callSignalAddress": "1 item"},
		},
		{
			name: "15-urq", comment: "unregistrationRequest (URQ): alice unregisters",
			src: aliceRAS, dst: gatekeeperRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageUnregistrationRequest, UnregistrationRequest: &h225.UnregistrationRequest{
				RequestSeqNum:        6,
				CallSignalAddress:    []h225.TransportAddress{ipAddr(aliceSignal)},
				EndpointAlias:        []h225.AliasAddress{h323ID("alice"), digits(aliceNumber)},
				EndpointIdentifier:   ptr(h225.EndpointIdentifier(aliceEndpoint)),
				GatekeeperIdentifier: &gkID,
			}},
			want: map[string][]string{
				"h225.endpointIdentifier": {aliceEndpoint}, "h225.h323_ID": {"alice"},
				"h225.ipV4": {"192.0.2.10"}, "h225.ipV4_port": {"1720"},
			},
			wantShow: map[string]string{"h225.RasMessage": "unregistrationRequest (6)", "h225.callSignalAddress": "1 item"},
		},
		{
			name: "16-ucf", comment: "unregistrationConfirm (UCF)",
			src: gatekeeperRAS, dst: aliceRAS,
			msg: &h225.RasMessage{Choice: h225.RasMessageUnregistrationConfirm, UnregistrationConfirm: &h225.UnregistrationConfirm{
				RequestSeqNum: 6,
			}},
			want:     map[string][]string{"h225.requestSeqNum": {"6"}},
			wantShow: map[string]string{"h225.RasMessage": "unregistrationConfirm (7)"},
		},
	}, nil
}

func uuiesNone() *h225.UUIEsRequested {
	return &h225.UUIEsRequested{}
}

// securedRRQ is alice's full registration, secured as H.235.1 (baseline
// security profile) prescribes: a cryptoHashedToken whose HMAC-SHA1-96 is
// computed over the whole encoded message with the hash field zeroed, keyed
// with SHA-1 of the password.
func securedRRQ() (*h225.RasMessage, error) {
	gkID := h225.GatekeeperIdentifier(gatekeeperID)
	const timeStamp = 1767225600 // 2026-01-01T00:00:00Z, the capture epoch
	clear := h225.ClearToken{
		TokenOID:  oidH2351T,
		TimeStamp: ptr(h225.TimeStamp(timeStamp)),
		Random:    ptr(h225.RandomVal(1)),
		GeneralID: ptr(h225.Identifier(gatekeeperID)),
		SendersID: ptr(h225.Identifier(aliceEndpoint)),
	}
	hashed := &h225.CryptoTokenCryptoHashedTokenType{
		TokenOID:   oidH2351A,
		HashedVals: clear,
		Token: h225.HashedEncodedGeneralToken{
			AlgorithmOID: oidHMACSHA196,
			Hash:         h225.BitString{Bytes: make([]byte, 12), BitLen: 96},
		},
	}
	msg := &h225.RasMessage{Choice: h225.RasMessageRegistrationRequest, RegistrationRequest: &h225.RegistrationRequest{
		RequestSeqNum:        2,
		ProtocolIdentifier:   h225Version,
		DiscoveryComplete:    true,
		CallSignalAddress:    []h225.TransportAddress{ipAddr(aliceSignal)},
		RasAddress:           []h225.TransportAddress{ipAddr(aliceRAS)},
		TerminalType:         terminal(),
		TerminalAlias:        []h225.AliasAddress{h323ID("alice"), digits(aliceNumber)},
		GatekeeperIdentifier: &gkID,
		EndpointVendor:       vendor(),
		TimeToLive:           ptr(h225.TimeToLive(registrationTT)),
		Tokens:               []h225.ClearToken{clear},
		CryptoTokens: []h225.CryptoH323Token{{
			Choice:            h225.CryptoH323TokenNestedcryptoToken,
			NestedcryptoToken: &h225.CryptoToken{Choice: h225.CryptoTokenCryptoHashedToken, CryptoHashedToken: hashed},
		}},
		KeepAlive:          ptr(false),
		WillSupplyUUIEs:    ptr(false),
		MaintainConnection: ptr(false),
	}}
	zeroed, err := msg.Marshal()
	if err != nil {
		return nil, err
	}
	key := sha1.Sum([]byte(h235Password))
	mac := hmac.New(sha1.New, key[:])
	mac.Write(zeroed)
	hashed.Token.Hash.Bytes = mac.Sum(nil)[:12]
	return msg, nil
}
