package asn1per

import "strconv"

// ObjectIdentifier is an OBJECT IDENTIFIER's arcs, e.g. {0 0 8 2250 0 7}.
type ObjectIdentifier []uint32

// String gives the dotted form, e.g. "0.0.8.2250.0.7".
func (oid ObjectIdentifier) String() string {
	var b []byte
	for i, arc := range oid {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, uint64(arc), 10)
	}
	return string(b)
}

// Equal reports whether oid and other have the same arcs.
func (oid ObjectIdentifier) Equal(other ObjectIdentifier) bool {
	if len(oid) != len(other) {
		return false
	}
	for i := range oid {
		if oid[i] != other[i] {
			return false
		}
	}
	return true
}

// base128Len is the number of octets of v in base 128.
func base128Len(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func (e *Encoder) appendBase128(v uint64) {
	for i := base128Len(v) - 1; i >= 0; i-- {
		c := byte(v>>(7*uint(i))) & 0x7F
		if i > 0 {
			c |= 0x80
		}
		e.buf = append(e.buf, c)
	}
}

// WriteOID encodes an OBJECT IDENTIFIER: an unconstrained length determinant and the BER
// contents octets (first two arcs combined as 40*a+b, every subidentifier in base 128).
func (e *Encoder) WriteOID(oid ObjectIdentifier) error {
	if len(oid) < 2 || oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40) {
		return e.errorf(ErrInvalid, "object identifier", "first arcs must be 0..2 and, below 2, 0..39")
	}
	first := uint64(oid[0])*40 + uint64(oid[1])
	n := base128Len(first)
	for _, arc := range oid[2:] {
		n += base128Len(uint64(arc))
	}
	if n >= fragmentUnit {
		return e.errorf(ErrInvalid, "object identifier", "too long")
	}
	e.writeUnconstrainedLength(n)
	e.appendBase128(first)
	for _, arc := range oid[2:] {
		e.appendBase128(uint64(arc))
	}
	e.bits = len(e.buf) * 8
	return nil
}

// ReadOID decodes an OBJECT IDENTIFIER; non-minimal subidentifiers and arcs beyond 32 bits are
// ErrInvalid.
func (d *Decoder) ReadOID() (ObjectIdentifier, error) {
	n, more, err := d.readUnconstrainedLength("object identifier")
	if err != nil {
		return nil, err
	}
	if more || n == 0 {
		return nil, d.errorf(ErrInvalid, "object identifier", "length must be 1..16383")
	}
	contents, err := d.alignedSlice(n, "object identifier")
	if err != nil {
		return nil, err
	}
	if contents[n-1]&0x80 != 0 {
		return nil, d.errorf(ErrInvalid, "object identifier", "last subidentifier unterminated")
	}
	subids := 0
	for _, c := range contents {
		if c&0x80 == 0 {
			subids++
		}
	}
	// The first subidentifier holds two arcs. Every byte is checked in one pass: a subidentifier
	// starts with v == 0, where a 0x80 octet would be a non-minimal encoding (X.690 8.19.2).
	if !d.charge((subids+1)*4 + 3) {
		return nil, d.overBudget("object identifier", (subids+1)*4+3)
	}
	oid := ObjectIdentifier(d.arcScratch(subids + 1)[:subids+1]) // bounded by the octets just read
	k := 0
	var v uint64
	for _, c := range contents {
		if v == 0 && c == 0x80 {
			return nil, d.errorf(ErrInvalid, "object identifier", "non-minimal subidentifier")
		}
		if v > (1<<57)-1 { // the next shift would overflow
			return nil, d.errorf(ErrInvalid, "object identifier", "subidentifier too large")
		}
		v = v<<7 | uint64(c&0x7F)
		if c&0x80 != 0 {
			continue
		}
		if k == 0 {
			a, b := uint64(2), v-80
			if v < 80 {
				a, b = v/40, v%40
			}
			if b > 0xFFFFFFFF {
				return nil, d.errorf(ErrInvalid, "object identifier", "arc exceeds 32 bits")
			}
			oid[0], oid[1] = uint32(a), uint32(b)
			k = 2
		} else {
			if v > 0xFFFFFFFF {
				return nil, d.errorf(ErrInvalid, "object identifier", "arc exceeds 32 bits")
			}
			oid[k] = uint32(v)
			k++
		}
		v = 0
	}
	return oid[:k:k], nil
}
