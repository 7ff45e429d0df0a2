package decode

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/internal/tsharktest"
)

// dissectorOptions make the dissector look for H.225.0 where the decoder
// does. RAS needs nothing: it is decoded on UDP 1719 by port. Call
// signalling is found on any TCP stream by the "q931_tcp" heuristic (TPKT,
// then the Q.931 protocol discriminator and call reference in the first
// segment of a message), which is on by default and named here so that a
// profile that turned it off cannot change the count; TPKT and Q.931
// reassembly (also defaults) let a message split over segments count once.
// Without the heuristic the dissector finds call signalling on no port at
// all, 1720 included: it registers Q.931-over-TPKT by heuristic only, so no
// "Decode As" on learnt ports is needed.
var dissectorOptions = []string{
	"--enable-heuristic", "q931_tcp",
	"-o", "tpkt.desegment:TRUE",
	"-o", "q931.desegment_h323_messages:TRUE",
	"-o", "q931.reassembly:TRUE",
}

// dissectorCounts counts the RAS messages and the Q.931 messages (over
// TPKT) the dissector finds in a capture: every occurrence, since a packet
// may carry several.
func dissectorCounts(t *testing.T, path string) (ras, signalling int) {
	t.Helper()
	for _, p := range tsharktest.FieldValuesWith(t, dissectorOptions, path, "", "h225.RasMessage", "q931.message_type") {
		ras += len(p["h225.RasMessage"])
		signalling += len(p["q931.message_type"])
	}
	return ras, signalling
}

// TestCountsMatchTheDissector: on every real capture (stacks nobody on this
// project wrote, with call signalling on the ports their RRQs announce) and
// on the synthetic ones that exercise the learnt addresses, the decoder
// finds exactly as many RAS and call-signalling messages as the dissector.
func TestCountsMatchTheDissector(t *testing.T) {
	tsharktest.Require(t)
	paths, err := filepath.Glob(filepath.Join("..", "..", "shared", "captures", "*.pcap*"))
	if err != nil || len(paths) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("no shared captures in CI: %v", err)
		}
		t.Log("shared captures absent: synthetic captures only")
	}
	synthetic := map[string][]byte{"mixed": mixedCapture(t).file}
	{
		b := newBuilder(t)
		s := b.open(gkOut, calleeSignal)
		b.send(s, true, frame(t, golden(t, "q931/01-setup.hex")))
		b.send(s, false, frame(t, golden(t, "q931/04-alerting.hex")))
		b.udp(aliceRAS, gkRAS, rrqAnnouncing(t, calleeSignal))
		synthetic["learnt-port"] = b.buf.Bytes()
	}
	for name, file := range synthetic {
		paths = append(paths, writeTemp(t, name+".pcap", file))
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			res, err := File(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ras, signalling := dissectorCounts(t, path)
			t.Logf("decoder %d RAS + %d call signalling, dissector %d + %d", res.Found.RASOverUDP+res.Found.RASOverH46017,
				res.Found.SignallingOverTCP, ras, signalling)
			if res.Found.RASOverUDP+res.Found.RASOverH46017 != ras || res.Found.SignallingOverTCP != signalling {
				t.Errorf("decoder found %+v, the dissector %d RAS and %d call-signalling messages", res.Found, ras, signalling)
			}
		})
	}
}

// TestTunnelledRASCount: what the dissector makes of an H.460.17 carrier,
// which the decoder counts as one call-signalling and one RAS message.
func TestTunnelledRASCount(t *testing.T) {
	tsharktest.Require(t)
	facility, err := h323.EncodeRASTunnel(golden(t, "ras/01-grq.hex"))
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(t)
	s := b.open(aliceCall, pbxSignal)
	b.send(s, true, frame(t, facility))
	path := writeTemp(t, "tunnel.pcap", b.buf.Bytes())
	res, err := File(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ras, signalling := dissectorCounts(t, path)
	if signalling != res.Found.SignallingOverTCP || ras != res.Found.RASOverH46017 {
		t.Errorf("decoder found %+v, the dissector %d RAS and %d call-signalling messages", res.Found, ras, signalling)
	}
}
