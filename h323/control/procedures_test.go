package control

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h245"
)

func encode(t *testing.T, m *h245.MultimediaSystemControlMessage) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// started returns a started peer and discards what Start sent.
func started(t *testing.T, cfg Config) *Peer {
	t.Helper()
	p := newPeer(t, cfg)
	p.Start()
	return p
}

// TestDecide checks H.245's determination rule at its edges.
func TestDecide(t *testing.T) {
	tests := []struct {
		local, remote int
		ln, rn        uint32
		want          role
	}{
		{60, 50, 5, 5, master}, // the larger terminal type wins, whatever the numbers
		{50, 60, 5, 9, slave},
		{50, 50, 5, 5, indeterminate},        // difference 0
		{50, 50, 0, 0x800000, indeterminate}, // difference 2^23
		{50, 50, 5, 6, master},               // remote - local = 1
		{50, 50, 0, 0x7FFFFF, master},        // 2^23 - 1
		{50, 50, 0, 0x800001, slave},         // 2^23 + 1
		{50, 50, 6, 5, slave},                // 2^24 - 1
		{50, 50, 0xFFFFFF, 0, master},        // the difference wraps: 1
		{50, 50, 0x000010, 0xFFFFF0, slave},  // 2^24 - 0x20
		{50, 50, 0x400000, 0xC00000, indeterminate},
	}
	for _, tc := range tests {
		if got := decide(tc.local, tc.remote, tc.ln, tc.rn); got != tc.want {
			t.Errorf("decide(%d, %d, %#x, %#x) = %s, want %s", tc.local, tc.remote, tc.ln, tc.rn, roleName(got), roleName(tc.want))
		}
	}
}

// TestDeterminationAnswers: the peer's determination is acknowledged with the decision for the
// peer, and an equal number is refused with identicalNumbers when we are idle.
func TestDeterminationAnswers(t *testing.T) {
	msd := func(typ int, n uint32) []byte {
		return encode(t, request(&h245.RequestMessage{Choice: h245.RequestMessageMasterSlaveDetermination,
			MasterSlaveDetermination: &h245.MasterSlaveDetermination{TerminalType: int64(typ), StatusDeterminationNumber: int64(n)}}))
	}
	for _, tc := range []struct {
		typ      int
		n        uint32
		decision h245.MasterSlaveDeterminationAckDecisionChoice
	}{
		{50, 0x123457, h245.MasterSlaveDeterminationAckDecisionSlave},  // we (0x123456) are master
		{50, 0x123455, h245.MasterSlaveDeterminationAckDecisionMaster}, // we are slave
		{40, 0x123455, h245.MasterSlaveDeterminationAckDecisionSlave},  // smaller type: slave
		{128, 0x123457, h245.MasterSlaveDeterminationAckDecisionMaster},
	} {
		p := started(t, Config{})
		msgs := sends(t, p.Handle(msd(tc.typ, tc.n)))
		if len(msgs) != 1 || msgs[0].Response.Choice != h245.ResponseMessageMasterSlaveDeterminationAck ||
			msgs[0].Response.MasterSlaveDeterminationAck.Decision.Choice != tc.decision {
			t.Errorf("type %d number %#x: answered %+v", tc.typ, tc.n, msgs)
		}
	}
	// Identical numbers while ours is outstanding: a new number, N100 = 3 times, then failure.
	p := started(t, Config{Random: func() uint32 { return 0x42 }})
	for i := 0; i < 2; i++ {
		if got := names(p.Handle(msd(50, 0x42))); !slices.Equal(got, []string{"masterSlaveDetermination"}) {
			t.Fatalf("retry %d: %v", i, got)
		}
	}
	out := p.Handle(msd(50, 0x42))
	if f, ok := find[Failure](out); !ok || !errors.Is(f.Err, ErrProtocol) || len(names(out)) != 0 {
		t.Errorf("third indeterminate result: %v %v", names(out), f.Err)
	}
	// Idle (ours finished): identical numbers are rejected.
	if got := sends(t, p.Handle(msd(50, 0x42))); len(got) != 1 || got[0].Response.Choice != h245.ResponseMessageMasterSlaveDeterminationReject {
		t.Errorf("idle peer answered identical numbers with %v", got)
	}
}

