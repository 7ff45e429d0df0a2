package cloud_test

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/cloud"
	"github.com/callwake/callwake/push/pki"
)

// These tests drive the push service node through the node contract alone:
// node.Input values in, node.Effect values out, no driver. The PBX's side
// is a real push.Client (the Push object's core), so the login and the
// posts are the bytes a PBX sends.

var (
	epoch     = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	serviceIP = netip.MustParseAddr("10.0.0.2")
	apnsAPI   = netip.MustParseAddrPort("10.0.0.3:443")
	fcmAPI    = netip.MustParseAddrPort("10.0.0.4:443")
	pbxRemote = netip.MustParseAddrPort("10.0.0.1:49152")
)

const (
	bundle    = "test.callwake.softphone"
	project   = "callwake-sim"
	bearer    = "sim-access-token"
	iosToken  = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	fcmToken  = "fcm:0123456789abcdef0123456789abcdef0123456789abcdef"
	legacyPwd = "secret"
)

var serviceSecurity = &node.Security{
	Own:   &node.Credential{Identity: node.Identity{Subject: "push.example", Issuer: pki.ServiceCAName, Serial: "1"}},
	Trust: []string{pki.DeviceCAName, pki.UnverifiedDeviceCAName}, ClientAuth: true,
}

func serviceConfig() cloud.ServiceConfig {
	return cloud.ServiceConfig{
		Core: push.ServiceConfig{Available: true, APNsBundle: bundle, FCMProject: project, FCMAccessToken: bearer,
			Registrations: []push.Registration{{SystemName: "old.example", Password: legacyPwd}}},
		IP: serviceIP, Security: serviceSecurity, APNs: apnsAPI, FCM: fcmAPI,
	}
}

// srig holds the service node.
type srig struct {
	t   *testing.T
	s   *cloud.Service
	now time.Time
	// listener is the socket the service listens on.
	listener node.SockID
	tapped   []string // hops the Tap saw
}

func newSRig(t *testing.T, cfg cloud.ServiceConfig) *srig {
	t.Helper()
	r := &srig{t: t, now: epoch}
	if cfg.Tap == nil {
		cfg.Tap = func(hop string, _ []byte) { r.tapped = append(r.tapped, hop) }
	}
	s, err := cloud.NewService(cfg, rand.NewChaCha8([32]byte{4}))
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	l := nt.One[node.Listen](t, r.do(node.Start{}))
	if l.Addr != netip.AddrPortFrom(serviceIP, cloud.PortService) || l.Transport != node.WSS || l.Security != serviceSecurity ||
		l.Protocol != push.ProtocolPush {
		t.Errorf("Listen %+v", l)
	}
	r.listener = l.Sock
	return r
}

func (r *srig) do(in node.Input) []node.Effect { return slices.Clone(r.s.Handle(r.now, in)) }

// pbxLink is one Push object's connection to the service.
type pbxLink struct {
	conn   node.ConnID
	client *push.Client
}

func deviceCert(serial string) node.Peer {
	return node.Peer{Identity: &node.Identity{Subject: "pbx.example", Issuer: pki.DeviceCAName, Serial: serial}, Verified: true}
}

// connect accepts a Push object's connection and returns the effects.
func (r *srig) connect(conn node.ConnID, peer node.Peer, path string, cfg push.ClientConfig) (*pbxLink, []node.Effect) {
	r.t.Helper()
	c, err := push.NewClient(cfg, rand.NewChaCha8([32]byte{5}))
	if err != nil {
		r.t.Fatal(err)
	}
	c.Start()
	return &pbxLink{conn: conn, client: c}, r.do(node.Accepted{Listener: r.sock(), Conn: conn,
		Local: netip.AddrPortFrom(serviceIP, 443), Remote: pbxRemote, Peer: peer, Path: path})
}

func (r *srig) sock() node.SockID { return r.listener }

// pump carries messages between the Push object and the service until
// neither has anything more to say; it returns every service effect and
// every client effect.
func (r *srig) pump(l *pbxLink, fromClient []push.Effect) ([]node.Effect, []push.Effect) {
	r.t.Helper()
	var svc []node.Effect
	var cli []push.Effect
	queue := fromClient
	for len(queue) > 0 {
		cli = append(cli, queue...)
		var next []push.Effect
		for _, e := range queue {
			s, ok := e.(push.Send)
			if !ok {
				continue
			}
			effs := r.do(node.Message{Conn: l.conn, Payload: s.Data})
			svc = append(svc, effs...)
			for _, se := range nt.All[node.Send](effs) {
				if se.Conn == l.conn {
					next = append(next, l.client.Receive(se.Payload)...)
				}
			}
		}
		queue = next
	}
	return svc, cli
}

