package q931

import (
	"errors"
	"fmt"
	"strings"
)

// Information element identifiers (codeset 0) H.225.0 uses.
const (
	IEBearerCapability      byte = 0x04
	IECause                 byte = 0x08
	IECallState             byte = 0x14
	IEFacility              byte = 0x1c
	IEProgressIndicator     byte = 0x1e
	IENotificationIndicator byte = 0x27
	IEDisplay               byte = 0x28
	IEKeypad                byte = 0x2c
	IESignal                byte = 0x34
	IECallingPartyNumber    byte = 0x6c
	IECalledPartyNumber     byte = 0x70
	IEUserUser              byte = 0x7e

	// Single-octet elements carry their value in the identifier octet.
	IEShift           byte = 0x90 // type 1: 1001 L ccc (L = non-locking, ccc = codeset)
	IESendingComplete byte = 0xa1 // type 2
)

// ErrMalformed is wrapped by the typed parsers when an element's contents do
// not follow its layout.
var ErrMalformed = errors.New("q931: malformed information element")

// InformationElement is one element as it is on the wire. ID has bit 8 set
// for single-octet elements, which have no Contents.
type InformationElement struct {
	ID       byte
	Contents []byte
}

// SingleOctet reports whether the element is a single-octet element.
func (ie InformationElement) SingleOctet() bool { return ie.ID&0x80 != 0 }

// ElementID implements Element.
func (ie InformationElement) ElementID() byte { return ie.ID }

// AppendContents implements Element.
func (ie InformationElement) AppendContents(dst []byte) ([]byte, error) {
	return append(dst, ie.Contents...), nil
}

// Element is anything Message.Add can encode: the raw InformationElement and
// every typed element below.
type Element interface {
	ElementID() byte
	AppendContents(dst []byte) ([]byte, error)
}

// Shift builds a Shift element to codeset (0..7); locking shifts stay in
// force, non-locking ones apply to the next element only.
func Shift(codeset uint8, locking bool) (InformationElement, error) {
	if codeset > 7 {
		return InformationElement{}, fmt.Errorf("%w: codeset %d", ErrFieldRange, codeset)
	}
	id := IEShift | codeset
	if !locking {
		id |= 0x08
	}
	return InformationElement{ID: id}, nil
}

// SendingComplete is the single-octet Sending complete element.
var SendingComplete = InformationElement{ID: IESendingComplete}

func checkField(name string, v, max uint8) error {
	if v > max {
		return fmt.Errorf("%w: %s %d > %d", ErrFieldRange, name, v, max)
	}
	return nil
}

func malformed(id byte, format string, args ...any) error {
	return fmt.Errorf("%w 0x%02x: %s", ErrMalformed, id, fmt.Sprintf(format, args...))
}

// Coding standards (octet 3, bits 7-6 of Bearer capability, Cause, Progress).
const (
	CodingITUT     uint8 = 0
	CodingISO      uint8 = 1
	CodingNational uint8 = 2
	CodingNetwork  uint8 = 3
)

// Locations (Q.850 2.2.6) for Cause and Progress indicator.
const (
	LocationUser               uint8 = 0
	LocationPrivateLocal       uint8 = 1
	LocationPublicLocal        uint8 = 2
	LocationTransit            uint8 = 3
	LocationPublicRemote       uint8 = 4
	LocationPrivateRemote      uint8 = 5
	LocationInternational      uint8 = 7
	LocationBeyondInterworking uint8 = 10
)

// BearerCapability is the Bearer capability element (Q.931 4.5.5) as H.225.0
// uses it: octets 3, 4, optional 4.1 and optional 5. Later octets (5a...,
// 6, 7) are kept raw in Rest.
type BearerCapability struct {
	CodingStandard     uint8 // 2 bits
	TransferCapability uint8 // 5 bits, e.g. TransferUnrestrictedDigital
	TransferMode       uint8 // 2 bits, 0 = circuit mode
	TransferRate       uint8 // 5 bits, e.g. Rate64k, RateMultirate
	// RateMultiplier is octet 4.1, present only with RateMultirate.
	RateMultiplier uint8 // 7 bits
	// Layer1Protocol is octet 5's user information layer 1 protocol, e.g.
	// Layer1H221; HasLayer1 says whether octet 5 is present.
	HasLayer1      bool
	Layer1Protocol uint8 // 5 bits
	// Rest holds octets 5a onwards unchanged. When it is not empty, octet 5
	// is encoded with its extension bit clear.
	Rest []byte
}

