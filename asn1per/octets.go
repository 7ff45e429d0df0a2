package asn1per

// WriteOctetString encodes an OCTET STRING under s (X.691 16): a fixed size of at most two octets
// is a plain bit-field, a fixed size below 64K is aligned without a length, anything else is a
// length determinant followed by aligned octets (fragmented from 16K octets on).
func (e *Encoder) WriteOctetString(b []byte, s Size) error {
	n := len(b)
	extended, err := e.writeSizeExt(n, s, "octet string")
	if err != nil {
		return err
	}
	if !extended && s.fixed() && s.bounded() {
		if n <= 2 {
			for _, c := range b {
				e.WriteBits(uint64(c), 8)
			}
		} else {
			e.writeAlignedBytes(b)
		}
		return nil
	}
	if !extended && s.bounded() {
		e.writeConstrained(uint64(n-s.Lb), uint64(s.Ub-s.Lb))
		if n > 0 {
			e.writeAlignedBytes(b)
		}
		return nil
	}
	e.writeFragmentedOctets(b)
	return nil
}

// writeFragmentedOctets writes unconstrained length determinant(s) and the octets.
func (e *Encoder) writeFragmentedOctets(b []byte) {
	for {
		chunk, final := e.writeFragmentHeader(len(b))
		e.writeAlignedBytes(b[:chunk])
		b = b[chunk:]
		if final {
			return
		}
	}
}

