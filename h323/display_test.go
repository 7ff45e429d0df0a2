package h323

import (
	"testing"

	"github.com/callwake/callwake/h323/q931"
)

// TestDisplayShown: the name a Setup's or Facility's Display gives is reported without the
// trailing NUL, and escaped when it holds other control characters.
func TestDisplayShown(t *testing.T) {
	for _, tc := range []struct{ display, want string }{
		{"alice\x00", "alice"},
		{`C:\alice`, `C:\alice`}, // printable: unchanged, backslash included
		{"ali\x07ce\x00", `ali\x07ce`},
		{"a\tb\\c", `a\x09b\\c`}, // once escaping, a backslash is escaped too
		{"\x7f", `\x7f`},
	} {
		setup := onlySend(t, NewLeg(callerConfig()).Setup())
		msg, _ := checkWire(t, setup.Payload)
		if err := msg.Set(q931.InformationElement{ID: q931.IEDisplay, Contents: []byte(tc.display)}); err != nil {
			t.Fatal(err)
		}
		payload, err := msg.Encode()
		if err != nil {
			t.Fatal(err)
		}
		var got *PeerSetup
		for _, e := range NewLeg(calleeConfig()).HandleMessage(payload) {
			if ps, ok := e.(PeerSetup); ok {
				got = &ps
			}
		}
		if got == nil || got.CallingName != tc.want {
			t.Errorf("Display %q: calling name %+v, want %q", tc.display, got, tc.want)
		}
	}
}
