package h225

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
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

func mustMarshal(tb testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzRasMessage: whatever decodes must re-encode and decode again to an equal value.
func FuzzRasMessage(f *testing.F) {
	fuzzSeeds(f, mustMarshal(f, sampleRRQ()), mustMarshal(f, sampleRCF()))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := UnmarshalRasMessage(b)
		if err != nil {
			return
		}
		again, err := v.Marshal()
		if err != nil {
			t.Fatalf("decoded %+v but cannot re-encode: %v", v, err)
		}
		w, err := UnmarshalRasMessage(again)
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
	fuzzSeeds(f, mustMarshal(f, sampleSetup()), mustMarshal(f, sampleReleaseComplete()))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := UnmarshalH323UserInformation(b)
		if err != nil {
			return
		}
		again, err := v.Marshal()
		if err != nil {
			t.Fatalf("decoded %+v but cannot re-encode: %v", v, err)
		}
		w, err := UnmarshalH323UserInformation(again)
		if err != nil {
			t.Fatalf("re-encoding % x does not decode: %v", again, err)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("value changed through re-encoding\nfirst  %+v\nsecond %+v", v, w)
		}
	})
}
