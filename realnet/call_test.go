package realnet_test

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/timeline"
)

// Calls from one phone node to another through the PBX node, on real
// sockets: the caller asks admission, sends its Setup to the PBX, which
// routes it to the callee's registration.

// callBetween registers bob (202, answering as told, asking admission as
// told) and has alice (201) call him through a PBX of those options; alice
// hangs up 300 ms after the Connect. It returns both once each run is over.
func callBetween(t *testing.T, answer phone.Answer, opts pbxOptions, admission phone.AnswerAdmission) (caller, callee *testPhone) {
	t.Helper()
	ctx := testContext(t)
	gk := startPBX(t, ctx, opts)
	calleeCfg := phoneConfig("bob", "202", gk.ras)
	calleeCfg.Core.Answer, calleeCfg.Admission = answer, admission
	callee = startPhone(t, ctx, calleeCfg)
	callee.registered(t, ctx)

	callerCfg := phoneConfig("alice", "201", gk.ras)
	callerCfg.Call, callerCfg.StopAfterCall = &phone.PlaceCall{To: "202", HangupAfter: 300 * time.Millisecond}, true
	caller = startPhone(t, ctx, callerCfg)
	caller.wait(t) // the call is over: so is the caller's run

	// The callee's run ends once its call is over (the caller's release
	// crosses the PBX, which may take longer than the caller's URQ), and
	// an admitted call disengaged: else it would release the call itself.
	callee.rec.waitUntil(t, ctx, "the callee's call to end", func(evs []timeline.Event) bool {
		got := strings.Join(messages(evs, "bob", "q931.", "ras."), ",")
		return strings.Contains(got, "q931.release_complete") && (!strings.Contains(got, "send ras.arq") || strings.Contains(got, "recv ras.dcf"))
	})
	callee.stop(t)
	gk.stop(t)
	return caller, callee
}

// TestCallAnswered: a call answered end to end; afterwards every goroutine
// of the three hosts has ended.
func TestCallAnswered(t *testing.T) {
	base := runtime.NumGoroutine()
	caller, callee := callBetween(t, phone.Answer{Mode: phone.AnswerAfter, After: 200 * time.Millisecond}, pbxOptions{}, phone.AdmissionAuto)
	wantCaller := "send q931.setup,recv q931.call_proceeding,recv q931.alerting,recv q931.connect,send q931.release_complete cause=16"
	if got := caller.messages("q931."); strings.Join(got, ",") != wantCaller {
		t.Errorf("caller\n got %v\nwant %s", got, wantCaller)
	}
	wantCallee := "recv q931.setup,send q931.call_proceeding,send q931.alerting,send q931.connect,recv q931.release_complete cause=16"
	if got := callee.messages("q931."); strings.Join(got, ",") != wantCallee {
		t.Errorf("callee\n got %v\nwant %s", got, wantCallee)
	}
	if res := caller.result(); !res.Connected || res.ReleaseCause != 16 || res.CallFailure != "" {
		t.Errorf("caller result %+v", res)
	}
	wantRAS := "send ras.rrq,recv ras.rcf,send ras.arq,recv ras.acf,send ras.drq,recv ras.dcf,send ras.urq,recv ras.ucf"
	if got := caller.messages("ras."); strings.Join(got, ",") != wantRAS {
		t.Errorf("caller's RAS\n got %v\nwant %s", got, wantRAS)
	}
	evs := callee.rec.snapshot()
	if !find(evs, phone.EventRinging, "number", "201") || !find(evs, phone.EventAnswered) {
		t.Errorf("the callee's core did not ring and answer:\n%s", dump(evs))
	}
	checkPcap(t, caller)
	settle(t, base)
}

