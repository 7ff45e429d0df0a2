package asn1per

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// vector is a known-answer test: enc writes the value, want is the complete encoding in hex,
// dec reads it back and must return value.
type vector struct {
	name  string
	want  string
	enc   func(*Encoder) error
	dec   func(*Decoder) (any, error)
	value any
}

var (
	e164Chars    = NewCharSet(IA5String, "0123456789#*,")
	numericChars = NewCharSet(NumericString, "")
	ia5Chars     = NewCharSet(IA5String, "")
	bmpChars     = NewCharSet(BMPString, "")
	visibleChars = NewCharSet(VisibleString, "")
	printable    = NewCharSet(PrintableString, "")
)

func rng(lb, ub int64) IntRange { return IntRange{Lb: lb, Ub: ub, HasLb: true, HasUb: true} }
func rngX(lb, ub int64) IntRange {
	return IntRange{Lb: lb, Ub: ub, HasLb: true, HasUb: true, Ext: true}
}
func semi(lb int64) IntRange { return IntRange{Lb: lb, HasLb: true} }

var unconstrained = IntRange{}

// readLead reads the single 1 bit some vectors put first to show the alignment of what follows.
func readLead(d *Decoder, lead bool) error {
	if !lead {
		return nil
	}
	b, err := d.ReadBit()
	if err == nil && !b {
		err = errors.New("lead bit is 0")
	}
	return err
}

// intVector builds a vector for one INTEGER, optionally preceded by a single 1 bit to show
// whether the field is aligned.
func intVector(name, want string, lead bool, v int64, r IntRange) vector {
	return vector{
		name: name, want: want, value: v,
		enc: func(e *Encoder) error {
			if lead {
				e.WriteBit(true)
			}
			return e.WriteInteger(v, r)
		},
		dec: func(d *Decoder) (any, error) {
			if err := readLead(d, lead); err != nil {
				return nil, err
			}
			return d.ReadInteger(r)
		},
	}
}

func integerVectors() []vector {
	return []vector{
		// Range 1: no bits at all; the empty complete encoding becomes 0x00 (10.1.3).
		intVector("range1", "00", false, 7, rng(7, 7)),
		// Range 8: 3-bit field, 5 = 101, padded: 1010 0000.
		intVector("range8", "a0", false, 5, rng(0, 7)),
		// Range 255 is still a bit-field (8 bits, not aligned): 1 + 1111 1110 -> ff 00.
		intVector("range255-unaligned", "ff00", true, 254, rng(0, 254)),
		// Range 256: one aligned octet, so the lead bit is followed by 7 padding bits.
		intVector("range256-aligned", "8003", true, 3, rng(0, 255)),
		// Range 257..64K: two aligned octets.
		intVector("range257", "800003", true, 3, rng(0, 256)),
		intVector("range64K", "1234", false, 0x1234, rng(0, 65535)),
		// H.225 RequestSeqNum INTEGER (1..65535) = 1 -> v-lb = 0 in two octets.
		intVector("requestSeqNum", "0000", false, 1, rng(1, 65535)),
		// Range 65537: 10.5.7.4, octet count 1..3 as a 2-bit field (count-1), then the octets aligned.
		intVector("range64K+1-small", "0001", false, 1, rng(0, 65536)),
		intVector("range64K+1-large", "80010000", false, 0x10000, rng(0, 65536)),
		// H.225 TimeToLive INTEGER (1..4294967295) = 60: 59 in one octet, count-1 = 0 in 2 bits.
		intVector("timeToLive", "003b", false, 60, rng(1, 4294967295)),
		// 0..2^32-1 holding 0x12345678: count-1 = 3 -> bits 11, then four octets.
		intVector("uint32", "c012345678", false, 0x12345678, rng(0, 4294967295)),
		// Negative lower bound: -5..5 holds 11 values, 4 bits; -5 -> 0, 5 -> 10 = 1010.
		intVector("negative-lb", "a0", false, 5, rng(-5, 5)),
		// Full int64 range: span 2^64-1 needs 8 octets -> 3-bit count.
		intVector("int64-range", "e0ffffffffffffffff", false, 9223372036854775807, rng(-9223372036854775808, 9223372036854775807)),
		// Semi-constrained (10.7): length octet + minimal unsigned octets of v-lb.
		intVector("semi-0", "0100", false, 0, semi(0)),
		intVector("semi-256", "020100", false, 256, semi(0)),
		intVector("semi-neg-lb", "0100", false, -1, semi(-1)),
		// Unconstrained (10.8): length octet + minimal two's complement.
		intVector("unconstrained-0", "0100", false, 0, unconstrained),
		intVector("unconstrained-127", "017f", false, 127, unconstrained),
		intVector("unconstrained-128", "020080", false, 128, unconstrained),
		intVector("unconstrained--1", "01ff", false, -1, unconstrained),
		intVector("unconstrained--128", "0180", false, -128, unconstrained),
		intVector("unconstrained--129", "02ff7f", false, -129, unconstrained),
		intVector("unconstrained-min", "088000000000000000", false, -9223372036854775808, unconstrained),
		// Extensible (0..7, ...): ext bit 0 + 3 bits; outside the root: ext bit 1 + unconstrained.
		intVector("ext-root", "30", false, 3, rngX(0, 7)),
		intVector("ext-outside", "800108", false, 8, rngX(0, 7)),
		intVector("ext-outside-negative", "8001ff", false, -1, rngX(0, 7)),
	}
}

