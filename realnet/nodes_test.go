package realnet_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// This file hosts the real nodes — phones (phone.Node) and PBXs (pbx.Node)
// — on realnet.Host, each actor on a loopback address of its own with the
// well-known ports, and the hand-made peers some tests need: a gatekeeper
// on a plain UDP socket, a silent call-signalling listener and a raw TPKT
// caller.

// testTimeout bounds every network test.
const testTimeout = 20 * time.Second

// describers name what a host receives from actors it does not run (each
// actor of these tests runs on a host of its own, as on separate machines).
var describers = map[string]realnet.Describer{"ras": ras.Describe, "q931": h323.Describe}

func testLog(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// recorder keeps a host's events for the test goroutine (OnEvent runs on
// the host's loop).
type recorder struct {
	mu     sync.Mutex
	events []timeline.Event
}

func (r *recorder) add(e *timeline.Event) {
	r.mu.Lock()
	r.events = append(r.events, *e)
	r.mu.Unlock()
}

func (r *recorder) snapshot() []timeline.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// waitUntil polls the events until cond holds; it fails the test when ctx
// ends first.
func (r *recorder) waitUntil(t *testing.T, ctx context.Context, what string, cond func([]timeline.Event) bool) {
	t.Helper()
	for !cond(r.snapshot()) {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; events:\n%s", what, ctx.Err(), dump(r.snapshot()))
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// waitFor waits for an event named name with the attributes attrs.
func (r *recorder) waitFor(t *testing.T, ctx context.Context, name string, attrs ...string) {
	t.Helper()
	r.waitUntil(t, ctx, name+" "+strings.Join(attrs, " "), func(evs []timeline.Event) bool { return find(evs, name, attrs...) })
}

// is reports whether e is named name and has the attributes attrs (key,
// value pairs).
func is(e *timeline.Event, name string, attrs ...string) bool {
	if e.Name != name {
		return false
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		if v, ok := e.Get(attrs[i]); !ok || v != attrs[i+1] {
			return false
		}
	}
	return true
}

func find(events []timeline.Event, name string, attrs ...string) bool {
	return count(events, name, attrs...) > 0
}

func count(events []timeline.Event, name string, attrs ...string) int {
	n := 0
	for i := range events {
		if is(&events[i], name, attrs...) {
			n++
		}
	}
	return n
}

func dump(events []timeline.Event) string {
	var b strings.Builder
	for i := range events {
		b.WriteString(events[i].String())
		b.WriteByte('\n')
	}
	return b.String()
}

// messages lists the messages of a host's events as self saw them: "send
// q931.setup" for one it sent, "recv ras.rcf" for one it received (with
// cause=N when the message has one), in order; only names with one of the
// prefixes.
func messages(events []timeline.Event, self string, prefixes ...string) []string {
	var out []string
	for i := range events {
		e := &events[i]
		if e.Wire == nil || !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(e.Name, p) }) {
			continue
		}
		if _, reason := e.Get("reason"); e.Name == "q931.facility" && !reason {
			continue // a Facility that only carries tunnelled H.245, as the legs' timing sends them
		}
		from, _ := e.Get("from")
		to, _ := e.Get("to")
		var line string
		switch self {
		case from:
			line = "send " + e.Name
		case to:
			line = "recv " + e.Name
		default:
			continue
		}
		if c, ok := e.Get("cause"); ok {
			line += " cause=" + c
		}
		out = append(out, line)
	}
	return out
}

// matches checks a message list against a pattern: the lines joined by
// commas must match it (a regular expression, anchored).
func matches(got []string, pattern string) bool {
	return regexp.MustCompile("^(?:" + pattern + ")$").MatchString(strings.Join(got, ","))
}

// actor is one node running on a host of its own until the test ends.
type actor struct {
	name   string
	ip     netip.Addr
	host   *realnet.Host
	rec    *recorder
	cancel context.CancelFunc
	done   chan struct{}
}

// runNode hosts n as the actor name at ip until ctx ends, the node ends by
// itself, or the test ends.
func runNode(t *testing.T, ctx context.Context, name string, ip netip.Addr, n node.Node) *actor {
	t.Helper()
	h := realnet.NewHost(testLog(t), nil)
	h.Describe = describers
	a := &actor{name: name, ip: ip, host: h, rec: &recorder{}, done: make(chan struct{})}
	h.OnEvent = a.rec.add
	h.Add(name, ip, n)
	runCtx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	go func() { _ = h.Run(runCtx); close(a.done) }()
	t.Cleanup(func() { cancel(); <-a.done })
	return a
}

// stop ends the actor's run (its node winds down) and waits for it.
func (a *actor) stop(t *testing.T) {
	t.Helper()
	a.cancel()
	a.wait(t)
}

// wait waits for the actor's run to end.
func (a *actor) wait(t *testing.T) {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(testTimeout):
		t.Fatalf("%s did not end; events:\n%s", a.name, dump(a.rec.snapshot()))
	}
}

