package pbx_test

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/ras"
)

// These tests drive pbx.Node through the node contract alone: node.Input
// values in, node.Effect values out, with no driver and no network. The
// phones' and the push service's side is built with the ras, h323 and push
// packages, so everything the PBX is handed is real bytes.

var (
	epoch     = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	pbxIP     = netip.MustParseAddr("10.0.0.1")
	serviceAt = netip.MustParseAddrPort("10.0.0.2:443")
	pbxRAS    = netip.AddrPortFrom(pbxIP, pbx.PortRAS)
	pbxSignal = netip.AddrPortFrom(pbxIP, pbx.PortSignalling)
)

// phoneAt is a device's host: its RAS and call-signalling addresses.
type phoneAt struct{ ras, sig netip.AddrPort }

func host(last byte) phoneAt {
	ip := netip.AddrFrom4([4]byte{10, 0, 1, last})
	return phoneAt{netip.AddrPortFrom(ip, 1719), netip.AddrPortFrom(ip, 1720)}
}

var (
	bobHost   = host(2)
	aliceHost = host(3)
	otherHost = host(4)
	thirdHost = host(5)
)

func aliceKey(t *testing.T) push.Key {
	t.Helper()
	k, err := push.NewKey("alice-iphone", rand.NewChaCha8([32]byte{3}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// pushSecurity is what the Push object presents and trusts (B02, B03).
var pushSecurity = &node.Security{
	Own:   &node.Credential{Identity: node.Identity{Subject: "pbx.example", Issuer: pki.DeviceCAName, Serial: "1001"}},
	Trust: []string{pki.ServiceCAName},
}

// pbxConfig: alice (201) has myApps on an iPhone and a desk phone; bob
// (202) a desk phone; carol (203) myApps on an Android phone. The PBX has a
// Push object; the directory holds the apps' tokens and alice's key.
func pbxConfig(t *testing.T) pbx.NodeConfig {
	core := pbx.Config{
		Version: pbx.V15r1, SystemName: "pbx.example", Push: &pbx.PushObject{Name: "Push"},
		Users: []pbx.User{
			{Name: "alice", Number: "201", Push: "Push"},
			{Name: "bob", Number: "202"},
			{Name: "carol", Number: "203", Push: "Push"},
		},
		Devices: []pbx.Device{
			{Name: "alice-iphone", User: "alice", Kind: pbx.KindMyApps, Platform: pbx.IOS, PushToken: true},
			{Name: "alice-desk", User: "alice", Kind: pbx.KindDeskphone},
			{Name: "bob-desk", User: "bob", Kind: pbx.KindDeskphone},
			{Name: "carol-pixel", User: "carol", Kind: pbx.KindMyApps, Platform: pbx.Android, PushToken: true},
		},
	}
	return pbx.NodeConfig{
		Core: core, Name: "pbx", IP: pbxIP, TimeToLive: 120 * time.Second,
		Directory: []pbx.DeviceEntry{
			{Name: "alice-iphone", Token: "a1ce", Platform: push.PlatformAPNs, Key: aliceKey(t), KeyHeld: true},
			{Name: "carol-pixel", Token: "fcm:ca201", Platform: push.PlatformFCM},
		},
		Push: &pbx.PushConfig{
			Client: push.ClientConfig{PBX: "pbx", Name: "Push", URL: "wss://push.example/push/ws", SystemName: "pbx.example",
				Certificate: pki.RoleDevice, CertificateSerial: "1001"},
			Service: serviceAt, Security: pushSecurity,
		},
		Random: rand.NewChaCha8([32]byte{2}),
	}
}

// prig holds one PBX node and the sockets it asked for.
type prig struct {
	t     *testing.T
	n     *pbx.Node
	now   time.Time
	socks map[string]node.Listen // by "transport/port"
	// pushDial is the Push object's Dial from Start; pushConn its
	// connection once logged in.
	pushDial node.Dial
	pushConn node.ConnID
	nextConn node.ConnID
	seq      uint16
}

func newPRig(t *testing.T, cfg pbx.NodeConfig) (*prig, []node.Effect) {
	t.Helper()
	n, err := pbx.NewNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &prig{t: t, n: n, now: epoch, socks: map[string]node.Listen{}, nextConn: 100, seq: 1000}
	effs := r.do(node.Start{})
	for _, l := range nt.All[node.Listen](effs) {
		r.socks[l.Transport.String()+"/"+strconv.Itoa(int(l.Addr.Port()))] = l
		if x := r.do(node.Listening{Sock: l.Sock, Addr: l.Addr}); len(x) != 0 {
			t.Fatalf("Listening: %s", nt.Show(x))
		}
	}
	if ds := nt.All[node.Dial](effs); len(ds) == 1 {
		r.pushDial = ds[0]
	}
	return r, effs
}

func (r *prig) do(in node.Input) []node.Effect { return slices.Clone(r.n.Handle(r.now, in)) }

func (r *prig) sock(key string) node.SockID {
	r.t.Helper()
	l, ok := r.socks[key]
	if !ok {
		r.t.Fatalf("no listener %s", key)
	}
	return l.Sock
}

func (r *prig) conn() node.ConnID { r.nextConn++; return r.nextConn }

// pushUp logs the Push object in: challenge, login, result.
func (r *prig) pushUp() {
	r.t.Helper()
	r.pushConn = r.conn()
	effs := r.do(node.Dialled{Ref: r.pushDial.Ref, Conn: r.pushConn, Local: netip.AddrPortFrom(pbxIP, 49152), Remote: serviceAt,
		Peer: node.Peer{Identity: &node.Identity{Subject: "push.example", Issuer: pki.ServiceCAName}, Verified: true}})
	if m := pushSent(r.t, effs, r.pushConn); m.MessageType() != push.MTAppChallenge {
		r.t.Fatalf("first push message %s", m.MessageType())
	}
	effs = r.service(&push.AppChallengeResult{Challenge: "0011223344556677"})
	if m := pushSent(r.t, effs, r.pushConn); m.MessageType() != push.MTAppLogin {
		r.t.Fatalf("after the challenge: %s", m.MessageType())
	}
	effs = r.service(&push.AppLoginResult{OK: true})
	nt.WantAttrs(r.t, nt.Record(r.t, effs, push.EventPushConnected), "pbx", "pbx", "push", "Push")
}

// session accepts an app's myApps session.
func (r *prig) session() node.ConnID {
	r.t.Helper()
	s := r.conn()
	if effs := r.do(node.Accepted{Listener: r.sock("wss/443"), Conn: s, Local: netip.AddrPortFrom(pbxIP, 443),
		Remote: netip.AddrPortFrom(aliceHost.sig.Addr(), 50100), Path: "/myapps"}); len(effs) != 0 {
		r.t.Fatalf("session Accepted: %s", nt.Show(effs))
	}
	return s
}

// service hands the PBX a push-protocol message from the service.
func (r *prig) service(m push.Message) []node.Effect {
	r.t.Helper()
	b, err := push.Encode(m)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.do(node.Message{Conn: r.pushConn, Payload: b})
}

// rrq sends a registration from a phone on the plain RAS socket.
func (r *prig) rrq(at phoneAt, aliases ...string) (node.SendTo, *h225.RasMessage) {
	r.t.Helper()
	r.seq++
	m := ras.NewRRQ(r.seq, ras.Info{RASAddress: at.ras, CallSignalAddress: at.sig}, false, 60*time.Second, false)
	m.RegistrationRequest.TerminalAlias = nil
	for _, a := range aliases {
		alias := h225.AliasAddress{Choice: h225.AliasAddressH323ID, H323ID: a}
		if strings.Trim(a, "0123456789") == "" {
			alias = h225.AliasAddress{Choice: h225.AliasAddressDialledDigits, DialledDigits: a}
		}
		m.RegistrationRequest.TerminalAlias = append(m.RegistrationRequest.TerminalAlias, alias)
	}
	effs := r.ras(r.sock("udp/1719"), at.ras, pbxRAS, m)
	st := nt.One[node.SendTo](r.t, effs)
	ans, err := ras.Decode(st.Payload)
	if err != nil {
		r.t.Fatal(err)
	}
	if ras.SeqNum(ans) != r.seq {
		r.t.Errorf("answer seq %d, want %d", ras.SeqNum(ans), r.seq)
	}
	return st, ans
}

func (r *prig) ras(sock node.SockID, from, to netip.AddrPort, m *h225.RasMessage) []node.Effect {
	r.t.Helper()
	b, err := ras.Encode(m)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.do(node.Datagram{Sock: sock, From: from, To: to, Payload: b})
}

// registered registers a device by its user, number and device alias and
// returns its endpoint identifier.
func (r *prig) registered(at phoneAt, user, number, device string) string {
	r.t.Helper()
	st, rcf := r.rrq(at, user, number, device)
	if rcf.Choice != h225.RasMessageRegistrationConfirm {
		r.t.Fatalf("%s: %s, want an RCF", device, ras.EventName(rcf))
	}
	if st.To != at.ras || st.Sock != r.sock("udp/1719") {
		r.t.Errorf("RCF sent %+v, want on the RAS socket to %v", st, at.ras)
	}
	return string(rcf.RegistrationConfirm.EndpointIdentifier)
}

// caller is a phone's leg of a call it places through the PBX.
type caller struct {
	leg  *h323.Leg
	conn node.ConnID
	guid [16]byte
}

// call accepts a connection from at and hands the PBX a Setup on it.
func (r *prig) call(at phoneAt, from, number, dialled string) (*caller, []node.Effect) {
	r.t.Helper()
	c := &caller{conn: r.conn()}
	copy(c.guid[:], "guid-of-call-"+number)
	c.leg = h323.NewLeg(h323.LegConfig{Outgoing: true, CallReference: 500, CallID: c.guid, ConferenceID: c.guid,
		CallingNumber: number, CalledNumber: dialled, SourceAlias: from, Local: at.sig, Remote: pbxSignal})
	remote := netip.AddrPortFrom(at.sig.Addr(), 50000)
	if x := r.do(node.Accepted{Listener: r.sock("tcp/1720"), Conn: c.conn, Local: pbxSignal, Remote: remote}); len(x) != 0 {
		r.t.Fatalf("Accepted: %s", nt.Show(x))
	}
	return c, r.do(node.Message{Conn: c.conn, Payload: legSend(r.t, c.leg.Setup())})
}

func legSend(t *testing.T, effs []h323.Effect) []byte {
	t.Helper()
	for _, e := range effs {
		if s, ok := e.(h323.Send); ok {
			return s.Payload
		}
	}
	t.Fatalf("the leg sent nothing: %#v", effs)
	return nil
}

// --- effect helpers

// --- start and the Push object

func TestPBXStartListensAndDialsPush(t *testing.T) {
	r, effs := newPRig(t, pbxConfig(t))
	want := []node.Listen{
		{Addr: netip.AddrPortFrom(pbxIP, 1719), Transport: node.UDP, Protocol: "ras"},
		{Addr: netip.AddrPortFrom(pbxIP, 1300), Transport: node.DTLS, Protocol: "ras"},
		{Addr: netip.AddrPortFrom(pbxIP, 1720), Transport: node.TCP, Protocol: "q931"},
		{Addr: netip.AddrPortFrom(pbxIP, 1300), Transport: node.TLS, Protocol: "q931"},
		{Addr: netip.AddrPortFrom(pbxIP, 443), Transport: node.WSS, Path: "/myapps", Protocol: "session"},
	}
	got := nt.All[node.Listen](effs)
	if len(got) != len(want) {
		t.Fatalf("Listen effects %s", nt.Show(effs))
	}
	seen := map[node.SockID]bool{}
	for i, w := range want {
		g := got[i]
		if g.Addr != w.Addr || g.Transport != w.Transport || g.Path != w.Path || g.Protocol != w.Protocol {
			t.Errorf("Listen %d = %+v, want %+v", i, g, w)
		}
		if seen[g.Sock] {
			t.Errorf("socket %d twice", g.Sock)
		}
		seen[g.Sock] = true
	}
	d := r.pushDial
	if d.To != serviceAt || d.From != pbxIP || d.Transport != node.WSS || d.Path != "/push/ws" ||
		d.Protocol != push.ProtocolPush || d.Security != pushSecurity {
		t.Errorf("push Dial %+v", d)
	}
	if d.Security.Own.Identity.Issuer != pki.DeviceCAName || !slices.Equal(d.Security.Trust, []string{pki.ServiceCAName}) {
		t.Errorf("push Dial security %+v", d.Security)
	}

	t.Run("no Push object: no dial", func(t *testing.T) {
		cfg := pbxConfig(t)
		cfg.Push, cfg.Core.Push = nil, nil
		_, effs := newPRig(t, cfg)
		if len(nt.All[node.Dial](effs)) != 0 {
			t.Errorf("%s", nt.Show(effs))
		}
	})
	t.Run("12r2 logs in on the legacy path", func(t *testing.T) {
		cfg := pbxConfig(t)
		cfg.Core.Version = pbx.V12r2
		cfg.Push.Client.Auth, cfg.Push.Client.Password = push.AuthPassword, "secret"
		r, _ := newPRig(t, cfg)
		if r.pushDial.Path != "/push/ws"+pbx.LegacyPath {
			t.Errorf("path %q", r.pushDial.Path)
		}
	})
}

func TestPBXPushObjectLoginAndFailures(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.pushUp()

	// The service closes the connection: the Push object reports why and
	// tries again later.
	effs := r.do(node.Closed{Conn: r.pushConn, Reason: push.ReasonReplaced})
	nt.WantAttrs(t, nt.Record(t, effs, push.EventPushDisconnect), "reason", push.ReasonReplaced)
	retry := nt.One[node.SetTimer](t, effs)
	r.now = r.now.Add(retry.After)
	d := nt.One[node.Dial](t, r.do(node.TimerFired{ID: retry.ID}))
	if d.To != serviceAt || d.Ref == r.pushDial.Ref {
		t.Errorf("redial %+v", d)
	}
	// The service's certificate is not trusted (B03).
	effs = r.do(node.Dialled{Ref: d.Ref, Remote: serviceAt, Err: node.ErrUntrusted})
	nt.WantAttrs(t, nt.Record(t, effs, push.EventPushDisconnect), "reason", push.ReasonUntrusted)
	// Messages on no connection of the PBX's are not the service's.
	if effs := r.do(node.Message{Conn: 999, Payload: []byte(`{"mt":"AppLoginResult","ok":true}`)}); len(effs) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
}

// --- the device directory

func TestPBXDirectory(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	type rrq struct {
		name    string
		at      phoneAt
		aliases []string
		want    string // endpoint identifier, or the RRJ reason
	}
	steps := []rrq{
		{"first free device of the user", aliceHost, []string{"alice", "201"}, "ep-0001"},
		{"the next free device", otherHost, []string{"alice", "201"}, "ep-0002"},
		{"the device registered from the same call-signalling address", aliceHost, []string{"alice", "201"}, "ep-0001"},
		{"the user has no device left", thirdHost, []string{"alice", "201"}, "invalidAlias"},
		{"the device alias names the device", thirdHost, []string{"alice", "201", "alice-desk"}, "ep-0002"},
		{"another user's device alias names nothing", bobHost, []string{"alice", "bob-desk"}, "invalidAlias"},
		{"the number names the user", bobHost, []string{"202"}, "ep-0003"},
		{"an unknown user", bobHost, []string{"mallory", "299"}, "invalidAlias"},
		{"an unknown alias before a known one", bobHost, []string{"mallory", "bob"}, "invalidAlias"},
	}
	for _, s := range steps {
		st, ans := r.rrq(s.at, s.aliases...)
		if st.To != s.at.ras {
			t.Errorf("%s: answer to %v, want %v", s.name, st.To, s.at.ras)
		}
		got := ""
		switch ans.Choice {
		case h225.RasMessageRegistrationConfirm:
			got = string(ans.RegistrationConfirm.EndpointIdentifier)
		case h225.RasMessageRegistrationReject:
			got, _ = ras.RejectReason(ans)
		}
		if got != s.want {
			t.Errorf("%s: %s %q, want %q", s.name, ras.EventName(ans), got, s.want)
		}
	}

	// Where the registrations landed: a call to alice reaches alice-iphone
	// at aliceHost and alice-desk at thirdHost (its RRQ with the device
	// alias moved it), and pushes nothing (her app is registered).
	r.pushUp()
	_, effs := r.call(bobHost, "bob", "202", "201")
	nt.DialTo(t, effs, aliceHost.sig)
	nt.DialTo(t, effs, thirdHost.sig)
	if len(nt.All[node.Dial](effs)) != 2 {
		t.Errorf("dials %s", nt.Show(effs))
	}
	if ps, _ := posts(t, effs, r.pushConn); len(ps) != 0 {
		t.Errorf("pushed a registered app: %+v", ps[0])
	}
}

func TestPBXRegistrationOverDTLSHandsTheKey(t *testing.T) {
	cfg := pbxConfig(t)
	cfg.Directory[0].KeyHeld = false // the app has not got its key yet
	r, _ := newPRig(t, cfg)
	dtls := r.sock("dtls/1300")
	m := ras.NewRRQ(7, ras.Info{Alias: "alice", Number: "201", DeviceAlias: "alice-iphone",
		RASAddress: aliceHost.ras, CallSignalAddress: netip.AddrPortFrom(aliceHost.sig.Addr(), 1300)}, false, 60*time.Second, false)
	effs := r.ras(dtls, aliceHost.ras, netip.AddrPortFrom(pbxIP, 1300), m)
	sends := nt.All[node.SendTo](effs)
	if len(sends) != 2 || sends[0].Event.Name != "ras.rcf" || sends[1].Event.Name != "ras.nsm" {
		t.Fatalf("want RCF then the key message: %s", nt.Show(effs))
	}
	for _, s := range sends {
		if s.Sock != dtls || s.To != aliceHost.ras {
			t.Errorf("%s on %d to %v, want on the DTLS socket", s.Event.Name, s.Sock, s.To)
		}
	}
	data, ok := ras.KeyMessageData(sends[1].Payload)
	if !ok {
		t.Fatal("not a key message")
	}
	var sm push.SessionMessage
	if sm, _ = push.DecodeSession(data); sm.KeyID != "alice-iphone" {
		t.Fatalf("key message %s", data)
	}
	if k, err := sm.Key(); err != nil || k != aliceKey(t) {
		t.Errorf("key %v %v", k, err)
	}
	// Once held, a renewed registration does not send it again.
	m.RegistrationRequest.RequestSeqNum = 8
	effs = r.ras(dtls, aliceHost.ras, netip.AddrPortFrom(pbxIP, 1300), m)
	if s := nt.One[node.SendTo](t, effs); s.Event.Name != "ras.rcf" {
		t.Errorf("%s", nt.Show(effs))
	}
	// Registered securely, it is called over TLS.
	r.registered(bobHost, "bob", "202", "bob-desk")
	_, effs = r.call(bobHost, "bob", "202", "201")
	if d := nt.DialTo(t, effs, netip.AddrPortFrom(aliceHost.sig.Addr(), 1300)); d.Transport != node.TLS {
		t.Errorf("leg Dial %+v, want TLS", d)
	}

	t.Run("never over plain RAS", func(t *testing.T) {
		r, _ := newPRig(t, cfg)
		st, _ := r.rrq(aliceHost, "alice", "201", "alice-iphone")
		if st.Event.Name != "ras.rcf" {
			t.Errorf("%s", st.Event.Name)
		}
	})
}

func TestPBXStopAndUnknownCommand(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	nt.One[node.Done](t, r.do(node.Stop{}))
	nt.WantAttrs(t, nt.Record(t, r.do(node.Command{Cmd: "reboot"}), "pbx.unknown_command"), "command", "string")
}

func TestPBXUnregistration(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.pushUp()
	r.registered(bobHost, "bob", "202", "bob-desk")
	ep := r.registered(aliceHost, "alice", "201", "alice-iphone")
	// The app unregisters (URQ): the next call pushes it again.
	r.seq++
	urq := ras.NewURQ(r.seq, ras.Info{Alias: "alice", Number: "201", EndpointID: ep, CallSignalAddress: aliceHost.sig})
	effs := r.ras(r.sock("udp/1719"), aliceHost.ras, pbxRAS, urq)
	if s := nt.One[node.SendTo](t, effs); s.Event.Name != "ras.ucf" || s.To != aliceHost.ras {
		t.Fatalf("%s", nt.Show(effs))
	}
	_, effs = r.call(bobHost, "bob", "202", "201")
	if ps, _ := posts(t, effs, r.pushConn); len(ps) != 1 || ps[0].Token != "a1ce" {
		t.Errorf("after the URQ: %s", nt.Show(effs))
	}

	// A registration that is not renewed expires with the gatekeeper's
	// timer (TTL + grace).
	r, _ = newPRig(t, pbxConfig(t))
	r.seq++
	m := ras.NewRRQ(r.seq, ras.Info{Alias: "bob", Number: "202", DeviceAlias: "bob-desk", RASAddress: bobHost.ras,
		CallSignalAddress: bobHost.sig}, false, 60*time.Second, false)
	effs = r.ras(r.sock("udp/1719"), bobHost.ras, pbxRAS, m)
	var expiry node.SetTimer
	for _, s := range nt.All[node.SetTimer](effs) {
		expiry = s
	}
	if expiry.After != 120*time.Second+ras.DefaultExpiryGrace {
		t.Fatalf("expiry timer %+v in %s", expiry, nt.Show(effs))
	}
	r.now = r.now.Add(expiry.After)
	effs = r.do(node.TimerFired{ID: expiry.ID})
	nt.WantAttrs(t, nt.Record(t, effs, "ras.registration_expired"), "alias", "bob")
	// bob-desk is gone: a call from it is refused.
	_, effs = r.call(bobHost, "bob", "202", "201")
	nt.Record(t, effs, "call.refused")
}

func TestPBXConnections(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	// A connection on a socket that is no listener of the PBX's is closed.
	if c := nt.One[node.Close](t, r.do(node.Accepted{Listener: r.sock("udp/1719"), Conn: 9})); c.Conn != 9 {
		t.Errorf("closed %d", c.Conn)
	}
	// A registered desk phone calls over TLS.
	r.registered(bobHost, "bob", "202", "bob-desk")
	r.registered(otherHost, "alice", "201", "alice-desk")
	conn := r.conn()
	r.do(node.Accepted{Listener: r.sock("tls/1300"), Conn: conn, Local: netip.AddrPortFrom(pbxIP, 1300), Remote: netip.AddrPortFrom(bobHost.sig.Addr(), 50001)})
	var g [16]byte
	leg := h323.NewLeg(h323.LegConfig{Outgoing: true, CallReference: 8, CallID: g, CallingNumber: "202", CalledNumber: "201", SourceAlias: "bob"})
	effs := r.do(node.Message{Conn: conn, Payload: legSend(t, leg.Setup())})
	nt.SentQ931(t, effs, conn, q931.CallProceeding)
	// The driver closed a connection with unreadable framing.
	effs = r.do(node.Closed{Conn: conn, Err: node.ErrFraming})
	nt.Record(t, effs, "q931.malformed")
	if len(nt.All[node.Send](effs)) != 0 {
		t.Errorf("wrote to a closed connection: %s", nt.Show(effs))
	}
}

// A timer the node does not know (a stale one, or the ID the Push object's
// timers fall back to for a timer without a number) fires harmlessly.
func TestPBXUnknownTimers(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	for _, kind := range []uint32{node.KindsRAS + 7, node.KindsPBX + 0x7f, node.KindsPush + 2, node.KindsPush + 0xff, node.KindsNode + 9} {
		if effs := r.do(node.TimerFired{ID: node.TimerID{Kind: kind, Key: 42}}); len(effs) != 0 {
			t.Errorf("kind %#x: %s", kind, nt.Show(effs))
		}
	}
}
