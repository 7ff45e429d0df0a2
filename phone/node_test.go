package phone_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
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
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// These tests drive phone.Node through the node contract alone: node.Input
// values in, node.Effect values out, with no driver and no network. The
// PBX's side of each conversation is built with the ras and h323 packages,
// so every message the phone is handed is real bytes.

var (
	epoch       = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	pbxIP       = netip.MustParseAddr("10.0.0.1")
	phoneIP     = netip.MustParseAddr("10.0.1.5")
	gkRAS       = netip.AddrPortFrom(pbxIP, phone.PortRAS)
	gkDTLS      = netip.AddrPortFrom(pbxIP, phone.PortSecure)
	pbxSignal   = netip.AddrPortFrom(pbxIP, phone.PortSignalling)
	pbxSecure   = netip.AddrPortFrom(pbxIP, phone.PortSecure)
	pbxSession  = netip.AddrPortFrom(pbxIP, 443)
	apnsDevices = netip.MustParseAddrPort("10.0.0.3:5223")
	pbxEphem    = netip.AddrPortFrom(pbxIP, 40001) // the PBX's end of a connection it dialled
)

// deskConfig is bob's desk phone on the PBX, as the scenario world builds
// one: it discovers the gatekeeper, then registers, and answers after 2 s.
func deskConfig() phone.NodeConfig {
	core := phone.Defaults("bob-desk", phone.KindDeskphone, "")
	core.Answer = phone.Answer{Mode: phone.AnswerAfter, After: 2 * time.Second}
	return phone.NodeConfig{
		Core: core, Alias: "bob", Number: "202", DeviceAlias: "bob-desk",
		Discover: true, IP: phoneIP, RASPort: phone.PortRAS, SignalPort: phone.PortSignalling,
		Gatekeeper: gkRAS, PBXSignal: pbxSignal, PBX: "pbx", Report: true,
		SetupTimeout: phone.DefaultSetupTimeout, ProceedingTimeout: phone.DefaultProceedingTimeout,
		Random: rand.NewChaCha8([32]byte{1}),
	}
}

// appConfig is alice's myApps on an iPhone, in background, with its push
// path: the connection to APNs and the myApps session to the PBX.
func appConfig() phone.NodeConfig {
	core := phone.Defaults("alice-iphone", phone.KindMyApps, phone.IOS)
	core.Answer = phone.Answer{Mode: phone.AnswerAfter, After: time.Second}
	cfg := deskConfig()
	cfg.Core, cfg.Alias, cfg.Number, cfg.DeviceAlias = core, "alice", "201", "alice-iphone"
	cfg.Vendor, cfg.Platform, cfg.Token, cfg.Session = apnsDevices, push.PlatformAPNs, "feedbeef", pbxSession
	return cfg
}

// rig holds one phone node and the clock the test moves.
type rig struct {
	t   *testing.T
	n   *phone.Node
	now time.Time
	// rasSock and sigSock are the sockets the phone asked for at Start.
	rasSock, sigSock node.SockID
	rasAddr, sigAddr netip.AddrPort
}

func newRig(t *testing.T, cfg phone.NodeConfig) *rig {
	t.Helper()
	n, err := phone.NewNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, n: n, now: epoch}
}

// do hands the node one input and returns a copy of its effects (the node
// may reuse the slice at its next input).
func (r *rig) do(in node.Input) []node.Effect { return slices.Clone(r.n.Handle(r.now, in)) }

// after moves the clock on.
func (r *rig) after(d time.Duration) { r.now = r.now.Add(d) }

// listen starts the phone and binds its two sockets; it returns the effects
// of the second Listening, where the phone starts.
func (r *rig) listen() []node.Effect {
	r.t.Helper()
	listens := nt.All[node.Listen](r.do(node.Start{}))
	if len(listens) != 2 {
		r.t.Fatalf("Start: %d Listen effects, want 2", len(listens))
	}
	r.rasSock, r.sigSock = listens[0].Sock, listens[1].Sock
	r.rasAddr, r.sigAddr = bound(listens[0].Addr, 50000), bound(listens[1].Addr, 50001)
	if effs := r.do(node.Listening{Sock: r.rasSock, Addr: r.rasAddr}); len(effs) != 0 {
		r.t.Fatalf("first Listening: %s, want nothing before both sockets are bound", nt.Show(effs))
	}
	return r.do(node.Listening{Sock: r.sigSock, Addr: r.sigAddr})
}

// bound is the address a driver binds for a Listen: port 0 picks one.
func bound(a netip.AddrPort, free uint16) netip.AddrPort {
	if a.Port() == 0 {
		return netip.AddrPortFrom(a.Addr(), free)
	}
	return a
}