// messages are the actor's messages (see messages).
func (a *actor) messages(prefixes ...string) []string {
	return messages(a.rec.snapshot(), a.name, prefixes...)
}

// testPhone is a phone node on a host.
type testPhone struct {
	*actor
	n *phone.Node
}

// result is what the phone's run did; read it once the run ended.
func (p *testPhone) result() phone.Result { return p.n.Result() }

// phoneConfig is a desk phone of the tests on an address of its own, with
// RAS on 1719 and call signalling on 1720, that lets calls ring.
func phoneConfig(alias, number string, gk netip.AddrPort) phone.NodeConfig {
	core := phone.Defaults(alias, phone.KindDeskphone, "")
	core.TTL = time.Minute
	return phone.NodeConfig{Core: core, Alias: alias, Number: number, IP: loopback.Addr(),
		RASPort: phone.PortRAS, SignalPort: phone.PortSignalling,
		Gatekeeper: gk, PBXSignal: netip.AddrPortFrom(gk.Addr(), phone.PortSignalling),
		SetupTimeout: phone.DefaultSetupTimeout, ProceedingTimeout: phone.DefaultProceedingTimeout,
		Report: true, StopOnFailure: true, Random: rand.Reader}
}

func startPhone(t *testing.T, ctx context.Context, cfg phone.NodeConfig) *testPhone {
	t.Helper()
	n, err := phone.NewNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testPhone{actor: runNode(t, ctx, cfg.Core.Device, cfg.IP, n), n: n}
}

// rasAddr and signalAddr are where the phone listens.
func (p *testPhone) rasAddr() netip.AddrPort { return netip.AddrPortFrom(p.ip, phone.PortRAS) }
func (p *testPhone) signalAddr() netip.AddrPort {
	return netip.AddrPortFrom(p.ip, phone.PortSignalling)
}

// registered waits until the phone's registration was confirmed.
func (p *testPhone) registered(t *testing.T, ctx context.Context) {
	t.Helper()
	p.rec.waitFor(t, ctx, "phone.registered", "device", p.name)
}

// pbxOptions are the variations of the tests' PBX.
type pbxOptions struct {
	ttl      time.Duration // granted time to live; 0 = a minute
	preGrant bool          // RCFs pre-grant answering (pbx.NodeConfig.PreGrantAnswer)
}

// testPBX is a PBX node on a host: users alice (201), bob (202), carol
// (203) and sam (204, H.235 password "secret"), each with one desk phone.
type testPBX struct {
	*actor
	ras, signal netip.AddrPort
}

func startPBX(t *testing.T, ctx context.Context, opts pbxOptions) *testPBX {
	t.Helper()
	ip := loopback.Addr()
	cfg := pbx.Config{SystemName: "pbx", Users: []pbx.User{
		{Name: "alice", Number: "201"}, {Name: "bob", Number: "202"}, {Name: "carol", Number: "203"},
		{Name: "sam", Number: "204", Password: "secret"}}}
	for _, u := range cfg.Users {
		cfg.Devices = append(cfg.Devices, pbx.Device{Name: u.Name + "-phone", User: u.Name, Kind: pbx.KindDeskphone})
	}
	ttl := opts.ttl
	if ttl == 0 {
		ttl = time.Minute
	}
	// No certificates: the secure sockets are not part of these tests.
	n, err := pbx.NewNode(pbx.NodeConfig{Core: cfg, Name: "pbx", IP: ip, TimeToLive: ttl, PreGrantAnswer: opts.preGrant,
		Random: rand.Reader, Listen: pbx.Addrs{DTLS: netip.AddrPortFrom(ip, 0), Secure: netip.AddrPortFrom(ip, 0), Session: netip.AddrPortFrom(ip, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	p := &testPBX{actor: runNode(t, ctx, "pbx", ip, n),
		ras: netip.AddrPortFrom(ip, pbx.PortRAS), signal: netip.AddrPortFrom(ip, pbx.PortSignalling)}
	waitListening(t, ctx, p.signal)
	return p
}

// waitListening waits until a TCP listener accepts at addr: the nodes bind
// every socket when they start, so their UDP sockets are bound too.
func waitListening(t *testing.T, ctx context.Context, addr netip.AddrPort) {
	t.Helper()
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr.String())
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("nothing listens at %v: %v", addr, err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// rawGatekeeper is a gatekeeper of the tests' own making on a plain UDP
// socket, where the PBX node cannot serve: the RAS core answers, its ACFs
// send calls to signal, and with rejectAnswers every ARQ to answer a call
// gets ARJ requestDenied.
func startRawGatekeeper(t *testing.T, signal netip.AddrPort, rejectAnswers bool) netip.AddrPort {
	t.Helper()
	addr := netip.AddrPortFrom(loopback.Addr(), pbx.PortRAS)
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	gk := ras.NewGatekeeper(ras.GatekeeperConfig{ID: "raw-gk", RASAddress: addr, CallSignalAddress: signal})
	var wg sync.WaitGroup
	t.Cleanup(func() { c.Close(); wg.Wait() })
	wg.Go(func() {
		buf := make([]byte, realnet.MaxDatagram)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			} else if err != nil {
				continue
			}
			payload := slices.Clone(buf[:n])
			if m, err := ras.Decode(payload); err == nil && rejectAnswers && m.AdmissionRequest != nil && m.AdmissionRequest.AnswerCall {
				arj, err := ras.Encode(ras.NewARJ(ras.SeqNum(m), h225.AdmissionRejectReasonRequestDenied))
				if err != nil {
					panic(err) // a fixed message of ours
				}
				_, _ = c.WriteToUDPAddrPort(arj, from)
				continue
			}
			// TimeToLive 0: registrations never expire, so no timer is set.
			for _, e := range gk.HandleDatagram(time.Now(), from, payload) {
				if s, ok := e.(ras.Send); ok {
					_, _ = c.WriteToUDPAddrPort(s.Payload, s.To)
				}
			}
		}
	})
	return addr
}

// silentPeer listens for call signalling and reads what comes; with proceed
// it answers each Setup with Call Proceeding, and then says nothing more.
func silentPeer(t *testing.T, proceed bool) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(loopback.Addr(), phone.PortSignalling).String())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				rd := q931.NewReader(c, 0)
				leg := h323.NewLeg(h323.LegConfig{})
				for {
					msg, err := rd.ReadMessage()
					if err != nil {
						return
					}
					for _, e := range leg.HandleMessage(slices.Clone(msg)) {
						if _, ok := e.(h323.PeerSetup); ok && proceed {
							writeEffects(c, leg.CallProceeding())
						}
					}
				}
			})
		}
	})
	return netip.MustParseAddrPort(ln.Addr().String())
}

