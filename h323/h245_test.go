package h323

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/h323/q931"
)

var (
	pbxH245   = netip.MustParseAddrPort("192.0.2.1:1730")
	phoneH245 = netip.MustParseAddrPort("198.51.100.7:41000")
	pbxRTP    = netip.MustParseAddrPort("192.0.2.1:30000")
	pbxRTCP   = netip.MustParseAddrPort("192.0.2.1:30001")
	phoneRTP  = netip.MustParseAddrPort("198.51.100.7:42000")
	phoneRTCP = netip.MustParseAddrPort("198.51.100.7:42001")
)

// withH245 returns cfg with H.245 enabled: tunnelling as given, our listening address (zero:
// none) and media addresses.
func withH245(cfg LegConfig, tunnelling bool, listen, rtp, rtcp netip.AddrPort) LegConfig {
	cfg.H245 = H245Config{Enabled: true, Tunnelling: tunnelling, Address: listen, Control: control.Config{RTP: rtp, RTCP: rtcp}}
	return cfg
}

// wireItem is one message that crossed a wire between the two legs of an h245Call.
type wireItem struct {
	fromCaller bool
	separate   bool   // on the separate H.245 connection (payload is H.245), else Q.931
	payload    []byte // without TPKT
	event      string
	h245Attr   string // the Send's h245 attribute
}

// h245Call connects a caller and a callee leg: what one sends the other handles, H245Listen
// and H245Connect make a separate H.245 connection, and everything is recorded.
type h245Call struct {
	t                *testing.T
	caller, callee   *Leg
	listening        map[netip.AddrPort]*Leg
	connectedTo      netip.AddrPort // the address the separate connection was made to
	wire             []wireItem
	reports          map[*Leg][]control.Effect
	closed           map[*Leg]int
	connects, listen map[*Leg][]netip.AddrPort
	facilities       map[*Leg][]PeerFacility // PeerFacility reports
}

func newH245Call(t *testing.T, caller, callee LegConfig) *h245Call {
	return &h245Call{t: t, caller: NewLeg(caller), callee: NewLeg(callee), listening: map[netip.AddrPort]*Leg{},
		reports: map[*Leg][]control.Effect{}, closed: map[*Leg]int{}, connects: map[*Leg][]netip.AddrPort{}, listen: map[*Leg][]netip.AddrPort{},
		facilities: map[*Leg][]PeerFacility{}}
}

func (c *h245Call) other(l *Leg) *Leg {
	if l == c.caller {
		return c.callee
	}
	return c.caller
}

// do runs what leg from did, and everything it causes, to the end.
func (c *h245Call) do(from *Leg, effects []Effect) {
	type batch struct {
		from    *Leg
		effects []Effect
	}
	queue := []batch{{from, effects}}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 1000 {
			c.t.Fatal("the legs do not stop talking")
		}
		b := queue[0]
		queue = queue[1:]
		to := c.other(b.from)
		for _, e := range b.effects {
			switch e := e.(type) {
			case Send:
				w := wireItem{fromCaller: b.from == c.caller, payload: e.Payload, event: e.Event}
				for _, a := range e.Attrs {
					if a.Key == "h245" {
						w.h245Attr = a.Value
					}
				}
				c.wire = append(c.wire, w)
				queue = append(queue, batch{to, to.HandleMessage(e.Payload)})
			case H245Send:
				if !c.connectedTo.IsValid() {
					c.t.Fatalf("H245Send %s without a connection", e.Event)
				}
				c.wire = append(c.wire, wireItem{fromCaller: b.from == c.caller, separate: true, payload: e.Payload, event: e.Event})
				queue = append(queue, batch{to, to.HandleH245(e.Payload)})
			case H245Listen:
				c.listening[e.Address] = b.from
				c.listen[b.from] = append(c.listen[b.from], e.Address)
			case H245Connect:
				c.connects[b.from] = append(c.connects[b.from], e.Address)
				if c.listening[e.Address] != to {
					c.t.Fatalf("connect to %v, where the peer does not listen", e.Address)
				}
				c.connectedTo = e.Address
				queue = append(queue, batch{b.from, b.from.H245Connected()}, batch{to, to.H245Connected()})
			case H245Close:
				c.closed[b.from]++
			case H245:
				c.reports[b.from] = append(c.reports[b.from], e.Effect)
			case PeerFacility:
				c.facilities[b.from] = append(c.facilities[b.from], e)
			case ProtocolError:
				c.t.Errorf("protocol error: %v", e.Err)
			}
		}
	}
}

