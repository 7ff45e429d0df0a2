package decode

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
)

// builder writes a test capture packet by packet and counts the packets.
type builder struct {
	t       testing.TB
	buf     bytes.Buffer
	w       *capture.Writer
	at      time.Duration
	packets int
}

func newBuilder(t testing.TB) *builder {
	t.Helper()
	b := &builder{t: t}
	w, err := capture.NewWriter(&b.buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	b.w = w
	return b
}

func (b *builder) must(err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

func (b *builder) tick() time.Duration {
	b.at += 10 * time.Millisecond
	return b.at
}

// udp writes a datagram and returns its packet number.
func (b *builder) udp(src, dst netip.AddrPort, payload []byte) int {
	b.t.Helper()
	b.must(b.w.WriteUDP(b.tick(), src, dst, payload))
	b.packets++
	return b.packets
}

// open opens a TCP connection (three packets).
func (b *builder) open(client, server netip.AddrPort) *capture.Stream {
	b.t.Helper()
	s, err := b.w.OpenTCP(b.tick(), client, server)
	b.must(err)
	b.packets += 3
	return s
}

// send writes data as one segment and returns its packet number.
func (b *builder) send(s *capture.Stream, fromClient bool, data []byte) int {
	b.t.Helper()
	b.must(s.Write(b.tick(), fromClient, data))
	b.packets++
	return b.packets
}

func (b *builder) decode(opts Options) Result {
	b.t.Helper()
	return decodeBytes(b.t, b.buf.Bytes(), opts)
}

func frame(t testing.TB, payload []byte) []byte {
	t.Helper()
	f, err := q931.Frame(payload)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// rrqAnnouncing is the golden RRQ with its callSignalAddress changed.
func rrqAnnouncing(t testing.TB, csa netip.AddrPort) []byte {
	t.Helper()
	m, err := h225.UnmarshalRasMessage(golden(t, "ras/04-rrq-h235.hex"))
	if err != nil {
		t.Fatal(err)
	}
	ip := csa.Addr().As4()
	m.RegistrationRequest.CallSignalAddress = []h225.TransportAddress{{Choice: h225.TransportAddressIpAddress,
		IpAddress: &h225.TransportAddressIpAddressType{Ip: ip[:], Port: int64(csa.Port())}}}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func summaryOf(r Result) string {
	var parts []string
	for _, m := range r.Messages {
		s := itoa(m.Packet) + ":" + m.Protocol + "/" + m.Transport + " " + m.Type
		if m.Error != "" {
			s += " ERROR"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

var (
	calleeSignal = netip.MustParseAddrPort("192.0.2.10:1721")
	gkOut        = netip.MustParseAddrPort("192.0.2.1:40100")
)

// TestCallSignallingOnAnyPort: a Setup on a port no RRQ announced is found
// by the TPKT + Q.931 heuristic; TPKT that is not Q.931, and bytes that are
// not TPKT, on unannounced ports are other traffic.
func TestCallSignallingOnAnyPort(t *testing.T) {
	b := newBuilder(t)
	s := b.open(gkOut, netip.MustParseAddrPort("192.0.2.10:1730"))
	setup := b.send(s, true, frame(t, golden(t, "q931/01-setup.hex")))
	b.send(s, false, frame(t, golden(t, "q931/04-alerting.hex")))
	other := b.open(netip.MustParseAddrPort("192.0.2.20:50000"), netip.MustParseAddrPort("192.0.2.30:3389"))
	b.send(other, true, frame(t, []byte{0x02, 0xf0, 0x80, 0x7f})) // TPKT carrying no Q.931 (an RDP-like stream)
	web := b.open(netip.MustParseAddrPort("192.0.2.20:50001"), netip.MustParseAddrPort("192.0.2.30:8080"))
	b.send(web, true, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	res := b.decode(Options{Verify: true})
	if got, want := summaryOf(res), itoa(setup)+":Q.931/TCP setup | "+itoa(setup+1)+":Q.931/TCP alerting"; got != want {
		t.Errorf("messages %s, want %s", got, want)
	}
	if res.Skips.OtherTCP != 2 || res.Found.SignallingOverTCP != 2 || !res.OK() {
		t.Errorf("skips %+v found %+v ok %v", res.Skips, res.Found, res.OK())
	}
}

// TestLearntAddress: a stream on the callSignalAddress an RRQ announced is
// call signalling whatever its first frame holds: a frame that is not
// Q.931 there is a failure to report, not other traffic, whether the RRQ
// came before the stream or after it (the second look).
func TestLearntAddress(t *testing.T) {
	junk := frame(t, []byte{0x01, 0x02, 0x03})
	rrq := rrqAnnouncing(t, calleeSignal)
	ras := netip.MustParseAddrPort("192.0.2.10:1719")

	t.Run("announced before", func(t *testing.T) {
		b := newBuilder(t)
		b.udp(ras, gkRAS, rrq)
		s := b.open(gkOut, calleeSignal)
		bad := b.send(s, true, junk)
		res := b.decode(Options{})
		if got, want := summaryOf(res), "1:RAS/UDP registrationRequest | "+itoa(bad)+":Q.931/TCP  ERROR"; got != want {
			t.Errorf("messages %s, want %s", got, want)
		}
	})
	t.Run("announced after: second look", func(t *testing.T) {
		b := newBuilder(t)
		s := b.open(gkOut, calleeSignal)
		bad := b.send(s, true, junk)
		b.send(s, true, junk)
		reg := b.udp(ras, gkRAS, rrq)
		setup := b.send(s, true, frame(t, golden(t, "q931/01-setup.hex")))
		res := b.decode(Options{})
		// The held frames are decoded when the RRQ names their address:
		// after it, but with their own packet numbers.
		want := itoa(reg) + ":RAS/UDP registrationRequest | " + itoa(bad) + ":Q.931/TCP  ERROR | " +
			itoa(bad+1) + ":Q.931/TCP  ERROR | " + itoa(setup) + ":Q.931/TCP setup"
		if got := summaryOf(res); got != want {
			t.Errorf("messages %s, want %s", got, want)
		}
		if res.Skips.OtherTCP != 0 || res.Found.SignallingOverTCP != 3 {
			t.Errorf("skips %+v found %+v: the second look must take back what it decodes", res.Skips, res.Found)
		}
	})
	t.Run("never announced", func(t *testing.T) {
		b := newBuilder(t)
		s := b.open(gkOut, calleeSignal)
		b.send(s, true, junk)
		res := b.decode(Options{})
		if len(res.Messages) != 0 || res.Skips.OtherTCP != 1 {
			t.Errorf("messages %s, skips %+v", summaryOf(res), res.Skips)
		}
	})
}

// TestHeldFramesBounded: an undecided stream keeps no more than
// MaxHeldFrames for its second look.
func TestHeldFramesBounded(t *testing.T) {
	b := newBuilder(t)
	s := b.open(gkOut, calleeSignal)
	for range MaxHeldFrames + 5 {
		b.send(s, true, frame(t, []byte{0x01, 0x02}))
	}
	b.udp(netip.MustParseAddrPort("192.0.2.10:1719"), gkRAS, rrqAnnouncing(t, calleeSignal))
	res := b.decode(Options{})
	if failed := res.Failed; failed != MaxHeldFrames {
		t.Errorf("%d held frames reported after the second look, want %d", failed, MaxHeldFrames)
	}
	if res.Skips.OtherTCP != 5 {
		t.Errorf("%d segments counted as other traffic, want the 5 dropped", res.Skips.OtherTCP)
	}
}

// TestResynchronisation: a call-signalling stream whose first bytes are
// not TPKT (a capture that starts inside a message) is reported once and
// decoded again from the next segment that starts a frame.
func TestResynchronisation(t *testing.T) {
	b := newBuilder(t)
	s := b.open(aliceCall, pbxSignal)
	cut := b.send(s, true, []byte{0x42, 0x17, 0x99, 0x01, 0x02})
	b.send(s, true, []byte{0x55, 0x66})
	setup := b.send(s, true, frame(t, golden(t, "q931/01-setup.hex")))
	res := b.decode(Options{Verify: true})
	want := itoa(cut) + ":Q.931/TCP  ERROR | " + itoa(setup) + ":Q.931/TCP setup"
	if got := summaryOf(res); got != want {
		t.Errorf("messages %s, want %s", got, want)
	}
	if !strings.Contains(res.Messages[0].Error, "not TPKT") || res.Found.SignallingOverTCP != 1 {
		t.Errorf("report %q, found %+v", res.Messages[0].Error, res.Found)
	}
}

// TestCutMessageReported: a message a FIN cuts short is reported at the
// FIN, on a call-signalling stream only.
func TestCutMessageReported(t *testing.T) {
	b := newBuilder(t)
	s := b.open(aliceCall, pbxSignal)
	f := frame(t, golden(t, "q931/01-setup.hex"))
	b.send(s, true, f[:20])
	b.must(s.Close(b.tick()))
	res := b.decode(Options{})
	if len(res.Messages) != 1 || !strings.Contains(res.Messages[0].Error, "connection closed inside a message (20 bytes pending)") {
		t.Errorf("messages %+v", res.Messages)
	}
	if res.Found.H225() != 0 {
		t.Errorf("a cut message counted as found: %+v", res.Found)
	}
}

// TestH46017TunnelledRAS: RAS inside a Facility on the call-signalling
// connection is a RAS message of its own, after its carrier.
func TestH46017TunnelledRAS(t *testing.T) {
	grq := golden(t, "ras/01-grq.hex")
	facility, err := h323.EncodeRASTunnel(grq)
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(t)
	s := b.open(aliceCall, pbxSignal)
	p := b.send(s, true, frame(t, facility))
	res := b.decode(Options{Verify: true})
	want := itoa(p) + ":Q.931/TCP facility | " + itoa(p) + ":RAS/H.460.17 gatekeeperRequest"
	if got := summaryOf(res); got != want {
		t.Errorf("messages %s, want %s", got, want)
	}
	if !res.OK() || res.Found.RASOverH46017 != 1 || res.Found.SignallingOverTCP != 1 || res.Messages[0].Fields.TunnelledRAS != 1 {
		t.Errorf("ok %v found %+v fields %+v", res.OK(), res.Found, res.Messages[0].Fields)
	}
	if !res.Messages[1].Verified {
		t.Errorf("tunnelled GRQ not verified: %+v", res.Messages[1])
	}
	var text bytes.Buffer
	if err := WriteText(&text, res); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"RAS (H.460.17) gatekeeperRequest", "tunnelledRAS=1", "1 RAS over H.460.17, 1 call signalling over TCP"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
}

// TestTokensWithoutSecrets: an H.235-signed RRQ shows its tokens' algorithm,
// identifiers and time stamp, and neither output holds its hash.
func TestTokensWithoutSecrets(t *testing.T) {
	rrq := golden(t, "ras/04-rrq-h235.hex")
	m, err := h225.UnmarshalRasMessage(rrq)
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, c := range m.RegistrationRequest.CryptoTokens {
		if h := c.NestedcryptoToken.CryptoHashedToken; h != nil {
			secrets = append(secrets, hex.EncodeToString(h.Token.Hash.Bytes))
		}
	}
	if len(secrets) == 0 {
		t.Fatal("the golden RRQ carries no hash to look for")
	}
	b := newBuilder(t)
	b.udp(aliceRAS, gkRAS, rrq)
	res := b.decode(Options{})
	tokens := res.Messages[0].Fields.Tokens
	var hashed *Token
	for i := range tokens {
		if tokens[i].Kind == "cryptoHashedToken" {
			hashed = &tokens[i]
		}
	}
	if hashed == nil || hashed.Algorithm != "0.0.8.235.0.2.6 (HMAC-SHA1-96)" || hashed.TokenOID != "0.0.8.235.0.2.1 (H.235.1 all fields)" ||
		hashed.GeneralID == "" || hashed.SendersID == "" || hashed.Timestamp == nil {
		t.Errorf("tokens %+v", tokens)
	}
	var text, js bytes.Buffer
	if err := WriteText(&text, res); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), js.String()} {
		if !strings.Contains(out, "HMAC-SHA1-96") {
			t.Errorf("output does not name the algorithm:\n%s", out)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) || strings.Contains(strings.ToUpper(out), strings.ToUpper(s)) {
				t.Errorf("output holds secret %s:\n%s", s, out)
			}
		}
	}
}

// TestVendorsAndEndpoints: an endpoint's vendor, product and version are in
// its messages and once in the summary, however many addresses it uses.
func TestVendorsAndEndpoints(t *testing.T) {
	res := decodeBytes(t, mixedCapture(t).file, Options{})
	if len(res.Endpoints) == 0 {
		t.Fatal("no endpoint named its vendor")
	}
	var rrq Fields
	for _, m := range res.Messages {
		if m.Type == "registrationRequest" {
			rrq = m.Fields
		}
	}
	if rrq.Vendor == nil || rrq.Vendor.Product == "" || rrq.Vendor.Manufacturer == "" {
		t.Fatalf("RRQ vendor %+v", rrq.Vendor)
	}
	seen := map[string]bool{}
	for _, e := range res.Endpoints {
		key := strings.Join(e.Aliases, ",") + e.Vendor.String()
		if len(e.Aliases) > 0 && seen[key] {
			t.Errorf("endpoint %+v listed twice", e)
		}
		seen[key] = true
	}
	if e := res.Endpoints[0]; e.Address != aliceRAS.String() || e.Vendor != *rrq.Vendor {
		t.Errorf("first endpoint %+v, want alice's RAS address with the RRQ's vendor", e)
	}
}

// TestSkipsByCause: every packet without an H.225.0 message is counted
// under the cause that made it so.
func TestSkipsByCause(t *testing.T) {
	b := newBuilder(t)
	b.udp(aliceRAS, gkRAS, golden(t, "ras/01-grq.hex"))
	b.udp(netip.MustParseAddrPort("192.0.2.20:5353"), netip.MustParseAddrPort("192.0.2.30:5353"), []byte("mdns"))
	web := b.open(netip.MustParseAddrPort("192.0.2.20:50001"), netip.MustParseAddrPort("192.0.2.30:8080"))
	b.send(web, true, []byte("GET / HTTP/1.1\r\n\r\n"))
	res := b.decode(Options{})
	want := Skips{Skips: capture.Skips{NoPayload: 3}, OtherUDP: 1, OtherTCP: 1}
	if res.Skips != want || res.Skipped != want.Total() || res.Skipped+1 != res.Packets {
		t.Errorf("skips %+v (skipped %d of %d), want %+v", res.Skips, res.Skipped, res.Packets, want)
	}
	if got := SummaryText(res.Summary); !strings.Contains(got, "5 skipped (3 TCP segments without data, 1 UDP datagrams on other ports, 1 TCP segments of other streams)") {
		t.Errorf("summary %q", got)
	}
}

// TestJSONStreamIsTheResultDocument: the JSON written a message at a time
// is byte for byte the document the whole Result encodes to.
func TestJSONStreamIsTheResultDocument(t *testing.T) {
	for _, res := range []Result{decodeBytes(t, mixedCapture(t).file, Options{Verify: true}), {Messages: []Message{}}} {
		var streamed bytes.Buffer
		if err := WriteJSON(&streamed, res); err != nil {
			t.Fatal(err)
		}
		var whole bytes.Buffer
		enc := json.NewEncoder(&whole)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(streamed.Bytes(), whole.Bytes()) {
			t.Errorf("streamed JSON differs from the Result's:\n%s\n---\n%s", streamed.String(), whole.String())
		}
	}
}