// login connects a Push object with a device certificate and logs it in.
func (r *srig) login(conn node.ConnID, serial string) *pbxLink {
	r.t.Helper()
	l, effs := r.connect(conn, deviceCert(serial), "/push/ws", pbxClient(serial))
	if len(effs) != 0 {
		r.t.Fatalf("Accepted: %s", nt.Show(effs))
	}
	_, cli := r.pump(l, l.client.Opened())
	if !l.client.Connected() {
		r.t.Fatalf("not logged in: %#v", cli)
	}
	return l
}

func pbxClient(serial string) push.ClientConfig {
	return push.ClientConfig{PBX: "pbx", Name: "Push", URL: "wss://push.example/push/ws", SystemName: "pbx.example",
		Certificate: pki.RoleDevice, CertificateSerial: serial}
}

// post sends one push from the Push object.
func (r *srig) post(l *pbxLink, src, platform, token string) []node.Effect {
	r.t.Helper()
	effs, _ := r.pump(l, l.client.Post(push.Post{Src: src, Token: token, Platform: platform, Type: push.TypeCall,
		Call: "00ff", User: "alice", Device: "alice-iphone"}))
	return effs
}

// --- certificates and login (B02, B05, B06)

func TestServiceCertificateRoles(t *testing.T) {
	issuer := func(ca string, verified bool) node.Peer {
		return node.Peer{Identity: &node.Identity{Subject: "pbx.example", Issuer: ca, Serial: "77"}, Verified: verified}
	}
	tests := []struct {
		name    string
		accepts []pki.Role
		peer    node.Peer
		role    pki.Role // "" = accepted
		issuers bool     // the device CAs are named "Vendor Device CA" and "Vendor VM CA"
	}{
		{"named device CA, verified", nil, issuer("Vendor Device CA", true), "", true},
		{"named unverified CA refused by the configuration", []pki.Role{pki.RoleDevice}, issuer("Vendor VM CA", true), pki.RoleUnverifiedDevice, true},
		{"the test PKI's name is no device CA once others are named", nil, issuer(pki.DeviceCAName, true), pki.RoleOwn, true},
		{"device CA, verified", nil, issuer(pki.DeviceCAName, true), "", false},
		{"unverified device CA, verified", nil, issuer(pki.UnverifiedDeviceCAName, true), "", false},
		{"device CA not verified is the customer's own", nil, issuer(pki.DeviceCAName, false), pki.RoleOwn, false},
		{"own CA", nil, issuer(pki.OwnCAName, false), pki.RoleOwn, false},
		{"no certificate", nil, node.Peer{}, pki.RoleNone, false},
		{"unverified device refused by the configuration", []pki.Role{pki.RoleDevice}, issuer(pki.UnverifiedDeviceCAName, true), pki.RoleUnverifiedDevice, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := serviceConfig()
			cfg.Core.Accepts = tt.accepts
			if tt.issuers {
				cfg.DeviceIssuers, cfg.UnverifiedIssuers = []string{"Vendor Device CA"}, []string{"Vendor VM CA"}
			}
			r := newSRig(t, cfg)
			_, effs := r.connect(7, tt.peer, "/push/ws", pbxClient("77"))
			if tt.role == "" {
				if len(effs) != 0 {
					t.Fatalf("refused: %s", nt.Show(effs))
				}
				return
			}
			rej := nt.Record(t, effs, push.EventRejected)
			nt.WantAttrs(t, rej, "reason", push.ReasonCertificate, "certificate", string(tt.role))
			if rej.About == nil || rej.About.Conn != 7 || !rej.About.Sent {
				t.Errorf("push.rejected About %+v, want the refused connection", rej.About)
			}
			if nt.Attr(rej, "from") != nt.Absent || nt.Attr(rej, "to") != nt.Absent {
				t.Errorf("the node names the ends, not the driver: %v", rej.Attrs)
			}
			if c := nt.One[node.Close](t, effs); c.Conn != 7 || c.Reason != push.ReasonCertificate {
				t.Errorf("Close %+v", c)
			}
			// The refused connection is forgotten: its messages are not read.
			if effs := r.do(node.Message{Conn: 7, Payload: []byte(`{"mt":"AppChallenge"}`)}); len(effs) != 0 {
				t.Errorf("%s", nt.Show(effs))
			}
		})
	}
}