// ras hands the phone a RAS message from the gatekeeper on its RAS socket.
func (r *rig) ras(from netip.AddrPort, m *h225.RasMessage) []node.Effect {
	r.t.Helper()
	b, err := ras.Encode(m)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.do(node.Datagram{Sock: r.rasSock, From: from, To: r.rasAddr, Payload: b})
}

// register runs discovery and registration: GRQ → GCF, RRQ → RCF.
func (r *rig) register(effs []node.Effect, edit func(*h225.RegistrationConfirm)) []node.Effect {
	r.t.Helper()
	_, grq := sentRAS(r.t, effs, "ras.grq")
	effs = r.ras(gkRAS, ras.NewGCF(ras.SeqNum(grq), "pbx.example", gkRAS, nil))
	return r.rcf(effs, edit)
}

// rcf answers the RRQ among effs.
func (r *rig) rcf(effs []node.Effect, edit func(*h225.RegistrationConfirm)) []node.Effect {
	r.t.Helper()
	_, rrq := sentRAS(r.t, effs, "ras.rrq")
	m := ras.NewRCF(ras.SeqNum(rrq), "pbx.example", pbxSignal,
		ras.Info{Alias: "bob", Number: "202", EndpointID: "ep-0001"}, 120*time.Second)
	if edit != nil {
		edit(m.RegistrationConfirm)
	}
	effs = r.ras(gkRAS, m)
	if !r.n.Registered() {
		r.t.Fatalf("not registered after the RCF: %s", nt.Show(effs))
	}
	return effs
}

// fire hands the node the timer it armed among effs after the given time.
func (r *rig) fire(effs []node.Effect, after time.Duration) []node.Effect {
	r.t.Helper()
	id := timerAfter(r.t, effs, after)
	r.after(after)
	return r.do(node.TimerFired{ID: id})
}

func preGrant(rcf *h225.RegistrationConfirm) {
	rcf.PreGrantedARQ = &h225.RegistrationConfirmPreGrantedARQ{AnswerCall: true, UseGKCallSignalAddressToAnswer: true}
}

// --- effect helpers

// sentRAS finds the one datagram whose event is name and decodes it.
func sentRAS(t *testing.T, effs []node.Effect, name string) (node.SendTo, *h225.RasMessage) {
	t.Helper()
	var found []node.SendTo
	for _, s := range nt.All[node.SendTo](effs) {
		if s.Event.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one SendTo %s, got %d in %s", name, len(found), nt.Show(effs))
	}
	m, err := ras.Decode(found[0].Payload)
	if err != nil {
		t.Fatalf("%s does not decode: %v", name, err)
	}
	if got := ras.EventName(m); got != name {
		t.Fatalf("event %s carries a %s", name, got)
	}
	return found[0], m
}

func noQ931(t *testing.T, effs []node.Effect, typ q931.MessageType) {
	t.Helper()
	for _, s := range nt.All[node.Send](effs) {
		if s.Event.Name == typ.EventName() {
			t.Fatalf("unexpected %s in %s", typ.EventName(), nt.Show(effs))
		}
	}
}

