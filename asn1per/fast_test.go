package asn1per

import (
	"errors"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestTryAgreesWithRead checks every fast path against the general reader it stands in for, on
// random inputs read from every bit offset and cut at every length: a Try that accepts must give
// the value and position the general reader gives, and a Try that declines must consume nothing.
// A Try that accepted what the general reader refuses would be a decoder accepting bad input.
func TestTryAgreesWithRead(t *testing.T) {
	type reader func(d *Decoder) (uint64, error)
	type tryer func(d *Decoder) (uint64, bool)
	idx := func(rootCount int, ext bool) (tryer, reader) {
		span := uint64(rootCount - 1)
		n := bits.Len64(span)
		if ext {
			n++
		}
		return func(d *Decoder) (uint64, bool) { return d.TryIndex(n, span) },
			func(d *Decoder) (uint64, error) { i, err := d.ReadChoiceIndex(rootCount, ext); return uint64(i), err }
	}
	type pair struct {
		name string
		try  tryer
		read reader
	}
	var pairs []pair
	add := func(name string, try tryer, read reader) { pairs = append(pairs, pair{name, try, read}) }
	integer := func(name string, r IntRange, try tryer) {
		add(name, try, func(d *Decoder) (uint64, error) { v, err := d.ReadInteger(r); return uint64(v - r.Lb), err })
	}
	for _, rc := range []int{1, 2, 3, 5, 8, 22, 128, 255} {
		for _, ext := range []bool{false, true} {
			if rc == 1 && !ext {
				continue // no bits: nothing for a fast path to do
			}
			try, read := idx(rc, ext)
			add("choice", try, read)
		}
	}
	integer("integer 1..65535", IntRange{Lb: 1, Ub: 65535, HasLb: true, HasUb: true},
		func(d *Decoder) (uint64, bool) { return d.TryAligned16(65534) })
	integer("integer 0..1000", IntRange{Lb: 0, Ub: 1000, HasLb: true, HasUb: true},
		func(d *Decoder) (uint64, bool) { return d.TryAligned16(1000) })
	integer("integer 0..255", IntRange{Lb: 0, Ub: 255, HasLb: true, HasUb: true},
		func(d *Decoder) (uint64, bool) { return d.TryAlignedOctet() })
	integer("integer 0..20, ...", IntRange{Lb: 0, Ub: 20, HasLb: true, HasUb: true, Ext: true},
		func(d *Decoder) (uint64, bool) { return d.TryIndex(6, 20) })
	add("bit", func(d *Decoder) (uint64, bool) { b, ok := d.TryBit(); return b2u(b), ok },
		func(d *Decoder) (uint64, error) { b, err := d.ReadBool(); return b2u(b), err })
	add("bits 13", func(d *Decoder) (uint64, bool) { return d.TryBits(13) },
		func(d *Decoder) (uint64, error) { return d.ReadBits(13) })
	add("count", func(d *Decoder) (uint64, bool) { n, ok := d.TryCount(); return uint64(n), ok },
		func(d *Decoder) (uint64, error) { n, err := d.ReadLength(Size{Ub: -1}); return uint64(n), err })

	rng := rand.New(rand.NewPCG(1, 2))
	accepted := make([]int, len(pairs))
	for range 300 {
		input := make([]byte, 12)
		for i := range input {
			input[i] = byte(rng.Uint32())
		}
		if rng.IntN(3) == 0 {
			input[0] &= 0x0F // small values and clear extension bits, so that the fast paths accept
		}
		for cut := 0; cut <= len(input); cut++ {
			for offset := range min(8, cut*8+1) {
				for k, p := range pairs {
					var fast, general Decoder
					fast.Reset(input[:cut])
					general.Reset(input[:cut])
					fast.pos, general.pos = offset, offset
					v, ok := p.try(&fast)
					want, err := p.read(&general)
					if !ok {
						if fast.pos != offset {
							t.Fatalf("%s declined at bit %d of % x but consumed %d bits", p.name, offset, input[:cut], fast.pos-offset)
						}
						continue
					}
					accepted[k]++
					if err != nil || v != want || fast.pos != general.pos {
						t.Fatalf("%s at bit %d of % x: fast %d (pos %d), general %d (pos %d, err %v)",
							p.name, offset, input[:cut], v, fast.pos, want, general.pos, err)
					}
				}
			}
		}
	}
	for k, p := range pairs {
		if accepted[k] == 0 {
			t.Errorf("%s: the fast path never accepted, so this test checked nothing of it", p.name)
		}
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// TestCharacterLoops covers each loop of readChars — aligned BMP, aligned 8-bit, aligned 4-bit
// indexes, bit by bit — with characters inside and outside the alphabet, including non-ASCII
// ones, and checks where a refused character leaves the decoder.
func TestCharacterLoops(t *testing.T) {
	tests := []struct {
		name string
		cs   *CharSet
		size Size
		s    string
	}{
		{"BMP aligned ASCII", bmpChars, Size{Lb: 1, Ub: 256}, "alice"},
		{"BMP aligned mixed", bmpChars, Size{Lb: 1, Ub: 256}, "Zoë €5 中"},
		{"IA5 aligned", ia5Chars, Size{Lb: 1, Ub: 256}, "sip:bob@example.com"},
		{"digits aligned, odd count", e164Chars, Size{Lb: 1, Ub: 128}, "10#2*,9"},
		{"digits aligned, even count", e164Chars, Size{Lb: 1, Ub: 128}, "0049301234"},
		{"digits unaligned (fixed size)", e164Chars, Size{Lb: 3, Ub: 3}, "1*9"},
		{"BMP FROM indexed", NewCharSet(BMPString, "€a"), Size{Lb: 0, Ub: -1}, "a€€a"},
	}
	for _, tt := range tests {
		var e Encoder
		e.WriteBits(1, 3) // start off an octet boundary, as inside a message
		if err := e.WriteString(tt.s, tt.cs, tt.size); err != nil {
			t.Fatalf("%s: encode: %v", tt.name, err)
		}
		enc := e.Finish()
		d := NewDecoder(enc)
		d.pos = 3
		got, err := d.ReadString(tt.cs, tt.size)
		if err != nil || got != tt.s {
			t.Errorf("%s: decoded %q, %v; want %q", tt.name, got, err, tt.s)
		}
	}

	// Characters outside the alphabet: 0xE in the digits alphabet of 13, an 8-bit code 0x80 in
	// IA5String, a lone surrogate in BMPString, each the second of two characters (length octet
	// 0x01: the count less the lower bound 1). The decoder stops just after the character.
	refused := []struct {
		name  string
		cs    *CharSet
		input []byte
		after int
	}{
		{"digit index 14", e164Chars, []byte{0x01, 0x1E, 0x00}, 8 + 4 + 4},
		{"IA5 0x80", ia5Chars, []byte{0x01, 'a', 0x80}, 8 + 16},
		{"BMP surrogate", bmpChars, []byte{0x01, 0x00, 'a', 0xD8, 0x00}, 8 + 32},
	}
	for _, tt := range refused {
		d := NewDecoder(tt.input)
		_, err := d.ReadString(tt.cs, Size{Lb: 1, Ub: 256})
		if !errors.Is(err, ErrConstraint) {
			t.Errorf("%s: err = %v, want ErrConstraint", tt.name, err)
			continue
		}
		if d.pos != tt.after {
			t.Errorf("%s: decoder at bit %d after the refusal, want %d", tt.name, d.pos, tt.after)
		}
	}
}
