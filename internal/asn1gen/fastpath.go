package main

import (
	"fmt"
	"math/bits"
)

// Fast paths. The runtime's general readers (ReadInteger, ReadChoiceIndex, ReadLength, …) take
// the constraint as an argument and decide at run time how it is encoded; a generated decoder
// knows that at generation time. For the common encodings it first tries asn1per's inlinable
// TryX readers with constant arguments, and calls the general reader only when TryX declines
// (end of input near, extension bit set, value outside the root), so that the general reader
// reads or reports exactly as before. On a registration request this halves the calls.

// indexFastPath returns the TryIndex call reading a constrained whole number in 0..span that is
// a bit-field, preceded by an extension bit when ext; "" when that is not its encoding.
func indexFastPath(dv string, span uint64, ext bool) string {
	if span >= 255 {
		return ""
	}
	n := bits.Len64(span)
	if ext {
		n++
	}
	if n == 0 {
		return "" // range 1 without extension: no bits at all
	}
	return fmt.Sprintf("%s.TryIndex(%d, %d)", dv, n, span)
}

// integerFastPath returns the TryX call reading an INTEGER under r as an offset from r.Lb, or ""
// when r has no fast path.
func integerFastPath(dv string, r *Range) string {
	if r == nil || !r.HasLb || !r.HasUb || r.Ub < r.Lb {
		return ""
	}
	span := uint64(r.Ub) - uint64(r.Lb)
	switch {
	case span < 255:
		return indexFastPath(dv, span, r.Ext)
	case r.Ext:
		return ""
	case span == 255:
		return dv + ".TryAlignedOctet()"
	case span < 65536:
		return fmt.Sprintf("%s.TryAligned16(%d)", dv, span)
	}
	return ""
}

// decInteger returns statements decoding an INTEGER under r into x.
func decInteger(r *Range, x, dv, ret string, cv func(string) string) string {
	fast := integerFastPath(dv, r)
	if fast == "" {
		return fmt.Sprintf("{ n, err := %s.ReadInteger(%s)\n%s%s = %s }\n", dv, rangeLit(r), ret, x, cv("n"))
	}
	value := "int64(u)"
	if r.Lb != 0 {
		value = fmt.Sprintf("%d + int64(u)", r.Lb)
	}
	return fmt.Sprintf("{ var n int64\nif u, ok := %s; ok { n = %s } else {\nvar err error\nn, err = %s.ReadInteger(%s)\n%s}\n%s = %s }\n",
		fast, value, dv, rangeLit(r), ret, x, cv("n"))
}

// decBool returns statements decoding a BOOLEAN into x.
func decBool(x, dv, ret string, cv func(string) string) string {
	return fmt.Sprintf("{ b, ok := %s.TryBit()\nif !ok {\nvar err error\nb, err = %s.ReadBool()\n%s}\n%s = %s }\n", dv, dv, ret, x, cv("b"))
}

// decCount returns statements declaring n, the count of a SEQUENCE OF under size s.
func decCount(dv, size, where string) string {
	if size != "asn1per.Size{Ub: -1}" {
		return fmt.Sprintf("n, err := %s.ReadLength(%s)\nif err != nil { return fieldErr(%q, err) }\n", dv, size, where)
	}
	return fmt.Sprintf("n, ok := %s.TryCount()\nif !ok {\nvar err error\nif n, err = %s.ReadLength(%s); err != nil { return fieldErr(%q, err) }\n}\n", dv, dv, size, where)
}

// decIndex returns statements declaring i, a CHOICE index (reader "ReadChoiceIndex") or an
// ENUMERATED index ("ReadEnumerated") of nroot root values; a failure returns err unwrapped.
func decIndex(reader string, nroot int, ext bool) string {
	general := fmt.Sprintf("d.%s(%d, %v)", reader, nroot, ext)
	fast := ""
	if nroot >= 1 {
		fast = indexFastPath("d", uint64(nroot-1), ext)
	}
	if fast == "" {
		return fmt.Sprintf("i, err := %s\nif err != nil { return err }\n", general)
	}
	return fmt.Sprintf("var i int\nif u, ok := %s; ok { i = int(u) } else {\nvar err error\nif i, err = %s; err != nil { return err }\n}\n", fast, general)
}

// decPreamble returns statements reading a SEQUENCE's extension bit (ext) and the bitmap of its
// nopt OPTIONAL root components (opt), which are adjacent: one read takes both.
func decPreamble(ext bool, nopt int) string {
	switch {
	case ext && nopt > 0:
		return fmt.Sprintf("opt, ok := d.TryBits(%d)\nif !ok {\nvar err error\nif opt, err = d.ReadBits(%d); err != nil { return err }\n}\next := opt&(1<<%d) != 0\n", nopt+1, nopt+1, nopt)
	case ext:
		return "ext, ok := d.TryBit()\nif !ok {\nvar err error\nif ext, err = d.ReadBool(); err != nil { return err }\n}\n"
	case nopt > 0:
		return fmt.Sprintf("opt, ok := d.TryBits(%d)\nif !ok {\nvar err error\nif opt, err = d.ReadBits(%d); err != nil { return err }\n}\n", nopt, nopt)
	}
	return ""
}
