package asn1per

import (
	"encoding/binary"
	"math/bits"
)

// IntRange is a PER-visible INTEGER constraint. HasLb/HasUb false = no bound on that side
// (semi-constrained when only HasLb, unconstrained when neither; an upper bound alone is not
// PER-visible and is treated as unconstrained, X.691 10.8). Ext marks `(lb..ub, ...)`: an
// extension bit precedes the value, and a value outside the root is encoded unconstrained.
type IntRange struct {
	Lb, Ub       int64
	HasLb, HasUb bool
	Ext          bool
}

// WriteInteger encodes an INTEGER under r (X.691 12), including the extension bit.
func (e *Encoder) WriteInteger(v int64, r IntRange) error {
	constrained := r.HasLb && r.HasUb
	inRoot := (!r.HasLb || v >= r.Lb) && (!constrained || v <= r.Ub)
	if r.Ext {
		e.WriteBit(!inRoot)
		if !inRoot {
			e.writeUnconstrained(v)
			return nil
		}
	} else if !inRoot {
		return e.errorf(ErrConstraint, "integer", "value outside its range")
	}
	switch {
	case constrained:
		if r.Ub < r.Lb {
			return e.errorf(ErrInvalid, "integer", "range upper bound below lower bound")
		}
		e.writeConstrained(uint64(v)-uint64(r.Lb), uint64(r.Ub)-uint64(r.Lb))
	case r.HasLb:
		e.writeNonNegative(uint64(v) - uint64(r.Lb))
	default:
		e.writeUnconstrained(v)
	}
	return nil
}

// writeConstrained encodes a constrained whole number u in 0..span (span = ub-lb), X.691 10.5.7.
func (e *Encoder) writeConstrained(u, span uint64) {
	switch {
	case span == 0: // range 1: no bits (10.5.4)
	case span < 255: // range <= 255: minimal bit-field, not aligned (10.5.7.1)
		e.WriteBits(u, bits.Len64(span))
	case span == 255: // range 256: one aligned octet (10.5.7.2)
		e.writeAlignedUint(u, 1)
	case span < 65536: // range <= 64K: two aligned octets (10.5.7.3)
		e.writeAlignedUint(u, 2)
	default: // indefinite length case (10.5.7.4): octet count 1..maxOctets as a bit-field, then the octets
		maxOctets := octetLen(span)
		n := octetLen(u)
		e.WriteBits(uint64(n-1), bits.Len64(uint64(maxOctets-1)))
		e.writeAlignedUint(u, n)
	}
}

// writeNonNegative encodes a semi-constrained whole number (X.691 10.7 / 10.9 length + minimal octets).
func (e *Encoder) writeNonNegative(u uint64) {
	n := octetLen(u)
	e.Align()
	e.buf = append(e.buf, byte(n))
	e.writeAlignedUint(u, n)
}

// writeUnconstrained encodes an unconstrained whole number: length + minimal two's complement (10.8).
func (e *Encoder) writeUnconstrained(v int64) {
	n := signedOctetLen(v)
	e.Align()
	e.buf = append(e.buf, byte(n))
	e.writeAlignedUint(uint64(v), n)
}

// octetLen is the minimal number of octets (at least 1) holding u unsigned.
func octetLen(u uint64) int {
	return max(1, (bits.Len64(u)+7)/8)
}

// signedOctetLen is the minimal number of octets holding v in two's complement.
func signedOctetLen(v int64) int {
	if v < 0 {
		v = ^v // same magnitude bits as the positive counterpart, sign bit aside
	}
	return bits.Len64(uint64(v))/8 + 1
}

