package control

import (
	"fmt"
	"slices"

	"github.com/callwake/callwake/h323/h245"
)

// audioSession is the RTP session of the primary audio channel (H.225.0 6.2.8: 1 audio,
// 2 video, 3 data).
const audioSession = 1

// maxPeerChannels bounds the peer's channels we keep open at once: an audio terminal needs
// one; more are rejected.
const maxPeerChannels = 4

// channelState is the state of our transmit channel (H.245 outgoing LCSE).
type channelState int

const (
	channelIdle    channelState = iota
	channelOpening              // openLogicalChannel sent (T103)
	channelOpen                 // acknowledged
	channelClosing              // closeLogicalChannel sent (T103)
	channelFailed               // the open timed out: not tried again this call
)

// txChannel is our one transmit channel.
type txChannel struct {
	state  channelState
	number int
	codec  Codec
	tried  []Codec // codecs the peer rejected since its latest capability set
	// noCommon: NoCommonCodec was reported for the peer's latest capability set.
	noCommon bool
	// noReopen: the peer asked us to close the channel; it is not opened again until the peer
	// sends a new capability set.
	noReopen bool
}

// open sends openLogicalChannel for the first configured codec the peer receives and has not
// rejected, or reports NoCommonCodec once.
func (p *Peer) open(out []Effect) []Effect {
	t := &p.tx
	if t.noReopen {
		return out
	}
	codecs, frames := p.caps.available(p.cfg.Codecs)
	codecs = slices.DeleteFunc(codecs, func(c Codec) bool { return slices.Contains(t.tried, c) })
	if len(codecs) == 0 {
		if t.noCommon {
			return out
		}
		t.noCommon = true
		return append(out, NoCommonCodec{})
	}
	t.codec = codecs[0]
	t.number = t.number%65535 + 1
	t.state = channelOpening
	h := &h245.H2250LogicalChannelParameters{
		SessionID:               audioSession,
		MediaControlChannel:     transportAddress(p.cfg.RTCP),
		MediaGuaranteedDelivery: new(bool),
		SilenceSuppression:      new(bool),
	}
	olc := &h245.OpenLogicalChannel{
		ForwardLogicalChannelNumber: h245.LogicalChannelNumber(t.number),
		ForwardLogicalChannelParameters: h245.OpenLogicalChannelForwardLogicalChannelParameters{
			DataType: h245.DataType{Choice: h245.DataTypeAudioData, AudioData: audioCapability(t.codec, min(p.cfg.FramesPerPacket, frames[t.codec]))},
			MultiplexParameters: h245.OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters{
				Choice: h245.OpenLogicalChannelForwardLogicalChannelParametersMultiplexParametersH2250LogicalChannelParameters, H2250LogicalChannelParameters: h},
		},
	}
	return append(out, send(request(&h245.RequestMessage{Choice: h245.RequestMessageOpenLogicalChannel, OpenLogicalChannel: olc})),
		SetTimer{Timer: T103, After: p.cfg.Timeout})
}

// closeChannel closes our transmit channel if it is opening or open.
func (p *Peer) closeChannel(out []Effect) []Effect {
	t := &p.tx
	if t.state != channelOpening && t.state != channelOpen {
		return out
	}
	t.state = channelClosing
	return append(out, closeLogicalChannel(t.number), SetTimer{Timer: T103, After: p.cfg.Timeout})
}

// closeLogicalChannel is our closeLogicalChannel for channel n (source user: the terminal
// closes it, not its lower layers).
func closeLogicalChannel(n int) Effect {
	return send(request(&h245.RequestMessage{Choice: h245.RequestMessageCloseLogicalChannel,
		CloseLogicalChannel: &h245.CloseLogicalChannel{ForwardLogicalChannelNumber: h245.LogicalChannelNumber(n),
			Source: h245.CloseLogicalChannelSource{Choice: h245.CloseLogicalChannelSourceUser}}}))
}

func (p *Peer) openAck(ack *h245.OpenLogicalChannelAck, out []Effect) []Effect {
	t := &p.tx
	if t.state != channelOpening || int(ack.ForwardLogicalChannelNumber) != t.number {
		return out
	}
	out = append(out, StopTimer{T103})
	var h *h245.H2250LogicalChannelAckParameters
	if f := ack.ForwardMultiplexAckParameters; f != nil && f.Choice == h245.OpenLogicalChannelAckForwardMultiplexAckParametersH2250LogicalChannelAckParameters {
		h = f.H2250LogicalChannelAckParameters
	}
	if h == nil || !addrPort(h.MediaChannel).IsValid() {
		// Without a unicast media address there is nowhere to send RTP to.
		out = append(out, Failure{Err: fmt.Errorf("%w: openLogicalChannelAck %d without a media channel address", ErrProtocol, t.number)})
		t.state = channelOpen
		t.noReopen = true
		return p.closeChannel(out)
	}
	t.state = channelOpen
	return append(out, ChannelOpened{Number: t.number, Codec: t.codec, RTP: addrPort(h.MediaChannel), RTCP: addrPort(h.MediaControlChannel)})
}

func (p *Peer) openReject(rej *h245.OpenLogicalChannelReject, out []Effect) []Effect {
	t := &p.tx
	if t.state != channelOpening || int(rej.ForwardLogicalChannelNumber) != t.number {
		return out
	}
	t.state = channelIdle
	t.tried = append(t.tried, t.codec)
	return append(out, StopTimer{T103}, Failure{Err: fmt.Errorf("%w: openLogicalChannel %d with %s (%s)", ErrRejected, t.number, t.codec, rej.Cause.Choice)})
}

