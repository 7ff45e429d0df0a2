package asn1per

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// rasPayloads returns the UDP payloads of the shared real RAS capture (encoded by independent
// H.323 stacks), skipping locally when the shared folder is absent and failing under CI.
func rasPayloads(t *testing.T) [][]byte {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "captures", "ras-h235-register-unregister.pcapng")
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared capture missing under CI: %v", err)
		}
		t.Skipf("shared capture not available: %v", err)
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	payloads, err := udpPayloadsFromPcapng(data)
	if err != nil {
		t.Fatal(err)
	}
	return payloads
}

// udpPayloadsFromPcapng extracts IPv4/UDP payloads from a little-endian pcapng file with an
// Ethernet link type: just enough of the format for the shared capture, without a dependency.
func udpPayloadsFromPcapng(data []byte) ([][]byte, error) {
	le := binary.LittleEndian
	var out [][]byte
	for len(data) >= 12 {
		blockType, blockLen := le.Uint32(data), int(le.Uint32(data[4:]))
		if blockLen < 12 || blockLen > len(data) {
			return nil, errors.New("pcapng: bad block length")
		}
		if blockType == 0x0A0D0D0A && le.Uint32(data[8:]) != 0x1A2B3C4D {
			return nil, errors.New("pcapng: only little-endian sections are supported")
		}
		if blockType == 6 && blockLen >= 28 { // enhanced packet block
			captured := int(le.Uint32(data[20:]))
			if 28+captured > blockLen {
				return nil, errors.New("pcapng: bad captured length")
			}
			frame := data[28 : 28+captured]
			if len(frame) >= 14+20 && binary.BigEndian.Uint16(frame[12:]) == 0x0800 && frame[14+9] == 17 {
				udp := frame[14+int(frame[14]&0x0F)*4:]
				if len(udp) >= 8 {
					out = append(out, append([]byte(nil), udp[8:]...))
				}
			}
		}
		data = data[blockLen:]
	}
	return out, nil
}

// TestRealRasMessageAlternatives reads the RasMessage CHOICE index of every captured message:
// GRQ, GCF, RRQ, RCF twice, then URQ.
func TestRealRasMessageAlternatives(t *testing.T) {
	var got []int
	for _, p := range rasPayloads(t) {
		i, err := NewDecoder(p).ReadChoiceIndex(25, true)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, i)
	}
	want := []int{0, 1, 3, 4, 0, 1, 3, 4, 6}
	if !slices.Equal(got, want) {
		t.Fatalf("alternatives %v, want %v", got, want)
	}
}

