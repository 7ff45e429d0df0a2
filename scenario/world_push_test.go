package scenario

import (
	"bytes"
	"strings"
	"testing"
)

// TestWebSocketFrames: the push protocol's frames survive any split of the
// stream, masked (client) or not (server), at every length encoding.
func TestWebSocketFrames(t *testing.T) {
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	for _, n := range []int{0, 1, 125, 126, 65535, 65536} {
		for _, m := range []*[4]byte{nil, &mask} {
			payload := bytes.Repeat([]byte("x"), n)
			frame := wsFrame(payload, m)
			if m != nil && n >= 8 && bytes.Contains(frame, payload) {
				t.Errorf("len %d: masked frame carries the payload in clear", n)
			}
			// Feed two frames back to back, three bytes at a time.
			stream := append(append([]byte(nil), frame...), frame...)
			var r wsReader
			var got [][]byte
			for i := 0; i < len(stream); i += 3 {
				r.feed(stream[i:min(i+3, len(stream))])
				for {
					msg, ok, err := r.next()
					if err != nil {
						t.Fatalf("len %d: %v", n, err)
					}
					if !ok {
						break
					}
					got = append(got, msg)
				}
			}
			if len(got) != 2 || !bytes.Equal(got[0], payload) || !bytes.Equal(got[1], payload) {
				t.Errorf("len %d masked %v: got %d frames", n, m != nil, len(got))
			}
		}
	}
}

func TestWebSocketBadFrames(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
	}{
		{"binary opcode", []byte{0x82, 0x00}},
		{"not final", []byte{0x01, 0x00}},
		{"too long", []byte{0x81, 127, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}},
	}
	for _, tt := range tests {
		var r wsReader
		r.feed(tt.input)
		if _, _, err := r.next(); err == nil || !strings.Contains(err.Error(), "websocket") {
			t.Errorf("%s: error %v", tt.name, err)
		}
	}
}
