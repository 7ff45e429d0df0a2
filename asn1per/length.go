package asn1per

// Size is a PER-visible SIZE constraint. Ub < 0 means no upper bound (semi-constrained lengths).
// Ext marks an extensible constraint `SIZE (lb..ub, ...)`: an extension bit precedes the length,
// and a size outside lb..ub is then encoded as an unconstrained length.
type Size struct {
	Lb, Ub int
	Ext    bool
}

// Fragmentation thresholds of X.691 10.9.3.8: lengths of 16K units or more are sent in blocks
// of 1..4 × 16K units, each preceded by one octet 0b11mmmmmm.
const (
	fragmentUnit     = 16384
	maxFragmentUnits = 4 * fragmentUnit
	constrainedLimit = 65536 // a length constraint with ub below this is a constrained whole number
)

// inRoot reports whether n satisfies s's root.
func (s Size) inRoot(n int) bool {
	return n >= s.Lb && (s.Ub < 0 || n <= s.Ub)
}

// fixed reports a root SIZE(n): no length is encoded.
func (s Size) fixed() bool { return s.Lb == s.Ub && s.Ub >= 0 }

// bounded reports a root whose length is a constrained whole number (ub < 64K, X.691 10.9.3.3).
func (s Size) bounded() bool { return s.Ub >= 0 && s.Ub < constrainedLimit }

// writeExtBit writes the extension bit of an extensible size constraint and reports whether the
// length must be encoded unconstrained; a size outside a non-extensible root is an error.
func (e *Encoder) writeSizeExt(n int, s Size, context string) (extended bool, err error) {
	root := s.inRoot(n)
	if s.Ext {
		e.WriteBit(!root)
	} else if !root {
		return false, e.errorf(ErrConstraint, context, "size outside its constraint")
	}
	if n < 0 {
		return false, e.errorf(ErrConstraint, context, "negative size")
	}
	return !root, nil
}

// writeUnconstrainedLength writes an aligned length determinant for n < 16K (X.691 10.9.3.6/7).
func (e *Encoder) writeUnconstrainedLength(n int) {
	e.Align()
	if n < 128 {
		e.buf = append(e.buf, byte(n))
	} else {
		e.buf = append(e.buf, 0x80|byte(n>>8), byte(n))
	}
	e.bits = len(e.buf) * 8
}

// WriteLength encodes a SEQUENCE OF (or SET OF) element count under s, including the extension
// bit; counts that would need fragmentation (16K or more without a bound below 64K) are refused.
func (e *Encoder) WriteLength(n int, s Size) error {
	extended, err := e.writeSizeExt(n, s, "count")
	if err != nil {
		return err
	}
	switch {
	case !extended && s.fixed() && s.bounded():
	case !extended && s.bounded():
		e.writeConstrained(uint64(n-s.Lb), uint64(s.Ub-s.Lb))
	case n >= fragmentUnit:
		return e.errorf(ErrConstraint, "count", "counts of 16K or more need fragmentation")
	default:
		e.writeUnconstrainedLength(n)
	}
	return nil
}

// readSizeExt reads the extension bit of s, if any.
func (d *Decoder) readSizeExt(s Size) (bool, error) {
	if !s.Ext {
		return false, nil
	}
	return d.ReadBit()
}

// readUnconstrainedLength reads an aligned length determinant. more is true for a fragment of
// n units (a multiple of 16K) that further length determinants follow.
func (d *Decoder) readUnconstrainedLength(context string) (n int, more bool, err error) {
	first, ok := d.readAlignedOctet()
	if !ok {
		return 0, false, d.alignedUintError(1, context)
	}
	switch {
	case first&0x80 == 0:
		return int(first), false, nil
	case first&0xC0 == 0x80:
		second, ok := d.readAlignedOctet()
		if !ok {
			return 0, false, d.alignedUintError(1, context)
		}
		return int(first&0x3F)<<8 | int(second), false, nil
	default:
		m := int(first & 0x3F)
		if m < 1 || m > 4 {
			return 0, false, d.errorf(ErrInvalid, context, "fragment multiplier not in 1..4")
		}
		return m * fragmentUnit, true, nil
	}
}

// ReadLength decodes a SEQUENCE OF count under s. Since every element takes at least one bit in
// any encoding this package produces for a non-empty type, a count above RemainingBits is refused
// before the caller allocates for it.
func (d *Decoder) ReadLength(s Size) (int, error) {
	extended, err := d.readSizeExt(s)
	if err != nil {
		return 0, err
	}
	var n int
	switch {
	case !extended && s.fixed() && s.bounded():
		n = s.Lb
	case !extended && s.bounded():
		span := uint64(s.Ub - s.Lb)
		u, ok := d.readSmallConstrained(span) // inline for the common small counts
		if !ok {
			u, err = d.readConstrained(span, "count")
		} else if u > span {
			err = d.aboveUpperBound("count")
		}
		if err != nil {
			return 0, err
		}
		n = s.Lb + int(u)
	default:
		var more bool
		n, more, err = d.readUnconstrainedLength("count")
		if err != nil {
			return 0, err
		}
		if more {
			return 0, d.errorf(ErrInvalid, "count", "fragmented counts are not supported")
		}
		if !extended && !s.inRoot(n) {
			return 0, d.errorf(ErrConstraint, "count", "count outside its constraint")
		}
	}
	if n < 0 {
		return 0, d.errorf(ErrInvalid, "count", "negative count (invalid size constraint)")
	}
	if n > d.RemainingBits() {
		return 0, d.errorf(ErrTruncated, "count", "more elements than bits left")
	}
	return n, nil
}

// writeFragmentHeader writes the next length determinant of X.691 10.9.3.8 for remaining units
// and returns how many units the caller writes after it. A block of 16K..64K units is not final;
// the final length (< 16K, possibly 0) is.
func (e *Encoder) writeFragmentHeader(remaining int) (chunk int, final bool) {
	if remaining >= fragmentUnit {
		m := min(remaining/fragmentUnit, 4)
		e.Align()
		e.buf = append(e.buf, 0xC0|byte(m))
		e.bits = len(e.buf) * 8
		return m * fragmentUnit, false
	}
	e.writeUnconstrainedLength(remaining)
	return remaining, true
}
