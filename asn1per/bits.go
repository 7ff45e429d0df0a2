package asn1per

import "encoding/binary"

// Encoder appends an aligned-PER encoding to a byte buffer, bit by bit.
// The zero value is ready to use; Reset reuses a caller's storage so that steady-state
// encoding does not allocate. After a method returns an error the encoding is incomplete and
// must be discarded (Reset).
type Encoder struct {
	buf  []byte // octets written so far; the last one may be partial
	bits int    // number of bits written
}

// Reset starts a new encoding that reuses buf's storage (buf[:0]).
func (e *Encoder) Reset(buf []byte) {
	e.buf = buf[:0]
	e.bits = 0
}

// BitLen is the number of bits written so far.
func (e *Encoder) BitLen() int { return e.bits }

// Finish completes the encoding: it pads to a whole octet, and turns an empty encoding into
// the single octet 0x00 (X.691 10.1.3: a complete encoding is never empty).
// The result aliases the encoder's buffer.
func (e *Encoder) Finish() []byte {
	e.Align()
	if len(e.buf) == 0 {
		e.buf = append(e.buf, 0)
		e.bits = 8
	}
	return e.buf
}

// WriteBit appends one bit.
func (e *Encoder) WriteBit(b bool) {
	if e.bits&7 == 0 {
		e.buf = append(e.buf, 0)
	}
	if b {
		e.buf[len(e.buf)-1] |= 0x80 >> uint(e.bits&7)
	}
	e.bits++
}

// WriteBool encodes a BOOLEAN (X.691 11: one bit).
func (e *Encoder) WriteBool(b bool) { e.WriteBit(b) }

// WriteNull encodes a NULL, which has no bits (X.691 17).
func (e *Encoder) WriteNull() {}

// WriteBits appends the n (<= 64) low-order bits of v, most significant first.
func (e *Encoder) WriteBits(v uint64, n int) {
	if n <= 0 {
		return
	}
	if n < 64 {
		v &= 1<<uint(n) - 1
	}
	e.bits += n
	free := (8 - (e.bits-n)&7) & 7 // unused low bits of the last octet
	if n <= free {
		e.buf[len(e.buf)-1] |= byte(v << uint(free-n))
		return
	}
	if free > 0 {
		n -= free
		e.buf[len(e.buf)-1] |= byte(v >> uint(n))
	}
	for n >= 8 {
		n -= 8
		e.buf = append(e.buf, byte(v>>uint(n)))
	}
	if n > 0 {
		e.buf = append(e.buf, byte(v<<uint(8-n)))
	}
}

// Align pads with zero bits up to the next octet boundary.
func (e *Encoder) Align() {
	e.bits = len(e.buf) * 8
}

// writeAlignedBytes aligns and appends whole octets.
func (e *Encoder) writeAlignedBytes(b []byte) {
	e.buf = append(e.buf, b...)
	e.bits = len(e.buf) * 8
}

// writeUint writes v as n whole octets, big-endian (after aligning).
func (e *Encoder) writeAlignedUint(v uint64, octets int) {
	e.Align()
	for i := octets - 1; i >= 0; i-- {
		e.buf = append(e.buf, byte(v>>(8*uint(i))))
	}
	e.bits = len(e.buf) * 8
}

func (e *Encoder) errorf(sentinel error, context, detail string) error {
	return newError(sentinel, e.bits, context, detail)
}

// Decoder reads an aligned-PER encoding bit by bit. It never panics on bad input.
type Decoder struct {
	buf  []byte
	pos  int // bit position in buf
	end  int // number of bits in buf
	base int // bit offset of buf[0] in the outermost input, for error reports

	arena []byte // storage for copied-out octets, strings and OID arcs (see arena.go)

	budget int // bytes the decoding may still allocate (see budget.go)
}

// NewDecoder returns a decoder over b (not copied).
func NewDecoder(b []byte) *Decoder {
	d := &Decoder{}
	d.Reset(b)
	return d
}

// Reset starts decoding b from its first bit.
func (d *Decoder) Reset(b []byte) {
	d.buf = b
	d.pos = 0
	d.end = len(b) * 8
	d.base = 0
	d.arena = nil
	d.budget = budgetFor(len(b))
}

// RemainingBits is the number of unread bits.
func (d *Decoder) RemainingBits() int { return d.end - d.pos }

// Offset is the current bit position (from the start of the outermost input).
func (d *Decoder) Offset() int { return d.base + d.pos }

func (d *Decoder) errorf(sentinel error, context, detail string) error {
	return newError(sentinel, d.base+d.pos, context, detail)
}

// ReadBit reads one bit. Small enough to be inlined into generated decoders.
func (d *Decoder) ReadBit() (bool, error) {
	if p := d.pos; p < d.end {
		d.pos++
		return d.buf[p>>3]&(0x80>>(p&7)) != 0, nil
	}
	return false, d.truncated()
}

// truncated is the out-of-line error path of ReadBit.
//
//go:noinline
func (d *Decoder) truncated() error { return d.errorf(ErrTruncated, "bit", "") }

// ReadBool decodes a BOOLEAN.
func (d *Decoder) ReadBool() (bool, error) { return d.ReadBit() }

// ReadBits reads n (0..64) bits, most significant first.
func (d *Decoder) ReadBits(n int) (uint64, error) {
	if v, ok := d.readBitsFast(n); ok {
		return v, nil
	}
	return d.readBitsSlow(n)
}

