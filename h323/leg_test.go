package h323

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// step is one action of a call: who acts and what the other side must see.
type step struct {
	name     string
	byCaller bool
	act      func(*Leg) []Effect
	event    string
	peer     Effect // what the other leg reports
	caller   LegState
	callee   LegState
}

var callSteps = []step{
	{"setup", true, (*Leg).Setup, "q931.setup", nil, StateSetupSent, StateSetupReceived},
	{"call proceeding", false, (*Leg).CallProceeding, "q931.call_proceeding", PeerCallProceeding{}, StateProceeding, StateProceeding},
	{"alerting", false, (*Leg).Alerting, "q931.alerting", PeerAlerting{}, StateReceived, StateReceived},
	{"connect", false, (*Leg).Connect, "q931.connect", PeerConnect{}, StateActive, StateActive},
}

func wantPeerSetup() PeerSetup {
	return PeerSetup{CallingNumber: "0301234567", CallingName: "Alice Example", CalledNumber: "201",
		CallID: testCallID, ConferenceID: testConfID, SourceAlias: "pbx", MaintainConnection: true}
}

// runSteps drives the two legs through the first n steps of a call.
func runSteps(t *testing.T, caller, callee *Leg, n int) {
	t.Helper()
	for _, st := range callSteps[:n] {
		actor, peer := caller, callee
		if !st.byCaller {
			actor, peer = callee, caller
		}
		effects := st.act(actor)
		if s := onlySend(t, effects); s.Event != st.event {
			t.Fatalf("%s: event %q, want %q", st.name, s.Event, st.event)
		}
		got := transfer(t, effects, peer)
		want := st.peer
		if want == nil {
			want = wantPeerSetup()
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Fatalf("%s: peer effects %#v, want %#v", st.name, got, want)
		}
		if caller.State() != st.caller || callee.State() != st.callee {
			t.Fatalf("%s: states %v/%v, want %v/%v", st.name, caller.State(), callee.State(), st.caller, st.callee)
		}
	}
}

func TestFullCall(t *testing.T) {
	caller, callee := NewLeg(callerConfig()), NewLeg(calleeConfig())
	runSteps(t, caller, callee, len(callSteps))
	if got := callee.Config(); got.CallID != testCallID || got.ConferenceID != testConfID {
		t.Errorf("callee did not take the Setup's identifiers: %x %x", got.CallID, got.ConferenceID)
	}
	effects := caller.Release(16)
	rc := onlySend(t, effects)
	if rc.Event != "q931.release_complete" || attr(rc, "cause") != "16" {
		t.Errorf("release: %q cause=%q", rc.Event, attr(rc, "cause"))
	}
	got := transfer(t, effects, callee)
	if !reflect.DeepEqual(got, []Effect{PeerReleased{Cause: 16}}) {
		t.Errorf("callee effects %#v", got)
	}
	if caller.State() != StateReleased || callee.State() != StateReleased {
		t.Errorf("states %v/%v after release", caller.State(), callee.State())
	}
	if got := caller.Release(16); got != nil {
		t.Errorf("second Release gave %#v, want nothing", got)
	}
	if got := callee.Release(31); got != nil {
		t.Errorf("Release after the peer released gave %#v", got)
	}
}

