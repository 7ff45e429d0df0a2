package realnet_test

import (
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// The phone node (package phone) on real sockets against the PBX node
// (package pbx), each on a host of its own, and against hand-made peers.

// TestPhoneRegisterKeepAliveUnregister: discovery, registration, a
// keep-alive before the granted time to live runs out, and URQ at the end;
// every goroutine of both hosts ends.
func TestPhoneRegisterKeepAliveUnregister(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx := testContext(t)
	// 2 s granted: the keep-alive is due after 1.8 s.
	gk := startPBX(t, ctx, pbxOptions{ttl: 2 * time.Second})
	cfg := phoneConfig("alice", "201", gk.ras)
	cfg.Discover = true
	p := startPhone(t, ctx, cfg)
	p.rec.waitFor(t, ctx, "ras.rrq", "keepalive", "true")
	p.rec.waitUntil(t, ctx, "the keep-alive's RCF", func(evs []timeline.Event) bool {
		return strings.HasSuffix(strings.Join(messages(evs, p.name, "ras."), ","), "send ras.rrq,recv ras.rcf") &&
			count(evs, "ras.rcf") >= 2
	})
	p.stop(t)

	got := p.messages("ras.")
	if !matches(got, `send ras.grq,recv ras.gcf,send ras.rrq,recv ras.rcf(,send ras.rrq,recv ras.rcf)+,send ras.urq,recv ras.ucf`) {
		t.Errorf("phone's RAS: %v", got)
	}
	if res := p.result(); !res.Registered || res.Unregistered != "urq" || res.Failure != "" {
		t.Errorf("result %+v; want registered, unregistered by urq", res)
	}
	if res := p.result(); res.RASAddress != p.rasAddr() || res.SignalAddress != p.signalAddr() {
		t.Errorf("bound %v and %v, want %v and %v", res.RASAddress, res.SignalAddress, p.rasAddr(), p.signalAddr())
	}
	pbxSaw := gk.rec.snapshot()
	if !find(pbxSaw, "ras.rrq", "from", p.rasAddr().String(), "keepalive", "true") || !find(pbxSaw, "ras.ucf", "to", p.rasAddr().String()) {
		t.Errorf("the PBX saw no keep-alive or sent no UCF:\n%s", dump(pbxSaw))
	}
	gk.stop(t)
	settle(t, base)
}

// TestPhoneRegistrationRejected: a user with an H.235 password refuses an
// RRQ without the right one (RRJ securityDenial); the phone gives up and
// ends by itself.
func TestPhoneRegistrationRejected(t *testing.T) {
	for _, tc := range []struct{ name, password string }{
		{"wrong password", "guess"},
		{"no password", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			gk := startPBX(t, ctx, pbxOptions{})
			cfg := phoneConfig("sam", "204", gk.ras)
			cfg.Password = tc.password
			p := startPhone(t, ctx, cfg)
			p.wait(t)
			if res := p.result(); res.Registered || res.Failure != "securityDenial" {
				t.Errorf("result %+v; want failure securityDenial", res)
			}
			if evs := p.rec.snapshot(); !find(evs, "ras.rrj", "to", "sam", "reason", "securityDenial") ||
				!find(evs, "phone.registration_failed", "device", "sam", "reason", "securityDenial") {
				t.Errorf("no RRJ securityDenial:\n%s", dump(evs))
			}
		})
	}
}

// TestPhoneRegisterWithPassword: the right H.235 password registers, with
// either token method.
func TestPhoneRegisterWithPassword(t *testing.T) {
	for _, method := range []ras.AuthMethod{ras.AuthHMACSHA1, ras.AuthMD5} {
		t.Run(method.String(), func(t *testing.T) {
			ctx := testContext(t)
			gk := startPBX(t, ctx, pbxOptions{})
			cfg := phoneConfig("sam", "204", gk.ras)
			cfg.Password, cfg.Authentication = "secret", method
			p := startPhone(t, ctx, cfg)
			p.registered(t, ctx)
			p.stop(t)
			if res := p.result(); !res.Registered || res.Unregistered != "urq" {
				t.Errorf("result %+v", res)
			}
		})
	}
}

