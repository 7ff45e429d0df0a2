package pbx_test

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/ras"
)

// --- calls

func TestPBXCallToDeskAndPushedApp(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.pushUp()
	r.registered(bobHost, "bob", "202", "bob-desk")
	r.registered(otherHost, "alice", "201", "alice-desk")

	c, effs := r.call(bobHost, "bob", "202", "201")
	nt.SentQ931(t, effs, c.conn, q931.CallProceeding)
	// alice-desk is registered: a connection to its call-signalling address.
	d := nt.DialTo(t, effs, otherHost.sig)
	if d.Transport != node.TCP || d.Protocol != "q931" || d.From != pbxIP {
		t.Errorf("leg Dial %+v", d)
	}
	// alice-iphone is not: it is pushed with the call's identifier; the
	// app holds its key but has no key path now, so no details.
	ps, ss := posts(t, effs, r.pushConn)
	if len(ps) != 1 {
		t.Fatalf("posts %s", nt.Show(effs))
	}
	p := ps[0]
	if p.Token != "a1ce" || p.Platform != push.PlatformAPNs || p.Type != pbx.PushTypeCall ||
		p.Call != hex.EncodeToString(c.guid[:]) || p.Enc != nil {
		t.Errorf("post %+v", p)
	}
	if ev := ss[0].Event; ev.Name != push.EventRequest || ev.Protocol != push.ProtocolPush {
		t.Errorf("post event %+v", ev)
	}
	req := node.Record{Name: push.EventRequest, Attrs: ss[0].Event.Attrs}
	nt.WantAttrs(t, req, "user", "alice", "device", "alice-iphone", "type", "call")

	// The leg's connection comes up: the Setup goes on it.
	leg := r.conn()
	local := netip.AddrPortFrom(pbxIP, 40000)
	effs = r.do(node.Dialled{Ref: d.Ref, Conn: leg, Local: local, Remote: otherHost.sig})
	setup, setupBytes := nt.SentQ931(t, effs, leg, q931.Setup)
	if n, _ := setup.CalledPartyNumber(); n.Digits != "201" {
		t.Errorf("called %q", n.Digits)
	}
	if n, _ := setup.CallingPartyNumber(); n.Digits != "202" {
		t.Errorf("calling %q", n.Digits)
	}
	desk := h323.NewLeg(h323.LegConfig{Local: otherHost.sig, Remote: local})
	var peer h323.PeerSetup
	for _, e := range desk.HandleMessage(setupBytes) {
		if ps, ok := e.(h323.PeerSetup); ok {
			peer = ps
		}
	}
	if peer.CallID != c.guid {
		t.Errorf("the leg's callIdentifier %x, want the caller's %x", peer.CallID, c.guid)
	}

	// The desk phone rings and answers: the caller hears it.
	effs = r.do(node.Message{Conn: leg, Payload: legSend(t, desk.Alerting())})
	nt.SentQ931(t, effs, c.conn, q931.Alerting)
	effs = r.do(node.Message{Conn: leg, Payload: legSend(t, desk.Connect())})
	nt.SentQ931(t, effs, c.conn, q931.Connect)
	// The caller hangs up: the leg is released and both connections close.
	effs = r.do(node.Message{Conn: c.conn, Payload: legSend(t, c.leg.Release(pbx.CauseNormalClearing))})
	if got := nt.ReleaseCause(t, effs, leg); got != pbx.CauseNormalClearing {
		t.Errorf("leg cause %d", got)
	}
	closed := nt.All[node.Close](effs)
	if len(closed) != 2 {
		t.Errorf("closes %s", nt.Show(effs))
	}
}

func TestPBXRefusesUnknownCaller(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.registered(bobHost, "bob", "202", "bob-desk")
	c, effs := r.call(otherHost, "mallory", "299", "202")
	nt.WantAttrs(t, nt.Record(t, effs, "call.refused"), "pbx", "pbx", "reason", "not_registered")
	if got := nt.ReleaseCause(t, effs, c.conn); got != pbx.CauseCallRejected {
		t.Errorf("cause %d, want 21", got)
	}
	if cl := nt.One[node.Close](t, effs); cl.Conn != c.conn {
		t.Errorf("closed %d", cl.Conn)
	}
	if len(nt.All[node.Dial](effs)) != 0 {
		t.Errorf("routed a refused call: %s", nt.Show(effs))
	}
	// A message that is no Setup on a new connection is not a call.
	conn := r.conn()
	r.do(node.Accepted{Listener: r.sock("tcp/1720"), Conn: conn, Remote: bobHost.sig})
	nt.Record(t, r.do(node.Message{Conn: conn, Payload: legSend(t, c.leg.Release(16))}), "q931.unexpected")
}

