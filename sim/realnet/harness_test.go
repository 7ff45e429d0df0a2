package realnet

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/ras"

	"github.com/rs/zerolog"
)

// gatekeeperHarness is a test-only gatekeeper with a routing call-signalling
// side, on the same Loop, UDPSocket, Listener and Timers the phone uses:
// RAS by ras.Gatekeeper, and every Setup it receives (the ACF points here,
// gatekeeper-routed) relayed to the registered callee by number.
type gatekeeperHarness struct {
	loop   *Loop
	gk     *ras.Gatekeeper
	udp    *UDPSocket
	tcp    *Listener
	timers *Timers[ras.TimerID]
	trace  *Trace

	RAS, Signal netip.AddrPort
	wg          sync.WaitGroup

	// rejectAnswers makes the harness refuse every ARQ to answer a call
	// (ARJ requestDenied), as a gatekeeper out of resources would.
	rejectAnswers bool
	// registrations counts the registrations the gatekeeper confirmed, by
	// alias (read with onLoop).
	registrations map[string]int
}

// onLoop runs fn on the harness's loop and waits for it, so that a test can
// read the harness's state.
func (h *gatekeeperHarness) onLoop(fn func()) {
	done := make(chan struct{})
	if h.loop.Post(func() { fn(); close(done) }) {
		<-done
	}
}

// gatekeeperOptions are the harness's variations.
type gatekeeperOptions struct {
	preGrantAnswer bool           // RCFs pre-grant answering (no answer ARQ needed)
	rejectAnswers  bool           // answer ARQs get ARJ
	signal         netip.AddrPort // where ACFs send calls instead of the harness
}

// startGatekeeper runs a harness until ctx ends; passwords maps aliases to
// their H.235 password (nil = no authentication).
func startGatekeeper(t *testing.T, ctx context.Context, ttl time.Duration, passwords map[string]string) *gatekeeperHarness {
	t.Helper()
	return startGatekeeperWith(t, ctx, ttl, passwords, gatekeeperOptions{})
}

// startGatekeeperWith is startGatekeeper with options.
func startGatekeeperWith(t *testing.T, ctx context.Context, ttl time.Duration, passwords map[string]string, opts gatekeeperOptions) *gatekeeperHarness {
	t.Helper()
	loop := NewLoop(zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	h := &gatekeeperHarness{loop: loop, timers: NewTimers[ras.TimerID](loop), trace: NewTrace(loop, nil)}
	var err error
	if h.udp, err = ListenUDP(loop, netip.MustParseAddrPort("127.0.0.1:0"), h.datagram); err != nil {
		t.Fatal(err)
	}
	if h.tcp, err = ListenTCP(loop, netip.MustParseAddrPort("127.0.0.1:0"), h.accept); err != nil {
		t.Fatal(err)
	}
	h.RAS, h.Signal = h.udp.LocalAddr(), h.tcp.Addr()
	h.rejectAnswers = opts.rejectAnswers
	signal := h.Signal
	if opts.signal.IsValid() {
		signal = opts.signal
	}
	cfg := ras.GatekeeperConfig{ID: "callwake-gk", RASAddress: h.RAS, CallSignalAddress: signal, TimeToLive: ttl,
		PreGrantAnswer: opts.preGrantAnswer}
	if passwords != nil {
		cfg.Password = func(alias string) (string, bool) { p, ok := passwords[alias]; return p, ok }
	}
	h.gk = ras.NewGatekeeper(cfg)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		_ = loop.Run(ctx)
		h.timers.Stop() // the loop is down: nothing runs concurrently any more
	}()
	t.Cleanup(h.wg.Wait)
	return h
}

func (h *gatekeeperHarness) datagram(from netip.AddrPort, payload []byte) {
	h.trace.ReceivedRAS(from, h.RAS, payload)
	if m, err := ras.Decode(payload); err == nil && h.rejectAnswers && m.AdmissionRequest != nil && m.AdmissionRequest.AnswerCall {
		arj := ras.NewARJ(uint16(m.AdmissionRequest.RequestSeqNum), h225.AdmissionRejectReasonRequestDenied)
		b, err := arj.Marshal()
		if err != nil {
			panic(err) // a fixed message of ours
		}
		h.rasDo([]ras.Effect{ras.Send{To: from, Payload: b, Event: "ras.arj"}})
		return
	}
	h.rasDo(h.gk.HandleDatagram(h.loop.Now(), from, payload))
}

