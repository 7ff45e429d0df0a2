package h225

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/callwake/callwake/capture"
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

// rasPayloads returns the UDP payloads to or from port 1719 in a capture file, in order.
// A packet the capture reader reports as damaged fails the test: the shared capture is whole.
func rasPayloads(t testing.TB, path string) [][]byte {
	t.Helper()
	c, err := capture.ReadFile(path, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, r := range c.Records {
		if r.Err != nil {
			t.Fatalf("%s: %v", path, r.Err)
		}
		if r.Transport != capture.TransportUDP || (r.Src.Port() != 1719 && r.Dst.Port() != 1719) {
			continue
		}
		out = append(out, r.Payload)
	}
	return out
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
