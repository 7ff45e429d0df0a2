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