// TestRealGatekeeperRequestPrefix walks the start of a real GatekeeperRequest with the
// primitives exactly as generated code will (H.225.0 RasMessage → GatekeeperRequest up to
// endpointAlias), checks every value against the capture's decoding, then re-encodes the same
// fields and expects the same octets.
func TestRealGatekeeperRequestPrefix(t *testing.T) {
	payloads := rasPayloads(t)
	if len(payloads) == 0 {
		t.Fatal("no UDP payloads in the capture")
	}
	grq := payloads[0]
	d := NewDecoder(grq)
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatalf("at bit %d: %v", d.Offset(), err)
		}
		return v
	}
	type field struct {
		name string
		got  any
		want any
	}
	var fields []field
	check := func(name string, got, want any) { fields = append(fields, field{name, got, want}) }

	check("RasMessage alternative", must(d.ReadChoiceIndex(25, true)), 0) // gatekeeperRequest
	check("GRQ extension bit", must(d.ReadBit()), true)
	check("GRQ optional bitmap", must(d.ReadBits(4)), uint64(0b0001)) // only endpointAlias
	check("requestSeqNum", must(d.ReadInteger(rng(1, 65535))), int64(52541))
	oid := must(d.ReadOID()).(ObjectIdentifier)
	check("protocolIdentifier", oid.String(), "0.0.8.2250.0.7")
	check("rasAddress alternative", must(d.ReadChoiceIndex(7, true)), 0) // ipAddress
	check("ip", must(d.ReadOctetString(Size{Lb: 4, Ub: 4})), []byte{127, 0, 0, 1})
	check("port", must(d.ReadInteger(rng(0, 65535))), int64(45910))
	check("EndpointType extension bit", must(d.ReadBit()), false)
	check("EndpointType bitmap", must(d.ReadBits(6)), uint64(0b010001)) // vendor, terminal
	check("VendorIdentifier extension bit", must(d.ReadBit()), false)
	check("VendorIdentifier bitmap", must(d.ReadBits(2)), uint64(0b11))
	check("H221NonStandard extension bit", must(d.ReadBit()), false)
	check("t35CountryCode", must(d.ReadInteger(rng(0, 255))), int64(9))
	check("t35Extension", must(d.ReadInteger(rng(0, 255))), int64(0))
	check("manufacturerCode", must(d.ReadInteger(rng(0, 65535))), int64(61))
	productID := must(d.ReadOctetString(Size{Lb: 1, Ub: 256})).([]byte)
	check("productId", string(bytes.TrimRight(productID, "\x00")), "H323Plus simple")
	versionID := must(d.ReadOctetString(Size{Lb: 1, Ub: 256})).([]byte)
	check("versionId", string(bytes.TrimRight(versionID, "\x00")), "1.28.0 (H323plus v1.28.0)")
	check("TerminalInfo extension bit", must(d.ReadBit()), false)
	check("TerminalInfo bitmap", must(d.ReadBit()), false)
	check("mc", must(d.ReadBool()), false)
	check("undefinedNode", must(d.ReadBool()), false)
	check("endpointAlias count", must(d.ReadLength(Size{Lb: 0, Ub: -1})), 1)
	check("AliasAddress alternative", must(d.ReadChoiceIndex(2, true)), 1) // h323-ID
	check("h323-ID", must(d.ReadString(bmpChars, Size{Lb: 1, Ub: 256})), "dave")
	for _, f := range fields {
		if !equalValues(f.got, f.want) {
			t.Errorf("%s = %#v, want %#v", f.name, f.got, f.want)
		}
	}
	prefixBits := d.Offset()

	var e Encoder
	steps := []error{
		e.WriteChoiceIndex(0, 25, true),
	}
	e.WriteBit(true)
	e.WriteBits(0b0001, 4)
	steps = append(steps,
		e.WriteInteger(52541, rng(1, 65535)),
		e.WriteOID(oid),
		e.WriteChoiceIndex(0, 7, true),
		e.WriteOctetString([]byte{127, 0, 0, 1}, Size{Lb: 4, Ub: 4}),
		e.WriteInteger(45910, rng(0, 65535)),
	)
	e.WriteBit(false)
	e.WriteBits(0b010001, 6)
	e.WriteBit(false)
	e.WriteBits(0b11, 2)
	e.WriteBit(false)
	steps = append(steps,
		e.WriteInteger(9, rng(0, 255)),
		e.WriteInteger(0, rng(0, 255)),
		e.WriteInteger(61, rng(0, 65535)),
		e.WriteOctetString(productID, Size{Lb: 1, Ub: 256}),
		e.WriteOctetString(versionID, Size{Lb: 1, Ub: 256}),
	)
	e.WriteBits(0, 4) // TerminalInfo ext + bitmap, mc, undefinedNode
	steps = append(steps,
		e.WriteLength(1, Size{Lb: 0, Ub: -1}),
		e.WriteChoiceIndex(1, 2, true),
		e.WriteString("dave", bmpChars, Size{Lb: 1, Ub: 256}),
	)
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	if e.BitLen() != prefixBits {
		t.Fatalf("re-encoding is %d bits, the capture's prefix %d", e.BitLen(), prefixBits)
	}
	got := e.Finish()
	want := grq[:len(got)]
	if rest := prefixBits % 8; rest != 0 { // compare only the prefix's bits in the last octet
		want = append([]byte(nil), want...)
		want[len(want)-1] &= 0xFF << (8 - rest)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("re-encoded prefix\n got %x\nwant %x", got, want)
	}
}

func equalValues(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && bytes.Equal(ab, bb)
	}
	return a == b
}