// ReadInteger decodes an INTEGER under r.
func (d *Decoder) ReadInteger(r IntRange) (int64, error) {
	if r.Ext {
		ext, err := d.ReadBit()
		if err != nil {
			return 0, err
		}
		if ext {
			return d.readUnconstrained()
		}
	}
	switch {
	case r.HasLb && r.HasUb:
		if r.Ub < r.Lb {
			return 0, d.errorf(ErrInvalid, "integer", "range upper bound below lower bound")
		}
		span := uint64(r.Ub) - uint64(r.Lb)
		if span-1 < 254 { // a bit-field of 1..8 bits, read inline when 8 octets remain
			if u, ok := d.readBitsFast(bits.Len64(span)); ok {
				if u > span {
					return 0, d.aboveUpperBound("constrained integer")
				}
				return r.Lb + int64(u), nil
			}
		} else if span-255 < 65536-255 { // one or two aligned octets (10.5.7.2/3), inline too
			var u uint64
			var ok bool
			if span == 255 {
				var v byte
				v, ok = d.readAlignedOctet()
				u = uint64(v)
			} else {
				var v uint16
				v, ok = d.readAligned16()
				u = uint64(v)
			}
			if ok {
				if u > span {
					return 0, d.aboveUpperBound("constrained integer")
				}
				return r.Lb + int64(u), nil
			}
		}
		u, err := d.readConstrained(span, "constrained integer")
		return r.Lb + int64(u), err
	case r.HasLb:
		u, err := d.readNonNegative()
		if err != nil {
			return 0, err
		}
		v := int64(uint64(r.Lb) + u)
		if v < r.Lb { // the true value does not fit in an int64
			return 0, d.errorf(ErrInvalid, "semi-constrained integer", "value overflows int64")
		}
		return v, nil
	default:
		return d.readUnconstrained()
	}
}

// readConstrained decodes a constrained whole number in 0..span.
func (d *Decoder) readConstrained(span uint64, context string) (uint64, error) {
	var u uint64
	var err error
	switch {
	case span == 0:
		return 0, nil
	case span < 255:
		// The inlined fast paths below save a call per field; they fall back to the general readers.
		n := bits.Len64(span)
		var ok bool
		if u, ok = d.readBitsFast(n); !ok {
			u, err = d.readBitsSlow(n)
		}
	case span == 255:
		if v, ok := d.readAlignedOctet(); ok {
			u = uint64(v)
		} else {
			err = d.alignedUintError(1, context)
		}
	case span < 65536:
		if v, ok := d.readAligned16(); ok {
			u = uint64(v)
		} else {
			err = d.alignedUintError(2, context)
		}
	default:
		var n uint64
		width := bits.Len64(uint64(octetLen(span) - 1))
		var ok bool
		if n, ok = d.readBitsFast(width); !ok {
			n, err = d.readBitsSlow(width)
		}
		if err == nil {
			u, err = d.readAlignedUint(int(n)+1, context)
		}
	}
	if err != nil {
		return 0, err
	}
	if u > span {
		return 0, d.aboveUpperBound(context)
	}
	return u, nil
}

// aboveUpperBound is the error of a constrained whole number read past its span.
func (d *Decoder) aboveUpperBound(context string) error {
	return d.errorf(ErrConstraint, context, "value above its upper bound")
}

// readIntegerLength reads the one-octet length that precedes semi-constrained and unconstrained
// whole numbers; lengths beyond 8 octets cannot be represented in 64 bits.
func (d *Decoder) readIntegerLength(context string) (int, error) {
	n, more, err := d.readUnconstrainedLength(context)
	if err != nil {
		return 0, err
	}
	if more || n < 1 || n > 8 {
		return 0, d.errorf(ErrInvalid, context, "integer length not in 1..8 octets")
	}
	return n, nil
}

func (d *Decoder) readNonNegative() (uint64, error) {
	n, err := d.readIntegerLength("semi-constrained integer")
	if err != nil {
		return 0, err
	}
	return d.readAlignedUint(n, "semi-constrained integer")
}

func (d *Decoder) readUnconstrained() (int64, error) {
	n, err := d.readIntegerLength("unconstrained integer")
	if err != nil {
		return 0, err
	}
	u, err := d.readAlignedUint(n, "unconstrained integer")
	if err != nil {
		return 0, err
	}
	shift := uint(64 - 8*n) // sign-extend from n octets
	return int64(u<<shift) >> shift, nil
}

