package ras

import (
	"bytes"
	"errors"
	"github.com/callwake/callwake/node"
	"net/netip"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
)

// stranger is an off-path attacker's address: not the gatekeeper's.
var stranger = netip.MustParseAddrPort("192.0.2.66:1719")

// registeredEndpoint returns an endpoint registered (as ep-0001, seq 1) with
// a gatekeeper at gkRAS, and the harness that registered it.
func registeredEndpoint(t *testing.T, ec EndpointConfig, gc GatekeeperConfig) *harness {
	t.Helper()
	if gc.TimeToLive == 0 {
		gc.TimeToLive = 120 * time.Second
	}
	h := newHarness(t, ec, gc)
	h.epEffects(h.ep.Register(h.now))
	if !h.ep.Registered() {
		t.Fatalf("not registered:\n%v", h.log)
	}
	h.log = nil
	return h
}

// sends returns the Send effects of effects.
func sends(effects []Effect) []Send {
	var out []Send
	for _, e := range effects {
		if s, ok := e.(Send); ok {
			out = append(out, s)
		}
	}
	return out
}

func records(effects []Effect, event string) []node.Record {
	var out []node.Record
	for _, e := range effects {
		if r, ok := e.(node.Record); ok && r.Name == event {
			out = append(out, r)
		}
	}
	return out
}

func mustEncodeMsg(t *testing.T, m *h225.RasMessage) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A stranger's URQ does not unregister the endpoint: RAS is accepted from the
// gatekeeper only.
func TestStrangerCannotUnregister(t *testing.T) {
	h := registeredEndpoint(t, EndpointConfig{Alias: "alice"}, GatekeeperConfig{ID: "pbx", RASAddress: gkRAS})
	urq := mustEncodeMsg(t, NewURQ(99, Info{Alias: "alice", EndpointID: "ep-0001"}))
	out := h.ep.HandleDatagram(h.now, stranger, urq)
	if len(sends(out)) != 0 || !h.ep.Registered() {
		t.Fatalf("a stranger's URQ was answered or unregistered the endpoint: %v", out)
	}
	if len(records(out, "ras.refused")) != 1 {
		t.Errorf("no ras.refused record: %v", out)
	}
	// The same URQ from the gatekeeper's address is obeyed.
	out = h.ep.HandleDatagram(h.now, gkRAS, urq)
	if len(sends(out)) != 1 || h.ep.Registered() {
		t.Fatalf("the gatekeeper's URQ: %v", out)
	}
}

// An IRQ naming a replyAddress elsewhere gets its IRR at the gatekeeper, and a
// stranger's IRQ gets nothing: no reflection, no amplification.
func TestIRRGoesOnlyToTheGatekeeper(t *testing.T) {
	h := registeredEndpoint(t, EndpointConfig{Alias: "alice"}, GatekeeperConfig{ID: "pbx", RASAddress: gkRAS})
	victim := netip.MustParseAddrPort("198.51.100.7:9")
	irq := mustEncodeMsg(t, NewIRQ(5, victim))
	out := h.ep.HandleDatagram(h.now, gkRAS, irq)
	s := sends(out)
	if len(s) != 1 || s[0].To != gkRAS || s[0].Event != "ras.irr" {
		t.Fatalf("IRQ with replyAddress %v: sent %+v, want one IRR to %v", victim, s, gkRAS)
	}
	if out := h.ep.HandleDatagram(h.now, stranger, irq); len(sends(out)) != 0 {
		t.Fatalf("a stranger's IRQ was answered: %v", out)
	}
}

// forgedAnswers are the confirms an attacker would forge, for every sequence
// number, to take the endpoint elsewhere: an RCF, an ACF sending its call to
// the attacker, a GCF naming the attacker's "gatekeeper".
func forgedAnswers(t *testing.T, seq uint16) [][]byte {
	evil := netip.MustParseAddrPort("192.0.2.66:1720")
	return [][]byte{
		mustEncodeMsg(t, NewRCF(seq, "pbx", evil, Info{Alias: "alice", EndpointID: "ep-6666"}, time.Hour)),
		mustEncodeMsg(t, NewACF(seq, 1280, evil)),
		mustEncodeMsg(t, NewGCF(seq, "evil", stranger, nil)),
	}
}

