package report

import (
	"net/netip"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// Addresses of the hand-built world: a desk phone calls a user whose
// iPhone is woken by a push.
var (
	pbxRAS     = netip.MustParseAddrPort("10.0.0.1:1719")
	pbxSig     = netip.MustParseAddrPort("10.0.0.1:1720")
	pushAddr   = netip.MustParseAddrPort("10.0.0.2:443")
	apnsAddr   = netip.MustParseAddrPort("10.0.0.3:443")
	deskRAS    = netip.MustParseAddrPort("10.0.1.1:1719")
	deskSig    = netip.MustParseAddrPort("10.0.1.1:40000")
	phoneRAS   = netip.MustParseAddrPort("10.0.1.2:1719")
	phoneSig   = netip.MustParseAddrPort("10.0.1.2:1720")
	pbxPushTCP = netip.MustParseAddrPort("10.0.0.1:50000")
)

// builder assembles a timeline the way the world driver records one.
type builder struct {
	t  testing.TB
	tl timeline.Timeline
}

func (b *builder) event(at time.Duration, name string, attrs ...timeline.Attr) {
	b.tl.Add(timeline.Event{At: at, Name: name, Attrs: attrs})
}

func (b *builder) ras(at time.Duration, from, to string, src, dst netip.AddrPort, msg []byte, extra ...timeline.Attr) {
	m, err := ras.Decode(msg)
	if err != nil {
		b.t.Fatalf("hand-built RAS message: %v", err)
	}
	attrs := append([]timeline.Attr{timeline.A("from", from), timeline.A("to", to)}, extra...)
	b.tl.Add(timeline.Event{At: at, Name: ras.EventName(m), Attrs: attrs,
		Wire: &timeline.Wire{Protocol: "ras", Transport: "udp", Src: src, Dst: dst, Payload: msg}})
}

func (b *builder) encode(m interface{ Marshal() ([]byte, error) }) []byte {
	out, err := m.Marshal()
	if err != nil {
		b.t.Fatal(err)
	}
	return out
}

// q931 records the Send effects of a leg as message events.
func (b *builder) q931(at time.Duration, from, to string, src, dst netip.AddrPort, effects []h323.Effect) {
	sent := 0
	for _, e := range effects {
		s, ok := e.(h323.Send)
		if !ok {
			continue
		}
		sent++
		attrs := append([]timeline.Attr{timeline.A("from", from), timeline.A("to", to)}, s.Attrs...)
		b.tl.Add(timeline.Event{At: at, Name: s.Event, Attrs: attrs,
			Wire: &timeline.Wire{Protocol: "q931", Transport: "tcp", Src: src, Dst: dst, Payload: s.Payload}})
	}
	if sent == 0 {
		b.t.Fatalf("leg sent nothing at %v (%s -> %s): %#v", at, from, to, effects)
	}
}

func (b *builder) push(at time.Duration, name, from, to string, src, dst netip.AddrPort, protocol, payload string, extra ...timeline.Attr) {
	attrs := append([]timeline.Attr{timeline.A("from", from), timeline.A("to", to)}, extra...)
	b.tl.Add(timeline.Event{At: at, Name: name, Attrs: attrs,
		Wire: &timeline.Wire{Protocol: protocol, Transport: "tls", Src: src, Dst: dst, Payload: []byte(payload)}})
}

// handTimeline is a complete pushed call: registrations (one RCF lost and
// repeated), a call from a desk phone, a push that wakes the iPhone, its
// registration, the call to it, and the release; with decisions between.
func handTimeline(t testing.TB) []timeline.Event {
	b := &builder{t: t}
	ms := time.Millisecond
	desk := ras.Info{Alias: "bob", Number: "202", RASAddress: deskRAS, CallSignalAddress: deskSig}
	b.ras(0, "bob-desk", "pbx", deskRAS, pbxRAS, b.encode(ras.NewRRQ(1, desk, false, time.Minute, false)))
	b.ras(20*ms, "pbx", "bob-desk", pbxRAS, deskRAS, b.encode(ras.NewRCF(1, "pbx", pbxSig, registered(desk, "ep-1"), 2*time.Minute)), timeline.A("lost", true))
	b.ras(3020*ms, "bob-desk", "pbx", deskRAS, pbxRAS, b.encode(ras.NewRRQ(2, desk, false, time.Minute, false)))
	b.ras(3040*ms, "pbx", "bob-desk", pbxRAS, deskRAS, b.encode(ras.NewRCF(2, "pbx", pbxSig, registered(desk, "ep-1"), 2*time.Minute)))

	caller := h323.NewLeg(h323.LegConfig{Outgoing: true, CallReference: 7, CallID: [16]byte{1, 2, 3},
		ConferenceID: [16]byte{4, 5, 6}, CallingNumber: "202", CallingName: "Bob", CalledNumber: "201",
		SourceAlias: "bob", Local: deskSig, Remote: pbxSig})
	atPBX := h323.NewLeg(h323.LegConfig{Local: pbxSig, Remote: deskSig, PrivateNetwork: true})
	b.q931(4*time.Second, "bob-desk", "pbx", deskSig, pbxSig, caller.Setup())
	// The PBX's incoming leg must see the Setup before it can answer.
	handle(t, atPBX, b.tl.Events()[b.tl.Len()-1].Wire.Payload)
	b.q931(4020*ms, "pbx", "bob-desk", pbxSig, deskSig, atPBX.CallProceeding())
	b.push(4020*ms, "push.request", "pbx", "push", pbxPushTCP, pushAddr, "push",
		`{"mt":"PushNotifyPost","user":"alice","type":"call"}`, timeline.A("user", "alice"), timeline.A("device", "alice-iphone"), timeline.A("type", "call"))
	b.push(4070*ms, "push.forwarded", "push", "apns", pushAddr, apnsAddr, "apns",
		`{"aps":{"content-available":1}}`, timeline.A("platform", "apns"), timeline.A("status", "200"))
	b.push(4370*ms, "push.delivered", "apns", "alice-iphone", apnsAddr, netip.AddrPortFrom(phoneRAS.Addr(), 5223), "apns",
		`{"aps":{"content-available":1}}`, timeline.A("device", "alice-iphone"))
	b.event(4370*ms, "app.started", timeline.A("device", "alice-iphone"), timeline.A("reason", "push"))
	phone := ras.Info{Alias: "alice", Number: "201", RASAddress: phoneRAS, CallSignalAddress: phoneSig}
	b.ras(5870*ms, "alice-iphone", "pbx", phoneRAS, pbxRAS, b.encode(ras.NewGRQ(1, phone, false)))
	b.ras(5890*ms, "pbx", "alice-iphone", pbxRAS, phoneRAS, b.encode(ras.NewGCF(1, "pbx", pbxRAS, nil)))
	b.ras(5910*ms, "alice-iphone", "pbx", phoneRAS, pbxRAS, b.encode(ras.NewRRQ(2, phone, true, time.Minute, false)))
	b.ras(5930*ms, "pbx", "alice-iphone", pbxRAS, phoneRAS, b.encode(ras.NewRCF(2, "pbx", pbxSig, registered(phone, "ep-2"), 2*time.Minute)))

	toPhone := h323.NewLeg(h323.LegConfig{Outgoing: true, CallReference: 9, CallID: [16]byte{1, 2, 3},
		ConferenceID: [16]byte{4, 5, 6}, CallingNumber: "202", CallingName: "Bob", CalledNumber: "201",
		SourceAlias: "pbx", Local: netip.AddrPortFrom(pbxSig.Addr(), 41000), Remote: phoneSig, PrivateNetwork: true})
	atPhone := h323.NewLeg(h323.LegConfig{Local: phoneSig, Remote: toPhone.Config().Local})
	b.q931(5950*ms, "pbx", "alice-iphone", toPhone.Config().Local, phoneSig, toPhone.Setup())
	handle(t, atPhone, b.tl.Events()[b.tl.Len()-1].Wire.Payload)
	b.q931(5970*ms, "alice-iphone", "pbx", phoneSig, toPhone.Config().Local, atPhone.Alerting())
	b.event(5970*ms, "device.ringing", timeline.A("device", "alice-iphone"), timeline.A("number", "202"), timeline.A("name", "Bob"))
	handle(t, toPhone, b.tl.Events()[b.tl.Len()-2].Wire.Payload)
	b.q931(5990*ms, "pbx", "bob-desk", pbxSig, deskSig, atPBX.Alerting())
	b.event(15950*ms, "call.forwarded", timeline.A("reason", "cfnr"), timeline.A("to", "299"))
	b.q931(15950*ms, "pbx", "alice-iphone", toPhone.Config().Local, phoneSig, toPhone.Release(16))
	b.q931(16*time.Second, "pbx", "bob-desk", pbxSig, deskSig, atPBX.Release(18))
	b.event(16*time.Second, "call.released", timeline.A("cause", "18"))
	return b.tl.Events()
}

// handle feeds a received message to a leg; a leg that refuses it fails
// the test, because the hand-built timeline must be a valid exchange.
func handle(t testing.TB, l *h323.Leg, payload []byte) []h323.Effect {
	effects := l.HandleMessage(payload)
	for _, e := range effects {
		if pe, ok := e.(h323.ProtocolError); ok {
			t.Fatalf("leg refused a hand-built message: %v", pe.Err)
		}
	}
	return effects
}

// registered is ep with the endpoint identifier the gatekeeper assigned.
func registered(ep ras.Info, id string) ras.Info {
	ep.EndpointID = id
	return ep
}
