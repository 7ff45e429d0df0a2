package phone_test

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// --- incoming calls

func TestPhoneIncomingCall(t *testing.T) {
	tests := []struct {
		name      string
		admission phone.AnswerAdmission
		preGrant  bool
		asks      bool
	}{
		{"asks without pre-grant", phone.AdmissionAuto, false, true},
		{"pre-granted answers at once", phone.AdmissionAuto, true, false},
		{"always asks even when pre-granted", phone.AdmissionAlways, true, true},
		{"never asks", phone.AdmissionNever, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := deskConfig()
			cfg.Admission = tt.admission
			r := newRig(t, cfg)
			edit := func(*h225.RegistrationConfirm) {}
			if tt.preGrant {
				edit = preGrant
			}
			r.register(r.listen(), edit)

			const conn node.ConnID = 11
			pc, setup := newPBXCall(t, 77, false, pbxEphem, r.sigAddr)
			if effs := r.do(node.Accepted{Listener: r.sigSock, Conn: conn, Local: r.sigAddr, Remote: pbxEphem}); len(effs) != 0 {
				t.Fatalf("Accepted: %s", nt.Show(effs))
			}
			effs := r.do(node.Message{Conn: conn, Payload: setup})
			// Call Proceeding first, whatever admission does.
			nt.SentQ931(t, effs, conn, q931.CallProceeding)
			if s := nt.All[node.Send](effs)[0]; s.Event.Name != "q931.call_proceeding" {
				t.Errorf("first message %s, want Call Proceeding", s.Event.Name)
			}
			if tt.asks {
				if len(nt.Records(effs, phone.EventRinging)) != 0 {
					t.Fatalf("rings before admission: %s", nt.Show(effs))
				}
				noQ931(t, effs, q931.Alerting)
				st, arq := sentRAS(t, effs, "ras.arq")
				a := arq.AdmissionRequest
				if st.To != gkRAS || !a.AnswerCall || !bytes.Equal(a.CallIdentifier.Guid, pc.guid[:]) ||
					int(a.CallReferenceValue) != 77 || !slices.Equal(aliasTexts(a.SrcInfo), []string{"201"}) {
					t.Errorf("ARQ to %v: answerCall %v, guid %x, crv %d, src %q", st.To, a.AnswerCall,
						a.CallIdentifier.Guid, a.CallReferenceValue, aliasTexts(a.SrcInfo))
				}
				effs = r.ras(gkRAS, ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal))
			} else {
				for _, s := range nt.All[node.SendTo](effs) {
					t.Errorf("asked admission: %s", s.Event.Name)
				}
			}
			ring := nt.Record(t, effs, phone.EventRinging)
			nt.WantAttrs(t, ring, "device", "bob-desk", "number", "201", "name", "alice", "silent", "false")
			nt.SentQ931(t, effs, conn, q931.Alerting)
			if tt.asks {
				noQ931(t, effs, q931.CallProceeding) // it was sent with the ARQ
			}

			effs = r.fire(effs, 2*time.Second) // the user answers
			nt.Record(t, effs, phone.EventAnswered)
			nt.SentQ931(t, effs, conn, q931.Connect)

			r.after(3 * time.Second)
			effs = r.do(node.Message{Conn: conn, Payload: pc.send(t, pc.leg.Release(16))})
			if c := nt.One[node.Close](t, effs); c.Conn != conn {
				t.Errorf("closed %d, want %d", c.Conn, conn)
			}
			if !tt.asks {
				if len(nt.All[node.SendTo](effs)) != 0 {
					t.Errorf("a call never admitted is disengaged: %s", nt.Show(effs))
				}
				return
			}
			_, drq := sentRAS(t, effs, "ras.drq")
			d := drq.DisengageRequest
			if !bytes.Equal(d.CallIdentifier.Guid, pc.guid[:]) || d.AnsweredCall == nil || !*d.AnsweredCall ||
				string(d.EndpointIdentifier) != "ep-0001" {
				t.Errorf("DRQ guid %x answeredCall %v endpoint %q", d.CallIdentifier.Guid, d.AnsweredCall, d.EndpointIdentifier)
			}
		})
	}
}

