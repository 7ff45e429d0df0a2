package h323

import (
	"testing"
	"time"

	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/node"
)

// TestH245Timers: set and stop become the node's timer effects under the
// leg's IDs, a fired or stopped timer is forgotten, and CancelAll cancels
// exactly the armed ones.
func TestH245Timers(t *testing.T) {
	id := func(c control.Timer) node.TimerID { return node.TimerID{Kind: 9, Part: uint32(c), Key: 7} }
	var tm H245Timers
	for _, c := range []control.Timer{control.T101, control.T103, control.T106} {
		eff, ok := tm.Apply(control.SetTimer{Timer: c, After: time.Second}, id)
		if st, isSet := eff.(node.SetTimer); !ok || !isSet || st.ID != id(c) || st.After != time.Second {
			t.Fatalf("set %v: %v %v", c, eff, ok)
		}
	}
	if eff, ok := tm.Apply(control.StopTimer{Timer: control.T101}, id); !ok || eff != (node.CancelTimer{ID: id(control.T101)}) {
		t.Fatalf("stop: %v %v", eff, ok)
	}
	tm.Fired(control.T103)
	if _, ok := tm.Apply(control.NoCommonCodec{}, id); ok {
		t.Error("a non-timer effect taken as a timer")
	}
	got := tm.CancelAll(id)
	if len(got) != 1 || got[0] != (node.CancelTimer{ID: id(control.T106)}) || tm != 0 {
		t.Errorf("cancel all: %v, left %b", got, tm)
	}
	if _, ok := SendH245(0, H245Send{Payload: []byte{1}}); ok {
		t.Error("sent on no connection")
	}
	if eff, ok := SendH245(3, H245Send{Payload: []byte{1}, Event: "h245.tcs"}); !ok || eff.(node.Send).Conn != 3 || eff.(node.Send).Event.Protocol != "h245" {
		t.Errorf("send: %v %v", eff, ok)
	}
}