func indexVectors() []vector {
	var out []vector
	add := func(name, want string, v, root int, ext, choice bool) {
		out = append(out, vector{
			name: name, want: want, value: v,
			enc: func(e *Encoder) error {
				if choice {
					return e.WriteChoiceIndex(v, root, ext)
				}
				return e.WriteEnumerated(v, root, ext)
			},
			dec: func(d *Decoder) (any, error) {
				if choice {
					return d.ReadChoiceIndex(root, ext)
				}
				return d.ReadEnumerated(root, ext)
			},
		})
	}
	// One root alternative, not extensible: no bits.
	add("choice-single", "00", 0, 1, false, true)
	// 5 roots, extensible: ext bit 0 + 3-bit index 010 -> 0010 0000.
	add("choice-root", "20", 2, 5, true, true)
	// Extension alternative 1 (index 6 of 5 roots): 1, then normally small 0 000001 -> 1000 0001.
	add("choice-extension", "81", 6, 5, true, true)
	// H.225 RasMessage has 25 root alternatives + extension: unregistrationRequest (6): 0 00110 -> 0x18.
	add("rasmessage-urq", "18", 6, 25, true, true)
	// ENUMERATED with 3 roots, no extension: 2 bits, 2 = 10 -> 1000 0000.
	add("enum-root", "80", 2, 3, false, false)
	// Extension value 70 (>63): 1, 1 (large), then aligned semi-constrained 01 46.
	add("enum-ext-large", "c00146", 73, 3, true, false)
	return out
}

func normallySmallVectors() []vector {
	var out []vector
	for _, c := range []struct {
		name, want string
		n          uint64
	}{
		{"ns-5", "0a", 5},       // 0 000101 -> 0000 1010
		{"ns-63", "7e", 63},     // 0 111111 -> 0111 1110
		{"ns-64", "800140", 64}, // 1, aligned 01 40
	} {
		n := c.n
		out = append(out, vector{
			name: c.name, want: c.want, value: n,
			enc: func(e *Encoder) error { e.WriteNormallySmall(n); return nil },
			dec: func(d *Decoder) (any, error) { return d.ReadNormallySmall() },
		})
	}
	return out
}

func lengthVectors() []vector {
	var out []vector
	// A SEQUENCE OF BOOLEAN whose elements are all TRUE: the count, then one 1 bit per element.
	add := func(name, want string, n int, s Size) {
		out = append(out, vector{
			name: name, want: want, value: n,
			enc: func(e *Encoder) error {
				if err := e.WriteLength(n, s); err != nil {
					return err
				}
				for range n {
					e.WriteBool(true)
				}
				return nil
			},
			dec: func(d *Decoder) (any, error) {
				n, err := d.ReadLength(s)
				for i := 0; i < n && err == nil; i++ {
					var b bool
					if b, err = d.ReadBool(); err == nil && !b {
						err = errors.New("element is FALSE")
					}
				}
				return n, err
			},
		})
	}
	add("count-bounded", "3e", 3, Size{Lb: 0, Ub: 10}) // range 11: 4 bits 0011, then 111
	add("count-fixed", "c0", 2, Size{Lb: 2, Ub: 2})    // no count bits, just 11
	add("count-semi", "03e0", 3, Size{Lb: 1, Ub: -1})  // one aligned octet
	add("count-semi-2octets", "80c8"+strings.Repeat("ff", 25), 200, Size{Lb: 0, Ub: -1})
	add("count-ext-root", "38", 2, Size{Lb: 1, Ub: 4, Ext: true})        // 0, 2 bits 01, then 11
	add("count-ext-outside", "8005f8", 5, Size{Lb: 1, Ub: 4, Ext: true}) // 1, aligned 05, 11111
	return out
}