func (h *gatekeeperHarness) rasDo(effects []ras.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case ras.Send:
			h.trace.SentRAS(h.RAS, e)
			_ = h.udp.Send(e.To, e.Payload)
		case ras.SetTimer:
			id := e.ID
			h.timers.Set(id, e.After, func() { h.rasDo(h.gk.HandleTimer(h.loop.Now(), id)) })
		case ras.CancelTimer:
			h.timers.Cancel(e.ID)
		case ras.Record:
			h.trace.Add(Local, e.Event, e.Attrs, nil)
		case ras.EndpointRegistered:
			if h.registrations == nil {
				h.registrations = map[string]int{}
			}
			h.registrations[e.Registration.Alias]++
		}
	}
}

// relay is one routed call: the caller's leg into the harness and the
// callee's leg out of it.
type relay struct {
	in, out         *h323.Leg
	inConn, outConn *Conn
}

func (h *gatekeeperHarness) accept(c *Conn) {
	r := &relay{inConn: c}
	c.OnMessage(func(msg []byte) {
		h.trace.ReceivedQ931(c, msg)
		if r.in == nil {
			if _, _, typ, err := h323.PeekCallReference(msg); err != nil || typ != byte(q931.Setup) {
				return
			}
			r.in = h323.NewLeg(h323.LegConfig{Local: c.LocalAddr(), Remote: c.RemoteAddr(), PrivateNetwork: true})
		}
		h.inDo(r, r.in.HandleMessage(msg))
	})
	c.OnClose(func(error) {
		if r.out != nil {
			h.outDo(r, r.out.Release(causeNormalClearing))
			r.outConn.Close()
		}
	})
}

func (h *gatekeeperHarness) send(c *Conn, s h323.Send) {
	h.trace.SentQ931(c, s)
	_ = c.Send(s.Payload)
}

// inDo carries out the caller side's effects.
func (h *gatekeeperHarness) inDo(r *relay, effects []h323.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case h323.Send:
			h.send(r.inConn, e)
		case h323.PeerSetup:
			reg, ok := h.gk.Lookup(e.CalledNumber)
			if !ok {
				h.inDo(r, r.in.Release(int(q931.CauseNoRouteToDestination)))
				r.inConn.Close()
				return
			}
			h.inDo(r, r.in.CallProceeding())
			setup := e
			Dial(h.loop, reg.CallSignalAddress, DialTimeout, func(c *Conn, err error) {
				if err != nil {
					h.inDo(r, r.in.Release(causeTemporaryFailure))
					r.inConn.Close()
					return
				}
				r.outConn = c
				c.OnMessage(func(msg []byte) {
					h.trace.ReceivedQ931(c, msg)
					h.outDo(r, r.out.HandleMessage(msg))
				})
				r.out = h323.NewLeg(h323.LegConfig{Outgoing: true, CallReference: 1, CallID: setup.CallID, ConferenceID: setup.ConferenceID,
					CallingNumber: setup.CallingNumber, CallingName: setup.CallingName, CalledNumber: setup.CalledNumber,
					SourceAlias: "callwake-gk", Local: c.LocalAddr(), Remote: c.RemoteAddr(), PrivateNetwork: true})
				h.outDo(r, r.out.Setup())
			})
		case h323.PeerReleased:
			if r.out != nil {
				h.outDo(r, r.out.Release(e.Cause))
				r.outConn.Close()
			}
			r.inConn.Close()
		}
	}
}

// outDo carries out the callee side's effects, relaying its progress.
func (h *gatekeeperHarness) outDo(r *relay, effects []h323.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case h323.Send:
			h.send(r.outConn, e)
		case h323.PeerAlerting:
			h.inDo(r, r.in.Alerting())
		case h323.PeerConnect:
			h.inDo(r, r.in.Connect())
		case h323.PeerReleased:
			h.inDo(r, r.in.Release(e.Cause))
			r.inConn.Close()
			r.outConn.Close()
		}
	}
}