// Bearer capability code points.
const (
	TransferSpeech              uint8 = 0x00
	TransferUnrestrictedDigital uint8 = 0x08
	Transfer3k1Audio            uint8 = 0x10
	TransferVideo               uint8 = 0x18
	Rate64k                     uint8 = 0x10
	RateMultirate               uint8 = 0x18
	Layer1G711Mu                uint8 = 0x02
	Layer1G711A                 uint8 = 0x03
	Layer1H221                  uint8 = 0x05
)

// H323BearerCapability is the usual H.323 value: unrestricted digital,
// circuit mode, 64 kbit/s, H.221 (contents 88 90 a5).
var H323BearerCapability = BearerCapability{
	TransferCapability: TransferUnrestrictedDigital,
	TransferRate:       Rate64k,
	HasLayer1:          true,
	Layer1Protocol:     Layer1H221,
}

// SpeechBearerCapability is a voice call's bearer as H.323 endpoints send it in their Setup:
// speech, circuit mode, 64 kbit/s, user information layer 1 H.221 and H.242 (contents 80 90
// a5, as H323Plus sends it; H.225.0 takes the codec from H.245, not from octet 5).
var SpeechBearerCapability = BearerCapability{
	TransferCapability: TransferSpeech,
	TransferRate:       Rate64k,
	HasLayer1:          true,
	Layer1Protocol:     Layer1H221,
}

// ElementID implements Element.
func (BearerCapability) ElementID() byte { return IEBearerCapability }

// AppendContents implements Element.
func (bc BearerCapability) AppendContents(dst []byte) ([]byte, error) {
	for _, f := range []struct {
		name   string
		v, max uint8
	}{
		{"coding standard", bc.CodingStandard, 3}, {"transfer capability", bc.TransferCapability, 31},
		{"transfer mode", bc.TransferMode, 3}, {"transfer rate", bc.TransferRate, 31},
		{"rate multiplier", bc.RateMultiplier, 127}, {"layer 1 protocol", bc.Layer1Protocol, 31},
	} {
		if err := checkField(f.name, f.v, f.max); err != nil {
			return dst, err
		}
	}
	if len(bc.Rest) > 0 && !bc.HasLayer1 {
		return dst, fmt.Errorf("%w: bearer capability octets after 5 need octet 5", ErrFieldRange)
	}
	dst = append(dst, 0x80|bc.CodingStandard<<5|bc.TransferCapability, 0x80|bc.TransferMode<<5|bc.TransferRate)
	if bc.TransferRate == RateMultirate {
		dst = append(dst, 0x80|bc.RateMultiplier)
	}
	if bc.HasLayer1 {
		octet5 := 0x20 | bc.Layer1Protocol // layer 1 identification 01
		if len(bc.Rest) == 0 {
			octet5 |= 0x80
		}
		dst = append(dst, octet5)
		dst = append(dst, bc.Rest...)
	}
	return dst, nil
}

// ParseBearerCapability parses Bearer capability contents.
func ParseBearerCapability(c []byte) (BearerCapability, error) {
	var bc BearerCapability
	if len(c) < 2 {
		return bc, malformed(IEBearerCapability, "%d octets, need at least 2", len(c))
	}
	if c[0]&0x80 == 0 || c[1]&0x80 == 0 {
		return bc, malformed(IEBearerCapability, "octets 3a/4a extensions are not supported")
	}
	bc.CodingStandard = c[0] >> 5 & 0x03
	bc.TransferCapability = c[0] & 0x1f
	bc.TransferMode = c[1] >> 5 & 0x03
	bc.TransferRate = c[1] & 0x1f
	c = c[2:]
	if bc.TransferRate == RateMultirate {
		if len(c) < 1 || c[0]&0x80 == 0 {
			return bc, malformed(IEBearerCapability, "multirate without a one-octet rate multiplier")
		}
		bc.RateMultiplier = c[0] & 0x7f
		c = c[1:]
	}
	if len(c) == 0 {
		return bc, nil
	}
	if c[0]&0x60 != 0x20 {
		return bc, malformed(IEBearerCapability, "octet 0x%02x is not layer 1 identification", c[0])
	}
	bc.HasLayer1 = true
	bc.Layer1Protocol = c[0] & 0x1f
	extended := c[0]&0x80 == 0
	c = c[1:]
	if extended != (len(c) > 0) {
		return bc, malformed(IEBearerCapability, "octet 5 extension bit disagrees with the length")
	}
	if len(c) > 0 {
		bc.Rest = append([]byte(nil), c...)
	}
	return bc, nil
}

