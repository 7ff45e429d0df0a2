package asn1per

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// TestIntegerRoundTrip encodes values at and around the edges of many ranges.
func TestIntegerRoundTrip(t *testing.T) {
	ranges := []IntRange{
		rng(0, 0), rng(0, 1), rng(0, 254), rng(0, 255), rng(0, 256), rng(-1, 65534), rng(0, 65535),
		rng(0, 65536), rng(1, 4294967295), rng(-1<<40, 1<<40), rng(math.MinInt64, math.MaxInt64),
		semi(0), semi(-1000), semi(math.MinInt64), unconstrained, rngX(0, 7), rngX(-3, 300),
		{Lb: 5, HasLb: true, Ext: true}, {Ext: true},
	}
	values := []int64{math.MinInt64, math.MinInt64 + 1, -1 << 40, -65536, -256, -129, -128, -1, 0, 1, 7, 8,
		127, 128, 254, 255, 256, 300, 65535, 65536, 1 << 32, 1<<40 + 1, math.MaxInt64 - 1, math.MaxInt64}
	var e Encoder
	for _, r := range ranges {
		for _, v := range values {
			e.Reset(nil)
			e.WriteBit(true) // misalign on purpose
			err := e.WriteInteger(v, r)
			inRoot := (!r.HasLb || v >= r.Lb) && (!r.HasLb || !r.HasUb || v <= r.Ub)
			if !inRoot && !r.Ext {
				if !errors.Is(err, ErrConstraint) {
					t.Fatalf("%+v value %d: err = %v, want ErrConstraint", r, v, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%+v value %d: %v", r, v, err)
			}
			d := NewDecoder(e.Finish())
			d.ReadBit()
			got, err := d.ReadInteger(r)
			if err != nil || got != v {
				t.Fatalf("%+v value %d: decoded %d, %v", r, v, got, err)
			}
		}
	}
}

// TestOctetFragmentation checks the 10.9.3.8 block structure and the round trip for sizes around
// each fragment boundary, for the direct writer and for the in-place open type.
func TestOctetFragmentation(t *testing.T) {
	sizes := []int{0, 1, 127, 128, 16383, 16384, 16385, 32768, 49152 + 5, 65535, 65536, 65536 + 127,
		65536 + 128, 2*65536 + 16384*3 + 200, 300000}
	for _, n := range sizes {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + i>>8)
		}
		var direct, inPlace Encoder
		direct.WriteBit(true)
		if err := direct.WriteOctetString(data, Size{Lb: 0, Ub: -1}); err != nil {
			t.Fatal(err)
		}
		got := direct.Finish()
		// Walk the headers independently of the decoder.
		rest, total := got[1:], 0
		for {
			h := rest[0]
			var chunk int
			switch {
			case h&0x80 == 0:
				chunk, rest = int(h), rest[1:]
			case h&0xC0 == 0x80:
				chunk, rest = int(h&0x3F)<<8|int(rest[1]), rest[2:]
			default:
				chunk, rest = int(h&0x3F)*16384, rest[1:]
				if h&0x3F > 4 || (len(data)-total >= 65536 && chunk != 65536) {
					t.Fatalf("n=%d: bad fragment header %#x", n, h)
				}
			}
			if !bytes.Equal(rest[:chunk], data[total:total+chunk]) {
				t.Fatalf("n=%d: fragment contents differ at %d", n, total)
			}
			rest, total = rest[chunk:], total+chunk
			if h&0xC0 != 0xC0 {
				break
			}
		}
		if total != n || len(rest) != 0 {
			t.Fatalf("n=%d: headers cover %d octets, %d left over", n, total, len(rest))
		}
		d := NewDecoder(got)
		d.ReadBit()
		back, err := d.ReadOctetString(Size{Lb: 0, Ub: -1})
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("n=%d: round trip failed: %v", n, err)
		}

		if n == 0 {
			continue // an empty open type is 01 00, covered by the known answers
		}
		inPlace.WriteBit(true)
		mark := inPlace.BeginOpenType()
		for _, c := range data {
			inPlace.WriteBits(uint64(c), 8)
		}
		if err := inPlace.EndOpenType(mark); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(inPlace.Finish(), got) {
			t.Fatalf("n=%d: in-place open type differs from the octet string encoding", n)
		}
		var viaWrite Encoder
		viaWrite.WriteBit(true)
		viaWrite.WriteOpenType(data)
		if !bytes.Equal(viaWrite.Finish(), got) {
			t.Fatalf("n=%d: WriteOpenType differs", n)
		}
		d = NewDecoder(got)
		d.ReadBit()
		sub, err := d.OpenType()
		if err != nil || !bytes.Equal(sub.buf, data) || d.RemainingBits() != 0 {
			t.Fatalf("n=%d: OpenType sub-decoder wrong: %v", n, err)
		}
	}
}

