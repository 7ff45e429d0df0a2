package h225

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// sharedPath returns a path under the project's sibling "shared" folder (../shared from the
// repository root) or skips the test when it is absent; in CI its absence is a failure.
func sharedPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: %v", p, err)
		}
		t.Skipf("%s not available: %v", p, err)
	}
	return p
}

// rasPayloads returns the UDP payloads to or from port 1719 in a pcapng file, in order.
// The pcapng blocks are read here (the pcapgo package needs a go.sum entry the module does
// not have yet); gopacket's layers decode the frames.
func rasPayloads(t testing.TB, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := pcapngFrames(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, fr := range frames {
		pkt := gopacket.NewPacket(fr.data, fr.link, gopacket.Default)
		udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok || (udp.SrcPort != 1719 && udp.DstPort != 1719) {
			continue
		}
		out = append(out, append([]byte(nil), udp.Payload...))
	}
	return out
}

type frame struct {
	link layers.LinkType
	data []byte
}

// pcapngFrames returns the enhanced packet blocks of a pcapng file with their link types.
func pcapngFrames(b []byte) ([]frame, error) {
	var order binary.ByteOrder = binary.LittleEndian
	var links []layers.LinkType
	var out []frame
	for len(b) > 0 {
		if len(b) < 12 {
			return nil, errors.New("pcapng: truncated block header")
		}
		typ := binary.LittleEndian.Uint32(b)
		if typ == 0x0A0D0D0A { // section header: its byte-order magic decides the order
			if binary.LittleEndian.Uint32(b[8:]) == 0x1A2B3C4D {
				order = binary.LittleEndian
			} else {
				order = binary.BigEndian
			}
			links = nil
		} else {
			typ = order.Uint32(b)
		}
		n := int(order.Uint32(b[4:]))
		if n < 12 || n > len(b) || n%4 != 0 {
			return nil, errors.New("pcapng: bad block length")
		}
		body := b[8 : n-4]
		switch typ {
		case 1: // interface description
			if len(body) < 2 {
				return nil, errors.New("pcapng: short interface block")
			}
			links = append(links, layers.LinkType(order.Uint16(body)))
		case 6: // enhanced packet
			if len(body) < 20 {
				return nil, errors.New("pcapng: short packet block")
			}
			iface, capLen := int(order.Uint32(body)), int(order.Uint32(body[12:]))
			if iface >= len(links) || 20+capLen > len(body) {
				return nil, errors.New("pcapng: bad packet block")
			}
			out = append(out, frame{links[iface], body[20 : 20+capLen]})
		}
		b = b[n:]
	}
	return out, nil
}

func captureRAS(t testing.TB) [][]byte {
	return rasPayloads(t, sharedPath(t, "captures/ras-h235-register-unregister.pcapng"))
}

// TestCaptureRAS decodes every RAS message of a capture between independent H.323 stacks and
// requires byte-exact re-encoding.
func TestCaptureRAS(t *testing.T) {
	payloads := captureRAS(t)
	if len(payloads) == 0 {
		t.Fatal("no RAS packets in the capture")
	}
	seen := map[RasMessageChoice]int{}
	var signedRRQ *RegistrationRequest
	for i, p := range payloads {
		msg, err := UnmarshalRasMessage(p)
		if err != nil {
			t.Fatalf("packet %d (% x): %v", i, p, err)
		}
		seen[msg.Choice]++
		again, err := msg.Marshal()
		if err != nil {
			t.Fatalf("packet %d: re-encode: %v", i, err)
		}
		if !bytes.Equal(again, p) {
			t.Fatalf("packet %d: re-encoding differs\ncapture % x\nours    % x", i, p, again)
		}
		if msg.Choice == RasMessageRegistrationRequest && len(msg.RegistrationRequest.CryptoTokens) > 0 {
			signedRRQ = msg.RegistrationRequest
		}
	}
	t.Logf("%d RAS messages, by choice: %v", len(payloads), seen)
	for _, want := range []RasMessageChoice{
		RasMessageGatekeeperRequest, RasMessageGatekeeperConfirm, RasMessageRegistrationRequest,
		RasMessageRegistrationConfirm, RasMessageUnregistrationRequest,
	} {
		if seen[want] == 0 {
			t.Errorf("no message of choice %d in the capture", want)
		}
	}
	if signedRRQ == nil {
		t.Fatal("no RRQ with cryptoTokens")
	}
	tok := signedRRQ.CryptoTokens[0]
	if tok.Choice != CryptoH323TokenNestedcryptoToken {
		t.Fatalf("RRQ crypto token is alternative %d, want nestedcryptoToken", tok.Choice)
	}
	nested := tok.NestedcryptoToken
	if nested.Choice != CryptoTokenCryptoHashedToken {
		t.Fatalf("nested token is alternative %d, want cryptoHashedToken", nested.Choice)
	}
	if got := nested.CryptoHashedToken.TokenOID.String(); got != "0.0.8.235.0.2.1" {
		t.Errorf("tokenOID = %s, want 0.0.8.235.0.2.1", got)
	}
	if h := nested.CryptoHashedToken.Token.Hash; h.BitLen != 96 {
		t.Errorf("HMAC-SHA1-96 hash has %d bits, want 96", h.BitLen)
	}
}
