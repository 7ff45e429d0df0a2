package h225

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/callwake/callwake/asn1per"
	"github.com/callwake/callwake/h323/q931"
)

// fuzzSeeds adds the capture's RAS payloads (when the shared folder is present) and our own
// encodings to a fuzz corpus.
func fuzzSeeds(f *testing.F, own ...[]byte) {
	for _, b := range own {
		f.Add(b)
	}
	p := filepath.Join("..", "..", "..", "shared", "captures", "ras-h235-register-unregister.pcapng")
	if _, err := os.Stat(p); err == nil {
		for _, b := range rasPayloads(f, p) {
			f.Add(b)
		}
	}
}

// fuzzGoldenVectors reads every vector of testdata/golden/<kind>/*.hex (hex
// digits; lines starting with '#' are comments), in file name order. The
// vectors are part of the repository, so a missing one fails the fuzz target.
func fuzzGoldenVectors(f testing.TB, kind string) [][]byte {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "golden", kind, "*.hex"))
	if err != nil {
		f.Fatal(err)
	}
	if len(paths) == 0 {
		f.Fatalf("no golden %s vectors", kind)
	}
	var vectors [][]byte
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var digits strings.Builder
		for _, line := range strings.Split(string(text), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				digits.WriteString(line)
			}
		}
		b, err := hex.DecodeString(digits.String())
		if err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		vectors = append(vectors, b)
	}
	return vectors
}

// fuzzGoldenUserUser returns the H323-UserInformation of every golden
// Q.931 vector that carries one: the User-user element's data after its
// protocol discriminator.
func fuzzGoldenUserUser(f testing.TB) [][]byte {
	f.Helper()
	var out [][]byte
	for _, v := range fuzzGoldenVectors(f, "q931") {
		msg, err := q931.Decode(v)
		if err != nil {
			f.Fatalf("golden Q.931 vector % x: %v", v[:min(len(v), 8)], err)
		}
		uu, err := msg.UserUser()
		if err != nil {
			f.Fatalf("golden Q.931 %s without a user-user element: %v", msg.Type, err)
		}
		out = append(out, uu.Data)
	}
	return out
}

// TestFuzzSeedsDecode: the golden seeds are valid messages, so the fuzzers
// start from inputs that reach deep into the decoders.
func TestFuzzSeedsDecode(t *testing.T) {
	tests := []struct {
		name   string
		seeds  [][]byte
		want   int // the vectors there are now; more may come
		decode func([]byte) error
	}{
		{"RasMessage", fuzzGoldenVectors(t, "ras"), 16, func(b []byte) error { _, err := UnmarshalRasMessage(b); return err }},
		{"H323UserInformation", fuzzGoldenUserUser(t), 12, func(b []byte) error { _, err := UnmarshalH323UserInformation(b); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.seeds) < tt.want {
				t.Errorf("%d golden seeds, want at least %d", len(tt.seeds), tt.want)
			}
			for i, b := range tt.seeds {
				if err := tt.decode(b); err != nil {
					t.Errorf("seed %d: %v", i, err)
				}
			}
		})
	}
}

func mustMarshal(tb testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// reuseDecoding is a value with the reuse path of the generated decoders.
type reuseDecoding interface {
	UnmarshalReuse(d *asn1per.Decoder, b []byte) error
}

// checkReuseDecoding decodes earlier and then b into reused with one decoder, as a decoding loop
// does, and expects the outcome of a fresh decoding: the error or not, and on success want.
func checkReuseDecoding(t *testing.T, reused reuseDecoding, earlier, b []byte, want any, wantErr error) {
	t.Helper()
	var d asn1per.Decoder
	if err := reused.UnmarshalReuse(&d, earlier); err != nil {
		t.Fatalf("earlier message: %v", err)
	}
	err := reused.UnmarshalReuse(&d, b)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("reuse decoding error %v, fresh decoding error %v", err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(reused, want) {
		t.Fatalf("reuse decoding differs from a fresh one\nfresh %+v\nreuse %+v", want, reused)
	}
}

// decodeWithBudget decodes b into v, a zero value, with an allocation budget of budget bytes.
func decodeWithBudget(v interface {
	decodePER(*asn1per.Decoder, int) error
}, b []byte, budget int) error {
	var d asn1per.Decoder
	d.Reset(b)
	d.SetBudget(budget)
	if err := v.decodePER(&d, 0); err != nil {
		return err
	}
	if d.RemainingBits() >= 8 {
		return errTrailing
	}
	return nil
}

// FuzzRasMessage: whatever decodes holds no more than its allocation budget, must re-encode and decode again to an equal value, and
// decoding into a value that held another message (the reuse path) must give the same.
func FuzzRasMessage(f *testing.F) {
	rrq, rcf := mustMarshal(f, sampleRRQ()), mustMarshal(f, sampleRCF())
	fuzzSeeds(f, append(fuzzGoldenVectors(f, "ras"), rrq, rcf)...)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := UnmarshalRasMessage(b)
		checkReuseDecoding(t, new(RasMessage), rrq, b, v, err)
		checkReuseDecoding(t, new(RasMessage), rcf, b, v, err)
		if err != nil {
			return
		}
		if held := heldBytes(v); held > budgetOf(len(b)) {
			t.Fatalf("%d octets hold %d bytes, above their allocation budget %d", len(b), held, budgetOf(len(b)))
		}
		again, err := v.Marshal()
		if err != nil {
			t.Fatalf("decoded %+v but cannot re-encode: %v", v, err)
		}
		// The re-encoding may be shorter (a decoder accepts longer forms than an encoder
		// writes), so it is decoded with the budget of the input it came from.
		w := new(RasMessage)
		err = decodeWithBudget(w, again, max(budgetOf(len(b)), budgetOf(len(again))))
		if err != nil {
			t.Fatalf("re-encoding % x does not decode: %v", again, err)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("value changed through re-encoding\nfirst  %+v\nsecond %+v", v, w)
		}
	})
}

// FuzzH323UserInformation is FuzzRasMessage for call-signalling user-user information.
func FuzzH323UserInformation(f *testing.F) {
	setup, release := mustMarshal(f, sampleSetup()), mustMarshal(f, sampleReleaseComplete())
	fuzzSeeds(f, append(fuzzGoldenUserUser(f), setup, release)...)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := UnmarshalH323UserInformation(b)
		checkReuseDecoding(t, new(H323UserInformation), setup, b, v, err)
		checkReuseDecoding(t, new(H323UserInformation), release, b, v, err)
		if err != nil {
			return
		}
		if held := heldBytes(v); held > budgetOf(len(b)) {
			t.Fatalf("%d octets hold %d bytes, above their allocation budget %d", len(b), held, budgetOf(len(b)))
		}
		again, err := v.Marshal()
		if err != nil {
			t.Fatalf("decoded %+v but cannot re-encode: %v", v, err)
		}
		// The re-encoding may be shorter (a decoder accepts longer forms than an encoder
		// writes), so it is decoded with the budget of the input it came from.
		w := new(H323UserInformation)
		err = decodeWithBudget(w, again, max(budgetOf(len(b)), budgetOf(len(again))))
		if err != nil {
			t.Fatalf("re-encoding % x does not decode: %v", again, err)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("value changed through re-encoding\nfirst  %+v\nsecond %+v", v, w)
		}
	})
}