// answer runs the callee's Call Proceeding, Alerting and Connect.
func (c *h245Call) answer() {
	c.do(c.callee, c.callee.CallProceeding())
	c.do(c.callee, c.callee.Alerting())
	c.do(c.callee, c.callee.Connect())
}

func report[T control.Effect](effects []control.Effect) (T, bool) {
	for _, e := range effects {
		if v, ok := e.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// checkMedia requires that both legs opened their channel to the other's media addresses and
// reported no H.245 failure.
func (c *h245Call) checkMedia() {
	c.t.Helper()
	for _, side := range []struct {
		name      string
		leg       *Leg
		rtp, rtcp netip.AddrPort
	}{{"caller", c.caller, phoneRTP, phoneRTCP}, {"callee", c.callee, pbxRTP, pbxRTCP}} {
		r := c.reports[side.leg]
		if f, ok := report[control.Failure](r); ok {
			c.t.Errorf("%s: %v", side.name, f.Err)
		}
		ch, ok := report[control.ChannelOpened](r)
		if !ok || ch.Codec != control.G711Alaw || ch.RTP != side.rtp || ch.RTCP != side.rtcp {
			c.t.Errorf("%s: channel %+v %v (reports %v)", side.name, ch, ok, r)
		}
		if _, ok := report[control.PeerChannelOpened](r); !ok {
			c.t.Errorf("%s: the peer opened no channel", side.name)
		}
	}
}

// h245Names lists the H.245 messages of the wire: those of the separate connection, and the
// tunnelled ones, decoded from h245Control.
func (c *h245Call) h245Names(fromCaller bool) (tunnelled, separate []string) {
	c.t.Helper()
	for _, w := range c.wire {
		if w.fromCaller != fromCaller {
			continue
		}
		if w.separate {
			separate = append(separate, decodeH245Name(c.t, w.payload))
			continue
		}
		_, info := checkWire(c.t, w.payload)
		for _, m := range info.H323UuPdu.H245Control {
			tunnelled = append(tunnelled, decodeH245Name(c.t, m))
		}
	}
	return tunnelled, separate
}

func decodeH245Name(t *testing.T, b []byte) string {
	t.Helper()
	return control.MessageName(decodeH245(t, b))
}

// TestH245Tunnelled: both legs tunnel. The callee answers the Setup's offer in its Call
// Proceeding, which carries its capability set and determination; the caller answers in a
// Facility; both open G.711 channels; the release carries endSessionCommand.
func TestH245Tunnelled(t *testing.T) {
	c := newH245Call(t, withH245(callerConfig(), true, netip.AddrPort{}, pbxRTP, pbxRTCP), withH245(calleeConfig(), true, netip.AddrPort{}, phoneRTP, phoneRTCP))
	c.do(c.caller, c.caller.Setup())
	c.answer()
	c.checkMedia()
	// The Facilities that only carried H.245 are no facility for the driver.
	if len(c.facilities[c.caller])+len(c.facilities[c.callee]) != 0 {
		t.Errorf("H.245 carriers reported as PeerFacility: %v", c.facilities)
	}
	// Every message of both legs after the Setup says h245Tunnelling true, and the Setup too.
	for _, w := range c.wire {
		_, info := checkWire(t, w.payload)
		if tun := info.H323UuPdu.H245Tunnelling; tun == nil || !*tun {
			t.Errorf("%s without h245Tunnelling", w.event)
		}
	}
	_, cp := checkWire(t, c.wire[1].payload)
	if c.wire[1].event != "q931.call_proceeding" || len(cp.H323UuPdu.H245Control) != 2 {
		t.Fatalf("second message %s with %d tunnelled messages", c.wire[1].event, len(cp.H323UuPdu.H245Control))
	}
	calleeTunnelled, _ := c.h245Names(false)
	if !slices.Equal(calleeTunnelled[:2], []string{"terminalCapabilitySet", "masterSlaveDetermination"}) {
		t.Errorf("callee's first H.245: %v", calleeTunnelled)
	}
	if len(c.listen[c.caller])+len(c.listen[c.callee])+len(c.connects[c.caller])+len(c.connects[c.callee]) != 0 {
		t.Error("a tunnelled call asked for a separate connection")
	}
	// The tunnelled messages are named on the Send that carries them.
	if got := c.wire[1].h245Attr; got != "terminalCapabilitySet,masterSlaveDetermination" {
		t.Errorf("Call Proceeding h245 attribute %q", got)
	}
	n := len(c.wire)
	c.do(c.caller, c.caller.Release(16))
	rc := c.wire[n]
	if rc.event != "q931.release_complete" {
		t.Fatalf("release sent %s", rc.event)
	}
	_, info := checkWire(t, rc.payload)
	if len(info.H323UuPdu.H245Control) != 1 || decodeH245Name(t, info.H323UuPdu.H245Control[0]) != "endSessionCommand" {
		t.Errorf("Release Complete carries %d H.245 messages", len(info.H323UuPdu.H245Control))
	}
}

// TestH245Separate: neither leg tunnels; the callee listens and announces its h245Address in
// the Connect, the caller connects, and H.245 runs on that connection.
func TestH245Separate(t *testing.T) {
	c := newH245Call(t, withH245(callerConfig(), false, netip.AddrPort{}, pbxRTP, pbxRTCP), withH245(calleeConfig(), false, phoneH245, phoneRTP, phoneRTCP))
	c.do(c.caller, c.caller.Setup())
	c.answer()
	c.checkMedia()
	if !slices.Equal(c.listen[c.callee], []netip.AddrPort{phoneH245}) || !slices.Equal(c.connects[c.caller], []netip.AddrPort{phoneH245}) {
		t.Errorf("listen %v, connect %v", c.listen, c.connects)
	}
	for _, w := range c.wire {
		if w.separate {
			continue
		}
		msg, info := checkWire(t, w.payload)
		if tun := info.H323UuPdu.H245Tunnelling; tun == nil || *tun || len(info.H323UuPdu.H245Control) > 0 {
			t.Errorf("%s tunnels", w.event)
		}
		if msg.Type == q931.Connect {
			if got := addrPortOf(info.H323UuPdu.H323MessageBody.Connect.H245Address); got != phoneH245 {
				t.Errorf("Connect h245Address %v", got)
			}
		}
	}
	_, callerH245 := c.h245Names(true)
	if !slices.Equal(callerH245[:2], []string{"terminalCapabilitySet", "masterSlaveDetermination"}) {
		t.Errorf("caller's H.245: %v", callerH245)
	}
	n := len(c.wire)
	c.do(c.callee, c.callee.Release(16))
	var got []string
	for _, w := range c.wire[n:] {
		if !w.fromCaller {
			got = append(got, w.event)
		}
	}
	if !slices.Equal(got, []string{"h245.end_session_command", "q931.release_complete"}) || c.closed[c.callee] != 1 || c.closed[c.caller] != 1 {
		t.Errorf("release: %v, closed %v", got, c.closed)
	}
}

// TestH245TunnellingRefused: the caller offers tunnelling, the callee does not tunnel; the
// caller keeps its offer until the Connect, which says false and gives the callee's
// address, and connects there.
func TestH245TunnellingRefused(t *testing.T) {
	c := newH245Call(t, withH245(callerConfig(), true, netip.AddrPort{}, pbxRTP, pbxRTCP), withH245(calleeConfig(), false, phoneH245, phoneRTP, phoneRTCP))
	c.do(c.caller, c.caller.Setup())
	c.answer()
	c.checkMedia()
	if !slices.Equal(c.connects[c.caller], []netip.AddrPort{phoneH245}) {
		t.Errorf("caller connected to %v", c.connects[c.caller])
	}
	if tunnelled, _ := c.h245Names(true); len(tunnelled) != 0 {
		t.Errorf("caller tunnelled %v", tunnelled)
	}
}

// TestH245StartH245: nobody tunnels and the callee does not listen; after the Connect the
// caller sends Facility startH245 with its address, and the callee connects to it.
func TestH245StartH245(t *testing.T) {
	c := newH245Call(t, withH245(callerConfig(), false, pbxH245, pbxRTP, pbxRTCP), withH245(calleeConfig(), false, netip.AddrPort{}, phoneRTP, phoneRTCP))
	c.do(c.caller, c.caller.Setup())
	c.answer()
	c.checkMedia()
	var facility bool
	for _, w := range c.wire {
		if w.event == "q931.facility" && w.fromCaller {
			_, info := checkWire(t, w.payload)
			f := info.H323UuPdu.H323MessageBody.Facility
			facility = f != nil && f.Reason.Choice.String() == "startH245" && addrPortOf(f.H245Address) == pbxH245
		}
	}
	if !facility || !slices.Equal(c.connects[c.callee], []netip.AddrPort{pbxH245}) {
		t.Errorf("startH245 sent %v, callee connected to %v", facility, c.connects[c.callee])
	}
}

// TestH245Disabled: the default configuration sends no H.245 and ignores the peer's.
func TestH245Disabled(t *testing.T) {
	c := newH245Call(t, callerConfig(), withH245(calleeConfig(), true, phoneH245, phoneRTP, phoneRTCP))
	c.do(c.caller, c.caller.Setup())
	c.answer()
	if len(c.reports[c.caller]) != 0 || len(c.connects[c.caller]) != 0 {
		t.Errorf("a leg without H.245 ran it: %v %v", c.reports[c.caller], c.connects[c.caller])
	}
	for _, w := range c.wire {
		if !w.fromCaller {
			continue
		}
		_, info := checkWire(t, w.payload)
		if *info.H323UuPdu.H245Tunnelling || len(info.H323UuPdu.H245Control) > 0 {
			t.Errorf("%s tunnels", w.event)
		}
	}
}

// TestH245TunnelledTimer: a timer of the tunnelled peer that expires sends what H.245 says at
// once, in a Facility, once the Setup is answered.
func TestH245TunnelledTimer(t *testing.T) {
	callee := NewLeg(withH245(calleeConfig(), true, netip.AddrPort{}, phoneRTP, phoneRTCP))
	setup := onlySend(t, NewLeg(withH245(callerConfig(), true, netip.AddrPort{}, pbxRTP, pbxRTCP)).Setup())
	var timers []control.Timer
	for _, e := range callee.HandleMessage(setup.Payload) {
		if h, ok := e.(H245); ok {
			if st, ok := h.Effect.(control.SetTimer); ok {
				timers = append(timers, st.Timer)
			}
		}
	}
	if !slices.Equal(timers, []control.Timer{control.T101, control.T106}) {
		t.Fatalf("timers %v", timers)
	}
	// Before the Setup is answered the release waits for the next message.
	if got := sends(t, callee.H245Timeout(control.T101)); len(got) != 0 {
		t.Fatalf("sent %d messages before answering the Setup", len(got))
	}
	cp := onlySend(t, callee.CallProceeding())
	if cp.Event != "q931.call_proceeding" || !strings.HasSuffix(attr(cp, "h245"), "terminalCapabilitySetRelease") {
		t.Errorf("Call Proceeding carries %q", attr(cp, "h245"))
	}
	f := onlySend(t, callee.H245Timeout(control.T106))
	if f.Event != "q931.facility" || attr(f, "h245") != "masterSlaveDeterminationRelease" {
		t.Errorf("T106 sent %s %q", f.Event, attr(f, "h245"))
	}
}

// TestH245TunnelledGarbage: octets in h245Control that are no H.245 message are answered with
// functionNotSupported, tunnelled back; the call goes on.
func TestH245TunnelledGarbage(t *testing.T) {
	c := newH245Call(t, withH245(callerConfig(), true, netip.AddrPort{}, pbxRTP, pbxRTCP), withH245(calleeConfig(), true, netip.AddrPort{}, phoneRTP, phoneRTCP))
	c.do(c.caller, c.caller.Setup())
	c.answer()
	b := c.caller.builder()
	b.h245 = [][]byte{{0xff, 0xff, 0xff}}
	forged := b.tunnel().(Send)
	effects := c.callee.HandleMessage(forged.Payload)
	f := onlySend(t, effects)
	if attr(f, "h245") != "functionNotSupported" {
		t.Errorf("garbage answered with %q", attr(f, "h245"))
	}
	var failed bool
	for _, e := range effects {
		if h, ok := e.(H245); ok {
			_, failed = h.Effect.(control.Failure)
		}
	}
	if !failed || c.callee.State() != StateActive {
		t.Errorf("failure reported %v, state %v", failed, c.callee.State())
	}
}

// FuzzHandleMessageH245 feeds arbitrary messages to the legs of a tunnelled call at every
// step: nothing panics, and what the legs send is well formed.
func FuzzHandleMessageH245(f *testing.F) {
	caller := NewLeg(withH245(callerConfig(), true, netip.AddrPort{}, pbxRTP, pbxRTCP))
	b := caller.builder()
	b.h245 = [][]byte{{0x02, 0x70, 0x01, 0x06}}
	f.Add(b.tunnel().(Send).Payload, 2)
	f.Add(caller.Setup()[0].(Send).Payload, 0)
	f.Fuzz(func(t *testing.T, payload []byte, reached int) {
		c := newH245Call(t, withH245(callerConfig(), true, netip.AddrPort{}, pbxRTP, pbxRTCP), withH245(calleeConfig(), true, netip.AddrPort{}, phoneRTP, phoneRTCP))
		steps := []func(){
			func() { c.do(c.caller, c.caller.Setup()) },
			func() { c.do(c.callee, c.callee.CallProceeding()) },
			func() { c.do(c.callee, c.callee.Connect()) },
		}
		for _, step := range steps[:max(0, min(reached, len(steps)))] {
			step()
		}
		for _, leg := range []*Leg{c.caller, c.callee} {
			for _, e := range leg.HandleMessage(payload) {
				if s, ok := e.(Send); ok {
					checkWire(t, s.Payload)
				}
			}
		}
	})
}

// TestH245RefusedBeforeAnswer: a callee that refuses the call before answering the Setup sends
// no H.245 at all (its session never reached the caller).
func TestH245RefusedBeforeAnswer(t *testing.T) {
	c := newH245Call(t, withH245(callerConfig(), true, netip.AddrPort{}, pbxRTP, pbxRTCP), withH245(calleeConfig(), true, netip.AddrPort{}, phoneRTP, phoneRTCP))
	c.do(c.caller, c.caller.Setup())
	rc := onlySend(t, c.callee.Release(17))
	if _, names, _ := tunnelledOf(t, rc); len(names) != 0 {
		t.Errorf("Release Complete carries %v", names)
	}
}

// TestH245BadConfig: an H.245 configuration the peer cannot work with is reported when the
// session would start, and the call goes on without H.245.
func TestH245BadConfig(t *testing.T) {
	cfg := withH245(calleeConfig(), true, netip.AddrPort{}, phoneRTP, phoneRTCP)
	cfg.H245.Control.TerminalType = 300
	callee := NewLeg(cfg)
	setup := onlySend(t, NewLeg(withH245(callerConfig(), true, netip.AddrPort{}, pbxRTP, pbxRTCP)).Setup())
	var failed bool
	for _, e := range callee.HandleMessage(setup.Payload) {
		if p, ok := e.(ProtocolError); ok {
			failed = errors.Is(p.Err, control.ErrConfig)
		}
	}
	if !failed || callee.State() != StateSetupReceived {
		t.Errorf("config error reported %v, state %v", failed, callee.State())
	}
}
