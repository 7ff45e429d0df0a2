package asn1per

import (
	"bytes"
	"testing"
)

func BenchmarkWriteInteger(b *testing.B) {
	ranges := []struct {
		name string
		r    IntRange
		v    int64
	}{
		{"bitfield", rng(0, 7), 5},
		{"two-octets", rng(1, 65535), 4321},
		{"uint32", rng(1, 4294967295), 60},
		{"unconstrained", unconstrained, -129},
	}
	for _, c := range ranges {
		b.Run(c.name, func(b *testing.B) {
			var e Encoder
			buf := make([]byte, 0, 64)
			b.ReportAllocs()
			for b.Loop() {
				e.Reset(buf)
				e.WriteBit(true)
				e.WriteInteger(c.v, c.r)
			}
		})
	}
}

func BenchmarkReadInteger(b *testing.B) {
	ranges := []struct {
		name string
		r    IntRange
		v    int64
	}{
		{"bitfield", rng(0, 7), 5},
		{"two-octets", rng(1, 65535), 4321},
		{"uint32", rng(1, 4294967295), 60},
		{"unconstrained", unconstrained, -129},
	}
	for _, c := range ranges {
		b.Run(c.name, func(b *testing.B) {
			var e Encoder
			e.WriteBit(true)
			e.WriteInteger(c.v, c.r)
			in := e.Finish()
			var d Decoder
			b.ReportAllocs()
			for b.Loop() {
				d.Reset(in)
				d.ReadBit()
				if v, err := d.ReadInteger(c.r); err != nil || v != c.v {
					b.Fatal(v, err)
				}
			}
		})
	}
}

func BenchmarkReadChoiceIndex(b *testing.B) {
	in := []byte{0x18}
	var d Decoder
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(in)
		if i, err := d.ReadChoiceIndex(25, true); err != nil || i != 6 {
			b.Fatal(i, err)
		}
	}
}

func BenchmarkStrings(b *testing.B) {
	cases := []struct {
		name string
		cs   *CharSet
		s    Size
		str  string
	}{
		{"e164", e164Chars, Size{Lb: 1, Ub: 128}, "4930123456789"},
		{"h323-ID", bmpChars, Size{Lb: 1, Ub: 256}, "alice.mobile@example"},
		{"IA5", ia5Chars, Size{Lb: 1, Ub: 512}, "sip:alice@example.com"},
	}
	for _, c := range cases {
		var e Encoder
		buf := make([]byte, 0, 128)
		b.Run("write-"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Reset(buf)
				if err := e.WriteString(c.str, c.cs, c.s); err != nil {
					b.Fatal(err)
				}
			}
		})
		e.Reset(nil)
		e.WriteString(c.str, c.cs, c.s)
		in := e.Finish()
		b.Run("read-"+c.name, func(b *testing.B) {
			var d Decoder
			b.ReportAllocs()
			for b.Loop() {
				d.Reset(in)
				if s, err := d.ReadString(c.cs, c.s); err != nil || s != c.str {
					b.Fatal(s, err)
				}
			}
		})
	}
}

func BenchmarkOpenType(b *testing.B) {
	payload := bytes.Repeat([]byte{0x5A}, 40)
	buf := make([]byte, 0, 128)
	var e Encoder
	b.Run("in-place", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.Reset(buf)
			e.WriteBit(true)
			mark := e.BeginOpenType()
			e.WriteInteger(1, rng(1, 65535))
			e.WriteString("1234", e164Chars, Size{Lb: 1, Ub: 128})
			e.EndOpenType(mark)
		}
	})
	b.Run("write-raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.Reset(buf)
			e.WriteOpenType(payload)
		}
	})
	e.Reset(nil)
	e.WriteOpenType(payload)
	in := e.Finish()
	b.Run("read-copy", func(b *testing.B) {
		var d Decoder
		b.ReportAllocs()
		for b.Loop() {
			d.Reset(in)
			if _, err := d.ReadOpenType(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sub-decoder", func(b *testing.B) {
		var d, sub Decoder
		b.ReportAllocs()
		for b.Loop() {
			d.Reset(in)
			if err := d.OpenTypeInto(&sub); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkOID(b *testing.B) {
	oid := ObjectIdentifier{0, 0, 8, 2250, 0, 7}
	var e Encoder
	buf := make([]byte, 0, 32)
	b.Run("write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.Reset(buf)
			e.WriteOID(oid)
		}
	})
	e.Reset(nil)
	e.WriteOID(oid)
	in := e.Finish()
	b.Run("read", func(b *testing.B) {
		var d Decoder
		b.ReportAllocs()
		for b.Loop() {
			d.Reset(in)
			if _, err := d.ReadOID(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