func octetVectors() []vector {
	var out []vector
	add := func(name, want string, lead bool, b []byte, s Size) {
		out = append(out, vector{
			name: name, want: want, value: b,
			enc: func(e *Encoder) error {
				if lead {
					e.WriteBit(true)
				}
				return e.WriteOctetString(b, s)
			},
			dec: func(d *Decoder) (any, error) {
				if err := readLead(d, lead); err != nil {
					return nil, err
				}
				return d.ReadOctetString(s)
			},
		})
	}
	// Fixed size 2: not aligned, no length: 1 1010 1011 1100 1101 -> d5 e6 80.
	add("octets-fixed2", "d5e680", true, []byte{0xab, 0xcd}, Size{Lb: 2, Ub: 2})
	// Fixed size 3: aligned, no length.
	add("octets-fixed3", "80abcdef", true, []byte{0xab, 0xcd, 0xef}, Size{Lb: 3, Ub: 3})
	// Fixed size 0: nothing.
	add("octets-fixed0", "80", true, []byte{}, Size{Lb: 0, Ub: 0})
	// SIZE(1..16): 4-bit length n-1 = 1, then aligned octets.
	add("octets-1..16", "10abcd", false, []byte{0xab, 0xcd}, Size{Lb: 1, Ub: 16})
	// SIZE(0..255): range 256 -> the length is an aligned octet.
	add("octets-0..255", "8002abcd", true, []byte{0xab, 0xcd}, Size{Lb: 0, Ub: 255})
	// Unconstrained: aligned length octet.
	add("octets-unconstrained", "02abcd", false, []byte{0xab, 0xcd}, Size{Lb: 0, Ub: -1})
	// Extensible size, outside the root: 1, then unconstrained length.
	add("octets-ext-outside", "8003abcdef", false, []byte{0xab, 0xcd, 0xef}, Size{Lb: 2, Ub: 2, Ext: true})
	// Extensible size inside a fixed root: 0, then 2 octets unaligned.
	add("octets-ext-fixed", "55e680", false, []byte{0xab, 0xcd}, Size{Lb: 2, Ub: 2, Ext: true})
	// H.225 GloballyUniqueID OCTET STRING (SIZE(16)): aligned, no length.
	add("guid", "80"+strings.Repeat("11", 16), true, bytes.Repeat([]byte{0x11}, 16), Size{Lb: 16, Ub: 16})
	return out
}

func bitStringVectors() []vector {
	var out []vector
	add := func(name, want string, b []byte, n int, s Size) {
		type bitsValue struct {
			B []byte
			N int
		}
		out = append(out, vector{
			name: name, want: want, value: bitsValue{b, n},
			enc: func(e *Encoder) error { e.WriteBit(true); return e.WriteBitString(b, n, s) },
			dec: func(d *Decoder) (any, error) {
				if err := readLead(d, true); err != nil {
					return nil, err
				}
				got, gn, err := d.ReadBitString(s)
				return bitsValue{got, gn}, err
			},
		})
	}
	// Fixed 3 bits: plain bit-field after the lead bit: 1 101 -> 1101 0000.
	add("bits-fixed3", "d0", []byte{0xa0}, 3, Size{Lb: 3, Ub: 3})
	// Fixed 16 bits: still unaligned: 1 + ab cd.
	add("bits-fixed16", "d5e680", []byte{0xab, 0xcd}, 16, Size{Lb: 16, Ub: 16})
	// Fixed 17 bits: aligned, no length.
	add("bits-fixed17", "80abcd80", []byte{0xab, 0xcd, 0x80}, 17, Size{Lb: 17, Ub: 17})
	// SIZE(0..8): range 9 -> 4-bit length 0011, align, 101.
	add("bits-0..8", "98a0", []byte{0xa0}, 3, Size{Lb: 0, Ub: 8})
	// Unconstrained: aligned length in bits.
	add("bits-unconstrained", "8003a0", []byte{0xa0}, 3, Size{Lb: 0, Ub: -1})
	return out
}

