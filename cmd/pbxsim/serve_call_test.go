package main

import (
	"testing"
	"time"

	"github.com/callwake/callwake/phone"
)

// TestServeCalls: calls between phones through serve, routed by the PBX
// (it terminates the caller's leg and originates the callee's): CFNR
// (carol does not answer; after 2 s the call goes to dave, who answers),
// and a fork (a call to erin rings erin and frank; frank answers, erin's
// leg is cleared with cause 26). The caller over UDP, the callees over
// DTLS and H.460.17.
func TestServeCalls(t *testing.T) {
	dir := writeTestPKI(t)
	s := startServe(t, "--cert", dir+"/pbx-pbx.pem", "--key", dir+"/pbx-pbx.key")
	ctx := serveContext(t)
	callee := func(alias, number string, tr phone.Transport, answer phone.Answer) *testPhone {
		cfg := securePhone(t, s, dir, alias, number, tr, "trust.pem")
		cfg.Core.Answer = answer
		p := runTestPhone(t, ctx, cfg)
		p.rec.waitFor(t, ctx, "phone.registered")
		return p
	}
	never := phone.Answer{Mode: phone.AnswerNever}
	soon := phone.Answer{Mode: phone.AnswerAfter, After: 200 * time.Millisecond}
	carol := callee("carol", "203", phone.DTLS, never)
	dave := callee("dave", "204", phone.H460TCP, soon)
	erin := callee("erin", "205", phone.H460TLS, never)
	frank := callee("frank", "206", phone.H323, soon)

	call := func(to string) *testPhone {
		cfg := phoneTo(s, "alice", "201", phone.H323)
		cfg.Call = &phone.PlaceCall{To: to, HangupAfter: 300 * time.Millisecond}
		cfg.StopAfterCall = true
		p := runTestPhone(t, ctx, cfg)
		p.wait(t)
		return p
	}
	cfnr := call("203")
	if res := cfnr.n.Result(); !res.Connected || res.CallFailure != "" {
		t.Errorf("CFNR call: result %+v\n%s", res, cfnr.rec.dump())
	}
	carol.rec.waitFor(t, ctx, "q931.setup", "to", "carol")
	dave.rec.waitFor(t, ctx, "q931.connect", "from", "dave")
	s.rec.waitFor(t, ctx, "call.forwarded", "reason", "cfnr")

	fork := call("205")
	if res := fork.n.Result(); !res.Connected || res.CallFailure != "" {
		t.Errorf("fork call: result %+v\n%s", res, fork.rec.dump())
	}
	frank.rec.waitFor(t, ctx, "q931.connect", "from", "frank")
	erin.rec.waitFor(t, ctx, "q931.release_complete", "to", "erin", "cause", "26")
}
