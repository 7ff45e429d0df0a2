package push_test

import (
	"bytes"
	"github.com/callwake/callwake/node"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
)

func TestConnectAndLogin(t *testing.T) {
	h := newHarness(t, push.ServiceConfig{Available: true})
	l := h.addPBX("pbx", certConfig("example.com", "1001"))
	h.start(l)
	if !l.client.Connected() {
		t.Fatalf("state %v, events %v", l.client.State(), h.names())
	}
	if h.count(push.EventPushConnected, "pbx=pbx") != 1 {
		t.Fatalf("events %v", h.names())
	}
	if _, armed := l.timers[push.TimerLogin]; armed {
		t.Fatal("login timer still armed after login")
	}
	if got := h.svc.LoggedIn(); len(got) != 1 || got[0] != l.conn {
		t.Fatalf("service logged in %v, client conn %d", got, l.conn)
	}
	// The login the client sent carries the system name as domain and a
	// digest the service could check.
	var login *push.AppLogin
	for _, b := range h.serviceSaw {
		if m, err := push.Decode(b); err == nil {
			if v, ok := m.(*push.AppLogin); ok {
				login = v
			}
		}
	}
	if login == nil || login.Domain != "example.com" || login.DN != "Push" || login.App != "ws" || len(login.Digest) != 64 {
		t.Fatalf("login %+v", login)
	}
}

// TestFailureReasons drives every way a Push object fails to connect and
// checks the reason it reports.
func TestFailureReasons(t *testing.T) {
	tests := []struct {
		name      string
		svc       push.ServiceConfig
		cfg       func(*push.ClientConfig)
		reachable bool
		untrusted bool
		want      string
	}{
		{"dns", push.ServiceConfig{Available: true}, func(c *push.ClientConfig) { c.DNSFails = true }, true, false, push.ReasonDNS},
		{"http proxy", push.ServiceConfig{Available: true}, func(c *push.ClientConfig) { c.HTTPProxy = true }, true, false, push.ReasonHTTPProxy},
		{"unreachable", push.ServiceConfig{Available: true}, func(c *push.ClientConfig) {}, false, false, push.ReasonUnreachable},
		{"untrusted", push.ServiceConfig{Available: true}, func(c *push.ClientConfig) {}, true, true, push.ReasonUntrusted},
		{"own certificate", push.ServiceConfig{Available: true}, func(c *push.ClientConfig) { c.Certificate = "own" }, true, false, push.ReasonCertificate},
		{"no certificate", push.ServiceConfig{Available: true}, func(c *push.ClientConfig) { c.Certificate = "none" }, true, false, push.ReasonCertificate},
		{"unverified refused by accepts", push.ServiceConfig{Available: true, Accepts: []push.Role{"device"}},
			func(c *push.ClientConfig) { c.Certificate = "unverified_device" }, true, false, push.ReasonCertificate},
		{"service off", push.ServiceConfig{Available: false}, func(c *push.ClientConfig) {}, true, false, push.ReasonServiceUnavailable},
		{"12r2 wrong password", push.ServiceConfig{Available: true, Registrations: []push.Registration{{"example.com", "right"}}},
			func(c *push.ClientConfig) { c.Auth, c.Password, c.Certificate = push.AuthPassword, "wrong", "none" }, true, false, push.ReasonLoginFailed},
		{"12r2 not registered", push.ServiceConfig{Available: true},
			func(c *push.ClientConfig) { c.Auth, c.Password, c.Certificate = push.AuthPassword, "pw", "none" }, true, false, push.ReasonLoginFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.svc)
			h.reachable = tc.reachable
			cfg := certConfig("example.com", "1001")
			tc.cfg(&cfg)
			l := h.addPBX("pbx", cfg)
			l.untrusted = tc.untrusted
			h.start(l)
			if l.client.Connected() {
				t.Fatal("connected")
			}
			if h.count(push.EventPushDisconnect, "reason="+tc.want) != 1 || h.count(push.EventPushConnected) != 0 {
				t.Fatalf("events %v", h.names())
			}
			if l.client.State() != push.StateWaiting || l.timers[push.TimerReconnect] != time.Second {
				t.Fatalf("state %v timers %v", l.client.State(), l.timers)
			}
			// A post meanwhile fails at once.
			h.run(l, l.client.Post(push.Post{Src: "1", Token: "t", Platform: "apns", Type: "call"}))
			if len(h.failed) != 1 || h.failed[0].Reason != push.ReasonNotConnected {
				t.Fatalf("post while down: %+v", h.failed)
			}
		})
	}
}

