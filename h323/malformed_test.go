package h323

import (
	"reflect"
	"testing"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// rewrite decodes a well-formed message, lets edit change it and encodes it
// again.
func rewrite(t *testing.T, payload []byte, edit func(*q931.Message)) []byte {
	t.Helper()
	msg, err := q931.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	edit(&msg)
	out, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// setElement replaces (or adds) the element id with raw contents.
func setElement(id byte, contents []byte) func(*q931.Message) {
	return func(m *q931.Message) {
		if err := m.Set(q931.InformationElement{ID: id, Contents: contents}); err != nil {
			panic(err)
		}
	}
}

func dropElement(id byte) func(*q931.Message) {
	return func(m *q931.Message) {
		kept := m.Elements[:0]
		for _, ie := range m.Elements {
			if ie.ID != id {
				kept = append(kept, ie)
			}
		}
		m.Elements = kept
	}
}

// userUser replaces the H.225.0 data with info's encoding.
func userUser(info *h225.H323UserInformation) func(*q931.Message) {
	per, err := info.Marshal()
	if err != nil {
		panic(err)
	}
	return setElement(q931.IEUserUser, append([]byte{q931.UserUserX208}, per...))
}

func TestMalformedMessages(t *testing.T) {
	setup := forge(true, message.setup)
	alerting := forge(false, message.alerting)
	connect := forge(false, message.connect)
	_, connectInfo := checkWire(t, connect)
	releaseNoCause := rewrite(t, forge(false, func(m message) Effect { return m.releaseComplete(17) }), dropElement(q931.IECause))
	tests := []struct {
		name      string
		toCaller  bool
		reached   int // steps of a call run before; 5 = released
		payload   []byte
		wantCause string // cause of the Release Complete the leg sends; "" = none
		wantPeer  Effect
		wantState LegState
	}{
		{"empty", true, 1, nil, "", nil, StateSetupSent},
		{"not q931", true, 1, append([]byte{0x09}, alerting[1:]...), "", nil, StateSetupSent},
		{"header only, truncated", true, 1, alerting[:4], "", nil, StateSetupSent},
		{"element area truncated", true, 1, alerting[:len(alerting)-3], "95", PeerReleased{Cause: 95}, StateReleased},
		{"connect without user-user", true, 2, rewrite(t, connect, dropElement(q931.IEUserUser)), "96", PeerReleased{Cause: 96}, StateReleased},
		{"user-user not X.208", true, 2, rewrite(t, connect, setElement(q931.IEUserUser, []byte{0x04, 0x00})), "100", PeerReleased{Cause: 100}, StateReleased},
		{"user-user garbage", true, 3, rewrite(t, alerting, setElement(q931.IEUserUser, []byte{0x05, 0xff, 0xff, 0xff})), "100", PeerReleased{Cause: 100}, StateReleased},
		{"user-user trailing octets", true, 3, rewrite(t, connect, func(m *q931.Message) {
			uu, _ := m.UserUser()
			setElement(q931.IEUserUser, append(append([]byte{0x05}, uu.Data...), 0, 0))(m)
		}), "100", PeerReleased{Cause: 100}, StateReleased},
		{"alerting carrying a connect body", true, 2, rewrite(t, alerting, userUser(connectInfo)), "100", PeerReleased{Cause: 100}, StateReleased},
		{"setup with empty called party number", false, 0, rewrite(t, setup, setElement(q931.IECalledPartyNumber, nil)), "100", nil, StateReleased},
		{"setup with 8-bit calling number", false, 0, rewrite(t, setup, setElement(q931.IECallingPartyNumber, []byte{0x81, '1', 0xb2})), "100", nil, StateReleased},
		{"setup truncated", false, 0, setup[:len(setup)/2], "95", nil, StateReleased},
		{"malformed after release", true, 5, alerting[:len(alerting)-3], "", nil, StateReleased},
		{"release complete with garbage user-user", true, 2, rewrite(t, forge(false, func(m message) Effect { return m.releaseComplete(18) }),
			setElement(q931.IEUserUser, []byte{0x05, 0xff})), "", PeerReleased{Cause: 18}, StateReleased},
		{"release complete reason only", true, 2, releaseNoCause, "", PeerReleased{Cause: 17}, StateReleased},
		{"release complete with nothing", true, 2, rewrite(t, releaseNoCause, dropElement(q931.IEUserUser)), "", PeerReleased{Cause: 31}, StateReleased},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller, callee := NewLeg(callerConfig()), NewLeg(calleeConfig())
			runSteps(t, caller, callee, min(tt.reached, len(callSteps)))
			if tt.reached > len(callSteps) {
				transfer(t, caller.Release(16), callee)
			}
			leg := callee
			if tt.toCaller {
				leg = caller
			}
			effects := leg.HandleMessage(tt.payload)
			var rc []Send
			var peer Effect
			var protoErr error
			for _, e := range effects {
				switch e := e.(type) {
				case Send:
					rc = append(rc, e)
				case ProtocolError:
					protoErr = e.Err
				default:
					peer = e
				}
			}
			wantErr := tt.wantCause != "" || tt.wantPeer == nil
			if wantErr && protoErr == nil {
				t.Errorf("no ProtocolError in %#v", effects)
			}
			switch {
			case tt.wantCause == "" && len(rc) != 0:
				t.Errorf("sent %v, want nothing", rc)
			case tt.wantCause != "" && (len(rc) != 1 || rc[0].Event != "q931.release_complete" || attr(rc[0], "cause") != tt.wantCause):
				t.Errorf("sent %v, want release complete cause %s", rc, tt.wantCause)
			case len(rc) == 1:
				msg, _ := checkWire(t, rc[0].Payload)
				if msg.CallReference != 0x1234 || msg.FromDestination == tt.toCaller {
					t.Errorf("answer call reference %d flag %t", msg.CallReference, msg.FromDestination)
				}
			}
			if !reflect.DeepEqual(peer, tt.wantPeer) {
				t.Errorf("peer effect %#v, want %#v", peer, tt.wantPeer)
			}
			if leg.State() != tt.wantState {
				t.Errorf("state %v, want %v", leg.State(), tt.wantState)
			}
		})
	}
}

// FuzzHandleMessage: no input panics a leg in any state, and every answer
// the leg sends decodes.
func FuzzHandleMessage(f *testing.F) {
	f.Add(forge(true, message.setup), 0)
	f.Add(forge(false, message.alerting), 2)
	f.Add(forge(false, message.connect), 3)
	f.Add(forge(false, func(m message) Effect { return m.releaseComplete(18) }), 1)
	f.Add(statusEnquiry(0x1234, true), 4)
	f.Fuzz(func(t *testing.T, payload []byte, reached int) {
		reached = max(0, min(reached, len(callSteps)))
		caller, callee := NewLeg(callerConfig()), NewLeg(calleeConfig())
		runSteps(t, caller, callee, reached)
		for _, leg := range []*Leg{caller, callee} {
			for _, e := range leg.HandleMessage(payload) {
				if s, ok := e.(Send); ok {
					checkWire(t, s.Payload)
				}
			}
		}
	})
}
