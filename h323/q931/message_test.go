package q931

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// buildMessage constructs a message through the typed API.
func buildMessage(t *testing.T, typ MessageType, callRef uint16, fromDestination bool, elements ...Element) Message {
	t.Helper()
	m := Message{Type: typ, CallReference: callRef, FromDestination: fromDestination}
	for _, e := range elements {
		if err := m.Add(e); err != nil {
			t.Fatalf("Add(%T): %v", e, err)
		}
	}
	return m
}

// TestKnownAnswers builds each message with the typed API, compares the
// encoding to the known bytes, decodes the bytes and checks the typed views.
func TestKnownAnswers(t *testing.T) {
	tests := []struct {
		name  string
		hex   string
		build func(t *testing.T) Message
		check func(t *testing.T, m Message)
	}{
		{
			name: "setup",
			hex:  hexSetup,
			build: func(t *testing.T) Message {
				return buildMessage(t, Setup, 1, false,
					H323BearerCapability,
					Display("Alice"),
					PartyNumber{Calling: true, TypeOfNumber: TypeNational, NumberingPlan: PlanE164,
						HasPresentation: true, Presentation: PresentationAllowed, Screening: ScreeningNetworkProvided, Digits: "1001"},
					PartyNumber{TypeOfNumber: TypeNational, NumberingPlan: PlanE164, Digits: "2002"},
					H225UserUser(fromHex(t, perSetup)))
			},
			check: func(t *testing.T, m Message) {
				bc, err := m.BearerCapability()
				if err != nil || !reflect.DeepEqual(bc, H323BearerCapability) {
					t.Errorf("bearer capability %+v, %v", bc, err)
				}
				if d, err := m.Display(); err != nil || d != "Alice" {
					t.Errorf("display %q, %v", d, err)
				}
				calling, err := m.CallingPartyNumber()
				if err != nil || calling.Digits != "1001" || !calling.HasPresentation ||
					calling.Screening != ScreeningNetworkProvided || calling.TypeOfNumber != TypeNational {
					t.Errorf("calling %+v, %v", calling, err)
				}
				called, err := m.CalledPartyNumber()
				if err != nil || called.Digits != "2002" || called.Calling || called.NumberingPlan != PlanE164 {
					t.Errorf("called %+v, %v", called, err)
				}
				uu, err := m.UserUser()
				if err != nil || uu.ProtocolDiscriminator != UserUserX208 || !bytes.Equal(uu.Data, fromHex(t, perSetup)) {
					t.Errorf("user-user %+v, %v", uu, err)
				}
				if _, err := m.Cause(); !errors.Is(err, ErrAbsent) {
					t.Errorf("cause in setup: %v, want ErrAbsent", err)
				}
			},
		},
		{
			name: "call proceeding",
			hex:  hexCallProceeding,
			build: func(t *testing.T) Message {
				return buildMessage(t, CallProceeding, 1, true, H225UserUser(fromHex(t, perCallProceeding)))
			},
			check: func(t *testing.T, m Message) {
				if !m.FromDestination || m.CallReference != 1 {
					t.Errorf("call reference %d flag %v", m.CallReference, m.FromDestination)
				}
			},
		},
		{
			name: "alerting",
			hex:  hexAlerting,
			build: func(t *testing.T) Message {
				return buildMessage(t, Alerting, 1, true,
					ProgressIndicator{Location: LocationPrivateLocal, Description: ProgressInbandAvailable},
					H225UserUser(fromHex(t, perAlerting)))
			},
			check: func(t *testing.T, m Message) {
				p, err := m.ProgressIndicator()
				if err != nil || p.Description != ProgressInbandAvailable || p.Location != LocationPrivateLocal {
					t.Errorf("progress %+v, %v", p, err)
				}
			},
		},
		{
			name: "connect",
			hex:  hexConnect,
			build: func(t *testing.T) Message {
				return buildMessage(t, Connect, 1, true, Display("Bob"), H225UserUser(fromHex(t, perConnect)))
			},
			check: func(t *testing.T, m Message) {
				if d, _ := m.Display(); d != "Bob" {
					t.Errorf("display %q", d)
				}
			},
		},
		{
			name: "release complete 16",
			hex:  hexReleaseComplete16,
			build: func(t *testing.T) Message {
				return buildMessage(t, ReleaseComplete, 1, true,
					Cause{Location: LocationUser, Value: CauseNormalCallClearing},
					H225UserUser(fromHex(t, perReleaseComplete)))
			},
			check: func(t *testing.T, m Message) {
				c, err := m.Cause()
				if err != nil || c.Value != CauseNormalCallClearing || c.Value.String() != "normal_call_clearing" {
					t.Errorf("cause %+v, %v", c, err)
				}
			},
		},
		{
			name: "release complete 17",
			hex:  hexReleaseComplete17,
			build: func(t *testing.T) Message {
				return buildMessage(t, ReleaseComplete, 1, false,
					Cause{Location: LocationPrivateLocal, Value: CauseUserBusy},
					H225UserUser(fromHex(t, perReleaseComplete)))
			},
			check: func(t *testing.T, m Message) {
				c, err := m.Cause()
				if err != nil || c.Value != CauseUserBusy || c.Location != LocationPrivateLocal || m.FromDestination {
					t.Errorf("cause %+v, %v", c, err)
				}
			},
		},
		{
			name: "release complete 18 with recommendation and diagnostics",
			hex:  hexReleaseComplete18,
			build: func(t *testing.T) Message {
				return buildMessage(t, ReleaseComplete, MaxCallReference, false,
					Cause{Location: LocationPrivateLocal, HasRecommendation: true, Value: CauseNoUserResponding, Diagnostics: []byte{0xaa}},
					H225UserUser(fromHex(t, perReleaseComplete)))
			},
			check: func(t *testing.T, m Message) {
				c, err := m.Cause()
				if err != nil || c.Value != CauseNoUserResponding || !c.HasRecommendation || !bytes.Equal(c.Diagnostics, []byte{0xaa}) {
					t.Errorf("cause %+v, %v", c, err)
				}
				if m.CallReference != 0x7fff {
					t.Errorf("call reference %#x", m.CallReference)
				}
			},
		},
		{
			name: "release complete 19 without user-user",
			hex:  "08 02 80 2a 5a 08 02 81 93",
			build: func(t *testing.T) Message {
				return buildMessage(t, ReleaseComplete, 42, true, Cause{Location: LocationPrivateLocal, Value: CauseNoAnswer})
			},
			check: func(t *testing.T, m Message) {
				if c, _ := m.Cause(); c.Value != CauseNoAnswer {
					t.Errorf("cause %v", c.Value)
				}
			},
		},
		{
			name: "release complete 21 national coding",
			hex:  "08 02 80 2a 5a 08 02 c2 95",
			build: func(t *testing.T) Message {
				return buildMessage(t, ReleaseComplete, 42, true,
					Cause{CodingStandard: CodingNational, Location: LocationPublicLocal, Value: CauseCallRejected})
			},
			check: func(t *testing.T, m Message) {
				if c, _ := m.Cause(); c.Value != CauseCallRejected || c.CodingStandard != CodingNational {
					t.Errorf("cause %+v", c)
				}
			},
		},
		{
			name: "facility with empty body",
			hex:  hexFacilityEmpty,
			build: func(t *testing.T) Message {
				return buildMessage(t, Facility, 5, false, H225UserUser(fromHex(t, perFacilityEmpty)))
			},
			check: func(t *testing.T, m Message) {
				if m.Type.String() != "facility" {
					t.Errorf("name %q", m.Type)
				}
			},
		},
		{
			name: "progress",
			hex:  "08 02 80 05 03 1e 02 82 82",
			build: func(t *testing.T) Message {
				return buildMessage(t, Progress, 5, true,
					ProgressIndicator{Location: LocationPublicLocal, Description: ProgressDestinationNonISDN})
			},
			check: func(t *testing.T, m Message) {},
		},
		{
			name: "information with keypad and sending complete",
			hex:  "08 02 00 05 7b a1 2c 02 35 23",
			build: func(t *testing.T) Message {
				return buildMessage(t, Information, 5, false, SendingComplete, Keypad("5#"))
			},
			check: func(t *testing.T, m Message) {
				if k, err := m.Keypad(); err != nil || k != "5#" || !m.SendingComplete() {
					t.Errorf("keypad %q %v complete %v", k, err, m.SendingComplete())
				}
			},
		},
		{
			name: "status with cause 30 and call state",
			hex:  "08 02 80 05 7d 08 02 81 9e 14 01 07",
			build: func(t *testing.T) Message {
				return buildMessage(t, Status, 5, true,
					Cause{Location: LocationPrivateLocal, Value: CauseResponseToStatusEnquiry},
					InformationElement{ID: IECallState, Contents: []byte{0x07}})
			},
			check: func(t *testing.T, m Message) {
				if ie, ok := m.Find(IECallState); !ok || !bytes.Equal(ie.Contents, []byte{7}) {
					t.Errorf("call state %v %v", ie, ok)
				}
			},
		},
		{
			name:  "status enquiry",
			hex:   "08 02 00 05 75",
			build: func(t *testing.T) Message { return buildMessage(t, StatusEnquiry, 5, false) },
			check: func(t *testing.T, m Message) {
				if len(m.Elements) != 0 {
					t.Errorf("elements %v", m.Elements)
				}
			},
		},
		{
			name: "notify",
			hex:  "08 02 80 05 6e 27 01 81",
			build: func(t *testing.T) Message {
				return buildMessage(t, Notify, 5, true, NotifyUserResumed)
			},
			check: func(t *testing.T, m Message) {
				if n, err := m.NotificationIndicator(); err != nil || n != NotifyUserResumed {
					t.Errorf("notification %v %v", n, err)
				}
			},
		},
		{
			name: "alerting with signal ring-back",
			hex:  "08 02 80 05 01 34 01 01",
			build: func(t *testing.T) Message {
				return buildMessage(t, Alerting, 5, true, SignalRingBackOn)
			},
			check: func(t *testing.T, m Message) {
				if s, err := m.Signal(); err != nil || s != SignalRingBackOn {
					t.Errorf("signal %v %v", s, err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := fromHex(t, tt.hex)
			built, err := tt.build(t).Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(built, want) {
				t.Errorf("encoding\n got % x\nwant % x", built, want)
			}
			m, err := Decode(want)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			tt.check(t, m)
			again, err := m.Encode()
			if err != nil || !bytes.Equal(again, want) {
				t.Errorf("re-encoding % x, %v", again, err)
			}
		})
	}
}

// TestUnknownElementsPreserved decodes elements this package has no typed
// view for, in odd places and codesets, and expects them back unchanged.
func TestUnknownElementsPreserved(t *testing.T) {
	input := fromHex(t,
		"08 02 00 09 05"+
			" 04 03 88 90 a5"+
			" 18 03 a9 83 81"+ // channel identification (no typed view)
			" 96"+ // locking shift to codeset 6
			" 7e 02 aa bb"+ // 0x7e in codeset 6: one-octet length
			" 01 01 ff"+
			" 90"+ // locking shift back to codeset 0
			" 9d"+ // non-locking shift to codeset 5
			" 7e 01 cc"+ // codeset 5, one-octet length
			" 7d 00"+ // unknown, empty
			" 7e 00 02 05 00"+ // codeset 0 User-user, two-octet length
			" b1") // congestion level, single octet
	m, err := Decode(input)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	wantIDs := []byte{0x04, 0x18, 0x96, 0x7e, 0x01, 0x90, 0x9d, 0x7e, 0x7d, 0x7e, 0xb1}
	var gotIDs []byte
	for _, ie := range m.Elements {
		gotIDs = append(gotIDs, ie.ID)
	}
	if !bytes.Equal(gotIDs, wantIDs) {
		t.Fatalf("element ids % x, want % x", gotIDs, wantIDs)
	}
	uu, err := m.UserUser()
	if err != nil || !bytes.Equal(uu.Data, []byte{0x00}) {
		t.Errorf("codeset-0 user-user %+v %v", uu, err)
	}
	out, err := m.Encode()
	if err != nil || !bytes.Equal(out, input) {
		t.Errorf("re-encoding\n got % x\nwant % x (%v)", out, input, err)
	}
	// Set replaces in place and keeps the order of everything else.
	if err := m.Set(Display("x")); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(H323BearerCapability); err != nil {
		t.Fatal(err)
	}
	if m.Elements[0].ID != IEBearerCapability || m.Elements[len(m.Elements)-1].ID != IEDisplay {
		t.Errorf("Set order: %v", m.Elements)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrTruncated},
		{"wrong discriminator", "09 02 00 01 05", ErrProtocolDiscriminator},
		{"call reference length 1", "08 01 01 05", ErrCallReferenceLength},
		{"call reference length 0", "08 00 05", ErrCallReferenceLength},
		{"call reference length spare bits", "08 12 00 01 05", ErrCallReferenceLength},
		{"header truncated", "08 02 00 01", ErrTruncated},
		{"escape message type", "08 02 00 01 00 01", ErrMessageTypeEscape},
		{"element length missing", "08 02 00 01 05 04", ErrTruncated},
		{"element contents short", "08 02 00 01 05 04 03 88 90", ErrTruncated},
		{"user-user one length octet", "08 02 00 01 05 7e 01", ErrTruncated},
		{"user-user contents short", "08 02 00 01 05 7e 01 00 05", ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(fromHex(t, tt.hex))
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

// TestEveryTruncationFails cuts each known-answer message at every length
// and expects an error, never a panic. Every message here ends with an
// element of more than one octet, so no cut is itself a valid message.
func TestEveryTruncationFails(t *testing.T) {
	for _, h := range []string{hexSetup, hexCallProceeding, hexAlerting, hexConnect,
		hexReleaseComplete16, hexReleaseComplete17, hexReleaseComplete18} {
		full := fromHex(t, h)
		if _, err := Decode(full); err != nil {
			t.Fatalf("full message: %v", err)
		}
		for n := range len(full) {
			cut := full[:n]
			if n == headerLength || isElementBoundary(t, full, n) {
				continue // a prefix ending between elements is a valid shorter message
			}
			if _, err := Decode(cut); err == nil {
				t.Errorf("% x: truncated to %d octets decoded without error", full[:min(len(full), 5)], n)
			}
		}
	}
}

// isElementBoundary reports whether n falls between two elements of full.
func isElementBoundary(t *testing.T, full []byte, n int) bool {
	t.Helper()
	m, err := Decode(full)
	if err != nil {
		t.Fatal(err)
	}
	at := headerLength
	for _, ie := range m.Elements {
		if at == n {
			return true
		}
		one, err := appendElement(nil, ie, 0)
		if err != nil {
			t.Fatal(err)
		}
		at += len(one)
	}
	return false
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want error
	}{
		{"call reference too big", Message{Type: Setup, CallReference: 0x8000}, ErrCallReferenceRange},
		{"message type bit 8", Message{Type: 0x85}, ErrFieldRange},
		{"message type zero", Message{Type: 0}, ErrFieldRange},
		{"single octet with contents", Message{Type: Setup, Elements: []InformationElement{{ID: 0xa1, Contents: []byte{1}}}}, ErrSingleOctetContent},
		{"element too long", Message{Type: Setup, Elements: []InformationElement{{ID: IEDisplay, Contents: make([]byte, 256)}}}, ErrElementTooLong},
		{"user-user too long", Message{Type: Setup, Elements: []InformationElement{{ID: IEUserUser, Contents: make([]byte, 0x10000)}}}, ErrElementTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.m.Encode(); !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
	// A 300-octet User-user is fine thanks to the two-octet length.
	m := Message{Type: Setup}
	if err := m.Add(H225UserUser(make([]byte, 300))); err != nil {
		t.Fatal(err)
	}
	b, err := m.Encode()
	if err != nil || b[6] != 0x01 || b[7] != 0x2d {
		t.Errorf("long user-user header % x, %v", b[:min(len(b), 9)], err)
	}
}

func TestTypedElementErrors(t *testing.T) {
	tests := []struct {
		name string
		e    Element
	}{
		{"cause value 128", Cause{Value: 128}},
		{"cause location 16", Cause{Location: 16, Value: 16}},
		{"called with presentation", PartyNumber{HasPresentation: true, Digits: "1"}},
		{"digits not IA5", PartyNumber{Digits: "\xe9"}},
		{"type of number 8", PartyNumber{TypeOfNumber: 8}},
		{"display not IA5", Display("caf\xc3\xa9")},
		{"bearer rest without layer 1", BearerCapability{Rest: []byte{0x80}}},
		{"bearer transfer rate 32", BearerCapability{TransferRate: 32}},
		{"progress description 128", ProgressIndicator{Description: 128}},
		{"notification 128", NotificationIndicator(128)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			if err := m.Add(tt.e); !errors.Is(err, ErrFieldRange) {
				t.Errorf("Add error %v, want ErrFieldRange", err)
			}
		})
	}
}

func TestTypedElementParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) error
		hex   string
	}{
		{"cause empty", func(b []byte) error { _, err := ParseCause(b); return err }, ""},
		{"cause one octet", func(b []byte) error { _, err := ParseCause(b); return err }, "80"},
		{"cause 3a without value", func(b []byte) error { _, err := ParseCause(b); return err }, "01 80"},
		{"cause value not last", func(b []byte) error { _, err := ParseCause(b); return err }, "80 10"},
		{"calling 3a missing", func(b []byte) error { _, err := ParseCallingPartyNumber(b); return err }, "21"},
		{"called extended", func(b []byte) error { _, err := ParseCalledPartyNumber(b); return err }, "21 83 31"},
		{"called digits not IA5", func(b []byte) error { _, err := ParseCalledPartyNumber(b); return err }, "a1 b1"},
		{"bearer short", func(b []byte) error { _, err := ParseBearerCapability(b); return err }, "88"},
		{"bearer multirate no multiplier", func(b []byte) error { _, err := ParseBearerCapability(b); return err }, "88 98"},
		{"bearer octet 5 not layer 1", func(b []byte) error { _, err := ParseBearerCapability(b); return err }, "88 90 c5"},
		{"bearer octet 5 extended at end", func(b []byte) error { _, err := ParseBearerCapability(b); return err }, "88 90 25"},
		{"progress one octet", func(b []byte) error { _, err := ParseProgressIndicator(b); return err }, "81"},
		{"user-user empty", func(b []byte) error { _, err := ParseUserUser(b); return err }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(fromHex(t, tt.hex)); !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v, want ErrMalformed", err)
			}
		})
	}
}

