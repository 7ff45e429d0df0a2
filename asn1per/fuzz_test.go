package asn1per

import (
	"bytes"
	"testing"
)

// fuzzSizes and fuzzRanges are the constraints the fuzz targets pick from with a selector byte.
var fuzzSizes = []Size{
	{Lb: 0, Ub: -1}, {Lb: 1, Ub: 128}, {Lb: 2, Ub: 2}, {Lb: 16, Ub: 16}, {Lb: 0, Ub: 255},
	{Lb: 1, Ub: 256, Ext: true}, {Lb: 0, Ub: 70000}, {Lb: 3, Ub: 3, Ext: true}, {Lb: 20, Ub: 20},
}

var fuzzRanges = []IntRange{
	rng(0, 7), rng(0, 255), rng(1, 65535), rng(0, 65536), rng(1, 4294967295), semi(0), semi(-5),
	unconstrained, rngX(0, 7), rngX(-100, 100000), rng(-9223372036854775808, 9223372036854775807),
}

var fuzzCharSets = []*CharSet{e164Chars, numericChars, ia5Chars, bmpChars, visibleChars, printable}

// FuzzDecoderPrimitives interprets the first bytes as a program of decoder calls over the rest:
// whatever the bytes, decoding must return values or errors, never panic, and a value decoded
// must re-encode and decode to itself.
func FuzzDecoderPrimitives(f *testing.F) {
	for _, v := range allVectors() {
		var e Encoder
		v.enc(&e)
		f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, e.Finish())
	}
	f.Add([]byte{9, 9, 9}, []byte{0xC4, 0xC1, 0x00})
	f.Fuzz(func(t *testing.T, program, input []byte) {
		d := NewDecoder(input)
		for i, op := range program {
			sel := 0
			if i+1 < len(program) {
				sel = int(program[i+1])
			}
			size := fuzzSizes[sel%len(fuzzSizes)]
			var err error
			switch op % 12 {
			case 0:
				r := fuzzRanges[sel%len(fuzzRanges)]
				var v int64
				if v, err = d.ReadInteger(r); err == nil {
					checkRoundTrip(t, func(e *Encoder) error { return e.WriteInteger(v, r) },
						func(d *Decoder) (bool, error) { w, err := d.ReadInteger(r); return w == v, err })
				}
			case 1:
				var b []byte
				if b, err = d.ReadOctetString(size); err == nil {
					checkRoundTrip(t, func(e *Encoder) error { return e.WriteOctetString(b, size) },
						func(d *Decoder) (bool, error) { w, err := d.ReadOctetString(size); return bytes.Equal(w, b), err })
				}
			case 2:
				cs := fuzzCharSets[sel%len(fuzzCharSets)]
				var s string
				if s, err = d.ReadString(cs, size); err == nil {
					checkRoundTrip(t, func(e *Encoder) error { return e.WriteString(s, cs, size) },
						func(d *Decoder) (bool, error) { w, err := d.ReadString(cs, size); return w == s, err })
				}
			case 3:
				_, _, err = d.ReadBitString(size)
			case 4:
				var oid ObjectIdentifier
				if oid, err = d.ReadOID(); err == nil {
					checkRoundTrip(t, func(e *Encoder) error { return e.WriteOID(oid) },
						func(d *Decoder) (bool, error) { w, err := d.ReadOID(); return w.Equal(oid), err })
				}
			case 5:
				_, err = d.ReadOpenType()
			case 6:
				var sub *Decoder
				if sub, err = d.OpenType(); err == nil {
					_, err = sub.ReadChoiceIndex(sel%30+1, sel&1 == 0)
				}
			case 7:
				_, err = d.ReadChoiceIndex(sel%30+1, sel&1 == 0)
			case 8:
				_, err = d.ReadEnumerated(sel%30+1, sel&1 == 0)
			case 9:
				_, err = d.ReadNormallySmall()
			case 10:
				var n int
				if n, err = d.ReadLength(size); err == nil && n > d.RemainingBits() {
					t.Fatalf("count %d exceeds the %d bits left", n, d.RemainingBits())
				}
			case 11:
				_, err = d.ReadBits(sel % 65)
			}
			if err != nil {
				return
			}
		}
	})
}

