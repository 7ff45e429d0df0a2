package control

import (
	"errors"
	"slices"
	"testing"

	"github.com/callwake/callwake/h323/h245"
)

// negotiated returns two peers that completed capability exchange, determination and their
// channels.
func negotiated(t *testing.T, a, b Config) (*Peer, *Peer) {
	t.Helper()
	pa, pb := newPeer(t, a), newPeer(t, b)
	aOut, bOut := conversation(pa, pb, pa.Start())
	if _, ok := find[ChannelOpened](aOut); !ok {
		t.Fatalf("a opened no channel: %v", reports(aOut))
	}
	if _, ok := find[ChannelOpened](bOut); !ok {
		t.Fatalf("b opened no channel: %v", reports(bOut))
	}
	return pa, pb
}

// TestEndSession: End sends endSessionCommand; the peer answers with its own and both report
// SessionEnded; nothing is answered afterwards.
func TestEndSession(t *testing.T) {
	a, b := negotiated(t, Config{RTP: aliceRTP}, Config{RTP: pbxRTP, Random: counter(0x800, 3)})
	aOut := a.End()
	if got := names(aOut); !slices.Equal(got, []string{"endSessionCommand"}) {
		t.Fatalf("End sent %v", got)
	}
	if m := sends(t, aOut)[0]; m.Command.EndSessionCommand.Choice != h245.EndSessionCommandDisconnect {
		t.Errorf("endSessionCommand %s", m.Command.EndSessionCommand.Choice)
	}
	if _, ok := find[SessionEnded](aOut); ok {
		t.Error("SessionEnded before the peer's endSessionCommand")
	}
	var endMsg []byte
	for _, e := range aOut {
		if s, ok := e.(Send); ok {
			endMsg = s.Message
		}
	}
	bOut := b.Handle(endMsg)
	if got := names(bOut); !slices.Equal(got, []string{"endSessionCommand"}) {
		t.Errorf("peer answered endSessionCommand with %v", got)
	}
	if e, ok := find[SessionEnded](bOut); !ok || !e.ByPeer {
		t.Errorf("peer report %+v %v", e, ok)
	}
	var reply []byte
	for _, e := range bOut {
		if s, ok := e.(Send); ok {
			reply = s.Message
		}
	}
	if e, ok := find[SessionEnded](a.Handle(reply)); !ok || e.ByPeer {
		t.Errorf("our report %+v %v", e, ok)
	}
	if out := a.Handle(encode(t, olc(9, audioCapability(G711Alaw, 20), false))); len(out) != 0 {
		t.Errorf("answered after the session ended: %v", out)
	}
	if out := a.End(); len(out) != 0 {
		t.Errorf("a second End: %v", out)
	}
}

// TestTimers: each H.245 timer's expiry does what H.245 C says, and an expiry after the answer
// arrived does nothing.
func TestTimers(t *testing.T) {
	p := started(t, Config{RTP: aliceRTP})
	out := p.Timeout(T101)
	if got := names(out); !slices.Equal(got, []string{"terminalCapabilitySetRelease"}) {
		t.Errorf("T101 sent %v", got)
	}
	if f, ok := find[Failure](out); !ok || !errors.Is(f.Err, ErrTimeout) {
		t.Errorf("T101: %v", out)
	}
	if out := p.Timeout(T101); len(out) != 0 {
		t.Errorf("T101 again: %v", out)
	}
	out = p.Timeout(T106)
	if got := names(out); !slices.Equal(got, []string{"masterSlaveDeterminationRelease"}) {
		t.Errorf("T106 sent %v", got)
	}
	if f, ok := find[Failure](out); !ok || !errors.Is(f.Err, ErrTimeout) {
		t.Errorf("T106: %v", out)
	}

	// T103 on an unanswered openLogicalChannel: closeLogicalChannel, and no new attempt.
	a, b := newPeer(t, Config{RTP: aliceRTP}), newPeer(t, Config{RTP: pbxRTP, Random: counter(0x800, 3)})
	var olcSeen bool
	aOut, _ := talk(a, b, a.Start(), func(name string) bool {
		if name == "openLogicalChannelAck" && !olcSeen {
			olcSeen = true
			return true // b's ack of a's channel is lost
		}
		return false
	})
	if _, ok := find[ChannelOpened](aOut); ok {
		t.Fatal("the channel opened although its ack was lost")
	}
	out = a.Timeout(T103)
	if got := names(out); !slices.Equal(got, []string{"closeLogicalChannel"}) {
		t.Errorf("T103 sent %v", got)
	}
	if f, ok := find[Failure](out); !ok || !errors.Is(f.Err, ErrTimeout) {
		t.Errorf("T103: %v", out)
	}
	if slices.Contains(names(a.progress(nil)), "openLogicalChannel") {
		t.Error("the channel was tried again after T103")
	}
}

