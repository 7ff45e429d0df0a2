package asn1per

import "encoding/binary"

// Fast paths for generated decoders. Each TryX reads X when the input certainly holds it and its
// value needs no further check; it makes no call, so it inlines into the caller, where the
// generator's constant arguments fold. When ok is false nothing was consumed and the caller reads
// the same item with the general ReadX method, which decides — reads it or reports the error.
// A Try method never accepts what its ReadX would refuse.

// TryBit reads one bit.
func (d *Decoder) TryBit() (bit, ok bool) {
	p := d.pos
	if p >= d.end || uint(p>>3) >= uint(len(d.buf)) {
		return false, false
	}
	d.pos = p + 1
	return d.buf[p>>3]&(0x80>>(p&7)) != 0, true
}

// TryBits reads n (0..57) bits, most significant first: ReadBits(n).
func (d *Decoder) TryBits(n int) (uint64, bool) { return d.readBitsFast(n) }

// TryIndex reads a constrained whole number in 0..span that is a bit-field of n bits (span below
// 255, X.691 10.5.7.1), or, with n one more than that width, the same number after an extension
// bit that must be 0: the constrained INTEGER, CHOICE index or ENUMERATED value of the root. A set
// extension bit or a number above span makes the bits read exceed span, so both go to the slow
// path: ReadInteger, ReadChoiceIndex or ReadEnumerated.
func (d *Decoder) TryIndex(n int, span uint64) (uint64, bool) {
	p := d.pos
	i := p >> 3
	if uint(n-1) > 8 || n > d.end-p || uint(i)+8 > uint(len(d.buf)) {
		return 0, false
	}
	u := binary.BigEndian.Uint64(d.buf[i:]) << uint(p&7) >> (64 - uint(n))
	if u > span {
		return 0, false
	}
	d.pos = p + n
	return u, true
}

// TryAlignedOctet reads a constrained whole number of range 256 (span 255, no extension): one
// aligned octet (X.691 10.5.7.2).
func (d *Decoder) TryAlignedOctet() (uint64, bool) {
	p := (d.pos + 7) &^ 7
	i := p >> 3
	if p+8 > d.end || uint(i) >= uint(len(d.buf)) {
		return 0, false
	}
	d.pos = p + 8
	return uint64(d.buf[i]), true
}

// TryAligned16 reads a constrained whole number in 0..span (span 256..65535, no extension): two
// aligned octets (X.691 10.5.7.3).
func (d *Decoder) TryAligned16(span uint64) (uint64, bool) {
	p := (d.pos + 7) &^ 7
	i := p >> 3
	if p+16 > d.end || uint(i)+2 > uint(len(d.buf)) {
		return 0, false
	}
	u := uint64(binary.BigEndian.Uint16(d.buf[i:]))
	if u > span {
		return 0, false
	}
	d.pos = p + 16
	return u, true
}

// TryCount reads the count of a SEQUENCE OF without a PER-visible size constraint when it is the
// one-octet length determinant (below 128) and the input has at least as many bits left: what
// ReadLength(Size{Ub: -1}) returns.
func (d *Decoder) TryCount() (int, bool) {
	p := (d.pos + 7) &^ 7
	i := p >> 3
	if p+8 > d.end || uint(i) >= uint(len(d.buf)) {
		return 0, false
	}
	n := int(d.buf[i])
	if n >= 128 || n > d.end-p-8 {
		return 0, false
	}
	d.pos = p + 8
	return n, true
}
