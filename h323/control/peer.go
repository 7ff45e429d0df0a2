package control

import (
	"errors"
	"fmt"

	"github.com/callwake/callwake/h323/h245"
)

// Errors a Failure wraps; test with errors.Is.
var (
	// ErrRejected: the peer rejected our capability set, master-slave determination or channel.
	ErrRejected = errors.New("control: rejected by the peer")
	// ErrTimeout: the peer did not answer before the H.245 timer expired.
	ErrTimeout = errors.New("control: no answer before the timer expired")
	// ErrProtocol: the peer's message could not be decoded, broke a procedure (an aborted or
	// inconsistent master-slave determination, an ack without media address), or reported
	// that it did not understand ours.
	ErrProtocol = errors.New("control: protocol error")
)

// Peer is one side of one H.245 control channel. See the package documentation.
type Peer struct {
	cfg Config

	started bool
	ended   bool // we sent endSessionCommand
	byPeer  bool // the peer sent endSessionCommand (before or after ours)

	caps capabilities
	msd  determination
	tx   txChannel
	rx   map[int]Codec // the peer's channels we acknowledged, by number
}

// New returns a peer that has sent nothing yet; Start begins the session.
func New(cfg Config) (*Peer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Peer{cfg: cfg, caps: newCapabilities(), rx: map[int]Codec{}}, nil
}

// Start begins the session on a control channel that now exists: it sends our capability set
// and master-slave determination. A second call does nothing.
func (p *Peer) Start() []Effect {
	if p.started {
		return nil
	}
	p.started = true
	out := p.sendCapabilities(nil)
	return p.startDetermination(out)
}

// End sends endSessionCommand (disconnect) when the session was started and not yet ended,
// and stops the timers; the call is being released. Afterwards only the peer's
// endSessionCommand is looked at.
func (p *Peer) End() []Effect {
	if !p.started || p.ended {
		return nil
	}
	p.ended = true
	out := p.stopTimers(nil)
	out = append(out, send(command(&h245.CommandMessage{Choice: h245.CommandMessageEndSessionCommand,
		EndSessionCommand: &h245.EndSessionCommand{Choice: h245.EndSessionCommandDisconnect}})))
	if p.byPeer {
		out = append(out, SessionEnded{ByPeer: true})
	}
	return out
}

// stopTimers stops every timer that may run.
func (p *Peer) stopTimers(out []Effect) []Effect {
	return append(out, StopTimer{T101}, StopTimer{T103}, StopTimer{T106})
}

// Handle takes one PER-encoded MultimediaSystemControlMessage from the peer and returns what
// the peer answered and found out. It starts the session first if Start was not called.
func (p *Peer) Handle(octets []byte) []Effect {
	out := p.Start()
	if p.ended && p.byPeer {
		return out // the session is over both ways; nothing is answered any more
	}
	m, err := h245.UnmarshalMultimediaSystemControlMessage(octets)
	if err != nil {
		out = append(out, Failure{Err: fmt.Errorf("%w: undecodable message: %w", ErrProtocol, err)})
		if p.ended {
			return out
		}
		return append(out, notSupported(h245.FunctionNotSupportedCauseSyntaxError, octets))
	}
	if p.ended {
		// After our endSessionCommand only the peer's matters (H.245 8.14).
		if m.Choice == h245.MultimediaSystemControlMessageCommand && m.Command.Choice == h245.CommandMessageEndSessionCommand {
			p.byPeer = true
			out = append(out, SessionEnded{ByPeer: false})
		}
		return out
	}
	switch m.Choice {
	case h245.MultimediaSystemControlMessageRequest:
		out = p.request(m, out)
	case h245.MultimediaSystemControlMessageResponse:
		out = p.response(m, out)
	case h245.MultimediaSystemControlMessageCommand:
		out = p.command(m, out)
	case h245.MultimediaSystemControlMessageIndication:
		out = p.indication(m, out)
	default:
		// A message class this version of H.245 does not have: there is no
		// functionNotUnderstood alternative for it.
		out = append(out, notSupported(h245.FunctionNotSupportedCauseUnknownFunction, octets))
	}
	return p.progress(out)
}

