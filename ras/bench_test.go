package ras

import (
	"testing"
	"time"
)

// BenchmarkRegistration measures one registration round trip: the endpoint
// builds and encodes an RRQ, the gatekeeper decodes it and answers an RCF, the
// endpoint decodes the RCF. The plain and H.235.1-signed variants show what
// the authentication costs (two HMAC-SHA1 computations and the token).
func BenchmarkRegistration(b *testing.B) {
	for _, bc := range []struct {
		name     string
		password string
		method   AuthMethod
	}{{"plain", "", AuthHMACSHA1}, {"hmac-sha1-96", "s3cret", AuthHMACSHA1}, {"md5", "s3cret", AuthMD5}} {
		b.Run(bc.name, func(b *testing.B) {
			gk := NewGatekeeper(GatekeeperConfig{ID: "pbx", RASAddress: gkRAS, TimeToLive: 120 * time.Second,
				Password: func(string) (string, bool) { return bc.password, bc.password != "" }})
			now := epoch0
			b.ReportAllocs()
			for b.Loop() {
				ep := NewEndpoint(EndpointConfig{Alias: "alice", Number: "201", Password: bc.password, Authentication: bc.method,
					RASAddress: epRAS, CallSignalAddress: epCS, Gatekeeper: gkRAS, TimeToLive: 120 * time.Second, FirstSeqNum: 1})
				now = now.Add(time.Second) // a new timestamp: not a replay
				registered := false
				for _, e := range ep.Register(now) {
					if s, ok := e.(Send); ok {
						for _, g := range gk.HandleDatagram(now, epRAS, s.Payload) {
							if s, ok := g.(Send); ok {
								for _, r := range ep.HandleDatagram(now, gkRAS, s.Payload) {
									_, ok := r.(Registered)
									registered = registered || ok
								}
							}
						}
					}
				}
				if !registered {
					b.Fatal("no registration")
				}
			}
		})
	}
}