// readBitsFast reads n (0..57) bits with one unaligned 64-bit load when 8 octets remain from the
// current one; ok false leaves the decoder unchanged for readBitsSlow. It makes no call, so it
// inlines into the package's own hot paths.
func (d *Decoder) readBitsFast(n int) (v uint64, ok bool) {
	p := d.pos
	i := p >> 3
	if uint(n) > 57 || n > d.end-p || uint(i)+8 > uint(len(d.buf)) {
		return 0, false
	}
	w := binary.BigEndian.Uint64(d.buf[i:])
	d.pos = p + n
	return w << uint(p&7) >> (64 - uint(n)), true
}

func (d *Decoder) readBitsSlow(n int) (uint64, error) {
	if n < 0 || n > 64 || n > d.end-d.pos {
		return 0, d.bitsError(n)
	}
	var v uint64
	pos := d.pos
	for n > 0 {
		avail := 8 - pos&7
		take := min(avail, n)
		chunk := uint64(d.buf[pos>>3]>>uint(avail-take)) & (1<<uint(take) - 1)
		v = v<<uint(take) | chunk
		n -= take
		pos += take
	}
	d.pos = pos
	return v, nil
}

func (d *Decoder) bitsError(n int) error {
	if n < 0 || n > 64 {
		return d.errorf(ErrInvalid, "bits", "field width out of 0..64")
	}
	return d.errorf(ErrTruncated, "bits", "")
}

// Align skips to the next octet boundary; the padding bits are not checked
// (X.691 leaves them to be ignored by a decoder).
func (d *Decoder) Align() error {
	if d.pos&7 == 0 {
		return nil // already aligned: the common case, kept inlinable
	}
	return d.alignSlow()
}

func (d *Decoder) alignSlow() error {
	p := (d.pos + 7) &^ 7
	if p > d.end {
		return d.errorf(ErrTruncated, "alignment", "")
	}
	d.pos = p
	return nil
}

// readAlignedUint aligns and reads n whole octets as a big-endian unsigned number (n <= 8).
func (d *Decoder) readAlignedUint(octets int, context string) (uint64, error) {
	switch octets {
	case 1: // lengths and one-octet constrained whole numbers are the common case
		if v, ok := d.readAlignedOctet(); ok {
			return uint64(v), nil
		}
	case 2:
		if v, ok := d.readAligned16(); ok {
			return uint64(v), nil
		}
	default:
		p := (d.pos + 7) &^ 7
		if uint(octets-1) < 8 && p+octets*8 <= d.end && p>>3+8 <= len(d.buf) {
			// One 64-bit load when 8 octets remain; the octets beyond the number shift out.
			d.pos = p + octets*8
			return binary.BigEndian.Uint64(d.buf[p>>3:]) >> (64 - 8*uint(octets)), nil
		}
		if uint(octets) <= 8 && p+octets*8 <= d.end && p>>3+octets <= len(d.buf) {
			var v uint64
			for _, b := range d.buf[p>>3 : p>>3+octets] {
				v = v<<8 | uint64(b)
			}
			d.pos = p + octets*8
			return v, nil
		}
	}
	return 0, d.alignedUintError(octets, context)
}

// readAlignedOctet aligns and reads one octet; ok false (nothing consumed) when the input ends
// first. Call-free so that it inlines; the caller reports the error.
func (d *Decoder) readAlignedOctet() (v byte, ok bool) {
	p := (d.pos + 7) &^ 7
	i := p >> 3
	if p+8 > d.end || uint(i) >= uint(len(d.buf)) {
		return 0, false
	}
	d.pos = p + 8
	return d.buf[i], true
}

// readAligned16 is readAlignedOctet for a two-octet big-endian number.
func (d *Decoder) readAligned16() (v uint16, ok bool) {
	p := (d.pos + 7) &^ 7
	i := p >> 3
	if p+16 > d.end || uint(i)+2 > uint(len(d.buf)) {
		return 0, false
	}
	d.pos = p + 16
	return binary.BigEndian.Uint16(d.buf[i:]), true
}

// alignedUintError reports why readAlignedUint cannot read: alignment or the octets run past
// the input.
func (d *Decoder) alignedUintError(octets int, context string) error {
	if err := d.Align(); err != nil {
		return err
	}
	if uint(octets) > 8 {
		return d.errorf(ErrInvalid, context, "more than 8 octets")
	}
	return d.errorf(ErrTruncated, context, "")
}

// alignedSlice aligns and returns the next n octets without copying.
func (d *Decoder) alignedSlice(n int, context string) ([]byte, error) {
	i, ok := d.alignedOctets(n)
	if !ok {
		return nil, d.alignedSliceError(context)
	}
	return d.buf[i : i+n : i+n], nil
}

// alignedOctets aligns and steps over the next n octets, returning the index of the first in
// d.buf; ok false (nothing consumed) when the input ends first. Call-free, so it inlines.
func (d *Decoder) alignedOctets(n int) (i int, ok bool) {
	p := (d.pos + 7) &^ 7
	i = p >> 3
	if p > d.end || uint(n) > uint(d.end-p)/8 || uint(i)+uint(n) > uint(len(d.buf)) {
		return 0, false
	}
	d.pos = p + n*8
	return i, true
}

// alignedSliceError reports why alignedSlice cannot read: alignment or the octets run past the
// input.
func (d *Decoder) alignedSliceError(context string) error {
	if err := d.Align(); err != nil {
		return err
	}
	return d.errorf(ErrTruncated, context, "")
}

// ReadNull decodes a NULL, which has no bits; it exists for symmetry with WriteNull.
func (d *Decoder) ReadNull() error { return nil }