// BearerCapability returns the message's Bearer capability.
func (m *Message) BearerCapability() (BearerCapability, error) {
	ie, ok := m.Find(IEBearerCapability)
	if !ok {
		return BearerCapability{}, ErrAbsent
	}
	return ParseBearerCapability(ie.Contents)
}

// Cause is the Cause element (Q.850 2.2.5).
type Cause struct {
	CodingStandard uint8 // 2 bits
	Location       uint8 // 4 bits, e.g. LocationPrivateLocal
	// Recommendation is octet 3a, present when HasRecommendation; Q.850 says
	// it is not used with the ITU-T coding (kept for byte-exactness).
	HasRecommendation bool
	Recommendation    uint8 // 7 bits
	Value             CauseValue
	Diagnostics       []byte
}

// ElementID implements Element.
func (Cause) ElementID() byte { return IECause }

// AppendContents implements Element.
func (c Cause) AppendContents(dst []byte) ([]byte, error) {
	if err := checkField("coding standard", c.CodingStandard, 3); err != nil {
		return dst, err
	}
	if err := checkField("location", c.Location, 15); err != nil {
		return dst, err
	}
	if err := checkField("recommendation", c.Recommendation, 127); err != nil {
		return dst, err
	}
	if err := checkField("cause value", uint8(c.Value), 127); err != nil {
		return dst, err
	}
	octet3 := c.CodingStandard<<5 | c.Location
	if !c.HasRecommendation {
		dst = append(dst, 0x80|octet3)
	} else {
		dst = append(dst, octet3, 0x80|c.Recommendation)
	}
	dst = append(dst, 0x80|uint8(c.Value))
	return append(dst, c.Diagnostics...), nil
}

// ParseCause parses Cause contents. Spare bits are ignored, as Q.931
// asks of receivers; the message keeps the raw octets in any case.
func ParseCause(b []byte) (Cause, error) {
	var c Cause
	if len(b) < 2 {
		return c, malformed(IECause, "%d octets, need at least 2", len(b))
	}
	c.CodingStandard = b[0] >> 5 & 0x03
	c.Location = b[0] & 0x0f
	rest := b[1:]
	if b[0]&0x80 == 0 {
		if rest[0]&0x80 == 0 {
			return c, malformed(IECause, "octet 3a extension bit clear")
		}
		c.HasRecommendation = true
		c.Recommendation = rest[0] & 0x7f
		rest = rest[1:]
		if len(rest) == 0 {
			return c, malformed(IECause, "cause value missing after octet 3a")
		}
	}
	if rest[0]&0x80 == 0 {
		return c, malformed(IECause, "cause value octet extension bit clear")
	}
	c.Value = CauseValue(rest[0] & 0x7f)
	if len(rest) > 1 {
		c.Diagnostics = append([]byte(nil), rest[1:]...)
	}
	return c, nil
}

// Cause returns the message's Cause.
func (m *Message) Cause() (Cause, error) {
	ie, ok := m.Find(IECause)
	if !ok {
		return Cause{}, ErrAbsent
	}
	return ParseCause(ie.Contents)
}

// PartyNumber is a Calling party number (Q.931 4.5.10) or a Called party
// number (4.5.8). Octet 3a (presentation and screening) exists only in the
// calling party number.
type PartyNumber struct {
	// Calling selects the element: Calling party number when true.
	Calling       bool
	TypeOfNumber  uint8 // 3 bits, e.g. TypeInternational
	NumberingPlan uint8 // 4 bits, e.g. PlanE164
	// HasPresentation says whether octet 3a is present (calling only).
	HasPresentation bool
	Presentation    uint8 // 2 bits, e.g. PresentationAllowed
	Screening       uint8 // 2 bits, e.g. ScreeningNetworkProvided
	// Digits are IA5 characters (bit 8 zero).
	Digits string
}