// TestMalformedDatagram: a datagram that is not RAS is recorded and
// ignored by the PBX; the phone refuses anything not from its gatekeeper
// before reading it (ras.refused); both run on.
func TestMalformedDatagram(t *testing.T) {
	ctx := testContext(t)
	gk := startPBX(t, ctx, pbxOptions{})
	junk := func(to netip.AddrPort) {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte{0xff, 0x00, 0x13}); err != nil {
			t.Fatal(err)
		}
	}
	junk(gk.ras)
	gk.rec.waitFor(t, ctx, "ras.malformed")
	p := startPhone(t, ctx, phoneConfig("alice", "201", gk.ras))
	p.registered(t, ctx)
	junk(p.rasAddr())
	p.rec.waitFor(t, ctx, "ras.refused")
	p.stop(t)
	if res := p.result(); res.Unregistered != "urq" {
		t.Errorf("result %+v; want unregistered by urq", res)
	}
}

// TestRegistrationTimeout: a gatekeeper that never answers: the RRQ is
// sent three times (3 s apart) and registration fails with reason timeout;
// the phone then sends a URQ, since the gatekeeper may have registered it
// without its answers arriving (ras's cleanup URQ).
func TestRegistrationTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes the RAS request timeouts (9 s)")
	}
	t.Parallel()
	silent, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback.Addr(), phone.PortRAS)))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	ctx := testContext(t)
	p := startPhone(t, ctx, phoneConfig("alice", "201", silent.LocalAddr().(*net.UDPAddr).AddrPort()))
	p.wait(t)
	if res := p.result(); res.Failure != "timeout" || res.Registered {
		t.Errorf("result %+v; want failure timeout", res)
	}
	if got := p.messages("ras."); strings.Join(got, ",") != "send ras.rrq,send ras.rrq,send ras.rrq,send ras.urq" {
		t.Errorf("RAS %v, want three RRQs and the cleanup URQ", got)
	}
	if !find(p.rec.snapshot(), "ras.rrq", "retry", "2") {
		t.Error("no second retransmission")
	}
}

// TestIncomingFromRawPeer: a caller speaking raw TPKT to the phone: an
// empty TPKT keep-alive before the Setup is skipped, the phone answers Call
// Proceeding, asks admission and rings (Alerting), and a Release Complete
// from the caller ends the call: the phone closes the connection and
// disengages.
func TestIncomingFromRawPeer(t *testing.T) {
	ctx := testContext(t)
	gk := startPBX(t, ctx, pbxOptions{})
	p := startPhone(t, ctx, phoneConfig("bob", "202", gk.ras))
	p.registered(t, ctx)

	c := dialRaw(t, gk.ras.Addr(), p.signalAddr(), h323.LegConfig{CallReference: 77, CallingNumber: "201", CalledNumber: "202", SourceAlias: "alice"})
	keepAlive, _ := q931.Frame(nil)
	c.write(keepAlive)
	c.send(c.leg.Setup())
	if got := c.readN(2); strings.Join(got, ",") != "PeerCallProceeding,PeerAlerting" {
		t.Errorf("the caller saw %v", got)
	}
	c.send(c.leg.Release(16))
	c.closed()
	p.rec.waitFor(t, ctx, "ras.dcf", "to", "bob")
	p.stop(t)
	want := "recv q931.setup,send q931.call_proceeding,send q931.alerting,recv q931.release_complete cause=16"
	if got := p.messages("q931."); strings.Join(got, ",") != want {
		t.Errorf("phone's Q.931\n got %v\nwant %s", got, want)
	}
	if evs := p.rec.snapshot(); !find(evs, phone.EventRinging, "number", "201") {
		t.Errorf("the phone did not ring:\n%s", dump(evs))
	}
}

// TestMalformedSetupAtPhone: a Setup without its H.225.0 user-user element
// is cleared with Release Complete 96 and the connection closed; the phone
// stays registered.
func TestMalformedSetupAtPhone(t *testing.T) {
	ctx := testContext(t)
	gk := startPBX(t, ctx, pbxOptions{})
	p := startPhone(t, ctx, phoneConfig("bob", "202", gk.ras))
	p.registered(t, ctx)
	c := dialRaw(t, gk.ras.Addr(), p.signalAddr(), h323.LegConfig{})
	expectCleared(t, c, 96)
	p.rec.waitFor(t, ctx, "q931.protocol_error")
	p.stop(t)
	if res := p.result(); res.Unregistered != "urq" {
		t.Errorf("result %+v; want unregistered by urq", res)
	}
}

