package ras

import (
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
)

// hostileURQ is the datagram of the CPU exhaustion attack on H.235.1 checking: a URQ of about
// 60 KB, mostly zero octets (in its nonStandardData), whose token hash is 12 zero octets and
// whose timestamp is current, so that only the hash check can refuse it.
func hostileURQ(tb testing.TB, now time.Time, endpointID string) []byte {
	tb.Helper()
	m := NewURQ(7, Info{Alias: "alice", CallSignalAddress: epCS, EndpointID: endpointID, GatekeeperID: "pbx"})
	m.UnregistrationRequest.NonStandardData = &h225.NonStandardParameter{
		NonStandardIdentifier: h225.NonStandardIdentifier{Choice: h225.NonStandardIdentifierH221NonStandard,
			H221NonStandard: &h225.H221NonStandard{T35CountryCode: 181}},
		Data: make([]byte, 60000),
	}
	ts := h225.TimeStamp(now.Unix())
	m.UnregistrationRequest.CryptoTokens = []h225.CryptoH323Token{{Choice: h225.CryptoH323TokenNestedcryptoToken,
		NestedcryptoToken: &h225.CryptoToken{Choice: h225.CryptoTokenCryptoHashedToken, CryptoHashedToken: &h225.CryptoTokenCryptoHashedTokenType{
			TokenOID: OIDAllFields(),
			HashedVals: h225.ClearToken{TokenOID: OIDClearToken(), TimeStamp: &ts, Random: ptr(h225.RandomVal(1)),
				GeneralID: ptr(h225.Identifier("pbx")), SendersID: ptr(h225.Identifier(endpointID))},
			Token: h225.HashedEncodedGeneralToken{AlgorithmOID: OIDHMACSHA196(), Hash: h225.BitString{Bytes: make([]byte, hmacLen), BitLen: 8 * hmacLen}},
		}}}}
	b, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkHostileURQ measures the CPU one such datagram costs the endpoint (from the
// gatekeeper's address, spoofed) and the gatekeeper core (naming a registered endpoint).
func BenchmarkHostileURQ(b *testing.B) {
	now := epoch0.Add(time.Hour)
	b.Run("endpoint", func(b *testing.B) {
		ep := NewEndpoint(EndpointConfig{Alias: "alice", Password: "s3cret", RASAddress: epRAS, CallSignalAddress: epCS,
			Gatekeeper: gkRAS, FirstSeqNum: 1})
		in := hostileURQ(b, now, "ep-0001")
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			ep.HandleDatagram(now, gkRAS, in)
		}
	})
	b.Run("gatekeeper", func(b *testing.B) {
		gk := NewGatekeeper(GatekeeperConfig{ID: "pbx", RASAddress: gkRAS, TimeToLive: 120 * time.Second,
			Password: func(string) (string, bool) { return "s3cret", true }})
		ep := NewEndpoint(EndpointConfig{Alias: "alice", Password: "s3cret", RASAddress: epRAS, CallSignalAddress: epCS,
			Gatekeeper: gkRAS, FirstSeqNum: 1})
		registered := ""
		for _, e := range ep.Register(now) {
			if s, ok := e.(Send); ok {
				for _, g := range gk.HandleDatagram(now, epRAS, s.Payload) {
					if r, ok := g.(EndpointRegistered); ok {
						registered = r.Registration.EndpointID
					}
				}
			}
		}
		if registered == "" {
			b.Fatal("no registration")
		}
		in := hostileURQ(b, now, registered)
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			gk.HandleDatagram(now, epRAS, in)
		}
	})
}