// Timeout is called when a timer set with SetTimer expires.
func (p *Peer) Timeout(t Timer) []Effect {
	if p.ended {
		return nil
	}
	var out []Effect
	switch t {
	case T101:
		out = p.capabilitiesTimeout(out)
	case T103:
		out = p.channelTimeout(out)
	case T106:
		out = p.determinationTimeout(out)
	}
	return p.progress(out)
}

func (p *Peer) request(m *h245.MultimediaSystemControlMessage, out []Effect) []Effect {
	r := m.Request
	switch r.Choice {
	case h245.RequestMessageTerminalCapabilitySet:
		return p.peerCapabilities(r.TerminalCapabilitySet, out)
	case h245.RequestMessageMasterSlaveDetermination:
		return p.peerDetermination(r.MasterSlaveDetermination, out)
	case h245.RequestMessageOpenLogicalChannel:
		return p.peerOpen(r.OpenLogicalChannel, out)
	case h245.RequestMessageCloseLogicalChannel:
		return p.peerClose(r.CloseLogicalChannel, out)
	case h245.RequestMessageRequestChannelClose:
		return p.closeRequested(r.RequestChannelClose, out)
	case h245.RequestMessageRoundTripDelayRequest:
		return append(out, send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageRoundTripDelayResponse,
			RoundTripDelayResponse: &h245.RoundTripDelayResponse{SequenceNumber: r.RoundTripDelayRequest.SequenceNumber}})))
	case h245.RequestMessageRequestMode:
		return append(out, send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageRequestModeReject,
			RequestModeReject: &h245.RequestModeReject{SequenceNumber: r.RequestMode.SequenceNumber,
				Cause: h245.RequestModeRejectCause{Choice: h245.RequestModeRejectCauseModeUnavailable}}})))
	case h245.RequestMessageMaintenanceLoopRequest:
		return append(out, maintenanceLoopReject(r.MaintenanceLoopRequest))
	case h245.RequestMessageLogicalChannelRateRequest:
		q := r.LogicalChannelRateRequest
		return append(out, send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageLogicalChannelRateReject,
			LogicalChannelRateReject: &h245.LogicalChannelRateReject{SequenceNumber: q.SequenceNumber, LogicalChannelNumber: q.LogicalChannelNumber,
				RejectReason: h245.LogicalChannelRateRejectReason{Choice: h245.LogicalChannelRateRejectReasonUndefinedReason}}})))
	}
	// Non-standard and generic requests, the H.223 multiplex procedures, communication mode,
	// conference and multilink requests, and extensions unknown to this version.
	return append(out, notUnderstood(m))
}

// maintenanceLoopReject refuses a maintenance loop of the kind requested.
func maintenanceLoopReject(q *h245.MaintenanceLoopRequest) Effect {
	rej := &h245.MaintenanceLoopReject{Cause: h245.MaintenanceLoopRejectCause{Choice: h245.MaintenanceLoopRejectCauseCanNotPerformLoop}}
	switch q.Type.Choice {
	case h245.MaintenanceLoopRequestTypeMediaLoop:
		rej.Type = h245.MaintenanceLoopRejectType{Choice: h245.MaintenanceLoopRejectTypeMediaLoop, MediaLoop: q.Type.MediaLoop}
	case h245.MaintenanceLoopRequestTypeLogicalChannelLoop:
		rej.Type = h245.MaintenanceLoopRejectType{Choice: h245.MaintenanceLoopRejectTypeLogicalChannelLoop, LogicalChannelLoop: q.Type.LogicalChannelLoop}
	default:
		rej.Type = h245.MaintenanceLoopRejectType{Choice: h245.MaintenanceLoopRejectTypeSystemLoop}
	}
	return send(response(&h245.ResponseMessage{Choice: h245.ResponseMessageMaintenanceLoopReject, MaintenanceLoopReject: rej}))
}

