package h323

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

func element(t *testing.T, m q931.Message, id byte) []byte {
	t.Helper()
	ie, ok := m.Find(id)
	if !ok {
		t.Fatalf("element 0x%02x missing", id)
	}
	return ie.Contents
}

func TestSetupContents(t *testing.T) {
	s := onlySend(t, NewLeg(callerConfig()).Setup())
	msg, info := checkWire(t, s.Payload)
	if msg.Type != q931.Setup || msg.CallReference != 0x1234 || msg.FromDestination {
		t.Fatalf("header %v ref %d flag %t", msg.Type, msg.CallReference, msg.FromDestination)
	}
	// Bearer capability speech, 64 kbit/s, H.221 and H.242: what H323Plus sends for a call.
	if !bytes.HasPrefix(s.Payload, []byte{0x08, 0x02, 0x12, 0x34, 0x05, 0x04, 0x03, 0x80, 0x90, 0xa5}) {
		t.Errorf("header and bearer capability % x", s.Payload[:10])
	}
	wantElements := []struct {
		id       byte
		contents []byte
	}{
		{q931.IEDisplay, []byte("Alice Example")},
		{q931.IECallingPartyNumber, append([]byte{0x81}, "0301234567"...)},
		{q931.IECalledPartyNumber, append([]byte{0x81}, "201"...)},
	}
	for _, w := range wantElements {
		if got := element(t, msg, w.id); !bytes.Equal(got, w.contents) {
			t.Errorf("element 0x%02x: % x, want % x", w.id, got, w.contents)
		}
	}
	if got := msg.Elements[len(msg.Elements)-1].ID; got != q931.IEUserUser {
		t.Errorf("last element 0x%02x, want User-user", got)
	}
	pdu := info.H323UuPdu
	if pdu.H245Tunnelling == nil || *pdu.H245Tunnelling {
		t.Errorf("h245Tunnelling %v, want false", pdu.H245Tunnelling)
	}
	u := pdu.H323MessageBody.Setup
	if u == nil {
		t.Fatal("no setup body")
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"protocolIdentifier", asnOID(u.ProtocolIdentifier), "0.0.8.2250.0.7"},
		{"sourceAddress", u.SourceAddress, []h225.AliasAddress{{Choice: h225.AliasAddressH323ID, H323ID: "pbx"}, {Choice: h225.AliasAddressDialledDigits, DialledDigits: "0301234567"}}},
		{"destinationAddress", u.DestinationAddress, []h225.AliasAddress{{Choice: h225.AliasAddressDialledDigits, DialledDigits: "201"}}},
		{"sourceInfo terminal", u.SourceInfo.Terminal != nil && !u.SourceInfo.Mc && !u.SourceInfo.UndefinedNode, true},
		{"destCallSignalAddress", u.DestCallSignalAddress, transportAddress(phoneSignal)},
		{"sourceCallSignalAddress", u.SourceCallSignalAddress, transportAddress(pbxSignal)},
		{"activeMC", u.ActiveMC, false},
		{"conferenceID", guid16(u.ConferenceID), testConfID},
		{"conferenceGoal", u.ConferenceGoal.Choice, h225.SetupUUIEConferenceGoalCreate},
		{"callType", u.CallType.Choice, h225.CallTypePointToPoint},
		{"callIdentifier", guid16(u.CallIdentifier.Guid), testCallID},
		{"fastStart", u.FastStart == nil, true},
		{"mediaWaitForConnect", *u.MediaWaitForConnect, false},
		{"canOverlapSend", *u.CanOverlapSend, false},
		{"multipleCalls", *u.MultipleCalls, false},
		{"maintainConnection", *u.MaintainConnection, true},
		{"displayName", u.DisplayName == nil, true},
		{"h245Address", u.H245Address == nil, true},
		{"endpointIdentifier", u.EndpointIdentifier == nil, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if u.DestCallSignalAddress.IpAddress == nil || !bytes.Equal(u.DestCallSignalAddress.IpAddress.Ip, []byte{198, 51, 100, 7}) || u.DestCallSignalAddress.IpAddress.Port != 40123 {
		t.Errorf("destCallSignalAddress %+v", u.DestCallSignalAddress.IpAddress)
	}
}

func asnOID(p h225.ProtocolIdentifier) string { return asn1per.ObjectIdentifier(p).String() }

// TestSetupVariants: names and numbers the IA5 elements or the dialledDigits
// alphabet cannot carry, absent fields, IPv6 addresses.
func TestSetupVariants(t *testing.T) {
	long := "Bartholomew-Maximilian Featherstonehaugh-Cholmondeley of the Very Long Name Society"
	tests := []struct {
		name        string
		edit        func(*LegConfig)
		wantDisplay string // "" = no Display element
		wantPeer    PeerSetup
		check       func(t *testing.T, u *h225.SetupUUIE)
	}{
		{"non-IA5 name", func(c *LegConfig) { c.CallingName = "Jürgen Müller" }, "J?rgen M?ller",
			PeerSetup{CallingNumber: "0301234567", CallingName: "Jürgen Müller", CalledNumber: "201"},
			func(t *testing.T, u *h225.SetupUUIE) {
				if len(u.DisplayName) != 1 || u.DisplayName[0].Name != "Jürgen Müller" {
					t.Errorf("displayName %+v", u.DisplayName)
				}
			}},
		{"long name", func(c *LegConfig) { c.CallingName = long }, long[:82],
			PeerSetup{CallingNumber: "0301234567", CallingName: long[:82], CalledNumber: "201"}, nil},
		{"international number", func(c *LegConfig) { c.CallingNumber = "+49301234567" }, "Alice Example",
			PeerSetup{CallingNumber: "+49301234567", CallingName: "Alice Example", CalledNumber: "201"},
			func(t *testing.T, u *h225.SetupUUIE) {
				if len(u.SourceAddress) != 1 || u.SourceAddress[0].Choice != h225.AliasAddressH323ID {
					t.Errorf("sourceAddress %+v: a '+' number cannot be dialledDigits", u.SourceAddress)
				}
			}},
		{"anonymous", func(c *LegConfig) { c.CallingNumber, c.CallingName, c.SourceAlias = "", "", "" }, "",
			PeerSetup{CalledNumber: "201"},
			func(t *testing.T, u *h225.SetupUUIE) {
				if u.SourceAddress != nil {
					t.Errorf("sourceAddress %+v, want absent", u.SourceAddress)
				}
			}},
		{"ipv6", func(c *LegConfig) {
			c.Local = netip.MustParseAddrPort("[2001:db8::1]:1720")
			c.Remote = netip.MustParseAddrPort("[2001:db8::7]:40000")
		}, "Alice Example", PeerSetup{CallingNumber: "0301234567", CallingName: "Alice Example", CalledNumber: "201"},
			func(t *testing.T, u *h225.SetupUUIE) {
				if u.SourceCallSignalAddress.Ip6Address == nil || u.DestCallSignalAddress.Ip6Address == nil {
					t.Errorf("addresses %+v %+v", u.SourceCallSignalAddress, u.DestCallSignalAddress)
				}
			}},
		{"no addresses", func(c *LegConfig) { c.Local, c.Remote = netip.AddrPort{}, netip.AddrPort{} }, "Alice Example",
			PeerSetup{CallingNumber: "0301234567", CallingName: "Alice Example", CalledNumber: "201"},
			func(t *testing.T, u *h225.SetupUUIE) {
				if u.SourceCallSignalAddress != nil || u.DestCallSignalAddress != nil {
					t.Errorf("addresses present")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := callerConfig()
			tt.edit(&cfg)
			s := onlySend(t, NewLeg(cfg).Setup())
			msg, info := checkWire(t, s.Payload)
			d, err := msg.Display()
			if tt.wantDisplay == "" && err == nil || tt.wantDisplay != "" && string(d) != tt.wantDisplay {
				t.Errorf("display %q (%v), want %q", d, err, tt.wantDisplay)
			}
			if tt.check != nil {
				tt.check(t, info.H323UuPdu.H323MessageBody.Setup)
			}
			callee := NewLeg(calleeConfig())
			got := callee.HandleMessage(s.Payload)
			want := tt.wantPeer
			want.CallID, want.ConferenceID, want.MaintainConnection = testCallID, testConfID, true
			if cfg.SourceAlias != "" {
				want.SourceAlias = cfg.SourceAlias
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				t.Errorf("peer setup %#v, want %#v", got, want)
			}
		})
	}
}

// TestAnswersEchoIdentifiers: every message of the callee carries the
// caller's callIdentifier (and conferenceID where the UUIE has one) and the
// mandatory fields.
func TestAnswersEchoIdentifiers(t *testing.T) {
	caller, callee := NewLeg(callerConfig()), NewLeg(calleeConfig())
	runSteps(t, caller, callee, 1)
	for _, act := range []func(*Leg) []Effect{(*Leg).CallProceeding, (*Leg).Progress, (*Leg).Alerting, (*Leg).Connect,
		func(l *Leg) []Effect { return l.Facility("forwardedElements") }, func(l *Leg) []Effect { return l.Release(16) }} {
		s := onlySend(t, act(callee))
		msg, info := checkWire(t, s.Payload)
		if !msg.FromDestination {
			t.Errorf("%s: call reference flag 0 from the callee", s.Event)
		}
		body := info.H323UuPdu.H323MessageBody
		var callID *h225.CallIdentifier
		var confID h225.ConferenceIdentifier
		var pid h225.ProtocolIdentifier
		var maintain *bool
		switch body.Choice {
		case h225.H323UUPDUH323MessageBodyCallProceeding:
			callID, pid, maintain = body.CallProceeding.CallIdentifier, body.CallProceeding.ProtocolIdentifier, body.CallProceeding.MaintainConnection
		case h225.H323UUPDUH323MessageBodyProgress:
			callID, pid, maintain = &body.Progress.CallIdentifier, body.Progress.ProtocolIdentifier, body.Progress.MaintainConnection
		case h225.H323UUPDUH323MessageBodyAlerting:
			callID, pid, maintain = body.Alerting.CallIdentifier, body.Alerting.ProtocolIdentifier, body.Alerting.MaintainConnection
		case h225.H323UUPDUH323MessageBodyConnect:
			callID, pid, maintain, confID = body.Connect.CallIdentifier, body.Connect.ProtocolIdentifier, body.Connect.MaintainConnection, body.Connect.ConferenceID
		case h225.H323UUPDUH323MessageBodyFacility:
			callID, pid, maintain, confID = body.Facility.CallIdentifier, body.Facility.ProtocolIdentifier, body.Facility.MaintainConnection, body.Facility.ConferenceID
		case h225.H323UUPDUH323MessageBodyReleaseComplete:
			callID, pid = body.ReleaseComplete.CallIdentifier, body.ReleaseComplete.ProtocolIdentifier
			maintain = boolPtr(true) // the UUIE has no such field
		default:
			t.Fatalf("%s: body %d", s.Event, body.Choice)
		}
		if callID == nil || guid16(callID.Guid) != testCallID {
			t.Errorf("%s: callIdentifier %+v", s.Event, callID)
		}
		if confID != nil && guid16(confID) != testConfID {
			t.Errorf("%s: conferenceID % x", s.Event, confID)
		}
		if asnOID(pid) != "0.0.8.2250.0.7" || maintain == nil || !*maintain {
			t.Errorf("%s: protocolIdentifier %s maintainConnection %v", s.Event, asnOID(pid), maintain)
		}
	}
}

// TestEncodingErrors: a configuration the wire cannot carry gives a
// ProtocolError and leaves the leg where it was.
func TestEncodingErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*LegConfig)
	}{
		{"call reference beyond 15 bits", func(c *LegConfig) { c.CallReference = 0x8000 }},
		{"8-bit called number", func(c *LegConfig) { c.CalledNumber = "2ü1" }},
		{"8-bit calling number", func(c *LegConfig) { c.CallingNumber = "0ü" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := callerConfig()
			tt.edit(&cfg)
			leg := NewLeg(cfg)
			effects := leg.Setup()
			if len(effects) != 1 || protocolError(effects) == nil {
				t.Fatalf("effects %#v, want one ProtocolError", effects)
			}
			if leg.State() != StateNull {
				t.Errorf("state %v after a failed Setup", leg.State())
			}
		})
	}
}