func stringVectors() []vector {
	var out []vector
	add := func(name, want string, lead bool, str string, cs *CharSet, s Size) {
		out = append(out, vector{
			name: name, want: want, value: str,
			enc: func(e *Encoder) error {
				if lead {
					e.WriteBit(true)
				}
				return e.WriteString(str, cs, s)
			},
			dec: func(d *Decoder) (any, error) {
				if err := readLead(d, lead); err != nil {
					return nil, err
				}
				return d.ReadString(cs, s)
			},
		})
	}
	// H.225 dialedDigits IA5String (SIZE(1..128)) FROM ("0123456789#*,"): N = 13 -> 4 bits; the
	// largest code '9' (57) exceeds 15, so characters are alphabet indexes, the alphabet sorted
	// by code: '#'=0 '*'=1 ','=2 '0'=3 ... '9'=12. Length 4-1 = 3 in 7 bits, then aligned:
	// 0000011 0 | 0100 0101 | 0110 0111.
	add("e164", "064567", false, "1234", e164Chars, Size{Lb: 1, Ub: 128})
	add("e164-symbols", "06012c", false, "#*,9", e164Chars, Size{Lb: 1, Ub: 128})
	// NumericString: alphabet " 0123456789", N = 11 -> 4 bits, index encoding, ' '=0 '0'=1.
	add("numeric", "062345", false, "1234", numericChars, Size{Lb: 1, Ub: 128})
	// Fixed NumericString SIZE(4): 4*4 = 16 bits -> not aligned, no length: 1 0010 0011 0100 0101.
	add("numeric-fixed4", "91a280", true, "1234", numericChars, Size{Lb: 4, Ub: 4})
	// IA5String: 7 bits rounded up to 8, value encoding; unconstrained length.
	add("ia5", "03616263", false, "abc", ia5Chars, Size{Lb: 0, Ub: -1})
	// IA5String SIZE(2): 16 bits -> unaligned: 1 0110 0001 0110 0010.
	add("ia5-fixed2", "b0b100", true, "ab", ia5Chars, Size{Lb: 2, Ub: 2})
	// VisibleString SIZE(3): 24 bits -> aligned, no length.
	add("visible-fixed3", "80616263", true, "abc", visibleChars, Size{Lb: 3, Ub: 3})
	// PrintableString: 7 bits rounded to 8, value encoding; semi-constrained length 3.
	add("printable", "0341205a", false, "A Z", printable, Size{Lb: 1, Ub: -1})
	// H.225 h323-ID BMPString (SIZE(1..256)): range 256 -> aligned one-octet length n-1, then
	// 16 bits per character.
	add("bmp", "0100610062", false, "ab", bmpChars, Size{Lb: 1, Ub: 256})
	add("bmp-nonascii", "0000e9", false, "é", bmpChars, Size{Lb: 1, Ub: 256})
	// NumericString SIZE(1..3): ub*b = 12 < 16, so after the 2-bit length (n-1 = 1) the
	// characters follow unaligned (26.5.7): 1 01 0010 0011 -> 1010 0100 0110 0000.
	add("numeric-short-unaligned", "a460", true, "12", numericChars, Size{Lb: 1, Ub: 3})
	// NumericString SIZE(1..4): ub*b = 16 is not below 16, so the characters are aligned:
	// 1 01 (pad) | 0010 0011.
	add("numeric-1..4-aligned", "a023", true, "12", numericChars, Size{Lb: 1, Ub: 4})
	// An empty string adds no alignment: SIZE(0..8) IA5, length 0 in 4 bits after the lead bit.
	add("ia5-empty", "80", true, "", ia5Chars, Size{Lb: 0, Ub: 8})
	// Extensible size outside the root: 1, unconstrained length 3.
	add("ia5-ext-outside", "8003616263", false, "abc", ia5Chars, Size{Lb: 1, Ub: 2, Ext: true})
	return out
}

func oidVectors() []vector {
	var out []vector
	add := func(name, want string, oid ObjectIdentifier) {
		out = append(out, vector{
			name: name, want: want, value: oid,
			enc: func(e *Encoder) error { return e.WriteOID(oid) },
			dec: func(d *Decoder) (any, error) { return d.ReadOID() },
		})
	}
	// H.225 protocolIdentifier {itu-t(0) recommendation(0) h(8) 2250 version(0) 7}:
	// 0*40+0 = 00, 08, 2250 = 17*128+74 -> 91 4a, 00, 07; length 6.
	add("h225-v7", "060008914a0007", ObjectIdentifier{0, 0, 8, 2250, 0, 7})
	// {2 999 3}: 2*40+999 = 1079 = 8*128+55 -> 88 37.
	add("joint-2.999.3", "03883703", ObjectIdentifier{2, 999, 3})
	return out
}