// checkSweep sends the forged answers for all 65,535 sequence numbers from
// from and fails if the endpoint takes any; it returns the records made.
func checkSweep(t *testing.T, ep *Endpoint, now time.Time, from netip.AddrPort) int {
	t.Helper()
	n := 0
	gatekeeper := ep.gatekeeper
	for seq := 1; seq <= 65535; seq++ {
		for _, b := range forgedAnswers(t, uint16(seq)) {
			for _, e := range ep.HandleDatagram(now, from, b) {
				switch e := e.(type) {
				case node.Record:
					n++
				case node.CancelTimer:
				default:
					t.Fatalf("seq %d from %v: the endpoint took a forged answer: %T %+v", seq, from, e, e)
				}
			}
		}
	}
	if ep.gatekeeper != gatekeeper {
		t.Fatalf("a forged GCF moved the gatekeeper to %v", ep.gatekeeper)
	}
	return n
}

// TestSequenceSweepCannotForgeAnswers: an off-path stranger sweeping every
// sequence number with forged RCF, ACF and GCF gets none accepted while a
// discovery, a registration and an admission are outstanding; from the
// gatekeeper's (spoofed) address, with H.235, the unsigned forgeries fail too.
// The records of the 196,605 refused datagrams stay bounded.
func TestSequenceSweepCannotForgeAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 196,605 datagrams per case")
	}
	t.Run("stranger, discovery outstanding", func(t *testing.T) {
		ep := NewEndpoint(EndpointConfig{Alias: "alice", RASAddress: epRAS, CallSignalAddress: epCS, Gatekeeper: gkRAS,
			Discover: true, Random: bytes.NewReader([]byte{0x9c, 0x41, 0, 0, 0, 1})})
		ep.Register(epoch0)
		if n := checkSweep(t, ep, epoch0, stranger); n > RecordBurst {
			t.Errorf("%d records for the sweep, want at most %d", n, RecordBurst)
		}
	})
	t.Run("stranger, admission outstanding", func(t *testing.T) {
		h := registeredEndpoint(t, EndpointConfig{Alias: "alice"}, GatekeeperConfig{ID: "pbx", RASAddress: gkRAS})
		h.ep.Admit(h.now, call1)
		if n := checkSweep(t, h.ep, h.now, stranger); n > RecordBurst {
			t.Errorf("%d records for the sweep, want at most %d", n, RecordBurst)
		}
	})
	t.Run("spoofed gatekeeper address, H.235, admission outstanding", func(t *testing.T) {
		password, known := users(map[string]string{"alice": "s3cret"})
		h := registeredEndpoint(t, EndpointConfig{Alias: "alice", Password: "s3cret"},
			GatekeeperConfig{ID: "pbx", RASAddress: gkRAS, Password: password, Known: known})
		h.ep.Admit(h.now, call1)
		// Two kinds of refusal (ras.ignored, ras.security_error), a burst each.
		if n := checkSweep(t, h.ep, h.now, gkRAS); n > 2*RecordBurst {
			t.Errorf("%d records for the sweep, want at most %d", n, 2*RecordBurst)
		}
	})
}

// TestRefusalRecordsAreRateLimited: a burst, then one per interval, with the
// count of those held back.
func TestRefusalRecordsAreRateLimited(t *testing.T) {
	ep := NewEndpoint(EndpointConfig{Alias: "alice", RASAddress: epRAS, Gatekeeper: gkRAS, FirstSeqNum: 1})
	now := epoch0
	emitted := 0
	for i := range 1000 {
		emitted += len(records(ep.HandleDatagram(now.Add(time.Duration(i)*time.Millisecond), stranger, []byte{0xff}), "ras.refused"))
	}
	if emitted != RecordBurst {
		t.Fatalf("%d records in the first second, want %d", emitted, RecordBurst)
	}
	out := ep.HandleDatagram(now.Add(1500*time.Millisecond), stranger, []byte{0xff})
	rec := records(out, "ras.refused")
	if len(rec) != 1 {
		t.Fatalf("no record after the interval: %v", out)
	}
	suppressed := ""
	for _, a := range rec[0].Attrs {
		if a.Key == "suppressed" {
			suppressed = a.Value
		}
	}
	if suppressed != "990" {
		t.Errorf("suppressed=%q, want 990", suppressed)
	}
}

