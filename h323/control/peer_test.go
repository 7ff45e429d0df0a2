package control

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/callwake/callwake/h323/h245"
)

// counter returns a deterministic random source: start, start+step, …
func counter(start, step uint32) func() uint32 {
	n := start - step
	return func() uint32 { n += step; return n }
}

func newPeer(t *testing.T, cfg Config) *Peer {
	t.Helper()
	if cfg.Random == nil {
		cfg.Random = counter(0x123456, 1)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	aliceRTP  = netip.MustParseAddrPort("192.0.2.10:40000")
	aliceRTCP = netip.MustParseAddrPort("192.0.2.10:40001")
	pbxRTP    = netip.MustParseAddrPort("192.0.2.1:50000")
	pbxRTCP   = netip.MustParseAddrPort("192.0.2.1:50001")
)

// sends returns the decoded messages of the Send effects in out.
func sends(t *testing.T, out []Effect) []*h245.MultimediaSystemControlMessage {
	t.Helper()
	var msgs []*h245.MultimediaSystemControlMessage
	for _, e := range out {
		if s, ok := e.(Send); ok {
			m, err := h245.UnmarshalMultimediaSystemControlMessage(s.Message)
			if err != nil {
				t.Fatalf("%s does not decode: %v", s.Name, err)
			}
			if s.Name != MessageName(m) || s.Event != EventName(s.Name) {
				t.Fatalf("Send named %s/%s carries %s", s.Name, s.Event, MessageName(m))
			}
			msgs = append(msgs, m)
		}
	}
	return msgs
}

// names lists the names of the messages out sends.
func names(out []Effect) []string {
	var n []string
	for _, e := range out {
		if s, ok := e.(Send); ok {
			n = append(n, s.Name)
		}
	}
	return n
}

// reports returns out without its Send and timer effects.
func reports(out []Effect) []Effect {
	var r []Effect
	for _, e := range out {
		switch e.(type) {
		case Send, SetTimer, StopTimer:
		default:
			r = append(r, e)
		}
	}
	return r
}

// conversation runs two peers against each other, a having produced first, until neither
// has anything to send, and returns every effect each produced, in order.
func conversation(a, b *Peer, first []Effect) (aOut, bOut []Effect) {
	return talk(a, b, first, func(string) bool { return false })
}

// talk is conversation with the messages for which drop returns true lost on the way.
func talk(a, b *Peer, first []Effect, drop func(name string) bool) (aOut, bOut []Effect) {
	type delivery struct {
		toA bool
		msg []byte
	}
	var queue []delivery
	enqueue := func(out []Effect, toA bool) {
		for _, e := range out {
			if s, ok := e.(Send); ok && !drop(s.Name) {
				queue = append(queue, delivery{toA, s.Message})
			}
		}
	}
	aOut, bOut = first, b.Start()
	enqueue(aOut, false)
	enqueue(bOut, true)
	for steps := 0; len(queue) > 0 && steps < 1000; steps++ {
		d := queue[0]
		queue = queue[1:]
		if d.toA {
			out := a.Handle(d.msg)
			aOut = append(aOut, out...)
			enqueue(out, false)
		} else {
			out := b.Handle(d.msg)
			bOut = append(bOut, out...)
			enqueue(out, true)
		}
	}
	return aOut, bOut
}

func find[T Effect](out []Effect) (T, bool) {
	for _, e := range out {
		if v, ok := e.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// TestNegotiation runs a terminal and a gateway against each other: capability sets are
// acknowledged, the gateway (larger terminal type) is master, and each opens its G.711
// channel to the other's RTP and RTCP addresses.
func TestNegotiation(t *testing.T) {
	phone := newPeer(t, Config{RTP: aliceRTP, RTCP: aliceRTCP, Random: counter(7, 1)})
	pbx := newPeer(t, Config{TerminalType: TerminalTypeGateway, RTP: pbxRTP, RTCP: pbxRTCP, Random: counter(9, 1)})
	start := phone.Start()
	if got := names(start); !slices.Equal(got, []string{"terminalCapabilitySet", "masterSlaveDetermination"}) {
		t.Fatalf("Start sends %v", got)
	}
	pOut, xOut := conversation(phone, pbx, start)
	for _, c := range []struct {
		who       string
		out       []Effect
		master    bool
		rtp, rtcp netip.AddrPort
	}{{"phone", pOut, false, pbxRTP, pbxRTCP}, {"pbx", xOut, true, aliceRTP, aliceRTCP}} {
		if f, ok := find[Failure](c.out); ok {
			t.Errorf("%s: %v", c.who, f.Err)
		}
		if m, ok := find[MasterSlaveDetermined](c.out); !ok || m.Master != c.master {
			t.Errorf("%s: determination %+v %v, want master=%v", c.who, m, ok, c.master)
		}
		if caps, ok := find[CapabilitiesReceived](c.out); !ok || !slices.Equal(caps.Codecs, []Codec{G711Alaw, G711Ulaw}) {
			t.Errorf("%s: capabilities %+v", c.who, caps)
		}
		ch, ok := find[ChannelOpened](c.out)
		if !ok || ch.Codec != G711Alaw || ch.RTP != c.rtp || ch.RTCP != c.rtcp || ch.Number != 1 {
			t.Errorf("%s: channel %+v %v", c.who, ch, ok)
		}
		in, ok := find[PeerChannelOpened](c.out)
		if !ok || in.Codec != G711Alaw || in.Number != 1 {
			t.Errorf("%s: peer channel %+v %v", c.who, in, ok)
		}
	}
	// Every timer started is stopped again: nothing is left waiting.
	for _, out := range [][]Effect{pOut, xOut} {
		running := map[Timer]bool{}
		for _, e := range out {
			switch e := e.(type) {
			case SetTimer:
				running[e.Timer] = true
			case StopTimer:
				delete(running, e.Timer)
			}
		}
		if len(running) > 0 {
			t.Errorf("timers left running: %v", running)
		}
	}
}

// TestCodecPreference: the channel uses our first codec that the peer can receive.
func TestCodecPreference(t *testing.T) {
	phone := newPeer(t, Config{RTP: aliceRTP, Codecs: []Codec{G711Alaw, G711Ulaw}})
	pbx := newPeer(t, Config{RTP: pbxRTP, Codecs: []Codec{G711Ulaw}, Random: counter(0x800, 1)})
	pOut, xOut := conversation(phone, pbx, phone.Start())
	if ch, _ := find[ChannelOpened](pOut); ch.Codec != G711Ulaw {
		t.Errorf("phone opened %v, want the peer's only codec", ch.Codec)
	}
	if ch, _ := find[ChannelOpened](xOut); ch.Codec != G711Ulaw {
		t.Errorf("pbx opened %v", ch.Codec)
	}
	if ch, _ := find[ChannelOpened](pOut); ch.RTCP.IsValid() {
		t.Errorf("RTCP %v from a peer that has none", ch.RTCP)
	}
}

// TestNoCommonCodec: capability exchange and determination complete, no channel is opened and
// NoCommonCodec is reported once.
func TestNoCommonCodec(t *testing.T) {
	phone := newPeer(t, Config{RTP: aliceRTP, Codecs: []Codec{G711Alaw}})
	pbx := newPeer(t, Config{RTP: pbxRTP, Codecs: []Codec{G711Ulaw}, Random: counter(0x800, 1)})
	pOut, _ := conversation(phone, pbx, phone.Start())
	n := 0
	for _, e := range pOut {
		if _, ok := e.(NoCommonCodec); ok {
			n++
		}
	}
	if n != 1 || slices.Contains(names(pOut), "openLogicalChannel") {
		t.Errorf("%d NoCommonCodec reports, sent %v", n, names(pOut))
	}
}

// TestConfig rejects what the peer cannot work with.
func TestConfig(t *testing.T) {
	rnd := counter(1, 1)
	for _, cfg := range []Config{
		{},
		{Random: rnd, TerminalType: 256},
		{Random: rnd, FramesPerPacket: 257},
		{Random: rnd, Codecs: []Codec{}},
		{Random: rnd, Codecs: []Codec{G711Alaw, G711Alaw}},
		{Random: rnd, Codecs: []Codec{7}},
		{Random: rnd, Timeout: -1},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v", cfg, err)
		}
	}
}

// TestOurCapabilitySet checks the set Start sends, field by field.
func TestOurCapabilitySet(t *testing.T) {
	p := newPeer(t, Config{FramesPerPacket: 30, Codecs: []Codec{G711Ulaw, G711Alaw}})
	m := sends(t, p.Start())[0]
	tcs := m.Request.TerminalCapabilitySet
	if tcs.SequenceNumber != 1 || !reflect.DeepEqual(tcs.ProtocolIdentifier, ProtocolIdentifier()) {
		t.Errorf("sequence %d, protocol %v", tcs.SequenceNumber, tcs.ProtocolIdentifier)
	}
	if tcs.MultiplexCapability == nil || tcs.MultiplexCapability.Choice != h245.MultiplexCapabilityH2250Capability {
		t.Errorf("multiplex capability %+v", tcs.MultiplexCapability)
	}
	want := []Codec{G711Ulaw, G711Alaw}
	if len(tcs.CapabilityTable) != 2 {
		t.Fatalf("table %+v", tcs.CapabilityTable)
	}
	for i, e := range tcs.CapabilityTable {
		c, frames := receiveCodec(e.Capability)
		if int(e.CapabilityTableEntryNumber) != i+1 || e.Capability.Choice != h245.CapabilityReceiveAudioCapability || c != want[i] || frames != 30 {
			t.Errorf("entry %d: %+v (%v, %d frames)", i, e, c, frames)
		}
	}
	d := tcs.CapabilityDescriptors
	if len(d) != 1 || !reflect.DeepEqual(d[0].SimultaneousCapabilities, []h245.AlternativeCapabilitySet{{1, 2}}) {
		t.Errorf("descriptors %+v", d)
	}
}