// TestReleaseEverywhere releases from either side after every step with the
// causes the behaviours use.
func TestReleaseEverywhere(t *testing.T) {
	wantReason := map[int]h225.ReleaseCompleteReasonChoice{17: h225.ReleaseCompleteReasonInConf, 21: h225.ReleaseCompleteReasonDestinationRejection}
	for reached := 1; reached <= len(callSteps); reached++ {
		for _, byCaller := range []bool{true, false} {
			for _, cause := range []int{16, 17, 18, 19, 21, 31} {
				name := fmt.Sprintf("after %s/caller=%t/cause %d", callSteps[reached-1].name, byCaller, cause)
				t.Run(name, func(t *testing.T) {
					caller, callee := NewLeg(callerConfig()), NewLeg(calleeConfig())
					runSteps(t, caller, callee, reached)
					actor, peer := caller, callee
					if !byCaller {
						actor, peer = callee, caller
					}
					effects := actor.Release(cause)
					rc := onlySend(t, effects)
					if attr(rc, "cause") != fmt.Sprint(cause) {
						t.Errorf("cause attr %q", attr(rc, "cause"))
					}
					msg, info := checkWire(t, rc.Payload)
					c, err := msg.Cause()
					wantLocation := q931.LocationUser
					if byCaller {
						wantLocation = q931.LocationPrivateLocal // the caller leg is the PBX's
					}
					if err != nil || int(c.Value) != cause || c.CodingStandard != q931.CodingITUT || c.Location != wantLocation {
						t.Errorf("cause element %+v, %v", c, err)
					}
					if msg.FromDestination == byCaller {
						t.Errorf("call reference flag %t from the caller=%t side", msg.FromDestination, byCaller)
					}
					uuie := info.H323UuPdu.H323MessageBody.ReleaseComplete
					if uuie == nil || uuie.CallIdentifier == nil || guid16(uuie.CallIdentifier.Guid) != testCallID {
						t.Fatalf("release complete UUIE %+v", uuie)
					}
					reason, ok := wantReason[cause]
					switch {
					case ok && (uuie.Reason == nil || uuie.Reason.Choice != reason):
						t.Errorf("reason %+v, want %d", uuie.Reason, reason)
					case !ok && uuie.Reason != nil:
						t.Errorf("reason %+v for cause %d, want none", uuie.Reason, cause)
					}
					got := transfer(t, effects, peer)
					if !reflect.DeepEqual(got, []Effect{PeerReleased{Cause: cause}}) {
						t.Errorf("peer effects %#v", got)
					}
					if caller.State() != StateReleased || callee.State() != StateReleased {
						t.Errorf("states %v/%v", caller.State(), callee.State())
					}
				})
			}
		}
	}
}

// TestShortcuts: Alerting and Connect may skip earlier steps.
func TestShortcuts(t *testing.T) {
	caller, callee := NewLeg(callerConfig()), NewLeg(calleeConfig())
	runSteps(t, caller, callee, 1)
	if got := transfer(t, callee.Connect(), caller); !reflect.DeepEqual(got, []Effect{PeerConnect{}}) {
		t.Fatalf("connect straight after setup: %#v", got)
	}
	if caller.State() != StateActive || callee.State() != StateActive {
		t.Fatalf("states %v/%v", caller.State(), callee.State())
	}

	caller, callee = NewLeg(callerConfig()), NewLeg(calleeConfig())
	runSteps(t, caller, callee, 1)
	if got := transfer(t, callee.Alerting(), caller); !reflect.DeepEqual(got, []Effect{PeerAlerting{}}) {
		t.Fatalf("alerting straight after setup: %#v", got)
	}
}

func TestProgressAndFacility(t *testing.T) {
	caller, callee := NewLeg(callerConfig()), NewLeg(calleeConfig())
	runSteps(t, caller, callee, 2)
	if got := transfer(t, callee.Progress(), caller); !reflect.DeepEqual(got, []Effect{PeerProgress{Description: 8}}) {
		t.Errorf("progress: %#v", got)
	}
	effects := caller.Facility("undefinedReason")
	if s := onlySend(t, effects); s.Event != "q931.facility" || attr(s, "reason") != "undefinedReason" {
		t.Errorf("facility send %q %v", s.Event, s.Attrs)
	}
	if got := transfer(t, effects, callee); !reflect.DeepEqual(got, []Effect{PeerFacility{Reason: "undefinedReason"}}) {
		t.Errorf("facility: %#v", got)
	}
	if got := transfer(t, callee.Facility("transportedInformation"), caller); !reflect.DeepEqual(got, []Effect{PeerFacility{Reason: "transportedInformation"}}) {
		t.Errorf("facility from callee: %#v", got)
	}
	if caller.State() != StateProceeding || callee.State() != StateProceeding {
		t.Errorf("progress/facility changed the states: %v/%v", caller.State(), callee.State())
	}
	wantError(t, caller.Facility("noSuchReason"), ErrWrongState)
}