// ReadOctetString decodes an OCTET STRING under s into a new slice.
func (d *Decoder) ReadOctetString(s Size) ([]byte, error) {
	extended, err := d.readSizeExt(s)
	if err != nil {
		return nil, err
	}
	if !extended && s.fixed() && s.bounded() && s.Lb <= 2 {
		// Up to two octets of fixed size are a bit-field, not aligned (X.691 17.6).
		n := s.Lb
		if n*8 > d.RemainingBits() {
			return nil, d.errorf(ErrTruncated, "octet string", "")
		}
		if n == 0 {
			return []byte{}, nil
		}
		if !d.charge(n) {
			return nil, d.overBudget("octet string", n)
		}
		out := d.scratch(n)[:n]
		for i := range out {
			v, _ := d.ReadBits(8) // length checked above
			out[i] = byte(v)
		}
		d.keep(n)
		return out, nil
	}
	if !extended && s.bounded() {
		n := s.Lb
		if !s.fixed() {
			// The length is a constrained whole number; its common forms are read inline.
			span := uint64(s.Ub - s.Lb)
			var u uint64
			ok := false
			if span == 255 {
				var b byte
				b, ok = d.readAlignedOctet()
				u = uint64(b)
			} else if u, ok = d.readSmallConstrained(span); ok && u > span {
				return nil, d.aboveUpperBound("octet string length")
			}
			if !ok {
				if u, err = d.readConstrained(span, "octet string length"); err != nil {
					return nil, err
				}
			}
			n += int(u)
		}
		if n == 0 {
			return []byte{}, nil
		}
		return d.copyAligned(n, "octet string")
	}
	b, err := d.readFragmentedOctets("octet string", true)
	if err != nil {
		return nil, err
	}
	if !extended && !s.inRoot(len(b)) {
		return nil, d.errorf(ErrConstraint, "octet string", "size outside its constraint")
	}
	return b, nil
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// readFragmentedOctets reads unconstrained length determinant(s) and their octets. Without
// fragmentation and with copy false the result aliases the input.
func (d *Decoder) readFragmentedOctets(context string, copyOut bool) ([]byte, error) {
	n, more, err := d.readUnconstrainedLength(context)
	if err != nil {
		return nil, err
	}
	first, err := d.alignedSlice(n, context)
	if err != nil {
		return nil, err
	}
	if !more {
		if copyOut {
			out, ok := d.copyOut(first)
			if !ok {
				return nil, d.overBudget(context, n)
			}
			return out, nil
		}
		return first, nil
	}
	// A fragmented value is reassembled in a copy, charged as it grows.
	if !d.charge(n) {
		return nil, d.overBudget(context, n)
	}
	out := cloneBytes(first)
	for more {
		n, more, err = d.readUnconstrainedLength(context)
		if err != nil {
			return nil, err
		}
		chunk, err := d.alignedSlice(n, context) // bounded by the input before appending
		if err != nil {
			return nil, err
		}
		if grow, ok := d.chargeGrow(len(out), cap(out), n); !ok {
			return nil, d.overBudget(context, grow)
		}
		out = append(out, chunk...)
	}
	return out, nil
}

// WriteBitString encodes the first nbits bits of b (most significant bit of b[0] first) as a
// BIT STRING under s (X.691 15): fixed sizes up to 16 bits are a plain bit-field, fixed sizes
// below 64K bits are aligned without a length, anything else has a length in bits.
func (e *Encoder) WriteBitString(b []byte, nbits int, s Size) error {
	if nbits < 0 || nbits > len(b)*8 {
		return e.errorf(ErrInvalid, "bit string", "bit count does not match the data")
	}
	extended, err := e.writeSizeExt(nbits, s, "bit string")
	if err != nil {
		return err
	}
	if !extended && s.fixed() && s.bounded() {
		if nbits > 16 {
			e.Align()
		}
		e.writeBitsFrom(b, nbits)
		return nil
	}
	if !extended && s.bounded() {
		e.writeConstrained(uint64(nbits-s.Lb), uint64(s.Ub-s.Lb))
		if nbits > 0 {
			e.Align()
			e.writeBitsFrom(b, nbits)
		}
		return nil
	}
	for {
		chunk, final := e.writeFragmentHeader(nbits)
		e.writeBitsFrom(b, chunk)
		b = b[chunk/8:] // non-final chunks are whole octets
		nbits -= chunk
		if final {
			return nil
		}
	}
}

// writeBitsFrom writes the first nbits bits of b.
func (e *Encoder) writeBitsFrom(b []byte, nbits int) {
	whole := nbits / 8
	if e.bits&7 == 0 {
		e.writeAlignedBytes(b[:whole])
	} else {
		for _, c := range b[:whole] {
			e.WriteBits(uint64(c), 8)
		}
	}
	if rest := nbits & 7; rest > 0 {
		e.WriteBits(uint64(b[whole]>>(8-uint(rest))), rest)
	}
}

// ReadBitString decodes a BIT STRING under s; it returns the bits packed most significant first
// (unused trailing bits zero) and the bit count.
func (d *Decoder) ReadBitString(s Size) ([]byte, int, error) {
	extended, err := d.readSizeExt(s)
	if err != nil {
		return nil, 0, err
	}
	if !extended && s.fixed() && s.bounded() {
		if s.Lb > 16 {
			if err := d.Align(); err != nil {
				return nil, 0, err
			}
		}
		b, err := d.readBitsTo(nil, s.Lb)
		return b, s.Lb, err
	}
	if !extended && s.bounded() {
		u, err := d.readConstrained(uint64(s.Ub-s.Lb), "bit string length")
		if err != nil {
			return nil, 0, err
		}
		n := s.Lb + int(u)
		if n > 0 {
			if err := d.Align(); err != nil {
				return nil, 0, err
			}
		}
		b, err := d.readBitsTo(nil, n)
		return b, n, err
	}
	var out []byte
	total := 0
	for {
		n, more, err := d.readUnconstrainedLength("bit string length")
		if err != nil {
			return nil, 0, err
		}
		if out, err = d.readBitsTo(out, n); err != nil {
			return nil, 0, err
		}
		total += n
		if !more {
			break
		}
	}
	if !extended && !s.inRoot(total) {
		return nil, 0, d.errorf(ErrConstraint, "bit string", "size outside its constraint")
	}
	return out, total, nil
}

// readBitsTo appends n bits, packed, to dst (whose length must be whole octets).
func (d *Decoder) readBitsTo(dst []byte, n int) ([]byte, error) {
	if n > d.RemainingBits() {
		return nil, d.errorf(ErrTruncated, "bit string", "")
	}
	if grow, ok := d.chargeGrow(len(dst), cap(dst), (n+7)/8); !ok {
		return nil, d.overBudget("bit string", grow)
	}
	if dst == nil {
		dst = make([]byte, 0, (n+7)/8)
	}
	for n >= 8 {
		v, _ := d.ReadBits(8) // bounded above
		dst = append(dst, byte(v))
		n -= 8
	}
	if n > 0 {
		v, _ := d.ReadBits(n)
		dst = append(dst, byte(v<<(8-uint(n))))
	}
	return dst, nil
}