func openTypeVectors() []vector {
	return []vector{
		{
			// In place: a (0..255) value 5 becomes the one-octet open type 01 05.
			name: "opentype-inplace", want: "800105", value: int64(5),
			enc: func(e *Encoder) error {
				e.WriteBit(true)
				mark := e.BeginOpenType()
				if err := e.WriteInteger(5, rng(0, 255)); err != nil {
					return err
				}
				return e.EndOpenType(mark)
			},
			dec: func(d *Decoder) (any, error) {
				if err := readLead(d, true); err != nil {
					return nil, err
				}
				sub, err := d.OpenType()
				if err != nil {
					return nil, err
				}
				return sub.ReadInteger(rng(0, 255))
			},
		},
		{
			// An empty value is the complete encoding 00 (10.1.3), so the open type is 01 00.
			name: "opentype-empty", want: "0100", value: []byte{0},
			enc: func(e *Encoder) error { return e.EndOpenType(e.BeginOpenType()) },
			dec: func(d *Decoder) (any, error) { return d.ReadOpenType() },
		},
		{
			// A 3-bit value is padded to one octet: 101 -> a0.
			name: "opentype-bits", want: "01a0", value: []byte{0xa0},
			enc: func(e *Encoder) error {
				m := e.BeginOpenType()
				e.WriteBits(5, 3)
				return e.EndOpenType(m)
			},
			dec: func(d *Decoder) (any, error) { return d.ReadOpenType() },
		},
		{
			name: "opentype-raw", want: "03010203", value: []byte{1, 2, 3},
			enc: func(e *Encoder) error { return e.WriteOpenType([]byte{1, 2, 3}) },
			dec: func(d *Decoder) (any, error) { return d.ReadOpenType() },
		},
	}
}

func basicVectors() []vector {
	return []vector{{
		// BOOLEAN is one bit, NULL none: TRUE NULL FALSE TRUE -> 101 -> 1010 0000.
		name: "bool-null", want: "a0", value: []bool{true, false, true},
		enc: func(e *Encoder) error {
			e.WriteBool(true)
			e.WriteNull()
			e.WriteBool(false)
			e.WriteBool(true)
			return nil
		},
		dec: func(d *Decoder) (any, error) {
			var out []bool
			for i := range 3 {
				if i == 1 {
					if err := d.ReadNull(); err != nil {
						return nil, err
					}
				}
				b, err := d.ReadBool()
				if err != nil {
					return nil, err
				}
				out = append(out, b)
			}
			return out, nil
		},
	}, {
		// An open type skipped by its length, then a (0..255) value: 02 aa bb | 07.
		name: "skip-open-type", want: "02aabb07", value: int64(7),
		enc: func(e *Encoder) error {
			e.WriteOpenType([]byte{0xaa, 0xbb})
			return e.WriteInteger(7, rng(0, 255))
		},
		dec: func(d *Decoder) (any, error) {
			if err := d.SkipOpenType(); err != nil {
				return nil, err
			}
			return d.ReadInteger(rng(0, 255))
		},
	}}
}

func allVectors() []vector {
	var all []vector
	for _, group := range [][]vector{basicVectors(), integerVectors(), indexVectors(), normallySmallVectors(), lengthVectors(),
		octetVectors(), bitStringVectors(), stringVectors(), oidVectors(), openTypeVectors()} {
		all = append(all, group...)
	}
	return all
}

func TestKnownAnswers(t *testing.T) {
	for _, v := range allVectors() {
		t.Run(v.name, func(t *testing.T) {
			var e Encoder
			if err := v.enc(&e); err != nil {
				t.Fatalf("encode: %v", err)
			}
			got := hex.EncodeToString(e.Finish())
			if got != v.want {
				t.Fatalf("encoding = %s, want %s", got, v.want)
			}
			want, _ := hex.DecodeString(v.want)
			d := NewDecoder(want)
			value, err := v.dec(d)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(value, v.value) {
				t.Fatalf("decoded %#v, want %#v", value, v.value)
			}
			if d.RemainingBits() >= 8 && v.want != "00" {
				t.Fatalf("decoder left %d bits unread", d.RemainingBits())
			}
		})
	}
}

// TestTruncationAtEveryBit cuts each known-answer encoding at every bit offset before the end
// of what its decoder consumes: every cut must give ErrTruncated, never a panic or a value.
func TestTruncationAtEveryBit(t *testing.T) {
	for _, v := range allVectors() {
		t.Run(v.name, func(t *testing.T) {
			full, _ := hex.DecodeString(v.want)
			d := NewDecoder(full)
			if _, err := v.dec(d); err != nil {
				t.Fatalf("decode: %v", err)
			}
			consumed := d.pos
			for cut := 0; cut < consumed; cut++ {
				d := NewDecoder(full)
				d.end = cut
				_, err := v.dec(d)
				if !errors.Is(err, ErrTruncated) {
					t.Fatalf("cut at bit %d of %d: err = %v, want ErrTruncated", cut, consumed, err)
				}
				var perr *Error
				if !errors.As(err, &perr) || perr.Offset > cut {
					t.Fatalf("cut at bit %d: error %v lacks a sensible offset", cut, err)
				}
			}
		})
	}
}
