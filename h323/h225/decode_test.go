package h225

import (
	"errors"
	"testing"

	"github.com/callwake/callwake/asn1per"
)

// nestedParameter returns an EnumeratedParameter whose content nests depth levels deep.
func nestedParameter(depth int) EnumeratedParameter {
	p := EnumeratedParameter{Id: GenericIdentifier{Choice: GenericIdentifierStandard, Standard: 1}}
	for range depth {
		p = EnumeratedParameter{
			Id:      GenericIdentifier{Choice: GenericIdentifierStandard, Standard: 2},
			Content: &Content{Choice: ContentCompound, Compound: []EnumeratedParameter{p}},
		}
	}
	return p
}

func encodeValue(t *testing.T, v interface{ EncodePER(*asn1per.Encoder) error }) []byte {
	t.Helper()
	var e asn1per.Encoder
	e.Reset(nil)
	if err := v.EncodePER(&e); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), e.Finish()...)
}

func TestDecodeRejects(t *testing.T) {
	rrq := mustMarshal(t, sampleRRQ())
	// An unknown extension alternative of RasMessage whose open type is empty.
	var e asn1per.Encoder
	e.Reset(nil)
	if err := e.WriteChoiceIndex(25+40, 25, true); err != nil {
		t.Fatal(err)
	}
	e.Align()
	e.WriteBits(0, 8)
	emptyOpenType := append([]byte(nil), e.Finish()...)

	tests := []struct {
		name           string
		input          []byte
		want           error // nil: any error
		callSignalling bool  // an H323-UserInformation rather than a RasMessage
	}{
		{"empty", nil, asn1per.ErrTruncated, false},
		{"RRQ without its last octet", rrq[:len(rrq)-1], asn1per.ErrTruncated, false},
		{"RRQ cut in the middle", rrq[:len(rrq)/2], asn1per.ErrTruncated, false},
		{"trailing octets", append(append([]byte(nil), rrq...), 0, 0), errTrailing, false},
		{"empty open type", emptyOpenType, errEmptyOpenType, false},
		{"fuzz: empty raw extension", []byte("\x020\x100000000000000000H0200000000000000000000000000000000000000000000000000\x00a\x00a0000\x030\x00\x01000000000000000000"), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.callSignalling {
				_, err = UnmarshalH323UserInformation(tc.input)
			} else {
				_, err = UnmarshalRasMessage(tc.input)
			}
			if err == nil {
				t.Fatal("decoded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeEveryPrefixFails(t *testing.T) {
	for _, msg := range []*RasMessage{sampleRRQ(), sampleRCF()} {
		b := mustMarshal(t, msg)
		for n := range len(b) {
			if _, err := UnmarshalRasMessage(b[:n]); err == nil {
				t.Errorf("%d-octet prefix of % x decoded", n, b)
			}
		}
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	tests := []struct {
		depth   int
		wantErr bool
	}{
		{10, false},
		{MaxDecodeDepth/2 - 2, false}, // two decode levels per nesting: parameter and content
		{MaxDecodeDepth, true},
		{1000, true},
	}
	for _, tc := range tests {
		b := encodeValue(t, ptr(nestedParameter(tc.depth)))
		var got EnumeratedParameter
		err := got.DecodePER(asn1per.NewDecoder(b))
		if (err != nil) != tc.wantErr {
			t.Errorf("depth %d: error %v, want error %v", tc.depth, err, tc.wantErr)
		}
		if tc.wantErr && !errors.Is(err, errTooDeep) {
			t.Errorf("depth %d: error %v, want errTooDeep", tc.depth, err)
		}
	}
}
