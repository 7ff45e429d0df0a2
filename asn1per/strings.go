package asn1per

import (
	"math/bits"
	"slices"
	"unicode/utf8"
	"unsafe"
)

// StringKind names a known-multiplier character string type (X.691 26).
type StringKind int

// The known-multiplier character string types this package encodes.
const (
	IA5String StringKind = iota
	NumericString
	PrintableString
	VisibleString
	BMPString
)

var kindNames = [...]string{"IA5String", "NumericString", "PrintableString", "VisibleString", "BMPString"}

func (k StringKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "StringKind(?)"
}

// CharSet is a known-multiplier character string type with its effective permitted alphabet,
// and the per-character encoding X.691 26.5 derives from it. Build it once (NewCharSet) as a
// package variable; it is read-only afterwards.
type CharSet struct {
	kind StringKind
	// bits is b of X.691 26.5.2 in the ALIGNED variant: the smallest power of two not below
	// the bits needed for N-1, N being the alphabet size.
	bits int
	// indexed: characters are sent as their index in the alphabet (sorted by code), because the
	// largest code does not fit in b bits (X.691 26.5.4); otherwise as their code.
	indexed bool
	// alphabet is the sorted permitted alphabet, or nil for the contiguous range lo..hi.
	alphabet []rune
	lo, hi   rune
	// small maps a code below 256 to its index+1 (0: not permitted), the fast path for all the
	// ASCII-based types.
	small [256]uint16
}

const printableAlphabet = " '()+,-./0123456789:=?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewCharSet returns the CharSet of kind restricted by the permitted alphabet constraint
// FROM(from) ("" for none). A from containing characters outside kind is a programming error in
// a static type definition, so it panics, like regexp.MustCompile.
func NewCharSet(kind StringKind, from string) *CharSet {
	cs := &CharSet{kind: kind}
	var base []rune // nil with lo..hi for contiguous alphabets
	switch kind {
	case IA5String:
		cs.lo, cs.hi = 0, 127
	case VisibleString:
		cs.lo, cs.hi = 32, 126
	case BMPString:
		cs.lo, cs.hi = 0, 0xFFFF
	case NumericString:
		base = []rune(" 0123456789")
	case PrintableString:
		base = []rune(printableAlphabet)
	default:
		panic("asn1per: unknown string kind")
	}
	permitted := func(r rune) bool {
		if base != nil {
			_, found := slices.BinarySearch(base, r)
			return found
		}
		return r >= cs.lo && r <= cs.hi
	}
	if base != nil {
		slices.Sort(base)
	}
	if from != "" {
		if !utf8.ValidString(from) {
			panic("asn1per: FROM alphabet is not valid UTF-8")
		}
		set := []rune(from)
		slices.Sort(set)
		set = slices.Compact(set)
		for _, r := range set {
			if !permitted(r) {
				panic("asn1per: FROM alphabet has a character outside " + kind.String())
			}
		}
		base = set
	}
	var size int
	var largest rune
	if base != nil {
		cs.alphabet = base
		cs.lo, cs.hi = base[0], base[len(base)-1]
		size = len(base)
	} else {
		size = int(cs.hi-cs.lo) + 1
	}
	largest = cs.hi
	needed := bits.Len(uint(size - 1))
	cs.bits = 1
	for cs.bits < needed {
		cs.bits *= 2
	}
	cs.indexed = uint64(largest) > 1<<uint(cs.bits)-1
	for r := rune(0); r < 256; r++ {
		if i, ok := cs.lookup(r); ok {
			cs.small[r] = uint16(i + 1)
		}
	}
	return cs
}

// Kind is the string type.
func (cs *CharSet) Kind() StringKind { return cs.kind }

// CharBits is the number of bits per character (b of X.691 26.5.2, ALIGNED variant).
func (cs *CharSet) CharBits() int { return cs.bits }

// Indexed reports whether characters are sent as alphabet indexes rather than codes.
func (cs *CharSet) Indexed() bool { return cs.indexed }

// lookup finds r's index in the alphabet (slow path, used to build the table and for BMP).
func (cs *CharSet) lookup(r rune) (int, bool) {
	if cs.alphabet == nil {
		if r < cs.lo || r > cs.hi {
			return 0, false
		}
		return int(r - cs.lo), true
	}
	return slices.BinarySearch(cs.alphabet, r)
}

// encodeChar gives the value sent for r.
func (cs *CharSet) encodeChar(r rune) (uint64, bool) {
	var index int
	if r >= 0 && r < 256 {
		i := cs.small[r]
		if i == 0 {
			return 0, false
		}
		index = int(i) - 1
	} else {
		var ok bool
		if index, ok = cs.lookup(r); !ok {
			return 0, false
		}
	}
	if cs.indexed {
		return uint64(index), true
	}
	return uint64(r), true
}