func TestPhoneAnswerAdmissionRejected(t *testing.T) {
	r := newRig(t, deskConfig())
	r.register(r.listen(), nil)
	_, setup := newPBXCall(t, 5, false, pbxEphem, r.sigAddr)
	r.do(node.Accepted{Listener: r.sigSock, Conn: 4, Local: r.sigAddr, Remote: pbxEphem})
	_, arq := sentRAS(t, r.do(node.Message{Conn: 4, Payload: setup}), "ras.arq")
	effs := r.ras(gkRAS, ras.NewARJ(ras.SeqNum(arq), h225.AdmissionRejectReasonRequestDenied))
	nt.WantAttrs(t, nt.Record(t, effs, "call.not_admitted"), "device", "bob-desk", "reason", "requestDenied")
	if got := nt.ReleaseCause(t, effs, 4); got != phone.CauseCallRejected {
		t.Errorf("cause %d, want 21", got)
	}
	if len(nt.Records(effs, phone.EventRinging)) != 0 || len(nt.All[node.SendTo](effs)) != 0 {
		t.Errorf("rang or disengaged a call never admitted: %s", nt.Show(effs))
	}
	nt.One[node.Close](t, effs)
}

func TestPhoneConnectionLostEndsCall(t *testing.T) {
	r := newRig(t, deskConfig())
	r.register(r.listen(), preGrant)
	_, setup := newPBXCall(t, 9, false, pbxEphem, r.sigAddr)
	r.do(node.Accepted{Listener: r.sigSock, Conn: 6, Local: r.sigAddr, Remote: pbxEphem})
	effs := r.do(node.Message{Conn: 6, Payload: setup})
	answer := timerAfter(t, effs, 2*time.Second)
	effs = r.do(node.Closed{Conn: 6, Err: node.ErrReset})
	if len(nt.All[node.Close](effs)) != 0 || len(nt.All[node.Send](effs)) != 0 {
		t.Errorf("wrote to or closed a connection that is gone: %s", nt.Show(effs))
	}
	if c := nt.One[node.CancelTimer](t, effs); c.ID != answer {
		t.Errorf("cancelled %+v, want the answer timer %+v", c.ID, answer)
	}
}

// --- outgoing calls

// placed registers the desk phone and places a call to 201 up to its Setup.
func placed(t *testing.T, cfg phone.NodeConfig) (*rig, node.ConnID, []node.Effect) {
	t.Helper()
	r := newRig(t, cfg)
	r.register(r.listen(), nil)
	effs := r.do(node.Command{Cmd: phone.PlaceCall{To: "201"}})
	nt.WantAttrs(t, nt.Record(t, effs, "call.placing"), "to", "201")
	_, arq := sentRAS(t, effs, "ras.arq")
	a := arq.AdmissionRequest
	if a.AnswerCall || !slices.Equal(aliasTexts(a.DestinationInfo), []string{"201"}) {
		t.Errorf("ARQ answerCall %v destination %q", a.AnswerCall, aliasTexts(a.DestinationInfo))
	}
	effs = r.ras(gkRAS, ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal))
	d := nt.DialTo(t, effs, pbxSignal)
	if d.Transport != node.TCP || d.Protocol != "q931" || d.From != phoneIP {
		t.Errorf("Dial %+v", d)
	}
	const conn node.ConnID = 21
	local := netip.AddrPortFrom(phoneIP, 50123)
	effs = r.do(node.Dialled{Ref: d.Ref, Conn: conn, Local: local, Remote: pbxSignal})
	setup, _ := nt.SentQ931(t, effs, conn, q931.Setup)
	if n, err := setup.CalledPartyNumber(); err != nil || n.Digits != "201" {
		t.Errorf("Setup called number %+v %v", n, err)
	}
	return r, conn, effs
}