// TestRejectedChannelTriesNextCodec: a rejected codec is not tried again; the next common one
// is, and when none is left NoCommonCodec is reported.
func TestRejectedChannelTriesNextCodec(t *testing.T) {
	p := newPeer(t, Config{RTP: aliceRTP})
	p.Start()
	// The peer receives both codecs, acknowledges our set and makes us master.
	peerTCS := newPeer(t, Config{Random: counter(1, 1)}).ourCapabilities(1)
	p.Handle(encode(t, request(&h245.RequestMessage{Choice: h245.RequestMessageTerminalCapabilitySet, TerminalCapabilitySet: peerTCS})))
	p.Handle(encode(t, response(&h245.ResponseMessage{Choice: h245.ResponseMessageTerminalCapabilitySetAck, TerminalCapabilitySetAck: &h245.TerminalCapabilitySetAck{SequenceNumber: 1}})))
	out := p.Handle(encode(t, response(&h245.ResponseMessage{Choice: h245.ResponseMessageMasterSlaveDeterminationAck, MasterSlaveDeterminationAck: ackDecision(slave)})))
	first := sends(t, out)
	if len(first) != 2 || first[1].Request.OpenLogicalChannel == nil {
		t.Fatalf("after the determination: %v", names(out))
	}
	if c, _ := codecOf(first[1].Request.OpenLogicalChannel.ForwardLogicalChannelParameters.DataType.AudioData); c != G711Alaw {
		t.Fatalf("first channel %v", c)
	}
	reject := func(n int) []Effect {
		return p.Handle(encode(t, response(&h245.ResponseMessage{Choice: h245.ResponseMessageOpenLogicalChannelReject, OpenLogicalChannelReject: &h245.OpenLogicalChannelReject{
			ForwardLogicalChannelNumber: h245.LogicalChannelNumber(n), Cause: h245.OpenLogicalChannelRejectCause{Choice: h245.OpenLogicalChannelRejectCauseDataTypeNotAvailable}}})))
	}
	out = reject(1)
	if f, ok := find[Failure](out); !ok || !errors.Is(f.Err, ErrRejected) {
		t.Errorf("reject not reported: %v", out)
	}
	second := sends(t, out)
	if len(second) != 1 || second[0].Request.OpenLogicalChannel.ForwardLogicalChannelNumber != 2 {
		t.Fatalf("after the reject: %v", names(out))
	}
	if c, _ := codecOf(second[0].Request.OpenLogicalChannel.ForwardLogicalChannelParameters.DataType.AudioData); c != G711Ulaw {
		t.Errorf("second channel %v", c)
	}
	if _, ok := find[NoCommonCodec](reject(2)); !ok {
		t.Error("no NoCommonCodec when every codec was rejected")
	}
}

// TestRequestChannelClose: our channel is closed on request and not opened again until the peer
// sends a new capability set.
func TestRequestChannelClose(t *testing.T) {
	a, _ := negotiated(t, Config{RTP: aliceRTP}, Config{RTP: pbxRTP, Random: counter(0x800, 3)})
	out := a.Handle(encode(t, request(&h245.RequestMessage{Choice: h245.RequestMessageRequestChannelClose, RequestChannelClose: &h245.RequestChannelClose{ForwardLogicalChannelNumber: 1}})))
	if got := names(out); !slices.Equal(got, []string{"requestChannelCloseAck", "closeLogicalChannel"}) {
		t.Fatalf("requestChannelClose answered with %v", got)
	}
	out = a.Handle(encode(t, response(&h245.ResponseMessage{Choice: h245.ResponseMessageCloseLogicalChannelAck, CloseLogicalChannelAck: &h245.CloseLogicalChannelAck{ForwardLogicalChannelNumber: 1}})))
	if c, ok := find[ChannelClosed](out); !ok || c.Peer || slices.Contains(names(out), "openLogicalChannel") {
		t.Errorf("after the close ack: %v", out)
	}
	tcs := newPeer(t, Config{Random: counter(1, 1)}).ourCapabilities(2)
	out = a.Handle(encode(t, request(&h245.RequestMessage{Choice: h245.RequestMessageTerminalCapabilitySet, TerminalCapabilitySet: tcs})))
	if got := names(out); !slices.Equal(got, []string{"terminalCapabilitySetAck", "openLogicalChannel"}) {
		t.Errorf("a new capability set gave %v", got)
	}
}