func TestLoginTimeoutAndProtocolErrors(t *testing.T) {
	c, err := push.NewClient(certConfig("example.com", "1"), seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	effs := c.Opened()
	if len(effs) != 2 {
		t.Fatalf("opened: %#v", effs)
	}
	if st, ok := effs[1].(node.SetTimer); !ok || st.ID != push.TimerLogin.Node() || st.After != 10*time.Second {
		t.Fatalf("login timer %#v", effs[1])
	}
	effs = c.TimerFired(push.TimerLogin)
	if !hasDisconnect(effs, push.ReasonTimeout) || !hasClose(effs) {
		t.Fatalf("timeout effects %#v", effs)
	}
	// Reconnect, then garbage from the service.
	c.TimerFired(push.TimerReconnect)
	c.Opened()
	if effs = c.Receive([]byte(`{"mt":`)); !hasDisconnect(effs, push.ReasonProtocol) {
		t.Fatalf("garbage: %#v", effs)
	}
	// A login result before the challenge is a protocol error too.
	c.TimerFired(push.TimerReconnect)
	c.Opened()
	if effs = c.Receive([]byte(`{"mt":"AppLoginResult","ok":true}`)); !hasDisconnect(effs, push.ReasonProtocol) {
		t.Fatalf("early login result: %#v", effs)
	}
}

func hasDisconnect(effs []push.Effect, reason string) bool {
	for _, e := range effs {
		if ev, ok := e.(push.Event); ok && ev.Name == push.EventPushDisconnect {
			for _, a := range ev.Attrs {
				if a.Key == "reason" && a.Value == reason {
					return true
				}
			}
		}
	}
	return false
}

func hasClose(effs []push.Effect) bool {
	return slices.ContainsFunc(effs, func(e push.Effect) bool { _, ok := e.(push.Close); return ok })
}

func TestBackoffSequence(t *testing.T) {
	h := newHarness(t, push.ServiceConfig{Available: true})
	cfg := certConfig("example.com", "1001")
	cfg.DNSFails = true
	l := h.addPBX("pbx", cfg)
	h.start(l)
	var got []time.Duration
	for range 9 {
		got = append(got, l.timers[push.TimerReconnect])
		if !h.fire(l, push.TimerReconnect) {
			t.Fatal("no reconnect timer")
		}
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(got, want) {
		t.Fatalf("backoff %v, want %v", got, want)
	}
	if h.count(push.EventPushDisconnect, "reason=dns", "retry_in=1m0s") != 4 {
		t.Fatalf("events %v", h.names())
	}
}

func TestBackoffResetsAfterLogin(t *testing.T) {
	h := newHarness(t, push.ServiceConfig{Available: true})
	h.reachable = false
	l := h.addPBX("pbx", certConfig("example.com", "1001"))
	h.start(l)
	h.fire(l, push.TimerReconnect)
	h.fire(l, push.TimerReconnect)
	if l.timers[push.TimerReconnect] != 4*time.Second {
		t.Fatalf("third delay %v", l.timers[push.TimerReconnect])
	}
	h.reachable = true
	h.fire(l, push.TimerReconnect)
	if !l.client.Connected() {
		t.Fatal("not connected")
	}
	h.run(l, l.client.Failed(push.ReasonConnectionLost))
	if l.timers[push.TimerReconnect] != time.Second {
		t.Fatalf("delay after a good login %v, want 1s", l.timers[push.TimerReconnect])
	}
}

func TestBackoffJitterIsSeededAndBounded(t *testing.T) {
	delays := func(seed uint64) []time.Duration {
		cfg := certConfig("example.com", "1")
		cfg.DNSFails = true
		cfg.Backoff = push.Backoff{Initial: time.Second, Max: 8 * time.Second, Jitter: 0.5}
		c, err := push.NewClient(cfg, seeded(seed))
		if err != nil {
			t.Fatal(err)
		}
		var out []time.Duration
		effs := c.Start()
		for range 6 {
			for _, e := range effs {
				if st, ok := e.(node.SetTimer); ok {
					out = append(out, st.After)
				}
			}
			effs = c.TimerFired(push.TimerReconnect)
		}
		return out
	}
	a, b, other := delays(7), delays(7), delays(8)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different delays: %v %v", a, b)
	}
	if slices.Equal(a, other) {
		t.Fatalf("jitter ignores the seed: %v", a)
	}
	base := []time.Duration{1, 2, 4, 8, 8, 8}
	for i, d := range a {
		full := base[i] * time.Second
		if d > full || d < full/2 {
			t.Fatalf("delay %d = %v outside [%v, %v]", i, d, full/2, full)
		}
	}
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  push.ClientConfig
		want string
	}{
		{"scheme", push.ClientConfig{URL: "http://push.test/push/ws", Certificate: "device"}, "scheme"},
		{"no host", push.ClientConfig{URL: "wss:///push/ws", Certificate: "device"}, "no host"},
		{"role", push.ClientConfig{URL: "wss://push.test/push/ws", Certificate: "stolen"}, "unknown certificate role"},
		{"jitter", push.ClientConfig{URL: "wss://push.test/push/ws", Certificate: "device", Backoff: push.Backoff{Jitter: 2}}, "jitter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := push.NewClient(tc.cfg, seeded(1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// TestClonedSerialKnocksOff is B05: two systems with the same device
// certificate serial keep replacing each other.
func TestClonedSerialKnocksOff(t *testing.T) {
	h := newHarness(t, push.ServiceConfig{Available: true})
	a := h.addPBX("pbx-a", certConfig("a.example.com", "1001"))
	b := h.addPBX("pbx-b", certConfig("b.example.com", "1001"))
	h.start(a)
	h.start(b)
	if a.client.Connected() || !b.client.Connected() {
		t.Fatalf("a %v b %v", a.client.State(), b.client.State())
	}
	if h.count(push.EventPushDisconnect, "pbx=pbx-a", "reason=replaced") != 1 || h.count(push.EventRejected, "reason=replaced", "serial=1001") != 1 {
		t.Fatalf("events %v", h.names())
	}
	h.fire(a, push.TimerReconnect)
	if !a.client.Connected() || b.client.Connected() {
		t.Fatalf("after a's reconnect: a %v b %v", a.client.State(), b.client.State())
	}
	if h.count(push.EventPushDisconnect, "pbx=pbx-b", "reason=replaced") != 1 {
		t.Fatalf("events %v", h.names())
	}
	// A third system with its own serial is not affected.
	c := h.addPBX("pbx-c", certConfig("c.example.com", "2002"))
	h.start(c)
	if !c.client.Connected() || !a.client.Connected() {
		t.Fatal("distinct serial disturbed")
	}
}

// TestSystemName12r2 is B06.
func TestSystemName12r2(t *testing.T) {
	legacy := func(password string) push.ClientConfig {
		return push.ClientConfig{Name: "Push", SystemName: "example.com", Auth: push.AuthPassword, Password: password, Certificate: "none"}
	}
	regs := []push.Registration{{SystemName: "example.com", Password: "verified-pw"}}
	t.Run("same password: both work", func(t *testing.T) {
		h := newHarness(t, push.ServiceConfig{Available: true, Registrations: regs, UniqueSystemName: true})
		a, b := h.addPBX("pbx-a", legacy("verified-pw")), h.addPBX("pbx-b", legacy("verified-pw"))
		h.start(a)
		h.start(b)
		if !a.client.Connected() || !b.client.Connected() {
			t.Fatalf("events %v", h.names())
		}
	})
	t.Run("different password: newcomer fails and knocks the first off", func(t *testing.T) {
		h := newHarness(t, push.ServiceConfig{Available: true, Registrations: regs, UniqueSystemName: true})
		a, b := h.addPBX("pbx-a", legacy("verified-pw")), h.addPBX("pbx-b", legacy("other-pw"))
		h.start(a)
		h.start(b)
		if a.client.Connected() || b.client.Connected() {
			t.Fatalf("a %v b %v", a.client.State(), b.client.State())
		}
		if h.count(push.EventPushDisconnect, "pbx=pbx-b", "reason=login_failed") != 1 ||
			h.count(push.EventPushDisconnect, "pbx=pbx-a", "reason=replaced") != 1 {
			t.Fatalf("events %v", h.names())
		}
		h.fire(a, push.TimerReconnect)
		if !a.client.Connected() {
			t.Fatal("first system does not come back")
		}
		h.fire(b, push.TimerReconnect)
		if a.client.Connected() {
			t.Fatal("newcomer's retry does not knock the first off again")
		}
	})
	t.Run("13r1 and later: no limit", func(t *testing.T) {
		h := newHarness(t, push.ServiceConfig{Available: true, Registrations: regs, UniqueSystemName: false})
		a, b := h.addPBX("pbx-a", legacy("verified-pw")), h.addPBX("pbx-b", legacy("other-pw"))
		h.start(a)
		h.start(b)
		if !a.client.Connected() || b.client.Connected() {
			t.Fatalf("a %v b %v: %v", a.client.State(), b.client.State(), h.names())
		}
		// Certificate-authenticated systems may share a system name.
		c, d := h.addPBX("pbx-c", certConfig("shared.example.com", "1")), h.addPBX("pbx-d", certConfig("shared.example.com", "2"))
		h.start(c)
		h.start(d)
		if !c.client.Connected() || !d.client.Connected() {
			t.Fatal("shared system name with certificates refused")
		}
	})
}

func TestServiceOutageAndPendingPosts(t *testing.T) {
	h := newHarness(t, push.ServiceConfig{Available: true})
	l := h.addPBX("pbx", certConfig("example.com", "1001"))
	h.start(l)
	// A post whose vendor answer never comes: the service goes down first.
	effs := l.client.Post(push.Post{Src: "7", Token: strings.Repeat("ab", 32), Platform: "apns", Type: "call", User: "alice", Device: "alice-iphone"})
	var send push.Send
	for _, e := range effs {
		if s, ok := e.(push.Send); ok {
			send = s
		}
	}
	svcEffs := h.svc.Receive(l.conn, send.Data)
	if len(svcEffs) != 1 {
		t.Fatalf("service effects %#v", svcEffs)
	}
	h.run(nil, h.svc.SetAvailable(false))
	if l.client.Connected() || h.count(push.EventPushDisconnect, "reason=service_unavailable") != 1 {
		t.Fatalf("events %v", h.names())
	}
	if len(h.failed) != 1 || h.failed[0].Src != "7" || h.failed[0].Reason != push.ReasonServiceUnavailable {
		t.Fatalf("pending post: %+v", h.failed)
	}
	// The late vendor answer finds nobody.
	if got := h.svc.VendorResponse(svcEffs[0].(push.VendorRequest).ID, push.HTTPResponse{Status: 200}); got != nil {
		t.Fatalf("late answer: %#v", got)
	}
	h.fire(l, push.TimerReconnect)
	if h.count(push.EventPushDisconnect, "reason=service_unavailable") != 2 {
		t.Fatalf("events %v", h.names())
	}
	h.svc.SetAvailable(true)
	h.fire(l, push.TimerReconnect)
	if !l.client.Connected() {
		t.Fatal("no recovery after the outage")
	}
}

func TestServiceRefusesPostBeforeLogin(t *testing.T) {
	svc, _ := push.NewService(push.ServiceConfig{Available: true}, seeded(1))
	svc.Accept(1, push.Peer{Certificate: "device", Serial: "5"})
	effs := svc.Receive(1, []byte(`{"mt":"PushNotifyPost","src":"3","token":"t"}`))
	if len(effs) != 2 {
		t.Fatalf("%#v", effs)
	}
	if ev := effs[0].(push.Event); ev.Name != push.EventRejected || ev.Attrs[0].Value != push.RejectNotLoggedIn {
		t.Fatalf("%#v", ev)
	}
	if got := string(effs[1].(push.SendTo).Data); got != `{"mt":"PushNotifyPostResult","src":"3","err":"not_logged_in"}` {
		t.Fatalf("result %s", got)
	}
	// A login with no challenge first is refused too.
	effs = svc.Receive(1, []byte(`{"mt":"AppLogin","app":"ws","digest":"00"}`))
	if got := string(effs[1].(push.SendTo).Data); got != `{"mt":"AppLoginResult","error":"no_challenge"}` {
		t.Fatalf("login result %s", got)
	}
	// Garbage closes the connection.
	effs = svc.Receive(1, []byte(`nonsense`))
	if cc, ok := effs[1].(push.CloseConn); !ok || cc.Reason != push.ReasonProtocol {
		t.Fatalf("%#v", effs)
	}
	if svc.Receive(1, []byte(`{"mt":"AppChallenge"}`)) != nil {
		t.Fatal("closed connection still served")
	}
}

func TestRealDriverPathAndStaleMessages(t *testing.T) {
	c, err := push.NewClient(certConfig("example.com", "1"), seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	effs := c.Start()
	if d, ok := effs[0].(push.Dial); !ok || d.Host != "push.test" || d.Path != "/push/ws" || d.Certificate != "device" || d.Serial != "1" || d.Legacy {
		t.Fatalf("dial %#v", effs)
	}
	// crypto/tls did the handshake: Opened straight from dialing.
	effs = c.Opened()
	if s, ok := effs[0].(push.Send); !ok || string(s.Data) != `{"mt":"AppChallenge"}` {
		t.Fatalf("%#v", effs)
	}
	c.Failed(push.ReasonConnectionLost)
	if got := c.Receive([]byte(`{"mt":"AppChallengeResult","challenge":"x"}`)); got != nil {
		t.Fatalf("stale message handled: %#v", got)
	}
	if got := c.Failed(push.ReasonConnectionLost); got != nil {
		t.Fatalf("second failure while waiting: %#v", got)
	}
}

func TestDeterministicRun(t *testing.T) {
	run := func() ([][]byte, []string) {
		h := newHarness(t, push.ServiceConfig{Available: true})
		h.apns.Register(apns.Device{Name: "alice-iphone", Token: iphoneToken})
		l := h.addPBX("pbx", certConfig("example.com", "1001"))
		h.start(l)
		key, _ := push.NewKey("k", seeded(5))
		for i := range 3 {
			h.run(l, l.client.Post(push.Post{Src: strconv.Itoa(i), Token: iphoneToken, Platform: "apns", Type: "call", Details: push.Details{Number: "201"}, Key: &key}))
		}
		return append(h.serviceSaw, h.vendorSaw...), h.names()
	}
	b1, e1 := run()
	b2, e2 := run()
	if !slices.Equal(e1, e2) || len(b1) != len(b2) {
		t.Fatal("events differ between runs")
	}
	for i := range b1 {
		if !bytes.Equal(b1[i], b2[i]) {
			t.Fatalf("byte record %d differs:\n%s\n%s", i, b1[i], b2[i])
		}
	}
}

func TestNewServiceAndAccept(t *testing.T) {
	if _, err := push.NewService(push.ServiceConfig{Accepts: []push.Role{"stolen"}}, seeded(1)); err == nil {
		t.Fatal("bad accepts list")
	}
	if _, err := push.NewService(push.ServiceConfig{}, nil); err == nil {
		t.Fatal("no random source")
	}
	svc, _ := push.NewService(push.ServiceConfig{Available: true, Accepts: []push.Role{"own"}}, seeded(1))
	if effs := svc.Accept(1, push.Peer{Certificate: "own", Serial: "3"}); len(effs) != 1 {
		t.Fatalf("own accepted by policy: %#v", effs)
	}
	if effs := svc.Accept(1, push.Peer{Certificate: "own", Serial: "4"}); len(effs) != 1 || effs[0].(push.CloseConn).Reason != push.ReasonProtocol {
		t.Fatalf("duplicate conn id: %#v", effs)
	}
	effs := svc.Accept(2, push.Peer{Certificate: "device", Serial: "5"})
	if ev := effs[0].(push.Event); ev.Name != push.EventRejected {
		t.Fatalf("%#v", effs)
	} else if r, _ := ev.Get("reason"); r != "certificate" {
		t.Fatalf("%#v", ev)
	}
}
