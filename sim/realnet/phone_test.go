package realnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"

	"github.com/rs/zerolog"
)

// testTimeout bounds every network test.
const testTimeout = 10 * time.Second

func testLog(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

// phoneConfig is a phone of the tests: loopback only, no trace output.
func phoneConfig(t *testing.T, gk netip.AddrPort, alias, number string) PhoneConfig {
	return PhoneConfig{Alias: alias, Number: number, Gatekeeper: gk, TTL: 60 * time.Second,
		Listen: netip.MustParseAddrPort("127.0.0.1:0"), Answer: phone.Answer{Mode: phone.AnswerNever}, Log: testLog(t)}
}

// messages lists the traced messages as "send q931.setup" / "recv
// ras.rcf" (with cause=N when present), in order.
func messages(events []TraceEvent, prefix string) []string {
	var out []string
	for _, e := range events {
		if e.Dir == Local || !strings.HasPrefix(e.Name, prefix) {
			continue
		}
		line := string(e.Dir) + " " + e.Name
		if c, ok := e.Get("cause"); ok {
			line += " cause=" + c
		}
		out = append(out, line)
	}
	return out
}

func find(events []TraceEvent, dir Direction, name string, attrs ...string) bool {
	for _, e := range events {
		if e.Dir != dir || e.Name != name {
			continue
		}
		ok := true
		for i := 0; i+1 < len(attrs); i += 2 {
			if v, has := e.Get(attrs[i]); !has || v != attrs[i+1] {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// settle waits until the goroutine count is back to at most base.
func settle(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d, want at most %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRegisterKeepAliveUnregister(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gkCtx, stopGK := context.WithCancel(ctx)
	gk := startGatekeeper(t, gkCtx, 2*time.Second, nil)

	cfg := phoneConfig(t, gk.RAS, "alice", "201")
	cfg.Discover = true
	cfg.TTL = 2 * time.Second
	cfg.Duration = 3 * time.Second // keep-alive due at 90 % of 2 s, 1.2 s to spare
	var out strings.Builder
	cfg.Out = &out
	res, err := RunPhone(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Registered || res.Unregistered != "urq" {
		t.Errorf("registered %v, unregistered %q; want true, urq", res.Registered, res.Unregistered)
	}
	want := []string{"send ras.grq", "recv ras.gcf", "send ras.rrq", "recv ras.rcf", "send ras.rrq", "recv ras.rcf", "send ras.urq", "recv ras.ucf"}
	if got := messages(res.Events, "ras."); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ras messages\n got %v\nwant %v\n%s", got, want, out.String())
	}
	if !find(res.Events, Sent, "ras.rrq", "keepalive", "true") {
		t.Errorf("no keep-alive RRQ:\n%s", out.String())
	}
	// The lines are the timeline's format with the direction.
	if !strings.Contains(out.String(), "->  ras.rrq  peer="+gk.RAS.String()) {
		t.Errorf("trace lines lack a sent RRQ to %v:\n%s", gk.RAS, out.String())
	}
	stopGK()
	gk.wg.Wait()
	if !find(gk.trace.Events(), Received, "ras.rrq", "keepalive", "true") {
		t.Error("the gatekeeper did not see the keep-alive")
	}
	settle(t, base)
}

func TestRegistrationRejected(t *testing.T) {
	tests := []struct {
		name, password, want string
		users                map[string]string
	}{
		{"wrong password", "guess", "securityDenial", map[string]string{"alice": "secret"}},
		{"no password", "", "securityDenial", map[string]string{"alice": "secret"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			gk := startGatekeeper(t, ctx, time.Minute, tc.users)
			cfg := phoneConfig(t, gk.RAS, "alice", "201")
			cfg.Password = tc.password
			res, err := RunPhone(ctx, cfg)
			if !errors.Is(err, ErrRegistration) || res.Failure != tc.want || res.Registered {
				t.Fatalf("err %v, failure %q, registered %v; want %v, %q", err, res.Failure, res.Registered, ErrRegistration, tc.want)
			}
			if !find(res.Events, Received, "ras.rrj", "reason", tc.want) {
				t.Errorf("no RRJ %s traced: %v", tc.want, messages(res.Events, ""))
			}
		})
	}
}

func TestRegisterWithPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeper(t, ctx, time.Minute, map[string]string{"alice": "secret"})
	cfg := phoneConfig(t, gk.RAS, "alice", "201")
	cfg.Password = "secret"
	res, err := runUntil(ctx, cfg, "phone.registered")
	if err != nil || !res.Registered || res.Unregistered != "urq" {
		t.Fatalf("err %v, registered %v, unregistered %q", err, res.Registered, res.Unregistered)
	}
}

// callBetween runs a callee (registered, answering as told) and a caller
// that calls it through the gatekeeper harness.
func callBetween(t *testing.T, answer phone.Answer) (caller, callee PhoneResult) {
	t.Helper()
	return callBetweenWith(t, answer, gatekeeperOptions{}, AnswerAdmissionAuto)
}

// callBetweenWith is callBetween with a gatekeeper of those options and a
// callee asking admission to answer as told.
func callBetweenWith(t *testing.T, answer phone.Answer, opts gatekeeperOptions, admission AnswerAdmission) (caller, callee PhoneResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeperWith(t, ctx, time.Minute, nil, opts)

	calleeCtx, hangUpCallee := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var calleeErr error
	registered, callOver := make(chan struct{}), make(chan struct{})
	calleeCfg := phoneConfig(t, gk.RAS, "bob", "202")
	calleeCfg.Answer, calleeCfg.AnswerAdmission = answer, admission
	calleeCfg.Out = multiWatch{
		{prefix: "phone.registered", seen: registered, once: new(sync.Once)},
		{prefix: "q931.release_complete", seen: callOver, once: new(sync.Once)},
	}
	wg.Go(func() { callee, calleeErr = RunPhone(calleeCtx, calleeCfg) })
	select {
	case <-registered:
	case <-ctx.Done():
		t.Fatal("callee did not register")
	}
	callerCfg := phoneConfig(t, gk.RAS, "alice", "201")
	callerCfg.Call, callerCfg.HangupAfter = "202", 300*time.Millisecond
	caller, err := RunPhone(ctx, callerCfg)
	// The caller's Release Complete reaches the callee through the harness,
	// which may take longer than the caller's URQ/UCF: the callee's run ends
	// only once its call is over, or it would release the call itself.
	select {
	case <-callOver:
	case <-ctx.Done():
	}
	hangUpCallee()
	wg.Wait()
	if err != nil || calleeErr != nil {
		t.Fatalf("caller: %v, callee: %v", err, calleeErr)
	}
	return caller, callee
}

// runUntil runs a phone until a trace line contains prefix, then ends it.
func runUntil(ctx context.Context, cfg PhoneConfig, prefix string) (PhoneResult, error) {
	seen := make(chan struct{})
	cfg.Out = lineWatch{prefix: prefix, seen: seen, once: new(sync.Once)}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-seen:
			stop()
		case <-runCtx.Done():
		}
	}()
	return RunPhone(runCtx, cfg)
}

// multiWatch hands every line to several watches.
type multiWatch []lineWatch

func (m multiWatch) Write(b []byte) (int, error) {
	for _, w := range m {
		_, _ = w.Write(b)
	}
	return len(b), nil
}

// lineWatch closes seen when a trace line contains prefix.
type lineWatch struct {
	prefix string
	seen   chan struct{}
	once   *sync.Once
}

func (w lineWatch) Write(b []byte) (int, error) {
	if strings.Contains(string(b), w.prefix) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(b), nil
}

func TestCallAnswered(t *testing.T) {
	base := runtime.NumGoroutine()
	caller, callee := callBetween(t, phone.Answer{Mode: phone.AnswerAfter, After: 200 * time.Millisecond})
	wantCaller := []string{"send q931.setup", "recv q931.call_proceeding", "recv q931.alerting", "recv q931.connect", "send q931.release_complete cause=16"}
	if got := messages(caller.Events, "q931."); fmt.Sprint(got) != fmt.Sprint(wantCaller) {
		t.Errorf("caller\n got %v\nwant %v", got, wantCaller)
	}
	wantCallee := []string{"recv q931.setup", "send q931.call_proceeding", "send q931.alerting", "send q931.connect", "recv q931.release_complete cause=16"}
	if got := messages(callee.Events, "q931."); fmt.Sprint(got) != fmt.Sprint(wantCallee) {
		t.Errorf("callee\n got %v\nwant %v", got, wantCallee)
	}
	if !caller.Connected || caller.ReleaseCause != 16 || caller.CallFailure != "" {
		t.Errorf("caller result %+v", caller)
	}
	for _, name := range []string{"ras.arq", "ras.drq", "ras.urq"} {
		if !find(caller.Events, Sent, name) {
			t.Errorf("caller sent no %s: %v", name, messages(caller.Events, "ras."))
		}
	}
	if !find(callee.Events, Local, phone.EventRinging, "number", "201") || !find(callee.Events, Local, phone.EventAnswered) {
		t.Errorf("callee core events missing: %v", callee.Events)
	}
	settle(t, base)
}

// TestAnswerAdmission: before it rings, the callee asks its gatekeeper for
// admission to answer (ARQ answerCall) unless the RCF pre-granted it or it
// is told otherwise; after the call it disengages. An ARJ refuses the call
// with cause 21, and the phone never rings.
func TestAnswerAdmission(t *testing.T) {
	answer := phone.Answer{Mode: phone.AnswerAfter, After: 100 * time.Millisecond}
	asked := []string{"recv q931.setup", "send q931.call_proceeding", "send ras.arq", "recv ras.acf",
		"send q931.alerting", "send q931.connect", "recv q931.release_complete cause=16", "send ras.drq", "recv ras.dcf"}
	notAsked := []string{"recv q931.setup", "send q931.call_proceeding",
		"send q931.alerting", "send q931.connect", "recv q931.release_complete cause=16"}
	tests := []struct {
		name      string
		opts      gatekeeperOptions
		admission AnswerAdmission
		want      []string
	}{
		{"asks when not pre-granted", gatekeeperOptions{}, AnswerAdmissionAuto, asked},
		{"pre-granted: does not ask", gatekeeperOptions{preGrantAnswer: true}, AnswerAdmissionAuto, notAsked},
		{"always asks", gatekeeperOptions{preGrantAnswer: true}, AnswerAdmissionAlways, asked},
		{"never asks", gatekeeperOptions{}, AnswerAdmissionNever, notAsked},
		{"refused", gatekeeperOptions{rejectAnswers: true}, AnswerAdmissionAuto,
			[]string{"recv q931.setup", "send q931.call_proceeding", "send ras.arq", "recv ras.arj", "send q931.release_complete cause=21"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			caller, callee := callBetweenWith(t, answer, tc.opts, tc.admission)
			var got []string
			for _, m := range messages(callee.Events, "") {
				if strings.Contains(m, "q931.") || strings.Contains(m, "ras.arq") || strings.Contains(m, "ras.acf") ||
					strings.Contains(m, "ras.arj") || strings.Contains(m, "ras.drq") || strings.Contains(m, "ras.dcf") {
					got = append(got, m)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("callee\n got %v\nwant %v", got, tc.want)
			}
			rang := find(callee.Events, Local, phone.EventRinging)
			if refused := tc.opts.rejectAnswers; rang == refused || caller.Connected == refused {
				t.Errorf("refused %v: callee rang %v, caller connected %v (cause %d)", refused, rang, caller.Connected, caller.ReleaseCause)
			}
			if tc.opts.rejectAnswers && (caller.ReleaseCause != 21 || !find(callee.Events, Local, "call.not_admitted", "reason", "requestDenied")) {
				t.Errorf("refused: caller cause %d, callee events %v", caller.ReleaseCause, callee.Events)
			}
		})
	}
}

func TestCallBusy(t *testing.T) {
	caller, callee := callBetween(t, phone.Answer{Mode: phone.AnswerRejectBusy})
	wantCaller := []string{"send q931.setup", "recv q931.call_proceeding", "recv q931.release_complete cause=17"}
	if got := messages(caller.Events, "q931."); fmt.Sprint(got) != fmt.Sprint(wantCaller) {
		t.Errorf("caller\n got %v\nwant %v", got, wantCaller)
	}
	wantCallee := []string{"recv q931.setup", "send q931.call_proceeding", "send q931.release_complete cause=17"}
	if got := messages(callee.Events, "q931."); fmt.Sprint(got) != fmt.Sprint(wantCallee) {
		t.Errorf("callee\n got %v\nwant %v", got, wantCallee)
	}
	if caller.Connected || caller.ReleaseCause != 17 {
		t.Errorf("caller result: connected %v cause %d", caller.Connected, caller.ReleaseCause)
	}
}

func TestCallToUnknownNumber(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeper(t, ctx, time.Minute, nil)
	cfg := phoneConfig(t, gk.RAS, "alice", "201")
	cfg.Call = "999"
	res, err := RunPhone(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Connected || res.ReleaseCause != 3 {
		t.Errorf("connected %v, cause %d; want false, 3 (no route)", res.Connected, res.ReleaseCause)
	}
}

// A datagram from a stranger (not the gatekeeper's address) is recorded as
// refused and ignored, and the phone runs on.
func TestMalformedDatagram(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeper(t, ctx, time.Minute, nil)
	cfg := phoneConfig(t, gk.RAS, "alice", "201")
	registered, malformed := make(chan struct{}), make(chan struct{})
	cfg.Out = multiWatch{
		lineWatch{prefix: "phone.registered", seen: registered, once: new(sync.Once)},
		lineWatch{prefix: "ras.refused", seen: malformed, once: new(sync.Once)},
	}
	runCtx, stopPhone := context.WithCancel(ctx)
	var res PhoneResult
	var err error
	done := make(chan struct{})
	go func() { defer close(done); res, err = RunPhone(runCtx, cfg) }()
	<-registered
	// The phone's RAS port is not known outside; the gatekeeper knows it.
	reg, ok := lookupSoon(gk, "alice")
	if !ok {
		t.Fatal("alice not registered at the gatekeeper")
	}
	c, derr := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(reg))
	if derr != nil {
		t.Fatal(derr)
	}
	_, _ = c.Write([]byte{0xff, 0x00, 0x13})
	c.Close()
	select {
	case <-malformed:
	case <-ctx.Done():
	}
	stopPhone()
	<-done
	if err != nil || res.Unregistered != "urq" {
		t.Fatalf("err %v, unregistered %q", err, res.Unregistered)
	}
	if !find(res.Events, Local, "ras.refused") {
		t.Errorf("no ras.refused: %v", res.Events)
	}
}

// lookupSoon asks the gatekeeper's loop for a registration's RAS address.
func lookupSoon(h *gatekeeperHarness, alias string) (netip.AddrPort, bool) {
	type answer struct {
		addr netip.AddrPort
		ok   bool
	}
	ch := make(chan answer, 1)
	if !h.loop.Post(func() { r, ok := h.gk.Lookup(alias); ch <- answer{r.RASAddress, ok} }) {
		return netip.AddrPort{}, false
	}
	a := <-ch
	return a.addr, a.ok
}

// A gatekeeper that never answers: the RRQ is sent three times (3 s apart)
// and registration fails with reason timeout after 9 s, after a URQ for the
// registration the gatekeeper may hold.
func TestRegistrationTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes the RAS request timeouts (9 s)")
	}
	t.Parallel()
	silent, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	cfg := phoneConfig(t, silent.LocalAddr().(*net.UDPAddr).AddrPort(), "alice", "201")
	res, err := RunPhone(ctx, cfg)
	if !errors.Is(err, ErrRegistration) || res.Failure != "timeout" {
		t.Fatalf("err %v, failure %q; want timeout", err, res.Failure)
	}
	if got := messages(res.Events, "ras."); fmt.Sprint(got) != "[send ras.rrq send ras.rrq send ras.rrq send ras.urq]" {
		t.Errorf("ras messages %v, want three RRQs and a URQ", got)
	}
	if !find(res.Events, Sent, "ras.rrq", "retry", "2") {
		t.Error("no second retransmission")
	}
}

// A caller speaking raw TPKT to the phone: an empty TPKT keep-alive before
// the Setup is skipped, the phone answers Call Proceeding and Alerting, and
// a Release Complete from the caller ends the call.
func TestIncomingFromRawPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeper(t, ctx, time.Minute, nil)
	cfg := phoneConfig(t, gk.RAS, "bob", "202")
	registered := make(chan struct{})
	cfg.Out = lineWatch{prefix: "phone.registered", seen: registered, once: new(sync.Once)}
	runCtx, stopPhone := context.WithCancel(ctx)
	var res PhoneResult
	var err error
	done := make(chan struct{})
	go func() { defer close(done); res, err = RunPhone(runCtx, cfg) }()
	<-registered
	signal, ok := lookupSignal(gk, "202")
	if !ok {
		t.Fatal("bob not registered")
	}
	c, derr := net.Dial("tcp", signal.String())
	if derr != nil {
		t.Fatal(derr)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	leg := h323.NewLeg(h323.LegConfig{Outgoing: true, CallReference: 77, CallingNumber: "201", CalledNumber: "202", SourceAlias: "alice"})
	write := func(effects []h323.Effect) {
		for _, e := range effects {
			if s, ok := e.(h323.Send); ok {
				frame, _ := q931.Frame(s.Payload)
				if _, err := c.Write(frame); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	keepAlive, _ := q931.Frame(nil)
	if _, err := c.Write(keepAlive); err != nil {
		t.Fatal(err)
	}
	write(leg.Setup())
	rd := q931.NewReader(c, 0)
	var seen []string
	for len(seen) < 2 {
		msg, err := rd.ReadMessage()
		if err != nil {
			t.Fatalf("after %v: %v", seen, err)
		}
		for _, e := range leg.HandleMessage(slices.Clone(msg)) {
			seen = append(seen, fmt.Sprintf("%T", e))
		}
	}
	if fmt.Sprint(seen) != "[h323.PeerCallProceeding h323.PeerAlerting]" {
		t.Errorf("caller saw %v", seen)
	}
	write(leg.Release(16))
	if _, err := rd.ReadMessage(); err == nil {
		t.Error("the phone kept the connection open after Release Complete")
	}
	stopPhone()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	want := "[recv q931.setup send q931.call_proceeding send q931.alerting recv q931.release_complete cause=16]"
	if got := messages(res.Events, "q931."); fmt.Sprint(got) != want {
		t.Errorf("phone trace %v, want %s", got, want)
	}
}

// lookupSignal asks the gatekeeper's loop for a registration's
// call-signalling address.
func lookupSignal(h *gatekeeperHarness, alias string) (netip.AddrPort, bool) {
	var r ras.Registration
	var ok bool
	h.onLoop(func() { r, ok = h.gk.Lookup(alias) })
	return r.CallSignalAddress, ok
}

// A Setup without its H.225.0 user-user element is cleared with Release
// Complete 96 and the connection closed; the phone stays registered.
func TestMalformedSetup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeper(t, ctx, time.Minute, nil)
	cfg := phoneConfig(t, gk.RAS, "bob", "202")
	registered := make(chan struct{})
	cfg.Out = lineWatch{prefix: "phone.registered", seen: registered, once: new(sync.Once)}
	runCtx, stopPhone := context.WithCancel(ctx)
	var res PhoneResult
	done := make(chan struct{})
	go func() { defer close(done); res, _ = RunPhone(runCtx, cfg) }()
	<-registered
	signal, _ := lookupSignal(gk, "202")
	c, err := net.Dial("tcp", signal.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	frame, _ := q931.Frame([]byte{0x08, 0x02, 0x00, 0x09, 0x05}) // Setup, no elements
	if _, err := c.Write(frame); err != nil {
		t.Fatal(err)
	}
	rd := q931.NewReader(c, 0)
	msg, err := rd.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	m, err := q931.Decode(msg)
	if err != nil || m.Type != q931.ReleaseComplete {
		t.Fatalf("answer %v (%v), want Release Complete", m.Type, err)
	}
	if cause, err := m.Cause(); err != nil || cause.Value != 96 {
		t.Errorf("cause %v (%v), want 96", cause.Value, err)
	}
	if _, err := rd.ReadMessage(); err == nil {
		t.Error("connection left open")
	}
	stopPhone()
	<-done
	if res.Unregistered != "urq" || !find(res.Events, Local, "q931.protocol_error") {
		t.Errorf("unregistered %q; events %v", res.Unregistered, messages(res.Events, ""))
	}
}

// TestCallTimers: a placed call whose Setup gets no answer is cleared after
// SetupTimeout (T303), one whose Call Proceeding is not followed by Alerting
// after ProceedingTimeout (T310), both with cause 102.
func TestCallTimers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proceed bool // the peer answers the Setup with Call Proceeding, then nothing
		timer   string
		want    []string
	}{
		{"no answer to the Setup", false, "T303", []string{"send q931.setup", "send q931.release_complete cause=102"}},
		{"no progress after Call Proceeding", true, "T310",
			[]string{"send q931.setup", "recv q931.call_proceeding", "send q931.release_complete cause=102"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			silent := silentPeer(t, tc.proceed)
			gk := startGatekeeperWith(t, ctx, time.Minute, nil, gatekeeperOptions{signal: silent})
			cfg := phoneConfig(t, gk.RAS, "alice", "201")
			cfg.Call, cfg.SetupTimeout, cfg.ProceedingTimeout = "202", 300*time.Millisecond, 300*time.Millisecond
			start := time.Now()
			res, err := RunPhone(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := messages(res.Events, "q931."); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
			if res.ReleaseCause != 102 || !find(res.Events, Local, "q931.timer_expired", "timer", tc.timer) {
				t.Errorf("cause %d, events %v", res.ReleaseCause, res.Events)
			}
			if !find(res.Events, Sent, "ras.drq") {
				t.Errorf("the call was not disengaged: %v", messages(res.Events, "ras."))
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("the run took %v", elapsed)
			}
		})
	}
}

// silentPeer listens on loopback and takes every connection's Setup; with
// proceed it answers Call Proceeding, and then says nothing more.
func silentPeer(t *testing.T, proceed bool) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
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
							for _, e := range leg.CallProceeding() {
								if s, ok := e.(h323.Send); ok {
									frame, _ := q931.Frame(s.Payload)
									_, _ = c.Write(frame)
								}
							}
						}
					}
				}
			})
		}
	})
	return netip.MustParseAddrPort(ln.Addr().String())
}