// timerAfter finds the one timer armed for d.
func timerAfter(t *testing.T, effs []node.Effect, d time.Duration) node.TimerID {
	t.Helper()
	var ids []node.TimerID
	for _, s := range nt.All[node.SetTimer](effs) {
		if s.After == d {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("want one timer of %v, got %d in %s", d, len(ids), nt.Show(effs))
	}
	return ids[0]
}

func aliasTexts(list []h225.AliasAddress) []string {
	var out []string
	for _, a := range list {
		out = append(out, ras.AliasText(a))
	}
	return out
}

// --- the PBX's side of a call

// pbxCall is the PBX's leg of a call to the phone: it builds the Setup and
// reads what the phone answers.
type pbxCall struct {
	leg  *h323.Leg
	guid [16]byte
}

func newPBXCall(t *testing.T, crv uint16, maintain bool, local, remote netip.AddrPort) (*pbxCall, []byte) {
	t.Helper()
	var g [16]byte
	copy(g[:], "call-guid-000001")
	g[15] = byte(crv)
	c := &pbxCall{guid: g, leg: h323.NewLeg(h323.LegConfig{Outgoing: true, CallReference: crv, CallID: g, ConferenceID: g,
		CallingNumber: "201", CallingName: "alice", CalledNumber: "202", SourceAlias: "pbx",
		Local: local, Remote: remote, PrivateNetwork: true, MaintainConnection: maintain})}
	return c, c.send(t, c.leg.Setup())
}

func (c *pbxCall) send(t *testing.T, effs []h323.Effect) []byte {
	t.Helper()
	for _, e := range effs {
		if s, ok := e.(h323.Send); ok {
			return s.Payload
		}
	}
	t.Fatalf("the PBX's leg sent nothing: %#v", effs)
	return nil
}

// --- start

func TestPhoneStartListensPerTransport(t *testing.T) {
	tests := []struct {
		transport        phone.Transport
		ras, sig         node.Transport
		rasPort, sigPort uint16
	}{
		{phone.H323, node.UDP, node.TCP, phone.PortRAS, phone.PortSignalling},
		{phone.H460TCP, node.UDP, node.TCP, phone.PortRAS, phone.PortSignalling},
		{phone.H460TLS, node.UDP, node.TLS, phone.PortRAS, phone.PortSecure},
		{phone.DTLS, node.DTLS, node.TLS, phone.PortRAS, phone.PortSecure},
	}
	for _, tt := range tests {
		t.Run(tt.transport.Name(), func(t *testing.T) {
			cfg := deskConfig()
			cfg.Transport = tt.transport
			if tt.transport.Secure() {
				cfg.SignalPort = phone.PortSecure
			}
			r := newRig(t, cfg)
			effs := r.do(node.Start{})
			if len(effs) != 2 {
				t.Fatalf("Start: %s, want two Listen effects", nt.Show(effs))
			}
			l := nt.All[node.Listen](effs)
			want := []node.Listen{
				{Sock: l[0].Sock, Addr: netip.AddrPortFrom(phoneIP, tt.rasPort), Transport: tt.ras, Protocol: "ras"},
				{Sock: l[1].Sock, Addr: netip.AddrPortFrom(phoneIP, tt.sigPort), Transport: tt.sig, Protocol: "q931"},
			}
			for i := range want {
				if l[i].Sock == 0 || l[i].Addr != want[i].Addr || l[i].Transport != want[i].Transport ||
					l[i].Protocol != want[i].Protocol || l[i].Path != "" || l[i].Security != nil {
					t.Errorf("Listen %d = %+v, want %+v", i, l[i], want[i])
				}
			}
			if l[0].Sock == l[1].Sock {
				t.Errorf("both sockets are %d", l[0].Sock)
			}
		})
	}
}

// The endpoint starts once both sockets are bound, and announces the
// addresses the driver bound (a port 0 picked one), not the ones asked for.
func TestPhoneDeskRegistersWithBoundAddresses(t *testing.T) {
	cfg := deskConfig()
	cfg.RASPort, cfg.SignalPort = 0, 0
	r := newRig(t, cfg)
	effs := r.listen()
	st, grq := sentRAS(t, effs, "ras.grq")
	if st.Sock != r.rasSock || st.To != gkRAS || st.Event.Protocol != "ras" {
		t.Errorf("GRQ sent %+v, want on the RAS socket to %v", st, gkRAS)
	}
	if got, _ := ras.AddrPort(&grq.GatekeeperRequest.RasAddress); got != r.rasAddr {
		t.Errorf("GRQ rasAddress %v, want the bound %v", got, r.rasAddr)
	}
	nt.One[node.SetTimer](t, effs) // the GRQ's retransmission
	if r.n.Registered() {
		t.Fatal("registered before any answer")
	}

	effs = r.ras(gkRAS, ras.NewGCF(ras.SeqNum(grq), "pbx.example", gkRAS, nil))
	st, rrq := sentRAS(t, effs, "ras.rrq")
	if st.Sock != r.rasSock || st.To != gkRAS {
		t.Errorf("RRQ sent %+v", st)
	}
	req := rrq.RegistrationRequest
	if got := aliasTexts(req.TerminalAlias); !slices.Equal(got, []string{"bob", "202", "bob-desk"}) {
		t.Errorf("RRQ aliases %q, want user, number, then the device", got)
	}
	if got, _ := ras.AddrPort(&req.CallSignalAddress[0]); got != r.sigAddr {
		t.Errorf("RRQ callSignalAddress %v, want the bound %v", got, r.sigAddr)
	}
	if got, _ := ras.AddrPort(&req.RasAddress[0]); got != r.rasAddr {
		t.Errorf("RRQ rasAddress %v, want %v", got, r.rasAddr)
	}
	if *req.MaintainConnection {
		t.Error("a plain H.323 phone announces maintainConnection")
	}

	effs = r.rcf(effs, nil)
	rec := nt.Record(t, effs, "phone.registered")
	nt.WantAttrs(t, rec, "endpoint_id", "ep-0001", "ttl", "2m0s")
	if res := r.n.Result(); !res.Registered || res.RASAddress != r.rasAddr || res.SignalAddress != r.sigAddr {
		t.Errorf("Result %+v", res)
	}
	// The keep-alive is due at 90 % of the granted 120 s.
	timerAfter(t, effs, 108*time.Second)
}

func TestPhoneRegistrationRejected(t *testing.T) {
	cfg := deskConfig()
	cfg.Discover, cfg.StopOnFailure = false, true
	r := newRig(t, cfg)
	_, rrq := sentRAS(t, r.listen(), "ras.rrq")
	effs := r.ras(gkRAS, ras.NewRRJ(ras.SeqNum(rrq), "pbx.example", h225.RegistrationRejectReasonInvalidAlias))
	nt.WantAttrs(t, nt.Record(t, effs, "phone.registration_failed"), "reason", "invalidAlias")
	nt.One[node.Done](t, effs)
	if r.n.Registered() || r.n.Result().Failure != "invalidAlias" {
		t.Errorf("Registered %v, Result %+v", r.n.Registered(), r.n.Result())
	}
}

func TestPhoneListenFailureEnds(t *testing.T) {
	r := newRig(t, deskConfig())
	listens := nt.All[node.Listen](r.do(node.Start{}))
	effs := r.do(node.Listening{Sock: listens[0].Sock, Err: errors.New("address in use")})
	nt.WantAttrs(t, nt.Record(t, effs, "phone.listen_failed"), "error", "address in use")
	nt.One[node.Done](t, effs)
	if effs := r.do(node.Listening{Sock: listens[1].Sock, Addr: netip.AddrPortFrom(phoneIP, 1720)}); len(effs) != 0 {
		t.Errorf("the other socket bound after the failure: %s", nt.Show(effs))
	}
	// The signalling listener is up: a Setup may still arrive. The phone
	// has no RAS endpoint to ask admission with, so it takes no call.
	_, setup := newPBXCall(t, 7, false, pbxEphem, netip.AddrPortFrom(phoneIP, 1720))
	r.do(node.Accepted{Listener: listens[1].Sock, Conn: 3, Local: netip.AddrPortFrom(phoneIP, 1720), Remote: pbxEphem})
	effs = r.do(node.Message{Conn: 3, Payload: setup})
	noQ931(t, effs, q931.CallProceeding)
	if c := nt.One[node.Close](t, effs); c.Conn != 3 {
		t.Errorf("closed %d, want the Setup's connection 3", c.Conn)
	}
}

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

// --- the push path

// appUp starts the app and brings up its vendor connection (conn 31) and
// its session (conn 32).
func appUp(t *testing.T, cfg phone.NodeConfig) (*rig, []node.Effect) {
	t.Helper()
	r := newRig(t, cfg)
	effs := r.listen()
	if len(nt.All[node.SendTo](effs)) != 0 {
		t.Fatalf("a background app registered at start: %s", nt.Show(effs))
	}
	vendor := nt.DialTo(t, effs, apnsDevices)
	if vendor.Transport != node.WSS || vendor.Protocol != push.PlatformAPNs || vendor.From != phoneIP {
		t.Errorf("vendor Dial %+v", vendor)
	}
	var out []node.Effect
	effs2 := r.do(node.Dialled{Ref: vendor.Ref, Conn: 31, Local: netip.AddrPortFrom(phoneIP, 50300), Remote: apnsDevices})
	hello := nt.One[node.Send](t, effs2)
	m, err := push.DecodeDevice(hello.Payload)
	if hello.Conn != 31 || err != nil || m.MT != push.MTHello || m.Token != "feedbeef" {
		t.Errorf("vendor hello %+v %v", m, err)
	}
	out = append(out, effs2...)
	if !cfg.Core.WebSocketSession {
		for _, d := range nt.All[node.Dial](effs) {
			if d.To == pbxSession {
				t.Errorf("an app without a session dials it: %+v", d)
			}
		}
		return r, out
	}
	session := nt.DialTo(t, effs, pbxSession)
	if session.Transport != node.WSS || session.Path != "/myapps" || session.Protocol != "session" {
		t.Errorf("session Dial %+v", session)
	}
	effs2 = r.do(node.Dialled{Ref: session.Ref, Conn: 32, Local: netip.AddrPortFrom(phoneIP, 50301), Remote: pbxSession})
	reg := nt.One[node.Send](t, effs2)
	sm, err := push.DecodeSession(reg.Payload)
	if reg.Conn != 32 || err != nil || sm != (push.SessionMessage{MT: push.MTPushRegister, Device: "alice-iphone",
		Token: "feedbeef", Platform: push.PlatformAPNs}) {
		t.Errorf("session hello %+v %v", sm, err)
	}
	return r, append(out, effs2...)
}

func testKey(t *testing.T) push.Key {
	t.Helper()
	k, err := push.NewKey("alice-iphone", rand.NewChaCha8([32]byte{7}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyMessage(k push.Key) []byte { return push.EncodeJSON(push.KeyMessage(k)) }

func TestPhoneAppPushPath(t *testing.T) {
	var decrypted []string
	cfg := appConfig()
	cfg.Decrypted = func(typ string, d push.Details) { decrypted = append(decrypted, typ+" "+d.Number+" "+d.Name) }
	r, _ := appUp(t, cfg)

	// The key comes over the session: recorded once per key path.
	k := testKey(t)
	effs := r.do(node.Message{Conn: 32, Payload: keyMessage(k)})
	rec := nt.Record(t, effs, phone.EventKeyReceived)
	nt.WantAttrs(t, rec, "device", "alice-iphone", "via", phone.KeyViaWebSocket)
	if rec.About == nil || rec.About.Conn != 32 {
		t.Errorf("key_received About %+v, want the session", rec.About)
	}
	if effs := r.do(node.Message{Conn: 32, Payload: keyMessage(k)}); len(effs) != 0 {
		t.Errorf("a second key on the same path: %s", nt.Show(effs))
	}

	// A push arrives on the vendor connection, sealed with that key; the
	// PBX's name lookup had not finished (B17): the number only.
	pc, setup := newPBXCall(t, 3, false, pbxEphem, netip.AddrPortFrom(phoneIP, phone.PortSignalling))
	sealed, err := push.Seal(k, "call", push.Details{Number: "201"}, rand.NewChaCha8([32]byte{9}))
	if err != nil {
		t.Fatal(err)
	}
	payload := push.EncodeJSON(push.PhonePayload{Type: "call", Call: hex.EncodeToString(pc.guid[:]),
		KeyID: sealed.KeyID, Nonce: sealed.Nonce, Ciphertext: sealed.Ciphertext})
	effs = r.do(node.Message{Conn: 31, Payload: push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Payload: payload})})
	delivered := nt.Record(t, effs, phone.EventPushDelivered)
	nt.WantAttrs(t, delivered, "device", "alice-iphone")
	if a := delivered.About; a == nil || a.Conn != 31 || a.Protocol != push.PlatformAPNs || !bytes.Equal(a.Payload, payload) || a.Sent {
		t.Errorf("push.delivered About %+v, want the push received on the vendor connection", a)
	}
	nt.WantAttrs(t, nt.Record(t, effs, phone.EventAppStarted), "device", "alice-iphone", "reason", phone.ReasonPush)
	if !slices.Equal(decrypted, []string{"call 201 "}) {
		t.Errorf("the app read %q", decrypted)
	}

	// After the wake latency the app registers.
	effs = r.fire(effs, time.Second)
	_, grq := sentRAS(t, effs, "ras.grq")
	effs = r.ras(gkRAS, ras.NewGCF(ras.SeqNum(grq), "pbx.example", gkRAS, nil))
	r.rcf(effs, preGrant)

	// The Setup of the pushed call rings with what the push showed; iOS
	// then updates the call screen from the Setup's name.
	r.do(node.Accepted{Listener: r.sigSock, Conn: 40, Local: r.sigAddr, Remote: pbxEphem})
	effs = r.do(node.Message{Conn: 40, Payload: setup})
	nt.WantAttrs(t, nt.Record(t, effs, phone.EventRinging), "device", "alice-iphone", "number", "201", "name", "")
	nt.WantAttrs(t, nt.Record(t, effs, phone.EventCallerUpdated), "number", "201", "name", "alice")
}

func TestPhoneAppPushWithoutKey(t *testing.T) {
	var decrypted []string
	cfg := appConfig()
	cfg.Decrypted = func(typ string, d push.Details) { decrypted = append(decrypted, typ+"|"+d.Number+"|"+d.Name) }
	r, _ := appUp(t, cfg)
	// Sealed under a key the app does not hold: shown without details.
	sealed, _ := push.Seal(testKey(t), "call", push.Details{Number: "202"}, rand.NewChaCha8([32]byte{9}))
	payload := push.EncodeJSON(push.PhonePayload{Type: "call", KeyID: sealed.KeyID, Nonce: sealed.Nonce, Ciphertext: sealed.Ciphertext})
	effs := r.do(node.Message{Conn: 31, Payload: push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Payload: payload})})
	nt.Record(t, effs, phone.EventPushDelivered)
	if !slices.Equal(decrypted, []string{"call||"}) {
		t.Errorf("the app read %q", decrypted)
	}
	// Garbage on the vendor connection is not a push.
	for _, junk := range [][]byte{[]byte("{"), push.EncodeJSON(push.DeviceMessage{MT: push.MTHello}),
		push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Payload: []byte(`{"type":""}`)})} {
		if effs := r.do(node.Message{Conn: 31, Payload: junk}); len(effs) != 0 {
			t.Errorf("%s: %s", junk, nt.Show(effs))
		}
	}
}