// decodeChar maps a received value back to its character.
func (cs *CharSet) decodeChar(v uint64) (rune, bool) {
	if cs.indexed {
		if cs.alphabet == nil {
			if v > uint64(cs.hi-cs.lo) {
				return 0, false
			}
			return cs.lo + rune(v), true
		}
		if v >= uint64(len(cs.alphabet)) {
			return 0, false
		}
		return cs.alphabet[v], true
	}
	if v > uint64(cs.hi) {
		return 0, false
	}
	r := rune(v)
	if r < 256 {
		return r, cs.small[r] != 0
	}
	if r >= 0xD800 && r <= 0xDFFF { // surrogate halves have no UTF-8 form
		return 0, false
	}
	_, ok := cs.lookup(r)
	return r, ok
}

// stringLayout says how a string is framed (X.691 26.5.6-26.5.8): a fixed size of at most 16
// bits has neither length nor alignment; a variable size whose ub*b is below 16 bits has a length
// but no alignment; otherwise the characters are octet-aligned (unless there are none).
type stringLayout int

const (
	layoutFixedUnaligned       stringLayout = iota // fixed length, ub*b <= 16: no length, not aligned
	layoutFixedAligned                             // fixed length below 64K: no length, aligned
	layoutConstrained                              // length as a constrained whole number, then aligned
	layoutConstrainedUnaligned                     // same, but ub*b < 16: the characters are not aligned
	layoutUnconstrained                            // unconstrained (possibly fragmented) length
)

func (cs *CharSet) layout(s Size, extended bool) stringLayout {
	switch {
	case extended || !s.bounded():
		return layoutUnconstrained
	case s.fixed() && s.Ub*cs.bits <= 16:
		return layoutFixedUnaligned
	case s.fixed():
		return layoutFixedAligned
	case s.Ub*cs.bits < 16:
		return layoutConstrainedUnaligned
	default:
		return layoutConstrained
	}
}

// WriteString encodes str (UTF-8) as a known-multiplier character string of cs under s.
// Characters outside cs's alphabet and sizes outside a non-extensible s are ErrConstraint.
func (e *Encoder) WriteString(str string, cs *CharSet, s Size) error {
	n := utf8.RuneCountInString(str)
	extended, err := e.writeSizeExt(n, s, "character string")
	if err != nil {
		return err
	}
	switch layout := cs.layout(s, extended); layout {
	case layoutFixedUnaligned:
		_, err = e.writeChars(str, n, cs)
	case layoutFixedAligned:
		e.Align()
		_, err = e.writeChars(str, n, cs)
	case layoutConstrained, layoutConstrainedUnaligned:
		e.writeConstrained(uint64(n-s.Lb), uint64(s.Ub-s.Lb))
		if n > 0 && layout == layoutConstrained {
			e.Align()
		}
		_, err = e.writeChars(str, n, cs)
	default:
		for err == nil {
			chunk, final := e.writeFragmentHeader(n)
			str, err = e.writeChars(str, chunk, cs)
			n -= chunk
			if final {
				break
			}
		}
	}
	return err
}

