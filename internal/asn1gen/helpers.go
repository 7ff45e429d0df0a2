package main

// The helpers below are Go source text, not code of the generator: they are written verbatim
// after the generated types so that the generated package needs nothing but asn1per.

// runtimeHelpers are emitted once into the generated codec file.
const runtimeHelpers = `
// MaxDecodeDepth bounds the nesting of constructed values a decoder follows, so that a
// crafted input cannot exhaust the stack.
const MaxDecodeDepth = 64

var (
	errTooDeep            = errors.New("%PKG%: nesting deeper than MaxDecodeDepth")
	errNoAlternative      = errors.New("%PKG%: no CHOICE alternative selected")
	errMissingAlternative = errors.New("%PKG%: selected CHOICE alternative is nil")
	errRawKnown           = errors.New("%PKG%: raw extension index names a known alternative")
	errRawOrder           = errors.New("%PKG%: unknown extensions must be beyond the known additions and in increasing index order")
	errTrailing           = errors.New("%PKG%: octets after the encoded value")
	errEmptyOpenType      = errors.New("%PKG%: empty open type (X.691 requires at least one octet)")
)

// BitString is a BIT STRING value: BitLen bits, first bit in the most significant bit of
// Bytes[0]; unused trailing bits are zero. An empty value has nil Bytes.
type BitString struct {
	Bytes  []byte
	BitLen int
}

// FieldError locates an encoding or decoding error: Path is the ASN.1 component path.
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(where string, err error) error {
	if fe, ok := err.(*FieldError); ok {
		fe.Path = where + "." + fe.Path
		return fe
	}
	return &FieldError{Path: where, Err: err}
}

// extendZero returns s with one more element: spare capacity is used as it is (zero after make,
// or an element of an earlier decoding that decodePER overwrites and whose pointers it reuses),
// so a large element is not copied in with write barriers.
func extendZero[S ~[]E, E any](s S) S {
	if len(s) < cap(s) {
		return s[:len(s)+1]
	}
	var zero E
	return append(s, zero)
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nonNil[S ~[]E, E any](s, empty S) S {
	if s == nil {
		return empty
	}
	return s
}

// readRawOpenType reads an unknown extension's open type, which cannot be empty: an empty
// encoding is one zero octet (X.691 10.1.3), so a zero length would not re-encode unchanged.
func readRawOpenType(d *asn1per.Decoder) ([]byte, error) {
	data, err := d.ReadOpenType()
	if err == nil && len(data) == 0 {
		err = errEmptyOpenType
	}
	return data, err
}

// extensionCount returns how many extension presence bits to encode (0: no extension bit).
func extensionCount(known []bool, raw []asn1per.RawExtension, bitmapLen int) (int, error) {
	n := 0
	for i, p := range known {
		if p {
			n = i + 1
		}
	}
	last := len(known) - 1
	for _, x := range raw {
		if x.Index <= last {
			return 0, errRawOrder
		}
		last = x.Index
		n = x.Index + 1
	}
	if n == 0 && bitmapLen == 0 {
		return 0, nil
	}
	if bitmapLen == 0 {
		bitmapLen = len(known)
	}
	return max(n, bitmapLen), nil
}

// writeExtensionBitmap writes the count and presence bits of a SEQUENCE's extension additions.
func writeExtensionBitmap(e *asn1per.Encoder, n int, known []bool, raw []asn1per.RawExtension) error {
	e.WriteNormallySmall(uint64(n - 1))
	j := 0
	for i := 0; i < n; i++ {
		present := i < len(known) && known[i]
		if j < len(raw) && raw[j].Index == i {
			present = true
			j++
		}
		e.WriteBit(present)
	}
	return nil
}

// extensionBitmap is a decoded extension presence bitmap; up to 64 bits are kept without
// allocating.
type extensionBitmap struct {
	n     int
	small uint64
	big   []bool
	hi    int // 1 + index of the last present addition; 0 if none
}

func readExtensionBitmap(d *asn1per.Decoder) (extensionBitmap, error) {
	var bm extensionBitmap
	// The bitmap's length is a normally small number: a 0 bit and six bits when below 64.
	n, ok := d.TryIndex(7, 63)
	if !ok {
		var err error
		if n, err = d.ReadNormallySmall(); err != nil {
			return bm, err
		}
	}
	if n >= uint64(d.RemainingBits()) {
		return bm, asn1per.ErrTruncated
	}
	bm.n = int(n) + 1
	if bm.n <= 64 {
		if bm.small, ok = d.TryBits(bm.n); !ok {
			var err error
			if bm.small, err = d.ReadBits(bm.n); err != nil {
				return bm, err
			}
		}
		bm.small <<= 64 - bm.n
	} else {
		if err := d.Charge(bm.n); err != nil {
			return bm, err
		}
		bm.big = make([]bool, bm.n)
		for i := range bm.big {
			var err error
			if bm.big[i], err = d.ReadBool(); err != nil {
				return bm, err
			}
		}
	}
	if bm.big == nil {
		if bm.small != 0 {
			bm.hi = 64 - bits.TrailingZeros64(bm.small) // the last present addition, without a scan
		}
	} else {
		for i := bm.n - 1; i >= 0; i-- {
			if bm.big[i] {
				bm.hi = i + 1
				break
			}
		}
	}
	return bm, nil
}

// next returns the index of the first present addition at or after i, or -1.
func (bm *extensionBitmap) next(i int) int {
	if i >= bm.n {
		return -1
	}
	if bm.big != nil {
		for ; i < bm.n; i++ {
			if bm.big[i] {
				return i
			}
		}
		return -1
	}
	rest := bm.small << uint(i)
	if rest == 0 {
		return -1
	}
	return i + bits.LeadingZeros64(rest)
}

// countFrom returns how many additions at index i and after are present.
func (bm *extensionBitmap) countFrom(i int) int {
	if i >= bm.n {
		return 0
	}
	if bm.big == nil {
		return bits.OnesCount64(bm.small << uint(i))
	}
	n := 0
	for _, p := range bm.big[i:] {
		if p {
			n++
		}
	}
	return n
}

func (bm *extensionBitmap) has(i int) bool {
	if bm.big != nil {
		return bm.big[i]
	}
	return bm.small&(1<<(63-i)) != 0
}

// nonCanonical returns the bitmap length to remember for re-encoding: 0 when the encoder
// would choose the same length by itself.
func (bm *extensionBitmap) nonCanonical(known int) int {
	if bm.hi > 0 && bm.n == max(known, bm.hi) {
		return 0
	}
	return bm.n
}
`
