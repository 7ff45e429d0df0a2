package h323

import (
	"bytes"
	"errors"
	"testing"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// A lightweight RRQ as the RAS core encodes it (the bytes do not matter to
// the tunnel, which carries them unchanged; they are real RAS octets).
var tunnelledRAS = []byte{0x0e, 0x40, 0x00, 0x07, 0x06, 0x00, 0x08, 0x91, 0x4a, 0x00, 0x05}

func TestRASTunnelRoundTrip(t *testing.T) {
	payload, err := EncodeRASTunnel(tunnelledRAS)
	if err != nil {
		t.Fatal(err)
	}
	if !IsRASTunnel(payload) {
		t.Fatalf("IsRASTunnel false on % x", payload)
	}
	msg, info := checkWire(t, payload)
	if msg.Type != q931.Facility || msg.CallReference != 0 {
		t.Fatalf("want Facility on call reference 0, got %v ref %d", msg.Type, msg.CallReference)
	}
	pdu := info.H323UuPdu
	if pdu.H323MessageBody.Choice != h225.H323UUPDUH323MessageBodyEmpty {
		t.Fatalf("body choice %d, want empty", pdu.H323MessageBody.Choice)
	}
	if len(pdu.GenericData) != 1 || pdu.GenericData[0].Id.Standard != 17 ||
		len(pdu.GenericData[0].Parameters) != 1 || pdu.GenericData[0].Parameters[0].Id.Standard != 1 {
		t.Fatalf("generic data %#v, want feature 17 parameter 1", pdu.GenericData)
	}
	got, err := DecodeRASTunnel(payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !bytes.Equal(got[0], tunnelledRAS) {
		t.Fatalf("decoded % x, want % x", got, tunnelledRAS)
	}
}

func TestRASTunnelRejects(t *testing.T) {
	caller := NewLeg(callerConfig())
	setup := onlySend(t, caller.Setup()).Payload
	facility := onlySend(t, caller.Facility("undefinedReason")).Payload
	good, err := EncodeRASTunnel(tunnelledRAS)
	if err != nil {
		t.Fatal(err)
	}
	truncated := good[:len(good)-3]
	tests := []struct {
		name    string
		payload []byte
		want    error
	}{
		{"setup", setup, ErrNotTunnel},
		{"facility of a call", facility, ErrNotTunnel},
		{"short", []byte{0x08, 0x02}, ErrNotTunnel},
		{"truncated", truncated, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeRASTunnel(tt.payload); !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := EncodeRASTunnel(nil); err == nil {
		t.Fatal("empty RAS message encoded")
	}
	// A dummy-reference Facility without H.460.17 data is not a carrier.
	msg := q931.Message{Type: q931.Facility}
	uu := h225.H323UserInformation{H323UuPdu: h225.H323UUPDU{
		H323MessageBody: h225.H323UUPDUH323MessageBody{Choice: h225.H323UUPDUH323MessageBodyEmpty}}}
	per, err := uu.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := msg.Add(q931.H225UserUser(per)); err != nil {
		t.Fatal(err)
	}
	plain, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeRASTunnel(plain); !errors.Is(err, ErrNotTunnel) {
		t.Fatalf("facility without generic data: %v", err)
	}
}

func TestSilentSetupAndDisplayUpdate(t *testing.T) {
	for _, silent := range []bool{false, true} {
		cfg := callerConfig()
		cfg.Silent = silent
		cfg.CallingName = ""
		caller, callee := NewLeg(cfg), NewLeg(calleeConfig())
		s := onlySend(t, caller.Setup())
		msg, _ := checkWire(t, s.Payload)
		if _, err := msg.Signal(); (err == nil) != silent {
			t.Fatalf("silent %t: Signal element present %t", silent, err == nil)
		}
		effects := callee.HandleMessage(s.Payload)
		ps, ok := effects[0].(PeerSetup)
		if !ok || ps.Silent != silent || ps.CallingName != "" {
			t.Fatalf("silent %t: got %#v", silent, effects)
		}
		update := onlySend(t, caller.UpdateDisplay("Alice Example"))
		if update.Event != "q931.facility" || attr(update, "reason") != "undefinedReason" {
			t.Fatalf("update sent as %s %v", update.Event, update.Attrs)
		}
		got := transfer(t, []Effect{update}, callee)
		if len(got) != 1 || got[0] != (PeerFacility{Reason: "undefinedReason", Display: "Alice Example"}) {
			t.Fatalf("callee saw %#v", got)
		}
	}
	idle := NewLeg(callerConfig())
	wantError(t, idle.UpdateDisplay("x"), ErrWrongState)
}

// FuzzDecodeRASTunnel: any input gives RAS messages or an error, never a
// panic; what it returns re-encodes to a carrier that decodes the same.
func FuzzDecodeRASTunnel(f *testing.F) {
	good, err := EncodeRASTunnel(tunnelledRAS)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x08, 0x02, 0x00, 0x00, 0x62})
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := DecodeRASTunnel(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			again, err := EncodeRASTunnel(m)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeRASTunnel(again)
			if err != nil || len(back) != 1 || !bytes.Equal(back[0], m) {
				t.Fatalf("round trip of % x: %v %x", m, err, back)
			}
		}
	})
}