// TestMethodsInWrongState: a method the state does not allow sends nothing.
func TestMethodsInWrongState(t *testing.T) {
	tests := []struct {
		name     string
		outgoing bool
		reached  int // steps of a call run before
		act      func(*Leg) []Effect
	}{
		{"setup on incoming leg", false, 0, (*Leg).Setup},
		{"second setup", true, 1, (*Leg).Setup},
		{"call proceeding on outgoing leg", true, 1, (*Leg).CallProceeding},
		{"call proceeding before setup", false, 0, (*Leg).CallProceeding},
		{"call proceeding twice", false, 2, (*Leg).CallProceeding},
		{"alerting on outgoing leg", true, 2, (*Leg).Alerting},
		{"alerting after connect", false, 4, (*Leg).Alerting},
		{"connect on outgoing leg", true, 3, (*Leg).Connect},
		{"connect twice", false, 4, (*Leg).Connect},
		{"progress after connect", false, 4, (*Leg).Progress},
		{"release before setup", true, 0, func(l *Leg) []Effect { return l.Release(16) }},
		{"release with cause 0", true, 1, func(l *Leg) []Effect { return l.Release(0) }},
		{"release with cause 128", false, 1, func(l *Leg) []Effect { return l.Release(128) }},
		{"facility before setup", true, 0, func(l *Leg) []Effect { return l.Facility("undefinedReason") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller, callee := NewLeg(callerConfig()), NewLeg(calleeConfig())
			runSteps(t, caller, callee, tt.reached)
			leg := callee
			if tt.outgoing {
				leg = caller
			}
			before := leg.State()
			effects := tt.act(leg)
			wantError(t, effects, ErrWrongState)
			if len(effects) != 1 {
				t.Errorf("effects %#v, want only the error", effects)
			}
			if leg.State() != before {
				t.Errorf("state %v, was %v", leg.State(), before)
			}
		})
	}
}

// forge builds a message a leg would not send in its state, with a builder
// of the right direction (outgoing: the caller) outside any leg.
func forge(outgoing bool, build func(message) Effect) []byte {
	cfg := callerConfig()
	if !outgoing {
		cfg = calleeConfig()
		cfg.CallID, cfg.ConferenceID = testCallID, testConfID
	}
	return build(message{cfg: &cfg, fromOrig: outgoing}).(Send).Payload
}