func TestPBXCallToUnreachableDevice(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.registered(bobHost, "bob", "202", "bob-desk")
	r.registered(otherHost, "alice", "201", "alice-desk")
	c, effs := r.call(bobHost, "bob", "202", "201")
	d := nt.DialTo(t, effs, otherHost.sig)
	effs = r.do(node.Dialled{Ref: d.Ref, Remote: otherHost.sig, Err: node.ErrRefused})
	// The only leg failed and the Push object is down: the caller is
	// cleared.
	if got := nt.ReleaseCause(t, effs, c.conn); got == 0 {
		t.Errorf("cause %d", got)
	}
}

// --- H.460.17

func TestPBXH46017(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.registered(bobHost, "bob", "202", "bob-desk")
	// alice-desk keeps a connection open and registers through it.
	conn := r.conn()
	remote := netip.AddrPortFrom(otherHost.sig.Addr(), 50500)
	r.do(node.Accepted{Listener: r.sock("tcp/1720"), Conn: conn, Local: pbxSignal, Remote: remote})
	m := ras.NewRRQ(9, ras.Info{Alias: "alice", Number: "201", DeviceAlias: "alice-desk",
		RASAddress: otherHost.ras, CallSignalAddress: otherHost.sig}, false, 60*time.Second, true)
	b, _ := ras.Encode(m)
	tunnelled, _ := h323.EncodeRASTunnel(b)
	effs := r.do(node.Message{Conn: conn, Payload: tunnelled})
	s := nt.One[node.Send](t, effs)
	if s.Conn != conn || s.Event.Name != "ras.rcf" || s.Event.Protocol != "ras" || len(nt.All[node.SendTo](effs)) != 0 {
		t.Fatalf("RCF %s", nt.Show(effs))
	}
	if nt.Attr(node.Record{Attrs: s.Event.Attrs}, "tunnel") != "h460.17" {
		t.Errorf("RCF attrs %v", s.Event.Attrs)
	}
	msgs, err := h323.DecodeRASTunnel(s.Payload)
	if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0], s.Event.Wire) {
		t.Fatalf("tunnel %x (%v), wire %x", msgs, err, s.Event.Wire)
	}
	if rcf, err := ras.Decode(s.Event.Wire); err != nil || rcf.Choice != h225.RasMessageRegistrationConfirm {
		t.Fatalf("wire is not the RCF: %v", err)
	}

	// A call to alice goes on that connection, without a dial.
	c, effs := r.call(bobHost, "bob", "202", "201")
	if len(nt.All[node.Dial](effs)) != 0 {
		t.Errorf("dialled a device that maintains its connection: %s", nt.Show(effs))
	}
	_, setup := nt.SentQ931(t, effs, conn, q931.Setup)
	// The device answers busy: the maintained connection stays open.
	desk := h323.NewLeg(h323.LegConfig{Local: otherHost.sig, Remote: pbxSignal, MaintainConnection: true})
	desk.HandleMessage(setup)
	effs = r.do(node.Message{Conn: conn, Payload: legSend(t, desk.Release(pbx.CauseUserBusy))})
	for _, cl := range nt.All[node.Close](effs) {
		if cl.Conn == conn {
			t.Errorf("closed the maintained connection: %s", nt.Show(effs))
		}
	}
	if got := nt.ReleaseCause(t, effs, c.conn); got != pbx.CauseUserBusy {
		t.Errorf("caller cause %d, want 17", got)
	}

	// The connection drops: the next call cannot use it.
	r.do(node.Closed{Conn: conn, Err: node.ErrReset})
	_, effs = r.call(bobHost, "bob", "202", "201")
	for _, x := range nt.All[node.Send](effs) {
		if x.Conn == conn {
			t.Errorf("sent on a closed connection: %s", nt.Show(effs))
		}
	}
}