func TestServiceLoginAndReplace(t *testing.T) {
	r := newSRig(t, serviceConfig())
	first := r.login(1, "1001")
	if !first.client.Connected() {
		t.Fatal("not connected")
	}
	// A clone with the same serial knocks the first off (B05).
	_, effs := r.connect(2, deviceCert("1001"), "/push/ws", pbxClient("1001"))
	rej := nt.Record(t, effs, push.EventRejected)
	nt.WantAttrs(t, rej, "reason", push.ReasonReplaced, "serial", "1001")
	if rej.About == nil || rej.About.Conn != 1 {
		t.Errorf("About %+v, want the older connection", rej.About)
	}
	if c := nt.One[node.Close](t, effs); c.Conn != 1 || c.Reason != push.ReasonReplaced {
		t.Errorf("Close %+v", c)
	}
}

func TestServiceLegacyPath(t *testing.T) {
	legacy := push.ClientConfig{PBX: "pbx", Name: "Push", URL: "wss://push.example/push/ws", SystemName: "old.example",
		Auth: push.AuthPassword, Certificate: pki.RoleNone}
	for _, tt := range []struct {
		name, path, password string
		ok                   bool
	}{
		{"the registration's password", "/push/ws/legacy", legacyPwd, true},
		{"a wrong password", "/push/ws/legacy", "guess", false},
		{"no certificate off the legacy path", "/push/ws", legacyPwd, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newSRig(t, serviceConfig())
			cfg := legacy
			cfg.Password = tt.password
			l, effs := r.connect(3, node.Peer{}, tt.path, cfg)
			if len(effs) != 0 {
				if tt.path == "/push/ws/legacy" {
					t.Fatalf("refused on the legacy path: %s", nt.Show(effs))
				}
				nt.Record(t, effs, push.EventRejected) // the certificate
				return
			}
			svc, _ := r.pump(l, l.client.Opened())
			if l.client.Connected() != tt.ok {
				t.Fatalf("logged in %v, want %v: %s", l.client.Connected(), tt.ok, nt.Show(svc))
			}
			if !tt.ok {
				nt.WantAttrs(t, nt.Record(t, svc, push.EventRejected), "reason", push.ReasonLoginFailed, "error", push.LoginErrorDigest)
			}
		})
	}
}

// --- posts and the vendors

func TestServiceRelaysPostToVendor(t *testing.T) {
	r := newSRig(t, serviceConfig())
	l := r.login(1, "1001")
	r.tapped = nil

	effs := r.post(l, "1", push.PlatformAPNs, iosToken)
	d := nt.One[node.Dial](t, effs)
	if d.To != apnsAPI || d.Transport != node.HTTP2 || d.From != serviceIP || d.Protocol != push.PlatformAPNs {
		t.Errorf("vendor Dial %+v", d)
	}
	if len(nt.All[node.Send](effs)) != 0 {
		t.Fatalf("sent before the connection is up: %s", nt.Show(effs))
	}
	// A second post while dialling waits too, and does not dial again.
	effs = r.post(l, "2", push.PlatformAPNs, iosToken)
	if len(nt.All[node.Dial](effs)) != 0 || len(nt.All[node.Send](effs)) != 0 {
		t.Fatalf("%s", nt.Show(effs))
	}
	const vconn node.ConnID = 50
	effs = r.do(node.Dialled{Ref: d.Ref, Conn: vconn, Local: netip.AddrPortFrom(serviceIP, 40000), Remote: apnsAPI})
	sends := nt.All[node.Send](effs)
	if len(sends) != 2 {
		t.Fatalf("queued requests %s", nt.Show(effs))
	}
	for _, s := range sends {
		h := s.HTTP
		if s.Conn != vconn || h == nil || h.Method != "POST" || h.Path != "/3/device/"+iosToken ||
			h.Authority != push.APNsAuthority {
			t.Fatalf("request %+v", s)
		}
		if topic, _ := h.Get("apns-topic"); topic != bundle+push.APNsVoIPSuffix {
			t.Errorf("topic %q", topic)
		}
		p, err := push.DecodePhonePayload(h.Body)
		if err != nil || p.Type != push.TypeCall || p.Call != "00ff" {
			t.Errorf("body %s (%v)", h.Body, err)
		}
	}
	if sends[0].HTTP.Stream == sends[1].HTTP.Stream {
		t.Errorf("two open requests on stream %d", sends[0].HTTP.Stream)
	}

	// The vendor answers the second first: each answer finds its post.
	for i, status := range []int{410, 200} {
		req := sends[1-i]
		resp := &node.HTTP{Stream: req.HTTP.Stream, Status: status}
		if status != 200 {
			resp.Body = []byte(`{"reason":"Unregistered"}`)
		}
		effs = r.do(node.Message{Conn: vconn, HTTP: resp})
		fwd := nt.Record(t, effs, push.EventForwarded)
		nt.WantAttrs(t, fwd, "platform", push.PlatformAPNs, "status", strconv.Itoa(status))
		if a := fwd.About; a == nil || a.Conn != vconn || !a.Sent || a.Protocol != push.PlatformAPNs || string(a.Payload) != string(req.HTTP.Body) {
			t.Errorf("push.forwarded About %+v, want the request sent to the vendor", a)
		}
		res := nt.One[node.Send](t, effs)
		m, err := push.Decode(res.Payload)
		pr, ok := m.(*push.PushNotifyPostResult)
		if res.Conn != l.conn || err != nil || !ok {
			t.Fatalf("result %s (%v)", res.Payload, err)
		}
		wantSrc, wantErr := "2", "Unregistered"
		if status == 200 {
			wantSrc, wantErr = "1", ""
		}
		if pr.Src != wantSrc || pr.Err != wantErr {
			t.Errorf("result %+v, want src %s err %q", pr, wantSrc, wantErr)
		}
	}
	// The link is up: the next post goes at once.
	effs = r.post(l, "3", push.PlatformAPNs, iosToken)
	if s := nt.One[node.Send](t, effs); s.Conn != vconn || len(nt.All[node.Dial](effs)) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
	for _, hop := range []string{cloud.HopPBXStream, cloud.HopPBXMessage, cloud.HopVendorReq, cloud.HopVendorResp, cloud.HopServicePBX} {
		if !slices.Contains(r.tapped, hop) {
			t.Errorf("the tap never saw %q (saw %q)", hop, r.tapped)
		}
	}
}