func TestPhoneAppDroppedPushNamesNoWire(t *testing.T) {
	cfg := appConfig()
	cfg.Core.IOS.NotificationsAllowed = false
	r, _ := appUp(t, cfg)
	payload := push.EncodeJSON(push.PhonePayload{Type: "call"})
	effs := r.do(node.Message{Conn: 31, Payload: push.EncodeJSON(push.DeviceMessage{MT: push.MTPush, Payload: payload})})
	dropped := nt.Record(t, effs, phone.EventPushDropped)
	nt.WantAttrs(t, dropped, "reason", phone.DropNotificationsDenied)
	if a := dropped.About; a == nil || a.Conn != 31 || a.Protocol != "" || a.Payload != nil {
		t.Errorf("push.dropped About %+v, want the connection without wire bytes", a)
	}
	if len(nt.Records(effs, phone.EventAppStarted)) != 0 {
		t.Error("a dropped push started the app")
	}
}

func TestPhoneVendorConnectionRetries(t *testing.T) {
	cfg := appConfig()
	cfg.Core.WebSocketSession = false
	r := newRig(t, cfg)
	effs := r.listen()
	d := nt.DialTo(t, effs, apnsDevices)
	effs = r.do(node.Dialled{Ref: d.Ref, Remote: apnsDevices, Err: node.ErrRefused})
	if len(nt.All[node.Send](effs)) != 0 {
		t.Fatalf("sent on a connection that failed: %s", nt.Show(effs))
	}
	effs = r.fire(effs, phone.VendorRetry)
	d = nt.DialTo(t, effs, apnsDevices)
	effs = r.do(node.Dialled{Ref: d.Ref, Conn: 8, Remote: apnsDevices})
	nt.One[node.Send](t, effs)
	// The vendor drops the connection: the phone comes back later.
	effs = r.do(node.Closed{Conn: 8, Err: node.ErrReset})
	effs = r.fire(effs, phone.VendorRetry)
	nt.DialTo(t, effs, apnsDevices)
	// A stopping phone does not reconnect.
	r.do(node.Stop{})
	if effs := r.do(node.Closed{Conn: 9}); len(nt.All[node.Dial](effs)) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
}