// writeChars writes the first count characters of str and returns the rest.
func (e *Encoder) writeChars(str string, count int, cs *CharSet) (string, error) {
	i := 0
	for ; count > 0; count-- {
		if c := str[i]; c < utf8.RuneSelf { // fast path: table lookup, no rune decoding
			index := cs.small[c]
			if index == 0 {
				return "", e.errorf(ErrConstraint, "character string", "character outside the permitted alphabet")
			}
			v := uint64(c)
			if cs.indexed {
				v = uint64(index - 1)
			}
			e.WriteBits(v, cs.bits)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(str[i:])
		if r == utf8.RuneError && size == 1 {
			return "", e.errorf(ErrConstraint, "character string", "not valid UTF-8")
		}
		v, ok := cs.encodeChar(r)
		if !ok {
			return "", e.errorf(ErrConstraint, "character string", "character outside the permitted alphabet")
		}
		e.WriteBits(v, cs.bits)
		i += size
	}
	return str[i:], nil
}

// ReadString decodes a known-multiplier character string of cs under s into UTF-8.
func (d *Decoder) ReadString(cs *CharSet, s Size) (string, error) {
	extended, err := d.readSizeExt(s)
	if err != nil {
		return "", err
	}
	var out []byte
	switch layout := cs.layout(s, extended); layout {
	case layoutFixedUnaligned:
		err = d.readChars(&out, s.Lb, cs)
	case layoutFixedAligned:
		if err = d.Align(); err == nil {
			err = d.readChars(&out, s.Lb, cs)
		}
	case layoutConstrained, layoutConstrainedUnaligned:
		var u uint64
		u, err = d.readConstrained(uint64(s.Ub-s.Lb), "character string length")
		n := s.Lb + int(u)
		if err == nil && n > 0 && layout == layoutConstrained {
			err = d.Align()
		}
		if err == nil {
			err = d.readChars(&out, n, cs)
		}
	default:
		total := 0
		for more := true; more && err == nil; {
			var n int
			n, more, err = d.readUnconstrainedLength("character string length")
			if err == nil {
				err = d.readChars(&out, n, cs)
				total += n
			}
		}
		if err == nil && !extended && !s.inRoot(total) {
			err = d.errorf(ErrConstraint, "character string", "size outside its constraint")
		}
	}
	if err != nil || len(out) == 0 {
		return "", err
	}
	if d.inScratch(out) {
		d.keep(len(out)) // the arena never rewrites committed bytes (arena.go)
	}
	// out is not retained as a []byte, so it can become the string without a second copy.
	return unsafe.String(&out[0], len(out)), nil
}

// readChars appends count characters as UTF-8 to out; the input is checked to hold them before
// out grows. Room for the widest encoding of every character is made first, so that the loops
// store by index instead of appending.
func (d *Decoder) readChars(out *[]byte, count int, cs *CharSet) error {
	if count <= 0 {
		return nil
	}
	if count > d.RemainingBits()/cs.bits {
		return d.errorf(ErrTruncated, "character string", "")
	}
	b := *out
	width := 1 // UTF-8 octets per character at most
	if cs.hi >= utf8.RuneSelf {
		width = utf8.RuneLen(cs.hi)
	}
	if b == nil && !d.charge(count*width) {
		return d.overBudget("character string", count*width)
	}
	if b != nil {
		if grow, ok := d.chargeGrow(len(b), cap(b), count*width); !ok {
			return d.overBudget("character string", grow)
		}
	}
	if b == nil {
		b = d.scratch(count * width) // first chunk: room in the arena for the whole of it
	} else {
		b = slices.Grow(b, count*width) // a later fragment: append reallocates out of the arena
	}
	k := len(b)
	b = b[:k+count*width]
	ascii := cs.hi < utf8.RuneSelf && cs.alphabet != nil && cs.indexed
	// bad reports a character outside the alphabet; d stays just after it, as a bitwise read
	// leaves it.
	bad := func(after int) error {
		d.pos = after
		*out = b[:k]
		return d.errorf(ErrConstraint, "character string", "character outside the permitted alphabet")
	}
	switch {
	case d.pos&7 == 0 && cs.bits == 16 && !cs.indexed:
		// Aligned BMPString characters, their own code points: ASCII ones copied in one step.
		start := d.pos >> 3
		src := d.buf[start : start+count*2] // bounded by the count check above
		for i := 0; i+1 < len(src); i += 2 {
			if v := src[i+1]; src[i] == 0 && v < utf8.RuneSelf && cs.small[v] != 0 {
				b[k] = v
				k++
				continue
			}
			r, ok := cs.decodeChar(uint64(src[i])<<8 | uint64(src[i+1]))
			if !ok {
				return bad((start + i + 2) * 8)
			}
			k += utf8.EncodeRune(b[k:], r)
		}
		d.pos += count * 16
	case d.pos&7 == 0 && (cs.bits == 8 || cs.bits == 16):
		// Octet-aligned 8- and 16-bit characters (IA5String, BMPString) are read straight from
		// the input rather than bit by bit.
		start := d.pos >> 3
		src := d.buf[start : start+count*cs.bits/8] // bounded by the count check above
		step := cs.bits / 8
		direct := !cs.indexed // characters are their own code points (checked against small below)
		for i := 0; i+step <= len(src); i += step {
			v := uint64(src[i])
			if step == 2 {
				v = v<<8 | uint64(src[i+1])
			}
			if direct && v < utf8.RuneSelf && v <= uint64(cs.hi) && cs.small[v] != 0 {
				b[k] = byte(v) // the common ASCII case, without a call to decodeChar
				k++
				continue
			}
			r, ok := cs.decodeChar(v)
			if !ok {
				return bad((start+i)*8 + cs.bits)
			}
			k += utf8.EncodeRune(b[k:], r)
		}
		d.pos += count * cs.bits
	case d.pos&7 == 0 && cs.bits == 4 && ascii:
		// Aligned 4-bit indexes into an ASCII alphabet (digits in dialledDigits and the like):
		// two characters per octet.
		start := d.pos >> 3
		alphabet := cs.alphabet
		for j := range count {
			c := d.buf[start+j>>1] // bounded by the count check above
			i := c >> 4
			if j&1 != 0 {
				i = c & 15
			}
			if int(i) >= len(alphabet) {
				return bad(start*8 + (j+1)*4)
			}
			b[k] = byte(alphabet[i])
			k++
		}
		d.pos += count * 4
	default:
		for ; count > 0; count-- {
			v, ok := d.readBitsFast(cs.bits) // inlined; the count was bounded above
			if !ok {
				v, _ = d.readBitsSlow(cs.bits)
			}
			if ascii && v < uint64(len(cs.alphabet)) {
				b[k] = byte(cs.alphabet[v]) // fast path for FROM alphabets such as digits
				k++
				continue
			}
			r, ok := cs.decodeChar(v)
			if !ok {
				return bad(d.pos)
			}
			k += utf8.EncodeRune(b[k:], r)
		}
	}
	*out = b[:k]
	return nil
}
