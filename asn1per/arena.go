package asn1per

// The decoder copies the octets of OCTET STRINGs, open types and decoded character strings into
// one growing arena per decoding instead of one heap object each: a message with a dozen strings
// then costs one allocation for all of them.
//
// Invariants that keep this safe:
//   - The arena only grows forward: bytes below len(d.arena) are never written again, so a string
//     made over them with unsafe.String stays immutable.
//   - Every slice handed out has its capacity cut to its length, so a caller appending to one
//     decoded []byte reallocates instead of writing into its neighbour.
//   - Character-string bytes are never handed out as []byte, only as strings.
//   - Reset drops the arena, so values decoded from earlier inputs keep theirs untouched.
//   - A sub-decoder (OpenTypeInto) takes the arena over and the parent forgets it; CloseOpenType
//     hands it back. Without CloseOpenType the parent starts a new arena, which is merely slower.

// minArena is the smallest arena chunk, so that tiny inputs do not allocate many tiny chunks.
const minArena = 64

// scratch returns room for n bytes at the arena's end: a zero-length slice of capacity n. The
// bytes become the caller's only through keep.
func (d *Decoder) scratch(n int) []byte {
	free := cap(d.arena) - len(d.arena)
	if free < n {
		// Size a new chunk by what is left of the input, which bounds what can still be copied
		// out of it (character strings may widen up to three times; they then take a new chunk).
		d.arena = make([]byte, 0, max(n, minArena, (d.end-d.pos)/8))
	}
	l := len(d.arena)
	return d.arena[l : l : l+n]
}

// keep commits the first m bytes of the last scratch to the caller.
func (d *Decoder) keep(m int) { d.arena = d.arena[:len(d.arena)+m] }

// copyOut returns a copy of b in the arena, with capacity equal to its length (nil for nil).
func (d *Decoder) copyOut(b []byte) []byte {
	if b == nil {
		return nil
	}
	if len(b) == 0 {
		return []byte{}
	}
	out := append(d.scratch(len(b)), b...)
	d.keep(len(b))
	return out
}

// inScratch reports whether b starts at the arena's uncommitted end, i.e. was built in the last
// scratch without having been reallocated by append.
func (d *Decoder) inScratch(b []byte) bool {
	l := len(d.arena)
	return len(b) > 0 && l < cap(d.arena) && &b[0] == &d.arena[:l+1][l]
}

// arcScratch returns a zero-length slice with capacity n for the arcs of an OBJECT IDENTIFIER,
// from a second arena of the same kind (capacity cut to n, committed at once: OIDs are built in
// place and never shrink).
func (d *Decoder) arcScratch(n int) []uint32 {
	if cap(d.arcs)-len(d.arcs) < n {
		d.arcs = make([]uint32, 0, max(n, minArcs))
	}
	l := len(d.arcs)
	d.arcs = d.arcs[:l+n]
	return d.arcs[l : l : l+n]
}

// minArcs is the smallest arc arena: a typical H.225.0 message holds one or a few OIDs of about 6 arcs.
const minArcs = 16

// CloseOpenType returns the arenas of sub, a sub-decoder set up by OpenTypeInto whose decoding is
// complete, to d, so that later values share them. Calling it is optional but saves allocations.
func (d *Decoder) CloseOpenType(sub *Decoder) {
	d.arena, d.arcs = sub.arena, sub.arcs
	sub.arena, sub.arcs = nil, nil
}