// checkPcap writes the phone's messages as pcap (as phonesim --pcap does)
// and reads them back: the records are the message events in order, with
// their addresses, bytes and times.
func checkPcap(t *testing.T, p *testPhone) {
	t.Helper()
	events := p.host.Timeline().Events()
	var buf bytes.Buffer
	if err := report.WritePcapAt(&buf, p.host.Started(), events); err != nil {
		t.Fatal(err)
	}
	c, err := capture.Read(&buf, capture.Options{Framer: tpktFramer})
	if err != nil {
		t.Fatal(err)
	}
	var want []timeline.Event
	for _, e := range events {
		if e.Wire != nil {
			want = append(want, e)
		}
	}
	if len(c.Records) != len(want) || len(want) < 10 {
		t.Fatalf("%d records, want %d (at least 10)", len(c.Records), len(want))
	}
	for i, r := range c.Records {
		w := want[i].Wire
		payload := r.Payload
		if r.Transport == capture.TransportTCP {
			payload = payload[q931.TPKTHeaderLength:]
		}
		if r.Err != nil || r.Transport != w.Transport || r.Src != w.Src || r.Dst != w.Dst || !bytes.Equal(payload, w.Payload) {
			t.Errorf("record %d (%s): %+v", i, want[i].Name, r)
		}
		if at := p.host.Started().Add(want[i].At); !r.At.Equal(at) {
			t.Errorf("record %d at %v, want %v", i, r.At, at)
		}
	}
}

// tpktFramer cuts a TCP stream at TPKT frame boundaries.
func tpktFramer(pending []byte) (int, error) {
	if len(pending) < q931.TPKTHeaderLength {
		return 0, nil
	}
	if pending[0] != q931.TPKTVersion {
		return 0, errors.New("not TPKT")
	}
	n := int(pending[2])<<8 | int(pending[3])
	if n < q931.TPKTHeaderLength {
		return 0, errors.New("short TPKT")
	}
	if len(pending) < n {
		return 0, nil
	}
	return n, nil
}

// TestAnswerAdmission: before it rings, the callee asks its gatekeeper for
// admission to answer (ARQ answerCall) unless the RCF pre-granted it
// (pbx.NodeConfig.PreGrantAnswer) or it is told otherwise; after the call
// it disengages. (The refusal is TestAnswerAdmissionRefused.)
func TestAnswerAdmission(t *testing.T) {
	answer := phone.Answer{Mode: phone.AnswerAfter, After: 100 * time.Millisecond}
	asked := "recv q931.setup,send q931.call_proceeding,send ras.arq,recv ras.acf," +
		"send q931.alerting,send q931.connect,recv q931.release_complete cause=16,send ras.drq,recv ras.dcf"
	notAsked := "recv q931.setup,send q931.call_proceeding,send q931.alerting,send q931.connect,recv q931.release_complete cause=16"
	for _, tc := range []struct {
		name      string
		preGrant  bool
		admission phone.AnswerAdmission
		want      string
	}{
		{"asks when not pre-granted", false, phone.AdmissionAuto, asked},
		{"pre-granted: does not ask", true, phone.AdmissionAuto, notAsked},
		{"always asks", true, phone.AdmissionAlways, asked},
		{"never asks", false, phone.AdmissionNever, notAsked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caller, callee := callBetween(t, answer, pbxOptions{preGrant: tc.preGrant}, tc.admission)
			if got := callee.messages("q931.", "ras.arq", "ras.acf", "ras.arj", "ras.drq", "ras.dcf"); strings.Join(got, ",") != tc.want {
				t.Errorf("callee\n got %v\nwant %s", got, tc.want)
			}
			if res := caller.result(); !res.Connected {
				t.Errorf("caller result %+v", res)
			}
		})
	}
}

func TestCallBusy(t *testing.T) {
	caller, callee := callBetween(t, phone.Answer{Mode: phone.AnswerRejectBusy}, pbxOptions{}, phone.AdmissionAuto)
	wantCaller := "send q931.setup,recv q931.call_proceeding,recv q931.release_complete cause=17"
	if got := caller.messages("q931."); strings.Join(got, ",") != wantCaller {
		t.Errorf("caller\n got %v\nwant %s", got, wantCaller)
	}
	wantCallee := "recv q931.setup,send q931.call_proceeding,send q931.release_complete cause=17"
	if got := callee.messages("q931."); strings.Join(got, ",") != wantCallee {
		t.Errorf("callee\n got %v\nwant %s", got, wantCallee)
	}
	if res := caller.result(); res.Connected || res.ReleaseCause != 17 {
		t.Errorf("caller result %+v", res)
	}
}