func TestPhonePlacedCallTimers(t *testing.T) {
	t.Run("T303 without an answer to the Setup", func(t *testing.T) {
		r, conn, effs := placed(t, deskConfig())
		effs = r.fire(effs, phone.DefaultSetupTimeout)
		nt.WantAttrs(t, nt.Record(t, effs, "q931.timer_expired"), "device", "bob-desk", "timer", "T303")
		if got := nt.ReleaseCause(t, effs, conn); got != 102 {
			t.Errorf("cause %d, want 102", got)
		}
		nt.One[node.Close](t, effs)
		sentRAS(t, effs, "ras.drq")
		if r.n.Result().ReleaseCause != 102 {
			t.Errorf("Result %+v", r.n.Result())
		}
	})
	t.Run("T310 after Call Proceeding", func(t *testing.T) {
		r, conn, effs := placed(t, deskConfig())
		t303 := timerAfter(t, effs, phone.DefaultSetupTimeout)
		pbxLeg := h323.NewLeg(h323.LegConfig{Local: pbxSignal, Remote: netip.AddrPortFrom(phoneIP, 50123)})
		var setup []byte
		for _, s := range nt.All[node.Send](effs) {
			setup = s.Payload
		}
		pbxLeg.HandleMessage(setup)
		proceeding := (&pbxCall{}).send(t, pbxLeg.CallProceeding())
		effs = r.do(node.Message{Conn: conn, Payload: proceeding})
		if c := nt.One[node.CancelTimer](t, effs); c.ID != t303 {
			t.Errorf("cancelled %+v, want T303 %+v", c.ID, t303)
		}
		effs = r.fire(effs, phone.DefaultProceedingTimeout)
		nt.WantAttrs(t, nt.Record(t, effs, "q931.timer_expired"), "timer", "T310")
		if got := nt.ReleaseCause(t, effs, conn); got != 102 {
			t.Errorf("cause %d, want 102", got)
		}
	})
	t.Run("answered, then hung up", func(t *testing.T) {
		cfg := deskConfig()
		cfg.StopAfterCall = true
		r := newRig(t, cfg)
		r.register(r.listen(), nil)
		_, arq := sentRAS(t, r.do(node.Command{Cmd: phone.PlaceCall{To: "201", HangupAfter: 5 * time.Second}}), "ras.arq")
		d := nt.DialTo(t, r.ras(gkRAS, ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal)), pbxSignal)
		local := netip.AddrPortFrom(phoneIP, 50124)
		effs := r.do(node.Dialled{Ref: d.Ref, Conn: 22, Local: local, Remote: pbxSignal})
		t303 := timerAfter(t, effs, phone.DefaultSetupTimeout)
		pbxLeg := h323.NewLeg(h323.LegConfig{Local: pbxSignal, Remote: local})
		pbxLeg.HandleMessage(nt.All[node.Send](effs)[0].Payload)
		pc := &pbxCall{}
		// Alerting ends both Q.931 timers.
		effs = r.do(node.Message{Conn: 22, Payload: pc.send(t, pbxLeg.Alerting())})
		cancelled := nt.All[node.CancelTimer](effs)
		if len(cancelled) != 2 || cancelled[0].ID != t303 || cancelled[1].ID.Kind == t303.Kind {
			t.Errorf("Alerting cancels %+v, want T303 and T310", cancelled)
		}
		// Connect arms the hang-up, which clears the call with 16.
		effs = r.do(node.Message{Conn: 22, Payload: pc.send(t, pbxLeg.Connect())})
		effs = r.fire(effs, 5*time.Second)
		if got := nt.ReleaseCause(t, effs, 22); got != phone.CauseNormalClearing {
			t.Errorf("cause %d", got)
		}
		_, drq := sentRAS(t, effs, "ras.drq")
		if res := r.n.Result(); !res.Connected || res.ReleaseCause != phone.CauseNormalClearing {
			t.Errorf("Result %+v", res)
		}
		// The call is over (DCF): so is the run.
		effs = r.ras(gkRAS, ras.NewDCF(ras.SeqNum(drq)))
		sentRAS(t, effs, "ras.urq")
	})
	t.Run("no timers configured", func(t *testing.T) {
		cfg := deskConfig()
		cfg.SetupTimeout, cfg.ProceedingTimeout = 0, 0
		_, _, effs := placed(t, cfg)
		if len(nt.All[node.SetTimer](effs)) != 0 {
			t.Errorf("timers armed with the Setup: %s", nt.Show(effs))
		}
	})
}

