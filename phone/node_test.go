package phone_test

import (
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
		// RAS retransmission timers are jittered by ±10 % (ras.RetransmitJitter).
		jitter := time.Duration(0)
		if ras.IsTimer(s.ID) {
			jitter = d * ras.RetransmitJitter / 1000
		}
		if s.After >= d-jitter && s.After <= d+jitter {
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

// A registration that times out is retried after Reregister, the wait
// doubling with each failure and jittered by ±25 %; one refused for its
// aliases is not retried.
func TestPhoneReregistersWithBackoff(t *testing.T) {
	cfg := deskConfig()
	cfg.Discover, cfg.Reregister, cfg.ReregisterBackoff = false, 5*time.Second, true
	r := newRig(t, cfg)
	effs := r.listen()
	// timeOut fires the RAS timers until the registration fails and returns
	// the wait the phone then arms.
	timeOut := func(effs []node.Effect) node.SetTimer {
		t.Helper()
		for range 10 {
			sentRAS(t, effs, "ras.rrq")
			timers := nt.All[node.SetTimer](effs)
			last := timers[len(timers)-1]
			r.after(last.After)
			effs = r.do(node.TimerFired{ID: last.ID})
			if slices.ContainsFunc(nt.All[node.Record](effs), func(x node.Record) bool { return x.Name == "phone.registration_failed" }) {
				for _, st := range nt.All[node.SetTimer](effs) {
					if !ras.IsTimer(st.ID) { // not the cleanup URQ's
						return st
					}
				}
				t.Fatalf("no retry after the failure: %s", nt.Show(effs))
			}
		}
		t.Fatalf("the registration never timed out")
		return node.SetTimer{}
	}
	base := 5 * time.Second
	for i, want := range []time.Duration{base, 2 * base, 4 * base, 8 * base, 16 * base, 16 * base} {
		wait := timeOut(effs)
		if lo, hi := want*3/4, want*5/4; wait.After < lo || wait.After >= hi {
			t.Fatalf("failure %d: retry after %s, want %s ±25 %%", i+1, wait.After, want)
		}
		r.after(wait.After)
		effs = r.do(node.TimerFired{ID: wait.ID})
	}
	_, rrq := sentRAS(t, effs, "ras.rrq")
	effs = r.ras(gkRAS, ras.NewRRJ(ras.SeqNum(rrq), "pbx.example", h225.RegistrationRejectReasonInvalidAlias))
	nt.Record(t, effs, "phone.registration_failed")
	for _, st := range nt.All[node.SetTimer](effs) {
		if !ras.IsTimer(st.ID) {
			t.Errorf("a refused registration is retried: %s", nt.Show(effs))
		}
	}
}

// An app opened by an action at time 0, before its sockets are bound,
// registers once they are.
func TestPhoneOpenedBeforeItsSocketsAreBound(t *testing.T) {
	cfg := appConfig()
	cfg.Core.App = phone.Closed
	r := newRig(t, cfg)
	listens := nt.All[node.Listen](r.do(node.Start{}))
	if len(listens) < 2 {
		t.Fatalf("Start: %d Listen effects", len(listens))
	}
	r.do(node.Command{Cmd: phone.AppStateChanged{State: phone.Foreground}})
	r.rasSock, r.sigSock = listens[0].Sock, listens[1].Sock
	r.rasAddr, r.sigAddr = bound(listens[0].Addr, 50000), bound(listens[1].Addr, 50001)
	r.do(node.Listening{Sock: r.rasSock, Addr: r.rasAddr})
	effs := r.do(node.Listening{Sock: r.sigSock, Addr: r.sigAddr})
	sentRAS(t, effs, "ras.grq")
}