// checkRoundTrip re-encodes a decoded value and decodes it again.
func checkRoundTrip(t *testing.T, enc func(*Encoder) error, same func(*Decoder) (bool, error)) {
	t.Helper()
	var e Encoder
	if err := enc(&e); err != nil {
		t.Fatalf("re-encoding a decoded value: %v", err)
	}
	ok, err := same(NewDecoder(e.Finish()))
	if err != nil || !ok {
		t.Fatalf("decoded value does not survive a round trip: %v", err)
	}
}

// FuzzDecoderOpenTypeInPlace checks that the in-place open type equals WriteOpenType for any
// contents and bit offset, and that the sub-decoder sees exactly the contents.
func FuzzDecoderOpenTypeInPlace(f *testing.F) {
	f.Add(uint8(0), []byte{})
	f.Add(uint8(3), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, lead uint8, data []byte) {
		var a, b Encoder
		a.WriteBits(uint64(lead), int(lead%8))
		b.WriteBits(uint64(lead), int(lead%8))
		mark := a.BeginOpenType()
		for _, c := range data {
			a.WriteBits(uint64(c), 8)
		}
		if err := a.EndOpenType(mark); err != nil {
			t.Fatal(err)
		}
		b.WriteOpenType(data)
		if !bytes.Equal(a.Finish(), b.Finish()) {
			t.Fatal("in-place open type differs from WriteOpenType")
		}
		d := NewDecoder(a.Finish())
		d.ReadBits(int(lead % 8))
		sub, err := d.OpenType()
		if err != nil {
			t.Fatal(err)
		}
		want := data
		if len(want) == 0 {
			want = []byte{0}
		}
		if !bytes.Equal(sub.buf, want) {
			t.Fatal("sub-decoder contents differ")
		}
		checkWindow(t, a.Finish(), int(lead%8), want)
	})
}

// checkWindow decodes the open type at bit offset lead of enc in a window (EnterOpenType) and
// requires the window to hold exactly want, and LeaveOpenType to continue after it, where a
// marker octet is added.
func checkWindow(t *testing.T, enc []byte, lead int, want []byte) {
	t.Helper()
	enc = append(enc[:len(enc):len(enc)], 0xA5)
	d := NewDecoder(enc)
	d.ReadBits(lead)
	w, err := d.EnterOpenType()
	if err != nil {
		t.Fatal(err)
	}
	if d.RemainingBits() != 8*len(want) {
		t.Fatalf("window of %d bits, want %d", d.RemainingBits(), 8*len(want))
	}
	got := make([]byte, len(want))
	for i := range got {
		v, err := d.ReadBits(8)
		if err != nil {
			t.Fatalf("reading octet %d of %d in the window: %v", i, len(want), err)
		}
		got[i] = byte(v)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("window contents differ")
	}
	if _, err := d.ReadBit(); err == nil {
		t.Fatal("a read past the window's end succeeded")
	}
	d.LeaveOpenType(w)
	if v, err := d.ReadBits(8); err != nil || v != 0xA5 {
		t.Fatalf("after the window: %#x, %v; want the marker 0xa5", v, err)
	}
}

// TestOpenTypeWindowFragmented covers the windows the fuzzer rarely reaches: open types of 16K
// octets and more, whose fragments are joined into a copy to be read.
func TestOpenTypeWindowFragmented(t *testing.T) {
	for _, n := range []int{16383, 16384, 65536 + 7, 3*16384 + 1} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 7)
		}
		var e Encoder
		e.WriteBits(5, 3)
		if err := e.WriteOpenType(data); err != nil {
			t.Fatal(err)
		}
		checkWindow(t, e.Finish(), 3, data)
	}
}