func TestPhoneSessionKeyOnce(t *testing.T) {
	// With the key from before the run, the app records it at the start;
	// the session's PushKey then brings nothing new.
	cfg := appConfig()
	k := testKey(t)
	cfg.Key = &k
	r := newRig(t, cfg)
	effs := r.listen()
	rec := nt.Record(t, effs, phone.EventKeyReceived)
	nt.WantAttrs(t, rec, "from", "pbx", "to", "alice-iphone", "device", "alice-iphone", "via", phone.KeyViaWebSocket)
	s := nt.DialTo(t, effs, pbxSession)
	r.do(node.Dialled{Ref: s.Ref, Conn: 32, Remote: pbxSession})
	if effs := r.do(node.Message{Conn: 32, Payload: keyMessage(k)}); len(nt.Records(effs, phone.EventKeyReceived)) != 0 {
		t.Errorf("the held key recorded again: %s", nt.Show(effs))
	}
	// The session goes down and comes back: a new path, a new record.
	r.do(node.Command{Cmd: phone.SessionChanged{Up: false}})
	effs = r.do(node.Command{Cmd: phone.SessionChanged{Up: true}})
	s = nt.DialTo(t, effs, pbxSession)
	r.do(node.Dialled{Ref: s.Ref, Conn: 33, Remote: pbxSession})
	nt.Record(t, r.do(node.Message{Conn: 33, Payload: keyMessage(k)}), phone.EventKeyReceived)
	// Junk on the session is ignored.
	for _, junk := range []string{"{", `{"mt":"PushKey","kid":"x","secret":"!!"}`, `{"mt":"Other"}`} {
		if effs := r.do(node.Message{Conn: 33, Payload: []byte(junk)}); len(effs) != 0 {
			t.Errorf("%s: %s", junk, nt.Show(effs))
		}
	}
}

