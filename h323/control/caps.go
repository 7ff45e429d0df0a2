package control

import (
	"fmt"
	"maps"
	"slices"

	"github.com/callwake/callwake/h323/h245"
)

// maxTableEntries bounds the peer's capability table we keep (only its G.711 entries are
// kept). A set that would take it beyond is rejected with tableEntryCapacityExceeded, as
// H.245 lets a terminal do.
const maxTableEntries = 256

// peerCap is a G.711 receive capability of the peer's table.
type peerCap struct {
	codec  Codec
	frames int
}

// capabilities is the capability exchange state, both directions (H.245 CESE).
type capabilities struct {
	outSeq   int  // sequence number of our latest set
	awaiting bool // our latest set is unanswered (T101 runs)
	acked    bool // our latest set was acknowledged

	inSeq    int  // sequence number of the peer's latest set; -1 before the first
	received bool // a non-empty set of the peer's is known
	paused   bool // the peer's latest set was the empty capability set

	table     map[int]peerCap // the peer's G.711 receive capabilities by entry number
	described map[int]bool    // entries its descriptors reference; nil before any descriptor
}

func newCapabilities() capabilities {
	return capabilities{inSeq: -1, table: map[int]peerCap{}}
}

// available returns the configured codecs the peer can receive, in preference order, with
// the most frames a packet it takes for each.
func (c *capabilities) available(prefs []Codec) (codecs []Codec, frames map[Codec]int) {
	frames = map[Codec]int{}
	for n, pc := range c.table {
		if c.described != nil && !c.described[n] {
			continue
		}
		frames[pc.codec] = max(frames[pc.codec], pc.frames)
	}
	for _, codec := range prefs {
		if frames[codec] > 0 {
			codecs = append(codecs, codec)
		}
	}
	return codecs, frames
}

// ourCapabilities is our terminal capability set: the H.225.0 multiplex, one receive audio
// capability per codec (entries 1, 2, …) and one descriptor in which any one of them may be
// used.
func (p *Peer) ourCapabilities(seq int) *h245.TerminalCapabilitySet {
	mp := h245.MultipointCapability{MediaDistributionCapability: []h245.MediaDistributionCapability{{}}}
	tcs := &h245.TerminalCapabilitySet{
		SequenceNumber:     h245.SequenceNumber(seq),
		ProtocolIdentifier: ProtocolIdentifier(),
		MultiplexCapability: &h245.MultiplexCapability{Choice: h245.MultiplexCapabilityH2250Capability, H2250Capability: &h245.H2250Capability{
			MaximumAudioDelayJitter:                60,
			ReceiveMultipointCapability:            mp,
			TransmitMultipointCapability:           mp,
			ReceiveAndTransmitMultipointCapability: mp,
		}},
	}
	var alternatives h245.AlternativeCapabilitySet
	for i, codec := range p.cfg.Codecs {
		n := h245.CapabilityTableEntryNumber(i + 1)
		tcs.CapabilityTable = append(tcs.CapabilityTable, h245.CapabilityTableEntry{CapabilityTableEntryNumber: n, Capability: &h245.Capability{
			Choice: h245.CapabilityReceiveAudioCapability, ReceiveAudioCapability: audioCapability(codec, p.cfg.FramesPerPacket)}})
		alternatives = append(alternatives, n)
	}
	tcs.CapabilityDescriptors = []h245.CapabilityDescriptor{{SimultaneousCapabilities: []h245.AlternativeCapabilitySet{alternatives}}}
	return tcs
}

// sendCapabilities sends our capability set with the next sequence number and starts T101.
func (p *Peer) sendCapabilities(out []Effect) []Effect {
	c := &p.caps
	c.outSeq = (c.outSeq + 1) % 256
	c.awaiting, c.acked = true, false
	return append(out,
		send(request(&h245.RequestMessage{Choice: h245.RequestMessageTerminalCapabilitySet, TerminalCapabilitySet: p.ourCapabilities(c.outSeq)})),
		SetTimer{Timer: T101, After: p.cfg.Timeout})
}

func (p *Peer) capabilitiesAck(ack *h245.TerminalCapabilitySetAck, out []Effect) []Effect {
	c := &p.caps
	if !c.awaiting || int(ack.SequenceNumber) != c.outSeq {
		return out // an answer to an earlier set
	}
	c.awaiting, c.acked = false, true
	return append(out, StopTimer{T101})
}

func (p *Peer) capabilitiesReject(rej *h245.TerminalCapabilitySetReject, out []Effect) []Effect {
	c := &p.caps
	if !c.awaiting || int(rej.SequenceNumber) != c.outSeq {
		return out
	}
	c.awaiting = false
	return append(out, StopTimer{T101}, Failure{Err: fmt.Errorf("%w: terminal capability set %d (%s)", ErrRejected, c.outSeq, rej.Cause.Choice)})
}

