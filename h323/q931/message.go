// Package q931 encodes and decodes Q.931 call-signalling messages as H.225.0
// uses them, and the TPKT (RFC 1006) framing that carries them over TCP.
//
// A Message keeps its information elements as an ordered list of raw
// (identifier, contents) pairs. Typed views (Cause, PartyNumber, ...) are
// parsed on demand and built with Message.Add. Keeping the raw list is what
// makes Encode reproduce any decoded message byte for byte, including
// elements this package does not know and their original order.
//
// The User-user payload is the PER-encoded H323-UserInformation; this package
// treats it as opaque bytes.
//
// The package does no I/O apart from Reader, a thin io.Reader wrapper around
// the sans-I/O TPKT Reassembler.
package q931

import (
	"errors"
	"fmt"
)

// ProtocolDiscriminator is the first octet of every Q.931 message.
const ProtocolDiscriminator = 0x08

// CallReferenceLength is the call reference length H.225.0 mandates (2 octets).
const CallReferenceLength = 2

// MaxCallReference is the largest call reference value: 15 bits, the top bit
// of the first octet being the flag.
const MaxCallReference = 0x7fff

// headerLength is protocol discriminator, length octet, 2 octets of call
// reference and the message type.
const headerLength = 3 + CallReferenceLength

// Decoding errors. Decode wraps them with the offset where the problem was
// found; test with errors.Is.
var (
	ErrTruncated             = errors.New("q931: message truncated")
	ErrProtocolDiscriminator = errors.New("q931: protocol discriminator is not 0x08 (Q.931)")
	ErrCallReferenceLength   = errors.New("q931: call reference length is not 2 octets")
	ErrMessageTypeEscape     = errors.New("q931: escaped (national) message types are not supported")
	ErrTooManyElements       = errors.New("q931: more information elements than MaxElements")
)

// MaxElements bounds the information elements Decode accepts in one message. H.225.0 messages
// carry about a dozen; the bound keeps what a decoding allocates within the input plus 8 KiB
// (an element's entry is 32 bytes, and a single-octet element is one octet on the wire, so
// without it 64 KB of Sending complete octets would hold 2 MB).
const MaxElements = 256

// Encoding errors.
var (
	ErrCallReferenceRange = errors.New("q931: call reference exceeds 15 bits")
	ErrElementTooLong     = errors.New("q931: information element contents too long for its length field")
	ErrSingleOctetContent = errors.New("q931: single-octet information element cannot carry contents")
	ErrFieldRange         = errors.New("q931: field value out of range")
)

// ErrAbsent is returned by the typed accessors when the message does not
// contain the information element.
var ErrAbsent = errors.New("q931: information element absent")

// MessageType is the Q.931 message type octet (bit 8 is always 0).
type MessageType uint8

// Message types H.225.0 uses.
const (
	Alerting         MessageType = 0x01
	CallProceeding   MessageType = 0x02
	Progress         MessageType = 0x03
	Setup            MessageType = 0x05
	Connect          MessageType = 0x07
	SetupAcknowledge MessageType = 0x0d
	Notify           MessageType = 0x6e
	ReleaseComplete  MessageType = 0x5a
	Facility         MessageType = 0x62
	StatusEnquiry    MessageType = 0x75
	Information      MessageType = 0x7b
	Status           MessageType = 0x7d
)

// String returns the snake_case name used as the timeline event suffix
// ("q931.setup"), or "unknown_0xNN".
func (t MessageType) String() string {
	switch t {
	case Alerting:
		return "alerting"
	case CallProceeding:
		return "call_proceeding"
	case Progress:
		return "progress"
	case Setup:
		return "setup"
	case Connect:
		return "connect"
	case SetupAcknowledge:
		return "setup_acknowledge"
	case Notify:
		return "notify"
	case ReleaseComplete:
		return "release_complete"
	case Facility:
		return "facility"
	case StatusEnquiry:
		return "status_enquiry"
	case Information:
		return "information"
	case Status:
		return "status"
	}
	return fmt.Sprintf("unknown_0x%02x", uint8(t))
}

// EventName is the timeline event name of a message of this type
// ("q931.setup").
func (t MessageType) EventName() string { return eventNames[t] }

// eventNames holds the event name of every message type (256 of them), made
// once: a call's every message asks for its name.
var eventNames = func() (names [256]string) {
	for t := range names {
		names[t] = "q931." + MessageType(t).String()
	}
	return names
}()

// Message is one Q.931 message.
type Message struct {
	Type MessageType
	// CallReference is the 15-bit call reference value.
	CallReference uint16
	// FromDestination is the call reference flag (bit 8 of the first call
	// reference octet). The side that originated the call reference sends 0;
	// the other side answers with 1, so both ends can pick values freely.
	FromDestination bool
	// Elements are the information elements in wire order, shift elements
	// included.
	Elements []InformationElement
}

