package asn1per

// RawExtension is an extension addition (SEQUENCE) or alternative (CHOICE) the Go types do not
// model: its index among the additions (0 = first after "...") and its complete open-type
// contents, kept so that it can be re-encoded unchanged with WriteOpenType(raw.Data).
type RawExtension struct {
	Index int
	Data  []byte
}

// WriteOpenType writes b, a complete encoding, as an open type (X.691 10.2): an unconstrained
// length determinant (fragmented from 16K octets on) and the octets. An empty b is written as
// the one-octet complete encoding 0x00 (X.691 10.1.3).
func (e *Encoder) WriteOpenType(b []byte) error {
	if len(b) == 0 {
		e.writeUnconstrainedLength(1)
		e.buf = append(e.buf, 0)
		e.bits += 8
		return nil
	}
	e.writeFragmentedOctets(b)
	return nil
}

// BeginOpenType starts encoding a value in place as an open type: it aligns and returns a mark
// to pass to EndOpenType after the value has been written.
func (e *Encoder) BeginOpenType() int {
	e.Align()
	return len(e.buf)
}

// EndOpenType closes the open type begun at mark: it pads the value to an octet (an empty value
// becomes 0x00), then makes room for the length determinant(s) by shifting the value's octets
// right, so that no scratch buffer is needed.
func (e *Encoder) EndOpenType(mark int) error {
	if mark < 0 || mark > len(e.buf) || mark*8 > e.bits {
		return e.errorf(ErrInvalid, "open type", "mark does not belong to this encoding")
	}
	e.Align()
	if len(e.buf) == mark {
		e.buf = append(e.buf, 0)
	}
	n := len(e.buf) - mark
	// Layout per X.691 10.9.3.8: full 64K blocks, then at most one block of 16K..48K, then a
	// final length of the remainder (< 16K, possibly 0) in one or two octets.
	full := n / maxFragmentUnits
	partial := (n % maxFragmentUnits) / fragmentUnit * fragmentUnit
	remainder := n % fragmentUnit
	blocks := full
	if partial > 0 {
		blocks++
	}
	finalHeader := 1
	if remainder >= 128 {
		finalHeader = 2
	}
	header := blocks + finalHeader
	for range header {
		e.buf = append(e.buf, 0)
	}
	e.bits = len(e.buf) * 8
	// Move segments from the last to the first: each moves right by the number of header octets
	// in front of it, which never decreases, so a later segment is never overwritten.
	dst := len(e.buf)
	src := mark + n
	// final remainder
	dst -= remainder
	src -= remainder
	copy(e.buf[dst:dst+remainder], e.buf[src:src+remainder])
	dst -= finalHeader
	if finalHeader == 1 {
		e.buf[dst] = byte(remainder)
	} else {
		e.buf[dst] = 0x80 | byte(remainder>>8)
		e.buf[dst+1] = byte(remainder)
	}
	if partial > 0 {
		dst -= partial
		src -= partial
		copy(e.buf[dst:dst+partial], e.buf[src:src+partial])
		dst--
		e.buf[dst] = 0xC0 | byte(partial/fragmentUnit)
	}
	for range full {
		dst -= maxFragmentUnits
		src -= maxFragmentUnits
		copy(e.buf[dst:dst+maxFragmentUnits], e.buf[src:src+maxFragmentUnits])
		dst--
		e.buf[dst] = 0xC4
	}
	return nil
}

// ReadOpenType reads an open type's octets (copied).
func (d *Decoder) ReadOpenType() ([]byte, error) {
	return d.readFragmentedOctets("open type", true)
}

// SkipOpenType steps over an open type without copying it.
func (d *Decoder) SkipOpenType() error {
	_, err := d.readFragmentedOctets("open type", false)
	return err
}

// OpenType returns a sub-decoder over the next open type's octets, without copying them unless
// the open type is fragmented; the outer decoder is positioned after the open type.
func (d *Decoder) OpenType() (*Decoder, error) {
	sub := &Decoder{}
	if err := d.OpenTypeInto(sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// OpenTypeInto is OpenType without allocating the sub-decoder: sub is reset over the open type.
func (d *Decoder) OpenTypeInto(sub *Decoder) error {
	if err := d.Align(); err != nil {
		return err
	}
	b, err := d.readFragmentedOctets("open type", false)
	if err != nil {
		return err
	}
	sub.Reset(b)
	// The sub-decoder continues the arena; d forgets it until CloseOpenType so that the two never
	// write the same bytes. It spends the budget of the whole input, which CloseOpenType hands
	// back.
	sub.arena, d.arena = d.arena, nil
	sub.budget = d.budget
	// Offsets inside the open type are reported from the outermost input (exact unless the
	// open type was fragmented, where it is only indicative).
	sub.base = d.base + d.pos - len(b)*8
	return nil
}

// OpenTypeWindow is what EnterOpenType saves of the enclosing decoding, for LeaveOpenType.
type OpenTypeWindow struct {
	end   int    // the enclosing end, in bits
	after int    // the position after the open type, in bits
	buf   []byte // the enclosing input, when a fragmented open type is read from a copy
	base  int    // the enclosing base, restored with buf
}

// EnterOpenType narrows d to the next open type's octets, so that its contents decode with d
// itself: no sub-decoder to set up and no arena to hand over, which is what an extension
// addition costs most (an RRQ carries three). Reads inside the window cannot pass its end.
// LeaveOpenType(w) then puts d after the open type, whatever the contents left unread. Only a
// fragmented open type (64K octets and more) is copied, to read it contiguously.
func (d *Decoder) EnterOpenType() (OpenTypeWindow, error) {
	start := (d.pos + 7) &^ 7
	n, more, err := d.readUnconstrainedLength("open type")
	if err != nil {
		return OpenTypeWindow{}, err
	}
	if !more {
		p := d.pos
		if uint(n) > uint(d.end-p)/8 {
			return OpenTypeWindow{}, d.errorf(ErrTruncated, "open type", "")
		}
		w := OpenTypeWindow{end: d.end, after: p + n*8}
		d.end = w.after
		return w, nil
	}
	d.pos = start
	b, err := d.readFragmentedOctets("open type", false) // a fragmented result is a copy
	if err != nil {
		return OpenTypeWindow{}, err
	}
	w := OpenTypeWindow{end: d.end, after: d.pos, buf: d.buf, base: d.base}
	// Offsets inside a fragmented open type are reported from its start: only indicative.
	d.buf, d.pos, d.end, d.base = b, 0, len(b)*8, d.base+start
	return w, nil
}

// LeaveOpenType ends the window EnterOpenType opened: d continues after the open type.
func (d *Decoder) LeaveOpenType(w OpenTypeWindow) {
	if w.buf != nil {
		d.buf, d.base = w.buf, w.base
	}
	d.pos, d.end = w.after, w.end
}
