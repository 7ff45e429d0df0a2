package h225

import (
	"testing"

	"callwake/asn1per"
)

func benchmarkEncode(b *testing.B, msg *RasMessage) {
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

func benchmarkDecode(b *testing.B, msg *RasMessage) {
	enc, err := msg.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	var v RasMessage
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if err := v.Unmarshal(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRRQEncode(b *testing.B) { benchmarkEncode(b, sampleRRQ()) }
func BenchmarkRRQDecode(b *testing.B) { benchmarkDecode(b, sampleRRQ()) }
func BenchmarkRCFEncode(b *testing.B) { benchmarkEncode(b, sampleRCF()) }
func BenchmarkRCFDecode(b *testing.B) { benchmarkDecode(b, sampleRCF()) }