// Decode parses one Q.931 message (without TPKT header). The returned
// message's element contents share one copy of b; b itself is not retained.
// It allocates that copy and at most MaxElements element entries: no more than
// len(b) + 8 KiB.
func Decode(b []byte) (Message, error) {
	var m Message
	if len(b) < 1 {
		return m, fmt.Errorf("%w: empty input", ErrTruncated)
	}
	if b[0] != ProtocolDiscriminator {
		return m, fmt.Errorf("%w: got 0x%02x", ErrProtocolDiscriminator, b[0])
	}
	if len(b) < 2 {
		return m, fmt.Errorf("%w: no call reference length", ErrTruncated)
	}
	if b[1]&0x0f != CallReferenceLength || b[1]&0xf0 != 0 {
		return m, fmt.Errorf("%w: length octet 0x%02x", ErrCallReferenceLength, b[1])
	}
	if len(b) < headerLength {
		return m, fmt.Errorf("%w: header needs %d octets, have %d", ErrTruncated, headerLength, len(b))
	}
	m.FromDestination = b[2]&0x80 != 0
	m.CallReference = uint16(b[2]&0x7f)<<8 | uint16(b[3])
	if b[4] == 0x00 {
		return m, ErrMessageTypeEscape
	}
	m.Type = MessageType(b[4] & 0x7f)
	if b[4]&0x80 != 0 {
		return m, fmt.Errorf("q931: message type octet 0x%02x has bit 8 set", b[4])
	}

	// One copy of the element area; contents alias it. Counting first keeps
	// the Elements allocation exact and bounded by the input size.
	body := b[headerLength:]
	count, err := countElements(body)
	if err != nil {
		return m, err
	}
	if count == 0 {
		return m, nil
	}
	data := append([]byte(nil), body...)
	m.Elements = make([]InformationElement, 0, count)
	it := elementIterator{data: data}
	for {
		ie, ok, err := it.next()
		if err != nil {
			return m, err // cannot happen: countElements walked the same bytes
		}
		if !ok {
			break
		}
		m.Elements = append(m.Elements, ie)
	}
	return m, nil
}

// countElements walks the element area once to validate it and count the
// elements.
func countElements(body []byte) (int, error) {
	it := elementIterator{data: body}
	n := 0
	for {
		_, ok, err := it.next()
		if err != nil {
			return 0, err
		}
		if !ok {
			return n, nil
		}
		if n++; n > MaxElements {
			return 0, fmt.Errorf("%w (%d)", ErrTooManyElements, MaxElements)
		}
	}
}

// elementIterator splits the element area, tracking the active codeset so
// that the H.225.0 two-octet User-user length applies only in codeset 0.
type elementIterator struct {
	data    []byte
	offset  int
	codeset codesetTracker
}

func (it *elementIterator) next() (InformationElement, bool, error) {
	if it.offset >= len(it.data) {
		return InformationElement{}, false, nil
	}
	start := it.offset
	id := it.data[start]
	codeset := it.codeset.current()
	if id&0x80 != 0 {
		it.offset++
		it.codeset.afterElement(id)
		return InformationElement{ID: id}, true, nil
	}
	lengthOctets := 1
	if codeset == 0 && id == IEUserUser {
		lengthOctets = 2
	}
	if len(it.data)-start < 1+lengthOctets {
		return InformationElement{}, false, fmt.Errorf("%w: element 0x%02x at offset %d has no length",
			ErrTruncated, id, headerLength+start)
	}
	var n int
	if lengthOctets == 2 {
		n = int(it.data[start+1])<<8 | int(it.data[start+2])
	} else {
		n = int(it.data[start+1])
	}
	contentStart := start + 1 + lengthOctets
	if len(it.data)-contentStart < n {
		return InformationElement{}, false, fmt.Errorf("%w: element 0x%02x at offset %d declares %d octets, %d remain",
			ErrTruncated, id, headerLength+start, n, len(it.data)-contentStart)
	}
	it.offset = contentStart + n
	it.codeset.afterElement(id)
	// Full slice expression: appending to one element's contents must never
	// overwrite the next element in the shared buffer.
	contents := it.data[contentStart:it.offset:it.offset]
	return InformationElement{ID: id, Contents: contents}, true, nil
}

// codesetTracker follows Shift elements (Q.931 4.5.2-4.5.4). A locking shift
// changes the codeset until the next locking shift; a non-locking shift
// applies to the next element only.
type codesetTracker struct {
	locked       uint8
	temporary    uint8
	hasTemporary bool
}

func (c *codesetTracker) current() uint8 {
	if c.hasTemporary {
		return c.temporary
	}
	return c.locked
}

