package main

import (
	"fmt"
	"strings"
)

// The generated test file holds a random-valid-value constructor per type (every constraint
// respected: sizes, alphabets, ranges, extension alternatives) and a round-trip test over
// all generated types.

func (g *emitter) testParts() []string {
	g.b.Reset()
	var parts []string
	alphabets := map[string]string{}
	var alphaOrder []string
	alpha := func(s *shape) string {
		key := s.strKind + "\x00" + s.from
		if v, ok := alphabets[key]; ok {
			return v
		}
		name := fmt.Sprintf("alphabet%d", len(alphaOrder))
		alphabets[key] = name
		alphaOrder = append(alphaOrder, key)
		return name
	}
	var rnd func(s *shape) string
	rnd = func(s *shape) string {
		switch s.kind {
		case kNamed:
			ent := s.ent
			for ent.shape.kind == kNamed { // a Go alias: same type as its target
				ent = ent.shape.ent
			}
			return fmt.Sprintf("random%s(r, depth+1)", ent.goName)
		case kInteger:
			return fmt.Sprintf("randomInteger(r, %s)", rangeLit(s.rng))
		case kBoolean:
			return "r.IntN(2) == 1"
		case kString:
			return fmt.Sprintf("randomString(r, %s, %s)", alpha(s), sizeLit(s.size))
		case kOctetString:
			return fmt.Sprintf("randomOctets(r, %s)", sizeLit(s.size))
		case kBitString:
			return fmt.Sprintf("randomBits(r, %s)", sizeLit(s.size))
		case kOID:
			return "randomOID(r)"
		case kSequenceOf:
			t := g.goType(s)
			return fmt.Sprintf("func() %s {\nn := randomCount(r, %s, depth)\nif n == 0 { return nil }\ns := make(%s, n)\nfor i := range s { s[i] = %s }\nreturn s\n}()", t, sizeLit(s.size), t, rnd(s.elem))
		}
		panic(fmt.Sprintf("rnd of kind %d", s.kind))
	}
	var cases []string
	for _, e := range g.m.entities {
		s := e.shape
		if s.kind == kNamed {
			continue
		}
		cases = append(cases, e.goName)
		g.p("func random%s(r *rand.Rand, depth int) (v %s) {", e.goName, e.goName)
		switch s.kind {
		case kSequence:
			g.p("deep := depth > randomDepth\n_ = deep")
			nadds := 0
			for _, f := range s.fields {
				if f.extension {
					nadds++
				}
				if isNull(f.shape) && !f.optional {
					continue
				}
				if !f.optional {
					g.p("v.%s = %s", f.goName, rnd(f.shape))
					continue
				}
				var val string
				switch {
				case isNull(f.shape):
					val = "true"
				case nilable(f.shape):
					val = fmt.Sprintf("nonNil(%s, %s{})", rnd(f.shape), g.goType(f.shape))
				default:
					val = fmt.Sprintf("ptr(%s)", rnd(f.shape))
				}
				g.p("if !deep && r.IntN(2) == 0 { v.%s = %s }", f.goName, val)
			}
			if s.ext {
				g.p("if !deep && r.IntN(8) == 0 { v.Extensions = randomRawExtensions(r, %d) }", nadds)
			}
		case kChoice:
			n := len(s.fields)
			nroot := 0
			for _, f := range s.fields {
				if !f.extension {
					nroot++
				}
			}
			choices := n
			if s.ext {
				choices++
			}
			g.p("i := 0\nif depth <= randomDepth { i = r.IntN(%d) }\nswitch i {", choices)
			for i, f := range s.fields {
				g.p("case %d:\nv.Choice = %s%s", i, e.goName, f.goName)
				if !altField(f) {
					continue
				}
				if structLike(f.shape) {
					g.p("x := %s\nv.%s = &x", rnd(f.shape), f.goName)
				} else {
					g.p("v.%s = %s", f.goName, rnd(f.shape))
				}
			}
			if s.ext {
				g.p("default:\nraw := randomRawExtensions(r, %d)[0]\nv.%s = &raw", n-nroot, rawField(s))
			}
			g.p("}")
		case kEnumerated:
			g.p("v = %s(r.IntN(%d))", e.goName, len(s.items))
		case kOpenType:
			g.p("v.Value = %s", rnd(s.elem))
		case kNull:
		default:
			g.p("v = %s(%s)", e.goName, rnd(s))
		}
		g.p("return v\n}\n")
		parts = append(parts, g.take())
	}
	g.p("// roundTripCases lists every generated type with its random-value constructor.")
	g.p("var roundTripCases = []struct {\nname string\nnewCheck func() func(t *testing.T, r *rand.Rand)\n}{")
	for _, c := range cases {
		g.p("{%q, func() func(*testing.T, *rand.Rand) { return roundTrip(random%s) }},", c, c)
	}
	g.p("}\n")
	g.b.WriteString(testHelpers)
	g.p("var (")
	for _, key := range alphaOrder {
		kind, from, _ := strings.Cut(key, "\x00")
		if from == "" {
			from = defaultAlphabet[kind]
		}
		if from == "" {
			g.p("%s []rune // the whole Basic Multilingual Plane", alphabets[key])
		} else {
			g.p("%s = []rune(%q)", alphabets[key], from)
		}
	}
	g.p(")")
	return append(parts, g.take())
}

