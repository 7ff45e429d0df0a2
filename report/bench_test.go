package report

import (
	"io"
	"testing"

	"github.com/callwake/callwake/timeline"
)

func BenchmarkWritePcap(b *testing.B) {
	events := handTimeline(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := WritePcap(io.Discard, events); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteHTML(b *testing.B) {
	run := handRun(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteHTML(io.Discard, run); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeWire feeds arbitrary bytes to the message decoder the HTML
// ladder uses: whatever a timeline carries, rendering must not panic.
func FuzzDecodeWire(f *testing.F) {
	for _, e := range handTimeline(f) {
		if e.Wire != nil {
			f.Add(e.Wire.Protocol, e.Wire.Payload)
		}
	}
	f.Fuzz(func(t *testing.T, protocol string, payload []byte) {
		out := DecodeWire(&timeline.Wire{Protocol: protocol, Payload: payload})
		if out == "" {
			t.Fatal("no text for a wire")
		}
	})
}