// TestTypedRoundTrips encodes typed elements and parses them back.
func TestTypedRoundTrips(t *testing.T) {
	bearers := []BearerCapability{
		H323BearerCapability,
		{TransferCapability: TransferSpeech, TransferRate: Rate64k, HasLayer1: true, Layer1Protocol: Layer1G711A},
		{TransferCapability: TransferUnrestrictedDigital, TransferRate: RateMultirate, RateMultiplier: 6},
		{TransferCapability: Transfer3k1Audio, TransferRate: Rate64k, HasLayer1: true, Layer1Protocol: Layer1G711Mu, Rest: []byte{0x21, 0x80}},
	}
	for _, bc := range bearers {
		b, err := bc.AppendContents(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseBearerCapability(b)
		if err != nil || !reflect.DeepEqual(got, bc) {
			t.Errorf("bearer % x: got %+v (%v), want %+v", b, got, err, bc)
		}
	}
	numbers := []PartyNumber{
		{Calling: true, TypeOfNumber: TypeInternational, NumberingPlan: PlanE164, Digits: "4930123"},
		{Calling: true, HasPresentation: true, Presentation: PresentationRestricted, Screening: ScreeningUserVerifiedPassed, Digits: "1"},
		{TypeOfNumber: TypeSubscriber, NumberingPlan: PlanPrivate, Digits: "*21#"},
		{Digits: ""},
	}
	for _, p := range numbers {
		b, err := p.AppendContents(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parsePartyNumber(p.ElementID(), b)
		if err != nil || got != p {
			t.Errorf("number % x: got %+v (%v), want %+v", b, got, err, p)
		}
	}
}

func TestNames(t *testing.T) {
	types := map[MessageType]string{
		Setup: "setup", CallProceeding: "call_proceeding", Alerting: "alerting", Connect: "connect",
		ReleaseComplete: "release_complete", Facility: "facility", Progress: "progress",
		Information: "information", Status: "status", StatusEnquiry: "status_enquiry", Notify: "notify",
		0x44: "unknown_0x44",
	}
	for typ, want := range types {
		if typ.String() != want {
			t.Errorf("%#x: %q, want %q", uint8(typ), typ.String(), want)
		}
	}
	if got := ReleaseComplete.EventName(); got != "q931.release_complete" {
		t.Errorf("event name %q", got)
	}
	causes := map[CauseValue]string{
		16: "normal_call_clearing", 17: "user_busy", 18: "no_user_responding", 19: "no_answer",
		21: "call_rejected", 31: "normal_unspecified", 126: "cause_126",
	}
	for c, want := range causes {
		if c.String() != want {
			t.Errorf("cause %d: %q, want %q", c, c.String(), want)
		}
	}
}

// TestDecodeDoesNotAlias checks that the decoded message does not keep the
// caller's buffer, so a reused read buffer cannot change it.
func TestDecodeDoesNotAlias(t *testing.T) {
	in := fromHex(t, hexSetup)
	m, err := Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 0
	}
	if d, _ := m.Display(); d != "Alice" {
		t.Errorf("display changed to %q after the input buffer was cleared", d)
	}
}
