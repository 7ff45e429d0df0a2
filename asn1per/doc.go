// Package asn1per is a runtime for the ALIGNED variant of the Packed Encoding Rules (ITU-T X.691).
//
// It knows nothing of any particular ASN.1 module: generated code drives an Encoder or a Decoder
// primitive by primitive (integers, lengths, strings, open types…), passing the PER-visible
// constraints of each field as plain values (IntRange, Size, *CharSet).
//
// Design choices:
//   - Encoders append to a caller-supplied buffer (Reset) and do not allocate once it has
//     capacity; an open type is encoded in place (BeginOpenType/EndOpenType) and its length is
//     inserted afterwards by shifting the octets, so nested open types need no scratch buffers.
//   - Decoders never panic on bad input: every failure is an *Error carrying the bit offset and
//     what was being read, matching ErrTruncated, ErrConstraint or ErrInvalid with errors.Is.
//     Every allocation is checked against the input left before it is made, so a short input
//     cannot announce a huge length and make the decoder allocate for it.
//   - Allocation is bounded by the input: a decoding may allocate AllocFactor (16) bytes per input
//     octet plus AllocSlack (16 KiB) for the values it returns, charged before each allocation by
//     this package (copies) and by generated code (Charge, ChargeList: lists, optional parts,
//     alternatives, unknown extensions); what would overspend fails with ErrLimit (budget.go). A
//     decoded value therefore never holds more than 16 × len(input) + 16 KiB, and a decoding
//     allocates less than twice that in total (measured on inputs built to amplify).
//   - Decoded octet strings, character strings and OBJECT IDENTIFIER arcs are copied out of the
//     input into an arena owned by the decoding (see arena.go): one allocation serves all the
//     strings of a message, the input buffer is never retained, and Reset starts a fresh arena.
//   - No interfaces or reflection on the hot paths (bits, integers, choice indexes). Generated
//     decoders first try the call-free TryX readers (fast.go), which inline with the constraint
//     as constants, and fall back to the general ReadX readers only when TryX declines; a TryX
//     never accepts what its ReadX would refuse (checked by a differential test).
//   - An open type inside a value (an extension addition or alternative) is decoded in a window
//     of the same decoder (EnterOpenType/LeaveOpenType), not by a sub-decoder.
//
// Clause numbers in comments follow the 07/2002 edition of X.691.
package asn1per
