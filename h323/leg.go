package h323

import (
	"fmt"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// Leg is one call leg: the Q.931/H.225.0 call state of one side of one
// call on one signalling connection. It is a plain value driven by method
// calls; it does no I/O and keeps no time (Q.931 timers are the driver's).
type Leg struct {
	cfg   LegConfig
	state LegState
	h245  h245Link
}

// NewLeg returns a leg in StateNull.
func NewLeg(cfg LegConfig) *Leg {
	return &Leg{cfg: cfg}
}

// State returns the leg's state.
func (l *Leg) State() LegState { return l.state }

// Config returns the leg's configuration; on an incoming leg CallReference,
// CallID and ConferenceID are those of the peer's Setup once it arrived.
func (l *Leg) Config() LegConfig { return l.cfg }

// CallState returns the Q.931 call state value (Q.931 4.5.7) of the leg,
// the one it reports in a Status message: 0 null, 1 call initiated, 3
// outgoing call proceeding, 4 call delivered, 6 call present, 7 call
// received, 9 incoming call proceeding, 10 active.
func (l *Leg) CallState() int {
	switch l.state {
	case StateSetupSent:
		return 1
	case StateSetupReceived:
		return 6
	case StateProceeding:
		if l.cfg.Outgoing {
			return 3
		}
		return 9
	case StateReceived:
		if l.cfg.Outgoing {
			return 4
		}
		return 7
	case StateActive:
		return 10
	}
	return 0
}

// builder returns the message builder for the leg's current state. The message it builds
// carries the tunnelled H.245 messages waiting to be sent.
func (l *Leg) builder() message {
	m := message{cfg: &l.cfg, fromOrig: l.cfg.Outgoing, callState: l.CallState(), tunnelling: l.tunnelling()}
	m.h245, m.h245Attrs = l.takeTunnelled()
	return m
}

// refuse reports a method called in the wrong state.
func (l *Leg) refuse(action string) []Effect {
	return []Effect{ProtocolError{Err: fmt.Errorf("%w: %s on an %s leg in state %v", ErrWrongState, action, l.direction(), l.state)}}
}

func (l *Leg) direction() string {
	if l.cfg.Outgoing {
		return "outgoing"
	}
	return "incoming"
}

// transition returns effect and moves to next when effect is a Send; an
// encoding failure (a ProtocolError) leaves the state unchanged.
func (l *Leg) transition(effect Effect, next LegState) []Effect {
	if _, ok := effect.(Send); ok {
		l.state = next
	}
	return []Effect{effect}
}

// Setup sends the Setup of an outgoing leg.
func (l *Leg) Setup() []Effect {
	if !l.cfg.Outgoing || l.state != StateNull {
		return l.refuse("Setup")
	}
	if l.cfg.H245.Enabled && !l.cfg.H245.Tunnelling {
		l.h245.refused = true // not offered: H.245 will use a separate connection
	}
	return l.transition(l.builder().setup(), StateSetupSent)
}

// CallProceeding answers the peer's Setup with Call Proceeding (incoming
// legs, before Alerting).
func (l *Leg) CallProceeding() []Effect {
	if l.cfg.Outgoing || l.state != StateSetupReceived {
		return l.refuse("CallProceeding")
	}
	return l.transition(l.builder().callProceeding(), StateProceeding)
}

// Alerting tells the caller the called user is being alerted (incoming legs).
func (l *Leg) Alerting() []Effect {
	if l.cfg.Outgoing || (l.state != StateSetupReceived && l.state != StateProceeding) {
		return l.refuse("Alerting")
	}
	return l.transition(l.builder().alerting(), StateReceived)
}

// Connect answers the call (incoming legs).
func (l *Leg) Connect() []Effect {
	if l.cfg.Outgoing || !l.answering() {
		return l.refuse("Connect")
	}
	addr, listen := l.announceAddress()
	b := l.builder()
	b.h245Address = addr
	return append(listen, l.transition(b.connect(), StateActive)...)
}

// Progress sends a Progress with "in-band information available"
// (incoming legs, before Connect; addition to the contract).
func (l *Leg) Progress() []Effect {
	if l.cfg.Outgoing || !l.answering() {
		return l.refuse("Progress")
	}
	return []Effect{l.builder().progress()}
}

// answering reports whether an incoming leg has a call it has not yet
// answered.
func (l *Leg) answering() bool {
	return l.state == StateSetupReceived || l.state == StateProceeding || l.state == StateReceived
}

// Facility sends a Facility whose FacilityReason is the named ASN.1
// alternative ("undefinedReason", "callForwarded", "forwardedElements",
// "transportedInformation", ...; addition to the contract's event list).
// Allowed while a call exists, from either side.
func (l *Leg) Facility(reason string) []Effect {
	choice, ok := facilityReasons[reason]
	if !ok {
		return []Effect{ProtocolError{Err: fmt.Errorf("%w: unknown facility reason %q", ErrWrongState, reason)}}
	}
	if l.state == StateNull || l.state == StateReleased {
		return l.refuse("Facility")
	}
	return []Effect{l.builder().facility(choice, reason, "")}
}

// UpdateDisplay sends the caller's name after the Setup (B17): a Facility
// (FacilityReason undefinedReason) with a Display element, the way PBXs
// update a terminal's display during a call (Q.931 allows Display in
// Facility; the element is IA5, so other characters become '?'). The peer
// reports it as PeerFacility with Display set. Allowed while a call exists.
func (l *Leg) UpdateDisplay(name string) []Effect {
	if l.state == StateNull || l.state == StateReleased {
		return l.refuse("Facility")
	}
	if name == "" {
		return []Effect{ProtocolError{Err: fmt.Errorf("%w: an empty display update", ErrWrongState)}}
	}
	return []Effect{l.builder().facility(h225.FacilityReasonUndefinedReason, "undefinedReason", name)}
}

// Release sends Release Complete with the Q.850 cause (1..127) and ends the
// leg, from either side and in any state with a call. Releasing a released
// leg does nothing.
func (l *Leg) Release(cause int) []Effect {
	switch {
	case l.state == StateReleased:
		return nil
	case l.state == StateNull:
		return l.refuse("Release")
	case cause < 1 || cause > 127:
		return []Effect{ProtocolError{Err: fmt.Errorf("%w: cause %d is not a Q.850 cause value", ErrWrongState, cause)}}
	}
	// H.323 8.5: endSessionCommand first; tunnelled, it rides in the Release Complete.
	out := l.endH245()
	return append(out, l.transition(l.builder().releaseComplete(cause), StateReleased)...)
}

// HandleMessage takes one Q.931 message from the peer (TPKT removed) and
// returns what the peer did and what the leg answered.
//
// Malformed messages give a ProtocolError. When the header is readable and
// the call exists, the leg clears it with Release Complete — cause 95 for a
// broken element area, 96 for a missing User-user element, 100 for
// undecodable or mismatched H.225.0 data or party numbers — and reports
// PeerReleased with that cause. A message that is not allowed in the state
// is answered with Status, cause 101 (Q.931 5.8.4), an unknown message type
// with Status 97, a Status Enquiry with Status 30. Information, Notify and
// Setup Acknowledge are ignored. After the leg is released, Release
// Complete and Status are ignored and anything else is answered with
// Release Complete 81 (invalid call reference, Q.931 5.8.3.2).
func (l *Leg) HandleMessage(payload []byte) []Effect {
	ref, fromOriginator, msgType, err := PeekCallReference(payload)
	if err != nil {
		return []Effect{ProtocolError{Err: err}}
	}
	if !l.cfg.Outgoing && l.state == StateNull && l.cfg.CallReference == 0 && q931.MessageType(msgType) == q931.Setup {
		l.cfg.CallReference = ref
	}
	if ref != l.cfg.CallReference || fromOriginator == l.cfg.Outgoing {
		return []Effect{ProtocolError{Err: fmt.Errorf("%w: call reference %d (originator flag %t), leg has %d (%s)",
			ErrCallReference, ref, fromOriginator, l.cfg.CallReference, l.direction())}}
	}
	in, failure := decode(payload)
	if failure != nil {
		effects := []Effect{ProtocolError{Err: failure.err}}
		if failure.cause == 0 || l.state == StateReleased {
			return effects
		}
		hadCall := l.state != StateNull
		effects = append(effects, l.transition(l.builder().releaseComplete(failure.cause), StateReleased)...)
		if hadCall && l.state == StateReleased {
			effects = append(effects, PeerReleased{Cause: failure.cause})
		}
		return append(effects, l.closeH245()...)
	}
	if l.state == StateReleased {
		switch in.msg.Type {
		case q931.ReleaseComplete, q931.Status:
			return nil
		}
		return []Effect{l.builder().releaseComplete(int(q931.CauseInvalidCallReference))}
	}
	effects := l.handle(in)
	if l.state == StateReleased {
		if l.h245.mode == h245Separate && !l.h245.closed {
			// The peer cleared the call while the session was still open on its own
			// connection: we end our side of it as H.323 8.5 says a terminating
			// endpoint does (endSessionCommand, then close). The peer's own
			// endSessionCommand may still be on its way on the other connection; had
			// it come first, ours was the answer and this sends nothing.
			return append(effects, l.endH245()...)
		}
		return append(effects, l.closeH245()...)
	}
	return l.h245Received(in, effects)
}

// handle runs the state machine for a well-formed message on a live leg.
func (l *Leg) handle(in incoming) []Effect {
	out := l.cfg.Outgoing
	switch in.msg.Type {
	case q931.ReleaseComplete:
		if l.state == StateNull {
			return nil
		}
		l.state = StateReleased
		return []Effect{PeerReleased{Cause: releaseCause(in)}}
	case q931.Setup:
		if !out && l.state == StateNull {
			return l.handleSetup(in)
		}
	case q931.CallProceeding:
		if out && l.state == StateSetupSent {
			l.state = StateProceeding
			return []Effect{PeerCallProceeding{}}
		}
	case q931.Alerting:
		if out && (l.state == StateSetupSent || l.state == StateProceeding) {
			l.state = StateReceived
			return []Effect{PeerAlerting{}}
		}
	case q931.Connect:
		if out && (l.state == StateSetupSent || l.state == StateProceeding || l.state == StateReceived) {
			l.state = StateActive
			return []Effect{PeerConnect{}}
		}
	case q931.Progress:
		if out && (l.state == StateSetupSent || l.state == StateProceeding || l.state == StateReceived) {
			// A missing or unreadable Progress indicator leaves description 0:
			// the message still says the call progresses.
			p, _ := in.msg.ProgressIndicator()
			return []Effect{PeerProgress{Description: int(p.Description)}}
		}
	case q931.Facility:
		if l.state != StateNull && l.h245Carrier(in) {
			return nil // H.245 transport only; h245Received takes its messages
		}
		if l.state != StateNull {
			reason := "empty"
			if f := in.body.Facility; f != nil {
				reason = facilityReasonName(f.Reason.Choice)
			}
			// An unreadable Display only loses the update, not the call.
			display, _ := in.msg.Display()
			return []Effect{PeerFacility{Reason: reason, Display: shownDisplay(display)}}
		}
	case q931.Status:
		return l.handleStatus(in)
	case q931.StatusEnquiry:
		return []Effect{l.builder().status(int(q931.CauseResponseToStatusEnquiry))}
	case q931.Information, q931.Notify, q931.SetupAcknowledge:
		return nil
	default:
		return []Effect{
			ProtocolError{Err: fmt.Errorf("%w: unknown message type 0x%02x", ErrUnexpectedMessage, uint8(in.msg.Type))},
			l.builder().status(int(q931.CauseMessageTypeNonExistent)),
		}
	}
	return []Effect{
		ProtocolError{Err: fmt.Errorf("%w: %v on an %s leg in state %v", ErrUnexpectedMessage, in.msg.Type, l.direction(), l.state)},
		l.builder().status(int(q931.CauseMessageNotCompatibleWithState)),
	}
}

func (l *Leg) handleSetup(in incoming) []Effect {
	setup, err := peerSetup(in)
	if err != nil {
		return []Effect{
			ProtocolError{Err: fmt.Errorf("%w: setup: %w", ErrMalformed, err)},
			l.transition(l.builder().releaseComplete(int(q931.CauseInvalidElementContents)), StateReleased)[0],
		}
	}
	// The callee answers with the caller's identifiers.
	l.cfg.CallID = setup.CallID
	l.cfg.ConferenceID = setup.ConferenceID
	l.state = StateSetupReceived
	return []Effect{setup}
}

// handleStatus follows Q.931 5.8.11 in its simple form: a peer in the Null
// state has no call any more, so the leg ends too; any other state is
// reported. A Status is never answered with a Status.
func (l *Leg) handleStatus(in incoming) []Effect {
	cause, err := in.msg.Cause()
	if err != nil {
		return []Effect{ProtocolError{Err: fmt.Errorf("%w: status: %w", ErrMalformed, err)}}
	}
	ie, ok := in.msg.Find(q931.IECallState)
	if !ok || len(ie.Contents) != 1 {
		return []Effect{ProtocolError{Err: fmt.Errorf("%w: status without a one-octet call state", ErrMalformed)}}
	}
	callState := int(ie.Contents[0] & 0x3f)
	if callState == 0 && l.state != StateNull {
		l.state = StateReleased
		return []Effect{PeerReleased{Cause: int(cause.Value)}}
	}
	return []Effect{PeerStatus{Cause: int(cause.Value), CallState: callState}}
}