// Party number code points.
const (
	TypeUnknown       uint8 = 0
	TypeInternational uint8 = 1
	TypeNational      uint8 = 2
	TypeSubscriber    uint8 = 4
	TypeAbbreviated   uint8 = 6

	PlanUnknown uint8 = 0
	PlanE164    uint8 = 1
	PlanPrivate uint8 = 9

	PresentationAllowed      uint8 = 0
	PresentationRestricted   uint8 = 1
	PresentationNotAvailable uint8 = 2

	ScreeningUserNotScreened    uint8 = 0
	ScreeningUserVerifiedPassed uint8 = 1
	ScreeningUserVerifiedFailed uint8 = 2
	ScreeningNetworkProvided    uint8 = 3
)

// ElementID implements Element.
func (p PartyNumber) ElementID() byte {
	if p.Calling {
		return IECallingPartyNumber
	}
	return IECalledPartyNumber
}

// AppendContents implements Element.
func (p PartyNumber) AppendContents(dst []byte) ([]byte, error) {
	if err := checkField("type of number", p.TypeOfNumber, 7); err != nil {
		return dst, err
	}
	if err := checkField("numbering plan", p.NumberingPlan, 15); err != nil {
		return dst, err
	}
	if err := checkField("presentation", p.Presentation, 3); err != nil {
		return dst, err
	}
	if err := checkField("screening", p.Screening, 3); err != nil {
		return dst, err
	}
	if p.HasPresentation && !p.Calling {
		return dst, fmt.Errorf("%w: called party number has no presentation octet", ErrFieldRange)
	}
	if err := checkIA5(p.ElementID(), p.Digits); err != nil {
		return dst, err
	}
	octet3 := p.TypeOfNumber<<4 | p.NumberingPlan
	if p.HasPresentation {
		dst = append(dst, octet3, 0x80|p.Presentation<<5|p.Screening)
	} else {
		dst = append(dst, 0x80|octet3)
	}
	return append(dst, p.Digits...), nil
}

func checkIA5(id byte, s string) error {
	for i := 0; i < len(s); i++ {
		if s[i]&0x80 != 0 {
			return fmt.Errorf("%w: element 0x%02x character 0x%02x is not IA5", ErrFieldRange, id, s[i])
		}
	}
	return nil
}

func parseIA5(id byte, b []byte) (string, error) {
	for _, c := range b {
		if c&0x80 != 0 {
			return "", malformed(id, "character 0x%02x is not IA5", c)
		}
	}
	return string(b), nil
}

func parsePartyNumber(id byte, b []byte) (PartyNumber, error) {
	p := PartyNumber{Calling: id == IECallingPartyNumber}
	if len(b) < 1 {
		return p, malformed(id, "empty")
	}
	p.TypeOfNumber = b[0] >> 4 & 0x07
	p.NumberingPlan = b[0] & 0x0f
	rest := b[1:]
	if b[0]&0x80 == 0 {
		if !p.Calling {
			return p, malformed(id, "octet 3 extension bit clear")
		}
		if len(rest) < 1 || rest[0]&0x80 == 0 {
			return p, malformed(id, "octet 3a missing or extended")
		}
		p.HasPresentation = true
		p.Presentation = rest[0] >> 5 & 0x03
		p.Screening = rest[0] & 0x03
		rest = rest[1:]
	}
	var err error
	p.Digits, err = parseIA5(id, rest)
	return p, err
}

// ParseCallingPartyNumber parses Calling party number contents; the spare
// bits of octet 3a are ignored.
func ParseCallingPartyNumber(b []byte) (PartyNumber, error) {
	return parsePartyNumber(IECallingPartyNumber, b)
}

// ParseCalledPartyNumber parses Called party number contents.
func ParseCalledPartyNumber(b []byte) (PartyNumber, error) {
	return parsePartyNumber(IECalledPartyNumber, b)
}

