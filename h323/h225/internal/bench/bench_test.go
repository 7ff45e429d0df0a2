// Package bench_test measures the H.225.0 codec. It lives apart from package h225 so that its
// test binary links only the codec: the h225 tests pull in packet-capture libraries whose large
// pointer-bearing tables the garbage collector would scan during the benchmarks.
package bench_test

import (
	"testing"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/h225"
)

// h2250v7 is the protocol identifier of H.225.0 version 7.
var h2250v7 = h225.ProtocolIdentifier{0, 0, 8, 2250, 0, 7}

func ipv4Address(a, b, c, d byte, port int64) h225.TransportAddress {
	return h225.TransportAddress{
		Choice:    h225.TransportAddressIpAddress,
		IpAddress: &h225.TransportAddressIpAddressType{Ip: []byte{a, b, c, d}, Port: port},
	}
}

func ptr[T any](v T) *T { return &v }

// sampleRRQ is a realistic registration request of a softphone (the one of the h225 tests).
func sampleRRQ() *h225.RasMessage {
	return &h225.RasMessage{
		Choice: h225.RasMessageRegistrationRequest,
		RegistrationRequest: &h225.RegistrationRequest{
			RequestSeqNum:      4660,
			ProtocolIdentifier: h2250v7,
			CallSignalAddress:  []h225.TransportAddress{ipv4Address(192, 168, 1, 20, 1720)},
			RasAddress:         []h225.TransportAddress{ipv4Address(192, 168, 1, 20, 1719)},
			TerminalType:       h225.EndpointType{Terminal: &h225.TerminalInfo{}},
			TerminalAlias: []h225.AliasAddress{
				{Choice: h225.AliasAddressH323ID, H323ID: "alice"},
				{Choice: h225.AliasAddressDialledDigits, DialledDigits: "1001"},
			},
			EndpointVendor: h225.VendorIdentifier{
				Vendor:    h225.H221NonStandard{T35CountryCode: 181, ManufacturerCode: 4660},
				ProductId: []byte("callwake"),
				VersionId: []byte("1.0"),
			},
			TimeToLive:      ptr(h225.TimeToLive(300)),
			KeepAlive:       ptr(false),
			WillSupplyUUIEs: ptr(false),
		},
	}
}

// sampleRCF is the gatekeeper's confirmation of sampleRRQ.
func sampleRCF() *h225.RasMessage {
	return &h225.RasMessage{
		Choice: h225.RasMessageRegistrationConfirm,
		RegistrationConfirm: &h225.RegistrationConfirm{
			RequestSeqNum:        4660,
			ProtocolIdentifier:   h2250v7,
			CallSignalAddress:    []h225.TransportAddress{ipv4Address(10, 0, 0, 1, 1720)},
			TerminalAlias:        []h225.AliasAddress{{Choice: h225.AliasAddressH323ID, H323ID: "alice"}},
			GatekeeperIdentifier: ptr(h225.GatekeeperIdentifier("GK")),
			EndpointIdentifier:   "EP0001",
			TimeToLive:           ptr(h225.TimeToLive(300)),
			WillRespondToIRR:     ptr(false),
			MaintainConnection:   ptr(false),
		},
	}
}

// TestSamples pins the samples to the known-answer encodings of the h225 tests, so that the
// benchmarks measure the messages those tests check.
func TestSamples(t *testing.T) {
	tests := []struct {
		name string
		msg  *h225.RasMessage
		hex  string
	}{
		{"RRQ", sampleRRQ(), "0e801233060008914a0007000100c0a8011406b80100c0a8011406b702000240040061006c0069006300650180433460b50012340763616c6c77616b6502312e30348a0000000340012b01000100"},
		{"RCF", sampleRCF(), "12c01233060008914a000701000a00000106b80140040061006c006900630065020047004b0a004500500030003000300031268a00000340012b01000100"},
	}
	for _, tc := range tests {
		b, err := tc.msg.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if got := hexString(b); got != tc.hex {
			t.Errorf("%s encoding\n got %s\nwant %s", tc.name, got, tc.hex)
		}
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func benchmarkEncode(b *testing.B, msg *h225.RasMessage) {
	var e asn1per.Encoder
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		out, err := msg.MarshalInto(&e, buf)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
	b.SetBytes(int64(len(buf)))
}

// benchmarkDecode decodes into a fresh value each time (Unmarshal), as a caller keeping the
// decoded messages does.
func benchmarkDecode(b *testing.B, msg *h225.RasMessage) {
	enc, err := msg.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	var v h225.RasMessage
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if err := v.Unmarshal(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// benchmarkDecodeReuse decodes into one value and decoder again and again (UnmarshalReuse), as
// a receive loop that handles each message before the next does.
func benchmarkDecodeReuse(b *testing.B, msg *h225.RasMessage) {
	enc, err := msg.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	var v h225.RasMessage
	var d asn1per.Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if err := v.UnmarshalReuse(&d, enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRRQEncode(b *testing.B)      { benchmarkEncode(b, sampleRRQ()) }
func BenchmarkRRQDecode(b *testing.B)      { benchmarkDecode(b, sampleRRQ()) }
func BenchmarkRRQDecodeReuse(b *testing.B) { benchmarkDecodeReuse(b, sampleRRQ()) }
func BenchmarkRCFEncode(b *testing.B)      { benchmarkEncode(b, sampleRCF()) }
func BenchmarkRCFDecode(b *testing.B)      { benchmarkDecode(b, sampleRCF()) }
func BenchmarkRCFDecodeReuse(b *testing.B) { benchmarkDecodeReuse(b, sampleRCF()) }