// expectCleared sends a Setup without elements and checks the answer: a
// Release Complete with cause, then the end of the connection.
func expectCleared(t *testing.T, c *rawCaller, cause int) {
	t.Helper()
	frame, _ := q931.Frame([]byte{0x08, 0x02, 0x00, 0x09, byte(q931.Setup)}) // call reference 9, no elements
	c.write(frame)
	msg, err := c.rd.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	m, err := q931.Decode(msg)
	if err != nil || m.Type != q931.ReleaseComplete {
		t.Fatalf("answer %v (%v), want Release Complete", m.Type, err)
	}
	if got, err := m.Cause(); err != nil || int(got.Value) != cause {
		t.Errorf("cause %v (%v), want %d", got.Value, err, cause)
	}
	c.closed()
}

// TestAnswerAdmissionRefused: a gatekeeper that refuses admission to
// answer (ARJ) makes the phone release the call with cause 21 without
// ringing.
func TestAnswerAdmissionRefused(t *testing.T) {
	ctx := testContext(t)
	gk := startRawGatekeeper(t, netip.AddrPort{}, true)
	p := startPhone(t, ctx, phoneConfig("bob", "202", gk))
	p.registered(t, ctx)
	c := dialRaw(t, gk.Addr(), p.signalAddr(), h323.LegConfig{CallReference: 5, CallingNumber: "201", CalledNumber: "202", SourceAlias: "alice"})
	c.send(c.leg.Setup())
	if got := c.readN(2); strings.Join(got, ",") != "PeerCallProceeding,PeerReleased cause=21" {
		t.Errorf("the caller saw %v", got)
	}
	c.closed()
	p.stop(t)
	want := "recv q931.setup,send q931.call_proceeding,send ras.arq,recv ras.arj,send q931.release_complete cause=21"
	if got := p.messages("q931.", "ras.arq", "ras.arj", "ras.drq"); strings.Join(got, ",") != want {
		t.Errorf("phone\n got %v\nwant %s", got, want)
	}
	evs := p.rec.snapshot()
	if find(evs, phone.EventRinging) || !find(evs, "call.not_admitted", "reason", "requestDenied") {
		t.Errorf("rang, or no call.not_admitted:\n%s", dump(evs))
	}
}

// TestCallTimers: a placed call whose Setup gets no answer is cleared after
// SetupTimeout (T303), one whose Call Proceeding is not followed by Alerting
// after ProceedingTimeout (T310), both with cause 102, and disengaged.
func TestCallTimers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proceed bool // the peer answers the Setup with Call Proceeding, then nothing
		timer   string
		// The timer that is not under test waits long: a loaded machine
		// must not make the other one run out first.
		setup, proceeding time.Duration
		want              string
	}{
		{"no answer to the Setup", false, "T303", 300 * time.Millisecond, time.Minute,
			"send q931.setup,send q931.release_complete cause=102"},
		{"no progress after Call Proceeding", true, "T310", time.Minute, 300 * time.Millisecond,
			"send q931.setup,recv q931.call_proceeding,send q931.release_complete cause=102"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			gk := startRawGatekeeper(t, silentPeer(t, tc.proceed), false)
			cfg := phoneConfig("alice", "201", gk)
			cfg.Call, cfg.StopAfterCall = &phone.PlaceCall{To: "202"}, true
			cfg.SetupTimeout, cfg.ProceedingTimeout = tc.setup, tc.proceeding
			p := startPhone(t, ctx, cfg)
			p.wait(t) // the call is over: so is the run
			if got := p.messages("q931."); strings.Join(got, ",") != tc.want {
				t.Errorf("got %v\nwant %s", got, tc.want)
			}
			evs := p.rec.snapshot()
			if res := p.result(); res.ReleaseCause != 102 || res.Connected || !find(evs, "q931.timer_expired", "timer", tc.timer) {
				t.Errorf("result %+v, events:\n%s", res, dump(evs))
			}
			if got := p.messages("ras."); !matches(got, `send ras.rrq,recv ras.rcf,send ras.arq,recv ras.acf,send ras.drq,recv ras.dcf,send ras.urq,recv ras.ucf`) {
				t.Errorf("RAS %v: the call was not admitted and disengaged", got)
			}
		})
	}
}
