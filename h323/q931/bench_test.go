package q931

import "testing"

func benchmarkDecode(b *testing.B, h string) {
	in := fromHex(b, h)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkEncode(b *testing.B, h string) {
	in := fromHex(b, h)
	m, err := Decode(in)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = m.Append(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSetup(b *testing.B)           { benchmarkDecode(b, hexSetup) }
func BenchmarkDecodeReleaseComplete(b *testing.B) { benchmarkDecode(b, hexReleaseComplete16) }
func BenchmarkEncodeSetup(b *testing.B)           { benchmarkEncode(b, hexSetup) }
func BenchmarkEncodeReleaseComplete(b *testing.B) { benchmarkEncode(b, hexReleaseComplete16) }

// BenchmarkBuildSetup is the typed path a call leg uses: add the typed
// elements, then encode into a fresh buffer.
func BenchmarkBuildSetup(b *testing.B) {
	uu := fromHex(b, perSetup)
	b.ReportAllocs()
	for b.Loop() {
		m := Message{Type: Setup, CallReference: 1, Elements: make([]InformationElement, 0, 5)}
		for _, e := range []Element{
			H323BearerCapability,
			Display("Alice"),
			PartyNumber{Calling: true, TypeOfNumber: TypeNational, NumberingPlan: PlanE164, Digits: "1001"},
			PartyNumber{TypeOfNumber: TypeNational, NumberingPlan: PlanE164, Digits: "2002"},
			H225UserUser(uu),
		} {
			if err := m.Add(e); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := m.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReassemble(b *testing.B) {
	framed, err := Frame(fromHex(b, hexSetup))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(framed)))
	b.ReportAllocs()
	var r Reassembler
	for b.Loop() {
		r.Feed(framed[:7])
		r.Feed(framed[7:])
		if _, ok, err := r.Next(); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