func TestUnexpectedMessages(t *testing.T) {
	fromCallee := func(b func(message) Effect) []byte { return forge(false, b) }
	fromCaller := func(b func(message) Effect) []byte { return forge(true, b) }
	tests := []struct {
		name      string
		toCaller  bool
		reached   int
		payload   []byte
		wantEvent string // the leg's answer; "" = none
		wantCause string
		wantErr   error
		wantState LegState
		wantPeer  Effect
	}{
		{"call proceeding after alerting", true, 3, fromCallee(message.callProceeding), "q931.status", "101", ErrUnexpectedMessage, StateReceived, nil},
		{"alerting after connect", true, 4, fromCallee(message.alerting), "q931.status", "101", ErrUnexpectedMessage, StateActive, nil},
		{"connect to the callee", false, 2, fromCaller(message.connect), "q931.status", "101", ErrUnexpectedMessage, StateProceeding, nil},
		{"second setup", false, 1, fromCaller(message.setup), "q931.status", "101", ErrUnexpectedMessage, StateSetupReceived, nil},
		{"progress to the callee", false, 2, fromCaller(message.progress), "q931.status", "101", ErrUnexpectedMessage, StateProceeding, nil},
		{"status enquiry", true, 3, statusEnquiry(0x1234, true), "q931.status", "30", nil, StateReceived, nil},
		{"unknown message type", true, 2, statusEnquiryType(0x1234, true, 0x4d), "q931.status", "97", ErrUnexpectedMessage, StateProceeding, nil},
		{"information is ignored", true, 2, statusEnquiryType(0x1234, true, byte(q931.Information)), "", "", nil, StateProceeding, nil},
		{"status in null state releases", true, 3, fromCallee(func(m message) Effect { return m.status(101) }), "", "", nil, StateReleased, PeerReleased{Cause: 101}},
		{"status in another state is reported", true, 3, fromCallee(func(m message) Effect { m.callState = 7; return m.status(30) }), "", "", nil, StateReceived, PeerStatus{Cause: 30, CallState: 7}},
		{"wrong call reference", true, 2, statusEnquiry(0x1235, true), "", "", ErrCallReference, StateProceeding, nil},
		{"wrong call reference flag", true, 2, statusEnquiry(0x1234, false), "", "", ErrCallReference, StateProceeding, nil},
		{"release complete after release is ignored", true, 5, fromCallee(func(m message) Effect { return m.releaseComplete(16) }), "", "", nil, StateReleased, nil},
		{"message after release", true, 5, fromCallee(message.alerting), "q931.release_complete", "81", nil, StateReleased, nil},
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
			if tt.wantErr != nil {
				wantError(t, effects, tt.wantErr)
			} else if err := protocolError(effects); err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			var answers []Send
			var peer Effect
			for _, e := range effects {
				switch e := e.(type) {
				case Send:
					answers = append(answers, e)
				case ProtocolError:
				default:
					peer = e
				}
			}
			switch {
			case tt.wantEvent == "" && len(answers) != 0:
				t.Errorf("answered %v, want no answer", answers)
			case tt.wantEvent != "" && (len(answers) != 1 || answers[0].Event != tt.wantEvent || attr(answers[0], "cause") != tt.wantCause):
				t.Errorf("answers %v, want %s cause=%s", answers, tt.wantEvent, tt.wantCause)
			case len(answers) == 1:
				msg, _ := checkWire(t, answers[0].Payload)
				if msg.CallReference != 0x1234 || msg.FromDestination != !tt.toCaller {
					t.Errorf("answer call reference %d flag %t", msg.CallReference, msg.FromDestination)
				}
				if msg.Type == q931.Status {
					ie, ok := msg.Find(q931.IECallState)
					if !ok || len(ie.Contents) != 1 || int(ie.Contents[0]) != leg.CallState() {
						t.Errorf("call state element %v, leg in call state %d", ie, leg.CallState())
					}
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

// statusEnquiry builds a Status Enquiry (no user-user data, which H.323
// stacks may omit there).
func statusEnquiry(ref uint16, fromDestination bool) []byte {
	return statusEnquiryType(ref, fromDestination, byte(q931.StatusEnquiry))
}

func statusEnquiryType(ref uint16, fromDestination bool, msgType byte) []byte {
	msg := q931.Message{Type: q931.MessageType(msgType), CallReference: ref, FromDestination: fromDestination}
	b, err := msg.Encode()
	if err != nil {
		panic(err)
	}
	return b
}

func TestIncomingLegAdoptsCallReference(t *testing.T) {
	caller := NewLeg(callerConfig())
	cfg := calleeConfig()
	cfg.CallReference = 0
	callee := NewLeg(cfg)
	got := transfer(t, caller.Setup(), callee)
	if len(got) != 1 || callee.Config().CallReference != 0x1234 {
		t.Fatalf("effects %#v, call reference %d", got, callee.Config().CallReference)
	}
	if got := transfer(t, callee.CallProceeding(), caller); !reflect.DeepEqual(got, []Effect{PeerCallProceeding{}}) {
		t.Fatalf("call proceeding: %#v", got)
	}
}

func TestPeekCallReference(t *testing.T) {
	setup := forge(true, message.setup)
	tests := []struct {
		name     string
		in       []byte
		ref      uint16
		fromOrig bool
		msgType  byte
		wantErr  bool
	}{
		{"setup", setup, 0x1234, true, 0x05, false},
		{"answer", forge(false, message.connect), 0x1234, false, 0x07, false},
		{"largest reference", []byte{0x08, 0x02, 0xff, 0xff, 0x5a}, 0x7fff, false, 0x5a, false},
		{"empty", nil, 0, false, 0, true},
		{"short", setup[:4], 0, false, 0, true},
		{"not q931", []byte{0x09, 0x02, 0, 1, 5}, 0, false, 0, true},
		{"one-octet reference", []byte{0x08, 0x01, 0x01, 0x05, 0x00}, 0, false, 0, true},
		{"escape message type", []byte{0x08, 0x02, 0, 1, 0}, 0, false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, fromOrig, msgType, err := PeekCallReference(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %t", err, tt.wantErr)
			}
			if ref != tt.ref || fromOrig != tt.fromOrig || msgType != tt.msgType {
				t.Errorf("got %d %t %#x, want %d %t %#x", ref, fromOrig, msgType, tt.ref, tt.fromOrig, tt.msgType)
			}
		})
	}
}

func TestStateNames(t *testing.T) {
	for s, want := range map[LegState]string{StateNull: "null", StateSetupSent: "setup_sent", StateReceived: "received", StateReleased: "released", LegState(42): "LegState(42)"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", int(s), s.String(), want)
		}
	}
}