func TestServiceVendorDialFails(t *testing.T) {
	r := newSRig(t, serviceConfig())
	l := r.login(1, "1001")
	d := nt.One[node.Dial](t, r.post(l, "1", push.PlatformFCM, fcmToken))
	if d.To != fcmAPI || d.Protocol != push.PlatformFCM {
		t.Errorf("Dial %+v", d)
	}
	effs := r.do(node.Dialled{Ref: d.Ref, Remote: fcmAPI, Err: node.ErrRefused})
	nt.WantAttrs(t, nt.Record(t, effs, push.EventForwarded), "platform", push.PlatformFCM, "status", "503")
	res := nt.One[node.Send](t, effs)
	m, _ := push.Decode(res.Payload)
	if pr, ok := m.(*push.PushNotifyPostResult); !ok || pr.Src != "1" || pr.Err != "http_503" {
		t.Errorf("result %s", res.Payload)
	}
	// The next post tries the vendor again.
	nt.One[node.Dial](t, r.post(l, "2", push.PlatformFCM, fcmToken))
}

func TestServiceVendorConnectionLost(t *testing.T) {
	r := newSRig(t, serviceConfig())
	l := r.login(1, "1001")
	d := nt.One[node.Dial](t, r.post(l, "1", push.PlatformAPNs, iosToken))
	effs := r.do(node.Dialled{Ref: d.Ref, Conn: 60, Remote: apnsAPI})
	req := nt.One[node.Send](t, effs)
	r.do(node.Message{Conn: 60, HTTP: &node.HTTP{Stream: req.HTTP.Stream, Status: 200}})
	// The vendor's connection drops: the next post dials again.
	if effs := r.do(node.Closed{Conn: 60, Err: node.ErrReset}); len(effs) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
	nt.One[node.Dial](t, r.post(l, "2", push.PlatformAPNs, iosToken))
	// An answer on a connection that is gone is no vendor's answer.
	if effs := r.do(node.Message{Conn: 60, HTTP: &node.HTTP{Stream: 2, Status: 200}}); len(effs) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
}

// A vendor connection that breaks with requests on it fails them (as a
// reset HTTP/2 connection fails its open streams): every post is answered.
func TestServiceVendorConnectionLostInFlight(t *testing.T) {
	r := newSRig(t, serviceConfig())
	l := r.login(1, "1001")
	d := nt.One[node.Dial](t, r.post(l, "1", push.PlatformAPNs, iosToken))
	r.do(node.Dialled{Ref: d.Ref, Conn: 60, Remote: apnsAPI})
	nt.One[node.Send](t, r.post(l, "2", push.PlatformAPNs, iosToken))
	effs := r.do(node.Closed{Conn: 60, Err: node.ErrReset})
	fwd := nt.Records(effs, push.EventForwarded)
	if len(fwd) != 2 {
		t.Fatalf("forwarded %s", nt.Show(effs))
	}
	var srcs []string
	for _, s := range nt.All[node.Send](effs) {
		m, _ := push.Decode(s.Payload)
		pr, ok := m.(*push.PushNotifyPostResult)
		if s.Conn != l.conn || !ok || pr.Err != "http_503" {
			t.Fatalf("result %s", s.Payload)
		}
		srcs = append(srcs, pr.Src)
	}
	if !slices.Equal(srcs, []string{"1", "2"}) {
		t.Errorf("results for %q, want both posts in order", srcs)
	}
	for _, f := range fwd {
		nt.WantAttrs(t, f, "status", "503")
	}
}

