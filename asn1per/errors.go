package asn1per

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error returned by this package is an *Error wrapping one of them.
var (
	// ErrTruncated: the input ends before the value does.
	ErrTruncated = errors.New("asn1per: truncated input")
	// ErrConstraint: a value lies outside a non-extensible PER-visible constraint.
	ErrConstraint = errors.New("asn1per: constraint violated")
	// ErrInvalid: the input or value cannot be a valid encoding (e.g. a malformed OID, a bad length form).
	ErrInvalid = errors.New("asn1per: invalid encoding")
	// ErrLimit: decoding the input would allocate more than its allocation budget (budget.go).
	ErrLimit = errors.New("asn1per: allocation budget of the input exceeded")
)

// Error reports where (bit offset from the start of the outermost buffer) and while reading or
// writing what an encoding or decoding failed.
type Error struct {
	Offset  int    // bit offset at which the problem was found
	Context string // what was being read or written, e.g. "constrained integer"
	Detail  string // optional specifics, e.g. "length 300 > ub 128"
	Err     error  // ErrTruncated, ErrConstraint, ErrInvalid or ErrLimit
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%v: %s at bit %d: %s", e.Err, e.Context, e.Offset, e.Detail)
	}
	return fmt.Sprintf("%v: %s at bit %d", e.Err, e.Context, e.Offset)
}

// Unwrap lets errors.Is match the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// newError is kept out of line so that the hot paths which call it stay inlinable.
//
//go:noinline
func newError(sentinel error, offset int, context, detail string) error {
	return &Error{Offset: offset, Context: context, Detail: detail, Err: sentinel}
}