// TestCallToUnknownNumber: the PBX refuses admission to a number that is
// no user's (ARJ calledPartyNotRegistered): no Setup is sent.
func TestCallToUnknownNumber(t *testing.T) {
	ctx := testContext(t)
	gk := startPBX(t, ctx, pbxOptions{})
	cfg := phoneConfig("alice", "201", gk.ras)
	cfg.Call, cfg.StopAfterCall = &phone.PlaceCall{To: "999"}, true
	p := startPhone(t, ctx, cfg)
	p.wait(t)
	if res := p.result(); res.Connected || res.CallFailure != "calledPartyNotRegistered" {
		t.Errorf("result %+v; want call failure calledPartyNotRegistered", res)
	}
	if got := p.messages("ras.", "q931."); strings.Join(got, ",") != "send ras.rrq,recv ras.rcf,send ras.arq,recv ras.arj,send ras.urq,recv ras.ucf" {
		t.Errorf("messages %v", got)
	}
}

// registeredCaller registers alice and returns a raw caller connected to
// the PBX from her phone's address, so that the PBX takes its Setups for
// hers.
func registeredCaller(t *testing.T, ctx context.Context, gk *testPBX, cfg h323.LegConfig) *rawCaller {
	t.Helper()
	p := startPhone(t, ctx, phoneConfig("alice", "201", gk.ras))
	p.registered(t, ctx)
	return dialRaw(t, p.ip, gk.signal, cfg)
}

// TestSetupToUnknownNumber: a Setup that reaches the PBX for a number that
// is no user's is released with cause 1 (unallocated number).
func TestSetupToUnknownNumber(t *testing.T) {
	ctx := testContext(t)
	gk := startPBX(t, ctx, pbxOptions{})
	c := registeredCaller(t, ctx, gk, h323.LegConfig{CallReference: 3, CallingNumber: "201", CalledNumber: "999", SourceAlias: "alice"})
	c.send(c.leg.Setup())
	if got := c.readN(1); strings.Join(got, ",") != "PeerReleased cause=1" {
		t.Errorf("the caller saw %v", got)
	}
	c.closed()
}

// TestSetupFromUnregisteredPeer: the PBX routes calls of registered
// endpoints only; a Setup from anyone else is refused with cause 21.
func TestSetupFromUnregisteredPeer(t *testing.T) {
	ctx := testContext(t)
	gk := startPBX(t, ctx, pbxOptions{})
	c := dialRaw(t, loopback.Addr(), gk.signal, h323.LegConfig{CallReference: 4, CallingNumber: "666", CalledNumber: "202", SourceAlias: "mallory"})
	c.send(c.leg.Setup())
	if got := c.readN(1); strings.Join(got, ",") != "PeerReleased cause=21" {
		t.Errorf("the caller saw %v", got)
	}
	c.closed()
	gk.rec.waitFor(t, ctx, "call.refused", "reason", "not_registered")
}

// TestMalformedSetupAtPBX: a Setup without its user-user element is
// cleared by the PBX with Release Complete 96, and the connection closed.
func TestMalformedSetupAtPBX(t *testing.T) {
	ctx := testContext(t)
	gk := startPBX(t, ctx, pbxOptions{})
	expectCleared(t, registeredCaller(t, ctx, gk, h323.LegConfig{}), 96)
	gk.rec.waitFor(t, ctx, "q931.protocol_error")
}

// TestFramingErrorAtPBX: a stream that is not TPKT ends the connection,
// and the PBX records what it got.
func TestFramingErrorAtPBX(t *testing.T) {
	ctx := testContext(t)
	gk := startPBX(t, ctx, pbxOptions{})
	c := dialRaw(t, netip.Addr{}, gk.signal, h323.LegConfig{})
	c.write([]byte("GET / HTTP/1.1\r\n\r\n"))
	c.closed()
	gk.rec.waitFor(t, ctx, "q931.malformed")
}