func TestServicePostRefusals(t *testing.T) {
	r := newSRig(t, serviceConfig())
	l := r.login(1, "1001")
	effs := r.post(l, "9", "blackberry", "x")
	nt.WantAttrs(t, nt.Record(t, effs, push.EventRejected), "reason", push.RejectUnknownPlatform, "src", "9")
	if len(nt.All[node.Dial](effs)) != 0 {
		t.Errorf("dialled for an unknown platform: %s", nt.Show(effs))
	}
	// A vendor without an address: the post is answered 400.
	cfg := serviceConfig()
	cfg.FCM = netip.AddrPort{}
	r = newSRig(t, cfg)
	l = r.login(1, "1001")
	effs = r.post(l, "4", push.PlatformFCM, fcmToken)
	if len(nt.All[node.Dial](effs)) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
	res := nt.One[node.Send](t, effs)
	if m, _ := push.Decode(res.Payload); m.(*push.PushNotifyPostResult).Err != "http_400" {
		t.Errorf("result %s", res.Payload)
	}
	// Garbage from a PBX ends its connection.
	effs = r.do(node.Message{Conn: l.conn, Payload: []byte("{")})
	nt.WantAttrs(t, nt.Record(t, effs, push.EventRejected), "reason", push.RejectMalformedMessage)
	if c := nt.One[node.Close](t, effs); c.Conn != l.conn || c.Reason != push.ReasonProtocol {
		t.Errorf("Close %+v", c)
	}
}

func TestServiceSetAvailable(t *testing.T) {
	r := newSRig(t, serviceConfig())
	a, b := r.login(1, "1001"), r.login(2, "1002")
	effs := r.do(node.Command{Cmd: cloud.SetAvailable{On: false}})
	closed := nt.All[node.Close](effs)
	if len(closed) != 2 || closed[0].Conn != a.conn || closed[1].Conn != b.conn {
		t.Fatalf("closes %s", nt.Show(effs))
	}
	for _, c := range closed {
		if c.Reason != push.ReasonServiceUnavailable {
			t.Errorf("Close %+v", c)
		}
	}
	// Off, a new connection is refused at once.
	_, effs = r.connect(3, deviceCert("1003"), "/push/ws", pbxClient("1003"))
	nt.WantAttrs(t, nt.Record(t, effs, push.EventRejected), "reason", push.ReasonServiceUnavailable)
	if c := nt.One[node.Close](t, effs); c.Conn != 3 {
		t.Errorf("Close %+v", c)
	}
	// On again, it is accepted.
	r.do(node.Command{Cmd: cloud.SetAvailable{On: true}})
	r.login(4, "1004")
	// Other commands and Stop.
	if effs := r.do(node.Command{Cmd: "reboot"}); len(effs) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
	nt.One[node.Done](t, r.do(node.Stop{}))
}

func TestServiceClosedPBXForgotten(t *testing.T) {
	r := newSRig(t, serviceConfig())
	l := r.login(1, "1001")
	d := nt.One[node.Dial](t, r.post(l, "1", push.PlatformAPNs, iosToken))
	req := nt.One[node.Send](t, r.do(node.Dialled{Ref: d.Ref, Conn: 60, Remote: apnsAPI}))
	// The PBX goes away before the vendor answers: the service forgets
	// its requests, so the answer goes to nobody.
	if effs := r.do(node.Closed{Conn: l.conn}); len(effs) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
	effs := r.do(node.Message{Conn: 60, HTTP: &node.HTTP{Stream: req.HTTP.Stream, Status: 200}})
	if len(nt.All[node.Send](effs)) != 0 {
		t.Errorf("answered a PBX that is gone: %s", nt.Show(effs))
	}
	// A clone with the serial of the gone PBX is no replacement.
	_, effs = r.connect(2, deviceCert("1001"), "/push/ws", pbxClient("1001"))
	if len(effs) != 0 {
		t.Errorf("%s", nt.Show(effs))
	}
}

// --- effect helpers (shared with vendor_test.go)