// B11/B12: the pushed app registers and the leg follows; an app that never
// does leaves the caller with cause 18 at the registration timeout.
func TestPBXPushedAppRegisters(t *testing.T) {
	r, _ := newPRig(t, pbxConfig(t))
	r.pushUp()
	r.registered(bobHost, "bob", "202", "bob-desk")
	_, effs := r.call(bobHost, "bob", "202", "203") // carol has only her app
	if ps, _ := posts(t, effs, r.pushConn); len(ps) != 1 || ps[0].Token != "fcm:ca201" {
		t.Fatalf("%s", nt.Show(effs))
	}
	wait := nt.One[node.SetTimer](t, effs)
	if wait.After != pbx.DefaultRegistrationTimeout {
		t.Errorf("waits %v", wait.After)
	}
	// The app registers: RCF, the wait ends, and the leg to it starts.
	rrq := ras.NewRRQ(77, ras.Info{Alias: "carol", Number: "203", DeviceAlias: "carol-pixel", RASAddress: aliceHost.ras,
		CallSignalAddress: aliceHost.sig}, false, 60*time.Second, false)
	effs = r.ras(r.sock("udp/1719"), aliceHost.ras, pbxRAS, rrq)
	if s := nt.One[node.SendTo](t, effs); s.Event.Name != "ras.rcf" || s.To != aliceHost.ras {
		t.Errorf("%s", nt.Show(effs))
	}
	if d := nt.DialTo(t, effs, aliceHost.sig); d.Transport != node.TCP {
		t.Errorf("Dial %+v", d)
	}
	if c := nt.All[node.CancelTimer](effs); !slices.ContainsFunc(c, func(c node.CancelTimer) bool { return c.ID == wait.ID }) {
		t.Errorf("the registration wait goes on: %s", nt.Show(effs))
	}
	// A renewed registration starts no second leg.
	rrq.RegistrationRequest.RequestSeqNum = 78
	if effs := r.ras(r.sock("udp/1719"), aliceHost.ras, pbxRAS, rrq); len(nt.All[node.Dial](effs)) != 0 {
		t.Errorf("a second leg: %s", nt.Show(effs))
	}

	t.Run("no registration: cause 18", func(t *testing.T) {
		r, _ := newPRig(t, pbxConfig(t))
		r.pushUp()
		r.registered(bobHost, "bob", "202", "bob-desk")
		c, effs := r.call(bobHost, "bob", "202", "203")
		wait := nt.One[node.SetTimer](t, effs)
		r.now = r.now.Add(wait.After)
		effs = r.do(node.TimerFired{ID: wait.ID})
		if got := nt.ReleaseCause(t, effs, c.conn); got != pbx.CauseNoUserResponding {
			t.Errorf("cause %d, want 18", got)
		}
		if cl := nt.One[node.Close](t, effs); cl.Conn != c.conn {
			t.Errorf("closed %d", cl.Conn)
		}
	})
}

// Ended calls leave nothing behind, whoever ends them: a PBX runs for
// months. (White-box: what the node keeps is no effect.)
func TestPBXForgetsEndedCalls(t *testing.T) {
	type ending struct {
		name   string
		pushed bool // alice's app is pushed too (the Push object is up)
		end    func(r *prig, c *caller, leg node.ConnID, desk *h323.Leg)
	}
	hangUp := func(r *prig, c *caller, _ node.ConnID, _ *h323.Leg) {
		r.do(node.Message{Conn: c.conn, Payload: legSend(t, c.leg.Release(pbx.CauseNormalClearing))})
	}
	for _, e := range []ending{
		{"the caller hangs up", false, hangUp},
		{"the callee refuses", false, func(r *prig, _ *caller, leg node.ConnID, desk *h323.Leg) {
			r.do(node.Message{Conn: leg, Payload: legSend(t, desk.Release(pbx.CauseUserBusy))})
		}},
		{"the caller's connection drops", false, func(r *prig, c *caller, _ node.ConnID, _ *h323.Leg) {
			r.do(node.Closed{Conn: c.conn, Err: node.ErrReset})
		}},
		{"the caller hangs up while the app is pushed", true, hangUp},
	} {
		t.Run(e.name, func(t *testing.T) {
			r, _ := newPRig(t, pbxConfig(t))
			if e.pushed {
				r.pushUp()
			} else {
				r.do(node.Dialled{Ref: r.pushDial.Ref, Remote: serviceAt, Err: node.ErrRefused})
			}
			r.registered(bobHost, "bob", "202", "bob-desk")
			r.registered(otherHost, "alice", "201", "alice-desk")
			for range 3 {
				c, effs := r.call(bobHost, "bob", "202", "201")
				ps, _ := posts(t, effs, r.pushConn)
				d := nt.DialTo(t, effs, otherHost.sig)
				leg := r.conn()
				local := netip.AddrPortFrom(pbxIP, 40000)
				_, setup := nt.SentQ931(t, r.do(node.Dialled{Ref: d.Ref, Conn: leg, Local: local, Remote: otherHost.sig}), leg, q931.Setup)
				desk := h323.NewLeg(h323.LegConfig{Local: otherHost.sig, Remote: local})
				desk.HandleMessage(setup)
				e.end(r, c, leg, desk)
				for _, p := range ps { // the push's result comes after the call
					r.service(&push.PushNotifyPostResult{Src: p.Src})
				}
			}
			for what, n := range pbx.CallState(r.n) {
				if n != 0 {
					t.Errorf("%d %s left after 3 calls", n, what)
				}
			}
		})
	}
}