// CallingPartyNumber returns the message's Calling party number.
func (m *Message) CallingPartyNumber() (PartyNumber, error) {
	ie, ok := m.Find(IECallingPartyNumber)
	if !ok {
		return PartyNumber{Calling: true}, ErrAbsent
	}
	return ParseCallingPartyNumber(ie.Contents)
}

// CalledPartyNumber returns the message's Called party number.
func (m *Message) CalledPartyNumber() (PartyNumber, error) {
	ie, ok := m.Find(IECalledPartyNumber)
	if !ok {
		return PartyNumber{}, ErrAbsent
	}
	return ParseCalledPartyNumber(ie.Contents)
}

// Display is the Display element: IA5 text, at most 82 octets in Q.931.
type Display string

// ElementID implements Element.
func (Display) ElementID() byte { return IEDisplay }

// AppendContents implements Element.
func (d Display) AppendContents(dst []byte) ([]byte, error) {
	if err := checkIA5(IEDisplay, string(d)); err != nil {
		return dst, err
	}
	return append(dst, d...), nil
}

// Display returns the message's Display text without the NUL octets that end it: H323Plus
// writes its display name as a C string, terminator included ("alice\x00"). Other control
// characters are kept; see package h323 for how they are shown.
func (m *Message) Display() (Display, error) {
	ie, ok := m.Find(IEDisplay)
	if !ok {
		return "", ErrAbsent
	}
	s, err := parseIA5(IEDisplay, ie.Contents)
	return Display(strings.TrimRight(s, "\x00")), err
}

// Keypad is the Keypad facility element: IA5 characters.
type Keypad string

// ElementID implements Element.
func (Keypad) ElementID() byte { return IEKeypad }

// AppendContents implements Element.
func (k Keypad) AppendContents(dst []byte) ([]byte, error) {
	if err := checkIA5(IEKeypad, string(k)); err != nil {
		return dst, err
	}
	return append(dst, k...), nil
}

// Keypad returns the message's Keypad facility.
func (m *Message) Keypad() (Keypad, error) {
	ie, ok := m.Find(IEKeypad)
	if !ok {
		return "", ErrAbsent
	}
	s, err := parseIA5(IEKeypad, ie.Contents)
	return Keypad(s), err
}

// ProgressIndicator is the Progress indicator element (Q.931 4.5.23).
type ProgressIndicator struct {
	CodingStandard uint8 // 2 bits
	Location       uint8 // 4 bits
	Description    uint8 // 7 bits, e.g. ProgressInbandAvailable
}

// Progress descriptions.
const (
	ProgressNotEndToEndISDN    uint8 = 1
	ProgressDestinationNonISDN uint8 = 2
	ProgressOriginNonISDN      uint8 = 3
	ProgressReturnedToISDN     uint8 = 4
	ProgressInbandAvailable    uint8 = 8
)

// ElementID implements Element.
func (ProgressIndicator) ElementID() byte { return IEProgressIndicator }

// AppendContents implements Element.
func (p ProgressIndicator) AppendContents(dst []byte) ([]byte, error) {
	if err := checkField("coding standard", p.CodingStandard, 3); err != nil {
		return dst, err
	}
	if err := checkField("location", p.Location, 15); err != nil {
		return dst, err
	}
	if err := checkField("progress description", p.Description, 127); err != nil {
		return dst, err
	}
	return append(dst, 0x80|p.CodingStandard<<5|p.Location, 0x80|p.Description), nil
}

// ParseProgressIndicator parses Progress indicator contents.
func ParseProgressIndicator(b []byte) (ProgressIndicator, error) {
	var p ProgressIndicator
	if len(b) != 2 || b[0]&0x80 == 0 || b[1]&0x80 == 0 {
		return p, malformed(IEProgressIndicator, "want 2 octets with extension bits set, have % x", b)
	}
	p.CodingStandard = b[0] >> 5 & 0x03
	p.Location = b[0] & 0x0f
	p.Description = b[1] & 0x7f
	return p, nil
}

// ProgressIndicator returns the message's Progress indicator.
func (m *Message) ProgressIndicator() (ProgressIndicator, error) {
	ie, ok := m.Find(IEProgressIndicator)
	if !ok {
		return ProgressIndicator{}, ErrAbsent
	}
	return ParseProgressIndicator(ie.Contents)
}

