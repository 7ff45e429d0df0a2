package h323

import (
	"errors"
	"fmt"
	"strings"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/timeline"
)

// Errors a ProtocolError wraps; test with errors.Is.
var (
	// ErrMalformed: the Q.931 message or its H.225.0 user-user data could not
	// be decoded, or a mandatory part is missing.
	ErrMalformed = errors.New("h323: malformed message")
	// ErrCallReference: the message belongs to another call reference, or
	// carries the flag of the wrong side.
	ErrCallReference = errors.New("h323: message for another call reference")
	// ErrUnexpectedMessage: the message is not allowed in the leg's state.
	ErrUnexpectedMessage = errors.New("h323: message not compatible with the call state")
	// ErrWrongState: a Leg method was called in a state that does not allow it.
	ErrWrongState = errors.New("h323: action not allowed in the leg's state")
)

// PeekCallReference reads the Q.931 header of payload (a message without TPKT)
// so that a driver can route it to its leg: the call reference value,
// whether the sender originated that call reference (flag 0), and the
// message type octet (0x05 for a new Setup).
func PeekCallReference(payload []byte) (ref uint16, fromOriginator bool, msgType byte, err error) {
	switch {
	case len(payload) < 5:
		return 0, false, 0, fmt.Errorf("%w: %d octets, a Q.931 header needs 5", ErrMalformed, len(payload))
	case payload[0] != q931.ProtocolDiscriminator:
		return 0, false, 0, fmt.Errorf("%w: protocol discriminator 0x%02x", ErrMalformed, payload[0])
	case payload[1] != q931.CallReferenceLength:
		return 0, false, 0, fmt.Errorf("%w: call reference length octet 0x%02x", ErrMalformed, payload[1])
	case payload[4] == 0 || payload[4]&0x80 != 0:
		return 0, false, 0, fmt.Errorf("%w: message type octet 0x%02x", ErrMalformed, payload[4])
	}
	ref = uint16(payload[2]&0x7f)<<8 | uint16(payload[3])
	return ref, payload[2]&0x80 == 0, payload[4], nil
}

// incoming is one decoded message from the peer.
type incoming struct {
	msg q931.Message
	// body is the H.225.0 message body; nil when the message had no
	// User-user element (allowed for the types not in uuRequired).
	body *h225.H323UUPDUH323MessageBody
	// uu is the whole H323-UU-PDU (h245Tunnelling, h245Control), nil with body.
	uu *h225.H323UUPDU
}

// decodeFailure says what went wrong and which cause the call is cleared
// with (0: the message is only dropped).
type decodeFailure struct {
	cause int
	err   error
}

// uuRequired are the message types that are useless without their H.225.0
// body. Others (Release Complete, which Q.931 accepts in any state whatever
// it carries, Status, Status Enquiry, Information, Notify, unknown types)
// are taken without one.
var uuRequired = map[q931.MessageType]bool{
	q931.Setup: true, q931.CallProceeding: true, q931.Alerting: true,
	q931.Connect: true, q931.Progress: true, q931.Facility: true,
}

// bodyChoice is the H.225.0 body each Q.931 message type must carry.
var bodyChoice = map[q931.MessageType]h225.H323UUPDUH323MessageBodyChoice{
	q931.Setup:           h225.H323UUPDUH323MessageBodySetup,
	q931.CallProceeding:  h225.H323UUPDUH323MessageBodyCallProceeding,
	q931.Alerting:        h225.H323UUPDUH323MessageBodyAlerting,
	q931.Connect:         h225.H323UUPDUH323MessageBodyConnect,
	q931.ReleaseComplete: h225.H323UUPDUH323MessageBodyReleaseComplete,
	q931.Progress:        h225.H323UUPDUH323MessageBodyProgress,
	q931.Status:          h225.H323UUPDUH323MessageBodyStatus,
}

// decode parses payload. Header errors only drop the message (Q.931 5.8.1
// to 5.8.3: such messages are ignored); a broken element area clears with
// 95 (invalid message), a missing User-user element with 96 (mandatory
// information element missing) and undecodable or mismatched user-user
// data with 100 (invalid information element contents).
func decode(payload []byte) (incoming, *decodeFailure) {
	var in incoming
	if _, _, _, err := PeekCallReference(payload); err != nil {
		return in, &decodeFailure{err: err}
	}
	msg, err := q931.Decode(payload)
	if err != nil {
		return in, &decodeFailure{cause: int(q931.CauseInvalidMessage), err: fmt.Errorf("%w: %w", ErrMalformed, err)}
	}
	in.msg = msg
	uu, err := msg.UserUser()
	if errors.Is(err, q931.ErrAbsent) {
		if !uuRequired[msg.Type] {
			return in, nil
		}
		return in, &decodeFailure{cause: int(q931.CauseMandatoryElementMissing), err: fmt.Errorf("%w: %v without User-user element", ErrMalformed, msg.Type)}
	}
	if err == nil && uu.ProtocolDiscriminator != q931.UserUserX208 {
		err = fmt.Errorf("User-user protocol discriminator 0x%02x, want 0x05", uu.ProtocolDiscriminator)
	}
	var info h225.H323UserInformation
	if err == nil {
		err = info.Unmarshal(uu.Data)
	}
	if err == nil {
		want, ok := bodyChoice[msg.Type]
		got := info.H323UuPdu.H323MessageBody.Choice
		switch {
		case ok && got != want:
			err = fmt.Errorf("%v carries H.225.0 body %d, want %d", msg.Type, got, want)
		case msg.Type == q931.Facility && got != h225.H323UUPDUH323MessageBodyFacility && got != h225.H323UUPDUH323MessageBodyEmpty:
			err = fmt.Errorf("facility carries H.225.0 body %d", got)
		}
	}
	if err != nil {
		if msg.Type == q931.ReleaseComplete {
			// The call ends anyway; the cause is still readable.
			return in, nil
		}
		return in, &decodeFailure{cause: int(q931.CauseInvalidElementContents), err: fmt.Errorf("%w: %v: %w", ErrMalformed, msg.Type, err)}
	}
	in.body, in.uu = &info.H323UuPdu.H323MessageBody, &info.H323UuPdu
	return in, nil
}