// TestFirstSequenceNumberIsDrawn: the first requestSeqNum comes from Random;
// without Random or FirstSeqNum the endpoint refuses to exist.
func TestFirstSequenceNumberIsDrawn(t *testing.T) {
	firstSeq := func(random []byte) uint16 {
		ep := NewEndpoint(EndpointConfig{Alias: "alice", RASAddress: epRAS, Gatekeeper: gkRAS, Random: bytes.NewReader(random)})
		m, err := Decode(sends(ep.Register(epoch0))[0].Payload)
		if err != nil {
			t.Fatal(err)
		}
		return SeqNum(m)
	}
	if got := firstSeq([]byte{0xbe, 0xef, 0, 0, 0, 0}); got != 0xbeef {
		t.Errorf("first seq %d, want %d", got, 0xbeef)
	}
	if got := firstSeq([]byte{0, 0, 0, 0, 0, 0}); got != 1 {
		t.Errorf("first seq %d from zeros, want 1 (0 is not a sequence number)", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewEndpoint without Random or FirstSeqNum did not panic")
		}
	}()
	NewEndpoint(EndpointConfig{Alias: "alice"})
}

// TestEndpointChecksTheGatekeepersRequests: with a password, an unsigned or
// replayed URQ or IRQ is refused; the gatekeeper's own signed IRQ is answered.
func TestEndpointChecksTheGatekeepersRequests(t *testing.T) {
	password, known := users(map[string]string{"alice": "s3cret"})
	gc := GatekeeperConfig{ID: "pbx", RASAddress: gkRAS, Password: password, Known: known}
	h := registeredEndpoint(t, EndpointConfig{Alias: "alice", Password: "s3cret"}, gc)
	for _, m := range []*h225.RasMessage{NewURQ(40, Info{EndpointID: "ep-0001"}), NewIRQ(41, gkRAS)} {
		out := h.ep.HandleDatagram(h.now, gkRAS, mustEncodeMsg(t, m))
		if len(sends(out)) != 0 || len(records(out, "ras.security_error")) != 1 {
			t.Errorf("unsigned %s: %v", EventName(m), out)
		}
	}
	// The gatekeeper's IRQ is signed; the endpoint answers it once.
	var irq []byte
	for _, s := range sends(h.gk.RequestInfo(h.now, "alice")) {
		irq = s.Payload
	}
	if out := h.ep.HandleDatagram(h.now, gkRAS, irq); len(sends(out)) != 1 {
		t.Fatalf("the gatekeeper's signed IRQ was not answered: %v", out)
	}
	if out := h.ep.HandleDatagram(h.now.Add(5*time.Second), gkRAS, irq); len(sends(out)) != 0 {
		t.Fatalf("the same IRQ played again was answered: %v", out)
	}
	if !h.ep.Registered() {
		t.Fatal("unregistered")
	}
}

// TestReplayedRequestsAreRefused: a signed request played again later within
// the window — from another port, after the sender signed other messages — is
// refused, with H.235.1 and with MD5 tokens alike.
func TestReplayedRequestsAreRefused(t *testing.T) {
	for _, method := range []AuthMethod{AuthHMACSHA1, AuthMD5} {
		t.Run(method.String(), func(t *testing.T) {
			password, known := users(map[string]string{"alice": "s3cret"})
			h := newHarness(t, EndpointConfig{Alias: "alice", Password: "s3cret", Authentication: method},
				GatekeeperConfig{ID: "pbx", RASAddress: gkRAS, TimeToLive: 120 * time.Second, Password: password, Known: known})
			var rrq []byte
			h.drop = func(from string, s Send) bool {
				if s.Event == "ras.rrq" && rrq == nil {
					rrq = s.Payload
				}
				return false
			}
			h.epEffects(h.ep.Register(h.now))
			h.advance(2 * time.Second)
			h.epEffects(h.ep.Admit(h.now, call1)) // another token from alice since
			h.advance(18 * time.Second)
			elsewhere := netip.MustParseAddrPort("10.0.0.99:40000")
			out := h.gk.HandleDatagram(h.now, elsewhere, rrq)
			rej := sends(out)
			if len(rej) != 1 || rej[0].Event != "ras.rrj" {
				t.Fatalf("replayed RRQ 20 s later: %v", out)
			}
			if r := records(out, "ras.security_error"); len(r) != 1 || !bytes.Contains([]byte(r[0].Attrs[len(r[0].Attrs)-1].Value), []byte("replay")) {
				t.Errorf("records %v, want a replay error", r)
			}
		})
	}
}