// TestDeterminationAckMismatch: an Ack whose decision contradicts ours fails the determination.
func TestDeterminationAckMismatch(t *testing.T) {
	p := started(t, Config{})
	p.Handle(encode(t, request(&h245.RequestMessage{Choice: h245.RequestMessageMasterSlaveDetermination,
		MasterSlaveDetermination: &h245.MasterSlaveDetermination{TerminalType: 50, StatusDeterminationNumber: 0x123457}})))
	// We are master; an Ack telling us we are slave is inconsistent.
	out := p.Handle(encode(t, response(&h245.ResponseMessage{Choice: h245.ResponseMessageMasterSlaveDeterminationAck,
		MasterSlaveDeterminationAck: ackDecision(master)})))
	if f, ok := find[Failure](out); !ok || !errors.Is(f.Err, ErrProtocol) {
		t.Errorf("mismatch not reported: %v", out)
	}
	if _, ok := find[MasterSlaveDetermined](out); ok {
		t.Error("an inconsistent determination was reported as done")
	}
}

// TestUnsupported: what the peer does not do is answered as H.245 says.
func TestUnsupported(t *testing.T) {
	nonStd := &h245.NonStandardMessage{NonStandardData: h245.NonStandardParameter{
		NonStandardIdentifier: h245.NonStandardIdentifier{Choice: h245.NonStandardIdentifierObject, Object: asn1per.ObjectIdentifier{1, 2, 3}}, Data: []byte{1, 2}}}
	unknownReq := request(&h245.RequestMessage{Raw: &asn1per.RawExtension{Index: 9, Data: []byte{0x42}}})
	tests := []struct {
		name string
		in   *h245.MultimediaSystemControlMessage
		want func(m *h245.MultimediaSystemControlMessage) bool
	}{
		{"roundTripDelayRequest", request(&h245.RequestMessage{Choice: h245.RequestMessageRoundTripDelayRequest, RoundTripDelayRequest: &h245.RoundTripDelayRequest{SequenceNumber: 77}}),
			func(m *h245.MultimediaSystemControlMessage) bool {
				return m.Response != nil && m.Response.Choice == h245.ResponseMessageRoundTripDelayResponse && m.Response.RoundTripDelayResponse.SequenceNumber == 77
			}},
		{"requestMode", request(&h245.RequestMessage{Choice: h245.RequestMessageRequestMode, RequestMode: &h245.RequestMode{SequenceNumber: 3, RequestedModes: []h245.ModeDescription{{{Type: h245.ModeElementType{Choice: h245.ModeElementTypeAudioMode, AudioMode: &h245.AudioMode{Choice: h245.AudioModeG711Alaw64k}}}}}}}),
			func(m *h245.MultimediaSystemControlMessage) bool {
				return m.Response != nil && m.Response.Choice == h245.ResponseMessageRequestModeReject && m.Response.RequestModeReject.SequenceNumber == 3 &&
					m.Response.RequestModeReject.Cause.Choice == h245.RequestModeRejectCauseModeUnavailable
			}},
		{"maintenanceLoopRequest", request(&h245.RequestMessage{Choice: h245.RequestMessageMaintenanceLoopRequest, MaintenanceLoopRequest: &h245.MaintenanceLoopRequest{
			Type: h245.MaintenanceLoopRequestType{Choice: h245.MaintenanceLoopRequestTypeMediaLoop, MediaLoop: 5}}}),
			func(m *h245.MultimediaSystemControlMessage) bool {
				r := m.Response.MaintenanceLoopReject
				return r != nil && r.Type.Choice == h245.MaintenanceLoopRejectTypeMediaLoop && r.Type.MediaLoop == 5 && r.Cause.Choice == h245.MaintenanceLoopRejectCauseCanNotPerformLoop
			}},
		{"requestChannelClose of a channel not ours", request(&h245.RequestMessage{Choice: h245.RequestMessageRequestChannelClose, RequestChannelClose: &h245.RequestChannelClose{ForwardLogicalChannelNumber: 9}}),
			func(m *h245.MultimediaSystemControlMessage) bool {
				return m.Response.RequestChannelCloseReject != nil && m.Response.RequestChannelCloseReject.ForwardLogicalChannelNumber == 9
			}},
		{"closeLogicalChannel of an unknown channel", request(&h245.RequestMessage{Choice: h245.RequestMessageCloseLogicalChannel, CloseLogicalChannel: &h245.CloseLogicalChannel{ForwardLogicalChannelNumber: 4,
			Source: h245.CloseLogicalChannelSource{Choice: h245.CloseLogicalChannelSourceLcse}}}),
			func(m *h245.MultimediaSystemControlMessage) bool {
				return m.Response.CloseLogicalChannelAck != nil && m.Response.CloseLogicalChannelAck.ForwardLogicalChannelNumber == 4
			}},
		{"nonStandard request", request(&h245.RequestMessage{Choice: h245.RequestMessageNonStandard, NonStandard: nonStd}), nil},
		{"unknown request", unknownReq, nil},
		{"multiplexEntrySend", request(&h245.RequestMessage{Choice: h245.RequestMessageMultiplexEntrySend, MultiplexEntrySend: &h245.MultiplexEntrySend{
			MultiplexEntryDescriptors: []h245.MultiplexEntryDescriptor{{MultiplexTableEntryNumber: 1}}}}), nil},
		{"nonStandard response", response(&h245.ResponseMessage{Choice: h245.ResponseMessageNonStandard, NonStandard: nonStd}), nil},
		{"genericCommand", command(&h245.CommandMessage{Choice: h245.CommandMessageGenericCommand, GenericCommand: &h245.GenericMessage{
			MessageIdentifier: h245.CapabilityIdentifier{Choice: h245.CapabilityIdentifierStandard, Standard: asn1per.ObjectIdentifier{0, 0, 8, 245, 1}}}}), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := started(t, Config{})
			in := encode(t, tc.in)
			msgs := sends(t, p.Handle(in))
			if len(msgs) != 1 {
				t.Fatalf("answered with %d messages", len(msgs))
			}
			if tc.want != nil {
				if !tc.want(msgs[0]) {
					t.Errorf("answer %s", MessageName(msgs[0]))
				}
				return
			}
			// functionNotUnderstood returns the message unchanged.
			f := msgs[0].Indication.FunctionNotUnderstood
			if f == nil {
				t.Fatalf("answer %s, want functionNotUnderstood", MessageName(msgs[0]))
			}
			back := &h245.MultimediaSystemControlMessage{Choice: tc.in.Choice, Request: f.Request, Response: f.Response, Command: f.Command}
			if !bytes.Equal(encode(t, back), in) {
				t.Errorf("functionNotUnderstood returns %x, not %x", encode(t, back), in)
			}
		})
	}
	// Indications and known commands that need no action are not answered.
	for _, m := range []*h245.MultimediaSystemControlMessage{
		indication(&h245.IndicationMessage{Choice: h245.IndicationMessageUserInput, UserInput: &h245.UserInputIndication{Choice: h245.UserInputIndicationAlphanumeric, Alphanumeric: "5"}}),
		indication(&h245.IndicationMessage{Raw: &asn1per.RawExtension{Index: 12, Data: []byte{0}}}),
		command(&h245.CommandMessage{Choice: h245.CommandMessageFlowControlCommand, FlowControlCommand: &h245.FlowControlCommand{
			Scope: h245.FlowControlCommandScope{Choice: h245.FlowControlCommandScopeWholeMultiplex}, Restriction: h245.FlowControlCommandRestriction{Choice: h245.FlowControlCommandRestrictionMaximumBitRate}}}),
	} {
		p := started(t, Config{})
		if out := p.Handle(encode(t, m)); len(out) != 0 {
			t.Errorf("%s answered with %v", MessageName(m), names(out))
		}
	}
}