func TestBitAndStringFragmentation(t *testing.T) {
	for _, n := range []int{0, 5, 16383, 16384, 16390, 65536 + 3, 150000} {
		bitsData := bytes.Repeat([]byte{0xA5}, (n+7)/8)
		if n%8 != 0 {
			bitsData[len(bitsData)-1] &= 0xFF << (8 - n%8)
		}
		var e Encoder
		e.WriteBit(true)
		if err := e.WriteBitString(bitsData, n, Size{Lb: 0, Ub: -1}); err != nil {
			t.Fatal(err)
		}
		d := NewDecoder(e.Finish())
		d.ReadBit()
		got, gn, err := d.ReadBitString(Size{Lb: 0, Ub: -1})
		if err != nil || gn != n || !bytes.Equal(got, bitsData) {
			t.Fatalf("bits n=%d: %v (got %d bits)", n, err, gn)
		}

		for _, cs := range []*CharSet{e164Chars, bmpChars, ia5Chars} {
			alphabet := "0123456789#*,"
			if cs == bmpChars {
				alphabet = "aé€z"
			}
			str := strings.Repeat(alphabet, n/len([]rune(alphabet))+1)
			str = string([]rune(str)[:n])
			e.Reset(nil)
			e.WriteBit(true)
			if err := e.WriteString(str, cs, Size{Lb: 0, Ub: -1}); err != nil {
				t.Fatal(err)
			}
			d := NewDecoder(e.Finish())
			d.ReadBit()
			back, err := d.ReadString(cs, Size{Lb: 0, Ub: -1})
			if err != nil || back != str {
				t.Fatalf("%v n=%d: round trip failed: %v", cs.Kind(), n, err)
			}
		}
	}
}

func TestCharSetParameters(t *testing.T) {
	tests := []struct {
		name    string
		cs      *CharSet
		bits    int
		indexed bool
	}{
		{"IA5", ia5Chars, 8, false},                                            // N=128: 7 bits -> 8, max 127 fits
		{"e164", e164Chars, 4, true},                                           // N=13: 4 bits, '9'=57 > 15
		{"Numeric", numericChars, 4, true},                                     // N=11: 4 bits, '9'=57 > 15
		{"Printable", printable, 8, false},                                     // N=74: 7 -> 8, 'z'=122 fits
		{"Visible", visibleChars, 8, false},                                    // N=95: 7 -> 8
		{"BMP", bmpChars, 16, false},                                           // N=65536: 16 bits
		{"IA5 FROM AB", NewCharSet(IA5String, "BA"), 1, true},                  // N=2: 1 bit, 'B'=66 > 1
		{"IA5 FROM 0..3", NewCharSet(IA5String, "\x00\x01\x02\x03"), 2, false}, // N=4: 2 bits, max 3 fits
		{"IA5 FROM 5 chars", NewCharSet(IA5String, "abcde"), 4, true},          // N=5: 3 bits -> 4
		{"BMP FROM", NewCharSet(BMPString, "€a"), 1, true},
	}
	for _, tt := range tests {
		if tt.cs.CharBits() != tt.bits || tt.cs.Indexed() != tt.indexed {
			t.Errorf("%s: bits %d indexed %v, want %d %v", tt.name, tt.cs.CharBits(), tt.cs.Indexed(), tt.bits, tt.indexed)
		}
	}
}