func TestPhonePlacedCallDialFails(t *testing.T) {
	cfg := deskConfig()
	cfg.StopAfterCall = true
	r := newRig(t, cfg)
	r.register(r.listen(), nil)
	_, arq := sentRAS(t, r.do(node.Command{Cmd: phone.PlaceCall{To: "201"}}), "ras.arq")
	d := nt.DialTo(t, r.ras(gkRAS, ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal)), pbxSignal)
	effs := r.do(node.Dialled{Ref: d.Ref, Remote: pbxSignal, Err: node.ErrRefused})
	nt.WantAttrs(t, nt.Record(t, effs, "call.not_placed"), "to", "201", "reason", "dial: connection refused")
	sentRAS(t, effs, "ras.drq") // the admitted call is disengaged
	if r.n.Result().CallFailure != "dial: connection refused" {
		t.Errorf("Result %+v", r.n.Result())
	}
}

// --- H.460.17

func TestPhoneH46017TunnelsRAS(t *testing.T) {
	cfg := deskConfig()
	cfg.Transport, cfg.Discover = phone.H460TCP, false
	r := newRig(t, cfg)
	effs := r.listen()
	if len(nt.All[node.SendTo](effs)) != 0 {
		t.Fatalf("RAS on the socket of an H.460.17 phone: %s", nt.Show(effs))
	}
	d := nt.DialTo(t, effs, pbxSignal)
	if d.Transport != node.TCP || d.Protocol != "q931" {
		t.Errorf("Dial %+v", d)
	}
	const conn node.ConnID = 5
	local := netip.AddrPortFrom(phoneIP, 50200)
	effs = r.do(node.Dialled{Ref: d.Ref, Conn: conn, Local: local, Remote: pbxSignal})
	s := nt.One[node.Send](t, effs)
	if s.Conn != conn || s.Event.Name != "ras.rrq" || s.Event.Protocol != "ras" || attrOf(s.Event.Attrs, "tunnel") != "h460.17" {
		t.Fatalf("tunnelled RRQ %+v", s)
	}
	if !h323.IsRASTunnel(s.Payload) {
		t.Fatal("the RRQ is not in an H.460.17 Facility")
	}
	msgs, err := h323.DecodeRASTunnel(s.Payload)
	if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0], s.Event.Wire) {
		t.Fatalf("tunnel carries %x (%v), Event.Wire %x", msgs, err, s.Event.Wire)
	}
	rrq, err := ras.Decode(s.Event.Wire)
	if err != nil || rrq.Choice != h225.RasMessageRegistrationRequest || !*rrq.RegistrationRequest.MaintainConnection {
		t.Fatalf("Event.Wire is not the RRQ with maintainConnection: %v", err)
	}

	rcf, _ := ras.Encode(ras.NewRCF(ras.SeqNum(rrq), "pbx.example", pbxSignal,
		ras.Info{Alias: "bob", Number: "202", EndpointID: "ep-0001"}, 120*time.Second))
	tunnelled, _ := h323.EncodeRASTunnel(rcf)
	r.do(node.Message{Conn: conn, Payload: tunnelled})
	if !r.n.Registered() {
		t.Fatal("the tunnelled RCF did not register")
	}

	// A call arrives on the same connection; its ARQ too goes there.
	pc, setup := newPBXCall(t, 31, true, pbxSignal, local)
	effs = r.do(node.Message{Conn: conn, Payload: setup})
	nt.SentQ931(t, effs, conn, q931.CallProceeding)
	var arq node.Send
	for _, s := range nt.All[node.Send](effs) {
		if s.Event.Name == "ras.arq" {
			arq = s
		}
	}
	if arq.Conn != conn || attrOf(arq.Event.Attrs, "tunnel") != "h460.17" || len(nt.All[node.SendTo](effs)) != 0 {
		t.Fatalf("ARQ not tunnelled: %s", nt.Show(effs))
	}
	// The call ends; the maintained connection stays.
	effs = r.do(node.Message{Conn: conn, Payload: pc.send(t, pc.leg.Release(16))})
	if len(nt.All[node.Close](effs)) != 0 {
		t.Errorf("closed the maintained connection after a call: %s", nt.Show(effs))
	}
}