// TestUndecodable: octets that are no H.245 message get functionNotSupported syntaxError with
// the octets, and a Failure.
func TestUndecodable(t *testing.T) {
	for _, in := range [][]byte{{}, {0xff}, {0x02, 0x70, 0x01}} {
		p := started(t, Config{})
		out := p.Handle(in)
		msgs := sends(t, out)
		if len(msgs) != 1 || msgs[0].Indication.FunctionNotSupported == nil ||
			msgs[0].Indication.FunctionNotSupported.Cause.Choice != h245.FunctionNotSupportedCauseSyntaxError ||
			!bytes.Equal(msgs[0].Indication.FunctionNotSupported.ReturnedFunction, in) {
			t.Errorf("% x answered with %v", in, names(out))
		}
		if f, ok := find[Failure](out); !ok || !errors.Is(f.Err, ErrProtocol) {
			t.Errorf("% x: no protocol failure", in)
		}
	}
}

// olc is a forward audio channel from the peer.
func olc(n int, audio *h245.AudioCapability, reverse bool) *h245.MultimediaSystemControlMessage {
	o := &h245.OpenLogicalChannel{
		ForwardLogicalChannelNumber: h245.LogicalChannelNumber(n),
		ForwardLogicalChannelParameters: h245.OpenLogicalChannelForwardLogicalChannelParameters{
			DataType: h245.DataType{Choice: h245.DataTypeAudioData, AudioData: audio},
			MultiplexParameters: h245.OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters{
				Choice:                        h245.OpenLogicalChannelForwardLogicalChannelParametersMultiplexParametersH2250LogicalChannelParameters,
				H2250LogicalChannelParameters: &h245.H2250LogicalChannelParameters{SessionID: 1, MediaControlChannel: transportAddress(pbxRTCP)}},
		},
	}
	if reverse {
		o.ReverseLogicalChannelParameters = &h245.OpenLogicalChannelReverseLogicalChannelParameters{DataType: o.ForwardLogicalChannelParameters.DataType}
	}
	return request(&h245.RequestMessage{Choice: h245.RequestMessageOpenLogicalChannel, OpenLogicalChannel: o})
}