// writeEffects writes the messages among a leg's effects, TPKT-framed.
func writeEffects(c net.Conn, effects []h323.Effect) error {
	for _, e := range effects {
		if s, ok := e.(h323.Send); ok {
			frame, err := q931.Frame(s.Payload)
			if err != nil {
				return err
			}
			if _, err := c.Write(frame); err != nil {
				return err
			}
		}
	}
	return nil
}

// rawCaller speaks TPKT-framed Q.931 on a plain TCP connection, with an
// h323.Leg building and reading its messages.
type rawCaller struct {
	t   *testing.T
	c   net.Conn
	rd  *q931.Reader
	leg *h323.Leg
}

// dialRaw connects from (a loopback address; invalid = any) to to.
func dialRaw(t *testing.T, from netip.Addr, to netip.AddrPort, cfg h323.LegConfig) *rawCaller {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if from.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(from, 0))
	}
	c, err := d.Dial("tcp", to.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(testTimeout / 2))
	cfg.Outgoing = true
	return &rawCaller{t: t, c: c, rd: q931.NewReader(c, 0), leg: h323.NewLeg(cfg)}
}

func (r *rawCaller) send(effects []h323.Effect) {
	r.t.Helper()
	if err := writeEffects(r.c, effects); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawCaller) write(b []byte) {
	r.t.Helper()
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// read reads the next message and hands it to the leg; it returns the
// leg's effects, named by type ("PeerAlerting", "PeerReleased cause=16").
func (r *rawCaller) read() ([]string, error) {
	msg, err := r.rd.ReadMessage()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range r.leg.HandleMessage(slices.Clone(msg)) {
		switch e := e.(type) {
		case h323.Send:
		case h323.PeerReleased:
			out = append(out, fmt.Sprintf("PeerReleased cause=%d", e.Cause))
		default:
			out = append(out, strings.TrimPrefix(fmt.Sprintf("%T", e), "h323."))
		}
	}
	return out, nil
}

// readN reads until the leg reported n effects.
func (r *rawCaller) readN(n int) []string {
	r.t.Helper()
	var seen []string
	for len(seen) < n {
		got, err := r.read()
		if err != nil {
			r.t.Fatalf("after %v: %v", seen, err)
		}
		seen = append(seen, got...)
	}
	return seen
}

// closed checks that the other side closes the connection next.
func (r *rawCaller) closed() {
	r.t.Helper()
	got, err := r.read()
	var ne net.Error
	switch {
	case err == nil:
		r.t.Errorf("the connection stayed open (then %v)", got)
	case errors.As(err, &ne) && ne.Timeout():
		r.t.Errorf("the connection stayed open (%v)", err)
	}
}

// settle waits until the goroutine count is back to at most base.
func settle(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d, want at most %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
