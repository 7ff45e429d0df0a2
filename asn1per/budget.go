package asn1per

import "strconv"

// Every decoding has an allocation budget proportional to its input: AllocFactor bytes per input
// octet plus AllocSlack. Whatever a decoding allocates for the values it returns is charged
// against it before it is allocated — by this package for the octets, strings and OID arcs it
// copies out, and by generated code (Charge, ChargeList) for every list, optional component,
// CHOICE alternative and unknown extension it makes room for. A decoding that would overspend
// fails with ErrLimit instead, so no input makes the decoder hold more than the budget: a list
// of 16,000 empty SEQUENCEs in 22 KB cannot become 4.7 MB of Go values.
//
// The budget counts bytes of the decoded values. What the Go runtime adds on top is bounded as
// well: the arena (arena.go) starts a new chunk only when a copy does not fit the current one, so
// its chunks add at most the size of the copies charged plus max(64, len(input)/8); a value
// allocated with new is rounded up to its size class (at most 1/8 more above 32 bytes).
// Measured against inputs built to amplify (alloc_test.go, h323/h225 budget_test.go), a decoding
// allocates less than 2 × (AllocFactor × len(input) + AllocSlack) in total.
//
// Messages from real stacks spend a small part of it: an H.225.0 RRQ of 200 octets holds about
// 3 KB, the slack alone.
const (
	// AllocFactor is the allocation budget per input octet, in bytes.
	AllocFactor = 16
	// AllocSlack is the allocation budget every decoding has whatever its size, in bytes: the
	// top-level structs of a message are larger than its shortest encodings.
	AllocSlack = 16 << 10
)

// maxBudget keeps budgetFor from overflowing on absurd lengths.
const maxBudget = 1 << 40

func budgetFor(n int) int {
	if n >= (maxBudget-AllocSlack)/AllocFactor {
		return maxBudget
	}
	return AllocFactor*n + AllocSlack
}

// Budget returns the bytes the decoding may still allocate.
func (d *Decoder) Budget() int { return d.budget }

// SetBudget replaces the remaining allocation budget, for callers that want a tighter (or, for
// trusted input, a larger) bound than the default of Reset.
func (d *Decoder) SetBudget(n int) { d.budget = max(n, 0) }

// Charge counts n bytes, about to be allocated for a decoded value, against the budget; it fails
// with ErrLimit (and charges nothing) when the budget does not cover them.
func (d *Decoder) Charge(n int) error {
	if uint(n) <= uint(d.budget) {
		d.budget -= n
		return nil
	}
	return d.overBudget("allocation", n)
}

// ChargeList charges count elements of size bytes each: the storage of a SEQUENCE OF.
func (d *Decoder) ChargeList(count, size int) error {
	if count <= 0 || size <= 0 {
		return nil
	}
	if uint(count) <= uint(d.budget/size) {
		d.budget -= count * size
		return nil
	}
	return d.overBudget("list", count*size)
}

// charge is Charge for this package's own copies: ok false means over budget.
func (d *Decoder) charge(n int) bool {
	if uint(n) <= uint(d.budget) {
		d.budget -= n
		return true
	}
	return false
}

// chargeGrow charges the growth of a slice of length have and capacity capacity by add more
// elements (bytes): nothing when it fits, else the new storage append allocates (at most twice
// the new length).
func (d *Decoder) chargeGrow(have, capacity, add int) (bytes int, ok bool) {
	if capacity-have >= add {
		return 0, true
	}
	bytes = 2 * (have + add)
	return bytes, d.charge(bytes)
}

//go:noinline
func (d *Decoder) overBudget(context string, n int) error {
	return d.errorf(ErrLimit, context, "needs "+strconv.Itoa(n)+" bytes, "+strconv.Itoa(d.budget)+" left of the input's budget")
}
