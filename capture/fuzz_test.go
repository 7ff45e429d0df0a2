package capture

import (
	"bytes"
	"os"
	"testing"
)

// FuzzRead feeds arbitrary files to the reader: it must never panic, and a
// file it accepts must give records that point at real packets.
func FuzzRead(f *testing.F) {
	sample, _ := writeSample(f)
	f.Add(sample)
	f.Add(sample[:len(sample)/2])
	if real, err := os.ReadFile("../../shared/captures/ras-h235-register-unregister.pcapng"); err == nil {
		f.Add(real)
	}
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Read(bytes.NewReader(data), Options{Framer: lengthFramer, MaxPending: 1 << 16})
		if err != nil {
			return
		}
		for _, r := range c.Records {
			if r.Index < 0 || r.Index > c.Packets+1 {
				t.Fatalf("record index %d of %d packets", r.Index, c.Packets)
			}
		}
	})
}

func BenchmarkWriteRAS(b *testing.B) {
	payload := bytes.Repeat([]byte{0x0e}, 200)
	w, err := NewWriter(discard{}, DefaultEpoch)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteUDP(0, endpointA, gatekeeper, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	sample, _ := writeSample(b)
	b.SetBytes(int64(len(sample)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(sample), Options{Framer: lengthFramer}); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