func TestPhoneLogoutTellsThePBX(t *testing.T) {
	r, _ := appUp(t, appConfig())
	effs := r.do(node.Command{Cmd: phone.AppStateChanged{State: phone.LoggedOut}})
	var logout node.Send
	for _, s := range nt.All[node.Send](effs) {
		if s.Conn == 32 {
			logout = s
		}
	}
	m, err := push.DecodeSession(logout.Payload)
	if err != nil || m.MT != push.MTLogout || m.Device != "alice-iphone" {
		t.Fatalf("logout on the session: %+v %v in %s", m, err, nt.Show(effs))
	}
	if c := nt.One[node.Close](t, effs); c.Conn != 32 {
		t.Errorf("closed %d, want the session", c.Conn)
	}
}

// The key over secure RAS (B08): a DTLS app takes the PBX's key message
// itself; the endpoint never sees it. Over plain RAS it is not a key.
func TestPhoneKeyOverSecureRAS(t *testing.T) {
	k := testKey(t)
	nsm, err := ras.Encode(ras.NewKeyMessage(1, keyMessage(k)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []phone.Transport{phone.DTLS, phone.H323} {
		t.Run(tr.Name(), func(t *testing.T) {
			cfg := appConfig()
			cfg.Core.App, cfg.Core.WebSocketSession = phone.Foreground, false
			cfg.Transport, cfg.Discover = tr, false
			if tr == phone.DTLS {
				cfg.Gatekeeper, cfg.PBXSignal, cfg.SignalPort = gkDTLS, pbxSecure, phone.PortSecure
				cfg.Core.SecureSignalling = true
			}
			r := newRig(t, cfg)
			effs := r.listen()
			st, rrq := sentRAS(t, effs, "ras.rrq")
			if st.To != cfg.Gatekeeper || st.Sock != r.rasSock {
				t.Errorf("RRQ to %v on %d", st.To, st.Sock)
			}
			m := ras.NewRCF(ras.SeqNum(rrq), "pbx.example", cfg.PBXSignal, ras.Info{Alias: "alice", EndpointID: "ep-0002"}, 0)
			r.ras(cfg.Gatekeeper, m)
			effs = r.do(node.Datagram{Sock: r.rasSock, From: cfg.Gatekeeper, To: r.rasAddr, Payload: nsm})
			if tr == phone.H323 {
				if len(nt.Records(effs, phone.EventKeyReceived)) != 0 {
					t.Fatalf("took a key over plain RAS: %s", nt.Show(effs))
				}
				nt.WantAttrs(t, nt.Record(t, effs, "ras.ignored"), "message", "ras.nsm")
				return
			}
			if len(effs) != 1 {
				t.Fatalf("key message: %s, want only the key's record (the endpoint must not see it)", nt.Show(effs))
			}
			nt.WantAttrs(t, nt.Record(t, effs, phone.EventKeyReceived), "device", "alice-iphone", "via", "h323-dtls")
			if effs := r.do(node.Datagram{Sock: r.rasSock, From: cfg.Gatekeeper, To: r.rasAddr, Payload: nsm}); len(effs) != 0 {
				t.Errorf("the key again: %s", nt.Show(effs))
			}
		})
	}
}

// --- stop

func TestPhoneStop(t *testing.T) {
	t.Run("URQ then Done after the UCF", func(t *testing.T) {
		r := newRig(t, deskConfig())
		r.register(r.listen(), nil)
		effs := r.do(node.Stop{})
		_, urq := sentRAS(t, effs, "ras.urq")
		if len(nt.All[node.Done](effs)) != 0 {
			t.Fatal("Done before the UCF")
		}
		if effs := r.do(node.Stop{}); len(effs) != 0 {
			t.Errorf("a second Stop: %s", nt.Show(effs))
		}
		effs = r.ras(gkRAS, ras.NewUCF(ras.SeqNum(urq)))
		nt.One[node.Done](t, effs)
		nt.WantAttrs(t, nt.Record(t, effs, "phone.unregistered"), "reason", "urq")
	})
	t.Run("Done after the grace without a UCF", func(t *testing.T) {
		r := newRig(t, deskConfig())
		r.register(r.listen(), nil)
		effs := r.do(node.Stop{})
		var grace node.TimerID
		for _, s := range nt.All[node.SetTimer](effs) {
			if s.ID.Kind >= node.KindsNode {
				grace = s.ID
			}
		}
		if grace.Kind == 0 {
			t.Fatalf("no grace timer of the node's own: %s", nt.Show(effs))
		}
		r.after(ras.RequestTimeout)
		nt.One[node.Done](t, r.do(node.TimerFired{ID: grace}))
	})
	t.Run("not registered: Done at once", func(t *testing.T) {
		r := newRig(t, deskConfig())
		r.listen() // GRQ outstanding
		effs := r.do(node.Stop{})
		nt.One[node.Done](t, effs)
		if len(nt.All[node.SendTo](effs)) != 0 {
			t.Errorf("sent RAS: %s", nt.Show(effs))
		}
	})
	t.Run("a call in progress is released first", func(t *testing.T) {
		r := newRig(t, deskConfig())
		r.register(r.listen(), preGrant)
		_, setup := newPBXCall(t, 12, false, pbxEphem, r.sigAddr)
		r.do(node.Accepted{Listener: r.sigSock, Conn: 14, Local: r.sigAddr, Remote: pbxEphem})
		r.do(node.Message{Conn: 14, Payload: setup})
		effs := r.do(node.Stop{})
		if got := nt.ReleaseCause(t, effs, 14); got != phone.CauseNormalClearing {
			t.Errorf("cause %d, want 16", got)
		}
		sentRAS(t, effs, "ras.urq")
		// A Setup after Stop is refused by closing its connection.
		_, setup = newPBXCall(t, 13, false, pbxEphem, r.sigAddr)
		r.do(node.Accepted{Listener: r.sigSock, Conn: 15, Local: r.sigAddr, Remote: pbxEphem})
		effs = r.do(node.Message{Conn: 15, Payload: setup})
		if c := nt.One[node.Close](t, effs); c.Conn != 15 || len(nt.All[node.Send](effs)) != 0 {
			t.Errorf("%s", nt.Show(effs))
		}
	})
}

func TestPhoneUnknownCommand(t *testing.T) {
	r := newRig(t, deskConfig())
	r.listen()
	nt.WantAttrs(t, nt.Record(t, r.do(node.Command{Cmd: 42}), "phone.unknown_command"), "command", "int")
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

func TestPhoneLoginTellsTheToken(t *testing.T) {
	cfg := appConfig()
	cfg.Core.App = phone.LoggedOut
	r := newRig(t, cfg)
	effs := r.listen()
	for _, d := range nt.All[node.Dial](effs) {
		if d.To == pbxSession {
			t.Fatalf("a logged-out app opens its session: %s", nt.Show(effs))
		}
	}
	effs = r.do(node.Command{Cmd: phone.AppStateChanged{State: phone.Foreground}})
	nt.WantAttrs(t, nt.Record(t, effs, phone.EventAppStarted), "reason", phone.ReasonUser)
	sentRAS(t, effs, "ras.grq")
	s := nt.DialTo(t, effs, pbxSession)
	effs = r.do(node.Dialled{Ref: s.Ref, Conn: 32, Remote: pbxSession})
	m, err := push.DecodeSession(nt.One[node.Send](t, effs).Payload)
	if err != nil || m.MT != push.MTPushRegister || m.Token != "feedbeef" {
		t.Errorf("login says %+v %v", m, err)
	}
}

// Stop ends a call being placed too: no Setup goes out after it.
func TestPhoneStopAbandonsCallBeingPlaced(t *testing.T) {
	t.Run("admission asked", func(t *testing.T) {
		r := newRig(t, deskConfig())
		r.register(r.listen(), nil)
		_, arq := sentRAS(t, r.do(node.Command{Cmd: phone.PlaceCall{To: "201"}}), "ras.arq")
		sentRAS(t, r.do(node.Stop{}), "ras.urq")
		if effs := r.ras(gkRAS, ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal)); len(nt.All[node.Dial](effs)) != 0 {
			t.Errorf("placed a call after Stop: %s", nt.Show(effs))
		}
	})
	t.Run("connection being dialled", func(t *testing.T) {
		r := newRig(t, deskConfig())
		r.register(r.listen(), nil)
		_, arq := sentRAS(t, r.do(node.Command{Cmd: phone.PlaceCall{To: "201"}}), "ras.arq")
		d := nt.DialTo(t, r.ras(gkRAS, ras.NewACF(ras.SeqNum(arq), 1280, pbxSignal)), pbxSignal)
		effs := r.do(node.Stop{})
		sentRAS(t, effs, "ras.drq") // the admitted call is disengaged
		sentRAS(t, effs, "ras.urq")
		effs = r.do(node.Dialled{Ref: d.Ref, Conn: 23, Remote: pbxSignal})
		if c := nt.One[node.Close](t, effs); c.Conn != 23 || len(nt.All[node.Send](effs)) != 0 {
			t.Errorf("set up a call after Stop: %s", nt.Show(effs))
		}
	})
}
