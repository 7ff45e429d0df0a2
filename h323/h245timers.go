package h323

import (
	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/node"
)

// H245Timers are the H.245 control timers armed for one call leg, a bit per
// control.Timer: what the phone and PBX nodes keep so that the driver's
// timers follow the control protocol's and none outlives its leg.
type H245Timers uint8

// Apply turns a control timer effect into the node's (id names the node's
// timer for a control timer) and keeps track of what is armed; ok is
// false for any other effect.
func (t *H245Timers) Apply(e control.Effect, id func(control.Timer) node.TimerID) (eff node.Effect, ok bool) {
	switch e := e.(type) {
	case control.SetTimer:
		*t |= 1 << uint(e.Timer)
		return node.SetTimer{ID: id(e.Timer), After: e.After}, true
	case control.StopTimer:
		*t &^= 1 << uint(e.Timer)
		return node.CancelTimer{ID: id(e.Timer)}, true
	}
	return nil, false
}

// Fired forgets a timer that ran out.
func (t *H245Timers) Fired(timer control.Timer) { *t &^= 1 << uint(timer) }

// CancelAll cancels every armed timer (the leg ends).
func (t *H245Timers) CancelAll(id func(control.Timer) node.TimerID) []node.Effect {
	var out []node.Effect
	for _, timer := range []control.Timer{control.T101, control.T103, control.T106} {
		if *t&(1<<uint(timer)) != 0 {
			out = append(out, node.CancelTimer{ID: id(timer)})
		}
	}
	*t = 0
	return out
}

// SendH245 is the node effect that carries an H.245 message on a leg's own
// H.245 connection; ok is false without one (tunnelled H.245 travels in
// the leg's Q.931 messages instead).
func SendH245(conn node.ConnID, e H245Send) (eff node.Effect, ok bool) {
	if conn == 0 {
		return nil, false
	}
	return node.Send{Conn: conn, Payload: e.Payload, Event: node.Event{Name: e.Event, Protocol: "h245"}}, true
}
