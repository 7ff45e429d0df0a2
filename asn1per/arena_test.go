package asn1per

import (
	"bytes"
	"testing"
)

// TestArenaIsolation checks the invariants arena.go relies on: values decoded into the shared
// arena do not see each other's changes, later decoding (also through open types, with or
// without CloseOpenType) never rewrites earlier values, and the input is not retained.
func TestArenaIsolation(t *testing.T) {
	bmp := NewCharSet(BMPString, "")
	ia5 := NewCharSet(IA5String, "")
	unbounded := Size{Ub: -1}
	tests := []struct {
		name  string
		close bool // return the sub-decoder's arena with CloseOpenType
	}{
		{"closed open type", true},
		{"open type left open", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			must(t, e.WriteOctetString([]byte("first"), unbounded))
			must(t, e.WriteString("näme", bmp, unbounded))
			must(t, e.WriteOctetString([]byte("second"), unbounded))
			mark := e.BeginOpenType()
			must(t, e.WriteString("inner", ia5, unbounded))
			must(t, e.EndOpenType(mark))
			must(t, e.WriteOID(ObjectIdentifier{0, 0, 8, 2250, 0, 7}))
			must(t, e.WriteString("last", ia5, unbounded))
			input := append([]byte(nil), e.Finish()...)

			var d Decoder
			d.Reset(input)
			first := mustValue(d.ReadOctetString(unbounded))(t)
			name := mustValue(d.ReadString(bmp, unbounded))(t)
			second := mustValue(d.ReadOctetString(unbounded))(t)
			var sub Decoder
			must(t, d.OpenTypeInto(&sub))
			inner := mustValue(sub.ReadString(ia5, unbounded))(t)
			if tc.close {
				d.CloseOpenType(&sub)
			}
			oid := mustValue(d.ReadOID())(t)
			last := mustValue(d.ReadString(ia5, unbounded))(t)

			// Appending to one decoded slice must not write into its neighbour.
			first = append(first, "XXXXXXXX"...)
			oid = append(oid, 99, 99)
			for i := range input {
				input[i] = 0xFF // the decoded values must not alias the input
			}
			if !bytes.Equal(first[:5], []byte("first")) || !bytes.Equal(second, []byte("second")) {
				t.Errorf("octet strings changed: %q %q", first, second)
			}
			if name != "näme" || inner != "inner" || last != "last" {
				t.Errorf("strings changed: %q %q %q", name, inner, last)
			}
			if !oid[:6].Equal(ObjectIdentifier{0, 0, 8, 2250, 0, 7}) {
				t.Errorf("object identifier changed: %v", oid)
			}
		})
	}
}

// TestOIDArcsShareTheArena checks that OBJECT IDENTIFIER arcs carved out of the octet arena are
// aligned whatever the octets before them, cost no allocation of their own, and that writing to
// them in place leaves the neighbouring strings alone.
func TestOIDArcsShareTheArena(t *testing.T) {
	ia5 := NewCharSet(IA5String, "")
	unbounded := Size{Ub: -1}
	h2250v7 := ObjectIdentifier{0, 0, 8, 2250, 0, 7}
	tests := []struct {
		name   string
		before string // decoded just before the OID, shifting where its arcs start
	}{
		{"after 1 octet", "a"},
		{"after 2 octets", "ab"},
		{"after 3 octets", "abc"},
		{"after 4 octets", "abcd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			must(t, e.WriteString(tc.before, ia5, unbounded))
			must(t, e.WriteOID(h2250v7))
			must(t, e.WriteString("after", ia5, unbounded))
			input := append([]byte(nil), e.Finish()...)

			var d Decoder
			var before, after string
			var oid ObjectIdentifier
			decode := func() {
				d.Reset(input)
				before = mustValue(d.ReadString(ia5, unbounded))(t)
				oid = mustValue(d.ReadOID())(t)
				after = mustValue(d.ReadString(ia5, unbounded))(t)
			}
			if allocs := testing.AllocsPerRun(20, decode); allocs != 1 {
				t.Errorf("decoding two strings and an OID allocates %v times, want 1 (one arena)", allocs)
			}
			if !oid.Equal(h2250v7) || cap(oid) != len(oid) {
				t.Fatalf("oid = %v (cap %d), want %v with capacity cut", oid, cap(oid), h2250v7)
			}
			for i := range oid {
				oid[i] = 0xFFFFFFFF
			}
			if before != tc.before || after != "after" {
				t.Errorf("strings changed by writing the arcs: %q %q", before, after)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustValue[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestResetReuse checks the opt-in reuse of the arena: a decoding after ResetReuse gives the
// right values without allocating, and writes where the previous decoding's values lay (the
// documented price), while Reset keeps them.
func TestResetReuse(t *testing.T) {
	ia5 := NewCharSet(IA5String, "")
	unbounded := Size{Ub: -1}
	encode := func(octets, text string) []byte {
		var e Encoder
		must(t, e.WriteOctetString([]byte(octets), unbounded))
		must(t, e.WriteString(text, ia5, unbounded))
		return append([]byte(nil), e.Finish()...)
	}
	first, second := encode("abcd", "alice"), encode("wxyz", "bobby")
	tests := []struct {
		name      string
		reset     func(d *Decoder, b []byte)
		wantAlias bool // the earlier octets change with the later decoding
	}{
		{"Reset", (*Decoder).Reset, false},
		{"ResetReuse", (*Decoder).ResetReuse, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			decode := func(b []byte) ([]byte, string) {
				tc.reset(&d, b)
				o := mustValue(d.ReadOctetString(unbounded))(t)
				s := mustValue(d.ReadString(ia5, unbounded))(t)
				return o, s
			}
			earlier, _ := decode(first)
			o, s := decode(second)
			if string(o) != "wxyz" || s != "bobby" {
				t.Fatalf("decoded %q %q", o, s)
			}
			if changed := string(earlier) != "abcd"; changed != tc.wantAlias {
				t.Errorf("earlier octets %q: changed %v, want %v", earlier, changed, tc.wantAlias)
			}
			if tc.wantAlias {
				allocs := testing.AllocsPerRun(100, func() { decode(first) })
				if allocs != 0 {
					t.Errorf("%v allocations per reused decoding, want 0", allocs)
				}
			}
		})
	}
}
