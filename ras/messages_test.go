package ras

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/timeline"
)

func TestMessages(t *testing.T) {
	ep := Info{Alias: "alice", Number: "201", RASAddress: epRAS, CallSignalAddress: epCS, EndpointID: "ep-0001", GatekeeperID: "pbx"}
	v6 := netip.MustParseAddrPort("[2001:db8::5]:1719")
	tests := []struct {
		msg   *h225.RasMessage
		event string
		attrs []timeline.Attr
		check func(m *h225.RasMessage) bool
	}{
		{NewGRQ(1, ep, true), "ras.grq", attrs("1"), func(m *h225.RasMessage) bool {
			return offeredAlgorithm(m.GatekeeperRequest).Equal(OIDHMACSHA196()) && len(m.GatekeeperRequest.EndpointAlias) == 2
		}},
		{NewGCF(1, "pbx", gkRAS, OIDMD5()), "ras.gcf", attrs("1"), func(m *h225.RasMessage) bool {
			return m.GatekeeperConfirm.AuthenticationMode.Choice == h225.AuthenticationMechanismPwdHash && m.GatekeeperConfirm.AlgorithmOID.Equal(OIDMD5())
		}},
		{NewGCF(1, "pbx", v6, nil), "ras.gcf", attrs("1"), func(m *h225.RasMessage) bool {
			a, ok := AddrPort(&m.GatekeeperConfirm.RasAddress)
			return ok && a == v6 && m.GatekeeperConfirm.AuthenticationMode == nil
		}},
		{NewGRJ(2, "pbx", h225.GatekeeperRejectReasonTerminalExcluded), "ras.grj", attrs("2", "reason", "terminalExcluded"), nil},
		{NewRRQ(3, ep, true, 300*time.Second, true), "ras.rrq", attrs("3"), func(m *h225.RasMessage) bool {
			r := m.RegistrationRequest
			alias, number := splitAliases(r.TerminalAlias)
			cs, _ := AddrPort(&r.CallSignalAddress[0])
			return alias == "alice" && number == "201" && cs == epCS && *r.TimeToLive == 300 && !*r.KeepAlive && *r.MaintainConnection
		}},
		{NewKeepAliveRRQ(4, ep, 120*time.Second), "ras.rrq", attrs("4", "keepalive", "true"), func(m *h225.RasMessage) bool {
			r := m.RegistrationRequest
			return r.TerminalAlias == nil && *r.EndpointIdentifier == "ep-0001" && *r.GatekeeperIdentifier == "pbx" && *r.TimeToLive == 120
		}},
		{NewRCF(5, "pbx", gkRAS, ep, 1500*time.Millisecond), "ras.rcf", attrs("5"), func(m *h225.RasMessage) bool {
			return *m.RegistrationConfirm.TimeToLive == 2 // rounded up to whole seconds
		}},
		{NewRRJ(6, "pbx", h225.RegistrationRejectReasonSecurityDenial), "ras.rrj", attrs("6", "reason", "securityDenial"), nil},
		{NewRRJ(6, "pbx", h225.RegistrationRejectReasonFullRegistrationRequired), "ras.rrj", attrs("6", "reason", "fullRegistrationRequired"), nil},
		{NewRRJ(6, "pbx", h225.RegistrationRejectReasonDiscoveryRequired), "ras.rrj", attrs("6", "reason", "discoveryRequired"), nil},
		{NewURQ(7, ep), "ras.urq", attrs("7"), nil},
		{NewUCF(7), "ras.ucf", attrs("7"), nil},
		{NewURJ(7, h225.UnregRejectReasonNotCurrentlyRegistered), "ras.urj", attrs("7", "reason", "notCurrentlyRegistered"), nil},
		{NewARQ(8, ep, CallInfo{Destination: "bob", CallReference: 0x8001}), "ras.arq", attrs("8"), func(m *h225.RasMessage) bool {
			a := m.AdmissionRequest
			return a.DestinationInfo[0].Choice == h225.AliasAddressH323ID && a.CallReferenceValue == 1 && a.BandWidth == DefaultBandwidth
		}},
		{NewARQ(8, ep, CallInfo{Calling: "0049*1#", Answer: true}), "ras.arq", attrs("8"), func(m *h225.RasMessage) bool {
			// Answering: the caller is the source, the endpoint the destination.
			a := m.AdmissionRequest
			return a.SrcInfo[0].DialledDigits == "0049*1#" && len(a.DestinationInfo) == 2 &&
				a.DestinationInfo[0].H323ID == "alice" && a.DestinationInfo[1].DialledDigits == "201" &&
				a.AnswerCall && a.SrcCallSignalAddress == nil && len(a.CallIdentifier.Guid) == 16
		}},
		{NewARQ(8, ep, CallInfo{Answer: true}), "ras.arq", attrs("8"), func(m *h225.RasMessage) bool {
			a := m.AdmissionRequest // a caller without a number: an empty srcInfo
			return len(a.SrcInfo) == 0 && a.AnswerCall
		}},
		{NewACF(9, 640, gkRAS), "ras.acf", attrs("9"), func(m *h225.RasMessage) bool {
			a, _ := AddrPort(&m.AdmissionConfirm.DestCallSignalAddress)
			return a == gkRAS && m.AdmissionConfirm.CallModel.Choice == h225.CallModelGatekeeperRouted
		}},
		{NewARJ(9, h225.AdmissionRejectReasonCallerNotRegistered), "ras.arj", attrs("9", "reason", "callerNotRegistered"), nil},
		{NewDRQ(10, ep, call1), "ras.drq", attrs("10"), nil},
		{NewDCF(10), "ras.dcf", attrs("10"), nil},
		{NewDRJ(10, h225.DisengageRejectReasonNotRegistered), "ras.drj", attrs("10", "reason", "notRegistered"), nil},
		{NewIRQ(11, gkRAS), "ras.irq", attrs("11"), nil},
		{NewIRR(11, ep), "ras.irr", attrs("11"), nil},
		{NewRIP(12, 90*time.Second), "ras.rip", attrs("12"), func(m *h225.RasMessage) bool { return m.RequestInProgress.Delay == 65535 }},
		{NewXRS(0, []byte{9}), "ras.xrs", attrs("1"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.event, func(t *testing.T) {
			m, b := wireRoundTrip(t, tc.msg)
			if EventName(m) != tc.event || !slices.Equal(Attrs(m), tc.attrs) {
				t.Errorf("%s %v, want %s %v", EventName(m), Attrs(m), tc.event, tc.attrs)
			}
			if again, _ := Encode(m); !bytes.Equal(again, b) {
				t.Error("re-encoding differs")
			}
			if tc.check != nil && !tc.check(m) {
				t.Errorf("contents: %+v", m)
			}
		})
	}
}

func attrs(seq string, kv ...any) []timeline.Attr {
	return append([]timeline.Attr{{Key: "seq", Value: seq}}, timeline.Attrs(kv...)...)
}

// FuzzHandleDatagram feeds arbitrary datagrams to both cores: they must never
// panic, and whatever they answer must itself decode.
func FuzzHandleDatagram(f *testing.F) {
	ep := Info{Alias: "alice", Number: "201", RASAddress: epRAS, CallSignalAddress: epCS, EndpointID: "ep-0001", GatekeeperID: "pbx"}
	for _, m := range []*h225.RasMessage{NewGRQ(1, ep, true), NewRRQ(2, ep, true, time.Minute, false), NewKeepAliveRRQ(3, ep, time.Minute),
		NewURQ(4, ep), NewARQ(5, ep, call1), NewDRQ(6, ep, call1), NewIRR(7, ep), NewRCF(2, "pbx", gkRAS, ep, time.Minute), NewRIP(2, time.Second)} {
		b, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if signed, err := encodeSigned(m, epoch0, credentials{password: "pw", sendersID: "alice", generalID: "pbx"}); err == nil {
			f.Add(signed)
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		gk := NewGatekeeper(GatekeeperConfig{ID: "pbx", RASAddress: gkRAS, TimeToLive: time.Minute,
			Password: func(a string) (string, bool) { return "pw", a == "alice" }})
		endpoint := NewEndpoint(EndpointConfig{Alias: "alice", Password: "pw", RASAddress: epRAS, CallSignalAddress: epCS, Gatekeeper: gkRAS, FirstSeqNum: 1})
		endpoint.Register(epoch0)
		for _, e := range append(gk.HandleDatagram(epoch0, epRAS, payload), endpoint.HandleDatagram(epoch0, gkRAS, payload)...) {
			if s, ok := e.(Send); ok {
				if _, err := Decode(s.Payload); err != nil {
					t.Fatalf("answer %s does not decode: %v", s.Event, err)
				}
			}
		}
	})
}
