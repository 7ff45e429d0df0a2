package q931

import (
	"bytes"
	"reflect"
	"testing"
)

func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, h := range []string{hexSetup, hexCallProceeding, hexAlerting, hexConnect, hexFacilityEmpty,
		hexReleaseComplete16, hexReleaseComplete17, hexReleaseComplete18,
		"08 02 00 09 05 96 7e 02 aa bb 90 9d 7e 01 cc 7e 00 02 05 00 b1"} {
		seeds = append(seeds, fromHex(f, h))
	}
	return seeds
}

// FuzzDecode: no panics; every message Decode accepts re-encodes to the
// same bytes (the raw element list makes every accepted input canonical),
// and the typed views never panic.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := Decode(in)
		if err != nil {
			return
		}
		out, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("re-encoding differs\n in % x\nout % x", in, out)
		}
		_, _ = m.Cause()
		_, _ = m.BearerCapability()
		_, _ = m.CallingPartyNumber()
		_, _ = m.CalledPartyNumber()
		_, _ = m.Display()
		_, _ = m.Keypad()
		_, _ = m.ProgressIndicator()
		_, _ = m.Signal()
		_, _ = m.NotificationIndicator()
		_, _ = m.UserUser()
		// A typed view that parses re-encodes to contents that parse to the
		// same view (spare bits, which the views ignore, may differ).
		if c, err := m.Cause(); err == nil {
			b, err := c.AppendContents(nil)
			again, err2 := ParseCause(b)
			if err != nil || err2 != nil || !reflect.DeepEqual(again, c) {
				t.Fatalf("cause %+v re-encodes as % x, parsed %+v (%v, %v)", c, b, again, err, err2)
			}
		}
		if p, err := m.CallingPartyNumber(); err == nil {
			b, err := p.AppendContents(nil)
			again, err2 := ParseCallingPartyNumber(b)
			if err != nil || err2 != nil || again != p {
				t.Fatalf("calling %+v re-encodes as % x, parsed %+v (%v, %v)", p, b, again, err, err2)
			}
		}
		if bc, err := m.BearerCapability(); err == nil {
			ie, _ := m.Find(IEBearerCapability)
			b, err := bc.AppendContents(nil)
			if err != nil || !bytes.Equal(b, ie.Contents) {
				t.Fatalf("bearer % x re-encodes as % x (%v)", ie.Contents, b, err)
			}
		}
	})
}

// FuzzTPKTReader: no panics; the input fed in two pieces yields the same
// frames as fed whole, and re-framing those payloads reproduces the input
// up to where reassembly stopped.
func FuzzTPKTReader(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		framed, _ := Frame(s)
		f.Add(append(framed, 3, 0, 0, 4), uint16(7))
	}
	f.Add([]byte{3, 0, 0, 3, 3, 0, 0, 5, 1}, uint16(2))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		collect := func(pieces ...[]byte) ([]byte, int64, error) {
			r := Reassembler{MaxLength: 1024}
			var reframed []byte
			var err error
			for _, p := range pieces {
				r.Feed(p)
				for {
					var payload []byte
					var ok bool
					payload, ok, err = r.Next()
					if err != nil || !ok {
						break
					}
					if len(payload)+TPKTHeaderLength > 1024 {
						t.Fatalf("payload of %d octets passed the 1024 limit", len(payload))
					}
					reframed, _ = AppendFrame(reframed, payload)
				}
				if err != nil {
					break
				}
			}
			return reframed, r.Offset(), err
		}
		whole, offset, errWhole := collect(in)
		split := int(cut) % (len(in) + 1)
		parts, _, errSplit := collect(in[:split], in[split:])
		if !bytes.Equal(whole, parts) || (errWhole == nil) != (errSplit == nil) {
			t.Fatalf("split at %d changed the result: % x (%v) vs % x (%v)", split, whole, errWhole, parts, errSplit)
		}
		if int64(len(whole)) != offset || !bytes.Equal(whole, in[:offset]) {
			t.Fatalf("re-framed payloads % x differ from consumed input % x", whole, in[:offset])
		}
		// Resynchronising must always make progress or stop cleanly.
		r := Reassembler{MaxLength: 1024}
		r.Feed(in)
		for range len(in) + 1 {
			_, ok, err := r.Next()
			if err != nil {
				before := r.Offset()
				r.Resync()
				if r.Offset() <= before {
					t.Fatalf("Resync did not advance from %d", before)
				}
				continue
			}
			if !ok {
				break
			}
		}
	})
}