// TestEmptyCapabilitySet: the third-party pause of H.323 8.4.6 closes our channel; the next
// capability set restarts capability exchange and determination, and the channel opens again.
func TestEmptyCapabilitySet(t *testing.T) {
	a, b := negotiated(t, Config{RTP: aliceRTP}, Config{RTP: pbxRTP, Random: counter(0x800, 3)})
	empty := &h245.TerminalCapabilitySet{SequenceNumber: 2, ProtocolIdentifier: ProtocolIdentifier()}
	out := a.Handle(encode(t, request(&h245.RequestMessage{Choice: h245.RequestMessageTerminalCapabilitySet, TerminalCapabilitySet: empty})))
	if got := names(out); !slices.Equal(got, []string{"terminalCapabilitySetAck", "closeLogicalChannel"}) {
		t.Fatalf("empty set answered with %v", got)
	}
	if c, ok := find[CapabilitiesReceived](out); !ok || len(c.Codecs) != 0 {
		t.Errorf("report %+v", c)
	}
	a.Handle(encode(t, response(&h245.ResponseMessage{Choice: h245.ResponseMessageCloseLogicalChannelAck, CloseLogicalChannelAck: &h245.CloseLogicalChannelAck{ForwardLogicalChannelNumber: 1}})))
	// The peer resumes with its capabilities: we send ours and a new determination, and the
	// conversation reaches a channel again.
	resume := b.ourCapabilities(3)
	out = a.Handle(encode(t, request(&h245.RequestMessage{Choice: h245.RequestMessageTerminalCapabilitySet, TerminalCapabilitySet: resume})))
	if got := names(out); !slices.Equal(got, []string{"terminalCapabilitySetAck", "terminalCapabilitySet", "masterSlaveDetermination"}) {
		t.Fatalf("resumed set answered with %v", got)
	}
	b2 := newPeer(t, Config{RTP: pbxRTP, Random: counter(0x900, 3)})
	b2.Start()
	var fromA []Effect
	for _, e := range out {
		if s, ok := e.(Send); ok && s.Name != "terminalCapabilitySetAck" {
			fromA = append(fromA, e)
		}
	}
	aOut, _ := conversation(a, b2, fromA)
	if ch, ok := find[ChannelOpened](aOut); !ok || ch.Number != 2 {
		t.Errorf("after the pause: %+v %v (%v)", ch, ok, reports(aOut))
	}
}

// TestCapabilityTableBound: a set that would grow the kept table beyond its bound is rejected
// with tableEntryCapacityExceeded and leaves the table as it was.
func TestCapabilityTableBound(t *testing.T) {
	p := started(t, Config{})
	set := func(seq, from int) *h245.MultimediaSystemControlMessage {
		tcs := &h245.TerminalCapabilitySet{SequenceNumber: h245.SequenceNumber(seq), ProtocolIdentifier: ProtocolIdentifier()}
		for n := from; n < from+200; n++ {
			tcs.CapabilityTable = append(tcs.CapabilityTable, h245.CapabilityTableEntry{CapabilityTableEntryNumber: h245.CapabilityTableEntryNumber(n),
				Capability: &h245.Capability{Choice: h245.CapabilityReceiveAudioCapability, ReceiveAudioCapability: audioCapability(G711Ulaw, 20)}})
		}
		return request(&h245.RequestMessage{Choice: h245.RequestMessageTerminalCapabilitySet, TerminalCapabilitySet: tcs})
	}
	if got := sends(t, p.Handle(encode(t, set(1, 1)))); got[0].Response.TerminalCapabilitySetAck == nil {
		t.Fatalf("first set answered with %s", MessageName(got[0]))
	}
	got := sends(t, p.Handle(encode(t, set(2, 1000))))
	if r := got[0].Response.TerminalCapabilitySetReject; r == nil || r.Cause.Choice != h245.TerminalCapabilitySetRejectCauseTableEntryCapacityExceeded {
		t.Fatalf("second set answered with %s", MessageName(got[0]))
	}
	if len(p.caps.table) != 200 {
		t.Errorf("table has %d entries after the rejected set", len(p.caps.table))
	}
}

// FuzzHandle feeds arbitrary octets to a started peer: it must never panic, and must answer
// within bounds (no more messages than a request can cause).
func FuzzHandle(f *testing.F) {
	for _, m := range []*h245.MultimediaSystemControlMessage{
		olc(1, audioCapability(G711Alaw, 20), false),
		request(&h245.RequestMessage{Choice: h245.RequestMessageTerminalCapabilitySet, TerminalCapabilitySet: &h245.TerminalCapabilitySet{ProtocolIdentifier: ProtocolIdentifier()}}),
		response(&h245.ResponseMessage{Choice: h245.ResponseMessageMasterSlaveDeterminationAck, MasterSlaveDeterminationAck: ackDecision(master)}),
	} {
		b, _ := m.Marshal()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := New(Config{RTP: aliceRTP, Random: counter(5, 1)})
		if err != nil {
			t.Fatal(err)
		}
		p.Start()
		for range 3 {
			if n := len(names(p.Handle(in))); n > 4 {
				t.Fatalf("%d messages in answer to one", n)
			}
		}
	})
}
