package h323

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/h245"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/tsharktest"
)

// TestTsharkH245 runs calls between two legs with H.245 tunnelled and on a separate
// connection, writes what crossed the wires into a capture — call signalling on TCP 1720, the
// H.245 connection to the address the Connect or Facility startH245 announced — and requires
// that tshark finds nothing malformed and reads every H.245 message we sent, in order, as the
// message we sent. tshark finds the separate connection by itself: its H.225.0 dissector
// follows the h245Address.
func TestTsharkH245(t *testing.T) {
	tsharktest.Require(t)
	tests := []struct {
		name           string
		caller, callee LegConfig
	}{
		{"tunnelled", withH245(callerConfig(), true, netip.AddrPort{}, pbxRTP, pbxRTCP), withH245(calleeConfig(), true, netip.AddrPort{}, phoneRTP, phoneRTCP)},
		{"separate from Connect", withH245(callerConfig(), false, netip.AddrPort{}, pbxRTP, pbxRTCP), withH245(calleeConfig(), false, phoneH245, phoneRTP, phoneRTCP)},
		{"separate from startH245", withH245(callerConfig(), false, pbxH245, pbxRTP, pbxRTCP), withH245(calleeConfig(), false, netip.AddrPort{}, phoneRTP, phoneRTCP)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newH245Call(t, tc.caller, tc.callee)
			c.do(c.caller, c.caller.Setup())
			c.answer()
			c.do(c.callee, c.callee.Release(16))
			c.checkMedia()
			path, frames := h245Capture(t, c)
			checkTsharkH245(t, path, frames)
		})
	}
}

// h245Frame is what one captured frame carries: its H.245 messages, as (class, alternative).
type h245Frame struct {
	frame    int
	messages [][2]int
}

// h245Capture writes the wire of c into a capture file and returns its path and, for every
// frame that carries H.245, the messages in it.
func h245Capture(t *testing.T, c *h245Call) (string, []h245Frame) {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	signalling, err := w.OpenTCP(0, pbxSignal, phoneSignal)
	if err != nil {
		t.Fatal(err)
	}
	frame := 3 // the three-way handshake
	var separate *capture.Stream
	var h245Caller bool // the caller opened the H.245 connection
	at := time.Millisecond
	var frames []h245Frame
	for _, item := range c.wire {
		at += 10 * time.Millisecond
		framed, err := q931.Frame(item.payload)
		if err != nil {
			t.Fatal(err)
		}
		var msgs [][]byte
		if item.separate {
			if separate == nil {
				// The leg that connected is the one that did not listen on connectedTo.
				h245Caller = c.listening[c.connectedTo] == c.callee
				from := netip.AddrPortFrom(pbxSignal.Addr(), 40100)
				if !h245Caller {
					from = netip.AddrPortFrom(phoneSignal.Addr(), 40100)
				}
				if separate, err = w.OpenTCP(at, from, c.connectedTo); err != nil {
					t.Fatal(err)
				}
				frame += 3
				at += time.Millisecond
			}
			if err := separate.Write(at, item.fromCaller == h245Caller, framed); err != nil {
				t.Fatal(err)
			}
			msgs = [][]byte{item.payload}
		} else {
			if err := signalling.Write(at, item.fromCaller, framed); err != nil {
				t.Fatal(err)
			}
			_, info := checkWire(t, item.payload)
			msgs = info.H323UuPdu.H245Control
		}
		frame++ // each write is one segment (the peer's acks are folded into its segments)
		if len(msgs) > 0 {
			f := h245Frame{frame: frame}
			for _, m := range msgs {
				f.messages = append(f.messages, classAndAlternative(decodeH245(t, m)))
			}
			frames = append(frames, f)
		}
	}
	if err := signalling.Close(at + time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if separate != nil {
		if err := separate.Close(at + 2*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "h245.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, frames
}

// classAndAlternative is the 0-based MultimediaSystemControlMessage alternative of m and the
// alternative inside it, as tshark numbers them.
func classAndAlternative(m *h245.MultimediaSystemControlMessage) [2]int {
	switch m.Choice {
	case h245.MultimediaSystemControlMessageRequest:
		return [2]int{0, int(m.Request.Choice) - 1}
	case h245.MultimediaSystemControlMessageResponse:
		return [2]int{1, int(m.Response.Choice) - 1}
	case h245.MultimediaSystemControlMessageCommand:
		return [2]int{2, int(m.Command.Choice) - 1}
	}
	return [2]int{3, int(m.Indication.Choice) - 1}
}

// checkTsharkH245 requires a capture without problems in which tshark reads, frame by frame,
// the H.245 messages we sent.
func checkTsharkH245(t *testing.T, path string, want []h245Frame) {
	t.Helper()
	if p := tsharktest.Problems(t, path, tsharktest.CheckChecksums...); len(p) != 0 {
		t.Errorf("tshark problems:\n%s", strings.Join(p, "\n"))
	}
	classes := []string{"h245.request", "h245.response", "h245.command", "h245.indication"}
	got := map[string]tsharktest.Packet{}
	for _, p := range tsharktest.FieldValues(t, path, "h245", append([]string{"h245.pdu_type"}, classes...)...) {
		got[p["frame.number"][0]] = p
	}
	total := 0
	for _, f := range want {
		p := got[strconv.Itoa(f.frame)]
		if p == nil {
			t.Errorf("frame %d: tshark read no H.245 (want %v)", f.frame, f.messages)
			continue
		}
		var wantTypes []string
		wantInner := map[string][]string{}
		for _, m := range f.messages {
			wantTypes = append(wantTypes, strconv.Itoa(m[0]))
			wantInner[classes[m[0]]] = append(wantInner[classes[m[0]]], strconv.Itoa(m[1]))
		}
		if !slices.Equal(p["h245.pdu_type"], wantTypes) {
			t.Errorf("frame %d: tshark reads PDU types %v, we sent %v", f.frame, p["h245.pdu_type"], wantTypes)
		}
		for _, cl := range classes {
			if !slices.Equal(p[cl], wantInner[cl]) {
				t.Errorf("frame %d: tshark reads %s %v, we sent %v", f.frame, cl, p[cl], wantInner[cl])
			}
		}
		total += len(f.messages)
	}
	if total < 9 {
		t.Errorf("only %d H.245 messages checked: %s", total, fmt.Sprint(want))
	}
}