// TestReplayCacheIsBounded: entries are dropped 2 × TimestampWindow after
// they were accepted; a full cache and a sender over its share refuse.
func TestReplayCacheIsBounded(t *testing.T) {
	c := newReplayCache(1000)
	for i := range 1000 {
		sender := string(rune('a' + i%26))
		if i >= 26*ReplayPerSender {
			break
		}
		if err := c.accept(epoch0.Add(time.Duration(i)*time.Millisecond), replayKey{sender: sender, random: int64(i)}); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
	}
	if err := c.accept(epoch0.Add(time.Second), replayKey{sender: "z", random: -1}); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("full cache: %v", err)
	}
	if err := c.accept(epoch0.Add(time.Second), replayKey{sender: "a", random: 0}); !errors.Is(err, ErrReplay) {
		t.Fatalf("duplicate: %v", err)
	}
	// After the window every entry is gone and the storage is compacted.
	if err := c.accept(epoch0.Add(2*TimestampWindow+2*time.Second), replayKey{sender: "a", random: 0}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if c.len() != 1 || len(c.order) != 1 || len(c.perSender) != 1 {
		t.Fatalf("after eviction: %d entries, %d in order, %d senders", c.len(), len(c.order), len(c.perSender))
	}
	// One sender cannot take more than its share.
	c = newReplayCache(0)
	for i := range ReplayPerSender {
		if err := c.accept(epoch0, replayKey{sender: "greedy", random: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.accept(epoch0, replayKey{sender: "greedy", random: -1}); !errors.Is(err, ErrReplayRate) {
		t.Fatalf("over the share: %v", err)
	}
	if err := c.accept(epoch0, replayKey{sender: "modest", random: 1}); err != nil {
		t.Fatalf("another sender: %v", err)
	}
}

// TestGatekeeperChecksEveryRequest: a keep-alive RRQ, ARQ, DRQ, URQ or IRR
// whose token does not verify is refused (securityDenial, or ignored for the
// IRR) and changes nothing.
func TestGatekeeperChecksEveryRequest(t *testing.T) {
	password, known := users(map[string]string{"alice": "s3cret"})
	gc := GatekeeperConfig{ID: "pbx", RASAddress: gkRAS, Password: password, Known: known}
	info := Info{Alias: "alice", RASAddress: epRAS, CallSignalAddress: epCS, EndpointID: "ep-0001", GatekeeperID: "pbx"}
	requests := map[string]*h225.RasMessage{
		"keep-alive": NewKeepAliveRRQ(50, info, time.Minute),
		"arq":        NewARQ(51, info, call1),
		"drq":        NewDRQ(52, info, call1),
		"urq":        NewURQ(53, info),
		"irr":        NewIRR(54, info),
	}
	for name, m := range requests {
		t.Run(name, func(t *testing.T) {
			h := registeredEndpoint(t, EndpointConfig{Alias: "alice", Password: "s3cret"}, gc)
			wrong := credentials{method: AuthHMACSHA1, password: "guess", sendersID: "ep-0001", generalID: "pbx", random: 7}
			b, err := encodeSigned(m, h.now, wrong)
			if err != nil {
				t.Fatal(err)
			}
			out := h.gk.HandleDatagram(h.now, epRAS, b)
			if len(records(out, "ras.security_error")) != 1 {
				t.Fatalf("no security error: %v", out)
			}
			for _, s := range sends(out) {
				if reason, _ := RejectReason(mustDecode(t, s.Payload)); reason != "securityDenial" {
					t.Errorf("answered %s %s", s.Event, reason)
				}
			}
			for _, e := range out {
				switch e.(type) {
				case EndpointUnregistered, node.SetTimer:
					t.Errorf("a refused %s changed the registration: %T", name, e)
				}
			}
			if _, ok := h.gk.Lookup("alice"); !ok {
				t.Error("alice lost her registration")
			}
		})
	}
}

func mustDecode(t *testing.T, b []byte) *h225.RasMessage {
	t.Helper()
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHostileDatagramCostIsLinear: the 60 KB URQ whose hash is 12 zero
// octets is refused by both cores with a bounded number of allocations (the
// search-and-rehash check allocated an HMAC state for every place the zero
// octets occur: about 60,000). BenchmarkHostileURQ measures the CPU.
func TestHostileDatagramCostIsLinear(t *testing.T) {
	now := epoch0.Add(time.Hour)
	in := hostileURQ(t, now, "ep-0001")
	m := mustDecode(t, in)
	if _, err := verifyToken(m, now, "s3cret"); !errors.Is(err, ErrBadHash) {
		t.Fatalf("the hostile URQ verifies: %v", err)
	}
	allocs := testing.AllocsPerRun(3, func() { verifyToken(m, now, "s3cret") })
	if allocs > 20 {
		t.Fatalf("%v allocations to check one token, want a few", allocs)
	}
}

// TestGCFMovesTheGatekeepersAddress: after a GCF from the configured
// gatekeeper naming another rasAddress, RAS is accepted from that address
// only, and no longer from the configured one.
func TestGCFMovesTheGatekeepersAddress(t *testing.T) {
	moved := netip.MustParseAddrPort("10.0.0.9:1719")
	ep := NewEndpoint(EndpointConfig{Alias: "alice", RASAddress: epRAS, CallSignalAddress: epCS, Gatekeeper: gkRAS,
		Discover: true, FirstSeqNum: 1})
	ep.Register(epoch0)
	// A GCF from elsewhere is refused; the configured gatekeeper's is taken.
	if out := ep.HandleDatagram(epoch0, moved, mustEncodeMsg(t, NewGCF(1, "pbx", moved, nil))); len(records(out, "ras.refused")) != 1 {
		t.Fatalf("GCF from an address not configured: %v", out)
	}
	out := ep.HandleDatagram(epoch0, gkRAS, mustEncodeMsg(t, NewGCF(1, "pbx", moved, nil)))
	s := sends(out)
	if len(s) != 1 || s[0].Event != "ras.rrq" || s[0].To != moved {
		t.Fatalf("after the GCF: %v", out)
	}
	rcf := mustEncodeMsg(t, NewRCF(2, "pbx", gkRAS, Info{Alias: "alice", EndpointID: "ep-0001"}, time.Minute))
	if out := ep.HandleDatagram(epoch0, gkRAS, rcf); len(records(out, "ras.refused")) != 1 || ep.Registered() {
		t.Fatalf("RCF from the configured address after the GCF moved it: %v", out)
	}
	// An IPv4 address in its IPv6-mapped form is the same address.
	mapped := netip.AddrPortFrom(netip.AddrFrom16(moved.Addr().As16()), moved.Port())
	if ep.HandleDatagram(epoch0, mapped, rcf); !ep.Registered() {
		t.Fatal("RCF from the GCF's rasAddress refused")
	}
}

// An unsigned URQ naming a registration is obeyed only from the endpoint's
// address (where its RRQ came from, or its rasAddress): endpoint
// identifiers are sequential, so a stranger could otherwise unregister
// every endpoint without a password.
func TestGatekeeperRefusesUnsignedURQFromElsewhere(t *testing.T) {
	h := registeredEndpoint(t, EndpointConfig{Alias: "alice"}, GatekeeperConfig{ID: "pbx", RASAddress: gkRAS})
	urq := mustEncodeMsg(t, NewURQ(99, Info{Alias: "alice", EndpointID: "ep-0001"}))
	out := h.gk.HandleDatagram(h.now, stranger, urq)
	s := sends(out)
	if len(s) != 1 || s[0].Event != "ras.urj" {
		t.Fatalf("a stranger's URQ: %+v, want a URJ", out)
	}
	for _, e := range out {
		if _, ok := e.(EndpointUnregistered); ok {
			t.Fatal("a stranger's URQ unregistered the endpoint")
		}
	}
	out = h.gk.HandleDatagram(h.now, epRAS, urq)
	if s := sends(out); len(s) != 1 || s[0].Event != "ras.ucf" {
		t.Fatalf("the endpoint's own URQ: %+v, want a UCF", out)
	}
}
