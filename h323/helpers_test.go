package h323

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

var (
	pbxSignal   = netip.MustParseAddrPort("192.0.2.1:1720")
	phoneSignal = netip.MustParseAddrPort("198.51.100.7:40123")
	testCallID  = [16]byte{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f}
	testConfID  = [16]byte{0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf}
)

// callerConfig is the PBX's leg towards a phone: it sends the Setup.
func callerConfig() LegConfig {
	return LegConfig{
		Outgoing: true, CallReference: 0x1234, CallID: testCallID, ConferenceID: testConfID,
		CallingNumber: "0301234567", CallingName: "Alice Example", CalledNumber: "201",
		SourceAlias: "pbx", Local: pbxSignal, Remote: phoneSignal, MaintainConnection: true,
		PrivateNetwork: true,
	}
}

// calleeConfig is the phone's leg; it learns the identifiers from the Setup.
func calleeConfig() LegConfig {
	return LegConfig{CallReference: 0x1234, Local: phoneSignal, Remote: pbxSignal, MaintainConnection: true}
}

// sends returns the Send effects, failing on any ProtocolError.
func sends(t *testing.T, effects []Effect) []Send {
	t.Helper()
	var out []Send
	for _, e := range effects {
		switch e := e.(type) {
		case Send:
			out = append(out, e)
		case ProtocolError:
			t.Fatalf("unexpected protocol error: %v", e.Err)
		}
	}
	return out
}

// onlySend returns the single Send in effects.
func onlySend(t *testing.T, effects []Effect) Send {
	t.Helper()
	s := sends(t, effects)
	if len(s) != 1 {
		t.Fatalf("want exactly one Send, got %d in %#v", len(s), effects)
	}
	return s[0]
}

// checkWire decodes payload with the q931 and h225 codecs, checks both
// re-encode byte for byte and returns the decoded message and user data.
func checkWire(t testing.TB, payload []byte) (q931.Message, *h225.H323UserInformation) {
	t.Helper()
	msg, err := q931.Decode(payload)
	if err != nil {
		t.Fatalf("q931 decode: %v", err)
	}
	again, err := msg.Encode()
	if err != nil || !bytes.Equal(again, payload) {
		t.Fatalf("q931 re-encoding differs (%v):\n got % x\nwant % x", err, again, payload)
	}
	uu, err := msg.UserUser()
	if err != nil {
		t.Fatalf("user-user: %v", err)
	}
	if uu.ProtocolDiscriminator != q931.UserUserX208 {
		t.Fatalf("user-user protocol discriminator %#x", uu.ProtocolDiscriminator)
	}
	info, err := h225.UnmarshalH323UserInformation(uu.Data)
	if err != nil {
		t.Fatalf("h225 decode: %v", err)
	}
	per, err := info.Marshal()
	if err != nil || !bytes.Equal(per, uu.Data) {
		t.Fatalf("h225 re-encoding differs (%v):\n got % x\nwant % x", err, per, uu.Data)
	}
	return msg, info
}

// transfer checks every Send of effects on the wire and hands it to the
// peer, returning the peer's effects.
func transfer(t *testing.T, effects []Effect, to *Leg) []Effect {
	t.Helper()
	var out []Effect
	for _, s := range sends(t, effects) {
		checkWire(t, s.Payload)
		out = append(out, to.HandleMessage(s.Payload)...)
	}
	return out
}

// protocolError returns the first ProtocolError's error, or nil.
func protocolError(effects []Effect) error {
	for _, e := range effects {
		if pe, ok := e.(ProtocolError); ok {
			return pe.Err
		}
	}
	return nil
}

func wantError(t *testing.T, effects []Effect, target error) {
	t.Helper()
	err := protocolError(effects)
	if !errors.Is(err, target) {
		t.Fatalf("want a ProtocolError wrapping %v, got %v (effects %#v)", target, err, effects)
	}
}

// attr returns the value of the Send's attribute key.
func attr(s Send, key string) string {
	for _, a := range s.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}