func (p *Peer) capabilitiesTimeout(out []Effect) []Effect {
	c := &p.caps
	if !c.awaiting {
		return out
	}
	c.awaiting = false
	return append(out,
		send(indication(&h245.IndicationMessage{Choice: h245.IndicationMessageTerminalCapabilitySetRelease, TerminalCapabilitySetRelease: &h245.TerminalCapabilitySetRelease{}})),
		Failure{Err: fmt.Errorf("%w: terminal capability set %d unanswered (T101)", ErrTimeout, c.outSeq)})
}

// isEmptySet reports the empty capability set of H.323 8.4.6: no multiplex capability, table
// or descriptors.
func isEmptySet(tcs *h245.TerminalCapabilitySet) bool {
	return tcs.MultiplexCapability == nil && tcs.CapabilityTable == nil && tcs.CapabilityDescriptors == nil
}

// peerCapabilities takes the peer's terminal capability set: it is acknowledged (or rejected
// when its table would exceed what we keep) and what the peer can receive is reported.
func (p *Peer) peerCapabilities(tcs *h245.TerminalCapabilitySet, out []Effect) []Effect {
	c := &p.caps
	seq := tcs.SequenceNumber
	if isEmptySet(tcs) {
		// Third-party pause (H.323 8.4.6): stop transmitting and forget the roles; the
		// next non-empty set starts both procedures again.
		c.inSeq, c.received, c.paused = int(seq), false, true
		out = append(out, p.ackCapabilities(seq), CapabilitiesReceived{})
		out = p.closeChannel(out)
		return p.resetDetermination(out)
	}
	table := maps.Clone(c.table) // a rejected set leaves the table as it was
	for _, entry := range tcs.CapabilityTable {
		n := int(entry.CapabilityTableEntryNumber)
		delete(table, n) // an entry without capability removes it; a new one replaces it
		if entry.Capability == nil {
			continue
		}
		if codec, frames := receiveCodec(entry.Capability); codec != 0 {
			table[n] = peerCap{codec: codec, frames: frames}
		}
	}
	if len(table) > maxTableEntries {
		return append(out, send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageTerminalCapabilitySetReject,
			TerminalCapabilitySetReject: &h245.TerminalCapabilitySetReject{SequenceNumber: seq, Cause: h245.TerminalCapabilitySetRejectCause{
				Choice:                     h245.TerminalCapabilitySetRejectCauseTableEntryCapacityExceeded,
				TableEntryCapacityExceeded: &h245.TerminalCapabilitySetRejectCauseTableEntryCapacityExceededType{Choice: h245.TerminalCapabilitySetRejectCauseTableEntryCapacityExceededTypeNoneProcessed},
			}}})))
	}
	c.table = table
	if tcs.CapabilityDescriptors != nil {
		// The descriptors replace the earlier ones (H.245 B.2.2).
		c.described = map[int]bool{}
		for _, d := range tcs.CapabilityDescriptors {
			for _, alt := range d.SimultaneousCapabilities {
				for _, n := range alt {
					if _, ok := table[int(n)]; ok {
						c.described[int(n)] = true
					}
				}
			}
		}
	}
	wasPaused := c.paused
	c.inSeq, c.received, c.paused = int(seq), true, false
	// New capabilities: channels may be tried again, and our channel must not use a codec
	// the peer no longer receives.
	p.tx.tried, p.tx.noCommon, p.tx.noReopen = nil, false, false
	codecs, _ := c.available(p.cfg.Codecs)
	out = append(out, p.ackCapabilities(seq), CapabilitiesReceived{Codecs: codecs})
	if (p.tx.state == channelOpening || p.tx.state == channelOpen) && !slices.Contains(codecs, p.tx.codec) {
		out = p.closeChannel(out)
	}
	if wasPaused {
		out = p.sendCapabilities(out)
		out = p.startDetermination(out)
	}
	return out
}

func (p *Peer) ackCapabilities(seq h245.SequenceNumber) Effect {
	return send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageTerminalCapabilitySetAck,
		TerminalCapabilitySetAck: &h245.TerminalCapabilitySetAck{SequenceNumber: seq}}))
}

// receiveCodec reads a capability we can send to: a G.711 receive (or receive and transmit)
// audio capability.
func receiveCodec(c *h245.Capability) (Codec, int) {
	switch c.Choice {
	case h245.CapabilityReceiveAudioCapability:
		return codecOf(c.ReceiveAudioCapability)
	case h245.CapabilityReceiveAndTransmitAudioCapability:
		return codecOf(c.ReceiveAndTransmitAudioCapability)
	}
	return 0, 0
}