// Signal is the Signal element's value (Q.931 4.5.28), e.g. SignalRingBackOn.
type Signal uint8

// Signal values.
const (
	SignalDialToneOn  Signal = 0x00
	SignalRingBackOn  Signal = 0x01
	SignalBusyToneOn  Signal = 0x04
	SignalToneOff     Signal = 0x3f
	SignalAlertingOff Signal = 0x4f
)

// ElementID implements Element.
func (Signal) ElementID() byte { return IESignal }

// AppendContents implements Element.
func (s Signal) AppendContents(dst []byte) ([]byte, error) { return append(dst, byte(s)), nil }

// Signal returns the message's Signal value.
func (m *Message) Signal() (Signal, error) {
	ie, ok := m.Find(IESignal)
	if !ok {
		return 0, ErrAbsent
	}
	if len(ie.Contents) != 1 {
		return 0, malformed(IESignal, "%d octets, want 1", len(ie.Contents))
	}
	return Signal(ie.Contents[0]), nil
}

// NotificationIndicator is the simple one-octet form of the Notification
// indicator (Q.931 4.5.22): the notification description.
type NotificationIndicator uint8

// Notification descriptions.
const (
	NotifyUserSuspended NotificationIndicator = 0x00
	NotifyUserResumed   NotificationIndicator = 0x01
	NotifyBearerChange  NotificationIndicator = 0x02
)

// ElementID implements Element.
func (NotificationIndicator) ElementID() byte { return IENotificationIndicator }

// AppendContents implements Element.
func (n NotificationIndicator) AppendContents(dst []byte) ([]byte, error) {
	if err := checkField("notification description", uint8(n), 127); err != nil {
		return dst, err
	}
	return append(dst, 0x80|byte(n)), nil
}

// NotificationIndicator returns the message's Notification indicator; only
// the one-octet form is understood (longer forms stay available via Find).
func (m *Message) NotificationIndicator() (NotificationIndicator, error) {
	ie, ok := m.Find(IENotificationIndicator)
	if !ok {
		return 0, ErrAbsent
	}
	if len(ie.Contents) != 1 || ie.Contents[0]&0x80 == 0 {
		return 0, malformed(IENotificationIndicator, "only the one-octet form is supported, have % x", ie.Contents)
	}
	return NotificationIndicator(ie.Contents[0] & 0x7f), nil
}

// UserUser is the User-user element. H.225.0 gives it a two-octet length;
// the payload after the protocol discriminator is the PER-encoded
// H323-UserInformation.
type UserUser struct {
	ProtocolDiscriminator uint8 // UserUserX208 for H.225.0
	Data                  []byte
}

// UserUserX208 is the User-user protocol discriminator for X.208/X.209
// coded user information, which H.225.0 requires.
const UserUserX208 uint8 = 0x05

// H225UserUser wraps a PER-encoded H323-UserInformation.
func H225UserUser(per []byte) UserUser {
	return UserUser{ProtocolDiscriminator: UserUserX208, Data: per}
}

// ElementID implements Element.
func (UserUser) ElementID() byte { return IEUserUser }

// AppendContents implements Element.
func (u UserUser) AppendContents(dst []byte) ([]byte, error) {
	dst = append(dst, u.ProtocolDiscriminator)
	return append(dst, u.Data...), nil
}

// ParseUserUser parses User-user contents. Data aliases b.
func ParseUserUser(b []byte) (UserUser, error) {
	if len(b) < 1 {
		return UserUser{}, malformed(IEUserUser, "no protocol discriminator")
	}
	return UserUser{ProtocolDiscriminator: b[0], Data: b[1:]}, nil
}

// UserUser returns the message's User-user element; Data aliases the
// message's element storage.
func (m *Message) UserUser() (UserUser, error) {
	ie, ok := m.Find(IEUserUser)
	if !ok {
		return UserUser{}, ErrAbsent
	}
	return ParseUserUser(ie.Contents)
}

// SendingComplete reports whether the Sending complete element is present.
func (m *Message) SendingComplete() bool { return m.Has(IESendingComplete) }