func (p *Peer) closeAck(ack *h245.CloseLogicalChannelAck, out []Effect) []Effect {
	t := &p.tx
	if t.state != channelClosing || int(ack.ForwardLogicalChannelNumber) != t.number {
		return out
	}
	t.state = channelIdle
	return append(out, StopTimer{T103}, ChannelClosed{Number: t.number})
}

func (p *Peer) channelTimeout(out []Effect) []Effect {
	t := &p.tx
	switch t.state {
	case channelOpening:
		// Give the channel up (H.245 C.5: closeLogicalChannel on T103 expiry) and do not
		// try again: a peer that does not answer would be asked every T103.
		out = append(out, closeLogicalChannel(t.number))
		t.state = channelFailed
		return append(out, Failure{Err: fmt.Errorf("%w: openLogicalChannel %d unanswered (T103)", ErrTimeout, t.number)})
	case channelClosing:
		t.state = channelIdle
		return append(out, ChannelClosed{Number: t.number}, Failure{Err: fmt.Errorf("%w: closeLogicalChannel %d unanswered (T103)", ErrTimeout, t.number)})
	}
	return out
}

// rejectOpen refuses the peer's channel n.
func rejectOpen(n h245.LogicalChannelNumber, cause h245.OpenLogicalChannelRejectCauseChoice) Effect {
	return send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageOpenLogicalChannelReject,
		OpenLogicalChannelReject: &h245.OpenLogicalChannelReject{ForwardLogicalChannelNumber: n, Cause: h245.OpenLogicalChannelRejectCause{Choice: cause}}}))
}

// peerOpen takes the peer's openLogicalChannel: forward G.711 audio over H.225.0 is
// acknowledged with our media addresses, anything else rejected with its cause.
func (p *Peer) peerOpen(olc *h245.OpenLogicalChannel, out []Effect) []Effect {
	n := olc.ForwardLogicalChannelNumber
	params := &olc.ForwardLogicalChannelParameters
	if olc.ReverseLogicalChannelParameters != nil {
		return append(out, rejectOpen(n, h245.OpenLogicalChannelRejectCauseUnsuitableReverseParameters))
	}
	if params.DataType.Choice != h245.DataTypeAudioData {
		return append(out, rejectOpen(n, h245.OpenLogicalChannelRejectCauseDataTypeNotSupported))
	}
	codec, frames := codecOf(params.DataType.AudioData)
	if codec == 0 || !slices.Contains(p.cfg.Codecs, codec) || frames < 1 || frames > p.cfg.FramesPerPacket {
		return append(out, rejectOpen(n, h245.OpenLogicalChannelRejectCauseDataTypeNotSupported))
	}
	mux := params.MultiplexParameters
	if mux.Choice != h245.OpenLogicalChannelForwardLogicalChannelParametersMultiplexParametersH2250LogicalChannelParameters {
		return append(out, rejectOpen(n, h245.OpenLogicalChannelRejectCauseUnspecified))
	}
	_, reopen := p.rx[int(n)]
	if !p.cfg.RTP.IsValid() || (!reopen && len(p.rx) >= maxPeerChannels) {
		return append(out, rejectOpen(n, h245.OpenLogicalChannelRejectCauseUnspecified))
	}
	session := mux.H2250LogicalChannelParameters.SessionID
	if session == 0 {
		session = audioSession // 0 asks the master to assign one: audio is session 1
	}
	p.rx[int(n)] = codec
	ack := &h245.OpenLogicalChannelAck{
		ForwardLogicalChannelNumber: n,
		ForwardMultiplexAckParameters: &h245.OpenLogicalChannelAckForwardMultiplexAckParameters{
			Choice: h245.OpenLogicalChannelAckForwardMultiplexAckParametersH2250LogicalChannelAckParameters,
			H2250LogicalChannelAckParameters: &h245.H2250LogicalChannelAckParameters{
				SessionID:           &session,
				MediaChannel:        transportAddress(p.cfg.RTP),
				MediaControlChannel: transportAddress(p.cfg.RTCP),
			},
		},
	}
	return append(out, send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageOpenLogicalChannelAck, OpenLogicalChannelAck: ack})),
		PeerChannelOpened{Number: int(n), Codec: codec, RTCP: addrPort(mux.H2250LogicalChannelParameters.MediaControlChannel)})
}

// peerClose acknowledges the peer's closeLogicalChannel (also for a channel we do not know:
// closing is idempotent).
func (p *Peer) peerClose(clc *h245.CloseLogicalChannel, out []Effect) []Effect {
	n := clc.ForwardLogicalChannelNumber
	out = append(out, send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageCloseLogicalChannelAck,
		CloseLogicalChannelAck: &h245.CloseLogicalChannelAck{ForwardLogicalChannelNumber: n}})))
	if _, ok := p.rx[int(n)]; ok {
		delete(p.rx, int(n))
		out = append(out, ChannelClosed{Number: int(n), Peer: true})
	}
	return out
}

// closeRequested answers the peer's requestChannelClose: ours is acknowledged and closed, any
// other channel refused.
func (p *Peer) closeRequested(rcc *h245.RequestChannelClose, out []Effect) []Effect {
	n := rcc.ForwardLogicalChannelNumber
	t := &p.tx
	if int(n) != t.number || (t.state != channelOpening && t.state != channelOpen) {
		return append(out, send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageRequestChannelCloseReject,
			RequestChannelCloseReject: &h245.RequestChannelCloseReject{ForwardLogicalChannelNumber: n,
				Cause: h245.RequestChannelCloseRejectCause{Choice: h245.RequestChannelCloseRejectCauseUnspecified}}})))
	}
	t.noReopen = true
	out = append(out, send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageRequestChannelCloseAck,
		RequestChannelCloseAck: &h245.RequestChannelCloseAck{ForwardLogicalChannelNumber: n}})))
	return p.closeChannel(out)
}
