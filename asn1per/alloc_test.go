package asn1per

import (
	"errors"
	"runtime"
	"testing"
)

// allocatedBytes runs f runs times and returns the heap bytes allocated per run.
func allocatedBytes(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// TestDecoderAllocationIsBoundedByInput feeds tiny inputs that announce huge contents: each must
// be refused with ErrTruncated before anything proportional to the announced size is allocated
// (the only allocation left is the *Error itself).
func TestDecoderAllocationIsBoundedByInput(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		read func(*Decoder) error
	}{
		{"octets 16383", []byte{0xBF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8}, func(d *Decoder) error { _, err := d.ReadOctetString(Size{Lb: 0, Ub: -1}); return err }},
		{"octets fragments", []byte{0xC4, 1, 2, 3, 4, 5, 6, 7, 8, 9}, func(d *Decoder) error { _, err := d.ReadOctetString(Size{Lb: 0, Ub: -1}); return err }},
		{"octets bounded 60000", []byte{0xEA, 0x5F, 1, 2, 3, 4, 5, 6, 7, 8}, func(d *Decoder) error { _, err := d.ReadOctetString(Size{Lb: 0, Ub: 65535}); return err }},
		{"open type", []byte{0xBF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8}, func(d *Decoder) error { _, err := d.ReadOpenType(); return err }},
		{"sub-decoder", []byte{0xC4, 1, 2, 3, 4, 5, 6, 7, 8, 9}, func(d *Decoder) error { _, err := d.OpenType(); return err }},
		{"bit string", []byte{0xBF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8}, func(d *Decoder) error { _, _, err := d.ReadBitString(Size{Lb: 0, Ub: -1}); return err }},
		{"fixed bit string", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, func(d *Decoder) error { _, _, err := d.ReadBitString(Size{Lb: 60000, Ub: 60000}); return err }},
		{"BMP string", []byte{0xBF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8}, func(d *Decoder) error { _, err := d.ReadString(bmpChars, Size{Lb: 0, Ub: -1}); return err }},
		{"e164 string", []byte{0xFE, 1, 2, 3, 4, 5, 6, 7, 8, 9}, func(d *Decoder) error { _, err := d.ReadString(e164Chars, Size{Lb: 1, Ub: 128}); return err }},
		{"count", []byte{0xBF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8}, func(d *Decoder) error { _, err := d.ReadLength(Size{Lb: 0, Ub: -1}); return err }},
		{"count bounded", []byte{0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8}, func(d *Decoder) error { _, err := d.ReadLength(Size{Lb: 0, Ub: 65535}); return err }},
		{"oid", []byte{0xBF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8}, func(d *Decoder) error { _, err := d.ReadOID(); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.in) > 10 {
				t.Fatal("inputs must stay tiny")
			}
			if err := tt.read(NewDecoder(tt.in)); !errors.Is(err, ErrTruncated) {
				t.Fatalf("err = %v, want ErrTruncated", err)
			}
			var d Decoder
			allocs := testing.AllocsPerRun(100, func() { d.Reset(tt.in); tt.read(&d) })
			if allocs > 1 {
				t.Errorf("%v allocations per run, want at most the error", allocs)
			}
			if perRun := allocatedBytes(100, func() { d.Reset(tt.in); tt.read(&d) }); perRun > 256 {
				t.Errorf("%d bytes allocated per run for a %d-byte input", perRun, len(tt.in))
			}
		})
	}
}

// TestEncoderDoesNotAllocate: with a buffer of sufficient capacity, a mix of every primitive,
// including an in-place open type, allocates nothing.
func TestEncoderDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 1024)
	payload := []byte{1, 2, 3, 4, 5}
	oid := ObjectIdentifier{0, 0, 8, 2250, 0, 7}
	var e Encoder
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset(buf)
		e.WriteChoiceIndex(6, 25, true)
		e.WriteInteger(1, rng(1, 65535))
		e.WriteOID(oid)
		e.WriteString("1234", e164Chars, Size{Lb: 1, Ub: 128})
		e.WriteString("héllo", bmpChars, Size{Lb: 1, Ub: 256})
		e.WriteOctetString(payload, Size{Lb: 0, Ub: -1})
		e.WriteBitString(payload, 33, Size{Lb: 0, Ub: -1})
		mark := e.BeginOpenType()
		e.WriteInteger(-300, unconstrained)
		e.WriteNormallySmall(100)
		e.EndOpenType(mark)
		e.WriteOpenType(payload)
		e.Finish()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per encoding, want 0", allocs)
	}
}

// TestDecoderHotPathsDoNotAllocate covers the primitives a generated message decoder calls most.
func TestDecoderHotPathsDoNotAllocate(t *testing.T) {
	var e Encoder
	e.WriteChoiceIndex(6, 25, true)
	e.WriteInteger(1, rng(1, 65535))
	e.WriteBool(true)
	e.WriteEnumerated(1, 3, true)
	e.WriteNormallySmall(2)
	e.WriteLength(3, Size{Lb: 0, Ub: 10})
	e.WriteOpenType([]byte{0x01, 0x02})
	in := append([]byte(nil), e.Finish()...)
	var d, sub Decoder
	allocs := testing.AllocsPerRun(100, func() {
		d.Reset(in)
		d.ReadChoiceIndex(25, true)
		d.ReadInteger(rng(1, 65535))
		d.ReadBool()
		d.ReadEnumerated(3, true)
		d.ReadNormallySmall()
		d.ReadLength(Size{Lb: 0, Ub: 10})
		if err := d.OpenTypeInto(&sub); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per decode, want 0", allocs)
	}
}