func (p *Peer) response(m *h245.MultimediaSystemControlMessage, out []Effect) []Effect {
	r := m.Response
	switch r.Choice {
	case h245.ResponseMessageTerminalCapabilitySetAck:
		return p.capabilitiesAck(r.TerminalCapabilitySetAck, out)
	case h245.ResponseMessageTerminalCapabilitySetReject:
		return p.capabilitiesReject(r.TerminalCapabilitySetReject, out)
	case h245.ResponseMessageMasterSlaveDeterminationAck:
		return p.determinationAck(r.MasterSlaveDeterminationAck, out)
	case h245.ResponseMessageMasterSlaveDeterminationReject:
		return p.determinationReject(out)
	case h245.ResponseMessageOpenLogicalChannelAck:
		return p.openAck(r.OpenLogicalChannelAck, out)
	case h245.ResponseMessageOpenLogicalChannelReject:
		return p.openReject(r.OpenLogicalChannelReject, out)
	case h245.ResponseMessageCloseLogicalChannelAck:
		return p.closeAck(r.CloseLogicalChannelAck, out)
	case h245.ResponseMessageNonStandard, h245.ResponseMessageGenericResponse, 0:
		return append(out, notUnderstood(m))
	}
	// Answers to requests we never make: nothing waits for them.
	return out
}

func (p *Peer) command(m *h245.MultimediaSystemControlMessage, out []Effect) []Effect {
	c := m.Command
	switch c.Choice {
	case h245.CommandMessageEndSessionCommand:
		// Answered with ours (H.323 8.5); End reports the session ended.
		p.byPeer = true
		return append(out, p.End()...)
	case h245.CommandMessageSendTerminalCapabilitySet:
		return p.sendCapabilities(out)
	case h245.CommandMessageMaintenanceLoopOffCommand, h245.CommandMessageEncryptionCommand,
		h245.CommandMessageFlowControlCommand, h245.CommandMessageMiscellaneousCommand,
		h245.CommandMessageCommunicationModeCommand, h245.CommandMessageConferenceCommand:
		// Understood; an audio terminal without encryption, conference or loops has nothing
		// to do, and commands are not answered.
		return out
	}
	return append(out, notUnderstood(m))
}

func (p *Peer) indication(m *h245.MultimediaSystemControlMessage, out []Effect) []Effect {
	i := m.Indication
	switch i.Choice {
	case h245.IndicationMessageMasterSlaveDeterminationRelease:
		return p.determinationReleased(out)
	case h245.IndicationMessageFunctionNotUnderstood:
		return append(out, Failure{Err: fmt.Errorf("%w: the peer did not understand our %s", ErrProtocol, returnedName(i.FunctionNotUnderstood))})
	case h245.IndicationMessageFunctionNotSupported:
		return append(out, Failure{Err: fmt.Errorf("%w: the peer does not support a function (%s)", ErrProtocol, i.FunctionNotSupported.Cause.Choice)})
	}
	// Indications need no answer (H.245 5.9): user input, vendor identification, jitter,
	// flow control, releases of requests we do not wait for, …
	return out
}

// returnedName names the message a functionNotUnderstood returns.
func returnedName(f *h245.FunctionNotUnderstood) string {
	switch f.Choice {
	case h245.FunctionNotUnderstoodRequest:
		return MessageName(request(f.Request))
	case h245.FunctionNotUnderstoodResponse:
		return MessageName(response(f.Response))
	case h245.FunctionNotUnderstoodCommand:
		return MessageName(command(f.Command))
	}
	return "message"
}

// progress opens our transmit channel once capability exchange and master-slave
// determination allow it.
func (p *Peer) progress(out []Effect) []Effect {
	if p.ended || p.tx.state != channelIdle || !p.caps.acked || !p.caps.received || p.caps.paused || !p.msd.determined() {
		return out
	}
	return p.open(out)
}