func TestPhoneH46017DialFailureLosesRAS(t *testing.T) {
	cfg := deskConfig()
	cfg.Transport, cfg.Discover = phone.H460TCP, false
	r := newRig(t, cfg)
	effs := r.listen()
	d := nt.DialTo(t, effs, pbxSignal)
	retry := timerAfter(t, effs, ras.RequestTimeout)
	effs = r.do(node.Dialled{Ref: d.Ref, Remote: pbxSignal, Err: node.ErrRefused})
	rec := nt.Record(t, effs, "ras.rrq")
	nt.WantAttrs(t, rec, "from", "bob-desk", "to", "pbx", "lost", "true")
	// The endpoint retransmits: a new connection is tried.
	r.after(ras.RequestTimeout)
	effs = r.do(node.TimerFired{ID: retry})
	nt.DialTo(t, effs, pbxSignal)
}

func attrOf(attrs []timeline.Attr, key string) string {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

func TestPhonePlacedCallNotAdmitted(t *testing.T) {
	r := newRig(t, deskConfig())
	r.register(r.listen(), nil)
	_, arq := sentRAS(t, r.do(node.Command{Cmd: phone.PlaceCall{To: "299"}}), "ras.arq")
	effs := r.ras(gkRAS, ras.NewARJ(ras.SeqNum(arq), h225.AdmissionRejectReasonCalledPartyNotRegistered))
	nt.WantAttrs(t, nt.Record(t, effs, "call.not_placed"), "device", "bob-desk", "to", "299", "reason", "calledPartyNotRegistered")
	if len(nt.All[node.Dial](effs)) != 0 || len(nt.All[node.SendTo](effs)) != 0 {
		t.Errorf("a refused call went on: %s", nt.Show(effs))
	}
	// Not registered at all: no ARQ, the call is not placed.
	r = newRig(t, deskConfig())
	r.listen()
	effs = r.do(node.Command{Cmd: phone.PlaceCall{To: "201"}})
	nt.WantAttrs(t, nt.Record(t, effs, "call.not_placed"), "reason", "notRegistered")
}

func TestPhoneH46017PlacedCallAndLostConnection(t *testing.T) {
	cfg := deskConfig()
	cfg.Transport, cfg.Discover = phone.H460TCP, false
	r := newRig(t, cfg)
	d := nt.DialTo(t, r.listen(), pbxSignal)
	const conn node.ConnID = 5
	local := netip.AddrPortFrom(phoneIP, 50200)
	rrq, _ := ras.Decode(nt.One[node.Send](t, r.do(node.Dialled{Ref: d.Ref, Conn: conn, Local: local, Remote: pbxSignal})).Event.Wire)
	tunnel := func(m *h225.RasMessage) []byte {
		b, _ := ras.Encode(m)
		f, _ := h323.EncodeRASTunnel(b)
		return f
	}
	r.do(node.Message{Conn: conn, Payload: tunnel(ras.NewRCF(ras.SeqNum(rrq), "pbx.example", pbxSignal,
		ras.Info{Alias: "bob", EndpointID: "ep-0001"}, 120*time.Second))})

	// A placed call's Setup goes on the maintained connection.
	effs := r.do(node.Command{Cmd: phone.PlaceCall{To: "201"}})
	var arq *h225.RasMessage
	for _, s := range nt.All[node.Send](effs) {
		arq, _ = ras.Decode(s.Event.Wire)
	}
	effs = r.do(node.Message{Conn: conn, Payload: tunnel(ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal))})
	if len(nt.All[node.Dial](effs)) != 0 {
		t.Fatalf("dialled for a call with a maintained connection: %s", nt.Show(effs))
	}
	m, _ := nt.SentQ931(t, effs, conn, q931.Setup)
	if m.CallReference == 0 {
		t.Error("Setup without a call reference")
	}
	// The connection drops: the call is over; its DRQ opens a new
	// connection, which the next call's ARQ waits for too.
	effs = r.do(node.Closed{Conn: conn, Err: node.ErrReset})
	if len(nt.All[node.Close](effs)) != 0 || len(nt.All[node.Send](effs)) != 0 {
		t.Errorf("wrote to a connection that is gone: %s", nt.Show(effs))
	}
	d = nt.DialTo(t, effs, pbxSignal)
	if effs := r.do(node.Command{Cmd: phone.PlaceCall{To: "201"}}); len(nt.All[node.Dial](effs)) != 0 {
		t.Errorf("a second connection while one is dialled: %s", nt.Show(effs))
	}
	effs = r.do(node.Dialled{Ref: d.Ref, Conn: 6, Local: local, Remote: pbxSignal})
	var sent []string
	for _, s := range nt.All[node.Send](effs) {
		if s.Conn == 6 {
			sent = append(sent, s.Event.Name)
		}
	}
	if !slices.Equal(sent, []string{"ras.drq", "ras.arq"}) {
		t.Errorf("on the new connection: %q", sent)
	}
}

