package asn1per

import "unsafe"

// The decoder copies the octets of OCTET STRINGs, open types, decoded character strings and the
// arcs of OBJECT IDENTIFIERs into one growing arena per decoding instead of one heap object each:
// a message with a dozen strings then costs one allocation for all of them.
//
// Invariants that keep this safe:
//   - The arena only grows forward: bytes below len(d.arena) are never written again, so a string
//     made over them with unsafe.String stays immutable.
//   - Every slice handed out has its capacity cut to its length, so a caller appending to one
//     decoded []byte reallocates instead of writing into its neighbour.
//   - Character-string bytes are never handed out as []byte, only as strings.
//   - Reset drops the arena, so values decoded from earlier inputs keep theirs untouched.
//     ResetReuse is the one exception, for callers that opt in: it rewinds the arena, so strings
//     and slices decoded before it are overwritten by the next decoding.
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

// copyOut returns a copy of b in the arena, with capacity equal to its length (nil for nil),
// charged to the budget; ok false means the budget does not cover it.
func (d *Decoder) copyOut(b []byte) (out []byte, ok bool) {
	if b == nil {
		return nil, true
	}
	if len(b) == 0 {
		return []byte{}, true
	}
	if !d.charge(len(b)) {
		return nil, false
	}
	out = append(d.scratch(len(b)), b...)
	d.keep(len(b))
	return out, true
}

// copyAligned aligns and returns a copy of the next n octets in the arena: alignedSlice and
// copyOut in one step, for the octet strings nearly every message holds.
func (d *Decoder) copyAligned(n int, context string) ([]byte, error) {
	i, ok := d.alignedOctets(n)
	if !ok {
		return nil, d.alignedSliceError(context)
	}
	if !d.charge(n) {
		return nil, d.overBudget(context, n)
	}
	out := d.scratch(n)[:n]
	copy(out, d.buf[i:i+n])
	d.keep(n)
	return out, nil
}

// inScratch reports whether b starts at the arena's uncommitted end, i.e. was built in the last
// scratch without having been reallocated by append.
func (d *Decoder) inScratch(b []byte) bool {
	l := len(d.arena)
	return len(b) > 0 && l < cap(d.arena) && &b[0] == &d.arena[:l+1][l]
}

// arcScratch returns a zero-length slice with capacity n for the arcs of an OBJECT IDENTIFIER,
// carved (4-byte aligned, committed at once: OIDs are built in place and never shrink) out of
// the same arena as the octets. A separate []uint32 arena cost one more allocation per message
// for the one protocol identifier nearly every H.225.0 message holds. Sharing is sound because
// uint32 holds no pointers, so the garbage collector needs no other type information for the
// arena's bytes, and because the arcs' bytes, like every committed byte, belong to one value.
// The caller charges the n*4+3 bytes.
func (d *Decoder) arcScratch(n int) []uint32 {
	b := d.scratch(n*4 + 3) // room for the arcs wherever the 4-byte boundary falls
	pad := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b[:1]))) & 3)
	arcs := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(b[pad:pad+1]))), n)
	d.keep(pad + n*4)
	return arcs[:0:n]
}

// CloseOpenType returns the arena of sub, a sub-decoder set up by OpenTypeInto whose decoding is
// complete, to d, so that later values share them, and with it what is left of the allocation
// budget. Without it, d's budget does not count what sub allocated.
func (d *Decoder) CloseOpenType(sub *Decoder) {
	d.arena = sub.arena
	sub.arena = nil
	d.budget = min(d.budget, sub.budget)
}

// ResetReuse is Reset for a decoding loop that does not keep what it decoded before: it rewinds
// the arena to its start instead of dropping it, so a steady stream of inputs decodes without
// allocating arena chunks. Every string, []byte and ObjectIdentifier decoded with d before the
// call may change afterwards: callers must have copied out what they keep.
func (d *Decoder) ResetReuse(b []byte) {
	arena := d.arena
	d.Reset(b)
	// Decoded octets, strings (widened at most threefold) and arcs rarely exceed four times the
	// input; sizing the chunk so keeps a later decoding of a similar input in one chunk.
	if want := 4*len(b) + minArena; cap(arena) < want {
		arena = make([]byte, 0, want)
	}
	d.arena = arena[:0]
}