// WriteNormallySmall encodes a normally small non-negative whole number (X.691 10.6): a 0 bit and
// six bits for n <= 63, else a 1 bit and a semi-constrained whole number.
func (e *Encoder) WriteNormallySmall(n uint64) {
	if n <= 63 {
		e.WriteBits(n, 7) // leading 0 bit + 6-bit value
		return
	}
	e.WriteBit(true)
	e.writeNonNegative(n)
}

// ReadNormallySmall decodes a normally small non-negative whole number.
func (d *Decoder) ReadNormallySmall() (uint64, error) {
	large, err := d.ReadBit()
	if err != nil {
		return 0, err
	}
	if !large {
		return d.ReadBits(6)
	}
	return d.readNonNegative()
}

// WriteEnumerated encodes an ENUMERATED value by its index i (X.691 13): root values
// (i < rootCount) as a constrained whole number, extension values (i-rootCount) as a normally
// small number after a 1 extension bit.
func (e *Encoder) WriteEnumerated(i, rootCount int, ext bool) error {
	return e.writeIndex(i, rootCount, ext, "enumerated")
}

// WriteChoiceIndex encodes a CHOICE alternative index (X.691 22); for i >= rootCount the caller
// then writes the alternative as an open type.
func (e *Encoder) WriteChoiceIndex(i, rootCount int, ext bool) error {
	return e.writeIndex(i, rootCount, ext, "choice index")
}

func (e *Encoder) writeIndex(i, rootCount int, ext bool, context string) error {
	if i < 0 || rootCount < 0 || (i >= rootCount && !ext) {
		return e.errorf(ErrConstraint, context, "index outside the root")
	}
	if ext {
		e.WriteBit(i >= rootCount)
		if i >= rootCount {
			e.WriteNormallySmall(uint64(i - rootCount))
			return nil
		}
	}
	e.writeConstrained(uint64(i), uint64(rootCount-1))
	return nil
}

// ReadEnumerated decodes an ENUMERATED index; a result >= rootCount is extension value
// result-rootCount.
func (d *Decoder) ReadEnumerated(rootCount int, ext bool) (int, error) {
	return d.readIndex(rootCount, ext, "enumerated")
}

// ReadChoiceIndex decodes a CHOICE index; a result >= rootCount is an extension alternative
// whose open type follows.
func (d *Decoder) ReadChoiceIndex(rootCount int, ext bool) (int, error) {
	return d.readIndex(rootCount, ext, "choice index")
}

func (d *Decoder) readIndex(rootCount int, ext bool, context string) (int, error) {
	if ext {
		extended, err := d.ReadBit()
		if err != nil {
			return 0, err
		}
		if extended {
			n, err := d.ReadNormallySmall()
			if err != nil {
				return 0, err
			}
			if n > 1<<30 { // keep rootCount+n well inside int
				return 0, d.errorf(ErrInvalid, context, "extension index too large")
			}
			return rootCount + int(n), nil
		}
	}
	if rootCount <= 0 {
		return 0, d.errorf(ErrInvalid, context, "no root alternatives")
	}
	span := uint64(rootCount - 1)
	if u, ok := d.readSmallConstrained(span); ok {
		if u > span {
			return 0, d.aboveUpperBound(context)
		}
		return int(u), nil
	}
	u, err := d.readConstrained(span, context)
	return int(u), err
}

// readSmallConstrained reads a constrained whole number of span 1..254 (a bit-field of 1..8 bits,
// X.691 10.5.7.1) inline when 8 octets remain; ok false (nothing consumed) sends the caller to
// readConstrained. The caller checks u <= span.
func (d *Decoder) readSmallConstrained(span uint64) (u uint64, ok bool) {
	if span-1 >= 254 {
		return 0, false
	}
	p, n := d.pos, bits.Len64(span)
	i := p >> 3
	if n > d.end-p || uint(i)+8 > uint(len(d.buf)) {
		return 0, false
	}
	d.pos = p + n
	return binary.BigEndian.Uint64(d.buf[i:]) << uint(p&7) >> (64 - uint(n)), true
}