// On a real network the PBX's Setup (TCP) can overtake the RCF it sent
// first (UDP) to a phone that just asked to register: the phone holds the
// call until the RCF, then asks admission and rings; it does not refuse it
// as the call of an unregistered phone.
func TestPhoneSetupBeforeRCFIsHeld(t *testing.T) {
	r := newRig(t, deskConfig())
	effs := r.listen()
	_, grq := sentRAS(t, effs, "ras.grq")
	effs = r.ras(gkRAS, ras.NewGCF(ras.SeqNum(grq), "pbx.example", gkRAS, nil))
	_, rrq := sentRAS(t, effs, "ras.rrq")
	_, setup := newPBXCall(t, 9, false, pbxEphem, r.sigAddr)
	r.do(node.Accepted{Listener: r.sigSock, Conn: 6, Local: r.sigAddr, Remote: pbxEphem})
	effs = r.do(node.Message{Conn: 6, Payload: setup})
	nt.SentQ931(t, effs, 6, q931.CallProceeding)
	if len(nt.Records(effs, "call.not_admitted")) != 0 || len(nt.All[node.SendTo](effs)) != 0 {
		t.Fatalf("Setup before the RCF: %s, want only Call Proceeding", nt.Show(effs))
	}
	effs = r.ras(gkRAS, ras.NewRCF(ras.SeqNum(rrq), "pbx.example", pbxSignal,
		ras.Info{Alias: "bob", Number: "202", EndpointID: "ep-0001"}, 120*time.Second))
	_, arq := sentRAS(t, effs, "ras.arq")
	if !arq.AdmissionRequest.AnswerCall {
		t.Errorf("ARQ after the RCF does not ask to answer")
	}
	effs = r.ras(gkRAS, ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal))
	nt.Record(t, effs, phone.EventRinging)
	nt.SentQ931(t, effs, 6, q931.Alerting)
}
