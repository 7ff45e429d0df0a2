package h323

import "testing"

// BenchmarkSetupRoundTrip measures one Setup encoded by an outgoing leg and
// decoded by an incoming leg (Q.931, PER and the state machine).
func BenchmarkSetupRoundTrip(b *testing.B) {
	callerCfg, calleeCfg := callerConfig(), calleeConfig()
	b.ReportAllocs()
	for b.Loop() {
		effects := NewLeg(callerCfg).Setup()
		s, ok := effects[0].(Send)
		if !ok {
			b.Fatalf("setup: %#v", effects)
		}
		got := NewLeg(calleeCfg).HandleMessage(s.Payload)
		if _, ok := got[0].(PeerSetup); !ok {
			b.Fatalf("peer: %#v", got)
		}
	}
}

// BenchmarkSetupEncode measures the Setup alone.
func BenchmarkSetupEncode(b *testing.B) {
	cfg := callerConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := NewLeg(cfg).Setup()[0].(Send); !ok {
			b.Fatal("setup failed")
		}
	}
}
