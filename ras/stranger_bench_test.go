package ras

import (
	"testing"
	"time"
)

// BenchmarkStrangerDatagram measures what one datagram of a flood costs an
// endpoint: a forged RCF from a stranger (refused before it is decoded),
// and junk from the gatekeeper's address (decoded, refused as malformed);
// the refusal records are rate-limited, so most cost no record at all.
func BenchmarkStrangerDatagram(b *testing.B) {
	now := epoch0.Add(time.Hour)
	rcf, err := NewRCF(7, "evil", epCS, Info{Alias: "alice", EndpointID: "evil"}, time.Hour).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	junk := []byte{0xff, 1, 2, 0xfe, 0, 0, 0, 0, 1, 2, 3, 4}
	for _, tc := range []struct {
		name string
		from bool // from the gatekeeper's address
		in   []byte
	}{{"forged-rcf-from-stranger", false, rcf}, {"junk-from-gatekeeper", true, junk}} {
		b.Run(tc.name, func(b *testing.B) {
			ep := NewEndpoint(EndpointConfig{Alias: "alice", RASAddress: epRAS, CallSignalAddress: epCS, Gatekeeper: gkRAS, FirstSeqNum: 1})
			from := netipStranger
			if tc.from {
				from = gkRAS
			}
			b.ReportAllocs()
			for b.Loop() {
				ep.HandleDatagram(now, from, tc.in)
			}
		})
	}
}

var netipStranger = stranger