func TestEncoderConstraintErrors(t *testing.T) {
	var e Encoder
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"int above ub", e.WriteInteger(8, rng(0, 7)), ErrConstraint},
		{"int below semi lb", e.WriteInteger(-1, semi(0)), ErrConstraint},
		{"char outside FROM", e.WriteString("12a", e164Chars, Size{Lb: 1, Ub: 128}), ErrConstraint},
		{"non-ASCII in IA5", e.WriteString("é", ia5Chars, Size{Lb: 0, Ub: -1}), ErrConstraint},
		{"invalid UTF-8", e.WriteString("\xff", bmpChars, Size{Lb: 0, Ub: -1}), ErrConstraint},
		{"string too long", e.WriteString("123", e164Chars, Size{Lb: 1, Ub: 2}), ErrConstraint},
		{"string too short", e.WriteString("", e164Chars, Size{Lb: 1, Ub: 2}), ErrConstraint},
		{"octets wrong fixed size", e.WriteOctetString([]byte{1}, Size{Lb: 16, Ub: 16}), ErrConstraint},
		{"bits beyond data", e.WriteBitString([]byte{1}, 9, Size{Lb: 0, Ub: -1}), ErrInvalid},
		{"count too large", e.WriteLength(5, Size{Lb: 0, Ub: 4}), ErrConstraint},
		{"count needs fragments", e.WriteLength(20000, Size{Lb: 0, Ub: -1}), ErrConstraint},
		{"choice outside root", e.WriteChoiceIndex(3, 3, false), ErrConstraint},
		{"negative enum", e.WriteEnumerated(-1, 3, true), ErrConstraint},
		{"oid one arc", e.WriteOID(ObjectIdentifier{1}), ErrInvalid},
		{"oid bad second arc", e.WriteOID(ObjectIdentifier{1, 40}), ErrInvalid},
		{"bad mark", e.EndOpenType(1 << 20), ErrInvalid},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

func TestDecoderRejectsInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		read func(*Decoder) error
		want error
	}{
		{"constrained above ub", []byte{0xE0}, func(d *Decoder) error { _, err := d.ReadInteger(rng(0, 5)); return err }, ErrConstraint},
		{"integer length 0", []byte{0x00}, func(d *Decoder) error { _, err := d.ReadInteger(unconstrained); return err }, ErrInvalid},
		{"integer length 9", []byte{0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9}, func(d *Decoder) error { _, err := d.ReadInteger(unconstrained); return err }, ErrInvalid},
		{"semi overflow", []byte{0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, func(d *Decoder) error { _, err := d.ReadInteger(semi(0)); return err }, ErrInvalid},
		{"choice index above root", []byte{0x70}, func(d *Decoder) error { _, err := d.ReadChoiceIndex(5, true); return err }, ErrConstraint},
		{"fragment multiplier 5", []byte{0xC5, 0}, func(d *Decoder) error { _, err := d.ReadOpenType(); return err }, ErrInvalid},
		{"fragmented count", []byte{0xC1}, func(d *Decoder) error { _, err := d.ReadLength(Size{Lb: 0, Ub: -1}); return err }, ErrInvalid},
		{"char outside alphabet", []byte{0x00, 0xF0}, func(d *Decoder) error { _, err := d.ReadString(e164Chars, Size{Lb: 1, Ub: 128}); return err }, ErrConstraint},
		{"IA5 code above 127", []byte{0x01, 0x80}, func(d *Decoder) error { _, err := d.ReadString(ia5Chars, Size{Lb: 0, Ub: -1}); return err }, ErrConstraint},
		{"BMP surrogate", []byte{0x01, 0xD8, 0x00}, func(d *Decoder) error { _, err := d.ReadString(bmpChars, Size{Lb: 0, Ub: -1}); return err }, ErrConstraint},
		{"octets outside root", []byte{0x03, 1, 2, 3}, func(d *Decoder) error { _, err := d.ReadOctetString(Size{Lb: 5, Ub: 70000}); return err }, ErrConstraint},
		{"oid empty", []byte{0x00}, func(d *Decoder) error { _, err := d.ReadOID(); return err }, ErrInvalid},
		{"oid unterminated", []byte{0x01, 0x81}, func(d *Decoder) error { _, err := d.ReadOID(); return err }, ErrInvalid},
		{"oid non-minimal", []byte{0x02, 0x80, 0x01}, func(d *Decoder) error { _, err := d.ReadOID(); return err }, ErrInvalid},
		{"oid arc > 32 bits", []byte{0x06, 0x00, 0x90, 0x80, 0x80, 0x80, 0x00}, func(d *Decoder) error { _, err := d.ReadOID(); return err }, ErrInvalid},
		{"bits width 65", []byte{0}, func(d *Decoder) error { _, err := d.ReadBits(65); return err }, ErrInvalid},
	}
	for _, tt := range tests {
		err := tt.read(NewDecoder(tt.in))
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestOIDString(t *testing.T) {
	if got := (ObjectIdentifier{0, 0, 8, 2250, 0, 7}).String(); got != "0.0.8.2250.0.7" {
		t.Fatalf("String() = %q", got)
	}
	var e Encoder
	e.WriteOID(ObjectIdentifier{2, 4294967295 - 80, 4294967295})
	got, err := NewDecoder(e.Finish()).ReadOID()
	if err != nil || !got.Equal(ObjectIdentifier{2, 4294967295 - 80, 4294967295}) {
		t.Fatalf("large arcs: %v %v", got, err)
	}
}

func TestErrorCarriesOffsetAndContext(t *testing.T) {
	d := NewDecoder([]byte{0xFF})
	d.ReadBits(3)
	_, err := d.ReadInteger(rng(0, 65535))
	var perr *Error
	if !errors.As(err, &perr) || !errors.Is(err, ErrTruncated) || perr.Offset != 8 || perr.Context == "" {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "bit 8") {
		t.Fatalf("message %q lacks the offset", err.Error())
	}
}

// TestNestedOpenTypes: an open type inside an open type, both in place, equals encoding the
// inner one first and writing both with WriteOpenType.
func TestNestedOpenTypes(t *testing.T) {
	for _, innerLen := range []int{1, 126, 127, 200, 16383, 16384, 70000} {
		inner := bytes.Repeat([]byte{0x3C}, innerLen)
		var nested Encoder
		nested.WriteBits(0b101, 3)
		outer := nested.BeginOpenType()
		nested.WriteBit(true)
		in := nested.BeginOpenType()
		for _, c := range inner {
			nested.WriteBits(uint64(c), 8)
		}
		if err := nested.EndOpenType(in); err != nil {
			t.Fatal(err)
		}
		nested.WriteBits(0b11, 2)
		if err := nested.EndOpenType(outer); err != nil {
			t.Fatal(err)
		}

		var value, flat Encoder
		value.WriteBit(true)
		value.WriteOpenType(inner)
		value.WriteBits(0b11, 2)
		flat.WriteBits(0b101, 3)
		flat.WriteOpenType(value.Finish())
		if !bytes.Equal(nested.Finish(), flat.Finish()) {
			t.Fatalf("inner %d octets: nested in-place open types differ", innerLen)
		}

		d := NewDecoder(nested.Finish())
		d.ReadBits(3)
		sub, err := d.OpenType()
		if err != nil {
			t.Fatal(err)
		}
		sub.ReadBit()
		got, err := sub.ReadOpenType()
		if err != nil || !bytes.Equal(got, inner) {
			t.Fatalf("inner %d octets: decoded %d octets, %v", innerLen, len(got), err)
		}
		if tail, err := sub.ReadBits(2); err != nil || tail != 0b11 {
			t.Fatalf("inner %d octets: tail %b, %v", innerLen, tail, err)
		}
	}
}