func init() {
	var ia5, visible []rune
	for c := rune(0); c < 128; c++ {
		ia5 = append(ia5, c)
		if c >= 32 && c < 127 {
			visible = append(visible, c)
		}
	}
	defaultAlphabet["IA5String"] = string(ia5)
	defaultAlphabet["VisibleString"] = string(visible)
	// Any octets are a valid GeneralString to the codec; random ones are graphic ASCII, which
	// every dissector shows as text.
	defaultAlphabet["GeneralString"] = string(visible)
}

var defaultAlphabet = map[string]string{
	"NumericString":   " 0123456789",
	"PrintableString": " '()+,-./0123456789:=?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
}

const testHelpers = `
// randomDepth is the nesting beyond which random values take no optional components, the
// shortest lists and the first alternative, so that recursive types stay finite.
const randomDepth = 6

// TestGeneratedRoundTrip checks, for every generated type, that 200 random valid values
// survive encode/decode unchanged and re-encode to the same octets, and that decoding each into
// the value that held the previous one (the reuse path) gives the same as a fresh decoding.
func TestGeneratedRoundTrip(t *testing.T) {
	for n, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(n), 0x4832_3235))
			check := tc.newCheck()
			for range 200 {
				check(t, r)
				if t.Failed() {
					return
				}
			}
		})
	}
}

type perCodec interface {
	EncodePER(e *asn1per.Encoder) error
	DecodePER(d *asn1per.Decoder) error
}

func checkRoundTrip(t *testing.T, v, fresh perCodec) {
	t.Helper()
	var e asn1per.Encoder
	e.Reset(nil)
	if err := v.EncodePER(&e); err != nil {
		t.Fatalf("encode %+v: %v", v, err)
	}
	b := append([]byte(nil), e.Finish()...)
	if err := fresh.DecodePER(asn1per.NewDecoder(b)); err != nil {
		t.Fatalf("decode % x: %v\nvalue %+v", b, err, v)
	}
	if !reflect.DeepEqual(v, fresh) {
		t.Fatalf("decoded value differs\nencoded % x\nwant %+v\ngot  %+v", b, v, fresh)
	}
	e.Reset(nil)
	if err := fresh.EncodePER(&e); err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if again := e.Finish(); !bytes.Equal(again, b) {
		t.Fatalf("re-encoding differs\nfirst  % x\nsecond % x", b, again)
	}
}

// reuseCodec is a generated type with its internal decoder, which the reuse path calls on a
// value that is not zero.
type reuseCodec interface {
	perCodec
	decodePER(d *asn1per.Decoder, depth int) error
}

// roundTrip returns a check of random values of one type that keeps, across calls, the value
// and decoder of the reuse path.
func roundTrip[T any, P interface {
	*T
	reuseCodec
}](random func(*rand.Rand, int) T) func(*testing.T, *rand.Rand) {
	var reused T
	var d asn1per.Decoder
	return func(t *testing.T, r *rand.Rand) {
		v := random(r, 0)
		checkRoundTrip(t, P(&v), P(new(T)))
		checkReuse(t, P(&v), P(&reused), &d)
	}
}

// checkReuse decodes the encoding of v into reused, which holds an earlier decoding, with d,
// whose arena the earlier decoding filled, and expects v.
func checkReuse(t *testing.T, v, reused reuseCodec, d *asn1per.Decoder) {
	t.Helper()
	var e asn1per.Encoder
	e.Reset(nil)
	if err := v.EncodePER(&e); err != nil {
		t.Fatalf("encode %+v: %v", v, err)
	}
	b := append([]byte(nil), e.Finish()...)
	d.ResetReuse(b)
	if err := reused.decodePER(d, 0); err != nil {
		t.Fatalf("reuse decode % x: %v\nvalue %+v", b, err, v)
	}
	if !reflect.DeepEqual(v, reused) {
		t.Fatalf("reuse decoding differs from the value\nencoded % x\nwant %+v\ngot  %+v", b, v, reused)
	}
}

func ptr[T any](v T) *T { return &v }

func randomInteger(r *rand.Rand, c asn1per.IntRange) int64 {
	switch {
	case c.HasLb && c.HasUb:
		if c.Ext && r.IntN(8) == 0 {
			return c.Ub + 1 + r.Int64N(1000)
		}
		return c.Lb + r.Int64N(c.Ub-c.Lb+1)
	case c.HasLb:
		return c.Lb + r.Int64N(1<<uint(r.IntN(40)+1))
	}
	v := r.Int64() >> uint(r.IntN(64))
	if r.IntN(2) == 0 {
		v = -v
	}
	return v
}

// randomCount picks a list or string length within s, short unless s demands more.
func randomCount(r *rand.Rand, s asn1per.Size, depth int) int {
	hi := s.Lb + 3
	if s.Ub >= 0 && s.Ub < hi {
		hi = s.Ub
	}
	if depth > randomDepth {
		hi = s.Lb
	}
	return s.Lb + r.IntN(hi-s.Lb+1)
}

func randomString(r *rand.Rand, alphabet []rune, s asn1per.Size) string {
	hi := s.Lb + 12
	if s.Ub >= 0 && s.Ub < hi {
		hi = s.Ub
	}
	n := s.Lb + r.IntN(hi-s.Lb+1)
	if s.Ub >= 0 && r.IntN(16) == 0 {
		n = s.Ub
	}
	rs := make([]rune, n)
	for i := range rs {
		if alphabet == nil {
			rs[i] = rune(0x20 + r.IntN(0xD800-0x20))
		} else {
			rs[i] = alphabet[r.IntN(len(alphabet))]
		}
	}
	return string(rs)
}

func randomOctets(r *rand.Rand, s asn1per.Size) []byte {
	n := randomCount(r, asn1per.Size{Lb: s.Lb, Ub: s.Ub}, 0)
	if r.IntN(4) == 0 {
		n = randomCount(r, asn1per.Size{Lb: s.Lb, Ub: min(s.Ub, s.Lb+40)}, 0)
		if s.Ub < 0 {
			n = s.Lb + r.IntN(40)
		}
	}
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func randomBits(r *rand.Rand, s asn1per.Size) BitString {
	hi := s.Lb + 40
	if s.Ub >= 0 && s.Ub < hi {
		hi = s.Ub
	}
	n := s.Lb + r.IntN(hi-s.Lb+1)
	if n == 0 {
		return BitString{}
	}
	b := make([]byte, (n+7)/8)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	if n%8 != 0 {
		b[len(b)-1] &= 0xFF << uint(8-n%8)
	}
	return BitString{Bytes: b, BitLen: n}
}

func randomOID(r *rand.Rand) asn1per.ObjectIdentifier {
	first := uint32(r.IntN(3))
	second := uint32(r.IntN(40))
	if first == 2 {
		second = uint32(r.IntN(1000))
	}
	oid := asn1per.ObjectIdentifier{first, second}
	for range r.IntN(6) {
		oid = append(oid, uint32(r.Int64N(1<<uint(r.IntN(32)+1))))
	}
	return oid
}

// randomRawExtensions returns one or two unknown extension additions beyond the known ones.
func randomRawExtensions(r *rand.Rand, known int) []asn1per.RawExtension {
	var out []asn1per.RawExtension
	idx := known + r.IntN(3)
	for range 1 + r.IntN(2) {
		data := make([]byte, 1+r.IntN(5))
		for i := range data {
			data[i] = byte(r.IntN(256))
		}
		out = append(out, asn1per.RawExtension{Index: idx, Data: data})
		idx += 1 + r.IntN(3)
	}
	return out
}
`