// TestPeerChannels: the peer's G.711 channels are acknowledged with our addresses; others are
// rejected with the cause H.245 gives.
func TestPeerChannels(t *testing.T) {
	p := started(t, Config{RTP: aliceRTP, RTCP: aliceRTCP, Codecs: []Codec{G711Alaw}})
	answer := func(m *h245.MultimediaSystemControlMessage) (*h245.ResponseMessage, []Effect) {
		out := p.Handle(encode(t, m))
		msgs := sends(t, out)
		if len(msgs) != 1 || msgs[0].Response == nil {
			t.Fatalf("answered with %v", names(out))
		}
		return msgs[0].Response, out
	}
	r, out := answer(olc(101, audioCapability(G711Alaw, 20), false))
	ack := r.OpenLogicalChannelAck
	if ack == nil || ack.ForwardLogicalChannelNumber != 101 {
		t.Fatalf("answer %s", r.Choice)
	}
	h := ack.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters
	if *h.SessionID != 1 || addrPort(h.MediaChannel) != aliceRTP || addrPort(h.MediaControlChannel) != aliceRTCP {
		t.Errorf("ack parameters %+v", h)
	}
	if in, ok := find[PeerChannelOpened](out); !ok || in != (PeerChannelOpened{Number: 101, Codec: G711Alaw, RTCP: pbxRTCP}) {
		t.Errorf("report %+v", in)
	}
	for _, tc := range []struct {
		name  string
		m     *h245.MultimediaSystemControlMessage
		cause h245.OpenLogicalChannelRejectCauseChoice
	}{
		{"bidirectional", olc(102, audioCapability(G711Alaw, 20), true), h245.OpenLogicalChannelRejectCauseUnsuitableReverseParameters},
		{"codec not configured", olc(103, audioCapability(G711Ulaw, 20), false), h245.OpenLogicalChannelRejectCauseDataTypeNotSupported},
		{"G.722", olc(104, &h245.AudioCapability{Choice: h245.AudioCapabilityG72264k, G72264k: 20}, false), h245.OpenLogicalChannelRejectCauseDataTypeNotSupported},
		{"more frames than we receive", olc(105, audioCapability(G711Alaw, 30), false), h245.OpenLogicalChannelRejectCauseDataTypeNotSupported},
	} {
		r, _ := answer(tc.m)
		if r.OpenLogicalChannelReject == nil || r.OpenLogicalChannelReject.Cause.Choice != tc.cause {
			t.Errorf("%s: answered %s %+v", tc.name, r.Choice, r.OpenLogicalChannelReject)
		}
	}
	// Three more channels fit (four in all), the fifth does not.
	for n := 110; n < 113; n++ {
		if r, _ := answer(olc(n, audioCapability(G711Alaw, 20), false)); r.OpenLogicalChannelAck == nil {
			t.Fatalf("channel %d refused", n)
		}
	}
	if r, _ := answer(olc(113, audioCapability(G711Alaw, 20), false)); r.OpenLogicalChannelReject == nil {
		t.Error("a fifth channel was accepted")
	}
	// Closing is acknowledged and reported; the slot can be used again.
	r, out = answer(request(&h245.RequestMessage{Choice: h245.RequestMessageCloseLogicalChannel, CloseLogicalChannel: &h245.CloseLogicalChannel{
		ForwardLogicalChannelNumber: 101, Source: h245.CloseLogicalChannelSource{Choice: h245.CloseLogicalChannelSourceUser}}}))
	if r.CloseLogicalChannelAck == nil {
		t.Errorf("close answered with %s", r.Choice)
	}
	if c, ok := find[ChannelClosed](out); !ok || c != (ChannelClosed{Number: 101, Peer: true}) {
		t.Errorf("close report %+v", c)
	}
	if r, _ := answer(olc(113, audioCapability(G711Alaw, 20), false)); r.OpenLogicalChannelAck == nil {
		t.Error("a freed slot was not used again")
	}
	// Without an RTP address there is nothing to acknowledge with.
	q := started(t, Config{})
	if msgs := sends(t, q.Handle(encode(t, olc(1, audioCapability(G711Alaw, 20), false)))); msgs[0].Response.OpenLogicalChannelReject == nil {
		t.Error("a peer without RTP address accepted a channel")
	}
}