// guid16 copies a GloballyUniqueID into an array (zero when its size is
// wrong, which the PER decoder does not allow anyway).
func guid16(g []byte) (out [16]byte) {
	if len(g) == len(out) {
		copy(out[:], g)
	}
	return out
}

// peerSetup extracts what the PBX and phone cores need from a Setup. A
// Calling or Called party number that is present but malformed is an
// error (cause 100); absent ones fall back to the H.225.0 aliases.
func peerSetup(in incoming) (PeerSetup, error) {
	var p PeerSetup
	uuie := in.body.Setup
	calling, err := in.msg.CallingPartyNumber()
	switch {
	case err == nil:
		p.CallingNumber = calling.Digits
	case !errors.Is(err, q931.ErrAbsent):
		return p, err
	}
	called, err := in.msg.CalledPartyNumber()
	switch {
	case err == nil:
		p.CalledNumber = called.Digits
	case !errors.Is(err, q931.ErrAbsent):
		return p, err
	}
	display, err := in.msg.Display()
	switch {
	case err == nil:
		p.CallingName = shownDisplay(display)
	case !errors.Is(err, q931.ErrAbsent):
		return p, err
	}
	if len(uuie.DisplayName) > 0 {
		p.CallingName = uuie.DisplayName[0].Name
	}
	for _, a := range uuie.SourceAddress {
		switch {
		case a.Choice == h225.AliasAddressH323ID && p.SourceAlias == "":
			p.SourceAlias = a.H323ID
		case a.Choice == h225.AliasAddressDialledDigits && p.CallingNumber == "":
			p.CallingNumber = a.DialledDigits
		}
	}
	if p.CalledNumber == "" {
		for _, a := range uuie.DestinationAddress {
			if a.Choice == h225.AliasAddressDialledDigits {
				p.CalledNumber = a.DialledDigits
				break
			}
		}
	}
	if uuie.CallIdentifier != nil {
		p.CallID = guid16(uuie.CallIdentifier.Guid)
	}
	p.ConferenceID = guid16(uuie.ConferenceID)
	p.MaintainConnection = uuie.MaintainConnection != nil && *uuie.MaintainConnection
	// Only "alerting off" silences the call; other signals (tones) are for
	// the audio path and an unreadable element is ignored.
	if sig, err := in.msg.Signal(); err == nil && sig == q931.SignalAlertingOff {
		p.Silent = true
	}
	return p, nil
}

// shownDisplay is a Display text as the leg reports it: unchanged when it is printable (the
// trailing NUL some stacks add is gone already, see q931.Message.Display); otherwise every
// control character is written as \xNN and a backslash as \\, so that a name never carries
// control characters into timelines, logs and reports and the escaped form is unambiguous.
func shownDisplay(d q931.Display) string {
	s := string(d)
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isControl(rune(c)):
			fmt.Fprintf(&b, "\\x%02x", c)
		case c == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// isControl reports an ASCII control character (Display is IA5: 7-bit).
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// releaseCause is the cause of a Release Complete: its Cause element, else
// the cause of its ReleaseCompleteReason, else 31 (normal, unspecified).
func releaseCause(in incoming) int {
	if c, err := in.msg.Cause(); err == nil {
		return int(c.Value)
	}
	if in.body != nil && in.body.ReleaseComplete != nil && in.body.ReleaseComplete.Reason != nil {
		if cause, ok := causeForReason[in.body.ReleaseComplete.Reason.Choice]; ok {
			return cause
		}
	}
	return int(q931.CauseNormalUnspecified)
}

// Describe names a Q.931 message for a timeline: its event name (e.g.
// "q931.setup") and cause=N when it carries a Cause; false for one that
// does not decode.
func Describe(payload []byte) (string, []timeline.Attr, bool) {
	m, err := q931.Decode(payload)
	if err != nil {
		return "q931.unreadable", nil, true
	}
	var attrs []timeline.Attr
	if m.Has(q931.IECause) {
		if c, err := m.Cause(); err == nil {
			attrs = append(attrs, timeline.A("cause", int(c.Value)))
		}
	}
	return m.Type.EventName(), attrs, true
}