// afterElement updates the state after the element with identifier id.
func (c *codesetTracker) afterElement(id byte) {
	wasTemporary := c.hasTemporary
	c.hasTemporary = false
	if id&0xf0 != IEShift || wasTemporary {
		// An element that was itself in a temporary codeset consumed the
		// shift; a shift in a temporary codeset is not a shift (Q.931 4.5.3).
		return
	}
	codeset := id & 0x07
	if id&0x08 != 0 {
		c.temporary, c.hasTemporary = codeset, true
		return
	}
	c.locked = codeset
}

// Encode returns the wire form of m.
func (m Message) Encode() ([]byte, error) {
	return m.Append(make([]byte, 0, m.encodedLength()))
}

// encodedLength is the exact size of the encoding of a valid message.
func (m Message) encodedLength() int {
	n := headerLength
	for _, ie := range m.Elements {
		n += 1 + len(ie.Contents)
		if ie.ID&0x80 == 0 {
			n += 2 // at most two length octets; exactness is not required
		}
	}
	return n
}

// Append appends the wire form of m to dst.
func (m Message) Append(dst []byte) ([]byte, error) {
	if m.CallReference > MaxCallReference {
		return dst, fmt.Errorf("%w: %d", ErrCallReferenceRange, m.CallReference)
	}
	if m.Type&0x80 != 0 || m.Type == 0 {
		return dst, fmt.Errorf("%w: message type 0x%02x", ErrFieldRange, uint8(m.Type))
	}
	ref0 := byte(m.CallReference >> 8)
	if m.FromDestination {
		ref0 |= 0x80
	}
	dst = append(dst, ProtocolDiscriminator, CallReferenceLength, ref0, byte(m.CallReference), byte(m.Type))
	var codeset codesetTracker
	for i, ie := range m.Elements {
		var err error
		dst, err = appendElement(dst, ie, codeset.current())
		if err != nil {
			return dst, fmt.Errorf("element %d: %w", i, err)
		}
		codeset.afterElement(ie.ID)
	}
	return dst, nil
}

func appendElement(dst []byte, ie InformationElement, codeset uint8) ([]byte, error) {
	if ie.ID&0x80 != 0 {
		if len(ie.Contents) != 0 {
			return dst, fmt.Errorf("%w: 0x%02x", ErrSingleOctetContent, ie.ID)
		}
		return append(dst, ie.ID), nil
	}
	if codeset == 0 && ie.ID == IEUserUser {
		if len(ie.Contents) > 0xffff {
			return dst, fmt.Errorf("%w: User-user has %d octets", ErrElementTooLong, len(ie.Contents))
		}
		dst = append(dst, ie.ID, byte(len(ie.Contents)>>8), byte(len(ie.Contents)))
		return append(dst, ie.Contents...), nil
	}
	if len(ie.Contents) > 0xff {
		return dst, fmt.Errorf("%w: 0x%02x has %d octets", ErrElementTooLong, ie.ID, len(ie.Contents))
	}
	dst = append(dst, ie.ID, byte(len(ie.Contents)))
	return append(dst, ie.Contents...), nil
}

// Find returns the first codeset-0 element with identifier id.
func (m *Message) Find(id byte) (InformationElement, bool) {
	var codeset codesetTracker
	for _, ie := range m.Elements {
		if codeset.current() == 0 && ie.ID == id {
			return ie, true
		}
		codeset.afterElement(ie.ID)
	}
	return InformationElement{}, false
}

// Has reports whether a codeset-0 element with identifier id is present.
func (m *Message) Has(id byte) bool {
	_, ok := m.Find(id)
	return ok
}

// Add appends the element e builds, after validating it as a codeset-0
// element (elements added after a locking shift land in that codeset; Encode
// checks their lengths again).
func (m *Message) Add(e Element) error {
	contents, err := e.AppendContents(nil)
	if err != nil {
		return err
	}
	ie := InformationElement{ID: e.ElementID(), Contents: contents}
	if _, err := appendElement(nil, ie, 0); err != nil {
		return err
	}
	m.Elements = append(m.Elements, ie)
	return nil
}

// Set replaces the first codeset-0 element with e's identifier, or appends
// it when there is none. The element order of the rest is unchanged.
func (m *Message) Set(e Element) error {
	contents, err := e.AppendContents(nil)
	if err != nil {
		return err
	}
	ie := InformationElement{ID: e.ElementID(), Contents: contents}
	if _, err := appendElement(nil, ie, 0); err != nil {
		return err
	}
	var codeset codesetTracker
	for i := range m.Elements {
		if codeset.current() == 0 && m.Elements[i].ID == ie.ID {
			m.Elements[i] = ie
			return nil
		}
		codeset.afterElement(m.Elements[i].ID)
	}
	m.Elements = append(m.Elements, ie)
	return nil
}
